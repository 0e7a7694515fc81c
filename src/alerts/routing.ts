// Alert routing (MP134B requirement 7). Alerts follow their addressee: an alert addressed to a
// Supplier User ID goes to that Supplier; while a SoLR event is active and the Supplier's
// certificates are revoked, to the event's SRP; after the event, to the Supplier named when it ended
// (the SoLR) or it is held. Alerts addressed to any other role (a Network Operator's, the SRP's own)
// go to that addressee and never to an SRP. An alert that cannot be read, or whose DSP signature does
// not verify against a registered DSP xml-sign certificate, is held and reported, never dropped.
import { createHash, createPublicKey } from 'node:crypto';
import { readOrganisationCertificate } from '../ca/organisation-certificate.js';
import { InputError } from '../domain/errors.js';
import type { Eui64 } from '../domain/eui.js';
import { holdsSupplierRole } from '../domain/roles.js';
import { extractSignature, verifyEnveloped } from '../gate/xml/dsig.js';
import { isActive } from '../ra/solr.js';
import { listCertificates } from '../registry/certificates.js';
import { findDevice } from '../registry/devices.js';
import {
  findAlert,
  findDspCertificate,
  insertAlert,
  listAlerts,
  releaseAlert,
  type AlertKind,
  type AlertRecord,
  type DestinationKind,
} from '../registry/alerts.js';
import { listUserIds, findUserId, type UserIdRecord } from '../registry/parties.js';
import type { Registry } from '../registry/registry.js';
import { revocationEventForSupplier, type SolrEventRecord } from '../registry/solr.js';
import { parseDuisAlert, type DuisAlert } from './duis-alert.js';
import { operatorFor, type OperatorKey } from '../ra/credentials.js';

export type RouteReason =
  | 'SUPPLIER_CERTIFICATES_VALID'
  | 'SUPPLIER_REVOKED_UNDER_SOLR'
  | 'SUPPLIER_REVOKED_HANDOVER'
  | 'SUPPLIER_REVOKED_EVENT_OVER'
  | 'SUPPLIER_REVOKED_NO_SRP'
  | 'ADDRESSED_TO_OTHER_ROLE'
  | 'ADDRESSEE_UNKNOWN'
  | 'DEVICE_UNKNOWN'
  | 'ALERT_UNREADABLE'
  | 'DSP_CERTIFICATE_UNKNOWN'
  | 'DSP_SIGNATURE_INVALID';

/** Held for these, an alert is not re-routed by `alert release`: a person must look at it. */
export const UNTRUSTED_REASONS: readonly RouteReason[] = ['ALERT_UNREADABLE', 'DSP_CERTIFICATE_UNKNOWN', 'DSP_SIGNATURE_INVALID'];

export interface RouteFacts {
  /** Set when the alert cannot be read or trusted: it is held for this reason. */
  untrusted?: RouteReason;
  /** The User ID the alert is addressed to; undefined when it is not registered (or, for --device, the Device is unknown). */
  addressee: UserIdRecord | undefined;
  /** For --device: the Device is registered (its Supplier is the addressee). */
  deviceKnown: boolean;
  /** The newest SoLR event under which the addressee's certificates were revoked, if any. */
  revocationEvent: SolrEventRecord | undefined;
  /** That event is active now. */
  eventActive: boolean;
  /** The addressee's Party holds certificates and every one of them is revoked. */
  supplierFullyRevoked: boolean;
}

export interface RouteDecision {
  destinationKind: DestinationKind;
  destination: string | null;
  solrEventId: string | null;
  reason: RouteReason;
}

const held = (reason: RouteReason, solrEventId: string | null = null): RouteDecision => ({ destinationKind: 'held', destination: null, solrEventId, reason });

/** Pure: where does an alert go? */
export function decideRoute(f: RouteFacts): RouteDecision {
  if (f.untrusted) return held(f.untrusted);
  if (!f.deviceKnown) return held('DEVICE_UNKNOWN');
  const a = f.addressee;
  if (!a) return held('ADDRESSEE_UNKNOWN');
  if (!holdsSupplierRole(a.roles)) return { destinationKind: 'addressee', destination: a.eui, solrEventId: null, reason: 'ADDRESSED_TO_OTHER_ROLE' };
  // Only an event of this very Supplier sends its alerts to an SRP.
  const e = f.revocationEvent && f.revocationEvent.failedSupplier === a.eui ? f.revocationEvent : undefined;
  if (e) {
    if (f.eventActive) return { destinationKind: 'srp', destination: e.srpUserId, solrEventId: e.id, reason: 'SUPPLIER_REVOKED_UNDER_SOLR' };
    if (e.status === 'ended' && e.handoverTo) return { destinationKind: 'handover', destination: e.handoverTo, solrEventId: e.id, reason: 'SUPPLIER_REVOKED_HANDOVER' };
    return held('SUPPLIER_REVOKED_EVENT_OVER', e.id);
  }
  if (f.supplierFullyRevoked) return held('SUPPLIER_REVOKED_NO_SRP');
  return { destinationKind: 'supplier', destination: a.eui, solrEventId: null, reason: 'SUPPLIER_CERTIFICATES_VALID' };
}

