// A copy of a test home that is a home of its own on either back-end. cpSync copies an SQLite home's
// registry.sqlite with it; a PostgreSQL home's database.json would name the original's schema, so the
// copy would share (and change) the original's registry. Here the copy gets a schema of its own
// (test/support/database.ts names it after the copy's path) holding the original's registry row for
// row, through the project's export code: PostgreSQL -> an SQLite file (one snapshot, every table
// verified) -> the new schema. The copy verifies under the same keys and checkpoint, as cpSync's does.
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync, type CopySyncOptions } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { homeDatabase } from '../../src/registry/database.js';
import { copyIntoSqliteFile, copySqliteIntoPg, parseExportTarget } from '../../src/registry/export.js';
import { homePaths, readAuditKey } from '../../src/registry/home.js';
import { PgDriver } from '../../src/registry/pg-driver.js';
import { SqliteDriver } from '../../src/registry/sqlite-driver.js';
import { testSchema } from './database.js';

/** Copies the home folder `src` to `dst` (cpSync's options); on PostgreSQL the copy's registry is a new schema. */
export function copyHome(src: string, dst: string, opts: CopySyncOptions = {}): string {
  cpSync(src, dst, { recursive: true, ...opts });
  if (existsSync(homePaths(dst).database)) copyPgRegistry(src, dst);
  return dst;
}

/** The PostgreSQL registry of home `src` copied into a new schema named for `dst`, and `dst`'s database.json pointed at it. */
export function copyPgRegistry(src: string, dst: string): void {
  const from = homeDatabase(homePaths(src), undefined);
  if (!from) throw new Error(`${src} keeps its registry in SQLite`);
  const tmp = mkdtempSync(join(tmpdir(), 'smki-home-copy-'));
  try {
    const file = join(tmp, 'registry.sqlite');
    const source = PgDriver.connect(from, { lockWaitMs: 60_000, readonly: true });
    try {
      source.transaction(() => copyIntoSqliteFile(source, file, readAuditKey(homePaths(src))), 'unlocked');
    } finally {
      source.close();
    }
    const schema = testSchema(dst);
    const u = new URL(from.url);
    u.searchParams.set('schema', schema);
    const lite = new SqliteDriver(new Database(file, { readonly: true, fileMustExist: true }), file);
    try {
      copySqliteIntoPg(lite, parseExportTarget(u.toString()));
    } finally {
      lite.close();
    }
    writeFileSync(homePaths(dst).database, `${JSON.stringify({ url: from.url, schema }, null, 2)}\n`, { mode: 0o600 });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
