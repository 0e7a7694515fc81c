// Free text that people type and the registry keeps (Party and officer names, evidence and instruction
// references): bounded in length, one line, no control characters, so that no field can fill the
// registry or the audit chain, or forge a line in a report or a log.
import { InputError } from './errors.js';

/** The longest value of each free-text field (characters). */
export const TEXT_LIMITS = {
  /** A Party's or an officer's name. */
  name: 200,
  /** An evidence reference (an SRO's appointment letter) or Ofgem's instruction reference. */
  reference: 200,
  /** Why a status changed (kept in the history and the audit record). */
  note: 1000,
} as const;

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * `text` trimmed, checked against its limit (characters) and for control characters: InputError
 * (exit 4) naming the flag otherwise. An empty value is returned as '' (the caller says if it may be).
 */
export function freeText(text: string | undefined, what: string, limit: number): string {
  const t = String(text ?? '').trim();
  if (t.length > limit) throw new InputError(`${what}: ${t.length} characters, longer than the limit of ${limit}`);
  if (CONTROL.test(t)) throw new InputError(`${what}: must be one line of text without control characters`);
  return t;
}
