// `smki onboard --dry-run`: the plan runs for real, against a throwaway copy of the CA home, so the
// report shows exactly what would be done, skipped and refused (the same library functions decide);
// then the copy is deleted. The real home is only read: its registry file's bytes do not change (a
// registry on PostgreSQL is read in one snapshot into the copy's SQLite file; nothing goes to the server).
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Registry } from '../registry/registry.js';
import { snapshotDatabase } from '../registry/snapshot.js';
import type { Plan } from './plan.js';
import { runPlan, type OnboardReport, type RunOptions } from './run.js';

/** Copies a home (keys, audit key and checkpoint, CA files, a consistent snapshot of the registry). */
export function copyHome(reg: Registry, dest: string): void {
  const db = basename(reg.paths.db);
  // A registry on PostgreSQL is copied into the copy's own SQLite file: its database.json stays behind.
  const skip = new Set([db, `${db}-wal`, `${db}-shm`, `${db}-journal`, basename(reg.paths.database)]);
  cpSync(reg.paths.dir, dest, { recursive: true, filter: (src) => !skip.has(basename(src)) || src === reg.paths.dir });
  snapshotDatabase(reg, join(dest, db));
}

/** Runs `fn` on a registry opened in a temporary copy of `reg`'s home; the copy is always deleted. */
export async function withHomeCopy<T>(reg: Registry, fn: (copy: Registry) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'smki-dry-run-'));
  let copy: Registry | undefined;
  try {
    const home = join(dir, 'home');
    copyHome(reg, home);
    copy = Registry.open(home, { clock: reg.now, homeRegistryOnly: true });
    return await fn(copy);
  } finally {
    copy?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The dry run: every step the plan would take and every refusal it would meet; nothing written. */
export async function dryRunPlan(reg: Registry, plan: Plan, opts: RunOptions): Promise<OnboardReport> {
  return withHomeCopy(reg, (copy) => runPlan(copy, plan, { keepGoing: true, ...opts, ...(opts.ca ? { ca: opts.ca.forRegistry(copy) } : {}), dryRun: true, writeFiles: false }));
}