/** Registry facts about an addressee User ID. */
function addresseeFacts(reg: Registry, addressee: Eui64 | undefined, at: Date): Omit<RouteFacts, 'deviceKnown' | 'untrusted'> {
  const u = addressee ? findUserId(reg, addressee) : undefined;
  if (!u || !holdsSupplierRole(u.roles)) return { addressee: u, revocationEvent: undefined, eventActive: false, supplierFullyRevoked: false };
  const certs = listCertificates(reg, { userIds: listUserIds(reg, u.partyId).map((x) => x.eui) });
  const revocationEvent = revocationEventForSupplier(reg, u.eui);
  return {
    addressee: u,
    revocationEvent,
    eventActive: revocationEvent ? isActive(revocationEvent, at) : false,
    supplierFullyRevoked: certs.length > 0 && certs.every((c) => c.status === 'revoked'),
  };
}

/** For `--device`: the alert is taken as addressed to the Device's registered Supplier. */
export function deviceRouteFacts(reg: Registry, device: Eui64, at: Date): RouteFacts {
  const d = findDevice(reg, device);
  if (!d) return { addressee: undefined, deviceKnown: false, revocationEvent: undefined, eventActive: false, supplierFullyRevoked: false };
  return { deviceKnown: true, ...addresseeFacts(reg, d.supplierEui as Eui64, at) };
}

/** The DSP's signature: verified with a registered DSP xml-sign certificate (OU 89) valid now, or why not. */
export function checkDspSignature(reg: Registry, alert: DuisAlert, at: Date): { serial: string } | { reason: RouteReason; problem: string } {
  let serialHex: string;
  try {
    serialHex = extractSignature(alert.doc).serial.toString(16).toUpperCase();
  } catch (e) {
    if (e instanceof InputError) return { reason: 'DSP_SIGNATURE_INVALID', problem: e.message };
    throw e;
  }
  const cert = findDspCertificate(reg, serialHex);
  if (!cert) return { reason: 'DSP_CERTIFICATE_UNKNOWN', problem: `no registered DSP xml-sign certificate has serial ${serialHex} ('smki alert dsp-register')` };
  const t = at.getTime();
  if (t < Date.parse(cert.notBefore) || t > Date.parse(cert.notAfter)) {
    return { reason: 'DSP_SIGNATURE_INVALID', problem: `DSP certificate ${serialHex} is valid ${cert.notBefore} .. ${cert.notAfter}` };
  }
  const key = createPublicKey({ key: readOrganisationCertificate(cert.der).spkiDer, format: 'der', type: 'spki' });
  const v = verifyEnveloped(alert.doc, key);
  return v.ok ? { serial: serialHex } : { reason: 'DSP_SIGNATURE_INVALID', problem: v.why };
}

interface Received {
  kind: AlertKind;
  device: Eui64 | null;
  code: string | null;
  fileSha256: string | null;
  addressee: Eui64 | null;
  dspCertificate: string | null;
  problem: string | null;
}

function record(reg: Registry, r: Received, facts: RouteFacts, actor: string, at: Date): AlertRecord {
  const decision = decideRoute(facts);
  const id = reg.nextId('ALERT');
  insertAlert(reg, {
    id,
    deviceEui: r.device,
    alertCode: r.code,
    receivedAt: at.toISOString(),
    supplierEui: facts.addressee && holdsSupplierRole(facts.addressee.roles) ? facts.addressee.eui : null,
    destination: decision.destination,
    destinationKind: decision.destinationKind,
    solrEventId: decision.solrEventId,
    status: decision.destinationKind === 'held' ? 'held' : 'routed',
    reason: decision.reason,
    fileSha256: r.fileSha256,
    addressee: r.addressee,
    alertKind: r.kind,
    dspCertificate: r.dspCertificate,
    problem: r.problem,
  });
  reg.audit.append(at, actor, decision.destinationKind === 'held' ? 'alert.hold' : 'alert.route', id, {
    kind: r.kind,
    device: r.device,
    code: r.code,
    addressee: r.addressee,
    destination: decision.destination,
    destinationKind: decision.destinationKind,
    solrEvent: decision.solrEventId,
    reason: decision.reason,
    dspCertificate: r.dspCertificate,
    fileSha256: r.fileSha256,
    problem: r.problem,
  });
  return findAlert(reg, id)!;
}

