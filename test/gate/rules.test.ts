// The gate's pure deciders over hand-built facts (issue 8 item 2): one case per reason code, the accept
// case, and each rule failing closed on its own when a fact it needs is missing.
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RoleEntry, ServiceRequestEntry } from '../../src/config/catalogue.js';
import type { Eui64 } from '../../src/domain/eui.js';
import type { DuisBody, DuisRequest } from '../../src/gate/duis.js';
import { CONTENT_RULES, duisExecution, executionInWindow } from '../../src/gate/content-rules.js';
import { encodeGeneralSigning, parseGeneralSigning, rewriteHeader, signPreCommand, type GeneralSigningMessage } from '../../src/gate/gbcs.js';
import { adtOutcome, decide, GATE_RULES, type GateFacts } from '../../src/gate/rules.js';
import type { CertificateRecord } from '../../src/registry/certificates.js';
import type { UserIdRecord } from '../../src/registry/parties.js';
import type { SolrEventRecord } from '../../src/registry/solr.js';

const SRP = '90B3D51F300C0001' as Eui64;
const SUPPLIER = '90B3D51F30010000' as Eui64;
const ESME = '00DB1234567890A0' as Eui64;
const GSME = '00DB1234567890A1' as Eui64;
const AT = new Date('2026-12-01T12:00:00Z');
const COUNTER = 4242n;
const GBCS = join(process.cwd(), 'fixtures', 'public', 'gbcs');
const vector = (name: string) => Buffer.from(readFileSync(join(GBCS, name), 'utf8').replace(/\s+/g, ''), 'hex');
const gbcsKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

/** A Signed Pre-Command message built from a public vector, addressed as the facts expect. */
function signed(name: string, changes: { counter?: bigint; recipient?: Eui64; originator?: Eui64 } = {}): GeneralSigningMessage {
  const pc = rewriteHeader(vector(name), { counter: COUNTER, recipient: ESME, originator: SUPPLIER, ...changes });
  return parseGeneralSigning(signPreCommand(pc, gbcsKey));
}

const sender: UserIdRecord = { eui: SRP, partyId: 7, partyName: 'Shared Resources Ltd', role: 'SC', roles: ['SC'], actingFor: SUPPLIER, createdAt: '2026-01-01T00:00:00Z' };
const role: RoleEntry = { code: 'SC', name: 'SoLRContingency', remotePartyRole: null, profiles: ['xml-sign'], serviceRequests: ['1.6', '2.5'] };
const sr16: ServiceRequestEntry = { serviceReferenceVariant: '1.6', serviceReference: '1.6', name: 'Update Payment Mode', critical: true, commandVariants: [4, 5, 6, 7] };
const sr25: ServiceRequestEntry = { serviceReferenceVariant: '2.5', serviceReference: '2.5', name: 'Activate Emergency Credit', critical: true, commandVariants: [4, 5, 6, 7] };
const cert: CertificateRecord = {
  serial: '0A', userId: SRP, profile: 'xml-sign', roleOu: '87', keyUsage: 'digitalSignature', spkiSha256: '00', issuerDer: Buffer.alloc(0),
  notBefore: '2026-01-01T00:00:00Z', notAfter: '2036-01-01T00:00:00Z', der: Buffer.alloc(0), source: 'issued', officerId: 'OFC-1',
  createdAt: '2026-01-01T00:00:00Z', status: 'valid', revokedAt: null, revocationReason: null, solrEventId: null,
};
const event: SolrEventRecord = {
  id: 'SOLR-1', failedSupplier: SUPPLIER, srpUserId: SRP, instructionRef: 'OFGEM-1', startsAt: '2026-11-30T00:00:00Z', endsAt: '2026-12-30T00:00:00Z',
  status: 'approved', recordedBy: 'ra1', recordedAt: '2026-11-30T00:00:00Z', approvedBy: 'ra2', approvedAt: '2026-11-30T01:00:00Z',
  endedBy: null, endedAt: null, suppliersRevokedAt: null, suppliersRevokedBy: null, handoverTo: null,
};

function request(over: Partial<DuisRequest> = {}, body: DuisBody = { kind: 'UpdatePaymentMode', mode: 'Credit' }): DuisRequest {
  const target = (over.requestId?.target ?? ESME) as Eui64;
  return {
    schemaVersion: '5.4',
    requestId: { originator: SRP, target, counter: COUNTER, text: `${SRP}:${target}:${COUNTER}` },
    commandVariant: 4,
    serviceReference: '1.6',
    serviceReferenceVariant: '1.6',
    body,
    ...over,
  };
}

