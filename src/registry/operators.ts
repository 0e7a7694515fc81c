// RA operators: a name and a registered P-256 public key. Rows are never deleted; a revoked operator's
// row keeps when and by whom (and at which audit record) it was revoked.
import type { Registry } from './registry.js';

export type OperatorStatus = 'active' | 'revoked';

export interface OperatorRecord {
  name: string;
  keyId: string;
  publicKey: Buffer;
  status: OperatorStatus;
  addedAt: string;
  addedBy: string;
  addedSeq: number;
  revokedAt: string | null;
  revokedBy: string | null;
  revokedSeq: number | null;
}

interface Row {
  name: string;
  key_id: string;
  public_key: Buffer;
  status: OperatorStatus;
  added_at: string;
  added_by: string;
  added_seq: number;
  revoked_at: string | null;
  revoked_by: string | null;
  revoked_seq: number | null;
}

function toRecord(r: Row): OperatorRecord {
  return {
    name: r.name,
    keyId: r.key_id,
    publicKey: r.public_key,
    status: r.status,
    addedAt: r.added_at,
    addedBy: r.added_by,
    addedSeq: r.added_seq,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by,
    revokedSeq: r.revoked_seq,
  };
}

export function findOperator(reg: Registry, name: string): OperatorRecord | undefined {
  const r = reg.rows.check('operators', reg.stmt('SELECT * FROM operators WHERE name = ?').get(name.trim()) as Row | undefined);
  return r && toRecord(r);
}

/** Every name registered with this key (a person may be registered under several), oldest first. */
export function operatorsWithKey(reg: Registry, keyId: string): OperatorRecord[] {
  // The whole (small) table: a revoked row put back from an older copy must not make its key work again.
  reg.rows.checkTable('operators');
  return reg.rows.checkAll('operators', reg.stmt('SELECT * FROM operators WHERE key_id = ? ORDER BY rowid').all(keyId) as Row[]).map(toRecord);
}

/**
 * Every operator, oldest first. The whole table is checked (a deleted row is found), since the
 * decisions that read it (the last active operator, whether any exists) rely on what is missing too.
 */
export function listOperators(reg: Registry): OperatorRecord[] {
  reg.rows.checkTable('operators');
  return (reg.stmt('SELECT * FROM operators ORDER BY rowid').all() as Row[]).map(toRecord);
}

export function insertOperator(reg: Registry, o: { name: string; keyId: string; publicKey: Buffer; by: string; at: Date; seq: number }): void {
  reg.stmt('INSERT INTO operators (name, key_id, public_key, status, added_at, added_by, added_seq) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(o.name, o.keyId, o.publicKey, 'active', o.at.toISOString(), o.by, o.seq);
}

export function markOperatorRevoked(reg: Registry, name: string, by: string, at: Date, seq: number): void {
  reg.stmt("UPDATE operators SET status = 'revoked', revoked_at = ?, revoked_by = ?, revoked_seq = ? WHERE name = ?").run(at.toISOString(), by, seq, name);
}
