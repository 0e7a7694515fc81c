import { writeFileSync } from 'node:fs';
import { keyIdOf, publicKeyPem, writeNewKey } from '../../ca/person-keys.js';
import { InputError } from '../../domain/errors.js';
import type { CliContext } from '../context.js';
import { examples } from '../format.js';
import { newKeyPassphrase, personKeyModule, pkcs11Pin } from '../passphrase.js';
import { absentFile, valueOrPrompt } from '../prompt.js';
import type { Register } from './index.js';

function writePublic(file: string, pem: string, keyAt: string): void {
  try {
    writeFileSync(file, pem, { flag: 'wx', mode: 0o644 });
  } catch (e) {
    throw new InputError(`--public-out: cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}); the key is in ${keyAt}`);
  }
}

export const registerKey: Register = (program, wrap) => {
  const key = program.command('key').description("people's keys: RA operators (--as) and SROs/AROs (--officer-key)")
    .addHelpText('after', examples(['smki key new --help']));
  key
    .command('new')
    .description('make a P-256 key (encrypted PKCS#8, file 0600) and print its public key')
    .option('--out <file>', 'where to write the private key (never over an existing file)')
    .option('--passphrase-file <file>', "file whose first line is the key's passphrase (or a prompt on a terminal)")
    .option('--unencrypted', 'write the key unencrypted (mode 0600), as openssl genpkey does')
    .option('--public-out <file>', 'also write the public key (PEM) to this file')
    .option('--pkcs11 <uri>', 'make the key inside a PKCS#11 token instead (pkcs11:token=LABEL;object=NAME, module from ?module-path= or SMKI_PKCS11_MODULE; PIN from SMKI_PKCS11_PIN_FILE or a prompt); it never leaves the token')
    .addHelpText('after', examples([
      'smki key new --out ra1.key --unencrypted --public-out ra1.pub',
      'smki key new --out ra2.key --passphrase-file ca-pass.txt --public-out ra2.pub --json',
      'smki key new --out ra3.key --unencrypted --public-out ra3.pub',
      'smki key new --out ra1.key --unencrypted   # exit 4 (the file exists)',
      "smki key new --pkcs11 'pkcs11:token=SMKI%20RA;object=ra9?module-path=/nonexistent/libsofthsm2.so' --json   # exit 4 (no such module here)",
    ]))
    .action(wrap(async (ctx: CliContext, o: { out?: string; passphraseFile?: string; unencrypted?: boolean; publicOut?: string; pkcs11?: string }) => {
      if (o.pkcs11) {
        if (o.out || o.passphraseFile || o.unencrypted) throw new InputError('--pkcs11 makes the key inside the token: no --out, --passphrase-file or --unencrypted');
        const module = personKeyModule(o.pkcs11, '--pkcs11');
        const pin = await pkcs11Pin(ctx, undefined, false);
        const { generateTokenKey } = await import('../../ca/pkcs11.js');
        const signer = generateTokenKey({ module, uri: o.pkcs11, pin: () => pin });
        const pem = publicKeyPem(signer.spkiDer);
        if (o.publicOut) writePublic(o.publicOut, pem, o.pkcs11);
        ctx.emit(pem.trimEnd(), { id: keyIdOf(signer.spkiDer), keyId: keyIdOf(signer.spkiDer), uri: o.pkcs11, file: null, encrypted: null, publicKey: pem, publicKeyFile: o.publicOut ?? null });
        return;
      }
      const out = await valueOrPrompt(ctx, o.out, '--out (where to write the new key) or --pkcs11 URI', 'Write the new private key to', (t) => t.trim(), { check: absentFile('--out') });
      if (o.unencrypted && o.passphraseFile) throw new InputError('--unencrypted and --passphrase-file exclude each other');
      const passphrase = o.unencrypted ? undefined : await newKeyPassphrase(ctx, o.passphraseFile, '--passphrase-file (or --unencrypted)');
      const k = writeNewKey(out, passphrase);
      if (o.publicOut) writePublic(o.publicOut, k.publicKeyPem, out);
      ctx.emit(k.publicKeyPem.trimEnd(), { id: k.keyId, keyId: k.keyId, file: out, encrypted: passphrase !== undefined, publicKey: k.publicKeyPem, publicKeyFile: o.publicOut ?? null });
    }));
};
