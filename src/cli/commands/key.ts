import { writeNewKey } from '../../ca/person-keys.js';
import { InputError } from '../../domain/errors.js';
import type { CliContext } from '../context.js';
import { examples } from '../format.js';
import { newKeyPassphrase } from '../passphrase.js';
import type { Register } from './index.js';

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
    .addHelpText('after', examples([
      'smki key new --out ra1.key --unencrypted --public-out ra1.pub',
      'smki key new --out ra2.key --passphrase-file ca-pass.txt --public-out ra2.pub --json',
      'smki key new --out ra3.key --unencrypted --public-out ra3.pub',
      'smki key new --out ra1.key --unencrypted   # exit 4 (the file exists)',
    ]))
    .action(wrap(async (ctx: CliContext, o: { out?: string; passphraseFile?: string; unencrypted?: boolean; publicOut?: string }) => {
      if (!o.out) throw new InputError('missing --out (where to write the new key)');
      if (o.unencrypted && o.passphraseFile) throw new InputError('--unencrypted and --passphrase-file exclude each other');
      const passphrase = o.unencrypted ? undefined : await newKeyPassphrase(ctx, o.passphraseFile, '--passphrase-file (or --unencrypted)');
      const k = writeNewKey(o.out, passphrase);
      if (o.publicOut) {
        const { writeFileSync } = await import('node:fs');
        try {
          writeFileSync(o.publicOut, k.publicKeyPem, { flag: 'wx', mode: 0o644 });
        } catch (e) {
          throw new InputError(`--public-out: cannot write ${o.publicOut} (${(e as NodeJS.ErrnoException).code ?? 'error'}); the key is in ${o.out}`);
        }
      }
      ctx.emit(k.publicKeyPem.trimEnd(), { id: k.keyId, keyId: k.keyId, file: o.out, encrypted: passphrase !== undefined, publicKey: k.publicKeyPem, publicKeyFile: o.publicOut ?? null });
    }));
};
