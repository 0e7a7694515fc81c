// Where a home's registry is: its own registry.sqlite (the default), or a PostgreSQL schema that
// several nodes share, named in the home's database.json ({"url", "schema"}; never a password). The
// CA keys, the audit key and the audit checkpoint stay in the home (or in the token) in both cases:
// nothing secret goes to the database server.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { InputError, IntegrityError } from '../domain/errors.js';
import type { HomePaths } from './home.js';
import { isPostgresUrl, parsePostgresUrl, type PgTarget } from './pg-driver.js';

/** A database named on the command line (--database) or in SMKI_DATABASE_URL. */
export interface DatabaseChoice {
  url: string;
  /** From argv: a password in it is refused. */
  fromArgv: boolean;
}

/** --database, else SMKI_DATABASE_URL, else none (the home decides). */
export function databaseChoice(flag: string | undefined): DatabaseChoice | undefined {
  if (flag !== undefined && flag.trim() !== '') return { url: flag, fromArgv: true };
  const env = process.env.SMKI_DATABASE_URL;
  if (env !== undefined && env.trim() !== '') return { url: env, fromArgv: false };
  return undefined;
}

function what(c: DatabaseChoice): string {
  return c.fromArgv ? '--database' : 'SMKI_DATABASE_URL';
}

/** The target of a new home's registry (`smki init --database URL`): its schema defaults to `smki`. */
export function newHomeTarget(c: DatabaseChoice): PgTarget {
  if (!isPostgresUrl(c.url)) throw new InputError(`${what(c)} must be a postgres:// URL (got ${JSON.stringify(c.url.slice(0, 40))}); leave it out for the home's own SQLite registry`);
  return parsePostgresUrl(c.url, { fromArgv: c.fromArgv, what: what(c) });
}

export function writeHomeDatabase(paths: HomePaths, t: PgTarget): void {
  writeFileSync(paths.database, `${JSON.stringify({ url: t.url, schema: t.schema }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
}

/**
 * The PostgreSQL registry of an existing home, or undefined for an SQLite home. A URL given now
 * (another host name for the same server, say) replaces the home's; the schema stays the home's
 * unless the URL names one.
 */
export function homeDatabase(paths: HomePaths, c: DatabaseChoice | undefined): PgTarget | undefined {
  if (!existsSync(paths.database)) {
    if (c && existsSync(paths.db)) {
      throw new InputError(`the home ${paths.dir} keeps its registry in ${paths.db}, not on PostgreSQL: leave out ${what(c)} (smki registry export --to copies a registry to PostgreSQL)`);
    }
    return undefined;
  }
  let saved: { url?: unknown; schema?: unknown };
  try {
    saved = JSON.parse(readFileSync(paths.database, 'utf8')) as typeof saved;
  } catch (e) {
    throw new IntegrityError(`${paths.database} cannot be read (${(e as Error).message.split('\n')[0]}): it names the home's registry database`);
  }
  if (typeof saved.url !== 'string' || typeof saved.schema !== 'string') throw new IntegrityError(`${paths.database} does not name a database (url and schema)`);
  const home = parsePostgresUrl(saved.url, { fromArgv: false, what: paths.database, defaultSchema: saved.schema });
  if (!c) return home;
  const given = newHomeTarget(c);
  return parsePostgresUrl(c.url, { fromArgv: c.fromArgv, what: what(c), defaultSchema: new URL(c.url).searchParams.has('schema') ? given.schema : home.schema });
}

/** SMKI_DATABASE_PASSWORD_FILE's first line; else libpq reads PGPASSWORD or PGPASSFILE itself. */
export function databasePassword(): string | undefined {
  const file = process.env.SMKI_DATABASE_PASSWORD_FILE;
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').split(/\r?\n/)[0]!;
  } catch (e) {
    throw new InputError(`SMKI_DATABASE_PASSWORD_FILE ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
