// The registry: one SQLite database per CA home. Only src/registry knows SQL. Every change is one
// IMMEDIATE transaction that also appends its audit record(s).
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { InputError, IntegrityError, RegistryBusyError } from '../domain/errors.js';
import { AuditLog } from './audit.js';
import { homePaths, type HomePaths } from './home.js';
import { MIGRATIONS } from './migrations.js';

export type Clock = () => Date;

/** SQLite's own wait for the write lock, per attempt. */
const BUSY_TIMEOUT_MS = 5_000;

/** The whole bounded wait for the write lock (SMKI_BUSY_WAIT_MS overrides it) before RegistryBusyError. */
function busyWaitBound(): number {
  const v = Number(process.env.SMKI_BUSY_WAIT_MS);
  return Number.isFinite(v) && v >= 0 ? v : 60_000;
}

function isBusy(e: unknown): boolean {
  return typeof (e as { code?: unknown })?.code === 'string' && (e as { code: string }).code.startsWith('SQLITE_BUSY');
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * Runs `attempt` until it does not fail with SQLITE_BUSY before doing any work, within the bounded wait;
 * then RegistryBusyError (never the raw "database is locked"). `attempt` reports whether its work began:
 * work that began is never retried, since it may have had effects outside the database.
 */
export function withBusyRetry<T>(attempt: (began: () => void) => T): T {
  const start = Date.now();
  const bound = busyWaitBound();
  for (let n = 0; ; n++) {
    let began = false;
    try {
      return attempt(() => { began = true; });
    } catch (e) {
      if (!isBusy(e)) throw e;
      const waited = Date.now() - start;
      if (began || waited >= bound) throw new RegistryBusyError(waited);
      // SQLite's busy handler gave up on this attempt: back off a little (jittered) and queue again.
      sleepMs(Math.min(bound - waited, 20 + Math.floor(Math.random() * 80)));
    }
  }
}

export interface OpenOptions {
  clock?: Clock;
  readonly?: boolean;
}

export class Registry {
  readonly audit: AuditLog;
  readonly now: Clock;
  /** What went wrong after a commit (the change stands): the CLI prints these as warnings. */
  readonly warnings: string[] = [];
  private depth = 0;

  private constructor(
    readonly db: Database.Database,
    readonly paths: HomePaths,
    auditKey: Buffer,
    clock: Clock,
  ) {
    this.now = clock;
    this.audit = new AuditLog(db, auditKey, paths.checkpoint);
  }

  /** Opens an existing CA home (created by `smki init`). */
  static open(dir: string, opts: OpenOptions = {}): Registry {
    const paths = homePaths(dir);
    if (!existsSync(paths.db)) {
      throw new InputError(`no CA at ${paths.dir} (run 'smki init' first, or pass --home)`);
    }
    if (!existsSync(paths.auditKey)) throw new IntegrityError(`the audit key ${paths.auditKey} is missing`);
    const db = new Database(paths.db, { fileMustExist: true, readonly: opts.readonly ?? false, timeout: Math.min(BUSY_TIMEOUT_MS, busyWaitBound()) });
    withBusyRetry(() => Registry.configure(db));
    const reg = new Registry(db, paths, Buffer.from(readFileSync(paths.auditKey, 'utf8').trim(), 'hex'), opts.clock ?? (() => new Date()));
    if (!opts.readonly) reg.migrate();
    return reg;
  }

  /** Creates the database of a new home; the caller has made the folder and the audit key. */
  static create(paths: HomePaths, auditKey: Buffer, clock: Clock = () => new Date()): Registry {
    // Created 0600 first: SQLite gives the -wal and -shm files the database file's permissions.
    closeSync(openSync(paths.db, 'wx', 0o600));
    const db = new Database(paths.db, { timeout: BUSY_TIMEOUT_MS });
    Registry.configure(db);
    const reg = new Registry(db, paths, auditKey, clock);
    reg.migrate();
    return reg;
  }

  private static configure(db: Database.Database): void {
    db.pragma('journal_mode = WAL');
    // A new connection to a WAL database defaults to NORMAL; a CA wants every commit on disk.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.min(BUSY_TIMEOUT_MS, busyWaitBound())}`);
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private migrate(): void {
    const current = this.schemaVersion();
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      withBusyRetry((began) => this.db.transaction(() => {
        began();
        // Another process may have run this migration while this one waited for the lock.
        if (this.schemaVersion() >= m.version) return;
        this.db.exec(m.sql);
        this.db.pragma(`user_version = ${m.version}`);
      }).immediate());
    }
  }

  /**
   * Runs `fn` as one IMMEDIATE transaction (nested calls join the outer one). `durable: false` skips the
   * fsync for this commit only; WAL keeps commit order, so the next durable commit makes it durable too.
   * Waiting for another process's write lock is bounded and retried (withBusyRetry); `fn` runs inside
   * the lock, so decisions it makes see every earlier commit and are never retried half-way.
   */
  tx<T>(fn: () => T, opts: { durable?: boolean } = {}): T {
    if (this.depth > 0) return fn();
    const relaxed = opts.durable === false;
    if (relaxed) this.db.pragma('synchronous = NORMAL');
    this.depth++;
    try {
      const result = withBusyRetry((began) => this.db.transaction(() => {
        began();
        return fn();
      }).immediate());
      try {
        this.audit.committed(relaxed);
      } catch (e) {
        // The change is committed: say so, never turn it into a failure.
        this.warnings.push(`the change was committed, but the audit checkpoint could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the next command writes it`);
      }
      return result;
    } catch (e) {
      this.audit.rolledBack();
      throw e;
    } finally {
      this.depth--;
      if (relaxed) this.db.pragma('synchronous = FULL');
    }
  }

  /** Next value of a named counter, as `PREFIX-N` (officers OFC-1, SoLR events SOLR-1, ...). */
  nextId(prefix: string): string {
    const row = this.db
      .prepare('INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value')
      .get(prefix) as { value: number };
    return `${prefix}-${row.value}`;
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** A prepared statement, compiled once per connection (the gate runs the same queries thousands of times). */
  stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    this.audit.close();
    if (this.db.open) this.db.close();
  }
}
