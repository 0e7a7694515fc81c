// The signer's own checks (issue 8 item 2) over hand-built facts: one case per reason code plus accept.
import { strict as assert } from 'node:assert';
import { signerChecks, type SignerFacts } from '../../src/ca/authority.js';
import type { OrganisationCertificateTemplate } from '../../src/ca/organisation-certificate.js';
import type { RoleEntry } from '../../src/config/catalogue.js';
import type { Eui64 } from '../../src/domain/eui.js';
import type { CertificateProfile } from '../../src/domain/profiles.js';

const XML_SIGN: CertificateProfile = { name: 'xml-sign', description: 'xml', keyUsage: 'digitalSignature', subjectOu: '87', gbcsDeviceKey: false };
const DS: CertificateProfile = { name: 'ds', description: 'ds', keyUsage: 'digitalSignature', subjectOu: 'role', gbcsDeviceKey: true };
const KA: CertificateProfile = { name: 'ka', description: 'ka', keyUsage: 'keyAgreement', subjectOu: 'role', gbcsDeviceKey: true };
const SC: RoleEntry = { code: 'SC', name: 'SoLRContingency', remotePartyRole: null, profiles: ['xml-sign'], serviceRequests: ['1.6'] };
const IS: RoleEntry = { code: 'IS', name: 'ImportSupplier', remotePartyRole: '02', profiles: ['xml-sign', 'ds', 'ka'], serviceRequests: ['1.6'] };

const template = (ou: string, keyUsage: 'digitalSignature' | 'keyAgreement' = 'digitalSignature') =>
  ({ subject: { ou, eui: '90B3D51F300C0001' as Eui64 }, keyUsage }) as OrganisationCertificateTemplate;
const facts = (role: RoleEntry | undefined, profile: CertificateProfile | undefined, claimed = { role: role?.code ?? 'SC', profile: profile?.name ?? 'xml-sign' }): SignerFacts =>
  ({ role, profile, claimed }) as SignerFacts;
const codes = (t: OrganisationCertificateTemplate, f: SignerFacts) => signerChecks(t, f).map((r) => r.code);

describe('ca/authority: signerChecks over hand-built facts', () => {
  it('signs xml-sign OU 87 for SoLRContingency and DS/KA OU 02 for a Supplier', () => {
    assert.deepEqual(codes(template('87'), facts(SC, XML_SIGN)), []);
    assert.deepEqual(codes(template('02'), facts(IS, DS)), []);
    assert.deepEqual(codes(template('02', 'keyAgreement'), facts(IS, KA)), []);
  });
  it('PARTY_UNKNOWN when the registry has no such User ID', () => assert.deepEqual(codes(template('87'), facts(undefined, XML_SIGN, { role: 'SC', profile: 'xml-sign' })), ['PARTY_UNKNOWN']));
  it('LINT_FAILED when the profile is unknown', () => assert.deepEqual(codes(template('87'), facts(SC, undefined, { role: 'SC', profile: 'xml-sign' })), ['LINT_FAILED']));
  it('SIGNER_CONTEXT_MISMATCH when the caller claims another role or profile', () => {
    assert.deepEqual(codes(template('02'), facts(IS, DS, { role: 'GS', profile: 'ds' } as never)), ['SIGNER_CONTEXT_MISMATCH']);
    assert.deepEqual(codes(template('02'), facts(IS, DS, { role: 'IS', profile: 'ka' } as never)), ['SIGNER_CONTEXT_MISMATCH']);
  });
  it('SOLR_CONTINGENCY_XML_SIGN_ONLY whatever the caller claims: DS, KA, another OU, a device-key profile', () => {
    assert.deepEqual(codes(template('02'), facts(SC, DS, { role: 'IS', profile: 'ds' } as never)), ['SIGNER_CONTEXT_MISMATCH', 'SOLR_CONTINGENCY_XML_SIGN_ONLY', 'ROLE_PROFILE_FORBIDDEN', 'LINT_FAILED']);
    assert.ok(codes(template('87', 'keyAgreement'), facts(SC, XML_SIGN)).includes('SOLR_CONTINGENCY_XML_SIGN_ONLY'));
    assert.ok(codes(template('88'), facts(SC, XML_SIGN)).includes('SOLR_CONTINGENCY_XML_SIGN_ONLY'));
    assert.deepEqual(codes(template('87'), facts({ ...SC, profiles: ['xml-sign'] }, { ...XML_SIGN, gbcsDeviceKey: true })), ['SOLR_CONTINGENCY_XML_SIGN_ONLY']);
  });
  it('ROLE_PROFILE_FORBIDDEN when the role may not hold the profile', () => {
    assert.deepEqual(codes(template('02'), facts({ ...IS, profiles: ['xml-sign'] }, DS)), ['ROLE_PROFILE_FORBIDDEN']);
  });
  it('LINT_FAILED when the template key usage or OU is not the profile\'s', () => {
    assert.deepEqual(codes(template('02', 'keyAgreement'), facts(IS, DS)), ['LINT_FAILED']);
    assert.deepEqual(codes(template('03'), facts(IS, DS)), ['LINT_FAILED']);
  });
});
