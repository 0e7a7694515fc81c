// Requirement 7 from the DUIS alert itself: `alert route --file` reads a DeviceAlertMessage or a
// DCCAlertMessage, checks the DSP's signature against a registered DSP xml-sign certificate (OU 89)
// and routes by the addressee; unreadable or untrusted alerts are held and reported, never dropped.
import { strict as assert } from 'node:assert';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decideRoute } from '../../src/alerts/routing.js';
import { assembleCertificate } from '../../src/ca/ca-certificates.js';
import { buildOrganisationTbs, readOrganisationCertificate } from '../../src/ca/organisation-certificate.js';
import { toPem } from '../../src/ca/pem.js';
import { formatEuiDashed, type Eui64 } from '../../src/domain/eui.js';
import type { SolrEventRecord } from '../../src/registry/solr.js';
import type { UserIdRecord } from '../../src/registry/parties.js';
import { signEnveloped } from '../../src/gate/xml/dsig.js';
import { makeTestCa, orgTemplate } from '../support/ca-chain.js';
import { ESME, FIXTURES, setupGateScenario, type GateScenario } from '../support/gate-scenario.js';
import { OTHER_SUPPLIER, SRP, SUPPLIER } from '../support/scenario.js';
import { actAs } from '../support/keys.js';

const SR = 'http://www.dccinterface.co.uk/ServiceUserGateway';
const DCC = '90B3D51F30000002' as Eui64;
const NETWORK_OPERATOR = '90B3D51F30020000' as Eui64;
const ALERT_PAYLOAD = Buffer.from(readFileSync(join(FIXTURES, 'gbcs', 'ECS02_1.6_8F66_FUTURE_DATED_TWIN_SUCCESS_ALERT_PAYMENT_MODE_GBCS.HEX'), 'utf8').replace(/\s+/g, ''), 'hex').toString('base64');