/** Facts under which a CV 4 SR 1.6 Credit request is accepted. */
function facts(over: Partial<GateFacts> = {}): GateFacts {
  return {
    at: AT,
    request: request(),
    sender,
    senderRole: role,
    serviceRequest: sr16,
    signingCert: cert,
    issuerIsThisCa: true,
    xmlSignature: { ok: true },
    device: { eui: ESME, deviceType: 'ESME', smets: 2, supplierEui: SUPPLIER },
    event,
    senderActiveEvents: [event],
    highestCounter: COUNTER - 1n,
    transform: undefined,
    adt: { adtId: 'ADT-1', warning: 5, quarantine: 10, windowHours: 24, countBefore: 0 },
    ...over,
  };
}

/** Facts under which a CV 5 Signed Pre-Command (ECS02 unless told) is accepted. */
function spcFacts(message: GeneralSigningMessage = signed('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX'), over: Partial<GateFacts> = {}, bodyOver: { executionDateTime?: string } = {}, req: Partial<DuisRequest> = {}): GateFacts {
  return facts({
    request: request({ commandVariant: 5, ...req }, { kind: 'SignedPreCommand', gbcsPayload: Buffer.alloc(1), ...bodyOver }),
    gbcs: { message, signatureVerified: true, dsCertificates: 1 },
    transform: { signedPreCommandAt: null },
    ...over,
  });
}

const codes = (f: GateFacts) => decide(f).reasons.map((r) => r.code);

