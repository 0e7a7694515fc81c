// The SQLite driver (the embedded default): better-sqlite3 on the home's registry.sqlite. Its
// statements are better-sqlite3's own (they already have the driver's shape: no wrapper on the hot path).
import type BetterSqlite3 from 'better-sqlite3';
import type { ColumnInfo, Driver, Statement } from './driver.js';

export class SqliteDriver implements Driver {
  readonly dialect = 'sqlite' as const;

  constructor(
    /** The connection itself, for what only SQLite has (SQL functions, TEMP triggers, VACUUM INTO). */
    readonly native: BetterSqlite3.Database,
    readonly location: string,
  ) {}

  prepare(sql: string): Statement {
    return this.native.prepare(sql);
  }

  exec(sql: string): void {
    this.native.exec(sql);
  }

  transaction<T>(fn: () => T, mode: 'write' | 'unlocked'): T {
    const t = this.native.transaction(fn);
    return mode === 'write' ? t.immediate() : t();
  }

  openSnapshot(): () => void {
    return () => undefined;
  }

  readonly transactionId = undefined;

  relaxedCommits(on: boolean): void {
    // WAL keeps commit order, so the next FULL commit makes a NORMAL one durable too.
    this.native.pragma(on ? 'synchronous = NORMAL' : 'synchronous = FULL');
  }

  get inTransaction(): boolean {
    return this.native.inTransaction;
  }

  get open(): boolean {
    return this.native.open;
  }

  close(): void {
    if (this.native.open) this.native.close();
  }

  schemaVersion(): number {
    return this.native.pragma('user_version', { simple: true }) as number;
  }

  setSchemaVersion(version: number): void {
    this.native.pragma(`user_version = ${Math.trunc(version)}`);
  }

  tableExists(name: string): boolean {
    return this.native.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(name) !== undefined;
  }

  columnExists(table: string, column: string): boolean {
    // table_xinfo lists generated columns too (table_info leaves them out).
    return this.native.prepare('SELECT 1 FROM pragma_table_xinfo(?) WHERE name = ?').get(table, column) !== undefined;
  }

  tableColumns(name: string): ColumnInfo[] {
    return this.native.prepare('SELECT name, pk FROM pragma_table_info(?)').all(name) as ColumnInfo[];
  }

  /** Whether the table is WITHOUT ROWID (its rows are named by their key alone). */
  withoutRowid(name: string): boolean {
    const sql = (this.native.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?").pluck().get(name) as string | undefined) ?? '';
    return /WITHOUT\s+ROWID/i.test(sql);
  }

  isBusy(e: unknown): boolean {
    return typeof (e as { code?: unknown })?.code === 'string' && (e as { code: string }).code.startsWith('SQLITE_BUSY');
  }

  isDatabaseError(e: unknown): boolean {
    return typeof (e as { code?: unknown })?.code === 'string' && (e as { code: string }).code.startsWith('SQLITE_');
  }
}
