import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readOrganisationCertificate } from '../../src/ca/organisation-certificate.js';
import { lintOrganisationCertificate } from '../../src/ca/lint.js';
import { fromPem } from '../../src/ca/pem.js';
import { makeCsr } from '../support/csr.js';
import { registryDigest, setupScenario, SRP, SUPPLIER, type Scenario } from '../support/scenario.js';
import { adminFlags } from '../support/keys.js';
import { textFields } from '../support/openssl-text.js';
import { testDatabaseUrl } from '../support/database.js';

describe('cli: cert issue / revoke / crl / ca export', function () {
  let s: Scenario;
  let n = 0;
  before(async () => { s = await setupScenario(); });
  after(() => s.cleanup());

  async function csrFile(opts: Parameters<typeof makeCsr>[0]): Promise<string> {
    const c = await makeCsr(opts);
    const f = join(s.dir, `req-${++n}.csr`);
    writeFileSync(f, c.pem);
    return f;
  }

  const issue = (csr: string, profile: string, party = SRP, officer = s.aro) =>
    s.run(['cert', 'issue', '--csr', csr, '--profile', profile, '--party', party, '--officer', officer, '--passphrase-file', s.pass, '--json']);

  it('init made encrypted 0600 keys and refuses to overwrite the home', async () => {
    // The registry file, or on PostgreSQL the file that names its database.
    for (const f of ['keys/root-oca.key.pem', 'keys/issuing-oca.key.pem', 'keys/audit-mac.key', testDatabaseUrl() ? 'database.json' : 'registry.sqlite']) {
      assert.equal(statSync(join(s.home, f)).mode & 0o777, 0o600, f);
    }
    assert.match(readFileSync(join(s.home, 'keys/issuing-oca.key.pem'), 'utf8'), /BEGIN ENCRYPTED PRIVATE KEY/);
    const r = await s.run(['init', '--passphrase-file', s.pass, ...adminFlags(s.dir, 'ra9')]);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /never overwrites/);
  });

  it('issues an XML-signing certificate to a SoLRContingency User ID that matches the SMKI profile', async () => {
    const r = await issue(await csrFile({ eui: SRP }), 'xml-sign');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.json.serial, /^[0-9A-F]{32}$/);
    const der = fromPem(r.json.pem, ['CERTIFICATE'], 'cert');
    const info = readOrganisationCertificate(der);
    assert.equal(info.roleOu, '87');
    assert.equal(info.eui, SRP);
    assert.deepEqual(info.keyUsage, ['digitalSignature']);
    assert.deepEqual(lintOrganisationCertificate(der), []);
    assert.equal(der[0], 0x30);
  });

  it('accepts an OpenSSL-made CSR (EUI as UTF8String text) and the result passes openssl verify', async function () {
    const key = join(s.dir, 'ossl.key');
    const csr = join(s.dir, 'ossl.csr');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    execFileSync('openssl', ['req', '-new', '-key', key, '-subj', `/OU=87/x500UniqueIdentifier=${SRP}`, '-out', csr]);
    const r = await issue(csr, 'xml-sign');
    assert.equal(r.code, 0, r.stderr);
    const pem = join(s.dir, 'ossl.pem');
    writeFileSync(pem, r.json.pem);
    const chain = join(s.dir, 'chain.pem');
    assert.equal((await s.run(['ca', 'export', '--out', chain])).code, 0);
    const root = join(s.home, 'ca', 'root-oca.pem');
    const v = spawnSync('openssl', ['verify', '-CAfile', root, '-untrusted', chain, pem], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stdout + v.stderr);
    // Revoke it, then OpenSSL must see it revoked in the CRL.
    const rv = await s.run(['cert', 'revoke', r.json.serial, '--reason', 'keyCompromise', '--passphrase-file', s.pass, '--json']);
    assert.equal(rv.code, 0, rv.stderr);
    const crl = join(s.dir, 'crl.pem');
    assert.equal((await s.run(['crl', '--out', crl])).code, 0);
    assert.match(readFileSync(crl, 'utf8'), /^-----BEGIN X509 CRL-----/);
    const vr = spawnSync('openssl', ['verify', '-crl_check', '-CAfile', root, '-untrusted', chain, '-CRLfile', crl, pem], { encoding: 'utf8' });
    assert.notEqual(vr.status, 0);
    assert.match(vr.stdout + vr.stderr, /certificate revoked/);
    const text = execFileSync('openssl', ['crl', '-in', crl, '-noout', '-text'], { encoding: 'utf8' });
    assert.match(text, /X509v3 CRL Number/);
    assert.match(text, /Key Compromise/);
  });

  for (const profile of ['ds', 'ka']) {
    it(`refuses a SoLRContingency ${profile} request naming requirement 2, exit 3, registry unchanged`, async () => {
      const csr = await csrFile({ eui: SRP, ou: '02' });
      const before = registryDigest(s.home);
      const r = await issue(csr, profile);
      assert.equal(r.code, 3);
      const codes = r.json.reasons.map((x: { code: string }) => x.code);
      assert.ok(codes.includes('SOLR_CONTINGENCY_XML_SIGN_ONLY'));
      assert.ok(r.json.reasons.every((x: { requirement: string; code: string }) => x.code !== 'SOLR_CONTINGENCY_XML_SIGN_ONLY' || x.requirement === 'R2'));
      assert.equal(registryDigest(s.home), before);
    });
  }

  it('issues a Digital Signing certificate to a Supplier (OU 02)', async () => {
    const r = await issue(await csrFile({ eui: SUPPLIER, ou: '02' }), 'ds', SUPPLIER, s.supplierAro);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readOrganisationCertificate(r.json.pem).roleOu, '02');
  });

  const refusals: [string, () => Promise<string[]>, string][] = [
    ['a CSR whose EUI is not the Party\'s', async () => [await csrFile({ eui: SUPPLIER }), 'xml-sign'], 'CSR_EUI_MISMATCH'],
    ['a P-384 key', async () => [await csrFile({ eui: SRP, curve: 'P-384' }), 'xml-sign'], 'CSR_KEY_NOT_P256'],
    ['an RSA key', async () => [await csrFile({ eui: SRP, curve: 'rsa' }), 'xml-sign'], 'CSR_KEY_NOT_P256'],
  ];
  for (const [what, make, code] of refusals) {
    it(`refuses ${what} (${code}), exit 3, registry unchanged`, async () => {
      const [csr, profile] = await make();
      const before = registryDigest(s.home);
      const r = await issue(csr!, profile!);
      assert.equal(r.code, 3, r.stderr);
      assert.ok(r.json.reasons.some((x: { code: string }) => x.code === code), JSON.stringify(r.json));
      assert.equal(registryDigest(s.home), before);
    });
  }

  it('refuses a CSR with a bad signature', async () => {
    const c = await makeCsr({ eui: SRP });
    const der = Buffer.from(c.der);
    der[der.length - 5]! ^= 0x01; // inside the signature
    const f = join(s.dir, 'badsig.csr');
    writeFileSync(f, der);
    const r = await issue(f, 'xml-sign');
    assert.equal(r.code, 3, r.stderr);
    assert.ok(r.json.reasons.some((x: { code: string }) => x.code === 'CSR_SIGNATURE_INVALID'));
  });

  it('refuses a public key that is already certified', async () => {
    const c = await makeCsr({ eui: SRP });
    const f1 = join(s.dir, 'k1.csr');
    writeFileSync(f1, c.pem);
    assert.equal((await issue(f1, 'xml-sign')).code, 0);
    const again = await makeCsr({ eui: SRP, keyPair: { privateKey: c.privateKey, publicKey: c.publicKey } });
    const f2 = join(s.dir, 'k2.csr');
    writeFileSync(f2, again.pem);
    const r = await issue(f2, 'xml-sign');
    assert.equal(r.code, 3);
    assert.ok(r.json.reasons.some((x: { code: string }) => x.code === 'CSR_KEY_REUSED'));
  });

  it('refuses an inactive ARO, a foreign ARO and an SRO', async () => {
    for (const [officer, code] of [[s.nominatedAro, 'OFFICER_NOT_ACTIVE'], [s.otherAro, 'OFFICER_FOREIGN_PARTY'], [s.sro, 'OFFICER_NOT_ARO']] as const) {
      const before = registryDigest(s.home);
      const r = await issue(await csrFile({ eui: SRP }), 'xml-sign', SRP, officer);
      assert.equal(r.code, 3, `${officer}: ${r.stderr}`);
      assert.ok(r.json.reasons.some((x: { code: string }) => x.code === code), JSON.stringify(r.json));
      assert.equal(registryDigest(s.home), before);
    }
  });

  for (const [what, bytes] of [
    ['a truncated CSR', async () => (await makeCsr({ eui: SRP })).der.subarray(0, 60)],
    ['a garbage file', async () => Buffer.from('this is not a certificate request\n')],
    ['an empty file', async () => Buffer.alloc(0)],
    ['a truncated PEM', async () => Buffer.from((await makeCsr({ eui: SRP })).pem.slice(0, 200))],
  ] as const) {
    it(`rejects ${what}: exit 4, one-line error, registry unchanged`, async () => {
      const f = join(s.dir, `bad-${++n}.csr`);
      writeFileSync(f, await bytes());
      const before = registryDigest(s.home);
      const r = await s.run(['cert', 'issue', '--csr', f, '--profile', 'xml-sign', '--party', SRP, '--officer', s.aro, '--passphrase-file', s.pass]);
      assert.equal(r.code, 4, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
      assert.equal(registryDigest(s.home), before);
    });
  }

  it('a missing flag without a terminal is an error naming the flag (exit 4)', async () => {
    const r = await s.run(['cert', 'issue', '--profile', 'xml-sign', '--party', SRP, '--officer', s.aro]);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /missing --csr/);
  });

  it('a wrong passphrase is a one-line error and issues nothing', async () => {
    const bad = join(s.dir, 'wrong-pass');
    writeFileSync(bad, 'wrong\n');
    const before = registryDigest(s.home);
    const r = await s.run(['cert', 'issue', '--csr', await csrFile({ eui: SRP }), '--profile', 'xml-sign', '--party', SRP, '--officer', s.aro, '--passphrase-file', bad]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'smki: wrong passphrase for the Issuing OCA key (or its key file is damaged)\n');
    assert.equal(registryDigest(s.home), before);
  });

  it('cert list and show give the stored certificates; the audit chain verifies', async () => {
    const l = await s.run(['cert', 'list', '--party', SRP, '--json']);
    assert.equal(l.code, 0);
    assert.ok(l.json.items.length >= 3);
    const show = await s.run(['cert', 'show', l.json.items[0].serial, '--json']);
    assert.equal(show.json.serial, l.json.items[0].serial);
    const v = await s.run(['audit', 'verify', '--json']);
    assert.equal(v.code, 0);
    assert.equal(v.json.ok, true);
  });

  it('cert show decodes the certificate as openssl x509 -text does (issued ones and a real ZAZ1 one not in the registry), text and JSON', async () => {
    const l = await s.run(['cert', 'list', '--party', SRP, '--json']);
    assert.ok(l.json.items.length >= 1);
    const opensslFields = (pem: string) => textFields(execFileSync('openssl', ['x509', '-text', '-noout'], { input: pem }).toString());
    for (const item of l.json.items as { serial: string }[]) {
      const t = await s.run(['cert', 'show', item.serial]);
      assert.equal(t.code, 0, t.stderr);
      const pem = t.stdout.slice(t.stdout.indexOf('-----BEGIN CERTIFICATE-----'));
      const block = t.stdout.slice(t.stdout.indexOf('Certificate:\n'), t.stdout.indexOf('-----BEGIN CERTIFICATE-----'));
      // Field by field what openssl shows: version, serial, algorithms, names, validity, key, every extension, signature.
      assert.deepEqual([...textFields(block)], [...opensslFields(pem)], item.serial);
      assert.match(t.stdout, new RegExp(`^serial {6}${item.serial}\n`));
      assert.match(t.stdout, new RegExp(`\nentity ID {3}${SRP} \\(subject x500UniqueIdentifier\\)\n`));
      assert.match(t.stdout, /\npolicy {6}1\.2\.826\.0\.1\.8641679\.1\.2\.1\.4 \(SMKI Organisation Certificate Policy \(ZAZ1 test PKI\)\)\n/);
      const j = await s.run(['cert', 'show', item.serial, '--json']);
      assert.equal(j.code, 0, j.stderr);
      assert.deepEqual([j.json.registered, j.json.serial, j.json.certificate.serialNumber], [true, item.serial, item.serial]);
      const ext = (name: string) => j.json.certificate.extensions.find((e: { name: string }) => e.name === name);
      assert.deepEqual([ext('X509v3 Key Usage').critical, ext('X509v3 Certificate Policies').critical], [true, true]);
      assert.deepEqual(ext('X509v3 Key Usage').value.keyUsage, [j.json.keyUsage]);
      assert.match(ext('X509v3 Subject Key Identifier').value.keyIdentifier, /^[0-9A-F]{16}$/);
      assert.match(ext('X509v3 Authority Key Identifier').value.keyIdentifier, /^[0-9A-F]{16}$/);
      assert.deepEqual(j.json.certificate.subject.entries.find((e: { type: string }) => e.type === 'x500UniqueIdentifier').entityId, SRP);
      assert.deepEqual([j.json.certificate.publicKey.curve, j.json.certificate.publicKey.nistCurve, j.json.certificate.publicKey.bits], ['prime256v1', 'P-256', 256]);
      assert.match(j.json.certificate.publicKey.point, /^04[0-9A-F]{128}$/);
    }
    // A real ZAZ1 certificate this registry does not hold: decoded, and said to be unregistered (exit 0).
    const z1 = join(process.cwd(), 'fixtures', 'public', 'smki-certs', 'Z1-supplier-ds.pem');
    const u = await s.run(['cert', 'show', z1]);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout, /^serial {6}4FBC525201A1D7586C1BC1C4734DEB9F\nregistry {4}not in this registry \(decoded from .*Z1-supplier-ds\.pem\)\nvalidity .* \(expired\)\nentity ID {3}90B3D51F30010000 /);
    assert.deepEqual([...textFields(u.stdout.slice(u.stdout.indexOf('Certificate:\n'), u.stdout.indexOf('-----BEGIN')))], [...opensslFields(readFileSync(z1, 'utf8'))]);
    const uj = await s.run(['cert', 'show', z1, '--json']);
    assert.deepEqual([uj.json.registered, uj.json.status, uj.json.expired, uj.json.userId, uj.json.ou, uj.json.profile], [false, 'unregistered', true, '90B3D51F30010000', '02', null]);
    // An unknown serial and a file that is not a certificate are exit 4, one line.
    const unknown = await s.run(['cert', 'show', '0A0B0C']);
    assert.equal(unknown.code, 4);
    assert.match(unknown.stderr, /no certificate with serial 0A0B0C/);
    const notCert = join(s.dir, 'not-a-cert.pem');
    writeFileSync(notCert, '-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n');
    const bad = await s.run(['cert', 'show', notCert]);
    assert.equal(bad.code, 4, bad.stderr);
    assert.match(bad.stderr, /not-a-cert\.pem: not a DER X\.509 certificate/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  });
});
