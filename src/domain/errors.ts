// Errors that carry their exit status (DESIGN.md "Exit status"); the CLI maps them, nothing else does.
import type { Reason } from './reasons.js';

export const ExitStatus = {
  ok: 0,
  other: 1,
  /** A wrong passphrase or PIN: the key could not be unlocked (nothing was signed with it). */
  wrongSecret: 2,
  refused: 3,
  malformed: 4,
  integrity: 5,
} as const;
export type ExitStatusCode = (typeof ExitStatus)[keyof typeof ExitStatus];

export abstract class SmkiError extends Error {
  abstract readonly exitStatus: ExitStatusCode;
}

/** Malformed, unreadable or missing input: exit 4. The message is one line naming what is wrong. */
export class InputError extends SmkiError {
  readonly exitStatus = ExitStatus.malformed;
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * A passphrase or PIN that does not unlock its key (the CA keys, --as, --officer-key, a signing key
 * file, a PKCS#11 token): exit 2, one line naming the key, so scripts tell it from malformed input.
 */
export class WrongSecretError extends SmkiError {
  readonly exitStatus = ExitStatus.wrongSecret;
  constructor(message: string) {
    super(message);
    this.name = 'WrongSecretError';
  }
}

/** The input was understood and refused by policy: exit 3, with every reason that applies. */
export class PolicyRefusal extends SmkiError {
  readonly exitStatus = ExitStatus.refused;
  constructor(readonly reasons: Reason[]) {
    super(`refused: ${reasons.map((r) => `${r.code} (${r.message})`).join('; ')}`);
    this.name = 'PolicyRefusal';
  }
}

/** The registry or audit chain does not add up: exit 5. */
export class IntegrityError extends SmkiError {
  readonly exitStatus = ExitStatus.integrity;
  /** What --json output carries beside the message (e.g. every audit problem found). */
  constructor(message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/** Another smki process held the registry longer than the bounded wait: nothing was changed (exit 1). */
export class RegistryBusyError extends SmkiError {
  readonly exitStatus = ExitStatus.other;
  constructor(waitedMs: number) {
    super(`the registry is busy: another smki process held it for ${Math.round(waitedMs / 1000)} s; nothing was changed, run the command again`);
    this.name = 'RegistryBusyError';
  }
}

/** The registry's database server cannot be reached, or the connection was lost mid-command: exit 1. */
export class DatabaseUnavailableError extends SmkiError {
  readonly exitStatus = ExitStatus.other;
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}
