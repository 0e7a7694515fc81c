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
import { setupScenario, SRP, type Scenario } from '../support/scenario.js';

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
});
