// The database driver under the registry: what every repository, the audit log and the row guard use,
// implemented by SQLite (src/registry/sqlite-driver.ts, the embedded default) and PostgreSQL
// (src/registry/pg-driver.ts). The interface is synchronous on purpose: every registry change is one
// `reg.tx(() => ...)` in which the RA decides, the CA signs and the registry stores, and both drivers
// run it synchronously (better-sqlite3, and pg-native's libpq binding for PostgreSQL).
//
// SQL is written once, in SQLite's dialect with `?` placeholders; the PostgreSQL driver translates it
// (placeholders, `rowid`, `COLLATE NOCASE`, `INSERT OR IGNORE`) and returns values of the same JS
// types as SQLite does (integers as numbers, BLOBs as Buffers, text as strings, NULL as null), so a
// row MAC computed on one back-end verifies on the other.

/** A value bound to a placeholder or read from a column. */
export type SqlValue = string | number | bigint | Buffer | Uint8Array | null;

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** A prepared statement (prepared once per connection: the gate runs the same queries thousands of times). */
export interface Statement {
  /** The first row, or undefined. */
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): RunResult;
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** From now on get/all/iterate return the first column's value instead of the row (returns this statement). */
  pluck(on?: boolean): Statement;
  /** SQLite only: from now on rows come as arrays of column values, in the SELECT's order (no object per row). */
  raw?(on?: boolean): Statement;
}

/** A column of a table, as the row guard needs it (row_mac included). */
export interface ColumnInfo {
  name: string;
  /** 1-based position in the primary key, 0 when not part of it. */
  pk: number;
}

export type Dialect = 'sqlite' | 'postgres';

export interface Driver {
  readonly dialect: Dialect;
  /** Where the database is, for messages (a file path, or a URL without its password). */
  readonly location: string;
  prepare(sql: string): Statement;
  /** Runs one or more statements without parameters or results (DDL, migrations). */
  exec(sql: string): void;
  /**
   * Runs `fn` in one transaction: `write` takes the write lock at the start (SQLite BEGIN IMMEDIATE,
   * PostgreSQL one transaction-scoped advisory lock), so the decisions `fn` makes see every earlier
   * commit; `unlocked` takes no lock and reads one snapshot (PostgreSQL REPEATABLE READ). A nested call joins
   * the open transaction. Commits when `fn` returns, rolls back when it throws.
   */
  transaction<T>(fn: () => T, mode: 'write' | 'unlocked'): T;
  /**
   * Opens one read snapshot for a long read made statement by statement (a list streamed to the
   * output), and returns what closes it: PostgreSQL BEGIN ISOLATION LEVEL REPEATABLE READ, so that what
   * the row checks verified holds for every later row of the read (see `transactionId`). A no-op on
   * SQLite (its checks follow `PRAGMA data_version`) or inside a transaction. No write may run in it.
   */
  openSnapshot(): () => void;
  /** PostgreSQL: a number naming the open top-level transaction (or snapshot), undefined outside one. */
  readonly transactionId: number | undefined;
  /** This commit only may skip waiting for the disk (batches; the next durable commit covers it). */
  relaxedCommits(on: boolean): void;
  readonly inTransaction: boolean;
  readonly open: boolean;
  close(): void;
  /** The registry's schema version (0 for an empty database). */
  schemaVersion(): number;
  setSchemaVersion(version: number): void;
  tableExists(name: string): boolean;
  /** The table's stored columns in order (not generated ones), empty when the table does not exist. */
  tableColumns(name: string): ColumnInfo[];
  /** Whether the table has the column, generated columns included. */
  columnExists(table: string, column: string): boolean;
  /** Whether the table's rows are named by their primary key alone (SQLite WITHOUT ROWID; no `rowid` column on PostgreSQL). */
  withoutRowid(name: string): boolean;
  /** Whether `e` is a lock wait that gave up (retried by the registry within its bound). */
  isBusy(e: unknown): boolean;
  /** Whether `e` came from the database (a missing table, a constraint), not from smki's own code. */
  isDatabaseError(e: unknown): boolean;
}
