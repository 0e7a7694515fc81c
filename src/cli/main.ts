// The smki command line: registers the subcommands and maps errors to exit statuses. Nothing here
// decides policy; each subcommand module parses flags and calls the library.
//
// Start-up time matters (every call pays it): this module loads only commander, the error types and
// the command table. The context (registry, catalogue, CRL publisher) loads when an action runs, the
// menu and the prompts when they are shown, and each command's module when it is named.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { isatty } from 'node:tty';
import type * as CommanderModule from 'commander';
import type { Command } from 'commander';
import { ExitStatus, IntegrityError, PolicyRefusal, SmkiError } from '../domain/errors.js';
import { formatReason } from '../domain/reasons.js';
import type { CliContext, GlobalOptions, Io } from './context.js';
import { PromptCancelled } from './prompt.js';
import { jsonDocument } from './json.js';
import { examples, painter } from './format.js';
import { COMMANDS, commandWord } from './commands/index.js';
import type { Clock } from '../registry/registry.js';

// commander is CommonJS: required directly, it skips the ESM loader's export scan of its source.
const commander = createRequire(import.meta.url)('commander') as typeof CommanderModule;

/** The commands src/cli/early-unlock.ts derives keys ahead for (loaded only for these). */
export const EARLY_UNLOCK_WORDS = ['cert', 'crl', 'solr'];

export type Action = (ctx: CliContext, ...args: never[]) => Promise<number | void> | number | void;

/**
 * Builds the program with the named commands' modules loaded ('all' for every one); the others appear
 * only as summaries in `smki --help`. `wrap` gives every action its context, output and error mapping.
 */
export async function buildProgram(io: Io, clock?: Clock, load: 'all' | string[] = 'all'): Promise<{ program: Command; result: { code: number } }> {
  const result = { code: 0 };
  const program = new commander.Command('smki')
    .description('SMKI certificate authority, registration authority and Service Request gate for the SoLRContingency User Role (SEC MP134B)')
    .option('--home <dir>', 'the CA home folder (default ./.smki, or SMKI_HOME)')
    .option('--database <url>', 'the registry on PostgreSQL, shared by several nodes: postgres://user@host:port/db?schema=NAME (or SMKI_DATABASE_URL; the password from PGPASSWORD, PGPASSFILE or SMKI_DATABASE_PASSWORD_FILE, never in the URL); smki init --database makes a home that remembers it')
    .option('--json', 'machine-readable output on stdout: one JSON document')
    .version(version(), '-V, --version', 'print the version of smki')
    .option('--as <keyfile>', "the acting RA operator's key (or SMKI_AS; passphrase from SMKI_AS_PASSPHRASE_FILE or a prompt)")
    .addHelpText('after', examples([
      'smki demo',
      'smki --home ./trial init --ca-name "Trial OCA" --passphrase-file ca-pass.txt --admin trial-ra1 --admin-key-out trial-ra1.key --admin-unencrypted',
      'smki --home ./trial party list --json',
      'smki cert --help',
      'smki --version',
    ]) + TOP_LEVEL_NOTES)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(painter(io.stderr)('red', s.trimEnd()) + '\n'),
    });

  const wrap =
    (action: Action) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals() as GlobalOptions;
      const { CliContext } = await import('./context.js');
      const ctx = new CliContext(io, globals, clock);
      try {
        const code = await (action as (...a: unknown[]) => Promise<number | void>)(ctx, ...args.slice(0, -1));
        result.code = typeof code === 'number' ? code : 0;
      } catch (e) {
        result.code = reportError(ctx, e);
      }
      try {
        await ctx.settle();
      } catch (e) {
        if (result.code === 0) result.code = reportError(ctx, e);
      } finally {
        for (const w of ctx.warnings()) io.stderr.write(`smki: warning: ${w}\n`);
        ctx.close();
      }
    };

  for (const entry of COMMANDS) {
    if (load === 'all' || load.includes(entry.name)) (await entry.load())(program, wrap);
    else program.command(entry.name).description(entry.summary);
  }
  // Summaries and loaded commands look the same in the list (set after registering, so that
  // subcommands keep commander's default terms with their arguments).
  program.configureHelp({ subcommandTerm: (c) => c.name() });
  return { program, result };
}

