// The CA passphrase: --passphrase-file, else SMKI_PASSPHRASE_FILE, else a hidden prompt on a terminal.
// Never from argv or a plain environment variable, so it stays out of shell history and `ps`.
import { readPassphraseFile } from '../ca/keystore.js';
import { loadKeyFile } from '../ca/person-keys.js';
import { isPkcs11Uri, parsePkcs11Uri } from '../ca/pkcs11-uri.js';
import type { Signer } from '../ca/signer.js';
import { InputError } from '../domain/errors.js';
import { caKeyRef, deriveCaKeysAhead, openIssuingAuthority, type IssuingAuthority } from '../ca/authority.js';
import type { CliContext } from './context.js';
import { secretPrompt } from './prompt.js';

/** The shortest passphrase smki accepts for a key it makes (the CA keys, people's keys, an SRP's key). */
export const MIN_PASSPHRASE_LENGTH = 12;

function tooShort(length: number): string | undefined {
  return length < MIN_PASSPHRASE_LENGTH ? `the passphrase has ${length} characters; at least ${MIN_PASSPHRASE_LENGTH} are needed` : undefined;
}

/**
 * A passphrase for a key about to be made: from a file (refused, exit 4, when shorter than
 * MIN_PASSPHRASE_LENGTH), else asked twice on a terminal, a short answer or a repeat that differs
 * being asked again in place.
 */
export async function newSecret(ctx: CliContext, from: { file?: string; flag: string; envFile?: string; message: string }): Promise<Buffer> {
  const file = from.file ?? (from.envFile ? process.env[from.envFile] || undefined : undefined);
  if (file) {
    const secret = readPassphraseFile(file, from.file ? from.flag : from.envFile);
    const short = tooShort(secret.length);
    if (short) throw new InputError(`${from.file ? from.flag : from.envFile}: ${short}`);
    return secret;
  }
  const missing = `${from.flag}${from.envFile ? ` (or ${from.envFile})` : ''}`;
  const first = await secretPrompt(ctx, missing, from.message, (t) => tooShort(Buffer.byteLength(t)));
  await secretPrompt(ctx, missing, 'Repeat the passphrase', (t) => (first.equals(Buffer.from(t)) ? undefined : 'not the same passphrase; type it again'));
  return first;
}

/** The CA passphrase; `confirmNew` for the keys `init` makes (at least MIN_PASSPHRASE_LENGTH characters, asked twice). */
export async function passphrase(ctx: CliContext, file: string | undefined, confirmNew = false): Promise<Buffer> {
  if (confirmNew) return newSecret(ctx, { file, flag: '--passphrase-file', envFile: 'SMKI_PASSPHRASE_FILE', message: 'CA key passphrase' });
  if (file) return readPassphraseFile(file, '--passphrase-file');
  if (process.env.SMKI_PASSPHRASE_FILE) return readPassphraseFile(process.env.SMKI_PASSPHRASE_FILE, 'SMKI_PASSPHRASE_FILE');
  return secretPrompt(ctx, '--passphrase-file (or SMKI_PASSPHRASE_FILE)', 'CA key passphrase');
}

/** A token PIN: --pin-file, else SMKI_PKCS11_PIN_FILE, else a hidden prompt on a terminal. Never argv. */
export async function pkcs11Pin(ctx: CliContext, file?: string, hasFlag = true): Promise<Buffer> {
  if (file) return readPassphraseFile(file, '--pin-file');
  if (process.env.SMKI_PKCS11_PIN_FILE) return readPassphraseFile(process.env.SMKI_PKCS11_PIN_FILE, 'SMKI_PKCS11_PIN_FILE');
  return secretPrompt(ctx, hasFlag ? '--pin-file (or SMKI_PKCS11_PIN_FILE)' : 'SMKI_PKCS11_PIN_FILE (the token PIN)', 'Token PIN');
}

/** The Issuing OCA with its key: a file key needs the CA passphrase, a token key its PIN. */
export async function unlockCa(ctx: CliContext, file: string | undefined): Promise<IssuingAuthority> {
  const reg = ctx.open();
  const secret = caKeyRef(reg, 'issuing').custody === 'pkcs11' ? await pkcs11Pin(ctx, undefined, false) : await passphrase(ctx, file);
  await deriveCaKeysAhead(reg, secret);
  return openIssuingAuthority(reg, ctx.catalogue(), secret);
}

/**
 * A person's key (--as, --officer-key): a key file, asking its passphrase (from the file `envFile`
 * names, else a hidden prompt on a terminal) only if it is encrypted.
 */
export async function loadPersonKey(ctx: CliContext, ref: string, flag: string, envFile: string): Promise<Signer> {
  // A key in a token (RFC 7512 URI): the token signs; its PIN from SMKI_PKCS11_PIN_FILE (or the URI's
  // pin-source) or a hidden prompt, never argv.
  if (isPkcs11Uri(ref)) return tokenPersonKey(ctx, ref, flag);
  return loadKeyFile(ref, flag, async () => {
    const file = process.env[envFile];
    if (file) return readPassphraseFile(file, envFile);
    return secretPrompt(ctx, `${envFile} (the passphrase of the ${flag} key)`, `Passphrase of ${ref}`);
  });
}

/** The passphrase for a new key: the flag's file, else `envFile`'s, else a prompt asked twice on a terminal (newSecret). */
export async function newKeyPassphrase(ctx: CliContext, file: string | undefined, flag: string, envFile?: string): Promise<Buffer> {
  return newSecret(ctx, { file, flag, ...(envFile ? { envFile } : {}), message: 'Passphrase for the new key' });
}

/** The module a person's token key is reached through: the URI's module-path, else SMKI_PKCS11_MODULE. */
export function personKeyModule(uri: string, flag: string): string {
  const module = parsePkcs11Uri(uri, flag).modulePath ?? process.env.SMKI_PKCS11_MODULE;
  if (!module) throw new InputError(`${flag}: name the PKCS#11 module (?module-path=/path/lib.so in the URI, or SMKI_PKCS11_MODULE)`);
  return module;
}

async function tokenPersonKey(ctx: CliContext, uri: string, flag: string): Promise<Signer> {
  const module = personKeyModule(uri, flag);
  const source = parsePkcs11Uri(uri, flag).pinSource;
  const pin = source ? readPassphraseFile(source, `${flag} pin-source`) : await pkcs11Pin(ctx, undefined, false);
  const { Pkcs11Signer } = await import('../ca/pkcs11.js');
  return new Pkcs11Signer({ module, uri, pin: () => pin });
}
