// A consistent copy of the registry database in another file (for `smki onboard --dry-run`, which runs
// the plan against a copy of the home). SQLite: VACUUM INTO reads one snapshot and leaves the source
// file, its WAL and its bytes untouched. PostgreSQL: the rows are copied, as stored, into a new SQLite
// file from one REPEATABLE READ snapshot (nothing is written to the server). The copy keeps the schema
// version, the row MACs and the audit chain, so it verifies under the home's audit key and checkpoint.
import { copyIntoSqliteFile } from './export.js';
import { readAuditKey } from './home.js';
import type { Registry } from './registry.js';

export function snapshotDatabase(reg: Registry, destPath: string): void {
  if (reg.inTransaction) throw new Error('the registry is copied outside a transaction');
  if (reg.db.dialect === 'postgres') {
    reg.db.transaction(() => copyIntoSqliteFile(reg.db, destPath, readAuditKey(reg.paths)), 'unlocked');
    return;
  }
  reg.db.prepare('VACUUM INTO ?').run(destPath);
}
