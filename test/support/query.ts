// Reads a home's registry directly (read-only), for tests that check what other processes committed.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { homeDatabase } from '../../src/registry/database.js';
import type { Driver } from '../../src/registry/driver.js';
import { homePaths } from '../../src/registry/home.js';
import { PgDriver, WRITE_LOCK_SQL } from '../../src/registry/pg-driver.js';
import { SqliteDriver } from '../../src/registry/sqlite-driver.js';

export function query<T>(home: string, sql: string, ...args: unknown[]): T[] {
  const db = openOutside(home, { readonly: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

/**
 * The home's registry database opened as any other client would (no smki connection, no sealing):
 * its registry.sqlite, or its PostgreSQL schema (src/registry/database.ts). What a test changes
 * through it is changed "outside smki".
 */
export function openOutside(home: string, opts: { readonly?: boolean } = {}): Driver {
  const paths = homePaths(home);
  const target = homeDatabase(paths, undefined);
  if (target) return PgDriver.connect(target, { lockWaitMs: 60_000, readonly: opts.readonly });
  return new SqliteDriver(new Database(paths.db, { readonly: opts.readonly ?? false, fileMustExist: true }), paths.db);
}

/** Runs one statement on the home's registry outside smki (a tamper, as an administrator would). */
export function outsideRun(home: string, sql: string, ...args: unknown[]): number {
  const db = openOutside(home);
  try {
    return db.prepare(sql).run(...args).changes;
  } finally {
    db.close();
  }
}

/**
 * Holds the home's write lock as another smki process on another node would (SQLite BEGIN IMMEDIATE;
 * PostgreSQL the registry's advisory lock, in a transaction of a separate connection) until released.
 */
export function holdWriteLock(home: string): () => void {
  const db = openOutside(home);
  db.exec(db.dialect === 'postgres' ? `BEGIN; ${WRITE_LOCK_SQL}` : 'BEGIN IMMEDIATE');
  return () => {
    try {
      db.exec('ROLLBACK');
    } finally {
      db.close();
    }
  };
}

/** The size of the home's WAL file: it grows while a transaction writes (0 when there is none). */
export function walBytes(home: string): number {
  try {
    return statSync(join(home, 'registry.sqlite-wal')).size;
  } catch {
    return 0;
  }
}

/** Folds the WAL back into the registry (only while no smki process runs), so WAL growth is watched from 0. */
export function foldWal(home: string): void {
  const db = new Database(join(home, 'registry.sqlite'), { fileMustExist: true });
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}
