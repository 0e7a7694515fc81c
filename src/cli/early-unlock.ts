// Start-up time: the scrypt derivations of the encrypted keys a command line is going to decrypt
// start on libuv's thread pool before the command's modules load and the registry opens, so that
// they overlap with that work instead of following it (src/ca/keystore.ts deriveAhead). Only a guess
// from the command line: the keys are still read, decrypted and checked where they always were
// (a wrong guess costs one derivation, a failure here is ignored and reported there).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { deriveAhead, readPassphraseFile } from '../ca/keystore.js';
import { INPUT_LIMITS, readInputText } from '../util/read-input.js';
import { homePaths, resolveHome } from '../registry/home.js';

/** Commands (command word, subcommand or flag) that unlock the Issuing OCA key and act as an RA operator. */
const UNLOCKS_CA: Record<string, { sub: string; operator: boolean }[]> = {
  cert: [{ sub: 'issue', operator: false }, { sub: 'revoke', operator: true }],
  crl: [{ sub: '--refresh', operator: true }],
  solr: [{ sub: 'revoke-supplier', operator: true }],
};

/** The command words this module knows (main.ts EARLY_UNLOCK_WORDS names the same: test/cli/early-unlock.test.ts). */
export const UNLOCK_WORDS = Object.keys(UNLOCKS_CA);

function flag(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) return args[i + 1];
    if (args[i]!.startsWith(`${name}=`)) return args[i]!.slice(name.length + 1);
  }
  return undefined;
}

function ahead(keyFile: string, passphraseFile: string | undefined): void {
  if (!passphraseFile || keyFile.startsWith('pkcs11:')) return;
  try {
    void deriveAhead(readInputText(keyFile, 'key', INPUT_LIMITS.pem), readPassphraseFile(passphraseFile));
  } catch {
    // Unreadable here: the command itself reads it and says what is wrong.
  }
}

/** Starts the derivations `args` (argv after the script) will need for `word`'s command. */
export function deriveKeysAhead(word: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const rule = UNLOCKS_CA[word]?.find((r) => args.includes(r.sub));
  if (!rule) return;
  const caPassphrase = flag(args, '--passphrase-file') || env.SMKI_PASSPHRASE_FILE;
  if (caPassphrase) {
    const keys = homePaths(resolveHome(flag(args, '--home'))).keysDir;
    let names: string[] = [];
    try {
      names = readdirSync(keys).filter((n) => /^issuing-oca.*\.key\.pem$/.test(n));
    } catch {
      names = [];
    }
    for (const n of names) ahead(join(keys, n), caPassphrase);
  }
  const officerKey = flag(args, '--officer-key');
  if (officerKey) ahead(officerKey, env.SMKI_OFFICER_PASSPHRASE_FILE);
  const as = flag(args, '--as') || env.SMKI_AS;
  if (rule.operator && as) ahead(as, env.SMKI_AS_PASSPHRASE_FILE);
}
