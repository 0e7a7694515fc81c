// The end of every benchmark: the registry's own checks (`smki audit verify`: the audit chain, its
// checkpoint, the sealed state and every row MAC) and SQLite's integrity and foreign-key checks. A
// benchmark whose registry does not verify has measured nothing: it fails.
import type { Registry } from '../src/registry/registry.js';
import { SqliteDriver } from '../src/registry/sqlite-driver.js';

export function verifyRegistry(reg: Registry, what: string): { records: number } {
  const v = reg.verify();
  if (v.problems.length) throw new Error(`${what}: audit verify found ${v.problems.length} problem(s) after the benchmark: ${v.problems[0]!.problem}`);
  if (!(reg.db instanceof SqliteDriver)) return { records: v.records };
  const integrity = reg.db.native.pragma('integrity_check', { simple: true });
  if (integrity !== 'ok') throw new Error(`${what}: SQLite integrity_check after the benchmark: ${String(integrity)}`);
  const fk = reg.db.native.pragma('foreign_key_check') as unknown[];
  if (fk.length) throw new Error(`${what}: ${fk.length} foreign key violation(s) after the benchmark`);
  return { records: v.records };
}
