// The registry tests' second back-end: with SMKI_TEST_DATABASE_URL (postgres://...) set, every home
// a test makes with `smki init` gets its registry on PostgreSQL, in a schema of its own (named after
// the home's path), so the same tests run against both back-ends (.ci/run runs them twice).
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { commandWord } from '../../src/cli/commands/index.js';

/** Read at each call: a test file that is about PostgreSQL itself sets it for its own homes. */
export function testDatabaseUrl(): string | undefined {
  return process.env.SMKI_TEST_DATABASE_URL?.trim() || undefined;
}

/** The schema of the test home at `home`. */
export function testSchema(home: string): string {
  return `t_${createHash('sha256').update(resolve(home)).digest('hex').slice(0, 24)}`;
}

/** `args` with `--database` added to an `init`, when the tests run against PostgreSQL. */
export function withTestDatabase(args: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const url = testDatabaseUrl();
  if (!url || args.includes('--database') || commandWord(args) !== 'init') return args;
  const i = args.indexOf('--home');
  const home = i >= 0 ? args[i + 1]! : env.SMKI_HOME || '.smki';
  const u = new URL(url);
  u.searchParams.set('schema', testSchema(home));
  return ['--database', u.toString(), ...args];
}
