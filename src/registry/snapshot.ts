// A consistent copy of the registry database in another file (for `smki onboard --dry-run`, which runs
// the plan against a copy of the home). VACUUM INTO reads one snapshot and leaves the source file,
// its WAL and its bytes untouched; the copy keeps the schema version.
import type { Registry } from './registry.js';

export function snapshotDatabase(reg: Registry, destPath: string): void {
  if (reg.inTransaction) throw new Error('the registry is copied outside a transaction');
  reg.db.prepare('VACUUM INTO ?').run(destPath);
}
