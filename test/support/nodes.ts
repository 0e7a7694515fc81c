// Several smki nodes on one registry, for tests that run many processes at once. On SQLite the
// nodes are processes on one home (one registry file); on PostgreSQL each node is its own home folder
// (a copy of the first one's keys and CA files) and every node talks to the one shared database.
// A test written against `Cluster` runs unchanged on both.
import { query } from './query.js';

export type BackendName = 'sqlite' | 'postgres';

export interface Cluster {
  backend: BackendName;
  /** The global options that make a process node `i`: its home (and, on PostgreSQL, the shared database). */
  node(i: number): string[];
  /** Reads the shared registry directly (what every node sees after their commits). */
  rows<T>(sql: string): T[];
  count(table: string, where?: string): number;
}

/** Processes on one SQLite home: every node is `--home <home>`. */
export function sqliteCluster(home: string): Cluster {
  const rows = <T>(sql: string) => query<T>(home, sql);
  return {
    backend: 'sqlite',
    node: () => ['--home', home],
    rows,
    count: (table, where) => Number(rows<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}${where ? ` WHERE ${where}` : ''}`)[0]!.n),
  };
}
