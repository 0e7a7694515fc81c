// Alert routing (MP134B requirement 7). The DCC still sends Alerts for a failed Supplier's Devices
// after its certificates are revoked; they go to the SRP of the SoLR event instead. An alert with no
// reachable destination is held, never dropped, until `alert release` finds one.
import type { Eui64 } from '../domain/eui.js';
import { listCertificates } from '../registry/certificates.js';
import { findDevice } from '../registry/devices.js';
import { findAlert, insertAlert, listAlerts, releaseAlert, type AlertRecord, type DestinationKind } from '../registry/alerts.js';
import { listUserIds, findUserId } from '../registry/parties.js';
import type { Registry } from '../registry/registry.js';
import { revocationEventForSupplier, type SolrEventRecord } from '../registry/solr.js';

export type RouteReason =
  | 'SUPPLIER_CERTIFICATES_VALID'
  | 'SUPPLIER_REVOKED_UNDER_SOLR'
  | 'SUPPLIER_REVOKED_NO_SRP'
  | 'DEVICE_UNKNOWN';

export interface RouteFacts {
  deviceKnown: boolean;
  supplier: Eui64 | null;
  /** The SoLR event under which the Supplier's certificates were revoked, if any. */
  revocationEvent: SolrEventRecord | undefined;
  /** The Supplier Party holds certificates and every one of them is revoked. */
  supplierFullyRevoked: boolean;
}

export interface RouteDecision {
  destinationKind: DestinationKind;
  destination: string | null;
  solrEventId: string | null;
  reason: RouteReason;
}

/** Pure: where does an alert go? */
export function decideRoute(f: RouteFacts): RouteDecision {
  if (!f.deviceKnown || !f.supplier) return { destinationKind: 'held', destination: null, solrEventId: null, reason: 'DEVICE_UNKNOWN' };
  // Only an event of this very Supplier sends its alerts to an SRP.
  if (f.revocationEvent && f.revocationEvent.failedSupplier === f.supplier) {
    return { destinationKind: 'srp', destination: f.revocationEvent.srpUserId, solrEventId: f.revocationEvent.id, reason: 'SUPPLIER_REVOKED_UNDER_SOLR' };
  }
  if (f.supplierFullyRevoked) return { destinationKind: 'held', destination: null, solrEventId: null, reason: 'SUPPLIER_REVOKED_NO_SRP' };
  return { destinationKind: 'supplier', destination: f.supplier, solrEventId: null, reason: 'SUPPLIER_CERTIFICATES_VALID' };
}

export function routeFacts(reg: Registry, device: Eui64): RouteFacts {
  const d = findDevice(reg, device);
  if (!d) return { deviceKnown: false, supplier: null, revocationEvent: undefined, supplierFullyRevoked: false };
  const supplier = d.supplierEui as Eui64;
  const party = findUserId(reg, supplier);
  const certs = party ? listCertificates(reg, { userIds: listUserIds(reg, party.partyId).map((u) => u.eui) }) : [];
  return {
    deviceKnown: true,
    supplier,
    revocationEvent: revocationEventForSupplier(reg, supplier),
    supplierFullyRevoked: certs.length > 0 && certs.every((c) => c.status === 'revoked'),
  };
}

export interface AlertInput {
  device: Eui64;
  code?: string;
  fileSha256?: string;
  actor: string;
}

/** Decides, records (alert row + audit record, one transaction) and returns the routing. */
export function routeAlert(reg: Registry, input: AlertInput): AlertRecord {
  return reg.tx(() => {
    const facts = routeFacts(reg, input.device);
    const decision = decideRoute(facts);
    const at = reg.now();
    const id = reg.nextId('ALERT');
    insertAlert(reg, {
      id,
      deviceEui: input.device,
      alertCode: input.code ?? null,
      receivedAt: at.toISOString(),
      supplierEui: facts.supplier,
      destination: decision.destination,
      destinationKind: decision.destinationKind,
      solrEventId: decision.solrEventId,
      status: decision.destinationKind === 'held' ? 'held' : 'routed',
      reason: decision.reason,
      fileSha256: input.fileSha256 ?? null,
    });
    reg.audit.append(at, input.actor, decision.destinationKind === 'held' ? 'alert.hold' : 'alert.route', id, {
      device: input.device,
      code: input.code ?? null,
      supplier: facts.supplier,
      destination: decision.destination,
      kind: decision.destinationKind,
      solrEvent: decision.solrEventId,
      reason: decision.reason,
    });
    return findAlert(reg, id)!;
  });
}

/** Re-routes held alerts; those that now have a destination are released, the rest stay held. */
export function releaseHeldAlerts(reg: Registry, actor: string, ids?: string[]): { released: AlertRecord[]; stillHeld: AlertRecord[] } {
  return reg.tx(() => {
    const held = listAlerts(reg, { status: 'held' }).filter((a) => !ids || ids.some((i) => i.toUpperCase() === a.id.toUpperCase()));
    const released: AlertRecord[] = [];
    const stillHeld: AlertRecord[] = [];
    const at = reg.now();
    for (const a of held) {
      const facts = routeFacts(reg, a.deviceEui as Eui64);
      const d = decideRoute(facts);
      if (d.destinationKind === 'held') {
        stillHeld.push(a);
        continue;
      }
      releaseAlert(reg, a.id, { destination: d.destination!, destinationKind: d.destinationKind, solrEventId: d.solrEventId, reason: d.reason, supplierEui: facts.supplier }, at);
      reg.audit.append(at, actor, 'alert.release', a.id, { destination: d.destination, kind: d.destinationKind, solrEvent: d.solrEventId, reason: d.reason });
      released.push(findAlert(reg, a.id)!);
    }
    return { released, stillHeld };
  });
}
