// The PostgreSQL driver: several RA and gate nodes on one registry. It runs on libpq through
// node-postgres's native binding (`libpq`, the engine of `pg-native`), whose calls are synchronous:
// the registry's design (every change one `reg.tx(() => ...)` in which the RA decides, the CA signs and
// the registry stores) stays as it is, and a round trip on loopback costs about 0.15 ms.
//
// SQL is written in SQLite's dialect; `translate` turns it into PostgreSQL's (placeholders `?` to `$n`,
// `COLLATE NOCASE` to an ICU case-insensitive collation, `main.`/`temp.` to the home's schema and
// pg_temp). Values come back as SQLite returns them (integers as numbers, bytea as Buffer), so row MACs
// are the same on both back-ends. Each home's registry lives in its own PostgreSQL schema; the write
// lock is one transaction-scoped advisory lock per schema (SQLite's BEGIN IMMEDIATE across nodes).
import { createRequire } from 'node:module';
import { DatabaseUnavailableError, InputError } from '../domain/errors.js';
import type { ColumnInfo, Driver, RunResult, Statement } from './driver.js';

interface PQ {
  connectSync(conninfo: string): void;
  exec(sql: string): void;
  execParams(sql: string, params: (string | null)[]): void;
  prepare(name: string, sql: string, nParams: number): void;
  execPrepared(name: string, params: (string | null)[]): void;
  resultStatus(): string;
  resultErrorMessage(): string;
  resultErrorFields(): { sqlState?: string; messagePrimary?: string } | undefined;
  errorMessage(): string;
  ntuples(): number;
  nfields(): number;
  fname(i: number): string;
  ftype(i: number): number;
  getvalue(row: number, col: number): string;
  getisnull(row: number, col: number): boolean;
  cmdTuples(): string;
  clear(): void;
  finish(): void;
  escapeIdentifier(s: string): string;
  transactionStatus(): number;
}

let LibPq: (new () => PQ) | undefined;
function libpq(): new () => PQ {
  // Loaded on first use: an SQLite home never pays for it. It is an optional dependency (it compiles
  // against libpq's headers, which an SQLite-only machine need not have), so its absence is said plainly.
  if (!LibPq) {
    try {
      LibPq = createRequire(import.meta.url)('libpq') as new () => PQ;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
      throw new DatabaseUnavailableError('the PostgreSQL back-end needs the optional libpq module, which this installation lacks: install libpq\'s headers (Debian: apt-get install libpq-dev) and run npm ci again');
    }
  }
  return LibPq;
}

/** A PostgreSQL error with its SQLSTATE as `code` (`23505` a unique violation, `55P03` a lock timeout). */
export class PgError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'PgError';
  }
}

// ---- the URL ----------------------------------------------------------------------------------------

export interface PgTarget {
  /** The URL libpq is given (no password, no `schema` parameter). */
  url: string;
  /** The PostgreSQL schema that holds this home's registry. */
  schema: string;
  /** The URL for messages: never a password. */
  location: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text.trim());
}

/**
 * Parses `postgres://user@host:port/database?schema=NAME`; a bad URL is exit 4 naming what is wrong.
 * `fromArgv`: a password in the URL is refused (argv is visible to every user of the machine).
 */
