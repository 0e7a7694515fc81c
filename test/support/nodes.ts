// Several smki nodes on one registry, for tests that run many processes at once. On SQLite the
// nodes are processes on one home (one registry file); on PostgreSQL (the tests run with
// SMKI_TEST_DATABASE_URL, test/support/database.ts) each node is a home folder of its own (a copy
// of the first one's keys, CA files and database.json) and every node talks to the one shared
// schema. A test written against `Cluster` runs unchanged on both.
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { query } from './query.js';

export type BackendName = 'sqlite' | 'postgres';

export interface Cluster {
  backend: BackendName;
  /** The global options that make a process node `i`: its home. */
  node(i: number): string[];
  /** Reads the shared registry directly (what every node sees after their commits). */
  rows<T>(sql: string): T[];
  count(table: string, where?: string): number;
}

/**
 * `nodes` nodes on the registry of `home`. A home on PostgreSQL (it has database.json) is copied
 * beside itself once per node: what a second machine joining the registry holds.
 */
export function cluster(home: string, nodes: number): Cluster {
  const onPostgres = existsSync(join(home, 'database.json'));
  const homes = onPostgres
    ? Array.from({ length: nodes }, (_, i) => {
        const copy = `${home}-node-${i}`;
        if (!existsSync(copy)) cpSync(home, copy, { recursive: true });
        return copy;
      })
    : [home];
  const rows = <T>(sql: string) => query<T>(home, sql);
  return {
    backend: onPostgres ? 'postgres' : 'sqlite',
    node: (i) => ['--home', homes[i % homes.length]!],
    rows,
    count: (table, where) => Number(rows<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}${where ? ` WHERE ${where}` : ''}`)[0]!.n),
  };
}
