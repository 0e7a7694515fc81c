// Read-only queries for the SoLR event report (`smki report ID`): what the gate decided, which
// alerts went where and which certificates were revoked, for one event. Nothing here writes.
import type { Registry } from './registry.js';

export interface ReportDecision {
  id: number;
  decidedAt: string;
  requestId: string | null;
  originator: string | null;
  target: string | null;
  commandVariant: number | null;
  serviceReferenceVariant: string | null;
  deviceType: string | null;
  supplierEui: string | null;
  decision: 'accept' | 'refuse' | 'quarantine';
  reasons: { code: string; message?: string; requirement?: string; detail?: string }[];
  warnings: { code: string; message?: string; requirement?: string; detail?: string }[];
  /**
   * 'event': the gate tied the decision to the event (it was active). 'window': no event was active
   * for the request, which came from the event's SRP within the event's window, so it is counted here.
   */
  attributed: 'event' | 'window';
}

interface DecisionRow {
  id: number;
  decided_at: string;
  request_id: string | null;
  originator: string | null;
  target: string | null;
  command_variant: number | null;
  service_reference_variant: string | null;
  device_type: string | null;
  supplier_eui: string | null;
  solr_event_id: string | null;
  decision: ReportDecision['decision'];
  reasons: string;
  warnings: string;
}

function parseList(text: string): ReportDecision['reasons'] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((x): x is ReportDecision['reasons'][number] => typeof x === 'object' && x !== null && typeof (x as { code?: unknown }).code === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Service Request decisions of an event: those the gate recorded under it, and those with no event
 * from its SRP (originator) decided within its window [from, until].
 */
export function decisionsForEvent(reg: Registry, e: { id: string; srpUserId: string; startsAt: string; endsAt: string }): ReportDecision[] {
  const rows = reg.db
    .prepare(
      `SELECT *
         FROM sr_decisions
        WHERE solr_event_id = ?
           OR (solr_event_id IS NULL AND originator = ? AND decided_at >= ? AND decided_at <= ?)
        ORDER BY decided_at, id`,
    )
    .all(e.id, e.srpUserId, e.startsAt, e.endsAt) as DecisionRow[];
  // Every row whole, its row MAC checked: a decision edited or inserted outside smki is exit 5, not reported.
  return reg.rows.checkAll('sr_decisions', rows).map((r) => ({
    id: r.id,
    decidedAt: r.decided_at,
    requestId: r.request_id,
    originator: r.originator,
    target: r.target,
    commandVariant: r.command_variant,
    serviceReferenceVariant: r.service_reference_variant,
    deviceType: r.device_type,
    supplierEui: r.supplier_eui,
    decision: r.decision,
    reasons: parseList(r.reasons),
    warnings: parseList(r.warnings),
    attributed: r.solr_event_id ? 'event' : 'window',
  }));
}

export interface ReportAlert {
  id: string;
  deviceEui: string;
  alertCode: string | null;
  receivedAt: string;
  destination: string | null;
  destinationKind: 'supplier' | 'srp' | 'held';
  status: 'routed' | 'held' | 'released';
  reason: string;
  releasedAt: string | null;
  /** 'event': routed to the event's SRP; 'window': another alert for the failed Supplier's Devices in the window. */
  attributed: 'event' | 'window';
}

/** Alerts routed under the event, and every other alert for the failed Supplier's Devices within its window. */
export function alertsForEvent(reg: Registry, e: { id: string; failedSupplier: string; startsAt: string; endsAt: string }): ReportAlert[] {
  const rows = reg.db
    .prepare(
      `SELECT *
         FROM alerts
        WHERE solr_event_id = ?
           OR ((solr_event_id IS NULL OR solr_event_id <> ?) AND supplier_eui = ? AND received_at >= ? AND received_at <= ?)
        ORDER BY received_at, rowid`,
    )
    .all(e.id, e.id, e.failedSupplier, e.startsAt, e.endsAt) as {
    id: string;
    device_eui: string;
    alert_code: string | null;
    received_at: string;
    destination: string | null;
    destination_kind: ReportAlert['destinationKind'];
    status: ReportAlert['status'];
    reason: string;
    released_at: string | null;
    solr_event_id: string | null;
  }[];
  // Every row whole, its row MAC checked (as the decisions above): an alert edited outside smki is exit 5.
  return reg.rows.checkAll('alerts', rows).map((r) => ({
    id: r.id,
    deviceEui: r.device_eui,
    alertCode: r.alert_code,
    receivedAt: r.received_at,
    destination: r.destination,
    destinationKind: r.destination_kind,
    status: r.status,
    reason: r.reason,
    releasedAt: r.released_at,
    attributed: r.solr_event_id === e.id ? 'event' : 'window',
  }));
}

export interface ReportCertificate {
  serial: string;
  userId: string;
  profile: string;
  roleOu: string;
  source: 'issued' | 'registered';
  revokedAt: string | null;
  revocationReason: string | null;
}

interface CertificateRow {
  serial: string;
  user_id: string;
  profile: string;
  role_ou: string;
  source: 'issued' | 'registered';
  status: 'valid' | 'revoked';
  revoked_at: string | null;
  revocation_reason: string | null;
}

/** Certificate rows selected whole, each row MAC checked, as the report shows them. */
function reportCertificates(reg: Registry, rows: CertificateRow[]): (ReportCertificate & { status: 'valid' | 'revoked' })[] {
  return reg.rows.checkAll('certificates', rows).map((r) => ({
    serial: r.serial,
    userId: r.user_id,
    profile: r.profile,
    roleOu: r.role_ou,
    source: r.source,
    status: r.status,
    revokedAt: r.revoked_at,
    revocationReason: r.revocation_reason,
  }));
}

/** Certificates revoked under the event. */
export function certificatesRevokedUnder(reg: Registry, eventId: string): ReportCertificate[] {
  const rows = reg.stmt('SELECT * FROM certificates WHERE solr_event_id = ? ORDER BY revoked_at, serial').all(eventId) as CertificateRow[];
  return reportCertificates(reg, rows).map(({ status: _status, ...c }) => c);
}

/** Certificates held by one User ID (the SRP's: requirement 2 in the report). */
export function certificatesOf(reg: Registry, userId: string): (ReportCertificate & { status: 'valid' | 'revoked' })[] {
  return reportCertificates(reg, reg.stmt('SELECT * FROM certificates WHERE user_id = ? ORDER BY created_at, serial').all(userId) as CertificateRow[]);
}

/**
 * Devices registered to a Supplier, per Device type. Each Device row is read whole and its row MAC
 * checked (a Device's Supplier or type edited outside smki is exit 5, not counted).
 */
export function deviceTypeCounts(reg: Registry, supplierEui: string): { deviceType: string; devices: number }[] {
  const counts = new Map<string, number>();
  const rows = reg.inSnapshot(() => reg.stmt('SELECT * FROM devices WHERE supplier_eui = ?').iterate(supplierEui) as IterableIterator<{ device_type: string }>);
  for (const r of rows) {
    reg.rows.check('devices', r);
    counts.set(r.device_type, (counts.get(r.device_type) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([deviceType, devices]) => ({ deviceType, devices }));
}
