// The PostgreSQL schema as smki builds it: the baseline (src/registry/pg-baseline.ts) and each later
// migration, with the change-recording trigger of every protected table (src/registry/pg-sealing.ts).
import { tablesCreatedAfter, type Migration } from './migrations.js';
import { PG_BASELINE, PG_BASELINE_VERSION } from './pg-baseline.js';
import { noteChangeTrigger, pgSealingDdl } from './pg-sealing.js';
import { PROTECTED_TABLES } from './row-mac.js';

/** The PostgreSQL baseline schema with the triggers of the protected tables it has (later migrations create the others'). */
export function pgBaselineDdl(): string[] {
  const later = tablesCreatedAfter(PG_BASELINE_VERSION);
  return [...PG_BASELINE, ...pgSealingDdl(PROTECTED_TABLES.filter((t) => !later.has(t)))];
}

/**
 * A migration after the baseline in PostgreSQL's dialect, then the change-recording trigger of each
 * protected table it creates (replaced if there: a migration may run again over its own tables).
 */
export function pgMigrationDdl(m: Migration): string[] {
  if (m.pg === undefined) throw new Error(`migration ${m.version} (${m.name}) has no PostgreSQL SQL`);
  return [...(m.pg.trim() ? [m.pg] : []), ...(m.creates ?? []).flatMap((t) => [`DROP TRIGGER IF EXISTS smki_note_change ON ${t}`, noteChangeTrigger(t)])];
}
