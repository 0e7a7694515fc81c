// The registry: one SQLite database per CA home. Only src/registry knows SQL. Every change is one
// IMMEDIATE transaction that also appends its audit record(s).
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { accessSync, closeSync, constants, copyFileSync, existsSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, IntegrityError, RegistryBusyError } from '../domain/errors.js';
import { AuditLog, GENESIS_HASH, type AuditProblem, type CheckpointText } from './audit.js';
import { homePaths, readAuditKey, type HomePaths } from './home.js';
import { MIGRATIONS, PG_BUCKETS_VERSION } from './migrations.js';
import { RowGuard } from './row-mac.js';
import { statementProblems } from './statement-check.js';
import type { Driver, Statement } from './driver.js';
import { SqliteDriver } from './sqlite-driver.js';
import { databaseChoice, databasePassword, homeDatabase, newHomeTarget, writeHomeDatabase } from './database.js';
import { PgDriver, type PgTarget } from './pg-driver.js';
import { PG_BASELINE_VERSION } from './pg-baseline.js';
import { pgBaselineDdl, pgMigrationDdl } from './pg-schema.js';

// CommonJS with a native addon: required directly (start-up time), not through the ESM loader's export scan.
const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

export type Clock = () => Date;

/** SQLite's own wait for the write lock, per attempt. */
const BUSY_TIMEOUT_MS = 5_000;

