// The audit chain: every state change appends a record whose hash covers the previous record's hash,
// and whose MAC (a key kept beside the registry, 0600) stops anyone without the key from rebuilding
// the chain. A MACed checkpoint file outside the database names the last record, so a truncated tail
// is found too. Records are appended inside the same transaction as the change they describe.
import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Driver, Statement } from './driver.js';
import { IntegrityError } from '../domain/errors.js';

export const GENESIS_HASH = '0'.repeat(64);
const CHECKPOINT_BYTES = 256;

export interface AuditRecord {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  details: string;
  prev_hash: string;
  hash: string;
  mac: string;
  /** The canonical statement the acting person signed (src/registry/statements.ts), or null. */
  statement: string | null;
  /** Its signature (base64 DER ECDSA), or null. */
  signature: string | null;
}

/** Who acts for a record: a name alone (smki itself, the gate), or a person with their signed statement. */
export type AuditActor = string | { name: string; statement: string; signature: string };

export interface AuditProblem {
  seq: number | null;
  problem: string;
  /** For a problem of registry state rather than of the chain: the table and row (src/registry/row-mac.ts). */
  table?: string;
  row?: string | null;
}

/** What `smki audit anchor` writes, to be kept somewhere the home's owner cannot roll back. */
export interface AuditAnchor {
  kind: 'smki-audit-anchor';
  seq: number;
  hash: string;
  records: number;
  at: string;
  mac: string;
}

function anchorText(a: Omit<AuditAnchor, 'mac'>): string {
  return `anchor:${a.seq}:${a.hash}:${a.records}:${a.at}`;
}

export function recordHash(r: Pick<AuditRecord, 'seq' | 'at' | 'actor' | 'action' | 'subject' | 'details' | 'prev_hash'> & Partial<Pick<AuditRecord, 'statement' | 'signature'>>): string {
  const fields: unknown[] = [r.prev_hash, r.seq, r.at, r.actor, r.action, r.subject, r.details];
  // A signed record's hash covers its statement and signature (unsigned records hash as they always did).
  if (r.statement != null || r.signature != null) fields.push(r.statement ?? null, r.signature ?? null);
  return hash('sha256', JSON.stringify(fields), 'hex');
}