export function parsePostgresUrl(text: string, opts: { fromArgv: boolean; what: string; defaultSchema?: string }): PgTarget {
  let u: URL;
  try {
    u = new URL(text.trim());
  } catch {
    throw new InputError(`${opts.what} is not a URL: expected postgres://user@host:port/database`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new InputError(`${opts.what} must be a postgres:// URL (got ${u.protocol}//)`);
  if (!u.hostname) throw new InputError(`${opts.what} names no host: expected postgres://user@host:port/database`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database) throw new InputError(`${opts.what} names no database: expected postgres://user@host:port/database`);
  if (u.password && opts.fromArgv) {
    throw new InputError(`${opts.what} must not carry a password (the command line is visible to other users): give it in PGPASSWORD, PGPASSFILE or SMKI_DATABASE_PASSWORD_FILE`);
  }
  const schema = u.searchParams.get('schema') ?? opts.defaultSchema ?? 'smki';
  if (!SCHEMA_NAME.test(schema)) throw new InputError(`${opts.what}: schema ${JSON.stringify(schema)} is not a plain lower-case name (letters, digits, _; at most 63)`);
  u.searchParams.delete('schema');
  u.password = '';
  const location = `${u.protocol}//${u.username ? `${u.username}@` : ''}${u.host}${u.pathname} (schema ${schema})`;
  return { url: u.toString(), schema, location };
}

/** The password libpq is given beside the URL: SMKI_DATABASE_PASSWORD_FILE's first line, else libpq's own (PGPASSWORD, PGPASSFILE). */
function conninfo(target: PgTarget, password: string | undefined): string {
  if (password === undefined) return target.url;
  const u = new URL(target.url);
  u.searchParams.set('password', password);
  return u.toString();
}

// ---- SQL ----------------------------------------------------------------------------------------------

/** SQLite's dialect as this code base writes it, in PostgreSQL's. Outside quotes only. */
export function translate(sql: string): { text: string; params: number } {
  let out = '';
  let n = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const j = sql.indexOf('\n', i);
      i = j < 0 ? sql.length : j;
    } else if (c === '?') {
      out += `$${++n}`;
      i++;
    } else {
      let j = i;
      while (j < sql.length && sql[j] !== "'" && sql[j] !== '"' && sql[j] !== '?' && !(sql[j] === '-' && sql[j + 1] === '-')) j++;
      out += sql
        .slice(i, j)
        .replace(/\bCOLLATE\s+NOCASE\b/gi, 'COLLATE smki_nocase')
        .replace(/\bmain\./g, '')
        .replace(/\btemp\./g, 'pg_temp.')
        // PostgreSQL folds an unquoted alias to lower case: a camelCase one is quoted, as SQLite keeps it.
        .replace(/\bAS\s+([a-z_][a-z0-9_]*[A-Z][A-Za-z0-9_]*)\b/g, 'AS "$1"');
      i = j;
    }
  }
  return { text: out, params: n };
}

const OID = { bool: 16, bytea: 17, int8: 20, int2: 21, int4: 23, oid: 26, float4: 700, float8: 701, numeric: 1700 } as const;

function parseValue(type: number, v: string): unknown {
  switch (type) {
    case OID.int8:
    case OID.int2:
    case OID.int4:
    case OID.oid:
    case OID.float4:
    case OID.float8:
    case OID.numeric:
      return Number(v);
    case OID.bool:
      return v === 't' ? 1 : 0;
    case OID.bytea:
      return Buffer.from(v.slice(2), 'hex');
    default:
      return v;
  }
}

function param(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return `\\x${Buffer.from(v).toString('hex')}`;
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

/** The table a write statement changes (INSERT INTO t, UPDATE t, DELETE FROM t), or undefined. */
function writtenTable(text: string): string | undefined {
  const m = /^\s*(?:WITH\b[\s\S]*?\)\s*)?(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:main\.)?"?([A-Za-z_][A-Za-z0-9_]*)"?/i.exec(text);
  return m?.[1]?.toLowerCase();
}

/** What the row-sealing code (src/registry/pg-sealing.ts) is told after each write to a table it watches. */
export interface WriteObserver {
  watches(table: string): boolean;
  afterWrite(): void;
}

class PgStatement implements Statement {
  private plucked = false;
  private name: string | undefined;
  readonly writes: string | undefined;

  constructor(
    private readonly driver: PgDriver,
    private readonly text: string,
    private readonly params: number,
  ) {
    this.writes = writtenTable(text);
  }

  pluck(on = true): Statement {
    this.plucked = on;
    return this;
  }

