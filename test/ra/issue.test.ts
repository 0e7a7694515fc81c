import { strict as assert } from 'node:assert';
import { IssuingAuthority } from '../../src/ca/authority.js';
import { loadCatalogue } from '../../src/config/catalogue.js';
import { parseEui64 } from '../../src/domain/eui.js';
import { PolicyRefusal, RegistryBusyError } from '../../src/domain/errors.js';
import { changeOfficerStatus } from '../../src/ra/officers.js';
import { CsrPool } from '../../src/ca/csr-pool.js';
import { issueCertificate, issueCertificates, issueCertificatesWithWorkers, spkiFingerprint } from '../../src/ra/issue.js';
import { findCertificate, listCertificates } from '../../src/registry/certificates.js';
import { Registry } from '../../src/registry/registry.js';
import { readFileSync } from 'node:fs';
import { createPublicKey, verify } from 'node:crypto';
import { lintOrganisationCertificate } from '../../src/ca/lint.js';
import { readCaCertificate, readOrganisationCertificate } from '../../src/ca/organisation-certificate.js';
import { makeCsr } from '../support/csr.js';
import { setupScenario, SRP, SUPPLIER, type Scenario } from '../support/scenario.js';
import { actAs, officerSignerOf, operatorSigner } from '../support/keys.js';
import { SqliteDriver } from '../../src/registry/sqlite-driver.js';

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

  it('a crash between signing and storing leaves nothing half-done: no certificate, no certified key, no audit record', async () => {
    const csr = (await makeCsr({ eui: SRP })).der;
    const before = listCertificates(reg).length;
    const audit = reg.audit.tail(1)[0]!.seq;
    const original = ca.signOrganisationCertificate.bind(ca);
    ca.signOrganisationCertificate = () => { throw new Error('power cut'); };
    try {
      assert.throws(() => issueCertificate(reg, ca, catalogue, { csr, profile: 'xml-sign', party: srp, officerId: s.aro, officer: officerSignerOf(s.home, s.aro) }), /power cut/);
    } finally {
      ca.signOrganisationCertificate = original;
    }
    assert.equal(listCertificates(reg).length, before);
    const keys = reg.db.prepare('SELECT COUNT(*) AS n FROM certified_keys WHERE serial NOT IN (SELECT serial FROM certificates)').get() as { n: number };
    assert.equal(keys.n, 0);
    assert.equal((reg.db.prepare('SELECT COUNT(*) AS n FROM certified_keys').get() as { n: number }).n, before);
    assert.equal(reg.audit.tail(1)[0]!.seq, audit);
    assert.deepEqual(reg.audit.verify().problems, []);
    // The same CSR can be issued afterwards: nothing half-done blocks it.
    const c = issueCertificate(reg, ca, catalogue, { csr, profile: 'xml-sign', party: srp, officerId: s.aro, officer: officerSignerOf(s.home, s.aro) });
    assert.equal(c.status, 'valid');
  });

  it('an ARO suspended by another process during a batch gets no certificate after the suspension committed', async () => {
    const other = Registry.open(s.home);
    const csrs = await Promise.all(Array.from({ length: 6 }, () => makeCsr({ eui: SRP })));
    const aro = (await s.run(['officer', 'add', '--party', SRP, '--kind', 'aro', '--name', 'Mid Batch', '--nominated-by', s.sro, ...actAs('ra1'), '--json'])).json.id as string;
    assert.equal((await s.run(['officer', 'activate', aro, ...actAs('ra1')])).code, 0);
    const original = ca.signOrganisationCertificate.bind(ca);
    let signed = 0;
    let suspendedInBetween = false;
    const busyWait = process.env.SMKI_BUSY_WAIT_MS;
    ca.signOrganisationCertificate = (t, c) => {
      if (++signed === 3) {
        // Another process suspends the ARO while the batch is under way (if the registry lets it).
        (other.db as SqliteDriver).native.pragma('busy_timeout = 0');
        process.env.SMKI_BUSY_WAIT_MS = '0';
        try {
          changeOfficerStatus(other, aro, 'suspend', operatorSigner('ra2'));
          suspendedInBetween = true;
        } catch (e) {
          assert.ok(e instanceof RegistryBusyError, String(e));
        } finally {
          if (busyWait === undefined) delete process.env.SMKI_BUSY_WAIT_MS;
          else process.env.SMKI_BUSY_WAIT_MS = busyWait;
        }
      }
      return original(t, c);
    };
    let out;
    try {
      out = issueCertificates(reg, ca, catalogue, csrs.map((c) => ({ csr: c.der, profile: 'xml-sign' as const, party: srp, officerId: aro, officer: officerSignerOf(s.home, aro) })));
    } finally {
      ca.signOrganisationCertificate = original;
    }
    if (!suspendedInBetween) changeOfficerStatus(other, aro, 'suspend', operatorSigner('ra2'));
    other.close();
    const records = reg.db.prepare("SELECT seq, action FROM audit WHERE actor = ? OR subject = ? ORDER BY seq").all(aro, aro) as { seq: number; action: string }[];
    const suspendedAt = records.find((r) => r.action === 'officer.suspend')!.seq;
    const issuedAfter = records.filter((r) => r.action === 'cert.issue' && r.seq > suspendedAt);
    assert.deepEqual(issuedAfter, [], 'certificates issued on a suspended ARO\'s authority');
    const issuedCount = out.filter((o) => o.ok).length;
    assert.equal(records.filter((r) => r.action === 'cert.issue').length, issuedCount);
    assert.deepEqual(reg.audit.verify().problems, []);
  });

  it('a LINT_FAILED refusal leaves no certified key and no audit record', async () => {
    // A 65-character CN passes the RA but not the signer's lint (RFC 5280 ub-common-name).
    const csr = (await makeCsr({ eui: SRP, commonName: 'x'.repeat(65) })).der;
    const keys = (reg.db.prepare('SELECT COUNT(*) AS n FROM certified_keys').get() as { n: number }).n;
    const audit = reg.audit.tail(1)[0]!.seq;
    assert.throws(() => issueCertificate(reg, ca, catalogue, { csr, profile: 'xml-sign', party: srp, officerId: s.aro, officer: officerSignerOf(s.home, s.aro) }),
      (e: Error) => e instanceof PolicyRefusal && e.reasons.some((r) => r.code === 'LINT_FAILED'));
    assert.equal((reg.db.prepare('SELECT COUNT(*) AS n FROM certified_keys').get() as { n: number }).n, keys);
    assert.equal(reg.audit.tail(1)[0]!.seq, audit);
  });

  it('a batch decides each request on its own and stores the approved ones with one commit', async () => {
    const good = await makeCsr({ eui: SRP });
    const out = issueCertificates(reg, ca, catalogue, [
      { csr: good.der, profile: 'xml-sign', party: srp, officerId: s.aro, officer: officerSignerOf(s.home, s.aro) },
      { csr: (await makeCsr({ eui: SRP, ou: '02' })).der, profile: 'ds', party: srp, officerId: s.aro, officer: officerSignerOf(s.home, s.aro) },
      { csr: Buffer.from('garbage'), profile: 'xml-sign', party: srp, officerId: s.aro, officer: officerSignerOf(s.home, s.aro) },
      { csr: good.der, profile: 'xml-sign', party: srp, officerId: s.aro, officer: officerSignerOf(s.home, s.aro) },
    ]);
    assert.equal(out[0]!.ok, true);
    assert.ok(!out[1]!.ok && out[1]!.error instanceof PolicyRefusal && out[1]!.error.reasons.some((r) => r.code === 'SOLR_CONTINGENCY_XML_SIGN_ONLY'));
    assert.ok(!out[2]!.ok && out[2]!.error.exitStatus === 4);
    assert.ok(!out[3]!.ok && out[3]!.error instanceof PolicyRefusal && out[3]!.error.reasons.some((r) => r.code === 'CSR_KEY_REUSED'));
    assert.deepEqual(reg.audit.verify().problems, []);
  });

  it('a batch whose CSRs are read by worker threads decides exactly as one read here (malformed, refused, reused key, bad proof of possession)', async () => {
    const good = await makeCsr({ eui: SRP });
    const forged = Buffer.from((await makeCsr({ eui: SRP })).der);
    forged[forged.length - 5] ^= 0x01; // inside the signature: the CSR no longer proves possession of its key
    const batch = () => [good.der, forged, Buffer.from('garbage'), good.der].map((csr) => ({ csr, profile: 'xml-sign' as const, party: srp, officerId: s.aro, officer: officerSignerOf(s.home, s.aro) }));
    const summary = (out: ReturnType<typeof issueCertificates>) => out.map((o) => (o.ok ? 'ok' : o.error instanceof PolicyRefusal ? o.error.reasons.map((r) => r.code).join(' ') : `exit ${o.error.exitStatus}`));
    const pool = new CsrPool(2, 1);
    let parallel;
    try {
      parallel = await issueCertificatesWithWorkers(reg, ca, catalogue, batch(), pool, 3);
    } finally {
      await pool.close();
    }
    assert.deepEqual(summary(parallel), ['ok', 'CSR_SIGNATURE_INVALID', 'exit 4', 'CSR_KEY_REUSED']);
    // The same requests read here: the same decisions (the good key is now certified, so reused).
    assert.deepEqual(summary(issueCertificates(reg, ca, catalogue, batch())), ['CSR_KEY_REUSED', 'CSR_SIGNATURE_INVALID', 'exit 4', 'CSR_KEY_REUSED']);
    assert.equal(parallel[0]!.ok && parallel[0]!.certificate.spkiSha256, spkiFingerprint(good.publicKey.export({ format: 'der', type: 'spki' })));
    assert.deepEqual(reg.audit.verify().problems, []);
  });

  it("a batch built, linted and signed by the CA's signing workers decides as in this thread, in order, and stores what it signed", async () => {
    // Fresh keys for each run: good, the same key again, a CN only lint refuses, garbage, a ds request (the CA's own role rule).
    const batch = async () => {
      const good = (await makeCsr({ eui: SRP })).der;
      const longCn = (await makeCsr({ eui: SRP, commonName: 'x'.repeat(65) })).der;
      const ds = (await makeCsr({ eui: SRP, ou: '02' })).der;
      const later = (await makeCsr({ eui: SRP })).der;
      return ([[good, 'xml-sign'], [good, 'xml-sign'], [longCn, 'xml-sign'], [Buffer.from('garbage'), 'xml-sign'], [ds, 'ds'], [later, 'xml-sign']] as const)
        .map(([csr, profile]) => ({ csr, profile, party: srp, officerId: s.aro, officer: officerSignerOf(s.home, s.aro) }));
    };
    const summary = (out: ReturnType<typeof issueCertificates>) => out.map((o) => (o.ok ? 'ok' : o.error instanceof PolicyRefusal ? [...new Set(o.error.reasons.map((r) => r.code))].join(' ') : `exit ${o.error.exitStatus}`));
    const here = summary(issueCertificates(reg, ca, catalogue, await batch()));
    const withWorkers = IssuingAuthority.unlock(reg, Buffer.from(readFileSync(s.pass, 'utf8').trim()), catalogue);
    assert.equal(await withWorkers.startSigningWorkers(2), true);
    const seqBefore = reg.audit.tail(1)[0]!.seq;
    let out: ReturnType<typeof issueCertificates>;
    try {
      out = issueCertificates(reg, withWorkers, catalogue, await batch());
    } finally {
      await withWorkers.stopSigningWorkers();
    }
    assert.deepEqual(summary(out), here);
    assert.deepEqual(here, ['ok', 'CSR_KEY_REUSED', 'LINT_FAILED', 'exit 4', 'CSR_OU_MISMATCH ROLE_PROFILE_FORBIDDEN SOLR_CONTINGENCY_XML_SIGN_ONLY', 'ok']);
    // Each certificate as stored is the one signed: it verifies under the Issuing OCA key and lints clean; audit records in request order.
    const issued = out.flatMap((o) => (o.ok ? [o.certificate] : []));
    const caKey = createPublicKey({ key: readCaCertificate(ca.certificateDer).spkiDer, format: 'der', type: 'spki' });
    for (const c of issued) {
      const signed = readOrganisationCertificate(c.der);
      assert.ok(verify('sha256', signed.tbsDer, caKey, signed.signatureDer), c.serial);
      assert.deepEqual(lintOrganisationCertificate(c.der), []);
      assert.ok(findCertificate(reg, c.serial)!.der.equals(c.der));
    }
    const records = reg.db.prepare("SELECT subject FROM audit WHERE seq > ? AND action = 'cert.issue' ORDER BY seq").pluck().all(seqBefore);
    assert.deepEqual(records, issued.map((c) => c.serial));
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
      assert.deepEqual(refusal(() => issueCertificate(reg, ca, catalogue, { csr, profile: 'xml-sign', party: srp, officerId: s.aro, officer: officerSignerOf(s.home, s.aro) })), ['CSR_OU_MISMATCH']);
      assert.equal(listCertificates(reg).length, before);
    });

    it('an xml-sign request whose CSR asks for keyAgreement is refused CSR_KEY_USAGE_MISMATCH', async () => {
      const csr = (await makeCsr({ eui: SRP, requestKeyUsage: ['keyAgreement'] })).der;
      assert.deepEqual(refusal(() => issueCertificate(reg, ca, catalogue, { csr, profile: 'xml-sign', party: srp, officerId: s.aro, officer: officerSignerOf(s.home, s.aro) })), ['CSR_KEY_USAGE_MISMATCH']);
      const two = (await makeCsr({ eui: SRP, requestKeyUsage: ['digitalSignature', 'nonRepudiation'] })).der;
      assert.deepEqual(refusal(() => issueCertificate(reg, ca, catalogue, { csr: two, profile: 'xml-sign', party: srp, officerId: s.aro, officer: officerSignerOf(s.home, s.aro) })), ['CSR_KEY_USAGE_MISMATCH']);
    });

    it('a CSR without an OU is refused; one asking for exactly the profile (OU and single bit) is issued', async () => {
      const csr = (await makeCsr({ eui: SRP, ou: '' })).der;
      assert.ok(refusal(() => issueCertificate(reg, ca, catalogue, { csr, profile: 'xml-sign', party: srp, officerId: s.aro, officer: officerSignerOf(s.home, s.aro) })).includes('CSR_OU_MISMATCH'));
      const exact = (await makeCsr({ eui: SRP, requestKeyUsage: ['digitalSignature'] })).der;
      assert.equal(issueCertificate(reg, ca, catalogue, { csr: exact, profile: 'xml-sign', party: srp, officerId: s.aro, officer: officerSignerOf(s.home, s.aro) }).roleOu, '87');
    });

    it("a Supplier's ds CSR must say OU 02 and a ka CSR keyAgreement; OU 87 for ds is refused", async () => {
      const ds = (await makeCsr({ eui: SUPPLIER, ou: '02', requestKeyUsage: ['digitalSignature'] })).der;
      assert.equal(issueCertificate(reg, ca, catalogue, { csr: ds, profile: 'ds', party: supplier, officerId: s.supplierAro, officer: officerSignerOf(s.home, s.supplierAro) }).roleOu, '02');
      const ka = (await makeCsr({ eui: SUPPLIER, ou: '02', requestKeyUsage: ['keyAgreement'] })).der;
      assert.equal(issueCertificate(reg, ca, catalogue, { csr: ka, profile: 'ka', party: supplier, officerId: s.supplierAro, officer: officerSignerOf(s.home, s.supplierAro) }).keyUsage, 'keyAgreement');
      const wrong = (await makeCsr({ eui: SUPPLIER, ou: '87' })).der;
      assert.deepEqual(refusal(() => issueCertificate(reg, ca, catalogue, { csr: wrong, profile: 'ds', party: supplier, officerId: s.supplierAro, officer: officerSignerOf(s.home, s.supplierAro) })), ['CSR_OU_MISMATCH']);
      const kaAsDs = (await makeCsr({ eui: SUPPLIER, ou: '02', requestKeyUsage: ['digitalSignature'] })).der;
      assert.deepEqual(refusal(() => issueCertificate(reg, ca, catalogue, { csr: kaAsDs, profile: 'ka', party: supplier, officerId: s.supplierAro, officer: officerSignerOf(s.home, s.supplierAro) })), ['CSR_KEY_USAGE_MISMATCH']);
    });
  });

});
