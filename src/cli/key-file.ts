// Private keys that SRPs and Suppliers sign with (sr sign, gbcs sign, csr new --key): a file in PEM
// (PKCS#8, SEC1, encrypted PKCS#8) or DER (the same three), or a PKCS#11 token key named by a URI.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { INPUT_LIMITS, readInputFile } from '../util/read-input.js';
import { readPassphraseFile } from '../ca/keystore.js';
import { Pkcs11Signer } from '../ca/pkcs11.js';
import { isPkcs11Uri, parsePkcs11Uri } from '../ca/pkcs11-uri.js';
import { InputError, WrongSecretError } from '../domain/errors.js';
import type { CliContext } from './context.js';
import { pkcs11Pin } from './passphrase.js';

export function readKeyFileBytes(path: string, flag: string): Buffer {
  return readInputFile(path, flag, INPUT_LIMITS.pem);
}

/** A token key named by a pkcs11: URI; the module from the URI's module-path or SMKI_PKCS11_MODULE. */
export function tokenSigner(uri: string, pin: Buffer, flag = '--key'): Pkcs11Signer {
  const module = parsePkcs11Uri(uri, flag).modulePath ?? process.env.SMKI_PKCS11_MODULE;
  if (!module) throw new InputError(`${flag}: a pkcs11: key needs module-path=... in the URI or SMKI_PKCS11_MODULE`);
  return new Pkcs11Signer({ module, uri, pin: () => pin });
}

/** A private key file in PEM or DER; an encrypted one needs its passphrase file. */
export function loadPrivateKey(path: string, passFile: string | undefined, flag = '--key'): KeyObject {
  const bytes = readKeyFileBytes(path, flag);
  const passphrase = passFile ? readPassphraseFile(passFile) : undefined;
  const isPem = bytes.subarray(0, 64).toString('latin1').includes('-----BEGIN');
  const attempts: Parameters<typeof createPrivateKey>[0][] = isPem
    ? [{ key: bytes, passphrase }]
    : [{ key: bytes, format: 'der', type: 'pkcs8' }, { key: bytes, format: 'der', type: 'sec1' }, { key: bytes, format: 'der', type: 'pkcs8', passphrase }];
  let last: unknown;
  for (const a of attempts) {
    try {
      return createPrivateKey(a);
    } catch (e) {
      last = e;
    }
  }
  // An encrypted key that its passphrase does not open: a wrong secret (exit 2), not a malformed file.
  const encrypted = isPem ? /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(bytes.toString('latin1')) : isEncryptedPkcs8Der(bytes);
  if (encrypted && passphrase) throw new WrongSecretError(`${flag}: wrong passphrase for ${path} (or the key file is damaged)`);
  throw new InputError(`${flag}: cannot read a private key from ${path}${encrypted ? ' (it is encrypted: give --passphrase-file)' : ''}: ${(last as Error).message.split('\n')[0]}`);
}

/** A key file, or a token key whose PIN comes from the URI's pin-source, --pin-file, SMKI_PKCS11_PIN_FILE or a prompt. */
export async function loadSigningKey(ctx: CliContext, key: string, o: { passphraseFile?: string; pinFile?: string }, flag = '--key'): Promise<KeyObject | Pkcs11Signer> {
  if (!isPkcs11Uri(key)) return loadPrivateKey(key, o.passphraseFile, flag);
  const pinSource = parsePkcs11Uri(key, flag).pinSource;
  return tokenSigner(key, pinSource ? readPassphraseFile(pinSource, 'pin-source') : await pkcs11Pin(ctx, o.pinFile), flag);
}

/** DER EncryptedPrivateKeyInfo: SEQUENCE { SEQUENCE { OID 1.2.840.113549.1.5.13 (PBES2) ... } ... } (PKCS#8 keys start with an INTEGER). */
function isEncryptedPkcs8Der(der: Buffer): boolean {
  const pbes2 = Buffer.from('06092a864886f70d01050d', 'hex');
  return der[0] === 0x30 && der.subarray(0, 32).includes(pbes2);
}
