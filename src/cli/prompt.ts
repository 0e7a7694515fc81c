// Prompts for values the flags leave out, only on a terminal; otherwise a missing value is an error
// naming its flag (exit 4). Prompted values go through the same parsers as flags.
import { PassThrough } from 'node:stream';
import { InputError } from '../domain/errors.js';
import type { CliContext } from './context.js';

export class PromptCancelled extends Error {
  constructor() {
    super('cancelled; nothing was changed');
  }
}

/** inquirer ends the output stream it is given when a prompt closes: hand it a pipe, not our stdout. */
export function promptStreams(io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream }) {
  const output = new PassThrough();
  output.pipe(io.stdout, { end: false });
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

/** The flag's value, or a prompt answer parsed by `parse`, or an InputError naming the flag. */
export async function valueOrPrompt<T>(
  ctx: CliContext,
  value: string | undefined,
  flag: string,
  message: string,
  parse: (text: string) => T,
): Promise<T> {
  if (value !== undefined && value !== '') return parse(value);
  if (!ctx.interactive) throw new InputError(`missing ${flag}`);
  const { input } = await inquirer();
  const answer = await guard(
    input(
      {
        message,
        validate: (text: string) => {
          try {
            parse(text);
            return true;
          } catch (e) {
            return (e as Error).message;
          }
        },
      },
      streams(ctx),
    ),
  );
  return parse(answer);
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
): Promise<T> {
  if (value !== undefined && value !== '') return parse(value);
  if (!ctx.interactive) throw new InputError(`missing ${flag}`);
  const choices = typeof choicesOrList === 'function' ? choicesOrList() : choicesOrList;
  if (choices.length === 0) throw new InputError(`missing ${flag} (nothing to choose from)`);
  const { select } = await inquirer();
  return guard(select<T>({ message, choices }, streams(ctx)));
}

export async function secretPrompt(ctx: CliContext, flag: string, message: string): Promise<Buffer> {
  if (!ctx.interactive) throw new InputError(`missing ${flag}`);
  const { password } = await inquirer();
  const text = await guard(password({ message, mask: '*' }, streams(ctx)));
  if (!text) throw new InputError('empty passphrase');
  return Buffer.from(text);
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
