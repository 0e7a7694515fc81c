// Entity Identifier (EUI-64): 8 octets, written with or without dashes, either case.
import { InputError } from './errors.js';

/** Canonical form used everywhere inside smki-ca: 16 upper-case hex digits, no dashes. */
export type Eui64 = string & { readonly __eui64: unique symbol };

const DASHED = /^[0-9a-fA-F]{2}(-[0-9a-fA-F]{2}){7}$/;
const PLAIN = /^[0-9a-fA-F]{16}$/;

export function isEui64Text(text: string): boolean {
  return DASHED.test(text) || PLAIN.test(text);
}

/** Parses an EUI-64 in either written form; `what` names the flag or field in the error. */
export function parseEui64(text: string, what = 'EUI-64'): Eui64 {
  const t = String(text ?? '').trim();
  if (!isEui64Text(t)) {
    throw new InputError(`${what}: '${t}' is not an EUI-64 (8 hex octets, e.g. 90-B3-D5-1F-30-01-00-00)`);
  }
  return t.replace(/-/g, '').toUpperCase() as Eui64;
}

export function euiFromBytes(bytes: Uint8Array): Eui64 {
  if (bytes.length !== 8) throw new InputError(`EUI-64 must be 8 octets, got ${bytes.length}`);
  return Buffer.from(bytes).toString('hex').toUpperCase() as Eui64;
}

export function euiToBytes(eui: Eui64): Buffer {
  return Buffer.from(eui, 'hex');
}

/** The dashed form DUIS uses in RequestIDs: 90-B3-D5-1F-30-01-00-00. */
export function formatEuiDashed(eui: Eui64): string {
  return eui.match(/../g)!.join('-');
}
