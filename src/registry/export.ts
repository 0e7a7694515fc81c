// `smki registry export --to URL`: copies a registry, row for row, into an empty registry on another
// back-end (a new SQLite file now; PostgreSQL through its driver). Rows are copied as stored (ids,
// rowids, row MACs, audit records with their hashes and MACs, the sealed integrity state), so the copy
// verifies under the same home's audit key and checkpoint: `smki audit verify` passes on it.
// The target is written in one transaction: it holds the whole copy or nothing.
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { closeSync, existsSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../domain/errors.js';
import { MIGRATIONS } from './migrations.js';
import type { Driver } from './driver.js';
import type { Registry } from './registry.js';
import { databasePassword } from './database.js';
import { PG_BASELINE_VERSION } from './pg-baseline.js';
import { parsePostgresUrl, PgDriver } from './pg-driver.js';
import { pgBaselineDdl, pgMigrationDdl } from './pg-schema.js';
import { RowGuard } from './row-mac.js';
import { SqliteDriver } from './sqlite-driver.js';
import { readAuditKey } from './home.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

export type BackendKind = 'sqlite' | 'postgres';

export interface ExportTarget {
  kind: BackendKind;
  /** What messages and the audit record name: the file, or the URL without any password. */
  location: string;
  /** SQLite: the file. */
  path?: string;
  /** PostgreSQL: the connection URL. */
  url?: string;
}

export interface ExportedTable {
  name: string;
  rows: number;
}

export interface ExportResult {
  target: ExportTarget;
  schemaVersion: number;
  tables: ExportedTable[];
  /** The audit chain copied: its record count and last record. */
  audit: { records: number; seq: number; hash: string };
}

const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/**
 * `--to`: `sqlite:FILE` (a new registry file; `sqlite:` relative paths from the working directory) or
 * `postgres://...` / `postgresql://...`. A password in the URL is refused (argv is visible to every
 * user of the machine): libpq reads it from PGPASSWORD or ~/.pgpass.
 */
export function parseExportTarget(to: string): ExportTarget {
  const t = to.trim();
  if (/^postgres(ql)?:\/\//i.test(t)) {
    const pg = parsePostgresUrl(t, { fromArgv: true, what: '--to' });
    return { kind: 'postgres', location: pg.location, url: t };
  }
  const m = /^sqlite:(.+)$/i.exec(t);
  if (m) {
    const path = resolve(m[1]!.replace(/^\/\/(?=\/)/, ''));
    return { kind: 'sqlite', location: path, path };
  }
  throw new InputError(`--to: ${to || '(empty)'} names no back-end: use sqlite:FILE or postgres://user@host/database`);
}

/** What the copy reads through: the registry's connection (whichever driver wraps it) or the target's. */
interface Readable {
  prepare(sql: string): { all(...params: unknown[]): unknown[]; iterate(...params: unknown[]): IterableIterator<unknown> };
}

/** The SQLite tables a registry holds, in creation order (sqlite_sequence included, if any). */
function sqliteTables(db: Readable): { name: string; withoutRowid: boolean; rowidAlias: boolean }[] {
  const rows = db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_stat%' ORDER BY rowid").all() as { name: string; sql: string }[];
  return rows.map((r) => {
    const pk = db.prepare('SELECT type FROM pragma_table_info(?) WHERE pk > 0').all(r.name) as { type: string }[];
    return {
      name: r.name,
      withoutRowid: /WITHOUT\s+ROWID\s*$/i.test(r.sql.trim()),
      // A lone INTEGER PRIMARY KEY column is the rowid itself: copying it copies the rowid.
      rowidAlias: pk.length === 1 && pk[0]!.type.toUpperCase() === 'INTEGER',
    };
  });
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** Exit 4 unless the target holds no registry and no data at all (a new file, or an empty one). */
function requireEmptySqliteTarget(t: ExportTarget): void {
  const path = t.path!;
  if (!existsSync(path)) return;
  const st = statSync(path);
  if (!st.isFile()) throw new InputError(`--to: ${path} is not a file`);
  if (st.size === 0) return;
  const head = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!head.equals(SQLITE_HEADER)) throw new InputError(`--to: ${path} is not empty and not an SQLite database: export only into a new or empty registry`);
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const n = (db.prepare("SELECT COUNT(*) AS n FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'").get() as { n: number }).n;
    if (n > 0) throw new InputError(`--to: ${path} is not empty (it holds ${n} table(s) or index(es)): export only into a new or empty registry`);
  } finally {
    db.close();
  }
}