  /** Runs the statement; its rows and count are read before the sealer (after a write) runs its own queries. */
  private exec(values: unknown[]): { rows: unknown[]; changes: number } {
    if (values.length !== this.params) throw new RangeError(`the statement takes ${this.params} parameter(s), ${values.length} given`);
    const pq = this.driver.connection();
    this.name ??= this.driver.prepared(this.text, this.params);
    pq.execPrepared(this.name, values.map(param));
    this.driver.check(pq);
    const result = { rows: this.rows(pq), changes: Number(pq.cmdTuples()) || 0 };
    if (this.writes !== undefined) this.driver.wrote(this.writes);
    return result;
  }

  private rows(pq: PQ): unknown[] {
    const n = pq.ntuples();
    const f = pq.nfields();
    const names: string[] = [];
    const types: number[] = [];
    for (let j = 0; j < f; j++) {
      names.push(pq.fname(j));
      types.push(pq.ftype(j));
    }
    const out: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) {
      if (this.plucked) {
        out[i] = pq.getisnull(i, 0) ? null : parseValue(types[0]!, pq.getvalue(i, 0));
        continue;
      }
      const row: Record<string, unknown> = {};
      for (let j = 0; j < f; j++) row[names[j]!] = pq.getisnull(i, j) ? null : parseValue(types[j]!, pq.getvalue(i, j));
      out[i] = row;
    }
    return out;
  }

  get(...values: unknown[]): unknown {
    return this.exec(values).rows[0];
  }

  all(...values: unknown[]): unknown[] {
    return this.exec(values).rows;
  }

  /**
   * Rows in chunks of ITERATE_CHUNK through a cursor, so a long read (cert list --json, audit verify)
   * holds one chunk in memory, not the whole result. WITH HOLD: outside a transaction the cursor
   * outlives the statement's own (the server keeps the result); inside one it reads that snapshot.
   */
  *iterate(...values: unknown[]): IterableIterator<unknown> {
    if (this.writes !== undefined) {
      yield* this.exec(values).rows;
      return;
    }
    if (values.length !== this.params) throw new RangeError(`the statement takes ${this.params} parameter(s), ${values.length} given`);
    const pq = this.driver.connection();
    const cursor = this.driver.cursorName();
    pq.execParams(`DECLARE ${cursor} NO SCROLL CURSOR WITH HOLD FOR ${this.text}`, values.map(param));
    this.driver.check(pq);
    try {
      for (;;) {
        pq.exec(`FETCH ${ITERATE_CHUNK} FROM ${cursor}`);
        this.driver.check(pq);
        const rows = this.rows(pq);
        yield* rows;
        if (rows.length < ITERATE_CHUNK) return;
      }
    } finally {
      // Closed before any rollback the consumer's error leads to; a cursor already gone (its
      // transaction ended) is no error.
      if (this.driver.open) this.driver.connection().exec(`CLOSE ${cursor}`);
    }
  }

  run(...values: unknown[]): RunResult {
    return { changes: this.exec(values).changes, lastInsertRowid: 0 };
  }
}

/** Rows fetched per round trip by iterate(). */
const ITERATE_CHUNK = 500;

const closing = new Set<PQ>();

/** The one advisory lock of a registry: smki's class id, and the schema's hash. */
const LOCK_CLASS = 0x736d6b69; // 'smki'

/** Takes the registry's write lock (the schema on the search path) until the transaction ends. */
export const WRITE_LOCK_SQL = `SELECT pg_advisory_xact_lock(${LOCK_CLASS}, hashtext(current_schema()))`;

export class PgDriver implements Driver {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  private pq: PQ | undefined;
  private depth = 0;
  private relaxed = false;
  private readonly statements = new Map<string, string>();
  private readonly translated = new Map<string, { text: string; params: number }>();
  observer: WriteObserver | undefined;

  private constructor(readonly target: PgTarget) {
    this.location = target.location;
  }

