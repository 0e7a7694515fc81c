import { strict as assert } from 'node:assert';
import { X509Certificate, generateKeyPairSync, sign as cryptoSign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { carriedCrlEntries, IssuingAuthority, newSerial, openFileKey, OrganisationBatch, signerChecks, type SignContext } from '../../src/ca/authority.js';
import { CaSigningWorkers } from '../../src/ca/sign-pool.js';
import { assembleCrl, buildCrlTbs, RevocationReason } from '../../src/ca/crl.js';
import { lintCrlTbs } from '../../src/ca/crl-lint.js';
import { readCaCertificate, type OrganisationCertificateTemplate } from '../../src/ca/organisation-certificate.js';
import { rawSignatureToDer, type SignatureEncoding, type Signer } from '../../src/ca/signer.js';
import { TAG, children, decodeSigned, readWhole, sequence, tlv, whole } from '../../src/ca/asn1.js';
import { loadCatalogue, type Catalogue } from '../../src/config/catalogue.js';
import { PolicyRefusal } from '../../src/domain/errors.js';
import { parseEui64, type Eui64 } from '../../src/domain/eui.js';
import type { ReasonCode } from '../../src/domain/reasons.js';
import { Registry } from '../../src/registry/registry.js';
import { setupScenario, SRP, SUPPLIER, type Scenario } from '../support/scenario.js';

/** Wraps a Signer and counts what it was asked to sign: a refusal must leave the count unchanged. */
class CountingSigner implements Signer {
  calls = 0;
  constructor(private readonly inner: Signer) {}
  get spkiDer(): Buffer { return this.inner.spkiDer; }
  get label(): string { return this.inner.label; }
  sign(data: Buffer, encoding: SignatureEncoding): Buffer {
    this.calls++;
    return this.inner.sign(data, encoding);
  }
}

function refusedWith(codes: ReasonCode[]) {
  return (e: unknown) => {
    assert.ok(e instanceof PolicyRefusal, String(e));
    for (const c of codes) assert.ok(e.reasons.some((r) => r.code === c), `expected ${c} in ${e.message}`);
    return true;
  };
}

describe('ca/authority: the issuing CA decides for itself', () => {
  let s: Scenario;
  let reg: Registry;
  let signer: CountingSigner;
  let ca: IssuingAuthority;
  const catalogue = loadCatalogue();
  const srp = parseEui64(SRP);
  const supplier = parseEui64(SUPPLIER);

  before(async () => {
    s = await setupScenario();
    reg = Registry.open(s.home);
    signer = new CountingSigner(openFileKey(reg.paths.issuingKey, Buffer.from(readFileSync(s.pass, 'utf8').trim()), 'Issuing OCA key'));
    ca = IssuingAuthority.open(reg, signer, catalogue);
  });
  after(() => { reg.close(); s.cleanup(); });

  const template = (eui: Eui64, ou: string, keyUsage: 'digitalSignature' | 'keyAgreement' = 'digitalSignature'): OrganisationCertificateTemplate => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    return {
      serial: newSerial(),
      issuerNameDer: ca.nameDer,
      subject: { ou, eui },
      spkiDer: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' }),
      keyUsage,
      policyOid: catalogue.ca.policyOid,
      notBefore: now,
      notAfter: new Date(now.getTime() + 365 * 86_400_000),
      authorityKeyId: ca.keyId,
    };
  };

  const refusedUnsigned = (fn: () => unknown, codes: ReasonCode[]) => {
    const before = signer.calls;
    assert.throws(fn, refusedWith(codes));
    assert.equal(signer.calls, before, 'the key was not used');
  };

  it('refuses a Digital Signing certificate for a SoLRContingency User ID when the caller claims another role', () => {
    // The caller says "ImportSupplier, ds": the CA asks the registry, finds SoLRContingency, refuses.
    const wrong: SignContext = { role: 'IS', profile: 'ds' };
    refusedUnsigned(() => ca.signOrganisationCertificate(template(srp, '02'), wrong), ['SOLR_CONTINGENCY_XML_SIGN_ONLY', 'SIGNER_CONTEXT_MISMATCH']);
    refusedUnsigned(() => ca.signOrganisationCertificate(template(srp, '02', 'keyAgreement'), { role: 'IS', profile: 'ka' }), ['SOLR_CONTINGENCY_XML_SIGN_ONLY']);
  });

  it('refuses OU 87 certificates for SoLRContingency claimed as another profile, and a role claim that is merely wrong', () => {
    refusedUnsigned(() => ca.signOrganisationCertificate(template(srp, '87'), { role: 'SC', profile: 'ds' }), ['ROLE_PROFILE_FORBIDDEN']);
    refusedUnsigned(() => ca.signOrganisationCertificate(template(supplier, '87'), { role: 'SC', profile: 'xml-sign' }), ['SIGNER_CONTEXT_MISMATCH']);
  });

  it('holds the SoLRContingency rule in code even when its configuration grants Digital Signing', () => {
    const opened: Catalogue = { ...catalogue, roles: new Map(catalogue.roles) };
    opened.roles.set('SC', { ...catalogue.roles.get('SC')!, profiles: ['xml-sign', 'ds', 'ka'], remotePartyRole: '02' });
    const lax = IssuingAuthority.open(reg, signer, opened);
    refusedUnsigned(() => lax.signOrganisationCertificate(template(srp, '02'), { role: 'SC', profile: 'ds' }), ['SOLR_CONTINGENCY_XML_SIGN_ONLY']);
  });

  it('refuses a subject that is no registered User ID', () => {
    refusedUnsigned(() => ca.signOrganisationCertificate(template(parseEui64('90B3D51F3FFFFFFF'), '87'), { role: 'SC', profile: 'xml-sign' }), ['PARTY_UNKNOWN']);
  });

  it('lints the TBS against its own facts (policy, issuer, authority key), not the template', () => {
    refusedUnsigned(() => ca.signOrganisationCertificate({ ...template(srp, '87'), policyOid: '1.2.3.4' }, { role: 'SC', profile: 'xml-sign' }), ['LINT_FAILED']);
    refusedUnsigned(() => ca.signOrganisationCertificate({ ...template(srp, '87'), authorityKeyId: Buffer.alloc(8, 7) }, { role: 'SC', profile: 'xml-sign' }), ['LINT_FAILED']);
    const rootName = readCaCertificate(ca.certificateDer).issuerNameDer;
    refusedUnsigned(() => ca.signOrganisationCertificate({ ...template(srp, '87'), issuerNameDer: rootName }, { role: 'SC', profile: 'xml-sign' }), ['LINT_FAILED']);
  });

  it('signs a SoLRContingency XML-signing certificate that verifies under the Issuing OCA', () => {
    const der = ca.signOrganisationCertificate(template(srp, '87'), { role: 'SC', profile: 'xml-sign' });
    const cert = new X509Certificate(der);
    assert.ok(cert.verify(new X509Certificate(ca.certificateDer).publicKey));
    assert.match(cert.subject, /OU=87/);
  });

  it('offers no raw-bytes signing: its public surface is the certificate, a certificate signer (one, or a batch of templates, signed here or by its workers) and a CRL signer', () => {
    const methods = Object.getOwnPropertyNames(IssuingAuthority.prototype).filter((n) => n !== 'constructor').sort();
    assert.deepEqual(methods, ['certificateDer', 'forRegistry', 'organisationBatch', 'signCrl', 'signOrganisationCertificate', 'startSigningWorkers', 'stopSigningWorkers']);
    // A batch takes templates (the CA checks each from its own facts); its workers take those orders only.
    assert.deepEqual(Object.getOwnPropertyNames(OrganisationBatch.prototype).filter((n) => n !== 'constructor').sort(), ['add', 'collect', 'finish', 'flush', 'ready']);
    assert.deepEqual(Object.getOwnPropertyNames(CaSigningWorkers.prototype).filter((n) => n !== 'constructor').sort(), ['close', 'poll', 'ready', 'submit', 'wait']);
  });

  it('signCrl builds, lints and signs its own CRL', () => {
    const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000);
    const der = ca.signCrl({
      crlNumber: 7n,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + 86_400_000),
      revoked: [{ serial: newSerial(), revokedAt: thisUpdate, reason: RevocationReason.keyCompromise }],
    });
    const crl = decodeSigned(der, 'CertificateList');
    assert.ok(verify('sha256', crl.tbs, readCaCertificate(ca.certificateDer).publicKey, crl.signature), 'signed by the Issuing OCA key');
    assert.deepEqual(lintCrlTbs(crl.tbs, { issuerNameDer: ca.nameDer, authorityKeyId: ca.keyId, crlNumber: 7n }), []);
  });

  it('carries the entries of its own previous CRL only: another key\'s, a bent one or garbage lists every entry afresh', () => {
    const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000);
    const content = { crlNumber: 8n, thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + 86_400_000), revoked: [{ serial: newSerial(), revokedAt: thisUpdate, reason: RevocationReason.superseded }] };
    const own = ca.signCrl(content);
    assert.equal(carriedCrlEntries(ca, own)?.count, 1);
    const next = ca.signCrl({ ...content, crlNumber: 9n, carried: carriedCrlEntries(ca, own), revoked: [{ serial: newSerial(), revokedAt: thisUpdate, reason: RevocationReason.keyCompromise }] });
    assert.equal(carriedCrlEntries(ca, next)?.count, 2);
    // The same TBSCertList signed by another key (same issuer name and key identifier): not carried.
    const tbs = decodeSigned(own, 'CRL').tbs;
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    assert.equal(carriedCrlEntries(ca, assembleCrl(tbs, cryptoSign('sha256', tbs, other))), undefined);
    const bent = Buffer.from(own);
    bent[bent.length - 3]! ^= 1;
    assert.equal(carriedCrlEntries(ca, bent), undefined);
    assert.equal(carriedCrlEntries(ca, Buffer.from('not a CRL')), undefined);
  });

  it('the CRL lint refuses another issuer, another key identifier, another number, duplicates and late entries', () => {
    const thisUpdate = new Date('2026-03-01T10:00:00Z');
    const serial = newSerial();
    const base = { issuerNameDer: ca.nameDer, authorityKeyId: ca.keyId, crlNumber: 3n, thisUpdate, nextUpdate: new Date('2026-03-02T10:00:00Z'), revoked: [] };
    const expect = { issuerNameDer: ca.nameDer, authorityKeyId: ca.keyId, crlNumber: 3n };
    const codes = (tbs: Buffer, e = expect) => lintCrlTbs(tbs, e).map((f) => f.code);
    assert.deepEqual(codes(buildCrlTbs(base)), []);
    assert.deepEqual(codes(buildCrlTbs(base), { ...expect, crlNumber: 4n }), ['CRL_NUMBER_MISMATCH']);
    assert.deepEqual(codes(buildCrlTbs({ ...base, authorityKeyId: Buffer.alloc(8, 1) })), ['CRL_AKI_MISMATCH']);
    assert.deepEqual(codes(buildCrlTbs({ ...base, issuerNameDer: readCaCertificate(ca.certificateDer).issuerNameDer })), ['CRL_ISSUER_MISMATCH']);
    const twice = [{ serial, revokedAt: thisUpdate, reason: RevocationReason.unspecified }, { serial, revokedAt: thisUpdate, reason: RevocationReason.superseded }];
    assert.deepEqual(codes(buildCrlTbs({ ...base, revoked: twice })), ['CRL_ENTRY_DUPLICATE']);
    const late = [{ serial, revokedAt: new Date('2026-03-01T11:00:00Z'), reason: RevocationReason.unspecified }];
    assert.deepEqual(codes(buildCrlTbs({ ...base, revoked: late })), ['CRL_ENTRY_AFTER_THIS_UPDATE']);
    assert.deepEqual(codes(tlv(TAG.SEQUENCE, Buffer.alloc(0))), ['CRL_VERSION_NOT_V2', 'CRL_MALFORMED']);
    assert.deepEqual(codes(Buffer.from('not der')), ['CRL_MALFORMED']);
    // A v1 TBSCertList (no version field) is refused.
    const v2 = buildCrlTbs(base);
    const v1 = sequence(...children(v2, readWhole(v2, 'TBSCertList')).slice(1).map((t) => whole(v2, t)));
    assert.deepEqual(codes(v1), ['CRL_VERSION_NOT_V2']);
  });

  it('converts a raw r||s signature to DER with minimal INTEGERs', () => {
    const raw = Buffer.concat([Buffer.alloc(31, 0), Buffer.from([0x05]), Buffer.from([0x80]), Buffer.alloc(31, 0x11)]);
    const der = rawSignatureToDer(raw);
    assert.equal(der.toString('hex'), `3026020105022100${'80'}${'11'.repeat(31)}`);
    assert.throws(() => rawSignatureToDer(Buffer.alloc(63)), RangeError);
  });

  it('checks are pure over the facts it gathered', () => {
    const sc = catalogue.roles.get('SC')!;
    const xml = catalogue.profiles.get('xml-sign')!;
    const t = template(srp, '87');
    assert.deepEqual(signerChecks(t, { role: sc, profile: xml, claimed: { role: 'SC', profile: 'xml-sign' } }), []);
    assert.deepEqual(signerChecks(t, { role: undefined, profile: xml, claimed: { role: 'SC', profile: 'xml-sign' } }).map((r) => r.code), ['PARTY_UNKNOWN']);
    assert.deepEqual(signerChecks(t, { role: sc, profile: undefined, claimed: { role: 'SC', profile: 'xml-sign' } }).map((r) => r.code), ['LINT_FAILED']);
    assert.deepEqual(signerChecks({ ...t, keyUsage: 'keyAgreement' }, { role: sc, profile: xml, claimed: { role: 'SC', profile: 'xml-sign' } }).map((r) => r.code), ['SOLR_CONTINGENCY_XML_SIGN_ONLY', 'LINT_FAILED']);
  });
});