/** Before anything is written: the target exists as a back-end this smki can write, and is empty. */
export function requireEmptyTarget(t: ExportTarget): void {
  if (t.kind === 'sqlite') return requireEmptySqliteTarget(t);
  const db = connectPg(t, false);
  try {
    const n = pgTables(db);
    if (n > 0) throw new InputError(`--to: ${t.location} is not empty (it holds ${n} table(s)): export only into a new or empty schema`);
  } finally {
    db.close();
  }
}

function connectPg(t: ExportTarget, create: boolean): PgDriver {
  return PgDriver.connect(parsePostgresUrl(t.url!, { fromArgv: true, what: '--to' }), { create, lockWaitMs: 60_000, password: databasePassword() });
}

/** Tables in the target's own schema (a schema that does not exist yet holds none). */
function pgTables(db: PgDriver): number {
  return Number((db.prepare("SELECT COUNT(*) AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = ? AND c.relkind = 'r'").get(db.target.schema) as { n: number }).n);
}

/** SQLite -> PostgreSQL: the PostgreSQL baseline schema, then every row as stored, in one transaction there. */
export function copySqliteIntoPg(source: Driver, target: ExportTarget): ExportedTable[] {
  if (source.dialect !== 'sqlite') throw new Error(`copySqliteIntoPg reads an SQLite registry, not ${source.dialect}`);
  const db = connectPg(target, true);
  try {
    const tables: ExportedTable[] = [];
    db.transaction(() => {
      const n = pgTables(db);
      if (n > 0) throw new InputError(`--to: ${target.location} is not empty (it holds ${n} table(s)): export only into a new or empty schema`);
      for (const sql of pgBaselineDdl()) db.exec(sql);
      db.setSchemaVersion(PG_BASELINE_VERSION);
      // The migrations after the baseline, in their PostgreSQL form, as a new PostgreSQL home gets them.
      for (const m of MIGRATIONS.filter((x) => x.version > PG_BASELINE_VERSION)) {
        for (const sql of pgMigrationDdl(m)) db.exec(sql);
        db.setSchemaVersion(m.version);
      }
      for (const t of sqliteTables(source)) {
        if (t.name === 'sqlite_sequence') continue;
        const cols = (source.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').all(t.name) as { name: string }[]).map((c) => c.name);
        const withRowid = !t.withoutRowid && !t.rowidAlias;
        const names = [...(withRowid ? ['rowid'] : []), ...cols];
        const select = source.prepare(`SELECT ${names.map((c, i) => `"${c}" AS c${i}`).join(', ')} FROM main."${t.name}"${t.withoutRowid ? '' : ' ORDER BY rowid'}`);
        const insert = db.prepare(`INSERT INTO "${t.name}" (${names.map((c) => `"${c}"`).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
        let rows = 0;
        for (const row of select.iterate() as IterableIterator<Record<string, unknown>>) {
          insert.run(...names.map((_, i) => row[`c${i}`]));
          rows++;
        }
        // The identity that stands for SQLite's rowid goes on after the copied rows.
        if (withRowid && rows > 0) db.prepare(`SELECT setval(pg_get_serial_sequence('"${t.name}"', 'rowid'), (SELECT max(rowid) FROM "${t.name}"))`).get();
        tables.push({ name: t.name, rows });
      }
    }, 'write');
    return tables;
  } finally {
    db.close();
  }
}

/**
 * Copies every table of `reg` into the empty target, inside the caller's registry transaction (which
 * holds the write lock, so no node writes while the copy is read), and commits the target once.
 * The source's schema version must be this smki's: the target is created by the same migrations.
 */
export function copyRegistry(reg: Registry, target: ExportTarget): ExportResult {
  if (!reg.db.inTransaction) throw new Error('the registry is exported inside a registry transaction');
  const version = reg.schemaVersion();
  if (version !== SCHEMA_VERSION) throw new InputError(`the registry has schema version ${version}, this smki writes ${SCHEMA_VERSION}: open it read-write once (any command) to migrate it, then export`);
  if (target.kind === 'postgres') {
    if (reg.db.dialect === 'postgres') throw new InputError(`--to: the registry is on PostgreSQL already (${reg.db.location}): export it to sqlite:FILE, or copy the schema with PostgreSQL's own tools`);
    const tables = copySqliteIntoPg(reg.db, target);
    const head = reg.head();
    const records = tables.find((t) => t.name === 'audit')?.rows ?? 0;
    return { target, schemaVersion: SCHEMA_VERSION, tables, audit: { records, ...head } };
  }
  const tables = copyIntoSqliteFile(reg.db, target.path!, readAuditKey(reg.paths));
  const db = new Database(target.path!, { readonly: true, fileMustExist: true });
  try {
    const head = (db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined) ?? { seq: 0, hash: '0'.repeat(64) };
    const records = (db.prepare('SELECT COUNT(*) AS n FROM audit').get() as { n: number }).n;
    return { target, schemaVersion: SCHEMA_VERSION, tables, audit: { records, ...head } };
  } finally {
    db.close();
  }
}


/**
 * Copies the registry `source` reads (SQLite or PostgreSQL, inside the caller's transaction: one
 * snapshot) into a new or empty SQLite file, row for row, in one transaction there. The target's
 * tables are made by the SQLite migrations; each is filled from the source's table of that name.
 */
export function copyIntoSqliteFile(source: Driver, path: string, auditKey: Buffer): ExportedTable[] {
  if (!source.inTransaction) throw new Error('the registry is copied inside a transaction (one snapshot)');
  const created = !existsSync(path);
  if (created) closeSync(openSync(path, 'wx', 0o600));
  const db = new Database(path, { fileMustExist: true, timeout: 5_000 });
  let committed = false;
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const tables: ExportedTable[] = [];
    db.transaction(() => {
      // Inside the target's transaction: nothing else made it non-empty since the first look.
      const n = (db.prepare("SELECT COUNT(*) AS n FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'").get() as { n: number }).n;
      if (n > 0) throw new InputError(`--to: ${path} is not empty (it holds ${n} table(s) or index(es)): export only into a new or empty registry`);
      for (const m of MIGRATIONS) db.exec(m.sql);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      const made = sqliteTables(db);
      if (source.dialect === 'sqlite') {
        const have = new Set(made.map((t) => t.name));
        for (const t of sqliteTables(source)) if (t.name !== 'sqlite_sequence' && !have.has(t.name)) throw new Error(`the target has no table ${t.name} after the migrations`);
      }
      for (const t of made) {
        if (!source.tableExists(t.name)) {
          if (t.name === 'sqlite_sequence') continue;
          throw new Error(`the source registry has no table ${t.name}`);
        }
        const cols = source.tableColumns(t.name).map((c) => c.name);
        const targetCols = new Set((db.prepare('SELECT name FROM pragma_table_info(?)').all(t.name) as { name: string }[]).map((c) => c.name));
        for (const c of cols) if (!targetCols.has(c)) throw new Error(`the target's table ${t.name} has no column ${c}`);
        const withRowid = !t.withoutRowid && !t.rowidAlias && t.name !== 'sqlite_sequence';
        const names = [...(withRowid ? ['rowid'] : []), ...cols];
        const select = source.prepare(`SELECT ${names.map((c, i) => `"${c}" AS c${i}`).join(', ')} FROM main."${t.name}"${t.withoutRowid ? '' : ' ORDER BY rowid'}`);
        const insert = db.prepare(`INSERT INTO "${t.name}" (${names.map((c) => `"${c}"`).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
        if (t.name === 'sqlite_sequence') db.prepare('DELETE FROM sqlite_sequence').run();
        let rows = 0;
        for (const row of select.iterate() as IterableIterator<Record<string, unknown>>) {
          insert.run(...names.map((_, i) => row[`c${i}`]));
          rows++;
        }
        if (t.name !== 'sqlite_sequence') tables.push({ name: t.name, rows });
      }
      const problems = db.pragma('foreign_key_check') as unknown[];
      if (problems.length) throw new Error(`the copy breaks ${problems.length} foreign key(s)`);
      // PostgreSQL keeps no bucket tallies (pg-sealing.ts): SQLite's are built from the copied rows,
      // each table verified by its row MACs and digest first (a table that does not verify: no copy).
      if (source.dialect !== 'sqlite') new RowGuard(new SqliteDriver(db, path), auditKey, true).buildBuckets();
    }).immediate();
    committed = true;
    return tables;
  } finally {
    db.close();
    if (!committed && created) for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
  }
}
