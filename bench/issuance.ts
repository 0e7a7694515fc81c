// Issuance benchmark: N certificates from pre-made CSRs through the full pipeline (CSR gate, RA
// policy, serial recorded, signer re-check + lint + sign, certificate and audit stored), one process.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IssuingAuthority } from '../src/ca/authority.js';
import { buildSmkiCsr } from '../src/ca/csr-builder.js';
import { initCa, type InitKeys } from '../src/ca/init.js';
import { generatePersonKey } from '../src/ca/person-keys.js';
import { loadCatalogue } from '../src/config/catalogue.js';
import { parseEui64 } from '../src/domain/eui.js';
import { issueCertificate, issueCertificates } from '../src/ra/issue.js';
import { addOfficer, changeOfficerStatus } from '../src/ra/officers.js';
import { addUserId } from '../src/ra/parties.js';
import { Registry } from '../src/registry/registry.js';
import { opensslEcdsaP256 } from './openssl.js';

/** The bench home's RA operator (a key in memory). */
const benchAdmin = generatePersonKey('bench-operator');

/** A home with a Supplier, its SRP's SoLRContingency User ID and an active ARO; the CA unlocked. */
export async function prepareIssuanceHome(home: string, pass: Buffer, keys?: InitKeys, unlock?: (reg: Registry) => IssuingAuthority) {
  const catalogue = loadCatalogue();
  initCa(home, pass, 'Bench OCA', catalogue, { name: 'bench', publicKey: benchAdmin.spkiDer }, undefined, keys);
  const reg = Registry.open(home);
  const supplier = parseEui64('90B3D51F30010000');
  const srp = parseEui64('90B3D51F300C0001');
  addUserId(reg, catalogue, { partyName: 'Supplier', role: 'IS', eui: supplier, operator: 'bench' });
  addUserId(reg, catalogue, { partyName: 'SRP', role: 'SC', eui: srp, actingFor: supplier, operator: 'bench' });
  const party = (await import('../src/registry/parties.js')).findUserId(reg, srp)!;
  const sro = addOfficer(reg, { party, kind: 'sro', name: 'SRO', evidence: 'E', operator: 'bench' });
  const aro = addOfficer(reg, { party, kind: 'aro', name: 'ARO', nominatedBy: sro.id, operator: 'bench' });
  changeOfficerStatus(reg, aro.id, 'activate', 'bench');
  const ca = unlock ? unlock(reg) : IssuingAuthority.unlock(reg, pass, catalogue);
  return { reg, catalogue, srp, aroId: aro.id, ca };
}

export function benchCsrs(srp: ReturnType<typeof parseEui64>, n: number): Buffer[] {
  return Array.from({ length: n }, () => {
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return buildSmkiCsr({ eui: srp, ou: '87', ...kp }).der;
  });
}

export async function benchIssuance(n = 2000): Promise<{ certificates: number; seconds: number; perSecond: number; single: { certificates: number; seconds: number; perSecond: number }; opensslSign?: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'smki-bench-issue-'));
  try {
    const pass = Buffer.from('bench passphrase');
    const { reg, catalogue, srp, aroId, ca } = await prepareIssuanceHome(join(dir, 'home'), pass);
    const aro = { id: aroId };
    const csrs = benchCsrs(srp, n);
    // One request at a time: a durable commit per certificate, as `smki cert issue` runs.
    const single = Math.min(csrs.length, 500);
    const t0 = process.hrtime.bigint();
    for (const csr of csrs.slice(0, single)) issueCertificate(reg, ca, catalogue, { csr, profile: 'xml-sign', party: srp, officerId: aro.id });
    const singleSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    // Batches of 100 through the same pipeline (group commit), as onboarding runs issue them.
    const rest = csrs.slice(single);
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < rest.length; i += 100) {
      const out = issueCertificates(reg, ca, catalogue, rest.slice(i, i + 100).map((csr) => ({ csr, profile: 'xml-sign' as const, party: srp, officerId: aro.id })));
      if (!out.every((o) => o.ok)) throw new Error('a benchmark request was refused');
    }
    const seconds = Number(process.hrtime.bigint() - t1) / 1e9;
    const problems = reg.audit.verify().problems.length;
    reg.close();
    if (problems) throw new Error(`audit chain broken after the benchmark: ${problems} problem(s)`);
    const ossl = opensslEcdsaP256();
    return {
      certificates: rest.length,
      seconds,
      perSecond: rest.length / seconds,
      single: { certificates: single, seconds: singleSeconds, perSecond: single / singleSeconds },
      opensslSign: 'sign' in ossl ? ossl.sign : undefined,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchIssuance(Number(process.argv[2] ?? 2000));
  console.log(JSON.stringify(r));
}
