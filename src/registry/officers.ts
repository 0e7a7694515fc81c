// Senior and Authorised Responsible Officers, with their status history.
import type { Registry } from './registry.js';
import { checkJoinedParty, JOINED_PARTY, type JoinedPartyRow } from './parties.js';

export type OfficerKind = 'sro' | 'aro';
export type OfficerStatus = 'nominated' | 'active' | 'suspended' | 'revoked';

export interface OfficerRecord {
  id: string;
  partyId: number;
  partyName: string;
  kind: OfficerKind;
  name: string;
  status: OfficerStatus;
  nominatedBy: string | null;
  evidence: string | null;
  createdAt: string;
  updatedAt: string;
  /** The officer's registered key (SHA-256 of its SPKI, and the SPKI), or null for one registered before keys. */
  keyId: string | null;
  publicKey: Buffer | null;
}

interface Row extends JoinedPartyRow {
  id: string;
  kind: OfficerKind;
  name: string;
  status: OfficerStatus;
  nominated_by: string | null;
  evidence: string | null;
  created_at: string;
  updated_at: string;
  key_id: string | null;
  public_key: Buffer | null;
}

const SELECT = `SELECT o.*, ${JOINED_PARTY} FROM officers o JOIN parties p ON p.id = o.party_id`;

function toRecord(r: Row): OfficerRecord {
  return {
    id: r.id,
    partyId: r.party_id,
    partyName: r.party_name,
    kind: r.kind,
    name: r.name,
    status: r.status,
    nominatedBy: r.nominated_by,
    evidence: r.evidence,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    keyId: r.key_id,
    publicKey: r.public_key,
  };
}

export function findOfficer(reg: Registry, id: string): OfficerRecord | undefined {
  const r = reg.rows.check('officers', reg.stmt(`${SELECT} WHERE o.id = ? COLLATE NOCASE`).get(id) as Row | undefined);
  return r && toRecord(checkJoinedParty(reg, r));
}

/** The officers registered with this key (one, unless the registry was edited), each row checked. */
export function officersWithKey(reg: Registry, keyId: string): OfficerRecord[] {
  return reg.rows.checkAll('officers', reg.stmt(`${SELECT} WHERE o.key_id = ? ORDER BY o.rowid`).all(keyId) as Row[]).map((r) => toRecord(checkJoinedParty(reg, r)));
}

export function listOfficers(reg: Registry, partyId?: number): OfficerRecord[] {
  const rows = (partyId === undefined
    ? reg.stmt(`${SELECT} ORDER BY o.rowid`).all()
    : reg.stmt(`${SELECT} WHERE o.party_id = ? ORDER BY o.rowid`).all(partyId)) as Row[];
  return reg.rows.checkAll('officers', rows).map((r) => toRecord(checkJoinedParty(reg, r)));
}

export function insertOfficer(
  reg: Registry,
  o: { id: string; partyId: number; kind: OfficerKind; name: string; status: OfficerStatus; nominatedBy: string | null; evidence: string | null; keyId: string; publicKey: Buffer; addedSeq: number },
  by: string,
  at: Date,
): void {
  const t = at.toISOString();
  reg
    .stmt('INSERT INTO officers (id, party_id, kind, name, status, nominated_by, evidence, created_at, updated_at, key_id, public_key, added_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(o.id, o.partyId, o.kind, o.name, o.status, o.nominatedBy, o.evidence, t, t, o.keyId, o.publicKey, o.addedSeq);
  reg.stmt('INSERT INTO officer_history (officer_id, at, status, by, note) VALUES (?, ?, ?, ?, ?)').run(o.id, t, o.status, by, null);
}

export function setOfficerStatus(reg: Registry, id: string, status: OfficerStatus, by: string, at: Date, note: string | null): void {
  const t = at.toISOString();
  reg.stmt('UPDATE officers SET status = ?, updated_at = ? WHERE id = ?').run(status, t, id);
  reg.stmt('INSERT INTO officer_history (officer_id, at, status, by, note) VALUES (?, ?, ?, ?, ?)').run(id, t, status, by, note);
}

/** An officer's steps, oldest first. The whole (small) table is checked: a deleted step is refused, not left out. */
export function officerHistory(reg: Registry, id: string): { at: string; status: OfficerStatus; by: string; note: string | null }[] {
  reg.rows.checkTable('officer_history');
  return reg.rows.checkAll('officer_history', reg.stmt('SELECT * FROM officer_history WHERE officer_id = ? ORDER BY rowid').all(id) as { at: string; status: OfficerStatus; by: string; note: string | null }[])
    .map((r) => ({ at: r.at, status: r.status, by: r.by, note: r.note }));
}
