// The RA's pure deciders over hand-built facts (issue 8 item 2): issuance, officers, SoLR events; one
// case per reason code plus the accept case.
import { strict as assert } from 'node:assert';
import type { RoleEntry } from '../../src/config/catalogue.js';
import type { Eui64 } from '../../src/domain/eui.js';
import type { CertificateProfile } from '../../src/domain/profiles.js';
import { reason } from '../../src/domain/reasons.js';
import { decideIssuance, solrContingencyXmlSignOnly, subjectOuFor, type IssuanceFacts } from '../../src/ra/issuance-policy.js';
import { checkActiveAro, decideAddOfficer, decideOfficerTransition, type AddOfficerInput } from '../../src/ra/officers.js';
import { decideApprove, decideEnd, decideHandover, decideRecord, decideRevokeSupplier, decideWindow, eventState, isActive, type RecordEventInput } from '../../src/ra/solr.js';
import type { OfficerRecord } from '../../src/registry/officers.js';
import type { UserIdRecord } from '../../src/registry/parties.js';
import type { SolrEventRecord } from '../../src/registry/solr.js';
import { operatorSigner } from '../support/keys.js';

const SRP = '90B3D51F300C0001' as Eui64;
const SUPPLIER = '90B3D51F30010000' as Eui64;
const XML_SIGN: CertificateProfile = { name: 'xml-sign', description: 'xml', keyUsage: 'digitalSignature', subjectOu: '87', gbcsDeviceKey: false };
const DS: CertificateProfile = { name: 'ds', description: 'ds', keyUsage: 'digitalSignature', subjectOu: 'role', gbcsDeviceKey: true };
const KA: CertificateProfile = { name: 'ka', description: 'ka', keyUsage: 'keyAgreement', subjectOu: 'role', gbcsDeviceKey: true };
const SC: RoleEntry = { code: 'SC', name: 'SoLRContingency', remotePartyRole: null, profiles: ['xml-sign'], serviceRequests: ['1.6'] };
const IS: RoleEntry = { code: 'IS', name: 'ImportSupplier', remotePartyRole: '02', profiles: ['xml-sign', 'ds', 'ka'], serviceRequests: ['1.6'] };
const srpId: UserIdRecord = { eui: SRP, partyId: 7, partyName: 'Shared Resources Ltd', role: 'SC', roles: ['SC'], actingFor: SUPPLIER, createdAt: '2026-01-01T00:00:00Z' };
const supplierId: UserIdRecord = { eui: SUPPLIER, partyId: 3, partyName: 'Failed Energy', role: 'IS', roles: ['IS'], actingFor: null, createdAt: '2026-01-01T00:00:00Z' };
const aro: OfficerRecord = { id: 'OFC-2', partyId: 7, partyName: 'Shared Resources Ltd', kind: 'aro', name: 'Ari', status: 'active', nominatedBy: 'OFC-1', evidence: null, createdAt: '', updatedAt: '', keyId: null, publicKey: null };
const sro: OfficerRecord = { ...aro, id: 'OFC-1', kind: 'sro', name: 'Dana', nominatedBy: null, evidence: 'RAPP-1' };

function issuance(over: Partial<IssuanceFacts> = {}): IssuanceFacts {
  return {
    csrReasons: [], csrEui: SRP, csrOu: '87', csrKeyUsage: ['digitalSignature'], userId: srpId, role: SC,
    profileName: 'xml-sign', profile: XML_SIGN, officerId: aro.id, officer: aro, keyCertifiedBy: undefined, ...over,
  };
}
const codes = (rs: { code: string }[]) => rs.map((r) => r.code);

