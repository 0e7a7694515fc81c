// A temporary home with an audit key and no registry yet, for tests that make a Registry themselves.
// With SMKI_TEST_DATABASE_URL set (the PostgreSQL run, test/support/database.ts) its registry is made
// on PostgreSQL, in a schema of its own, so these tests run against both back-ends too.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { homePaths, type HomePaths } from '../../src/registry/home.js';
import { Registry, type Clock } from '../../src/registry/registry.js';
import { testDatabaseUrl, testSchema } from './database.js';
import { outsideRun } from './query.js';

export interface RegistryHome {
  paths: HomePaths;
  key: Buffer;
  /** Makes the home's registry, on the back-end the tests run against. */
  create(clock?: Clock): Registry;
  /** Runs one statement on the home's registry as another client would (no smki, no sealing): rows changed. */
  outside(sql: string, ...args: unknown[]): number;
  cleanup(): void;
}

export function registryHome(prefix: string): RegistryHome {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const paths = homePaths(join(dir, 'home'));
  mkdirSync(paths.keysDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(paths.auditKey, key.toString('hex'), { mode: 0o600 });
  const create = (clock?: Clock): Registry => {
    const url = testDatabaseUrl();
    if (!url) return Registry.create(paths, key, clock);
    const u = new URL(url);
    u.searchParams.set('schema', testSchema(paths.dir));
    return Registry.create(paths, key, clock, { database: u.toString() });
  };
  return { paths, key, create, outside: (sql, ...args) => outsideRun(paths.dir, sql, ...args), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
