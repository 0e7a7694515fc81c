// `smki audit verify`, signed statements: every statement kept in an audit record is checked again
// against the key registered at that time (an operator's before its record and not revoked before it,
// an officer's registered before it), the record's actor must be that key's registered name, and the
// statement must follow the chain where it says it does. A record of a signed action without a
// statement, after the first operator was registered, is a problem too.
import { createHash } from 'node:crypto';
import type { Driver } from './driver.js';
import type { AuditProblem } from './audit.js';
import { parseStatement, statementVerifies } from './statements.js';

/** Actions that are only ever made by a person with a key (from the first registered operator on). */
export const SIGNED_ACTIONS: readonly string[] = [
  'operator.add', 'operator.revoke', 'party.add', 'party.add-role', 'officer.add', 'officer.activate', 'officer.suspend', 'officer.revoke',
  'cert.register', 'cert.revoke', 'cert.issue', 'crl.generate', 'ca.trust', 'ca.issue-issuing', 'device.import', 'adt.submit', 'adt.supersede',
  'solr.record', 'solr.approve', 'solr.end', 'solr.revoke-supplier', 'alert.dsp-register', 'alert.release', 'registry.export',
];

interface KeyRow {
  name: string;
  key_id: string;
  public_key: Buffer;
  added_seq: number | null;
  revoked_seq?: number | null;
}

interface Rec {
  seq: number;
  actor: string;
  action: string;
  statement: string | null;
  signature: string | null;
}

export function statementProblems(db: Driver): AuditProblem[] {
  const problems: AuditProblem[] = [];
  const byKey = (rows: KeyRow[]) => {
    const m = new Map<string, KeyRow[]>();
    for (const r of rows) m.set(r.key_id, [...(m.get(r.key_id) ?? []), r]);
    return m;
  };
  const operators = byKey(db.prepare('SELECT name, key_id, public_key, added_seq, revoked_seq FROM operators').all() as KeyRow[]);
  const officers = byKey(db.prepare('SELECT id AS name, key_id, public_key, added_seq FROM officers WHERE key_id IS NOT NULL').all() as KeyRow[]);
  const hashAt = db.prepare('SELECT hash FROM audit WHERE seq = ?').pluck();
  const firstOperator = (db.prepare("SELECT min(seq) FROM audit WHERE action = 'operator.add'").pluck().get() as number | null) ?? Infinity;
  const signed = new Set(SIGNED_ACTIONS);
  // A batch's records share one statement: its signature is checked once.
  const verified = new Map<string, boolean>();
  const sql = `SELECT seq, actor, action, statement, signature FROM audit WHERE statement IS NOT NULL OR signature IS NOT NULL OR (seq > ? AND action IN (${SIGNED_ACTIONS.map(() => '?').join(', ')})) ORDER BY seq`;
  for (const r of db.prepare(sql).iterate(firstOperator === Infinity ? Number.MAX_SAFE_INTEGER : firstOperator, ...SIGNED_ACTIONS) as IterableIterator<Rec>) {
    const problem = (text: string) => problems.push({ seq: r.seq, problem: text });
    if (r.statement === null || r.signature === null) {
      if (signed.has(r.action) && r.seq > firstOperator) problem(`${r.action} carries no signed statement (every change is signed by its actor's key)`);
      continue;
    }
    const st = parseStatement(r.statement);
    if (!st) {
      problem('its signed statement is not a statement smki wrote (edited)');
      continue;
    }
    const rows = (st.signer === 'operator' ? operators : officers).get(st.key) ?? [];
    const atThatTime = rows.filter((k) => k.added_seq !== null && k.added_seq < r.seq && (k.revoked_seq == null || k.revoked_seq >= r.seq));
    if (atThatTime.length === 0) {
      problem(`its statement is signed by key ${st.key.slice(0, 16)}, which was not a registered ${st.signer} key at that time`);
      continue;
    }
    if (!atThatTime.some((k) => k.name.toLowerCase() === r.actor.toLowerCase())) {
      problem(`its actor ${r.actor} is not the ${st.signer} registered with the signing key (${atThatTime.map((k) => k.name).join(', ')})`);
    }
    const cacheKey = createHash('sha256').update(r.signature).update('|').update(r.statement).digest('base64');
    let ok = verified.get(cacheKey);
    if (ok === undefined) {
      ok = statementVerifies(atThatTime[0]!.public_key, r.statement, r.signature);
      verified.set(cacheKey, ok);
    }
    if (!ok) problem(`its statement's signature does not verify with the registered key of ${atThatTime[0]!.name} (statement or signature edited)`);
    const afterHash = st.after.seq === 0 ? '0'.repeat(64) : (hashAt.get(st.after.seq) as string | undefined);
    if (!(st.after.seq < r.seq) || afterHash !== st.after.hash) problem(`its statement follows record ${st.after.seq}, which is not the record it names (moved or replayed)`);
  }
  return problems;
}