function response(originator: Eui64, addressee: Eui64, counter: number, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><sr:Response xmlns:sr="${SR}" schemaVersion="5.4"><sr:Header>`
    + `<sr:ResponseID>${formatEuiDashed(originator)}:${formatEuiDashed(addressee)}:${counter}</sr:ResponseID>`
    + `<sr:ResponseCode>I0</sr:ResponseCode><sr:ResponseDateTime>2026-12-01T10:00:00Z</sr:ResponseDateTime></sr:Header><sr:Body>${body}</sr:Body></sr:Response>`;
}
const deviceAlert = (device: Eui64, addressee: Eui64, n: number, code = '8F66') =>
  response(device, addressee, n, `<sr:DeviceAlertMessage><sr:AlertCode>${code}</sr:AlertCode><sr:GBCSPayload>${ALERT_PAYLOAD}</sr:GBCSPayload></sr:DeviceAlertMessage>`);
const dccAlert = (addressee: Eui64, n: number, code: string, alert: string) =>
  response(DCC, addressee, n, `<sr:DCCAlertMessage><sr:DCCAlertCode>${code}</sr:DCCAlertCode><sr:DCCAlert>${alert}</sr:DCCAlert></sr:DCCAlertMessage>`);

describe('alerts: DUIS alerts read, DSP signature checked, routed by addressee', function () {
  let g: GateScenario;
  let dsp: { key: KeyObject; issuerName: string; serialDecimal: string };
  let n = 100;
  before(async () => {
    g = await setupGateScenario();
    // A stand-in DSP PKI: its chain trusted, its OU 89 certificate registered for alerts.
    const ca = makeTestCa('DSPCA');
    const chain = join(g.dir, 'dsp-chain.pem');
    writeFileSync(chain, toPem(ca.issuing.der, 'CERTIFICATE') + toPem(ca.root.der, 'CERTIFICATE'));
    const t = orgTemplate(ca, { subject: { ou: '89', eui: DCC } });
    const tbs = buildOrganisationTbs(t);
    const der = assembleCertificate(tbs, sign('sha256', tbs, ca.issuing.key));
    const pem = join(g.dir, 'dsp.pem');
    writeFileSync(pem, toPem(der, 'CERTIFICATE'));
    const info = readOrganisationCertificate(der);
    dsp = { key: t.privateKey, issuerName: info.issuerText, serialDecimal: info.serialDecimal };
    assert.equal((await g.run(['ca', 'trust', '--file', chain, ...actAs('ra1')])).code, 0);
    // An XML-signing certificate (OU 87) is no DSP certificate.
    const xml = orgTemplate(ca, { subject: { ou: '87', eui: DCC } });
    const xmlTbs = buildOrganisationTbs(xml);
    const wrong = join(g.dir, 'not-dsp.pem');
    writeFileSync(wrong, toPem(assembleCertificate(xmlTbs, sign('sha256', xmlTbs, ca.issuing.key)), 'CERTIFICATE'));
    const refused = await g.run(['alert', 'dsp-register', '--file', wrong, ...actAs('ra1')]);
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /DSP_CERT_NOT_DSP_XML_SIGN/);
    // A DSP certificate from a CA nobody trusted.
    const other = makeTestCa('ROGUE');
    const rogue = orgTemplate(other, { subject: { ou: '89', eui: DCC } });
    const rogueTbs = buildOrganisationTbs(rogue);
    const roguePem = join(g.dir, 'rogue-dsp.pem');
    writeFileSync(roguePem, toPem(assembleCertificate(rogueTbs, sign('sha256', rogueTbs, other.issuing.key)), 'CERTIFICATE'));
    const untrusted = await g.run(['alert', 'dsp-register', '--file', roguePem, ...actAs('ra1')]);
    assert.equal(untrusted.code, 3);
    assert.match(untrusted.stderr, /DSP_CERT_UNTRUSTED/);
    const reg = await g.run(['alert', 'dsp-register', '--file', pem, ...actAs('ra1'), '--json']);
    assert.equal(reg.code, 0, reg.stderr);
    assert.equal((await g.run(['party', 'add', '--name', 'Wires plc', '--role', 'ED', '--eui', NETWORK_OPERATOR, ...actAs('ra1')])).code, 0);
  });
  after(() => g.cleanup());

  const signed = (xml: string, key = dsp.key) => signEnveloped(xml, { privateKey: key, issuerName: dsp.issuerName, serialDecimal: dsp.serialDecimal });
  async function route(xml: string) {
    const f = g.write('alert.xml', xml);
    const r = await g.run(['alert', 'route', '--file', f, '--json']);
    return { code: r.code, a: r.json, stderr: r.stderr };
  }

  it("a signed DeviceAlertMessage for the Supplier goes to the Supplier, then, once it is revoked under the active event, to the SRP", async () => {
    const before = await route(signed(deviceAlert(ESME, SUPPLIER as Eui64, ++n)));
    assert.equal(before.code, 0, before.stderr);
    assert.deepEqual([before.a.alertKind, before.a.alertCode, before.a.deviceId, before.a.destinationKind, before.a.destination], ['device', '8F66', ESME, 'supplier', SUPPLIER]);
    assert.ok(before.a.dspCertificate);
    assert.equal((await g.run(['solr', 'revoke-supplier', g.eventId, ...actAs('ra1'), '--passphrase-file', g.pass, '--yes'])).code, 0);
    const after = await route(signed(deviceAlert(ESME, SUPPLIER as Eui64, ++n)));
    assert.deepEqual([after.a.destinationKind, after.a.destination, after.a.solrEventId, after.a.reason], ['srp', SRP, g.eventId, 'SUPPLIER_REVOKED_UNDER_SOLR']);
  });

  it('a DCCAlertMessage AD1 (QuarantinedRequest) goes to its addressee; an N-code for the revoked Supplier to the SRP', async () => {
    const quarantined = `<sr:QuarantinedRequest><sr:ADUserThresholdBreach><sr:RequestID>${formatEuiDashed(SRP as Eui64)}:${formatEuiDashed(ESME)}:4242</sr:RequestID><sr:QuarantineEventRef>77</sr:QuarantineEventRef></sr:ADUserThresholdBreach></sr:QuarantinedRequest>`;
    const ad1 = await route(signed(dccAlert(SRP as Eui64, ++n, 'AD1', quarantined)));
    assert.equal(ad1.code, 0, JSON.stringify(ad1.a));
    assert.deepEqual([ad1.a.alertKind, ad1.a.alertCode, ad1.a.deviceId, ad1.a.destinationKind, ad1.a.destination], ['dcc', 'AD1', ESME, 'addressee', SRP]);
    const n12 = await route(signed(dccAlert(SUPPLIER as Eui64, ++n, 'N12', `<sr:CommandFailure><sr:DeviceID>${formatEuiDashed(ESME)}</sr:DeviceID></sr:CommandFailure>`)));
    assert.deepEqual([n12.a.alertCode, n12.a.deviceId, n12.a.destinationKind, n12.a.destination], ['N12', ESME, 'srp', SRP]);
  });

  it("an alert addressed to the Network Operator is never sent to the SRP, though it is about the failed Supplier's meter", async () => {
    const r = await route(signed(deviceAlert(ESME, NETWORK_OPERATOR, ++n, '8F0F')));
    assert.deepEqual([r.a.destinationKind, r.a.destination, r.a.reason], ['addressee', NETWORK_OPERATOR, 'ADDRESSED_TO_OTHER_ROLE']);
  });

  it('a bad DSP signature, an unknown signer and an unreadable file are held and reported (exit 3), and alert release keeps them', async () => {
    const tampered = signed(deviceAlert(ESME, SUPPLIER as Eui64, ++n)).replace('>8F66<', '>8F67<');
    const bad = await route(tampered);
    assert.equal(bad.code, 3);
    assert.deepEqual([bad.a.status, bad.a.reason], ['held', 'DSP_SIGNATURE_INVALID']);
    assert.match(bad.a.problem, /digest does not match/);
    const stranger = await route(signed(deviceAlert(ESME, SUPPLIER as Eui64, ++n), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey));
    assert.deepEqual([stranger.code, stranger.a.reason], [3, 'DSP_SIGNATURE_INVALID']);
    const unknown = await route(signEnveloped(deviceAlert(ESME, SUPPLIER as Eui64, ++n), { privateKey: dsp.key, issuerName: dsp.issuerName, serialDecimal: '12345' }));
    assert.deepEqual([unknown.code, unknown.a.reason], [3, 'DSP_CERTIFICATE_UNKNOWN']);
    const unsigned = await route(deviceAlert(ESME, SUPPLIER as Eui64, ++n));
    assert.deepEqual([unsigned.code, unsigned.a.reason, unsigned.a.alertKind], [3, 'ALERT_UNREADABLE', 'unreadable']);
    const garbage = await route('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>');
    assert.deepEqual([garbage.code, garbage.a.reason], [3, 'ALERT_UNREADABLE']);
    const human = await g.run(['alert', 'route', '--file', g.write('bad.xml', tampered)]);
    assert.match(human.stderr, /alert held: DSP_SIGNATURE_INVALID/);
    const rel = await g.run(['alert', 'release', '--json']);
    assert.equal(rel.code, 0);
    const held = (await g.run(['alert', 'held', '--json'])).json.items as { reason: string; fileSha256: string }[];
    assert.ok(held.filter((a) => ['DSP_SIGNATURE_INVALID', 'ALERT_UNREADABLE'].includes(a.reason)).length >= 5);
    assert.ok(held.every((a) => a.fileSha256));
  });

  it('after the event ends with --handover-to, the failed Supplier\'s alerts go to the handover Supplier (the SoLR)', async () => {
    const refused = await g.run(['solr', 'end', g.eventId, '--handover-to', SUPPLIER, ...actAs('ra1'), '--yes']);
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /SOLR_HANDOVER_NOT_SUPPLIER/);
    const end = await g.run(['solr', 'end', g.eventId, '--handover-to', OTHER_SUPPLIER, ...actAs('ra1'), '--yes', '--json']);
    assert.equal(end.code, 0, end.stderr);
    assert.equal(end.json.handoverTo, OTHER_SUPPLIER);
    const r = await route(signed(deviceAlert(ESME, SUPPLIER as Eui64, ++n)));
    assert.deepEqual([r.a.destinationKind, r.a.destination, r.a.reason], ['handover', OTHER_SUPPLIER, 'SUPPLIER_REVOKED_HANDOVER']);
    assert.equal((await g.run(['audit', 'verify'])).code, 0);
  });

  it('decideRoute: an event over without a handover Supplier holds the alert; other roles never reach an SRP', () => {
    const supplier = { eui: SUPPLIER, partyId: 1, partyName: 'F', role: 'IS', roles: ['IS', 'GS'], actingFor: null, createdAt: '' } as UserIdRecord;
    const event = { id: 'SOLR-9', failedSupplier: SUPPLIER, srpUserId: SRP, status: 'ended', handoverTo: null } as unknown as SolrEventRecord;
    const base = { deviceKnown: true, addressee: supplier, revocationEvent: event, eventActive: false, supplierFullyRevoked: true };
    assert.deepEqual(decideRoute(base), { destinationKind: 'held', destination: null, solrEventId: 'SOLR-9', reason: 'SUPPLIER_REVOKED_EVENT_OVER' });
    assert.equal(decideRoute({ ...base, revocationEvent: { ...event, status: 'approved' } }).reason, 'SUPPLIER_REVOKED_EVENT_OVER');
    assert.equal(decideRoute({ ...base, eventActive: true, revocationEvent: { ...event, status: 'approved' } }).destinationKind, 'srp');
    const no = { ...supplier, eui: NETWORK_OPERATOR, role: 'ED', roles: ['ED'] } as UserIdRecord;
    assert.equal(decideRoute({ ...base, addressee: no, eventActive: true }).destinationKind, 'addressee');
    assert.equal(decideRoute({ ...base, addressee: undefined }).reason, 'ADDRESSEE_UNKNOWN');
    assert.equal(decideRoute({ ...base, untrusted: 'DSP_SIGNATURE_INVALID', eventActive: true }).destinationKind, 'held');
  });
});
