// Reads a home's registry directly (read-only), for tests that check what other processes committed.
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
