// Outputs cannot overwrite the CA; a command that committed says so; the published CRL is the latest.
import { strict as assert } from 'node:assert';
import { chmodSync, copyFileSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList, id_ce_cRLNumber } from '@peculiar/asn1-x509';
import { fromPem } from '../../src/ca/pem.js';
import { makeCsr } from '../support/csr.js';
import { runConcurrently } from '../support/process.js';
import { registryDigest, setupScenario, SRP, type Scenario } from '../support/scenario.js';
import { actAs } from '../support/keys.js';

/** The CRL Number of a PEM CRL file. */
export function crlNumberOf(pem: string): number {
  const crl = AsnConvert.parse(fromPem(pem, ['X509 CRL'], 'CRL'), CertificateList);
  const ext = crl.tbsCertList.crlExtensions!.find((e) => e.extnID === id_ce_cRLNumber)!;
  const der = Buffer.from(ext.extnValue.buffer);
  return Number(BigInt(`0x${der.subarray(2).toString('hex')}`));
}

describe('cli: outputs and what follows a commit', function () {
  this.timeout(120_000);
  let s: Scenario;
  let keyPem: string;
  before(async () => {
    s = await setupScenario();
    keyPem = readFileSync(join(s.home, 'keys', 'issuing-oca.key.pem'), 'utf8');
  });
  after(() => s.cleanup());

  const protectedFiles = () => [
    join(s.home, 'keys', 'issuing-oca.key.pem'),
    join(s.home, 'keys', 'root-oca.key.pem'),
    join(s.home, 'keys', 'audit-mac.key'),
    join(s.home, 'keys', 'new-file.pem'),
    join(s.home, 'registry.sqlite'),
    join(s.home, 'registry.sqlite-wal'),
    join(s.home, 'audit.checkpoint'),
  ];

  it('crl, ca export, report and cert issue refuse an --out inside the keys, registry or checkpoint (exit 4, nothing changed)', async () => {
    const csr = join(s.dir, 'out.csr');
    writeFileSync(csr, (await makeCsr({ eui: SRP })).pem);
    const digest = registryDigest(s.home);
    for (const target of protectedFiles()) {
      for (const args of [
        ['crl', '--out', target],
        ['ca', 'export', '--out', target],
        ['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer', s.aro, '--passphrase-file', s.pass, '--out', target],
      ]) {
        const r = await s.run(args);
        assert.equal(r.code, 4, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /^smki: --out: .* an output never replaces the CA's keys, registry or checkpoint\n$/);
      }
    }
    assert.equal(readFileSync(join(s.home, 'keys', 'issuing-oca.key.pem'), 'utf8'), keyPem);
    assert.equal(registryDigest(s.home), digest);
  });

  it('a symlink or hard link onto the CA key is refused too', async () => {
    const link = join(s.dir, 'innocent.pem');
    symlinkSync(join(s.home, 'keys', 'issuing-oca.key.pem'), link);
    const viaDir = join(s.dir, 'keys-link');
    symlinkSync(join(s.home, 'keys'), viaDir);
    const hard = join(s.dir, 'hard.pem');
    linkSync(join(s.home, 'audit.checkpoint'), hard);
    for (const target of [link, join(viaDir, 'issuing-oca.key.pem'), join(viaDir, 'fresh.pem'), hard]) {
      const r = await s.run(['crl', '--out', target]);
      assert.equal(r.code, 4, `${target}: ${r.stderr}`);
    }
    assert.equal(readFileSync(join(s.home, 'keys', 'issuing-oca.key.pem'), 'utf8'), keyPem);
  });

  it('an --out elsewhere is written whole, with no temporary file left beside it', async () => {
    const dir = join(s.dir, 'outs');
    mkdirSync(dir);
    const r = await s.run(['crl', '--out', join(dir, 'c.crl')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(dir, 'c.crl'), 'utf8'), /^-----BEGIN X509 CRL-----\n[\s\S]+-----END X509 CRL-----\n$/);
    const { readdirSync } = await import('node:fs');
    assert.deepEqual(readdirSync(dir), ['c.crl']);
  });

  it('cert issue whose --out cannot be written after the commit warns, prints the PEM and exits 0; the retry is not needed', async () => {
    const csr = join(s.dir, 'late.csr');
    writeFileSync(csr, (await makeCsr({ eui: SRP })).pem);
    const ro = join(s.dir, 'read-only');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    try {
      const r = await s.run(['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer', s.aro, '--passphrase-file', s.pass, '--out', join(ro, 'c.pem')]);
      if (process.getuid?.() === 0) return; // root writes anyway
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^-----BEGIN CERTIFICATE-----/);
      assert.match(r.stderr, /^smki: warning: issued [0-9A-F]+, but --out: cannot write .* \(EACCES\); the certificate is printed here and kept in the registry/);
    } finally {
      chmodSync(ro, 0o700);
    }
  });

  it('a published CRL that is missing, torn or older is rewritten by the next command, whatever it is', async () => {
    const crlFile = join(s.home, 'ca', 'current.crl.pem');
    const old = readFileSync(crlFile, 'utf8');
    const refreshed = await s.run(['crl', '--refresh', '--passphrase-file', s.pass, ...actAs('ra1'), '--json']);
    assert.equal(refreshed.code, 0, refreshed.stderr);
    const newest = refreshed.json.number as number;
    assert.equal(crlNumberOf(readFileSync(crlFile, 'utf8')), newest);
    for (const damage of [() => writeFileSync(crlFile, old), () => writeFileSync(crlFile, old.slice(0, 100)), () => copyFileSync(join(s.home, 'ca', 'chain.pem'), crlFile)]) {
      damage();
      const r = await s.run(['party', 'list']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(crlNumberOf(readFileSync(crlFile, 'utf8')), newest);
    }
  });

  it('concurrent CRL writers: a reader never sees an older CRL Number or a torn file', async () => {
    const crlFile = join(s.home, 'ca', 'current.crl.pem');
    let last = crlNumberOf(readFileSync(crlFile, 'utf8'));
    let reads = 0;
    let stop = false;
    const reader = (async () => {
      while (!stop) {
        const n = crlNumberOf(readFileSync(crlFile, 'utf8'));
        assert.ok(n >= last, `CRL Number went back from ${last} to ${n}`);
        last = n;
        reads++;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const refresh = ['--home', s.home, 'crl', '--refresh', '--passphrase-file', s.pass, ...actAs('ra1'), '--json'];
    const results = await runConcurrently([refresh, refresh, refresh, refresh]);
    stop = true;
    await reader;
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const top = Math.max(...results.map((r) => JSON.parse(r.stdout).number as number));
    assert.equal(crlNumberOf(readFileSync(crlFile, 'utf8')), top);
    assert.ok(reads > 0);
  });
});