describe('ra: decideIssuance over hand-built facts', () => {
  it('approves an xml-sign certificate for a SoLRContingency User ID, and a DS certificate for a Supplier', () => {
    assert.deepEqual(decideIssuance(issuance()), []);
    assert.deepEqual(decideIssuance(issuance({ csrKeyUsage: undefined })), []);
    const supplierAro = { ...aro, partyId: 3 };
    assert.deepEqual(decideIssuance(issuance({ userId: supplierId, csrEui: SUPPLIER, role: IS, profileName: 'ds', profile: DS, csrOu: '02', officer: supplierAro })), []);
  });
  const cases: [string, Partial<IssuanceFacts>, string[]][] = [
    ['the CSR gate reasons pass through', { csrReasons: [reason('CSR_SIGNATURE_INVALID')] }, ['CSR_SIGNATURE_INVALID']],
    ['CSR_EUI_MISSING', { csrEui: undefined }, ['CSR_EUI_MISSING']],
    ['CSR_EUI_MISMATCH', { csrEui: SUPPLIER }, ['CSR_EUI_MISMATCH']],
    ['CSR_OU_MISMATCH (another OU)', { csrOu: '02' }, ['CSR_OU_MISMATCH']],
    ['CSR_OU_MISMATCH (no OU)', { csrOu: undefined }, ['CSR_OU_MISMATCH']],
    ['CSR_KEY_USAGE_MISMATCH (keyAgreement)', { csrKeyUsage: ['keyAgreement'] }, ['CSR_KEY_USAGE_MISMATCH']],
    ['CSR_KEY_USAGE_MISMATCH (two bits)', { csrKeyUsage: ['digitalSignature', 'keyAgreement'] }, ['CSR_KEY_USAGE_MISMATCH']],
    ['CSR_KEY_USAGE_MISMATCH (an empty request)', { csrKeyUsage: [] }, ['CSR_KEY_USAGE_MISMATCH']],
    ['CSR_KEY_REUSED', { keyCertifiedBy: '0A' }, ['CSR_KEY_REUSED']],
    ['OFFICER_UNKNOWN', { officer: undefined }, ['OFFICER_UNKNOWN']],
    ['OFFICER_NOT_ARO', { officer: sro }, ['OFFICER_NOT_ARO']],
    ['OFFICER_NOT_ACTIVE', { officer: { ...aro, status: 'suspended' } }, ['OFFICER_NOT_ACTIVE']],
    ['OFFICER_FOREIGN_PARTY', { officer: { ...aro, partyId: 9, partyName: 'Other' } }, ['OFFICER_FOREIGN_PARTY']],
    ['ROLE_PROFILE_FORBIDDEN and SOLR_CONTINGENCY_XML_SIGN_ONLY (DS for SoLRContingency)', { profileName: 'ds', profile: DS }, ['CSR_OU_MISMATCH', 'ROLE_PROFILE_FORBIDDEN', 'SOLR_CONTINGENCY_XML_SIGN_ONLY']],
    ['SOLR_CONTINGENCY_XML_SIGN_ONLY even where the configuration would allow KA', { profileName: 'ka', profile: KA, role: { ...SC, profiles: ['xml-sign', 'ka'] }, csrKeyUsage: undefined }, ['CSR_OU_MISMATCH', 'SOLR_CONTINGENCY_XML_SIGN_ONLY']],
    ['SOLR_CONTINGENCY_XML_SIGN_ONLY for a device-key profile dressed as OU 87', { profile: { ...XML_SIGN, gbcsDeviceKey: true } }, ['SOLR_CONTINGENCY_XML_SIGN_ONLY']],
  ];
  for (const [name, over, want] of cases) {
    it(name, () => assert.deepEqual(codes(decideIssuance(issuance(over))), want));
  }
  it('the details say what the CSR and the role hold', () => {
    const detail = (over: Partial<IssuanceFacts>, code: string) => decideIssuance(issuance(over)).find((r) => r.code === code)!.detail!;
    assert.match(detail({ profileName: 'ds', profile: DS, csrOu: '02' }, 'CSR_OU_MISMATCH'), /^ds gives SoLRContingency no Remote Party Role$/);
    assert.match(detail({ csrOu: undefined }, 'CSR_OU_MISMATCH'), /^the CSR subject has no OU; xml-sign needs 87$/);
    assert.match(detail({ csrOu: '02' }, 'CSR_OU_MISMATCH'), /^the CSR asks for OU 02; xml-sign for SoLRContingency is OU 87$/);
    assert.match(detail({ csrKeyUsage: [] }, 'CSR_KEY_USAGE_MISMATCH'), /^the CSR asks for no bit; /);
    assert.match(detail({ csrKeyUsage: ['keyAgreement'] }, 'CSR_KEY_USAGE_MISMATCH'), /^the CSR asks for keyAgreement; /);
    assert.match(detail({ role: { ...SC, profiles: [] } }, 'ROLE_PROFILE_FORBIDDEN'), /may hold nothing; asked for xml-sign$/);
    assert.match(detail({ profileName: 'ds', profile: DS }, 'ROLE_PROFILE_FORBIDDEN'), /may hold xml-sign; asked for ds$/);
  });
  it('solrContingencyXmlSignOnly refuses each way a profile can differ from XML signing', () => {
    const check = (profile: CertificateProfile) => codes(solrContingencyXmlSignOnly.check(issuance({ profile })));
    assert.deepEqual(check(XML_SIGN), []);
    assert.deepEqual(check({ ...XML_SIGN, gbcsDeviceKey: true }), ['SOLR_CONTINGENCY_XML_SIGN_ONLY']);
    assert.deepEqual(check({ ...XML_SIGN, keyUsage: 'keyAgreement' }), ['SOLR_CONTINGENCY_XML_SIGN_ONLY']);
    assert.deepEqual(check({ ...XML_SIGN, subjectOu: 'role' }), ['SOLR_CONTINGENCY_XML_SIGN_ONLY']);
  });
  it('subjectOuFor: a fixed OU, the role OU, or none', () => {
    assert.equal(subjectOuFor(XML_SIGN, SC), '87');
    assert.equal(subjectOuFor(DS, IS), '02');
    assert.equal(subjectOuFor(DS, SC), undefined);
  });
});

