#!/usr/bin/env node
// The smki command: the built CLI in dist/ (npm ci builds it through the prepare script).
import { readFileSync, statSync } from 'node:fs';
import { isatty } from 'node:tty';

const args = process.argv.slice(2);
if (!(args.length === 1 && (args[0] === '--help' || args[0] === '-h') && writeCachedHelp())) {
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(process.argv);
}

/**
 * `smki --help` to a pipe or file: the text the build wrote from the real program
 * (src/cli/help-cache.ts; start-up time). False, for the live program, on a terminal (its width),
 * with colours forced, or when the text is missing or older than the top-level program.
 */
function writeCachedHelp() {
  if (isatty(1) || process.env.FORCE_COLOR !== undefined || process.env.CLICOLOR_FORCE !== undefined) return false;
  const dist = new URL('../dist/cli/', import.meta.url);
  try {
    const written = statSync(new URL('help.txt', dist)).mtimeMs;
    if (written < statSync(new URL('main.js', dist)).mtimeMs || written < statSync(new URL('commands/index.js', dist)).mtimeMs) return false;
    process.stdout.write(readFileSync(new URL('help.txt', dist)));
    return true;
  } catch {
    return false;
  }
}