/** The whole bounded wait for the write lock (SMKI_BUSY_WAIT_MS overrides it) before RegistryBusyError. */
function busyWaitBound(): number {
  const v = Number(process.env.SMKI_BUSY_WAIT_MS);
  return Number.isFinite(v) && v >= 0 ? v : 60_000;
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
export function withBusyRetry<T>(db: Pick<Driver, 'isBusy'>, attempt: (began: () => void) => T): T {
  const start = Date.now();
  const bound = busyWaitBound();
  for (let n = 0; ; n++) {
    let began = false;
    try {
      return attempt(() => { began = true; });
    } catch (e) {
      if (!db.isBusy(e)) throw e;
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
  /** Benchmark only (`npm run bench`'s before/after line): no row MACs sealed or checked. */
  benchmarkWithoutRowChecks?: boolean;
  /** --database (a URL from argv: no password in it); else SMKI_DATABASE_URL; else the home's own. */
  database?: string;
  /** The home's own registry whatever SMKI_DATABASE_URL says (a temporary copy of a home). */
  homeRegistryOnly?: boolean;
}

let benchmarkRowChecksOff = false;
/** Benchmark only (`npm run bench`'s before/after line): registries opened from now on seal and check no row MACs. */
export function setBenchmarkWithoutRowChecks(off: boolean): void {
  benchmarkRowChecksOff = off;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/** An existing file that is not an SQLite database (empty, garbage, another format) is never a new registry. */
function requireSqliteFile(path: string): void {
  const head = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (n === 0) throw new IntegrityError(`the registry ${path} is empty (0 bytes): the registry was lost or truncated; it is not treated as a new one`);
  if (n < head.length || !head.equals(SQLITE_HEADER)) throw new IntegrityError(`the registry ${path} is not an SQLite database (damaged or a foreign file)`);
}

function writable(paths: HomePaths): boolean {
  try {
    accessSync(paths.db, constants.W_OK);
    accessSync(paths.dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** SQLite's own errors about the file itself, as integrity errors naming it. */
function damaged(path: string, e: unknown): never {
  const code = (e as { code?: string }).code ?? '';
  if (/^SQLITE_(NOTADB|CORRUPT)/.test(code)) throw new IntegrityError(`the registry ${path} is damaged (${code}): ${(e as Error).message}`);
  throw e;
}

export class Registry {
  readonly audit: AuditLog;
  /** Row MACs and table digests (src/registry/row-mac.ts): `reg.rows.check(table, row)` on read. */
  readonly rows: RowGuard;
  readonly now: Clock;
  /** What went wrong after a commit (the change stands): the CLI prints these as warnings. */
  readonly warnings: string[] = [];
  private depth = 0;
  /** The checkpoint and sealed state are checked against the chain before this registry's first write. */
  private checkedBeforeWrite = false;

  private constructor(
    /** The database driver (src/registry/driver.ts): SQL stays in src/registry. */
    readonly db: Driver,
    readonly paths: HomePaths,
    auditKey: Buffer,
    clock: Clock,
    rowChecks = true,
  ) {
    this.now = clock;
    this.audit = new AuditLog(db, auditKey, paths.checkpoint);
    this.rows = new RowGuard(db, auditKey, rowChecks);
  }

  /** Opens an existing CA home (created by `smki init`). */
  static open(dir: string, opts: OpenOptions = {}): Registry {
    const paths = homePaths(dir);
    if (!existsSync(paths.db) && !existsSync(paths.database)) {
      throw new InputError(`no CA at ${paths.dir} (run 'smki init' first, or pass --home)`);
    }
    const target = homeDatabase(paths, opts.homeRegistryOnly ? undefined : databaseChoice(opts.database));
    if (target) return Registry.openPg(paths, target, opts);
    const auditKey = readAuditKey(paths);
    requireSqliteFile(paths.db);
    // A home that cannot be written (a read-only mount, a copy for inspection) is still read. SQLite
    // cannot open a WAL database read-only where it may not create the -shm file: read a copy then.
    let readCopy: string | undefined;
    if (!opts.readonly && !writable(paths)) {
      opts = { ...opts, readonly: true };
      if (!existsSync(`${paths.db}-shm`)) {
        readCopy = mkdtempSync(join(tmpdir(), 'smki-read-only-'));
        copyFileSync(paths.db, join(readCopy, 'registry.sqlite'));
        if (existsSync(`${paths.db}-wal`)) copyFileSync(`${paths.db}-wal`, join(readCopy, 'registry.sqlite-wal'));
      }
    }
    let db: SqliteDriver | undefined;
    try {
      db = new SqliteDriver(new Database(readCopy ? join(readCopy, 'registry.sqlite') : paths.db, { fileMustExist: true, readonly: opts.readonly ?? false, timeout: Math.min(BUSY_TIMEOUT_MS, busyWaitBound()) }), paths.db);
      const opened = db.native;
      withBusyRetry(db, () => Registry.configure(opened, opts.readonly ?? false));
      const reg = new Registry(db, paths, auditKey, opts.clock ?? (() => new Date()), !(opts.benchmarkWithoutRowChecks ?? benchmarkRowChecksOff));
      reg.requireKnownSchema();
      if (!opts.readonly) reg.migrate();
      // The sealing triggers and SQL functions are installed before the first write (tx, macSql):
      // a command that only reads never pays for them (start-up time).
      reg.readCopy = readCopy;
      return reg;
    } catch (e) {
      db?.close();
      if (readCopy) rmSync(readCopy, { recursive: true, force: true });
      damaged(paths.db, e);
    }
  }

  private static openPg(paths: HomePaths, target: PgTarget, opts: OpenOptions): Registry {
    const auditKey = readAuditKey(paths);
    const db = PgDriver.connect(target, { lockWaitMs: busyWaitBound(), password: databasePassword(), readonly: opts.readonly });
    try {
      const reg = new Registry(db, paths, auditKey, opts.clock ?? (() => new Date()), !(opts.benchmarkWithoutRowChecks ?? benchmarkRowChecksOff));
      reg.requireKnownSchema();
      if (!opts.readonly) reg.migrate();
      return reg;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** A registry this smki made: a known schema version with its tables, not a foreign database. */
  private requireKnownSchema(): void {
    const version = this.schemaVersion();
    const hasAudit = this.db.tableExists('audit');
    if (version === 0 || !hasAudit) {
      throw new IntegrityError(`the registry ${this.db.location} holds no smki registry (schema version ${version}${hasAudit ? '' : ', no audit table'}): lost, dropped or a foreign database`);
    }
    if (version > SCHEMA_VERSION) {
      throw new InputError(`the registry ${this.db.location} has schema version ${version}, newer than this smki knows (${SCHEMA_VERSION}): use a newer smki`);
    }
  }

  /** Creates the database of a new home; the caller has made the folder and the audit key. */
  static create(paths: HomePaths, auditKey: Buffer, clock: Clock = () => new Date(), opts: Pick<OpenOptions, 'benchmarkWithoutRowChecks' | 'database'> = {}): Registry {
    const choice = databaseChoice(opts.database);
    if (choice) return Registry.createPg(paths, newHomeTarget(choice), auditKey, clock, opts);
    // Created 0600 first: SQLite gives the -wal and -shm files the database file's permissions.
    closeSync(openSync(paths.db, 'wx', 0o600));
    const db = new SqliteDriver(new Database(paths.db, { timeout: BUSY_TIMEOUT_MS }), paths.db);
    try {
      Registry.configure(db.native, false);
      const reg = new Registry(db, paths, auditKey, clock, !(opts.benchmarkWithoutRowChecks ?? benchmarkRowChecksOff));
      reg.migrate();
      reg.rows.install();
      reg.checkedBeforeWrite = true;
      return reg;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** A new home's registry in its own (new or empty) PostgreSQL schema; the home's database.json names it. */
  private static createPg(paths: HomePaths, target: PgTarget, auditKey: Buffer, clock: Clock, opts: Pick<OpenOptions, 'benchmarkWithoutRowChecks'>): Registry {
    const db = PgDriver.connect(target, { create: true, lockWaitMs: busyWaitBound(), password: databasePassword() });
    try {
      if (db.schemaVersion() > 0 || db.tableExists('audit')) {
        throw new InputError(`${target.location} already holds an smki registry: give each home its own schema (postgres://...?schema=NAME)`);
      }
      const reg = new Registry(db, paths, auditKey, clock, !(opts.benchmarkWithoutRowChecks ?? benchmarkRowChecksOff));
      reg.migrate();
      writeHomeDatabase(paths, target);
      reg.rows.install();
      reg.checkedBeforeWrite = true;
      return reg;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  private static configure(db: BetterSqlite3.Database, readonly: boolean): void {
    if (!readonly) db.pragma('journal_mode = WAL');
    // A new connection to a WAL database defaults to NORMAL; a CA wants every commit on disk.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.min(BUSY_TIMEOUT_MS, busyWaitBound())}`);
  }

  schemaVersion(): number {
    return this.db.schemaVersion();
  }

  /**
   * Runs the pending migrations in one transaction. Tables a migration rewrites are verified before
   * and sealed after it; tables protected for the first time are sealed as they are (their rows are
   * trusted once, at the upgrade).
   */
  private migrate(): void {
    const current = this.schemaVersion();
    const pending = MIGRATIONS.filter((m) => m.version > current);
    if (pending.length === 0) return;
    withBusyRetry(this.db, (began) => this.db.transaction(() => {
      began();
      // Another process may have run these migrations while this one waited for the lock.
      if (this.schemaVersion() >= pending[pending.length - 1]!.version) return;
      const integrityBefore = this.rows.hasState();
      // PostgreSQL has the table from migration 14 but keeps its tallies from PG_BUCKETS_VERSION on.
      const bucketsBefore = this.db.tableExists('integrity_buckets') && (this.db.dialect === 'sqlite' || current >= PG_BUCKETS_VERSION);
      const reseal = integrityBefore ? [...new Set(pending.flatMap((m) => m.reseal ?? []))] : [];
      const verified = integrityBefore ? [...new Set(pending.flatMap((m) => [...(m.reseal ?? []), ...(m.verify ?? [])]))] : [];
      for (const t of verified) {
        const problems = this.rows.tableProblems(t);
        if (problems.length) throw new IntegrityError(`registry tampered: table ${t}: ${problems[0]!.problem}; not migrated`);
      }
      for (const m of pending) {
        if (this.schemaVersion() >= m.version) continue;
        if (this.db.dialect === 'postgres') {
          // PostgreSQL starts at its baseline (the schema at that version); later migrations carry their own SQL.
          if (m.version <= PG_BASELINE_VERSION) {
            for (const sql of pgBaselineDdl()) this.db.exec(sql);
            this.db.setSchemaVersion(PG_BASELINE_VERSION);
            continue;
          }
          for (const sql of pgMigrationDdl(m)) this.db.exec(sql);
        } else if (m.sql.trim()) this.db.exec(m.sql);
        this.db.setSchemaVersion(m.version);
      }
      if (integrityBefore && !bucketsBefore) this.rows.buildBuckets(reseal);
      else if (integrityBefore) this.rows.buildBuckets(reseal, [...new Set(pending.flatMap((m) => m.buckets ?? []))]);
      this.rows.resealTables(reseal);
      this.rows.sealNewTables(this.head());
    }, 'write'));
  }

  /** The last audit record (seq 0 and the genesis hash for an empty chain). */
  head(): { seq: number; hash: string } {
    return (this.stmt('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined) ?? { seq: 0, hash: GENESIS_HASH };
  }

  /**
   * Before this registry's first write, inside its transaction: the chain must reach the checkpoint
   * and the sealed state. Once evidence is lost (a cut tail, a lost WAL, a wiped table) no later
   * command may write over it and make it look whole again.
   */
  private checkBeforeWrite(): void {
    if (this.checkedBeforeWrite) return;
    const problems = [...this.audit.checkpointProblems(), ...this.rows.stateProblems(this.head())];
    if (problems.length) {
      const first = problems[0]!;
      throw new IntegrityError(`refusing to write: ${'table' in first ? `table ${first.table}: ` : ''}${first.problem}; run 'smki audit verify'`, { ok: false, problems });
    }
    this.checkedBeforeWrite = true;
  }

  /**
   * Runs `fn` as one IMMEDIATE transaction (nested calls join the outer one). `durable: false` skips the
   * fsync for this commit only; WAL keeps commit order, so the next durable commit makes it durable too.
   * Waiting for another process's write lock is bounded and retried (withBusyRetry); `fn` runs inside
   * the lock, so decisions it makes see every earlier commit and are never retried half-way.
   */
  tx<T>(fn: () => T, opts: { durable?: boolean } = {}): T {
    if (this.depth > 0) return fn();
    this.rows.install();
    const relaxed = opts.durable === false;
    if (relaxed) this.db.relaxedCommits(true);
    this.depth++;
    try {
      const result = withBusyRetry(this.db, (began) => this.db.transaction(() => {
        began();
        this.txMemo.clear();
        this.checkBeforeWrite();
        if (this.rows.enabled) this.rows.txStarted(this.head());
        const r = fn();
        const head = this.audit.pendingHead();
        this.rows.flush(head ?? this.head(), head !== null);
        return r;
      }, 'write'));
      try {
        this.audit.committed(relaxed);
      } catch (e) {
        // The change is committed: say so, never turn it into a failure.
        this.warnings.push(`the change was committed, but the audit checkpoint could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the next command writes it`);
      }
      return result;
    } catch (e) {
      this.audit.rolledBack();
      this.rows.rolledBack();
      throw e;
    } finally {
      this.depth--;
      this.txMemo.clear();
      if (relaxed) this.db.relaxedCommits(false);
    }
  }

  private readonly txMemo = new Map<string, unknown>();

  /**
   * The rows of a long read, streamed, in one read snapshot (Driver.openSnapshot): on PostgreSQL the
   * row checks then remember what they verified for the whole read, so each bucket is verified once
   * rather than once a row (which made a list of N rows cost N times the table's tallies).
   */
  *inSnapshot<T>(read: () => Iterable<T>): Generator<T> {
    const close = this.db.openSnapshot();
    try {
      yield* read();
    } finally {
      close();
    }
  }

  /** Bumped by this connection's writes to User IDs and their roles (src/registry/parties.ts). */
  userIdsWritten = 0;
  private dataVersionStmt: Statement | undefined;

  /**
   * A stamp that changes whenever the User IDs may have changed: another connection committed
   * (SQLite's `PRAGMA data_version`) or this one wrote a User ID. Undefined on PostgreSQL, which has
   * no such counter: there a reader re-reads per transaction (readOnce).
   */
  userIdsStamp(): string | undefined {
    if (this.db.dialect !== 'sqlite') return undefined;
    // Asked once a transaction: it holds the write lock, so no other connection commits meanwhile.
    const version = this.readOnce('registry:data_version', () => {
      this.dataVersionStmt ??= this.db.prepare('PRAGMA data_version').pluck();
      return String(this.dataVersionStmt.get());
    });
    return `${version}:${this.userIdsWritten}`;
  }

  /**
   * Inside a transaction: `read()`'s value, read once per transaction under `key`. The transaction
   * holds the write lock, so no other process changes the rows meanwhile; use it only for rows the
   * transaction itself does not write (the gate's facts about parties, events, ADT files and
   * certificates, which its decisions never change). Outside a transaction: `read()` every time.
   */
  readOnce<T>(key: string, read: () => T): T {
    if (this.depth === 0) return read();
    const kept = this.txMemo.get(key);
    if (kept !== undefined || this.txMemo.has(key)) return kept as T;
    const v = read();
    this.txMemo.set(key, v);
    return v;
  }

  /**
   * `smki audit verify`: the chain, its checkpoint (and an anchor, if given), the sealed state, and
   * every row of every protected table. A table that cannot be read at all (dropped) is a problem too.
   */
  verify(anchor?: unknown): { records: number; problems: AuditProblem[] } {
    // One snapshot (PostgreSQL REPEATABLE READ, an SQLite read transaction): a commit by another node
    // while the chain, the state and the tables are read one after another never looks like tampering.
    // The checkpoint is read first: written after each commit, it then names no record newer than the snapshot.
    const checkpoint = this.audit.readCheckpoint();
    return this.inTransaction ? this.verifyNow(anchor, checkpoint) : this.db.transaction(() => this.verifyNow(anchor, checkpoint), 'unlocked');
  }

  private verifyNow(anchor: unknown, checkpoint: CheckpointText): { records: number; problems: AuditProblem[] } {
    let records = 0;
    const problems: AuditProblem[] = [];
    const guarded = (what: string, fn: () => void): void => {
      try {
        // A savepoint each: a failed read (a dropped table) does not abort the others on PostgreSQL.
        this.db.transaction(fn, 'unlocked');
      } catch (e) {
        if (e instanceof IntegrityError) problems.push(...((e.details.problems as AuditProblem[] | undefined) ?? [{ seq: null, problem: e.message }]));
        else if (this.db.isDatabaseError(e)) problems.push({ seq: null, problem: `${what}: ${(e as Error).message}` });
        else throw e;
      }
    };
    guarded('the audit chain', () => {
      const v = this.audit.verify(checkpoint);
      records = v.records;
      problems.push(...v.problems);
    });
    if (anchor !== undefined) guarded('the anchor', () => problems.push(...this.audit.anchorProblems(anchor)));
    guarded('the signed statements', () => problems.push(...statementProblems(this.db)));
    guarded('the registry state', () => {
      for (const p of this.rows.verifyAll(this.head())) problems.push({ seq: null, ...p });
    });
    return { records, problems };
  }

  /** Next value of a named counter, as `PREFIX-N` (officers OFC-1, SoLR events SOLR-1, ...). */
  nextId(prefix: string): string {
    // The value it counts up from must be the one smki wrote (a lowered counter would reuse IDs).
    // A missing row would start again at 1: the whole (small) table is checked then, so a deleted counter is refused.
    const counter = this.stmt('SELECT * FROM counters WHERE name = ?').get(prefix);
    if (counter) this.rows.check('counters', counter);
    else this.rows.checkTable('counters');
    const row = this.stmt('INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = counters.value + 1 RETURNING value')
      .get(prefix) as { value: number };
    return `${prefix}-${row.value}`;
  }

  private readonly statements = new Map<string, Statement>();

  /** A prepared statement, compiled once per connection (the gate runs the same queries thousands of times). */
  stmt(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  getMeta(key: string): string | undefined {
    const r = this.rows.check('meta', this.stmt('SELECT * FROM meta WHERE key = ?').get(key)) as { value: string } | undefined;
    // Not found: a setting deleted outside smki (the CA's name, its PKCS#11 module) is refused, not defaulted.
    if (!r) this.rows.checkTable('meta');
    return r?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** The temporary copy a read-only home is read from, removed on close. */
  private readCopy: string | undefined;

  /** Inside a registry transaction (or another transaction on this connection). */
  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  close(): void {
    this.audit.close();
    this.db.close();
    if (this.readCopy) rmSync(this.readCopy, { recursive: true, force: true });
    this.readCopy = undefined;
  }
}
