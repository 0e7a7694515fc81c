// Quarantined Service Requests: one AD1-style record per request the gate quarantined over an ADT
// quarantine threshold (the DCC Alert a DCC User receives for a quarantined request), kept for the
// SRP until an ARO of its Party releases or deletes it.
import type { Registry } from './registry.js';

/** DUIS DCC Alert code of a request quarantined by anomaly detection. */
export const QUARANTINE_ALERT_CODE = 'AD1';

export type QuarantineStatus = 'quarantined' | 'released' | 'deleted';

export interface QuarantineRecord {
  id: string;
  decisionId: number;
  alertCode: string;
  requestId: string;
  originator: string;
  target: string;
  counter: bigint;
  commandVariant: number;
  serviceReferenceVariant: string;
  supplierEui: string | null;
  solrEventId: string | null;
  /** The file the gate read the request from. */
  source: string;
  docSha256: string;
  /** What the ADT said (count, window, thresholds, ADT file). */
  detail: string;
  quarantinedAt: string;
  status: QuarantineStatus;
  /** The ARO who released or deleted it. */
  actedByOfficer: string | null;
  actedBy: string | null;
  actedAt: string | null;
}

interface Row {
  id: string;
  decision_id: number;
  alert_code: string;
  request_id: string;
  originator: string;
  target: string;
  counter: string;
  command_variant: number;
  service_reference_variant: string;
  supplier_eui: string | null;
  solr_event_id: string | null;
  source: string;
  doc_sha256: string;
  detail: string;
  quarantined_at: string;
  status: QuarantineStatus;
  acted_by_officer: string | null;
  acted_by: string | null;
  acted_at: string | null;
}

function toRecord(r: Row): QuarantineRecord {
  return {
    id: r.id,
    decisionId: r.decision_id,
    alertCode: r.alert_code,
    requestId: r.request_id,
    originator: r.originator,
    target: r.target,
    counter: BigInt(r.counter),
    commandVariant: r.command_variant,
    serviceReferenceVariant: r.service_reference_variant,
    supplierEui: r.supplier_eui,
    solrEventId: r.solr_event_id,
    source: r.source,
    docSha256: r.doc_sha256,
    detail: r.detail,
    quarantinedAt: r.quarantined_at,
    status: r.status,
    actedByOfficer: r.acted_by_officer,
    actedBy: r.acted_by,
    actedAt: r.acted_at,
  };
}

export function insertQuarantine(reg: Registry, q: Omit<QuarantineRecord, 'status' | 'actedByOfficer' | 'actedBy' | 'actedAt'>): void {
  reg
    .stmt(
      `INSERT INTO sr_quarantine (id, decision_id, alert_code, request_id, originator, target, counter, command_variant, service_reference_variant,
         supplier_eui, solr_event_id, source, doc_sha256, detail, quarantined_at, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'quarantined')`,
    )
    .run(q.id, q.decisionId, q.alertCode, q.requestId, q.originator, q.target, q.counter.toString(), q.commandVariant, q.serviceReferenceVariant,
      q.supplierEui, q.solrEventId, q.source, q.docSha256, q.detail, q.quarantinedAt);
}

export function findQuarantine(reg: Registry, id: string): QuarantineRecord | undefined {
  const r = reg.rows.check('sr_quarantine', reg.stmt('SELECT * FROM sr_quarantine WHERE id = ?').get(id) as Row | undefined);
  // Not found: a quarantined request deleted outside smki is refused (exit 5), not reported as unknown.
  if (!r) reg.rows.checkTable('sr_quarantine');
  return r && toRecord(r);
}

/** The table is checked whole first: a quarantined request deleted outside smki would silently drop out of the officers' queue. */
export function listQuarantine(reg: Registry, filter: { status?: QuarantineStatus; solrEventId?: string } = {}): QuarantineRecord[] {
  reg.rows.checkTable('sr_quarantine');
  const where: string[] = [];
  const args: string[] = [];
  if (filter.status) {
    where.push('status = ?');
    args.push(filter.status);
  }
  if (filter.solrEventId) {
    where.push('solr_event_id = ?');
    args.push(filter.solrEventId);
  }
  const sql = `SELECT * FROM sr_quarantine${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY quarantined_at, id`;
  return (reg.rows.checkAll('sr_quarantine', reg.stmt(sql).all(...args) as Row[])).map(toRecord);
}

export function setQuarantineStatus(reg: Registry, id: string, status: Exclude<QuarantineStatus, 'quarantined'>, officerId: string, actor: string, at: Date): void {
  reg
    .stmt("UPDATE sr_quarantine SET status = ?, acted_by_officer = ?, acted_by = ?, acted_at = ? WHERE id = ? AND status = 'quarantined'")
    .run(status, officerId, actor, at.toISOString(), id);
}

/**
 * Released requests counted against an ADT with their release in [from, through] (the part of the ADT
 * window's first minute before the window). Every release of that minute, up to `minuteEnd`, is read
 * and checked, so an edit outside smki that would make one count is refused.
 */
export function countReleasedBetween(reg: Registry, originators: readonly string[], supplier: string, srv: string, from: string, through: string, minuteEnd: string): number {
  if (originators.length === 0) return 0;
  const ids = originators.map(() => '?').join(', ');
  const rows = reg
    .stmt(
      `SELECT * FROM sr_quarantine WHERE status = 'released' AND originator IN (${ids}) AND supplier_eui = ? AND service_reference_variant = ?
       AND acted_at >= ? AND acted_at < ?`,
    )
    .all(...originators, supplier, srv, from, minuteEnd) as Row[];
  return reg.rows.checkAll('sr_quarantine', rows).filter((r) => r.acted_at! <= through).length;
}