describe('ra: officer deciders', () => {
  const input = (over: Partial<AddOfficerInput> = {}): AddOfficerInput => ({ party: srpId, kind: 'aro', name: 'Ari', nominatedBy: sro.id, publicKey: Buffer.alloc(0), operator: operatorSigner(), ...over });
  it('an SRO with evidence, an ARO nominated by an active SRO of the Party', () => {
    assert.deepEqual(decideAddOfficer(input({ kind: 'sro', evidence: 'RAPP-9', nominatedBy: undefined }), undefined), []);
    assert.deepEqual(decideAddOfficer(input(), sro), []);
  });
  it('EVIDENCE_REQUIRED for an SRO without (or with blank) evidence', () => {
    assert.deepEqual(codes(decideAddOfficer(input({ kind: 'sro' }), undefined)), ['EVIDENCE_REQUIRED']);
    assert.deepEqual(codes(decideAddOfficer(input({ kind: 'sro', evidence: '  ' }), undefined)), ['EVIDENCE_REQUIRED']);
  });
  for (const [name, nominator] of [
    ['no nominator', undefined],
    ['an ARO nominator', aro],
    ['an SRO of another Party', { ...sro, partyId: 9 }],
    ['a suspended SRO', { ...sro, status: 'suspended' as const }],
  ] as const) {
    it(`SRO_REQUIRED: ${name}`, () => assert.deepEqual(codes(decideAddOfficer(input(), nominator)), ['SRO_REQUIRED']));
  }
  it('checkActiveAro: accept, and every reason at once', () => {
    assert.deepEqual(checkActiveAro(aro, srpId, aro.id), []);
    assert.deepEqual(codes(checkActiveAro({ ...sro, status: 'revoked', partyId: 9 }, srpId, sro.id)), ['OFFICER_NOT_ARO', 'OFFICER_NOT_ACTIVE', 'OFFICER_FOREIGN_PARTY']);
    assert.deepEqual(codes(checkActiveAro(undefined, srpId, 'OFC-404')), ['OFFICER_UNKNOWN']);
  });
  it('decideOfficerTransition: the allowed moves, OFFICER_NOT_ACTIVE for the others', () => {
    assert.deepEqual(decideOfficerTransition({ ...aro, status: 'nominated' }, 'activate'), []);
    assert.deepEqual(decideOfficerTransition({ ...aro, status: 'suspended' }, 'activate'), []);
    assert.deepEqual(decideOfficerTransition(aro, 'suspend'), []);
    assert.deepEqual(decideOfficerTransition({ ...aro, status: 'suspended' }, 'revoke'), []);
    assert.deepEqual(codes(decideOfficerTransition(aro, 'activate')), ['OFFICER_NOT_ACTIVE']);
    assert.deepEqual(codes(decideOfficerTransition({ ...aro, status: 'revoked' }, 'activate')), ['OFFICER_NOT_ACTIVE']);
    assert.deepEqual(codes(decideOfficerTransition({ ...aro, status: 'revoked' }, 'revoke')), ['OFFICER_NOT_ACTIVE']);
    assert.deepEqual(codes(decideOfficerTransition({ ...aro, status: 'suspended' }, 'suspend')), ['OFFICER_NOT_ACTIVE']);
  });
});

