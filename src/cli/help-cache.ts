// `smki --help` written to a pipe or a file is served by bin/smki.js from dist/cli/help.txt (start-up
// time: no commander, no command table). The build writes that file from the real program, run in a
// child whose stdout is a pipe (commander's width and colours are then those of every non-terminal);
// test/cli/help-cache.test.ts proves the two agree. A terminal gets the live program (its width).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The cached text, beside the built main.js. */
export const HELP_CACHE_FILE = join(import.meta.dirname, 'help.txt');

/** `smki --help` from the live program with stdout a pipe. */
export function liveHelpOnPipe(mainModule = join(import.meta.dirname, 'main.js')): string {
  const program = `const { main } = await import(${JSON.stringify(mainModule)}); process.exitCode = await main(['node', 'smki', '--help']);`;
  const { NO_COLOR: _n, FORCE_COLOR: _f, CLICOLOR_FORCE: _c, ...env } = process.env;
  return execFileSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] });
}

if (process.argv[1] === import.meta.filename) writeFileSync(HELP_CACHE_FILE, liveHelpOnPipe());
