// SoLR events: the Authority's instruction, its dual-control approval, its end and revocation.
import type { Eui64 } from '../domain/eui.js';
import type { Registry } from './registry.js';

export type SolrStatus = 'recorded' | 'approved' | 'ended';

export interface SolrEventRecord {
  id: string;
  failedSupplier: Eui64;
  srpUserId: Eui64;
  instructionRef: string;
  startsAt: string;
  endsAt: string;
  status: SolrStatus;
  recordedBy: string;
  recordedAt: string;
  approvedBy: string | null;
  approvedAt: string | null;
  endedBy: string | null;
  endedAt: string | null;
  suppliersRevokedAt: string | null;
  suppliersRevokedBy: string | null;
  /** The Supplier (the SoLR) named when the event ended: the failed Supplier's alerts go there afterwards. */
  handoverTo: Eui64 | null;
}

interface Row {
  id: string;
  failed_supplier: string;
  srp_user_id: string;
  instruction_ref: string;
  starts_at: string;
  ends_at: string;
  status: SolrStatus;
  recorded_by: string;
  recorded_at: string;
  approved_by: string | null;
  approved_at: string | null;
  ended_by: string | null;
  ended_at: string | null;
  suppliers_revoked_at: string | null;
  suppliers_revoked_by: string | null;
  handover_to: string | null;
}

function toRecord(r: Row): SolrEventRecord {
  return {
    id: r.id,
    failedSupplier: r.failed_supplier as Eui64,
    srpUserId: r.srp_user_id as Eui64,
    instructionRef: r.instruction_ref,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    status: r.status,
    recordedBy: r.recorded_by,
    recordedAt: r.recorded_at,
    approvedBy: r.approved_by,
    approvedAt: r.approved_at,
    endedBy: r.ended_by,
    endedAt: r.ended_at,
    suppliersRevokedAt: r.suppliers_revoked_at,
    suppliersRevokedBy: r.suppliers_revoked_by,
    handoverTo: r.handover_to as Eui64 | null,
  };
}

export function insertSolrEvent(
  reg: Registry,
  e: Pick<SolrEventRecord, 'id' | 'failedSupplier' | 'srpUserId' | 'instructionRef' | 'startsAt' | 'endsAt' | 'recordedBy' | 'recordedAt'>,
): void {
  reg
    .stmt(
      `INSERT INTO solr_events (id, failed_supplier, srp_user_id, instruction_ref, starts_at, ends_at, status, recorded_by, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, 'recorded', ?, ?)`,
    )
    .run(e.id, e.failedSupplier, e.srpUserId, e.instructionRef, e.startsAt, e.endsAt, e.recordedBy, e.recordedAt);
}

export function findSolrEvent(reg: Registry, id: string): SolrEventRecord | undefined {
  // The whole (small) table: a deleted event or one put back from an older copy is refused too.
  reg.rows.checkTable('solr_events');
  const r = reg.stmt('SELECT * FROM solr_events WHERE id = ? COLLATE NOCASE').get(id) as Row | undefined;
  return r && toRecord(r);
}

export function listSolrEvents(reg: Registry, filter: { srp?: Eui64; supplier?: Eui64 } = {}): SolrEventRecord[] {
  const where: string[] = [];
  const args: string[] = [];
  if (filter.srp) { where.push('srp_user_id = ?'); args.push(filter.srp); }
  if (filter.supplier) { where.push('failed_supplier = ?'); args.push(filter.supplier); }
  reg.rows.checkTable('solr_events');
  const sql = `SELECT * FROM solr_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY recorded_at, rowid`;
  return (reg.stmt(sql).all(...args) as Row[]).map(toRecord);
}

export function approveSolrEvent(reg: Registry, id: string, by: string, at: Date): void {
  reg.stmt("UPDATE solr_events SET status = 'approved', approved_by = ?, approved_at = ? WHERE id = ?").run(by, at.toISOString(), id);
}

export function endSolrEvent(reg: Registry, id: string, by: string, at: Date, handoverTo: Eui64 | null = null): void {
  reg.stmt("UPDATE solr_events SET status = 'ended', ended_by = ?, ended_at = ?, handover_to = ? WHERE id = ?").run(by, at.toISOString(), handoverTo, id);
}

export function markSuppliersRevoked(reg: Registry, id: string, by: string, at: Date): void {
  reg.stmt('UPDATE solr_events SET suppliers_revoked_at = ?, suppliers_revoked_by = ? WHERE id = ?').run(at.toISOString(), by, id);
}

/** The newest event under which this Supplier's certificates were revoked, if any. */
export function revocationEventForSupplier(reg: Registry, supplier: Eui64): SolrEventRecord | undefined {
  reg.rows.checkTable('solr_events');
  const r = reg.stmt('SELECT * FROM solr_events WHERE failed_supplier = ? AND suppliers_revoked_at IS NOT NULL ORDER BY suppliers_revoked_at DESC LIMIT 1')
    .get(supplier) as Row | undefined;
  return r && toRecord(r);
}
