// Issuance per second with the Issuing OCA key as an encrypted file and inside a SoftHSM2 token, in
// the same run: the same pipeline, the same CSRs, batches of 100. Skipped when softhsm2 is absent.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openIssuingAuthority } from '../src/ca/authority.js';
import { closePkcs11 } from '../src/ca/pkcs11.js';
import { loadCatalogue } from '../src/config/catalogue.js';
import { issueCertificates } from '../src/ra/issue.js';
import { verifyRegistry } from './checks.js';
import { benchCsrs, prepareIssuanceHome } from './issuance.js';

const MODULE = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'].find((p) => existsSync(p));

export interface KeyCustodyResult {
  certificates: number;
  file: number;
  softhsm?: number;
  skipped?: string;
}

async function perSecond(home: string, n: number, keys?: Parameters<typeof prepareIssuanceHome>[2], pin?: Buffer): Promise<number> {
  const pass = Buffer.from('bench passphrase');
  const { reg, catalogue, srp, aroId, aroKey, ca } = await prepareIssuanceHome(home, pass, keys, pin ? (r) => openIssuingAuthority(r, loadCatalogue(), pin) : undefined);
  const csrs = benchCsrs(srp, n);
  const t = process.hrtime.bigint();
  for (let i = 0; i < csrs.length; i += 100) {
    const out = issueCertificates(reg, ca, catalogue, csrs.slice(i, i + 100).map((csr) => ({ csr, profile: 'xml-sign' as const, party: srp, officerId: aroId, officer: aroKey })));
    if (!out.every((o) => o.ok)) throw new Error('a benchmark request was refused');
  }
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  verifyRegistry(reg, 'key custody');
  reg.close();
  return n / seconds;
}


export async function benchKeyCustody(n = 1000): Promise<KeyCustodyResult> {
  const dir = mkdtempSync(join(tmpdir(), 'smki-bench-keys-'));
  const saved = process.env.SOFTHSM2_CONF;
  try {
    const file = await perSecond(join(dir, 'file-home'), n);
    if (!MODULE || spawnSync('softhsm2-util', ['--version']).status !== 0) return { certificates: n, file, skipped: 'softhsm2 is not installed' };
    mkdirSync(join(dir, 'tokens'));
    writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    process.env.SOFTHSM2_CONF = join(dir, 'softhsm2.conf');
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'bench', '--so-pin', '13579', '--pin', '246810'], { stdio: 'pipe' });
    const pin = Buffer.from('246810');
    const softhsm = await perSecond(join(dir, 'token-home'), n, { kind: 'pkcs11', module: MODULE, token: 'bench', pin: () => pin }, pin);
    return { certificates: n, file, softhsm };
  } finally {
    closePkcs11();
    if (saved === undefined) delete process.env.SOFTHSM2_CONF;
    else process.env.SOFTHSM2_CONF = saved;
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchKeyCustody(Number(process.argv[2] ?? 1000))));
}
