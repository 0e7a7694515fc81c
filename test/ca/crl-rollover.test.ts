// After an Issuing OCA key rollover (smki ca issue-issuing), a certificate issued under the old key is
// still revocable: the retired Issuing OCA's own key signs a CRL of the certificates it issued (issue
// 11), which openssl checks against the old Issuing OCA certificate, as a relying party does.
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCsr } from '../support/csr.js';
import { openssl, opensslAvailable } from '../support/ca-chain.js';
import { setupScenario, SRP, type Scenario } from '../support/scenario.js';

(opensslAvailable() ? describe : describe.skip)('ca: CRLs after an Issuing OCA rollover', function () {
  this.timeout(120_000);
  let s: Scenario;
  const ok = async (args: string[]) => {
    const r = await s.run([...args, '--json']);
    assert.equal(r.code, 0, `${args.join(' ')} -> ${r.code}: ${r.stderr}`);
    return r.json;
  };
  const issue = async (name: string) => {
    const csr = await makeCsr({ eui: SRP, keyPair: generateKeyPairSync('ec', { namedCurve: 'P-256' }) });
    const f = join(s.dir, `${name}.csr`);
    writeFileSync(f, csr.pem);
    const c = await ok(['cert', 'issue', '--csr', f, '--profile', 'xml-sign', '--party', SRP, '--officer', s.aro, '--passphrase-file', s.pass]);
    writeFileSync(join(s.dir, `${name}.pem`), c.pem);
    return c.serial as string;
  };
  /** openssl verify with CRL checks of `cert` against the Root and `issuing` with `crl`. */
  const verify = (cert: string, issuing: string, crl: string) =>
    openssl(['verify', '-crl_check', '-CAfile', 'root.pem', '-untrusted', issuing, '-CRLfile', crl, cert], s.dir);

  let oldIssuing: string;
  let oldCert: string;
  let newCert: string;
  before(async () => {
    s = await setupScenario();
    const chain = await ok(['ca', 'export']);
    oldIssuing = chain.issuing.serial;
    writeFileSync(join(s.dir, 'root.pem'), chain.root.pem);
    writeFileSync(join(s.dir, 'old-issuing.pem'), chain.issuing.pem);
    oldCert = await issue('old');
    await ok(['ca', 'issue-issuing', '--root-passphrase-file', s.pass, '--passphrase-file', s.pass]);
    writeFileSync(join(s.dir, 'new-issuing.pem'), (await ok(['ca', 'export'])).issuing.pem);
    newCert = await issue('new');
  });
  after(() => s.cleanup());

  it("the rollover leaves a CRL signed by the old key; the old certificate verifies against it until it is revoked", async () => {
    const crl = await ok(['crl', '--issuer', oldIssuing, '--out', join(s.dir, 'old-0.crl')]);
    assert.equal(typeof crl.number, 'number');
    const v = verify('old.pem', 'old-issuing.pem', 'old-0.crl');
    assert.equal(v.status, 0, v.out);
  });

  it('a certificate issued under the old key is revoked in the CRL its own Issuing OCA signs (openssl: certificate revoked)', async () => {
    await ok(['cert', 'revoke', oldCert, '--reason', 'keyCompromise', '--passphrase-file', s.pass]);
    await ok(['crl', '--issuer', oldIssuing, '--out', join(s.dir, 'old.crl')]);
    await ok(['crl', '--out', join(s.dir, 'current.crl')]);
    const revoked = verify('old.pem', 'old-issuing.pem', 'old.crl');
    assert.notEqual(revoked.status, 0);
    assert.match(revoked.out, /certificate revoked/);
    // The current Issuing OCA's CRL is no CRL for the old certificate: its signature is the new key's.
    const wrongKey = verify('old.pem', 'old-issuing.pem', 'current.crl');
    assert.notEqual(wrongKey.status, 0);
    assert.doesNotMatch(wrongKey.out, /: OK/);
    // The certificate issued under the new key is unaffected, checked with the current CRL.
    const fresh = verify('new.pem', 'new-issuing.pem', 'current.crl');
    assert.equal(fresh.status, 0, fresh.out);
    void newCert;
  });

  it('the old CRL lists only the old Issuing OCA certificates; audit verify passes', async () => {
    await ok(['cert', 'revoke', newCert, '--reason', 'superseded', '--passphrase-file', s.pass]);
    await ok(['crl', '--issuer', oldIssuing, '--out', join(s.dir, 'old-2.crl')]);
    const text = openssl(['crl', '-in', 'old-2.crl', '-noout', '-text'], s.dir).out.replace(/\s+/g, '');
    assert.ok(text.includes(`SerialNumber:${oldCert}`), text);
    assert.ok(!text.includes(`SerialNumber:${newCert}`), text);
    assert.equal((await s.run(['audit', 'verify'])).code, 0);
  });

  it('an unknown --issuer is bad input (exit 4)', async () => {
    assert.equal((await s.run(['crl', '--issuer', '00'])).code, 4);
  });
});