  /**
   * Connects (exit 1 with one line when the server cannot be reached) and selects the home's schema,
   * creating it when `create`. `lockWaitMs` bounds the wait for another node's write lock.
   */
  static connect(target: PgTarget, opts: { create?: boolean; lockWaitMs: number; password?: string; readonly?: boolean }): PgDriver {
    const d = new PgDriver(target);
    const pq = new (libpq())();
    try {
      pq.connectSync(conninfo(target, opts.password));
    } catch (e) {
      throw new DatabaseUnavailableError(`cannot connect to the registry database ${target.location}: ${firstLine((e as Error).message)}`);
    }
    d.pq = pq;
    const schema = pq.escapeIdentifier(target.schema);
    d.exec(
      `SET client_min_messages = warning; SET synchronous_commit = on; SET lock_timeout = ${Math.max(1, Math.trunc(opts.lockWaitMs))}; ` +
        `${opts.create ? `CREATE SCHEMA IF NOT EXISTS ${schema}; ` : ''}SET search_path = ${schema}, pg_catalog` +
        `${opts.readonly ? '; SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY' : ''}`,
    );
    return d;
  }

  /** The connection (throws once closed). */
  connection(): PQ {
    if (!this.pq) throw new Error('the registry database connection is closed');
    return this.pq;
  }

  /** Throws the result's error, if any, as a PgError (or DatabaseUnavailableError when the connection is gone). */
  /** Results read from the server so far (every statement's goes through check): what a long read costs in round trips. */
  roundTrips = 0;

  check(pq: PQ): void {
    this.roundTrips++;
    const status = pq.resultStatus();
    if (status === 'PGRES_COMMAND_OK' || status === 'PGRES_TUPLES_OK' || status === 'PGRES_EMPTY_QUERY') return;
    const fields = pq.resultErrorFields();
    const msg = firstLine(pq.resultErrorMessage() || pq.errorMessage() || status);
    const code = fields?.sqlState ?? '';
    if (code === '' || code.startsWith('08') || code === '57P01') throw new DatabaseUnavailableError(`the registry database ${this.location} was lost: ${msg}`);
    throw new PgError(msg, code);
  }

  /** The server-side name of `text` prepared on this connection (prepared once). */
  prepared(text: string, params: number): string {
    let name = this.statements.get(text);
    if (!name) {
      name = `s${this.statements.size + 1}`;
      const pq = this.connection();
      pq.prepare(name, text, params);
      this.check(pq);
      this.statements.set(text, name);
    }
    return name;
  }

  private cursors = 0;

  /** A cursor name unique on this connection. */
  cursorName(): string {
    return `smki_c${++this.cursors}`;
  }

  wrote(table: string): void {
    if (this.observer?.watches(table)) this.observer.afterWrite();
  }

  prepare(sql: string): Statement {
    let t = this.translated.get(sql);
    if (!t) {
      t = translate(sql);
      this.translated.set(sql, t);
    }
    return new PgStatement(this, t.text, t.params);
  }

  exec(sql: string): void {
    const pq = this.connection();
    pq.exec(translate(sql).text);
    this.check(pq);
  }

  private simple(sql: string): void {
    const pq = this.connection();
    pq.exec(sql);
    this.check(pq);
  }

  private transactions = 0;
  private snapshotOpen = false;

  get transactionId(): number | undefined {
    return this.depth > 0 ? this.transactions : undefined;
  }

