// The audit chain: every state change appends a record whose hash covers the previous record's hash,
// and whose MAC (a key kept beside the registry, 0600) stops anyone without the key from rebuilding
// the chain. A MACed checkpoint file outside the database names the last record, so a truncated tail
// is found too. Records are appended inside the same transaction as the change they describe.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Database, Statement } from 'better-sqlite3';

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
}

export interface AuditProblem {
  seq: number | null;
  problem: string;
}

export function recordHash(r: Pick<AuditRecord, 'seq' | 'at' | 'actor' | 'action' | 'subject' | 'details' | 'prev_hash'>): string {
  return createHash('sha256')
    .update(JSON.stringify([r.prev_hash, r.seq, r.at, r.actor, r.action, r.subject, r.details]))
    .digest('hex');
}

function mac(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export class AuditLog {
  private insertStmt: Statement | undefined;
  private lastStmt: Statement | undefined;
  /** Last record appended inside the open transaction (the next append follows it). */
  private pending: { seq: number; hash: string; at: string } | null = null;
  /**
   * Last committed record the checkpoint does not name yet. Kept apart from `pending`: after a relaxed
   * commit another process may append, so the next transaction must read the chain's end afresh.
   */
  private checkpointDue: { seq: number; hash: string } | null = null;

  constructor(
    private readonly db: Database,
    private readonly key: Buffer,
    private readonly checkpointPath: string,
  ) {}

  // Prepared on first use: the table exists only once the registry has migrated.
  private get insert(): Statement {
    return (this.insertStmt ??= this.db.prepare(
      'INSERT INTO audit (seq, at, actor, action, subject, details, prev_hash, hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ));
  }

  private get last(): Statement {
    return (this.lastStmt ??= this.db.prepare('SELECT seq, hash, at FROM audit ORDER BY seq DESC LIMIT 1'));
  }

  /** Appends one record; must be called inside a registry transaction. */
  append(at: Date, actor: string, action: string, subject: string, details: Record<string, unknown> = {}): number {
    if (!this.db.inTransaction) throw new Error('audit records are appended inside a registry transaction');
    const prev = (this.pending ?? (this.last.get() as { seq: number; hash: string; at: string } | undefined)) ?? { seq: 0, hash: GENESIS_HASH, at: '' };
    // Audit time never goes backwards: a clock stepped back records the previous record's time.
    const iso = at.toISOString();
    const rec = {
      seq: prev.seq + 1,
      at: Date.parse(prev.at) > at.getTime() ? prev.at : iso,
      actor,
      action,
      subject,
      details: JSON.stringify(details),
      prev_hash: prev.hash,
    };
    const hash = recordHash(rec);
    this.insert.run(rec.seq, rec.at, rec.actor, rec.action, rec.subject, rec.details, rec.prev_hash, hash, mac(this.key, hash));
    this.pending = { seq: rec.seq, hash, at: rec.at };
    return rec.seq;
  }

  private checkpointFd: number | undefined;

  /**
   * Called by the registry after a commit: moves the checkpoint forward. The record is a fixed-size
   * block written in place with one write (far below a disk sector's atomic size), which costs
   * microseconds where a write-and-rename costs a metadata journal commit. `relaxed` commits leave
   * it to the next commit (the checkpoint may lag; it never runs ahead of the database).
   */
  committed(relaxed = false): void {
    if (this.pending) this.checkpointDue = this.pending;
    this.pending = null;
    if (!this.checkpointDue || relaxed) return;
    const { seq, hash } = this.checkpointDue;
    this.checkpointDue = null;
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

  /** The last `n` records, oldest first. */
  tail(n: number): AuditRecord[] {
    return (this.db.prepare('SELECT * FROM audit ORDER BY seq DESC LIMIT ?').all(n) as AuditRecord[]).reverse();
  }

  /** Checks the whole chain and the checkpoint; returns every problem found (empty: intact). */
  verify(): { records: number; problems: AuditProblem[] } {
    const problems: AuditProblem[] = [];
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    let count = 0;
    const hashes = new Map<number, string>();
    for (const r of this.db.prepare('SELECT * FROM audit ORDER BY seq').iterate() as IterableIterator<AuditRecord>) {
      count++;
      if (r.seq !== expectedSeq) problems.push({ seq: r.seq, problem: `expected record ${expectedSeq} here (a record was deleted, inserted or reordered)` });
      if (r.prev_hash !== prevHash) problems.push({ seq: r.seq, problem: 'does not follow the previous record (chain broken)' });
      const h = recordHash(r);
      if (h !== r.hash) problems.push({ seq: r.seq, problem: 'content does not match its hash (edited)' });
      if (!sameHex(mac(this.key, r.hash), r.mac)) problems.push({ seq: r.seq, problem: 'MAC does not verify (rewritten without the audit key)' });
      hashes.set(r.seq, r.hash);
      prevHash = r.hash;
      expectedSeq = r.seq + 1;
    }
    if (!existsSync(this.checkpointPath)) {
      if (count > 0) problems.push({ seq: null, problem: 'the audit checkpoint file is missing' });
      return { records: count, problems };
    }
    let cp: { seq?: unknown; hash?: unknown; mac?: unknown };
    try {
      cp = JSON.parse(readFileSync(this.checkpointPath, 'utf8').trim());
    } catch {
      problems.push({ seq: null, problem: 'the audit checkpoint file is unreadable' });
      return { records: count, problems };
    }
    if (typeof cp.seq !== 'number' || typeof cp.hash !== 'string' || typeof cp.mac !== 'string' ||
        !sameHex(mac(this.key, `checkpoint:${cp.seq}:${cp.hash}`), cp.mac)) {
      problems.push({ seq: null, problem: 'the audit checkpoint does not verify (edited)' });
    } else if (!hashes.has(cp.seq)) {
      problems.push({ seq: cp.seq, problem: `the checkpoint names record ${cp.seq}, which is missing (tail truncated)` });
    } else if (hashes.get(cp.seq) !== cp.hash) {
      problems.push({ seq: cp.seq, problem: 'the checkpointed record was replaced' });
    }
    return { records: count, problems };
  }
}
