// The CA passphrase: --passphrase-file, else SMKI_PASSPHRASE_FILE, else a hidden prompt on a terminal.
// Never from argv or a plain environment variable, so it stays out of shell history and `ps`.
import { readPassphraseFile } from '../ca/keystore.js';
import { IssuingAuthority } from '../ca/authority.js';
import type { CliContext } from './context.js';
import { secretPrompt } from './prompt.js';

export async function passphrase(ctx: CliContext, file: string | undefined, confirmNew = false): Promise<Buffer> {
  if (file) return readPassphraseFile(file, '--passphrase-file');
  if (process.env.SMKI_PASSPHRASE_FILE) return readPassphraseFile(process.env.SMKI_PASSPHRASE_FILE, 'SMKI_PASSPHRASE_FILE');
  const first = await secretPrompt(ctx, '--passphrase-file (or SMKI_PASSPHRASE_FILE)', 'CA key passphrase');
  if (confirmNew) {
    const again = await secretPrompt(ctx, '--passphrase-file', 'Repeat the passphrase');
    if (!first.equals(again)) throw new (await import('../domain/errors.js')).InputError('the passphrases do not match');
  }
  return first;
}

export async function unlockCa(ctx: CliContext, file: string | undefined): Promise<IssuingAuthority> {
  return IssuingAuthority.unlock(ctx.open(), await passphrase(ctx, file), ctx.catalogue());
}
