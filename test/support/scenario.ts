// A CA home with the cast of the SoLR story, built through the CLI as a user would.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { passphraseFile, smki, tempDir } from './cli.js';
import { openOutside } from './query.js';
import { actAs, adminFlags, testKey, withOfficerKeys } from './keys.js';

export const SUPPLIER = '90B3D51F30010000'; // the failed Supplier (the ZAZ1 test supplier's EUI)
export const SUPPLIER_GAS = '90B3D51F30010001';
export const SRP = '90B3D51F300C0001'; // the SRP's SoLRContingency User ID
export const OTHER_SRP = '90B3D51F300D0001';
export const OTHER_SUPPLIER = '90B3D51F30030000';

export interface Scenario {
  dir: string;
  home: string;
  pass: string;
  cleanup: () => void;
  run: (args: string[]) => ReturnType<typeof smki>;
  sro: string;
  aro: string;
  nominatedAro: string;
  otherAro: string;
  supplierAro: string;
}

export async function setupScenario(): Promise<Scenario> {
  const t = tempDir();
  const home = join(t.dir, 'home');
  const pass = passphraseFile(t.dir);
  // Every command acts as ra1 unless it names another key (a later --as wins).
  const run = (args: string[]) => smki(['--home', home, ...actAs('ra1'), ...withOfficerKeys(home, args)]);
  const ok = async (args: string[]) => {
    const r = await run([...args, '--json']);
    assert.equal(r.code, 0, `${args.join(' ')} -> ${r.code}: ${r.stderr}`);
    return r.json;
  };
  await ok(['init', '--passphrase-file', pass, '--ca-name', 'Test OCA', ...adminFlags(t.dir)]);
  // A second RA operator (dual control): another key.
  await ok(['operator', 'add', '--name', 'ra2', '--public-key', testKey('ra2').pub, ...actAs('ra1')]);
  await ok(['party', 'add', '--name', 'Failed Energy', '--role', 'IS', '--eui', SUPPLIER, ...actAs('ra1')]);
  await ok(['party', 'add', '--name', 'Failed Energy', '--role', 'GS', '--eui', SUPPLIER_GAS, ...actAs('ra1')]);
  await ok(['party', 'add', '--name', 'Healthy Energy', '--role', 'IS', '--eui', OTHER_SUPPLIER, ...actAs('ra1')]);
  await ok(['party', 'add', '--name', 'Shared Resources Ltd', '--role', 'SC', '--eui', SRP, '--acting-for', SUPPLIER, ...actAs('ra1')]);
  await ok(['party', 'add', '--name', 'Other SRP Ltd', '--role', 'SC', '--eui', OTHER_SRP, '--acting-for', OTHER_SUPPLIER, ...actAs('ra1')]);
  const sro = (await ok(['officer', 'add', '--party', SRP, '--kind', 'sro', '--name', 'Dana Director', '--evidence', 'RAPP-1', ...actAs('ra1')])).id;
  const aro = (await ok(['officer', 'add', '--party', SRP, '--kind', 'aro', '--name', 'Ari Officer', '--nominated-by', sro, ...actAs('ra1')])).id;
  await ok(['officer', 'activate', aro, ...actAs('ra1')]);
  const nominatedAro = (await ok(['officer', 'add', '--party', SRP, '--kind', 'aro', '--name', 'Nia Nominee', '--nominated-by', sro, ...actAs('ra1')])).id;
  const otherSro = (await ok(['officer', 'add', '--party', OTHER_SRP, '--kind', 'sro', '--name', 'Olga', '--evidence', 'RAPP-2', ...actAs('ra1')])).id;
  const otherAro = (await ok(['officer', 'add', '--party', OTHER_SRP, '--kind', 'aro', '--name', 'Otto', '--nominated-by', otherSro, ...actAs('ra1')])).id;
  await ok(['officer', 'activate', otherAro, ...actAs('ra1')]);
  const supplierSro = (await ok(['officer', 'add', '--party', SUPPLIER, '--kind', 'sro', '--name', 'Sam', '--evidence', 'RAPP-3', ...actAs('ra1')])).id;
  const supplierAro = (await ok(['officer', 'add', '--party', SUPPLIER, '--kind', 'aro', '--name', 'Sue', '--nominated-by', supplierSro, ...actAs('ra1')])).id;
  await ok(['officer', 'activate', supplierAro, ...actAs('ra1')]);
  return { dir: t.dir, home, pass, cleanup: t.cleanup, run, sro, aro, nominatedAro, otherAro, supplierAro };
}

/**
 * A digest of every row of every table of the home's registry: equal digests mean an unchanged registry. `portable`: what both back-ends hold
 * alike (no table of SQLite's or PostgreSQL's own, no PostgreSQL rowid column), to compare a registry with its export.
 */
export function registryDigest(home: string, opts: { portable?: boolean } = {}): string {
  const db = openOutside(home, { readonly: true });
  try {
    const h = createHash('sha256');
    const tables = (db.dialect === 'postgres'
      ? db.prepare("SELECT relname AS name FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' ORDER BY relname")
      : db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).all() as { name: string }[];
    for (const { name } of tables) {
      // SQLite's own tables; PostgreSQL's schema_version stands for SQLite's user_version.
      if (opts.portable && (name.startsWith('sqlite_') || (db.dialect === 'postgres' && name === 'schema_version'))) continue;
      h.update(`#${name}\n`);
      const rows = db.prepare(`SELECT * FROM "${name}"`).all()
        .map((row) => (opts.portable && db.dialect === 'postgres' ? Object.fromEntries(Object.entries(row as object).filter(([k]) => k !== 'rowid')) : row))
        .map((row) => JSON.stringify(row, (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'bigint' ? v.toString() : v)))
        .sort();
      for (const row of rows) h.update(row);
    }
    return h.digest('hex');
  } finally {
    db.close();
  }
}
