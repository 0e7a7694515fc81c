// Reads a home's registry directly (read-only), for tests that check what other processes committed.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export function query<T>(home: string, sql: string, ...args: unknown[]): T[] {
  const db = new Database(join(home, 'registry.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
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