describe('gate/rules: decide over hand-built facts', () => {
  it('accepts a CV 4 Credit request and a CV 5 Signed Pre-Command when every rule holds', () => {
    assert.deepEqual(decide(facts()), { decision: 'accept', reasons: [], warnings: [] });
    assert.deepEqual(decide(spcFacts()).decision, 'accept');
    const gas = signed('GCS02_1.6_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX', { recipient: GSME });
    assert.equal(decide(spcFacts(gas, { device: { eui: GSME, deviceType: 'GSME', smets: 2, supplierEui: SUPPLIER } }, {}, { requestId: { originator: SRP, target: GSME, counter: COUNTER, text: 'x' } })).decision, 'accept');
  });

  const cases: [string, () => GateFacts, string[]][] = [
    ['SENDER_UNKNOWN', () => facts({ sender: undefined, senderRole: undefined, senderActiveEvents: [], event: undefined }), ['SENDER_UNKNOWN', 'SR_NOT_ELIGIBLE', 'SOLR_EVENT_NOT_ACTIVE']],
    ['SENDER_NOT_SOLR_CONTINGENCY', () => facts({ sender: { ...sender, role: 'IS' } }), ['SENDER_NOT_SOLR_CONTINGENCY']],
    ['SIGNING_CERT_UNKNOWN (no certificate)', () => facts({ signingCert: undefined, xmlSignature: undefined }), ['SIGNING_CERT_UNKNOWN', 'SIGNATURE_INVALID']],
    ['SIGNING_CERT_UNKNOWN (another issuer)', () => facts({ issuerIsThisCa: false }), ['SIGNING_CERT_UNKNOWN']],
    ['SIGNING_CERT_UNKNOWN (registered, not issued)', () => facts({ signingCert: { ...cert, source: 'registered' } }), ['SIGNING_CERT_UNKNOWN']],
    ['SIGNING_CERT_NOT_ORIGINATOR', () => facts({ signingCert: { ...cert, userId: '90B3D51F300D0001' as Eui64 } }), ['SIGNING_CERT_NOT_ORIGINATOR']],
    ['SIGNING_CERT_NOT_XML_SIGN (profile)', () => facts({ signingCert: { ...cert, profile: 'ds' } }), ['SIGNING_CERT_NOT_XML_SIGN']],
    ['SIGNING_CERT_NOT_XML_SIGN (OU)', () => facts({ signingCert: { ...cert, roleOu: '02' } }), ['SIGNING_CERT_NOT_XML_SIGN']],
    ['SIGNING_CERT_NOT_XML_SIGN (key usage)', () => facts({ signingCert: { ...cert, keyUsage: 'keyAgreement' } }), ['SIGNING_CERT_NOT_XML_SIGN']],
    ['SIGNING_CERT_REVOKED', () => facts({ signingCert: { ...cert, status: 'revoked', revokedAt: '2026-11-01T00:00:00Z' } }), ['SIGNING_CERT_REVOKED']],
    ['SIGNING_CERT_EXPIRED (not yet valid)', () => facts({ signingCert: { ...cert, notBefore: '2026-12-02T00:00:00Z' } }), ['SIGNING_CERT_EXPIRED']],
    ['SIGNING_CERT_EXPIRED (expired)', () => facts({ signingCert: { ...cert, notAfter: '2026-12-01T11:59:59Z' } }), ['SIGNING_CERT_EXPIRED']],
    ['SIGNING_CERT_EXPIRED (unreadable dates)', () => facts({ signingCert: { ...cert, notAfter: 'never' } }), ['SIGNING_CERT_EXPIRED']],
    ['SIGNATURE_INVALID (does not verify)', () => facts({ xmlSignature: { ok: false, why: 'digest' } }), ['SIGNATURE_INVALID']],
    ['SIGNATURE_INVALID (not attempted)', () => facts({ xmlSignature: undefined }), ['SIGNATURE_INVALID']],
    ['SR_NOT_ELIGIBLE (not in the role)', () => facts({ senderRole: { ...role, serviceRequests: ['2.5'] } }), ['SR_NOT_ELIGIBLE']],
    ['SR_NOT_ELIGIBLE (not in the catalogue)', () => facts({ serviceRequest: undefined }), ['SR_NOT_ELIGIBLE']],
    ['SERVICE_REFERENCE_MISMATCH', () => facts({ request: request({ serviceReference: '1.5' }) }), ['SERVICE_REFERENCE_MISMATCH']],
    ['COMMAND_VARIANT_NOT_ALLOWED', () => facts({ request: request({ commandVariant: 1 }) }), ['COMMAND_VARIANT_NOT_ALLOWED']],
    ['BODY_COMMAND_VARIANT_MISMATCH (CV 5 with a CV 4 body)', () => facts({ request: request({ commandVariant: 5 }), transform: { signedPreCommandAt: null } }), ['BODY_COMMAND_VARIANT_MISMATCH']],
    ['DEVICE_UNKNOWN', () => facts({ device: undefined, event: undefined }), ['DEVICE_UNKNOWN', 'DEVICE_NOT_FAILED_SUPPLIER', 'SR_TARGET_DEVICE_TYPE']],
    ['SOLR_EVENT_NOT_ACTIVE', () => facts({ event: undefined, senderActiveEvents: [] }), ['SOLR_EVENT_NOT_ACTIVE']],
    ['SOLR_EVENT_NOT_ACTIVE (the event handed in has not been approved yet)', () => facts({ event: { ...event, approvedAt: '2026-12-01T13:00:00Z' }, senderActiveEvents: [] }), ['SOLR_EVENT_NOT_ACTIVE']],
    ['DEVICE_NOT_FAILED_SUPPLIER', () => facts({ event: undefined, device: { eui: ESME, deviceType: 'ESME', smets: 2, supplierEui: '90B3D51F30030000' as Eui64 } }), ['DEVICE_NOT_FAILED_SUPPLIER']],
    ['DEVICE_NOT_FAILED_SUPPLIER (an event of another SRP handed in)', () => facts({ event: { ...event, srpUserId: '90B3D51F300D0001' as Eui64 } }), ['DEVICE_NOT_FAILED_SUPPLIER']],
    ['SR_NO_CONTENT_RULE', () => facts({ request: request({ serviceReference: '1.1', serviceReferenceVariant: '1.1.1' }), senderRole: { ...role, serviceRequests: ['1.1.1'] }, serviceRequest: { ...sr16, serviceReferenceVariant: '1.1.1', serviceReference: '1.1' } }), ['SR_NO_CONTENT_RULE']],
    ['BODY_NOT_FOR_SR (1.6 with another element)', () => facts({ request: request({}, { kind: 'Other', localName: 'ReadInventory' }) }), ['BODY_NOT_FOR_SR']],
    ['BODY_NOT_FOR_SR (a Prepayment body labelled 2.5)', () => facts({ request: request({ serviceReference: '2.5', serviceReferenceVariant: '2.5' }, { kind: 'UpdatePaymentMode', mode: 'Prepayment' }), serviceRequest: sr25 }), ['BODY_NOT_FOR_SR']],
    ['SR_TARGET_DEVICE_TYPE (PPMID)', () => facts({ device: { eui: ESME, deviceType: 'PPMID', smets: 2, supplierEui: SUPPLIER } }), ['SR_TARGET_DEVICE_TYPE']],
    ['SR_TARGET_DEVICE_TYPE (CHF)', () => facts({ device: { eui: ESME, deviceType: 'CHF', smets: 2, supplierEui: SUPPLIER } }), ['SR_TARGET_DEVICE_TYPE']],
    ['PAYMENT_MODE_NOT_CREDIT (CV 4 body)', () => facts({ request: request({}, { kind: 'UpdatePaymentMode', mode: 'Prepayment' }) }), ['PAYMENT_MODE_NOT_CREDIT']],
    ['PAYMENT_MODE_NOT_CREDIT (ECS03)', () => spcFacts(signed('ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX')), ['PAYMENT_MODE_NOT_CREDIT']],
    ['SR_CANCELLATION (CV 4 body)', () => facts({ request: request({}, { kind: 'UpdatePaymentMode', mode: 'Credit', executionDateTime: '3000-12-31T00:00:00.00Z' }) }), ['SR_CANCELLATION']],
    ['SR_CANCELLATION (ECS02 all-0xFF activation time)', () => spcFacts(signed('ECS02_1.6_CANCELLATION_TWIN_SUCCESS_PRECOMMAND_GBCS.HEX')), ['SR_CANCELLATION']],
    ['SR_CANCELLATION (Signed Pre-Command ExecutionDateTime)', () => spcFacts(undefined, {}, { executionDateTime: '3000-12-31T00:00:00Z' }), ['SR_CANCELLATION']],
    ['EXECUTION_OUTSIDE_EVENT (CV 4, after the end)', () => facts({ request: request({}, { kind: 'UpdatePaymentMode', mode: 'Credit', executionDateTime: '2030-01-15T09:00:00Z' }) }), ['EXECUTION_OUTSIDE_EVENT']],
    ['EXECUTION_OUTSIDE_EVENT (ECS02 activation 2030)', () => spcFacts(signed('ECS02_1.6_FUTURE_DATED_TWIN_SUCCESS_PRECOMMAND_GBCS.HEX')), ['EXECUTION_OUTSIDE_EVENT']],
    ['GBCS_DEVICE_TYPE (SMETS1)', () => spcFacts(undefined, { device: { eui: ESME, deviceType: 'ESME', smets: 1, supplierEui: SUPPLIER } }), ['GBCS_DEVICE_TYPE']],
    ['GBCS_DEVICE_TYPE (gas use case for an ESME)', () => spcFacts(signed('GCS02_1.6_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX')), ['GBCS_DEVICE_TYPE']],
    ['GBCS_MALFORMED (not parsed)', () => spcFacts(undefined, { gbcs: { error: 'GBCS tag', dsCertificates: 1 } }), ['GBCS_MALFORMED']],
    ['GBCS_MALFORMED (no GBCS facts at all)', () => ({ ...spcFacts(), gbcs: undefined }), ['GBCS_MALFORMED']],
    ['GBCS_NOT_COMMAND', () => spcFacts({ ...signed('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX'), cra: 'response' }), ['GBCS_NOT_COMMAND']],
    ['GBCS_MESSAGE_CODE', () => spcFacts(signed('ECS09_2.5_SUCCESS_PRECOMMAND_GBCS.HEX')), ['GBCS_MESSAGE_CODE']],
    ['GBCS_HEADER_MISMATCH (recipient)', () => spcFacts(signed('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX', { recipient: GSME })), ['GBCS_HEADER_MISMATCH']],
    ['GBCS_HEADER_MISMATCH (counter)', () => spcFacts(signed('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX', { counter: 1n })), ['GBCS_HEADER_MISMATCH']],
    ['GBCS_HEADER_MISMATCH (originator)', () => spcFacts(signed('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX', { originator: SRP })), ['GBCS_HEADER_MISMATCH']],
    ['GBCS_SIGNATURE_INVALID (does not verify)', () => spcFacts(undefined, { gbcs: { message: signed('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX'), signatureVerified: false, dsCertificates: 1 } }), ['GBCS_SIGNATURE_INVALID']],
    ['GBCS_SIGNATURE_INVALID (not attempted)', () => spcFacts(undefined, { gbcs: { message: signed('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX'), dsCertificates: 1 } }), ['GBCS_SIGNATURE_INVALID']],
    ['GBCS_SIGNATURE_INVALID (no DS certificate on record)', () => spcFacts(undefined, { gbcs: { message: signed('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX'), signatureVerified: true, dsCertificates: 0 } }), ['GBCS_SIGNATURE_INVALID']],
    ['GBCS_SIGNATURE_INVALID (unsigned)', () => spcFacts(parseGeneralSigning(rewriteHeader(vector('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX'), { counter: COUNTER, recipient: ESME, originator: SUPPLIER }))), ['GBCS_SIGNATURE_INVALID']],
    ['GBCS_CONTENT_NOT_USE_CASE (ECS09 code over ECS02 content)', () => {
      const ecs02 = signed('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX');
      const m = parseGeneralSigning(encodeGeneralSigning({ originatorCounter: COUNTER, originator: SUPPLIER, recipient: ESME, otherInformation: { messageCode: 0x0020 }, content: ecs02.content, signature: Buffer.alloc(64, 1) }));
      return spcFacts(m, { serviceRequest: sr25 }, {}, { serviceReference: '2.5', serviceReferenceVariant: '2.5' });
    }, ['GBCS_CONTENT_NOT_USE_CASE']],
    ['REPLAY (equal counter)', () => facts({ highestCounter: COUNTER }), ['REPLAY']],
    ['REPLAY (lower counter)', () => facts({ highestCounter: COUNTER + 5n }), ['REPLAY']],
    ['PRECOMMAND_WITHOUT_TRANSFORM (no CV 4)', () => spcFacts(undefined, { transform: undefined }), ['PRECOMMAND_WITHOUT_TRANSFORM']],
    ['PRECOMMAND_WITHOUT_TRANSFORM (already used)', () => spcFacts(undefined, { transform: { signedPreCommandAt: '2026-12-01T11:00:00Z' } }), ['PRECOMMAND_WITHOUT_TRANSFORM']],
    ['ADT_MISSING', () => facts({ adt: undefined }), ['ADT_MISSING']],
  ];
  for (const [name, f, want] of cases) {
    it(`${name}: refused with ${want.join(', ')}`, () => {
      const d = decide(f());
      assert.equal(d.decision, 'refuse');
      assert.deepEqual(d.reasons.map((r) => r.code), want);
    });
  }

  it('GBCS_OTHER_INFORMATION: every other-information form but the message code alone (lengths 10, 18, 26, 27)', () => {
    const base = signed('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX');
    const forms = [
      { messageCode: 0x001a, supplementaryRemotePartyId: SRP },
      { messageCode: 0x001a, supplementaryRemotePartyId: SRP, supplementaryRemotePartyCounter: 1n },
      { messageCode: 0x001a, supplementaryRemotePartyId: SRP, supplementaryRemotePartyCounter: 1n, supplementaryOriginatorCounter: 2n },
      { messageCode: 0x001a, supplementaryRemotePartyId: SRP, supplementaryRemotePartyCounter: 1n, supplementaryRemotePartyCertificate: Buffer.from('30070000000000000000', 'hex').subarray(0, 9) },
    ];
    const lengths: number[] = [];
    for (const otherInformation of forms) {
      const m = parseGeneralSigning(encodeGeneralSigning({ originatorCounter: COUNTER, originator: SUPPLIER, recipient: ESME, otherInformation, content: base.content, signature: Buffer.alloc(64, 1) }));
      lengths.push(m.otherInformationLength);
      assert.deepEqual(codes(spcFacts(m)), ['GBCS_OTHER_INFORMATION'], `length ${m.otherInformationLength}`);
    }
    assert.deepEqual(lengths, [10, 18, 26, 27]);
  });

  it('ADT_WARNING and ADT_QUARANTINE: over the thresholds; a Signed Pre-Command counts nothing', () => {
    const adt = { adtId: 'ADT-1', warning: 2, quarantine: 3, windowHours: 24 };
    assert.deepEqual(decide(facts({ adt: { ...adt, countBefore: 1 } })).warnings, []);
    const warned = decide(facts({ adt: { ...adt, countBefore: 2 } }));
    assert.deepEqual([warned.decision, warned.warnings.map((w) => w.code)], ['accept', ['ADT_WARNING']]);
    const edge = decide(facts({ adt: { ...adt, countBefore: 2 } }));
    assert.equal(edge.decision, 'accept');
    const q = decide(facts({ adt: { ...adt, countBefore: 3 } }));
    assert.deepEqual([q.decision, q.reasons.map((r) => r.code)], ['quarantine', ['ADT_QUARANTINE']]);
    assert.deepEqual(adtOutcome(spcFacts(undefined, { adt: { ...adt, countBefore: 99 } })), {});
    assert.deepEqual(adtOutcome(facts({ adt: undefined })), {});
  });

  it('future-dated execution inside the window is accepted, at its edges exactly as [start, end)', () => {
    const at = (t: string) => facts({ request: request({}, { kind: 'UpdatePaymentMode', mode: 'Credit', executionDateTime: t }) });
    assert.equal(decide(at('2026-12-10T09:00:00Z')).decision, 'accept');
    assert.equal(decide(at('2026-11-30T00:00:00Z')).decision, 'accept');
    assert.deepEqual(codes(at('2026-11-29T23:59:59Z')), ['EXECUTION_OUTSIDE_EVENT']);
    assert.deepEqual(codes(at('2026-12-30T00:00:00Z')), ['EXECUTION_OUTSIDE_EVENT']);
    // Without a zone the time may be GMT or BST: an hour either way must fit.
    assert.deepEqual(codes(at('2026-12-29T23:30:00')), ['EXECUTION_OUTSIDE_EVENT']);
    assert.equal(decide(at('2026-12-29T22:30:00')).decision, 'accept');
    assert.deepEqual(codes(at('garbage')), ['EXECUTION_OUTSIDE_EVENT']);
    assert.equal(duisExecution('3000-12-31T00:00:00.00Z')?.kind, 'cancellation');
    assert.deepEqual(executionInWindow({ kind: 'immediate' }, facts({ event: undefined }), 'x'), []);
    assert.deepEqual(executionInWindow(duisExecution('2026-12-10T00:00:00Z'), facts({ event: undefined }), 'x').map((r) => r.code), ['EXECUTION_OUTSIDE_EVENT']);
  });

  it('GCS02 Implementation Date Time: now, 2030 (outside) and 0xFFFFFFFF (cancellation)', () => {
    const gas = { device: { eui: GSME, deviceType: 'GSME', smets: 2, supplierEui: SUPPLIER } };
    const req = { requestId: { originator: SRP, target: GSME, counter: COUNTER, text: 'x' } };
    const g = (name: string) => codes(spcFacts(signed(name, { recipient: GSME }), gas, {}, req));
    assert.deepEqual(g('GCS02_1.6_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX'), []);
    assert.deepEqual(g('GCS02_1.6_FUTURE_DATED_SUCCESS_PRECOMMAND_GBCS.HEX'), ['EXECUTION_OUTSIDE_EVENT']);
    assert.deepEqual(g('GCS02_1.6_CANCELLATION_SUCCESS_PRECOMMAND_GBCS.HEX'), ['SR_CANCELLATION']);
  });

  it('SR 2.5: ECS09 and GCS06 accepted under 2.5; an ActivateEmergencyCredit body labelled 1.6 refused', () => {
    const as25 = { request: request({ serviceReference: '2.5', serviceReferenceVariant: '2.5' }, { kind: 'ActivateEmergencyCredit' }), serviceRequest: sr25 };
    assert.equal(decide(facts(as25)).decision, 'accept');
    assert.equal(decide(spcFacts(signed('ECS09_2.5_SUCCESS_PRECOMMAND_GBCS.HEX'), { serviceRequest: sr25 }, {}, { serviceReference: '2.5', serviceReferenceVariant: '2.5' })).decision, 'accept');
    const gas = { device: { eui: GSME, deviceType: 'GSME', smets: 2, supplierEui: SUPPLIER }, serviceRequest: sr25 };
    const req = { serviceReference: '2.5', serviceReferenceVariant: '2.5', requestId: { originator: SRP, target: GSME, counter: COUNTER, text: 'x' } };
    assert.equal(decide(spcFacts(signed('GCS06_2.5_SUCCESS_PRECOMMAND_GBCS.HEX', { recipient: GSME }), gas, {}, req)).decision, 'accept');
    assert.deepEqual(codes(facts({ request: request({}, { kind: 'ActivateEmergencyCredit' }) })), ['BODY_NOT_FOR_SR']);
  });

  describe('fail closed: each rule refuses on its own when a fact it needs is missing', () => {
    const missing: [string, Partial<GateFacts>][] = [
      ['sender is a SoLRContingency User ID', { sender: undefined }],
      ['signed with a current xml-sign certificate of the originator, issued by this CA', { signingCert: undefined }],
      ['the XML signature verifies over the whole document', { xmlSignature: undefined }],
      ['the Service Request and CommandVariant are eligible for the role', { senderRole: undefined }],
      ['the target Device is registered', { device: undefined }],
      ["an approved SoLR event is active for the sender and the Device's Supplier", { device: undefined }],
      ["an approved SoLR event is active for the sender and the Device's Supplier", { event: undefined }],
      ["the request's content is what its Service Reference Variant's content rule allows", { device: undefined }],
      ["an ADT file covers the Device's Supplier", { adt: undefined }],
    ];
    for (const [name, over] of missing) {
      it(`${name}: refuses without ${Object.keys(over)[0]}`, () => {
        const rule = GATE_RULES.find((r) => r.name === name);
        assert.ok(rule, name);
        assert.deepEqual(rule.check(facts()), [], 'holds on the accept facts');
        assert.ok(rule.check(facts(over)).length > 0);
      });
    }
    it('the content rule refuses a Signed Pre-Command without GBCS facts or without an event', () => {
      const rule = GATE_RULES.find((r) => r.name.startsWith("the request's content"))!;
      assert.ok(rule.check({ ...spcFacts(), gbcs: undefined }).length > 0);
      assert.deepEqual(rule.check(spcFacts(undefined, { event: undefined })).map((r) => r.code), ['GBCS_HEADER_MISMATCH']);
    });
    it('the replay rule refuses a Signed Pre-Command without its transform', () => {
      const rule = GATE_RULES.find((r) => r.name === 'no replay')!;
      assert.deepEqual(rule.check(spcFacts()), []);
      assert.ok(rule.check(spcFacts(undefined, { transform: undefined })).length > 0);
    });
  });
});

