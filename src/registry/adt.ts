// Anomaly Detection Threshold files: one active file per SoLRContingency Party and Supplier, older ones
// kept as superseded, with their per-Service-Reference-Variant thresholds.
import type { Eui64 } from '../domain/eui.js';
import type { Registry } from './registry.js';
import { checkJoinedParty, JOINED_PARTY, type JoinedPartyRow } from './parties.js';

export type AdtStatus = 'active' | 'superseded';

export interface AdtThreshold {
  serviceReferenceVariant: string;
  warning: number;
  quarantine: number;
}

export interface AdtRecord {
  id: string;
  partyId: number;
  partyName: string;
  supplierEui: Eui64;
  officerId: string;
  submittedAt: string;
  sha256: string;
  fileName: string;
  status: AdtStatus;
  supersededBy: string | null;
  thresholds: AdtThreshold[];
}

interface Row extends JoinedPartyRow {
  id: string;
  supplier_eui: string;
  officer_id: string;
  submitted_at: string;
  sha256: string;
  file_name: string;
  status: AdtStatus;
  superseded_by: string | null;
}

const SELECT = `SELECT a.*, ${JOINED_PARTY} FROM adt_files a JOIN parties p ON p.id = a.party_id`;

function thresholdsOf(reg: Registry, id: string): AdtThreshold[] {
  requireAdtTables(reg);
  return reg.rows.checkAll('adt_thresholds', reg.stmt('SELECT * FROM adt_thresholds WHERE adt_id = ? ORDER BY rowid').all(id) as ThresholdRow[]).map((t) => ({
    serviceReferenceVariant: t.service_reference_variant,
    warning: t.warning_threshold,
    quarantine: t.quarantine_threshold,
  }));
}

interface ThresholdRow {
  adt_id: string;
  service_reference_variant: string;
  warning_threshold: number;
  quarantine_threshold: number;
}

function toRecord(reg: Registry, r: Row): AdtRecord {
  reg.rows.check('adt_files', r);
  checkJoinedParty(reg, r);
  return {
    id: r.id,
    partyId: r.party_id,
    partyName: r.party_name,
    supplierEui: r.supplier_eui as Eui64,
    officerId: r.officer_id,
    submittedAt: r.submitted_at,
    sha256: r.sha256,
    fileName: r.file_name,
    status: r.status,
    supersededBy: r.superseded_by,
    thresholds: thresholdsOf(reg, r.id),
  };
}

/**
 * ADT files and thresholds are few; where one is not found, or a file's thresholds are read, both
 * tables are checked whole, so a file or threshold deleted outside smki is refused (exit 5) instead of
 * reading as none (or as an older file).
 */
function requireAdtTables(reg: Registry): void {
  reg.rows.checkTable('adt_files');
  reg.rows.checkTable('adt_thresholds');
}

export function findAdt(reg: Registry, id: string): AdtRecord | undefined {
  const r = reg.stmt(`${SELECT} WHERE a.id = ? COLLATE NOCASE`).get(id) as Row | undefined;
  if (!r) requireAdtTables(reg);
  return r && toRecord(reg, r);
}

/** The active ADT file of a Party for a Supplier, if any. */
export function findActiveAdt(reg: Registry, partyId: number, supplier: Eui64): AdtRecord | undefined {
  const r = reg
    .stmt(`${SELECT} WHERE a.party_id = ? AND a.supplier_eui = ? AND a.status = 'active' ORDER BY a.rowid DESC LIMIT 1`)
    .get(partyId, supplier) as Row | undefined;
  if (!r) requireAdtTables(reg);
  return r && toRecord(reg, r);
}

/** One threshold of the active ADT file of a Party for a Supplier (the gate's question). */
export function findActiveThreshold(
  reg: Registry,
  partyId: number,
  supplier: Eui64,
  srv: string,
): { adtId: string; warning: number; quarantine: number } | undefined {
  const a = reg.rows.check('adt_files', reg
    .stmt(
      `SELECT a.* FROM adt_files a JOIN adt_thresholds t ON t.adt_id = a.id
        WHERE a.party_id = ? AND a.supplier_eui = ? AND a.status = 'active' AND t.service_reference_variant = ?
        ORDER BY a.rowid DESC LIMIT 1`,
    )
    .get(partyId, supplier, srv) as Row | undefined);
  if (!a) {
    requireAdtTables(reg);
    return undefined;
  }
  const t = reg.rows.check('adt_thresholds', reg.stmt('SELECT * FROM adt_thresholds WHERE adt_id = ? AND service_reference_variant = ?').get(a.id, srv) as ThresholdRow);
  return { adtId: a.id, warning: t.warning_threshold, quarantine: t.quarantine_threshold };
}

export function listAdts(reg: Registry, filter: { partyId?: number; supplier?: Eui64; all?: boolean } = {}): AdtRecord[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (filter.partyId !== undefined) {
    where.push('a.party_id = ?');
    args.push(filter.partyId);
  }
  if (filter.supplier !== undefined) {
    where.push('a.supplier_eui = ?');
    args.push(filter.supplier);
  }
  if (!filter.all) where.push("a.status = 'active'");
  requireAdtTables(reg);
  const sql = `${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY a.rowid`;
  return (reg.stmt(sql).all(...args) as Row[]).map((r) => toRecord(reg, r));
}

export function insertAdt(
  reg: Registry,
  a: { id: string; partyId: number; supplierEui: Eui64; officerId: string; sha256: string; fileName: string; thresholds: AdtThreshold[] },
  at: Date,
): void {
  reg
    .stmt(
      `INSERT INTO adt_files (id, party_id, supplier_eui, officer_id, submitted_at, sha256, file_name, status, superseded_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'active', NULL)`,
    )
    .run(a.id, a.partyId, a.supplierEui, a.officerId, at.toISOString(), a.sha256, a.fileName);
  const ins = reg.stmt(
    'INSERT INTO adt_thresholds (adt_id, service_reference_variant, warning_threshold, quarantine_threshold) VALUES (?, ?, ?, ?)',
  );
  for (const t of a.thresholds) ins.run(a.id, t.serviceReferenceVariant, t.warning, t.quarantine);
}

export function markAdtSuperseded(reg: Registry, id: string, by: string): void {
  reg.stmt("UPDATE adt_files SET status = 'superseded', superseded_by = ? WHERE id = ? AND status = 'active'").run(by, id);
}