  openSnapshot(): () => void {
    if (this.depth > 0) return () => undefined;
    this.simple('BEGIN ISOLATION LEVEL REPEATABLE READ');
    this.transactions++;
    this.depth = 1;
    this.snapshotOpen = true;
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      this.snapshotOpen = false;
      this.depth = 0;
      // Nothing was written in it: COMMIT and ROLLBACK end it alike; a connection already gone ended it too.
      if (this.pq) {
        try {
          this.simple('COMMIT');
        } catch {
          // The snapshot ended with its connection.
        }
      }
    };
  }

  transaction<T>(fn: () => T, mode: 'write' | 'unlocked'): T {
    // A write joined to a read snapshot would run without the write lock: refused, not joined.
    if (this.snapshotOpen && mode === 'write') throw new Error('a registry write inside a read snapshot');
    if (this.depth > 0) {
      const sp = `smki_sp${this.depth}`;
      this.simple(`SAVEPOINT ${sp}`);
      this.depth++;
      try {
        const r = fn();
        this.simple(`RELEASE SAVEPOINT ${sp}`);
        return r;
      } catch (e) {
        if (this.pq && !(e instanceof DatabaseUnavailableError)) this.simple(`ROLLBACK TO SAVEPOINT ${sp}; RELEASE SAVEPOINT ${sp}`);
        throw e;
      } finally {
        this.depth--;
      }
    }
    // A write holds the lock, so each statement sees every commit before it; a read without it is one snapshot.
    this.simple(mode === 'write' ? 'BEGIN' : 'BEGIN ISOLATION LEVEL REPEATABLE READ');
    this.transactions++;
    this.depth = 1;
    try {
      if (mode === 'write') {
        this.simple(`${WRITE_LOCK_SQL}${this.relaxed ? '; SET LOCAL synchronous_commit = off' : ''}`);
      }
      const r = fn();
      this.simple('COMMIT');
      return r;
    } catch (e) {
      if (this.pq && !(e instanceof DatabaseUnavailableError)) {
        try {
          this.simple('ROLLBACK');
        } catch {
          // The connection went with the error: nothing was committed.
        }
      }
      throw e;
    } finally {
      this.depth = 0;
    }
  }

  relaxedCommits(on: boolean): void {
    this.relaxed = on;
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  get open(): boolean {
    return this.pq !== undefined;
  }

  close(): void {
    const pq = this.pq;
    if (!pq) return;
    pq.finish();
    this.pq = undefined;
    // libpq's binding closes its socket watcher without a callback: the object must outlive the event
    // loop's close of it, or its memory is freed under libuv (an abort). Held until a later turn.
    closing.add(pq);
    setTimeout(() => closing.delete(pq), 1_000).unref();
  }

  schemaVersion(): number {
    if (!this.tableExists('schema_version')) return 0;
    return (this.prepare('SELECT max(version) FROM schema_version').pluck().get() as number | null) ?? 0;
  }

  setSchemaVersion(version: number): void {
    this.exec('CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)');
    this.prepare('DELETE FROM schema_version').run();
    this.prepare('INSERT INTO schema_version (version) VALUES (?)').run(Math.trunc(version));
  }

  tableExists(name: string): boolean {
    return this.prepare("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname = ? AND c.relkind IN ('r', 'p')").get(name) !== undefined;
  }

  /** The stored columns (without the `rowid` column that stands for SQLite's, or generated ones), each with its type's OID. */
  tableColumns(name: string): (ColumnInfo & { type: number })[] {
    return (this.prepare(`
      SELECT a.attname AS name, a.atttypid::integer AS type,
             coalesce((SELECT k.n FROM pg_index i, unnest(i.indkey) WITH ORDINALITY k(att, n) WHERE i.indrelid = c.oid AND i.indisprimary AND k.att = a.attnum), 0) AS pk
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace s ON s.oid = c.relnamespace
       WHERE s.nspname = current_schema() AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> 'rowid' AND a.attgenerated = ''
       ORDER BY a.attnum`).all(name) as (ColumnInfo & { type: number })[]);
  }

  columnExists(table: string, column: string): boolean {
    return this.prepare('SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = current_schema() AND c.relname = ? AND a.attname = ? AND NOT a.attisdropped').get(table, column) !== undefined;
  }

  withoutRowid(name: string): boolean {
    return this.prepare("SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = current_schema() AND c.relname = ? AND a.attname = 'rowid' AND NOT a.attisdropped").get(name) === undefined;
  }

  isBusy(e: unknown): boolean {
    return e instanceof PgError && (e.code === '55P03' || e.code === '40P01' || e.code === '40001');
  }

  isDatabaseError(e: unknown): boolean {
    return e instanceof PgError;
  }
}

function firstLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).filter(Boolean).join(' ').replace(/^ERROR:\s+/, '');
}