describe('gate/rules: edges the mutation run found untested', () => {
  const reasonsOf = (f: GateFacts) => decide(f).reasons;
  it('a certificate is valid from notBefore to notAfter inclusive', () => {
    assert.equal(decide(facts({ at: new Date(cert.notBefore), senderActiveEvents: [event], event: { ...event, startsAt: '2025-01-01T00:00:00Z', approvedAt: '2025-01-01T00:00:00Z', endsAt: '2037-01-01T00:00:00Z' } })).decision, 'accept');
    assert.equal(decide(facts({ at: new Date(cert.notAfter), event: { ...event, startsAt: '2025-01-01T00:00:00Z', approvedAt: '2025-01-01T00:00:00Z', endsAt: '2037-01-01T00:00:00Z' } })).decision, 'accept');
    assert.deepEqual(codes(facts({ at: new Date(Date.parse(cert.notAfter) + 1), event: { ...event, endsAt: '2037-01-01T00:00:00Z' } })), ['SIGNING_CERT_EXPIRED']);
  });
  it("an active event of another SRP for the same Supplier does not admit this sender's request", () => {
    const other = { ...event, srpUserId: '90B3D51F300D0001' as Eui64 };
    assert.deepEqual(codes(facts({ event: other })), ['DEVICE_NOT_FAILED_SUPPLIER']);
  });
  it('the details name what is missing: no Device, its Supplier, the body of a mismatched CommandVariant', () => {
    const other = { eui: ESME, deviceType: 'ESME', smets: 2, supplierEui: '90B3D51F30030000' as Eui64 };
    assert.match(reasonsOf(facts({ device: other })).find((r) => r.code === 'DEVICE_NOT_FAILED_SUPPLIER')!.detail!, /^registered to 90B3D51F30030000$/);
    const none = reasonsOf(facts({ device: undefined, adt: undefined }));
    assert.match(none.find((r) => r.code === 'DEVICE_NOT_FAILED_SUPPLIER')!.detail!, /^no Device 00DB1234567890A0 on record$/);
    assert.match(none.find((r) => r.code === 'ADT_MISSING')!.detail!, /unknown \(no Device\)/);
    const mismatched = reasonsOf(facts({ request: request({ commandVariant: 5 }, { kind: 'Other', localName: 'ReadInventory' } as DuisBody) }));
    assert.match(mismatched.find((r) => r.code === 'BODY_COMMAND_VARIANT_MISMATCH')!.detail!, /^ReadInventory with CommandVariant 5$/);
    const spcAs4 = reasonsOf(facts({ request: request({}, { kind: 'SignedPreCommand', gbcsPayload: Buffer.alloc(1) }) }));
    assert.match(spcAs4.find((r) => r.code === 'BODY_COMMAND_VARIANT_MISMATCH')!.detail!, /^SignedPreCommand with CommandVariant 4$/);
  });
  it('a refusal and a quarantine carry no warnings', () => {
    assert.deepEqual(decide(facts({ device: undefined })).warnings, []);
    const q = decide(facts({ adt: { adtId: 'ADT-1', warning: 1, quarantine: 2, windowHours: 24, countBefore: 5 } }));
    assert.deepEqual([q.decision, q.reasons.map((r) => r.code), q.warnings], ['quarantine', ['ADT_QUARANTINE'], []]);
  });
  it('a Signed Pre-Command with no Device on record is refused, not a crash', () => {
    assert.ok(codes(spcFacts(undefined, { device: undefined })).includes('DEVICE_UNKNOWN'));
  });
});

