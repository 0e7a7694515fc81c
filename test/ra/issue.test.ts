import { strict as assert } from 'node:assert';
import { IssuingAuthority } from '../../src/ca/authority.js';
import { loadCatalogue } from '../../src/config/catalogue.js';
import { parseEui64 } from '../../src/domain/eui.js';
import { PolicyRefusal } from '../../src/domain/errors.js';
import { issueCertificate, issueCertificates } from '../../src/ra/issue.js';
import { listCertificates } from '../../src/registry/certificates.js';
import { Registry } from '../../src/registry/registry.js';
import { readFileSync } from 'node:fs';
import { makeCsr } from '../support/csr.js';
import { setupScenario, SRP, SUPPLIER, type Scenario } from '../support/scenario.js';

describe('ra/issue: the issuance pipeline', () => {
  let s: Scenario;
  let reg: Registry;
  let ca: IssuingAuthority;
  const catalogue = loadCatalogue();
  const srp = parseEui64(SRP);
  before(async () => {
    s = await setupScenario();
    reg = Registry.open(s.home);
    ca = IssuingAuthority.unlock(reg, Buffer.from(readFileSync(s.pass, 'utf8').trim()), catalogue);
  });
  after(() => { reg.close(); s.cleanup(); });

  it('a crash between recording the serial and storing the certificate leaves no half-issued certificate', async () => {
    const csr = (await makeCsr({ eui: SRP })).der;
    const before = listCertificates(reg).length;
    const original = ca.signOrganisationCertificate.bind(ca);
    ca.signOrganisationCertificate = () => { throw new Error('power cut'); };
    try {
      assert.throws(() => issueCertificate(reg, ca, catalogue, { csr, profile: 'xml-sign', party: srp, officerId: s.aro }), /power cut/);
    } finally {
      ca.signOrganisationCertificate = original;
    }
    assert.equal(listCertificates(reg).length, before);
    const reserved = reg.db.prepare('SELECT COUNT(*) AS n FROM serials WHERE serial NOT IN (SELECT serial FROM certificates)').get() as { n: number };
    assert.equal(reserved.n, 1, 'the serial stays reserved and is never reused');
    assert.deepEqual(reg.audit.verify().problems, []);
    // The same CSR can be issued afterwards: nothing half-done blocks it.
    const c = issueCertificate(reg, ca, catalogue, { csr, profile: 'xml-sign', party: srp, officerId: s.aro });
    assert.equal(c.status, 'valid');
  });

  it('a batch decides each request on its own and stores the approved ones with one commit', async () => {
    const good = await makeCsr({ eui: SRP });
    const out = issueCertificates(reg, ca, catalogue, [
      { csr: good.der, profile: 'xml-sign', party: srp, officerId: s.aro },
      { csr: (await makeCsr({ eui: SRP, ou: '02' })).der, profile: 'ds', party: srp, officerId: s.aro },
      { csr: Buffer.from('garbage'), profile: 'xml-sign', party: srp, officerId: s.aro },
      { csr: good.der, profile: 'xml-sign', party: srp, officerId: s.aro },
    ]);
    assert.equal(out[0]!.ok, true);
    assert.ok(!out[1]!.ok && out[1]!.error instanceof PolicyRefusal && out[1]!.error.reasons.some((r) => r.code === 'SOLR_CONTINGENCY_XML_SIGN_ONLY'));
    assert.ok(!out[2]!.ok && out[2]!.error.exitStatus === 4);
    assert.ok(!out[3]!.ok && out[3]!.error instanceof PolicyRefusal && out[3]!.error.reasons.some((r) => r.code === 'CSR_KEY_REUSED'));
    assert.deepEqual(reg.audit.verify().problems, []);
  });

  describe('the CSR says what it asks for (SEC Appendix M): a differing OU or Key Usage is refused, never rewritten', () => {
    const refusal = (f: () => unknown): string[] => {
      try {
        f();
      } catch (e) {
        if (e instanceof PolicyRefusal) return e.reasons.map((r) => r.code);
        throw e;
      }
      assert.fail('issued');
    };
    const supplier = parseEui64(SUPPLIER);

    it('an xml-sign request whose CSR subject OU is 02 (supplier) is refused CSR_OU_MISMATCH', async () => {
      const before = listCertificates(reg).length;
      const csr = (await makeCsr({ eui: SRP, ou: '02' })).der;
      assert.deepEqual(refusal(() => issueCertificate(reg, ca, catalogue, { csr, profile: 'xml-sign', party: srp, officerId: s.aro })), ['CSR_OU_MISMATCH']);
      assert.equal(listCertificates(reg).length, before);
    });

    it('an xml-sign request whose CSR asks for keyAgreement is refused CSR_KEY_USAGE_MISMATCH', async () => {
      const csr = (await makeCsr({ eui: SRP, requestKeyUsage: ['keyAgreement'] })).der;
      assert.deepEqual(refusal(() => issueCertificate(reg, ca, catalogue, { csr, profile: 'xml-sign', party: srp, officerId: s.aro })), ['CSR_KEY_USAGE_MISMATCH']);
      const two = (await makeCsr({ eui: SRP, requestKeyUsage: ['digitalSignature', 'nonRepudiation'] })).der;
      assert.deepEqual(refusal(() => issueCertificate(reg, ca, catalogue, { csr: two, profile: 'xml-sign', party: srp, officerId: s.aro })), ['CSR_KEY_USAGE_MISMATCH']);
    });

    it('a CSR without an OU is refused; one asking for exactly the profile (OU and single bit) is issued', async () => {
      const csr = (await makeCsr({ eui: SRP, ou: '' })).der;
      assert.ok(refusal(() => issueCertificate(reg, ca, catalogue, { csr, profile: 'xml-sign', party: srp, officerId: s.aro })).includes('CSR_OU_MISMATCH'));
      const exact = (await makeCsr({ eui: SRP, requestKeyUsage: ['digitalSignature'] })).der;
      assert.equal(issueCertificate(reg, ca, catalogue, { csr: exact, profile: 'xml-sign', party: srp, officerId: s.aro }).roleOu, '87');
    });

    it("a Supplier's ds CSR must say OU 02 and a ka CSR keyAgreement; OU 87 for ds is refused", async () => {
      const ds = (await makeCsr({ eui: SUPPLIER, ou: '02', requestKeyUsage: ['digitalSignature'] })).der;
      assert.equal(issueCertificate(reg, ca, catalogue, { csr: ds, profile: 'ds', party: supplier, officerId: s.supplierAro }).roleOu, '02');
      const ka = (await makeCsr({ eui: SUPPLIER, ou: '02', requestKeyUsage: ['keyAgreement'] })).der;
      assert.equal(issueCertificate(reg, ca, catalogue, { csr: ka, profile: 'ka', party: supplier, officerId: s.supplierAro }).keyUsage, 'keyAgreement');
      const wrong = (await makeCsr({ eui: SUPPLIER, ou: '87' })).der;
      assert.deepEqual(refusal(() => issueCertificate(reg, ca, catalogue, { csr: wrong, profile: 'ds', party: supplier, officerId: s.supplierAro })), ['CSR_OU_MISMATCH']);
      const kaAsDs = (await makeCsr({ eui: SUPPLIER, ou: '02', requestKeyUsage: ['digitalSignature'] })).der;
      assert.deepEqual(refusal(() => issueCertificate(reg, ca, catalogue, { csr: kaAsDs, profile: 'ka', party: supplier, officerId: s.supplierAro })), ['CSR_KEY_USAGE_MISMATCH']);
    });
  });

});