const TOP_LEVEL_NOTES = `
Exit status: 0 done or accepted, 2 wrong passphrase or PIN, 3 refused by policy (reason codes
printed), 4 malformed or unreadable input, 5 integrity failure (audit chain or registry tampered),
1 anything else.
Environment: SMKI_HOME (the home), SMKI_PASSPHRASE_FILE (the CA passphrase), SMKI_AS and
SMKI_AS_PASSPHRASE_FILE (the acting operator's key, --as), NO_COLOR (no colours even on a terminal). Shell completion: smki completion bash|zsh; manual: man smki.
`;

let cachedVersion: string | undefined;
/** The package's version (package.json two levels up from src/cli/ and from dist/cli/). */
export function version(): string {
  cachedVersion ??= (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  return cachedVersion;
}

function reportError(ctx: CliContext, e: unknown): number {
  const io = ctx.io;
  const paint = painter(io.stderr);
  if (e instanceof PolicyRefusal) {
    if (ctx.json) io.stdout.write(`${JSON.stringify(jsonDocument({ decision: 'refuse', reasons: e.reasons, exitStatus: e.exitStatus }), null, 2)}\n`);
    io.stderr.write(`${paint('red', 'smki: refused:')} ${e.reasons.map((r) => r.code).join(', ')}\n`);
    for (const r of e.reasons) io.stderr.write(`  ${formatReason(r)}\n`);
    return e.exitStatus;
  }
  if (e instanceof SmkiError) {
    const details = e instanceof IntegrityError ? e.details : {};
    if (ctx.json) io.stdout.write(`${JSON.stringify(jsonDocument({ ...details, error: e.message, exitStatus: e.exitStatus }), null, 2)}\n`);
    io.stderr.write(`${paint('red', 'smki:')} ${e.message.split('\n')[0]}\n`);
    return e.exitStatus;
  }
  if (e instanceof PromptCancelled) {
    io.stderr.write(`smki: ${e.message}\n`);
    return ExitStatus.other;
  }
  const code = (e as { code?: unknown })?.code;
  // SQLite's word for a registry file that is not whole: an integrity failure, not a crash.
  if (typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code)) {
    return reportError(ctx, new IntegrityError(`the registry is damaged (${code}): ${(e as Error).message}`));
  }
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') {
    io.stderr.write(`${paint('red', 'smki:')} no space left on the device (${(e as Error).message.split('\n')[0]})\n`);
    return ExitStatus.other;
  }
  const msg = e instanceof Error ? e.message : String(e);
  io.stderr.write(`${paint('red', 'smki:')} ${msg.split('\n')[0]}\n`);
  if (process.env.SMKI_DEBUG && e instanceof Error) io.stderr.write(`${e.stack}\n`);
  return ExitStatus.other;
}

export function processIo(): Io {
  // `smki ... | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // process.stdin is made on first use (a stream over fd 0 costs start-up time most commands never need).
    get stdin() {
      return process.stdin;
    },
    interactive: isatty(0) && isatty(1),
    progress: isatty(2),
  };
}

/** Runs one command line; returns the exit status. */
export async function main(argv: string[], io: Io = processIo(), clock?: Clock): Promise<number> {
  const args = argv.slice(2);
  const globalsOnly = args.every((a, i) => a.startsWith('--') || args[i - 1] === '--home' || args[i - 1] === '--as' || args[i - 1] === '--database');
  if (globalsOnly && !args.some((a) => ['--help', '-h', '--version', '-V'].includes(a))) {
    if (!io.interactive || args.includes('--json')) {
      io.stderr.write('smki: missing command (try smki --help)\n');
      return ExitStatus.malformed;
    }
    let task: string[];
    try {
      task = await (await import('./menu.js')).chooseTask(io);
    } catch {
      return ExitStatus.other;
    }
    if (task.length === 0) return ExitStatus.ok; // Quit
    return main([...argv, ...task], io, clock);
  }
  const word = commandWord(args);
  // Commands that decrypt keys start the scrypt derivations now, to overlap with loading the command.
  if (word && EARLY_UNLOCK_WORDS.includes(word)) void import('./early-unlock.js').then((m) => m.deriveKeysAhead(word, args), () => undefined);
  const { program, result } = await buildProgram(io, clock, COMMANDS.some((c) => c.name === word) ? [word!] : []);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof commander.CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      if (e.code === 'commander.executeSubCommandAsync') return 1;
      // Unknown option, missing argument, bad value: malformed input.
      return ExitStatus.malformed;
    }
    throw e;
  }
  return result.code;
}
