// Alert routing decisions: where each alert went, or that it is held until someone can take it.
import type { Registry } from './registry.js';

export type AlertStatus = 'routed' | 'held' | 'released';
export type DestinationKind = 'supplier' | 'srp' | 'held';

export interface AlertRecord {
  id: string;
  deviceEui: string;
  alertCode: string | null;
  receivedAt: string;
  supplierEui: string | null;
  destination: string | null;
  destinationKind: DestinationKind;
  solrEventId: string | null;
  status: AlertStatus;
  reason: string;
  releasedAt: string | null;
  fileSha256: string | null;
}

interface Row {
  id: string;
  device_eui: string;
  alert_code: string | null;
  received_at: string;
  supplier_eui: string | null;
  destination: string | null;
  destination_kind: DestinationKind;
  solr_event_id: string | null;
  status: AlertStatus;
  reason: string;
  released_at: string | null;
  file_sha256: string | null;
}

function toRecord(r: Row): AlertRecord {
  return {
    id: r.id,
    deviceEui: r.device_eui,
    alertCode: r.alert_code,
    receivedAt: r.received_at,
    supplierEui: r.supplier_eui,
    destination: r.destination,
    destinationKind: r.destination_kind,
    solrEventId: r.solr_event_id,
    status: r.status,
    reason: r.reason,
    releasedAt: r.released_at,
    fileSha256: r.file_sha256,
  };
}

export function insertAlert(reg: Registry, a: Omit<AlertRecord, 'releasedAt'>): void {
  reg.db
    .prepare(
      `INSERT INTO alerts (id, device_eui, alert_code, received_at, supplier_eui, destination, destination_kind, solr_event_id, status, reason, file_sha256)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(a.id, a.deviceEui, a.alertCode, a.receivedAt, a.supplierEui, a.destination, a.destinationKind, a.solrEventId, a.status, a.reason, a.fileSha256);
}

export function findAlert(reg: Registry, id: string): AlertRecord | undefined {
  const r = reg.rows.check('alerts', reg.stmt('SELECT * FROM alerts WHERE id = ? COLLATE NOCASE').get(id) as Row | undefined);
  return r && toRecord(r);
}

export function listAlerts(reg: Registry, filter: { status?: AlertStatus; solrEventId?: string } = {}): AlertRecord[] {
  const where: string[] = [];
  const args: string[] = [];
  if (filter.status) { where.push('status = ?'); args.push(filter.status); }
  if (filter.solrEventId) { where.push('solr_event_id = ?'); args.push(filter.solrEventId); }
  return (reg.stmt(`SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY rowid`).all(...args) as Row[]).map((r) => toRecord(reg.rows.check('alerts', r)));
}

export function releaseAlert(
  reg: Registry,
  id: string,
  to: { destination: string; destinationKind: DestinationKind; solrEventId: string | null; reason: string; supplierEui: string | null },
  at: Date,
): void {
  reg.db
    .prepare("UPDATE alerts SET status = 'released', destination = ?, destination_kind = ?, solr_event_id = ?, reason = ?, supplier_eui = ?, released_at = ? WHERE id = ?")
    .run(to.destination, to.destinationKind, to.solrEventId, to.reason, to.supplierEui, at.toISOString(), id);
}
