// A consistent copy of the registry database in another file (for `smki onboard --dry-run`, which runs
// the plan against a copy of the home). VACUUM INTO reads one snapshot and leaves the source file,
// its WAL and its bytes untouched; the copy keeps the schema version.
import { InputError } from '../domain/errors.js';
import type { Registry } from './registry.js';

export function snapshotDatabase(reg: Registry, destPath: string): void {
  if (reg.inTransaction) throw new Error('the registry is copied outside a transaction');
  if (reg.db.dialect !== 'sqlite') throw new InputError(`a copy of a registry on PostgreSQL (${reg.db.location}) is not made yet: run the plan without --dry-run, or on an SQLite copy (smki registry export)`);
  reg.db.prepare('VACUUM INTO ?').run(destPath);
}