describe('ra: SoLR event deciders', () => {
  const from = new Date('2026-12-01T00:00:00Z');
  const rec = (days: number): RecordEventInput => ({ failedSupplier: SUPPLIER, srp: SRP, instructionRef: 'OFGEM-1', from, until: new Date(from.getTime() + days * 86_400_000), operator: operatorSigner() });
  const event: SolrEventRecord = {
    id: 'SOLR-1', failedSupplier: SUPPLIER, srpUserId: SRP, instructionRef: 'OFGEM-1', startsAt: '2026-12-01T00:00:00Z', endsAt: '2026-12-31T00:00:00Z',
    status: 'approved', recordedBy: 'ra1', recordedAt: '2026-12-01T00:00:00Z', approvedBy: 'ra2', approvedAt: '2026-12-02T00:00:00Z',
    endedBy: null, endedAt: null, suppliersRevokedAt: null, suppliersRevokedBy: null, handoverTo: null,
  };
  const bounds = { maxEventDays: 56, maxStartAheadDays: 14 };
  it('decideRecord: accept; SOLR_SRP_NOT_ACTING_FOR_SUPPLIER; SOLR_WINDOW_TOO_LONG', () => {
    assert.deepEqual(decideRecord(rec(56), supplierId, srpId, bounds, from), []);
    assert.deepEqual(codes(decideRecord(rec(57), supplierId, srpId, bounds, from)), ['SOLR_WINDOW_TOO_LONG']);
    assert.deepEqual(codes(decideRecord(rec(5), supplierId, { ...srpId, actingFor: '90B3D51F30030000' as Eui64 }, bounds, from)), ['SOLR_SRP_NOT_ACTING_FOR_SUPPLIER']);
    assert.deepEqual(codes(decideRecord(rec(5), supplierId, { ...srpId, role: 'IS', roles: ['IS'] }, bounds, from)), ['SOLR_SRP_NOT_ACTING_FOR_SUPPLIER']);
    assert.deepEqual(codes(decideRecord({ ...rec(5), until: new Date(NaN) }, supplierId, srpId, bounds, from)), ['SOLR_WINDOW_TOO_LONG']);
    assert.deepEqual(codes(decideRecord(rec(5), supplierId, srpId, bounds, new Date(from.getTime() + 5 * 86_400_000))), ['SOLR_WINDOW_ENDED']);
    assert.deepEqual(decideRecord(rec(5), supplierId, srpId, bounds, new Date(from.getTime() - 14 * 86_400_000)), []);
    assert.deepEqual(codes(decideRecord(rec(5), supplierId, srpId, bounds, new Date(from.getTime() - 15 * 86_400_000))), ['SOLR_WINDOW_TOO_FAR_AHEAD']);
  });
  it('decideApprove: accept; SOLR_SELF_APPROVAL (any case and spacing); SOLR_EVENT_STATE', () => {
    const recorded = { ...event, status: 'recorded' as const, approvedAt: null, approvedBy: null };
    assert.deepEqual(decideApprove(recorded, 'ra2'), []);
    assert.deepEqual(codes(decideApprove(recorded, ' RA1 ')), ['SOLR_SELF_APPROVAL']);
    assert.deepEqual(codes(decideApprove(event, 'ra3')), ['SOLR_EVENT_STATE']);
  });
  it('decideApprove compares operators trimmed and in any case, whichever side is written so', () => {
    const recorded = { ...event, status: 'recorded' as const, recordedBy: ' RA1 ', approvedAt: null, approvedBy: null };
    assert.deepEqual(codes(decideApprove(recorded, 'ra1')), ['SOLR_SELF_APPROVAL']);
    assert.deepEqual(decideApprove(recorded, 'ra11'), []);
  });
  it('decideHandover: another registered Supplier takes the alerts; SOLR_HANDOVER_NOT_SUPPLIER for a non-Supplier or the failed Supplier', () => {
    const soLR: UserIdRecord = { ...supplierId, eui: '90B3D51F30040000' as Eui64, partyId: 9, partyName: 'Last Resort Energy' };
    assert.deepEqual(decideHandover(event, soLR), []);
    assert.deepEqual(decideHandover(event, { ...soLR, role: 'GS', roles: ['GS'] }), []);
    const notSupplier = decideHandover(event, { ...soLR, role: 'ED', roles: ['ED'] });
    assert.deepEqual(codes(notSupplier), ['SOLR_HANDOVER_NOT_SUPPLIER']);
    assert.match(notSupplier[0]!.detail!, /is ElectricityDistributor$/);
    assert.deepEqual(codes(decideHandover(event, srpId)), ['SOLR_HANDOVER_NOT_SUPPLIER']);
    const failed = decideHandover(event, supplierId);
    assert.deepEqual(codes(failed), ['SOLR_HANDOVER_NOT_SUPPLIER']);
    assert.match(failed[0]!.detail!, /is the failed Supplier$/);
  });
  it('decideRecord names an SRP that acts for no Supplier', () => {
    const r = decideRecord(rec(5), supplierId, { ...srpId, actingFor: null }, bounds, from);
    assert.match(r[0]!.detail!, /acts for no Supplier$/);
  });
  it('decideEnd and decideRevokeSupplier: SOLR_EVENT_STATE out of state', () => {
    assert.deepEqual(decideEnd(event), []);
    assert.deepEqual(decideEnd({ ...event, status: 'recorded' }), []);
    assert.deepEqual(codes(decideEnd({ ...event, status: 'ended', endedAt: '2026-12-05T00:00:00Z' })), ['SOLR_EVENT_STATE']);
    assert.deepEqual(decideRevokeSupplier(event), []);
    assert.deepEqual(codes(decideRevokeSupplier({ ...event, status: 'recorded' })), ['SOLR_EVENT_STATE']);
    assert.deepEqual(codes(decideRevokeSupplier({ ...event, suppliersRevokedAt: '2026-12-03T00:00:00Z' })), ['SOLR_EVENT_STATE']);
  });
  it('decideWindow: a window without an end is judged by its start alone', () => {
    assert.deepEqual(decideWindow({ from }, bounds, from), []);
    assert.deepEqual(codes(decideWindow({ from }, bounds, new Date(from.getTime() - 15 * 86_400_000))), ['SOLR_WINDOW_TOO_FAR_AHEAD']);
  });
  it('isActive: only from approval (and not before the start) until the end', () => {
    const t = (iso: string) => isActive(event, new Date(iso));
    assert.equal(t('2026-12-01T12:00:00Z'), false, 'inside the window but before approval');
    assert.equal(t('2026-12-02T00:00:00Z'), true);
    assert.equal(t('2026-12-30T23:59:59Z'), true);
    assert.equal(t('2026-12-31T00:00:00Z'), false);
    assert.equal(isActive({ ...event, approvedAt: '2026-11-01T00:00:00Z' }, new Date('2026-11-30T00:00:00Z')), false, 'approved early, not yet started');
    assert.equal(isActive({ ...event, approvedAt: '2026-11-01T00:00:00Z' }, new Date('2026-12-01T00:00:00Z')), true, 'approved early: active from the very start');
    assert.equal(isActive({ ...event, approvedAt: null }, new Date('2026-12-10T00:00:00Z')), false);
    assert.equal(isActive({ ...event, status: 'ended' }, new Date('2026-12-10T00:00:00Z')), false);
    assert.equal(eventState(event, new Date('2026-12-01T12:00:00Z')), 'approved (not yet started)');
    assert.equal(eventState(event, new Date('2026-12-10T00:00:00Z')), 'active');
    assert.equal(eventState(event, new Date('2027-01-10T00:00:00Z')), 'expired');
    assert.equal(eventState(event, new Date('2026-12-31T00:00:00Z')), 'expired', 'at the very end');
    assert.equal(eventState({ ...event, status: 'recorded' }, new Date('2026-12-10T00:00:00Z')), 'recorded');
    assert.equal(eventState({ ...event, status: 'ended' }, new Date('2026-12-10T00:00:00Z')), 'ended');
  });
});