describe('gate/content-rules: DUIS execution times and each rule on its own', () => {
  it('duisExecution: the cancellation form exactly (with or without zone, +00:00, fractions)', () => {
    for (const t of ['3000-12-31T00:00:00', '3000-12-31T00:00:00Z', '3000-12-31T00:00:00+00:00', '3000-12-31T00:00:00-00:00', '3000-12-31T00:00:00.000Z']) {
      assert.deepEqual(duisExecution(t), { kind: 'cancellation' }, t);
    }
    for (const t of ['13000-12-31T00:00:00Z', '3000-12-31T00:00:00Z1', '3000-12-31T00:00:00+01:00', '3000-12-31T00:00:00x00:00']) {
      assert.notDeepEqual(duisExecution(t), { kind: 'cancellation' }, t);
    }
  });
  it('duisExecution: a zoned time is exact; without a zone it is GMT or BST (an hour either way); garbage is unreadable', () => {
    assert.deepEqual(duisExecution('2026-12-01T10:00:00+01:00'), { kind: 'at', earliest: new Date('2026-12-01T09:00:00Z'), latest: new Date('2026-12-01T09:00:00Z') });
    assert.deepEqual(duisExecution('2026-12-01T10:00:00-02:30'), { kind: 'at', earliest: new Date('2026-12-01T12:30:00Z'), latest: new Date('2026-12-01T12:30:00Z') });
    assert.deepEqual(duisExecution('2026-12-01T10:00:00'), { kind: 'at', earliest: new Date('2026-12-01T09:00:00Z'), latest: new Date('2026-12-01T11:00:00Z') });
    assert.equal(duisExecution('soon'), undefined);
    assert.equal(duisExecution('2026-13-45T99:00:00Z'), undefined);
  });
  it("each SRV's body reader refuses another SRV's body, and the gate names the body DUIS defines", () => {
    const f = facts();
    assert.deepEqual(CONTENT_RULES.get('1.6')!.body({ kind: 'ActivateEmergencyCredit' } as DuisBody, f).map((r) => r.code), ['BODY_NOT_FOR_SR']);
    assert.deepEqual(CONTENT_RULES.get('2.5')!.body({ kind: 'UpdatePaymentMode', mode: 'Credit' }, f).map((r) => r.code), ['BODY_NOT_FOR_SR']);
    assert.deepEqual(CONTENT_RULES.get('2.5')!.body({ kind: 'ActivateEmergencyCredit' } as DuisBody, f), []);
    const wrong = decide(facts({ request: request({}, { kind: 'ActivateEmergencyCredit' } as DuisBody) })).reasons.find((r) => r.code === 'BODY_NOT_FOR_SR');
    assert.match(wrong!.detail!, /for SR 1\.6; DUIS defines UpdatePaymentMode$/);
  });
  it('GBCS_MESSAGE_CODE names the code in upper-case hex and the use cases of the SRV', () => {
    const gas = signed('GCS02_1.6_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX', { recipient: GSME });
    const f = spcFacts(gas, { serviceRequest: sr25, device: { eui: GSME, deviceType: 'GSME', smets: 2, supplierEui: SUPPLIER } }, {},
      { serviceReference: '2.5', serviceReferenceVariant: '2.5', requestId: { originator: SRP, target: GSME, counter: COUNTER, text: 'x' } });
    const r = decide(f).reasons.find((x) => x.code === 'GBCS_MESSAGE_CODE');
    assert.match(r!.detail!, /^message code 0x006C is not a use case of SR 2\.5 \(ECS09, GCS06\)$/);
  });
});
