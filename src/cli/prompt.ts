// Prompts for values the flags leave out, only on a terminal; otherwise a missing value is an error
// naming its flag (exit 4). Prompted values go through the same parsers as flags.
import { statSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { InputError } from '../domain/errors.js';
import type { CliContext } from './context.js';

export class PromptCancelled extends Error {
  constructor() {
    super('cancelled; nothing was changed');
  }
}

/**
 * inquirer ends the output stream it is given when a prompt closes: hand it a pipe, not our stdout.
 * The pipe reports the terminal's own size (a bare pipe has none, and inquirer would wrap and page
 * every prompt at 80 columns whatever the window).
 */
export function promptStreams(io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream }) {
  const output = new PassThrough();
  output.pipe(io.stdout, { end: false });
  const terminal = io.stdout as { columns?: number; rows?: number };
  Object.defineProperties(output, {
    columns: { get: () => terminal.columns, enumerable: true },
    rows: { get: () => terminal.rows, enumerable: true },
  });
  return { input: io.stdin, output } as never;
}

/** The prompt library, loaded on the first prompt only (it costs start-up time every run otherwise). */
export function inquirer(): Promise<typeof import('@inquirer/prompts')> {
  return import('@inquirer/prompts');
}

function streams(ctx: CliContext) {
  return promptStreams(ctx.io);
}

async function guard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    // inquirer rejects with ExitPromptError on Ctrl+C or a closed stdin.
    if (e instanceof Error && (e.name === 'ExitPromptError' || e.name === 'AbortPromptError')) throw new PromptCancelled();
    throw e;
  }
}

export interface PromptOptions<T> {
  /**
   * For a prompted answer only: a problem to show under the prompt, which then asks again (a flag's
   * value is not checked here; the command's own rules decide it, with their exit status).
   */
  check?: (value: T) => string | undefined;
  /** The answer Enter alone gives. */
  default?: string;
}

/** `parse`'s error message, or `check`'s problem, for an answer typed at a prompt; undefined if it is fine. */
function problemOf<T>(text: string, parse: (text: string) => T, check?: (value: T) => string | undefined): string | undefined {
  try {
    const value = parse(text); // before `check?.`: an optional call would not evaluate its argument
    return check ? check(value) : undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * The flag's value, or a prompt answer parsed by `parse`, or an InputError naming the flag. An answer
 * that `parse` rejects (or `check` finds a problem with) is shown its problem and asked again in place.
 */
export async function valueOrPrompt<T>(
  ctx: CliContext,
  value: string | undefined,
  flag: string,
  message: string,
  parse: (text: string) => T,
  options: PromptOptions<T> = {},
): Promise<T> {
  if (value !== undefined && value !== '') return parse(value);
  if (!ctx.interactive) throw new InputError(`missing ${flag}`);
  const { input } = await inquirer();
  const answer = await guard(
    input(
      {
        message,
        ...(options.default !== undefined ? { default: options.default } : {}),
        validate: (text: string) => problemOf(text, parse, options.check) ?? true,
      },
      streams(ctx),
    ),
  );
  return parse(answer);
}

/**
 * A `check` for a prompted file path: the problem when it names no readable file (the prompt then
 * asks again instead of the command failing on it later).
 */
export function readableFile(flag: string): (path: string) => string | undefined {
  return (path) => {
    if (/^pkcs11:/i.test(path)) return undefined; // a token key (RFC 7512 URI), not a file
    try {
      return statSync(path).isFile() ? undefined : `${flag}: ${path} is not a file`;
    } catch (e) {
      return `${flag}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
  };
}

/** A `check` for a prompted path of a file about to be made: a problem if it is empty or exists (smki never replaces one). */
export function absentFile(flag: string): (path: string) => string | undefined {
  return (path) => {
    if (!path) return `${flag}: a file name is needed`;
    try {
      statSync(path);
      return `${flag}: ${path} exists; smki never replaces it: give another name`;
    } catch {
      return undefined;
    }
  };
}

/** A `check` from a function that throws on a bad value (its message is the problem shown). */
export function failsWith<T>(fn: (value: T) => unknown): (value: T) => string | undefined {
  return (value) => {
    try {
      fn(value);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };
}

export interface Choice<T> {
  value: T;
  name: string;
  description?: string;
}

export async function choiceOrPrompt<T extends string>(
  ctx: CliContext,
  value: string | undefined,
  flag: string,
  message: string,
  /** The choices, or a function that lists them (called only when a prompt is shown: a registry of 200,000 certificates is not read to revoke one). */
  choicesOrList: Choice<T>[] | (() => Choice<T>[]),
  parse: (text: string) => T,
  /** What to say on a terminal when there is nothing to choose from (say what to do first). */
  empty = 'nothing to choose from',
): Promise<T> {
  if (value !== undefined && value !== '') return parse(value);
  if (!ctx.interactive) throw new InputError(`missing ${flag}`);
  const choices = typeof choicesOrList === 'function' ? choicesOrList() : choicesOrList;
  if (choices.length === 0) throw new InputError(`missing ${flag} (${empty})`);
  const { select } = await inquirer();
  return guard(select<T>({ message, choices }, streams(ctx)));
}

/**
 * A hidden answer (passphrase, PIN). `check` finds a problem with an answer (too short, not the same
 * as the first), which is shown and asked again in place; an empty answer is asked again too.
 */
export async function secretPrompt(ctx: CliContext, flag: string, message: string, check?: (text: string) => string | undefined): Promise<Buffer> {
  if (!ctx.interactive) throw new InputError(`missing ${flag}`);
  const { password } = await inquirer();
  const text = await guard(password({ message, mask: '*', validate: (t: string) => (t ? check?.(t) ?? true : 'nothing typed; type it, or Ctrl+C to stop') }, streams(ctx)));
  return Buffer.from(text);
}

/** A yes/no question on a terminal (only asked there: callers decide what a script gets). */
export async function askYesNo(ctx: CliContext, message: string, byDefault: boolean): Promise<boolean> {
  const { confirm } = await inquirer();
  return guard(confirm({ message, default: byDefault }, streams(ctx)));
}

/**
 * Confirmation before an irreversible step. `--yes` or a non-terminal run proceeds (scripts state their
 * intent by running the command); a terminal user is asked and a "no" changes nothing.
 */
export async function confirmStep(ctx: CliContext, yes: boolean | undefined, message: string): Promise<void> {
  if (yes || !ctx.interactive) return;
  const { confirm } = await inquirer();
  const ok = await guard(confirm({ message, default: false }, streams(ctx)));
  if (!ok) throw new PromptCancelled();
}