/** The record's stored MAC (hex) is the audit key's HMAC of its hash (one conversion, compared in constant time). */
function macMatches(key: Buffer, recordHashHex: string, macHex: string): boolean {
  const want = createHmac('sha256', key).update(recordHashHex).digest();
  const got = Buffer.from(macHex, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

function mac(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/**
 * The chain read for `verify` on SQLite: seq, the JSON text recordHash() hashes (SQLite's json_array
 * writes JSON.stringify's text for integers in the safe range and for text, which is what the guard
 * admits; anything else is NULL and read whole), the stored hash and MAC.
 */
const FAST_CHAIN_SQL = `SELECT seq,
  CASE WHEN typeof(seq) = 'integer' AND seq BETWEEN -9007199254740991 AND 9007199254740991
        AND typeof(prev_hash) = 'text' AND typeof(at) = 'text' AND typeof(actor) = 'text' AND typeof(action) = 'text'
        AND typeof(subject) = 'text' AND typeof(details) = 'text' AND typeof(statement) IN ('text', 'null') AND typeof(signature) IN ('text', 'null')
    THEN CASE WHEN statement IS NULL AND signature IS NULL THEN json_array(prev_hash, seq, at, actor, action, subject, details)
              ELSE json_array(prev_hash, seq, at, actor, action, subject, details, statement, signature) END
  END, hash, mac
  FROM audit ORDER BY seq`;

/**
 * The audit key's HMAC-SHA256 of a record hash (64 hex characters), as two one-shot SHA-256 over
 * fixed buffers with the key's inner and outer pads (RFC 2104), in hex: a fraction of the cost of an
 * Hmac object per record. Compared with the stored MAC text without an early exit.
 */
class ChainMacs {
  private readonly inner = Buffer.alloc(64 + 64);
  private readonly outer = Buffer.alloc(64 + 32);

  constructor(key: Buffer) {
    const k = Buffer.alloc(64);
    (key.length > 64 ? hash('sha256', key, 'buffer') : key).copy(k);
    for (let i = 0; i < 64; i++) {
      this.inner[i] = k[i]! ^ 0x36;
      this.outer[i] = k[i]! ^ 0x5c;
    }
  }

  /** The MAC (hex) of `hashHex`, which must be 64 lower-case hex digits (a hash computed here). */
  of(hashHex: string): string {
    this.inner.write(hashHex, 64, 'latin1');
    this.outer.write(hash('sha256', this.inner, 'hex'), 64, 'hex');
    return hash('sha256', this.outer, 'hex');
  }

  /** `hashHex` must be 64 lower-case hex digits (a hash recomputed here). */
  matches(hashHex: string, macHex: string): boolean {
    if (macHex.length !== 64) return false;
    const want = this.of(hashHex);
    let diff = 0;
    for (let i = 0; i < 64; i++) diff |= want.charCodeAt(i) ^ macHex.charCodeAt(i);
    return diff === 0;
  }
}

export class AuditLog {
  private insertStmt: Statement | undefined;
  private lastStmt: Statement | undefined;
  /** Last record appended inside the open transaction. */
  private pending: { seq: number; hash: string; at: string } | null = null;
  /** Records were committed that the checkpoint does not name yet (after a relaxed commit). */
  private checkpointDue = false;
  private bySeqStmt: Statement | undefined;
  private macs: ChainMacs | undefined;

  constructor(
    private readonly db: Driver,
    private readonly key: Buffer,
    private readonly checkpointPath: string,
  ) {}

  // Prepared on first use: the table exists only once the registry has migrated.
  private get insert(): Statement {
    return (this.insertStmt ??= this.db.prepare(
      'INSERT INTO audit (seq, at, actor, action, subject, details, prev_hash, hash, mac, statement, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ));
  }

  private get last(): Statement {
    return (this.lastStmt ??= this.db.prepare('SELECT seq, hash, at FROM audit ORDER BY seq DESC LIMIT 1'));
  }

  /** Appends one record; must be called inside a registry transaction. */
  append(at: Date, actor: AuditActor, action: string, subject: string, details: Record<string, unknown> = {}): number {
    if (!this.db.inTransaction) throw new Error('audit records are appended inside a registry transaction');
    // Read inside the transaction (under the write lock): another process may have appended since.
    const prev = (this.pending ?? (this.last.get() as { seq: number; hash: string; at: string } | undefined)) ?? { seq: 0, hash: GENESIS_HASH, at: '' };
    // Audit time never goes backwards: a clock stepped back records the previous record's time.
    const iso = at.toISOString();
    const rec = {
      seq: prev.seq + 1,
      at: Date.parse(prev.at) > at.getTime() ? prev.at : iso,
      actor: typeof actor === 'string' ? actor : actor.name,
      action,
      subject,
      details: JSON.stringify(details),
      prev_hash: prev.hash,
      statement: typeof actor === 'string' ? null : actor.statement,
      signature: typeof actor === 'string' ? null : actor.signature,
    };
    const hash = recordHash(rec);
    // The record's MAC is the audit key's HMAC of its hash (a 64-digit hex SHA-256 made just above).
    this.macs ??= new ChainMacs(this.key);
    this.insert.run(rec.seq, rec.at, rec.actor, rec.action, rec.subject, rec.details, rec.prev_hash, hash, this.macs.of(hash), rec.statement, rec.signature);
    this.pending = { seq: rec.seq, hash, at: rec.at };
    return rec.seq;
  }

  private checkpointFd: number | undefined;

  /** The last record appended inside the open transaction, or null when it appended none. */
  pendingHead(): { seq: number; hash: string } | null {
    return this.pending;
  }

  /**
   * Called by the registry after a commit: moves the checkpoint forward to the chain's head, read and
   * written under the database's write lock, so two processes committing one after the other can
   * never leave it naming the earlier record (it never goes backwards). The record is a fixed-size
   * block written in place with one write (far below a disk sector's atomic size), which costs
   * microseconds where a write-and-rename costs a metadata journal commit. `relaxed` commits leave
   * it to the next commit (the checkpoint may lag; it never runs ahead of the database).
   */
  committed(relaxed = false): void {
    if (this.pending) this.checkpointDue = true;
    this.pending = null;
    if (!this.checkpointDue || relaxed) return;
    this.db.transaction(() => {
      const head = this.last.get() as { seq: number; hash: string } | undefined;
      if (head) this.writeCheckpoint(head.seq, head.hash);
    }, 'write');
    this.checkpointDue = false;
  }

  private writeCheckpoint(seq: number, hash: string): void {
    const body = Buffer.alloc(CHECKPOINT_BYTES, 0x20);
    body.write(JSON.stringify({ seq, hash, mac: mac(this.key, `checkpoint:${seq}:${hash}`) }));
    this.checkpointFd ??= openSync(this.checkpointPath, existsSync(this.checkpointPath) ? 'r+' : 'w', 0o600);
    writeSync(this.checkpointFd, body, 0, CHECKPOINT_BYTES, 0);
  }

  rolledBack(): void {
    this.pending = null;
  }

  close(): void {
    if (this.checkpointFd !== undefined) closeSync(this.checkpointFd);
    this.checkpointFd = undefined;
  }

  /**
   * The records of these actions about one subject, oldest first, each checked against its hash and
   * MAC (a decision that relies on who signed an earlier step reads it through here).
   */
  recordsAbout(subject: string, actions: readonly string[]): AuditRecord[] {
    if (actions.length === 0) return [];
    const rows = this.db.prepare(`SELECT * FROM audit WHERE subject = ? AND action IN (${actions.map(() => '?').join(', ')}) ORDER BY seq`).all(subject, ...actions) as AuditRecord[];
    for (const r of rows) {
      if (recordHash(r) !== r.hash || !sameHex(mac(this.key, r.hash), r.mac)) {
        throw new IntegrityError(`audit record ${r.seq} does not verify (edited); run 'smki audit verify'`);
      }
    }
    return rows;
  }

  /** The last `n` records, oldest first. */
  tail(n: number): AuditRecord[] {
    return [...this.iterateTail(n)];
  }

  /**
   * The last `n` records, oldest first, one at a time (for any `n`: nothing is sorted or held in
   * memory; the first record shown is found by walking the seq index back from the head).
   */
  *iterateTail(n: number): Generator<AuditRecord> {
    const from = this.db.prepare('SELECT seq FROM audit ORDER BY seq DESC LIMIT 1 OFFSET ?').pluck().get(Math.max(0, n - 1)) as number | undefined;
    yield* this.db.prepare('SELECT * FROM audit WHERE seq >= ? ORDER BY seq').iterate(from ?? 0) as IterableIterator<AuditRecord>;
  }

  /** Checks the whole chain and the checkpoint; returns every problem found (empty: intact). */
  /** `checkpoint`: the checkpoint file's text as read before the chain's snapshot (Registry.verify); else read now. */
  verify(checkpoint?: CheckpointText): { records: number; problems: AuditProblem[] } {
    const problems: AuditProblem[] = [];
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    /** The previous record's stored hash is 64 lower-case hex digits (then it needs no JSON escape). */
    let prevIsHex = true;
    let count = 0;
    const macs = new ChainMacs(this.key);
    /** The old, general check of one record, read whole as an object. */
    const check = (r: AuditRecord): void => {
      if (r.seq !== expectedSeq) problems.push({ seq: r.seq, problem: `expected record ${expectedSeq} here (a record was deleted, inserted or reordered)` });
      if (r.prev_hash !== prevHash) problems.push({ seq: r.seq, problem: 'does not follow the previous record (chain broken)' });
      const h = recordHash(r);
      if (h !== r.hash) problems.push({ seq: r.seq, problem: 'content does not match its hash (edited)' });
      if (!macMatches(this.key, r.hash, r.mac)) problems.push({ seq: r.seq, problem: 'MAC does not verify (rewritten without the audit key)' });
      prevHash = r.hash;
      prevIsHex = h === r.hash;
      expectedSeq = r.seq + 1;
    };
    // One record at a time and nothing kept but the previous hash: flat memory for any length of chain
    // (the checkpointed record is looked up once at the end).
    const fast = this.db.dialect === 'sqlite' ? this.db.prepare(FAST_CHAIN_SQL) : undefined;
    if (!fast?.raw) {
      for (const r of this.db.prepare('SELECT * FROM audit ORDER BY seq').iterate() as IterableIterator<AuditRecord>) {
        count++;
        check(r);
      }
      problems.push(...this.checkpointProblems(count, undefined, checkpoint));
      return { records: count, problems };
    }
    // On SQLite each record comes as four values: its seq (exact, as a BigInt), the JSON text its hash
    // covers, built by SQLite (JSON.stringify's text exactly, for the value types it admits; else
    // NULL), its hash and its MAC. A record the quick test cannot decide is read whole and checked
    // as above: the quick test only ever accepts what the full check accepts.
    const whole = this.db.prepare('SELECT * FROM audit WHERE seq = ?');
    (fast as unknown as { safeIntegers(on?: boolean): void }).safeIntegers(true);
    for (const [seqBig, json, storedHash, storedMac] of fast.raw().iterate() as IterableIterator<[bigint, string | null, unknown, unknown]>) {
      count++;
      const seq = Number(seqBig);
      if (json === null || !prevIsHex || seq !== expectedSeq || typeof storedHash !== 'string' || json.indexOf('\uFFFD') !== -1 ||
          !(json.charCodeAt(1) === 34 && json.startsWith(prevHash, 2) && json.charCodeAt(66) === 34)) {
        check(whole.get(seqBig) as AuditRecord);
        continue;
      }
      const h = hash('sha256', json, 'hex');
      if (h !== storedHash) problems.push({ seq, problem: 'content does not match its hash (edited)' });
      if (!(h === storedHash && typeof storedMac === 'string' && macs.matches(h, storedMac)) && !macMatches(this.key, storedHash, storedMac as string)) {
        problems.push({ seq, problem: 'MAC does not verify (rewritten without the audit key)' });
      }
      prevHash = storedHash;
      prevIsHex = h === storedHash;
      expectedSeq = seq + 1;
    }
    problems.push(...this.checkpointProblems(count, undefined, checkpoint));
    return { records: count, problems };
  }

  private hashOf(seq: number): string | undefined {
    this.bySeqStmt ??= this.db.prepare('SELECT hash FROM audit WHERE seq = ?').pluck();
    return this.bySeqStmt.get(seq) as string | undefined;
  }

  /**
   * The checkpoint against the chain (cheap: one record looked up). The chain may be ahead of the
   * checkpoint (a crash between commit and checkpoint write); behind it means evidence was lost.
   */
  checkpointProblems(records?: number, hashOf: (seq: number) => string | undefined = (seq) => this.hashOf(seq), checkpoint: CheckpointText = this.readCheckpoint()): AuditProblem[] {
    const count = records ?? ((this.last.get() as { seq: number } | undefined) ? 1 : 0);
    if (checkpoint === null) {
      return count > 0 ? [{ seq: null, problem: 'the audit checkpoint file is missing' }] : [];
    }
    let cp: { seq?: unknown; hash?: unknown; mac?: unknown };
    try {
      cp = JSON.parse(checkpoint.trim());
    } catch {
      return [{ seq: null, problem: 'the audit checkpoint file is unreadable' }];
    }
    if (typeof cp.seq !== 'number' || typeof cp.hash !== 'string' || typeof cp.mac !== 'string' ||
        !sameHex(mac(this.key, `checkpoint:${cp.seq}:${cp.hash}`), cp.mac)) {
      return [{ seq: null, problem: 'the audit checkpoint does not verify (edited)' }];
    }
    const h = hashOf(cp.seq);
    if (h === undefined) return [{ seq: cp.seq, problem: `the checkpoint names record ${cp.seq}, which is missing (the chain is behind the checkpoint: tail truncated or lost)` }];
    if (h !== cp.hash) return [{ seq: cp.seq, problem: 'the checkpointed record was replaced' }];
    return [];
  }

  /**
   * The checkpoint file's text (null when there is none). Read before a snapshot of the chain is
   * taken, it can only name a record that snapshot holds: the file is written after each commit.
   */
  readCheckpoint(): CheckpointText {
    if (!existsSync(this.checkpointPath)) return null;
    try {
      return readFileSync(this.checkpointPath, 'utf8');
    } catch {
      return '';
    }
  }

  /** An anchor naming the chain's head, MACed, for `smki audit anchor`. */
  anchor(at: Date): AuditAnchor {
    const head = (this.last.get() as { seq: number; hash: string } | undefined) ?? { seq: 0, hash: GENESIS_HASH };
    const records = (this.db.prepare('SELECT count(*) FROM audit').pluck().get() as number);
    const a = { kind: 'smki-audit-anchor' as const, seq: head.seq, hash: head.hash, records, at: at.toISOString() };
    return { ...a, mac: mac(this.key, anchorText(a)) };
  }

  /** Problems of this chain against an anchor written earlier (a home behind it was rolled back). */
  anchorProblems(anchor: unknown): AuditProblem[] {
    const a = anchor as Partial<AuditAnchor>;
    if (!a || a.kind !== 'smki-audit-anchor' || typeof a.seq !== 'number' || typeof a.hash !== 'string' ||
        typeof a.records !== 'number' || typeof a.at !== 'string' || typeof a.mac !== 'string' ||
        !sameHex(mac(this.key, anchorText(a as AuditAnchor)), a.mac)) {
      return [{ seq: null, problem: 'the anchor does not verify under this home\'s audit key (edited, or from another home)' }];
    }
    const h = this.hashOf(a.seq);
    if (a.seq > 0 && h === undefined) {
      return [{ seq: a.seq, problem: `the home is behind its anchor of ${a.at}: record ${a.seq} is missing (rolled back or truncated)` }];
    }
    if (a.seq > 0 && h !== a.hash) return [{ seq: a.seq, problem: `record ${a.seq} is not the one anchored on ${a.at} (the chain was replaced)` }];
    const count = this.db.prepare('SELECT count(*) FROM audit WHERE seq <= ?').pluck().get(a.seq) as number;
    if (count !== a.records) return [{ seq: a.seq, problem: `the anchor counted ${a.records} record(s) up to ${a.seq}; the chain holds ${count}` }];
    return [];
  }
}

/** A checkpoint file's text, null when there is none. */
export type CheckpointText = string | null;