export interface AlertInput {
  device: Eui64;
  code?: string;
  actor: string;
}

/** `--device/--code` (tests, manual entry): decides, records (alert row + audit record, one transaction). */
export function routeAlert(reg: Registry, input: AlertInput): AlertRecord {
  return reg.tx(() => {
    const at = reg.now();
    const facts = deviceRouteFacts(reg, input.device, at);
    return record(reg, {
      kind: 'flags', device: input.device, code: input.code ?? null, fileSha256: null,
      addressee: facts.addressee?.eui ?? null, dspCertificate: null, problem: null,
    }, facts, input.actor, at);
  });
}

/** A DUIS alert file: read, DSP signature checked, routed by its addressee; unreadable or untrusted ones held. */
export function routeAlertFile(reg: Registry, bytes: Buffer, actor: string): AlertRecord {
  const fileSha256 = createHash('sha256').update(bytes).digest('hex');
  let alert: DuisAlert | undefined;
  let problem: string | null = null;
  try {
    alert = parseDuisAlert(bytes);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    problem = e.message.split('\n')[0]!;
  }
  return reg.tx(() => {
    const at = reg.now();
    const none: RouteFacts = { addressee: undefined, deviceKnown: true, revocationEvent: undefined, eventActive: false, supplierFullyRevoked: false };
    if (!alert) {
      return record(reg, { kind: 'unreadable', device: null, code: null, fileSha256, addressee: null, dspCertificate: null, problem }, { ...none, untrusted: 'ALERT_UNREADABLE' }, actor, at);
    }
    const received: Received = { kind: alert.kind, device: alert.device ?? null, code: alert.code, fileSha256, addressee: alert.addressee, dspCertificate: null, problem: null };
    const dsp = checkDspSignature(reg, alert, at);
    if ('reason' in dsp) return record(reg, { ...received, problem: dsp.problem }, { ...none, untrusted: dsp.reason }, actor, at);
    return record(reg, { ...received, dspCertificate: dsp.serial }, { deviceKnown: true, ...addresseeFacts(reg, alert.addressee, at) }, actor, at);
  });
}

/**
 * Re-routes held alerts; those that now have a destination are released, the rest stay held. Alerts
 * held as unreadable or untrusted are never released this way.
 */
export function releaseHeldAlerts(reg: Registry, operator: OperatorKey, ids?: string[]): { released: AlertRecord[]; stillHeld: AlertRecord[] } {
  return reg.tx(() => {
    const actor = operatorFor(reg, operator, 'alert.release', '', { alerts: ids ?? null });
    const heldAlerts = listAlerts(reg, { status: 'held' }).filter((a) => !ids || ids.some((i) => i.toUpperCase() === a.id.toUpperCase()));
    const released: AlertRecord[] = [];
    const stillHeld: AlertRecord[] = [];
    const at = reg.now();
    for (const a of heldAlerts) {
      if ((UNTRUSTED_REASONS as readonly string[]).includes(a.reason)) {
        stillHeld.push(a);
        continue;
      }
      const facts = a.alertKind === 'flags' && a.deviceEui
        ? deviceRouteFacts(reg, a.deviceEui as Eui64, at)
        : { deviceKnown: true, ...addresseeFacts(reg, (a.addressee ?? undefined) as Eui64 | undefined, at) };
      const d = decideRoute(facts);
      if (d.destinationKind === 'held') {
        stillHeld.push(a);
        continue;
      }
      const supplierEui = facts.addressee && holdsSupplierRole(facts.addressee.roles) ? facts.addressee.eui : null;
      releaseAlert(reg, a.id, { destination: d.destination!, destinationKind: d.destinationKind, solrEventId: d.solrEventId, reason: d.reason, supplierEui }, at);
      reg.audit.append(at, actor, 'alert.release', a.id, { destination: d.destination, kind: d.destinationKind, solrEvent: d.solrEventId, reason: d.reason });
      released.push(findAlert(reg, a.id)!);
    }
    return { released, stillHeld };
  });
}
