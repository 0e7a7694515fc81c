// CA private keys at rest: encrypted PKCS#8 (PBES2 with scrypt and AES-256-CBC), files mode 0600.
// Node's own PKCS#8 encryption uses PBKDF2 with OpenSSL's default 2048 iterations, too weak for a
// CA key, so the EncryptedPrivateKeyInfo is built here; OpenSSL and Node both read it back.
import { createCipheriv, createPrivateKey, generateKeyPairSync, randomBytes, scryptSync, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { InputError } from '../domain/errors.js';
import { INPUT_LIMITS, readInputFile } from '../util/read-input.js';
import { integer, octetString, oid, sequence } from './asn1.js';

const OID_PBES2 = '1.2.840.113549.1.5.13';
const OID_SCRYPT = '1.3.6.1.4.1.11591.4.11';
const OID_AES256_CBC = '2.16.840.1.101.3.4.1.42';

/** scrypt cost N=2^14, r=8, p=1 (16 MiB): the most OpenSSL 3 accepts by default when it reads PKCS#8. */
export const SCRYPT = { N: 16384, r: 8, p: 1 } as const;

export function generateP256KeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export function encryptPrivateKey(key: KeyObject, passphrase: Buffer): string {
  if (passphrase.length === 0) throw new InputError('passphrase: empty');
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const derived = scryptSync(passphrase, salt, 32, { ...SCRYPT, maxmem: 64 * 1024 * 1024 });
  const cipher = createCipheriv('aes-256-cbc', derived, iv);
  const plain = key.export({ format: 'der', type: 'pkcs8' });
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  const der = sequence(
    sequence(
      oid(OID_PBES2),
      sequence(
        sequence(
          oid(OID_SCRYPT),
          sequence(octetString(salt), integer(SCRYPT.N), integer(SCRYPT.r), integer(SCRYPT.p), integer(32)),
        ),
        sequence(oid(OID_AES256_CBC), octetString(iv)),
      ),
    ),
    octetString(encrypted),
  );
  const b64 = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${b64}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
}

export function decryptPrivateKey(pem: string, passphrase: Buffer, what = 'CA key'): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase });
  } catch {
    throw new InputError(`${what}: cannot decrypt (wrong passphrase or damaged key file)`);
  }
}

/** Writes a file readable by its owner only, refusing to replace an existing one; synced to disk. */
export function writeSecretFile(path: string, content: string | Buffer): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads a passphrase file: its first line, without the line break (as `openssl -passin file:` does). */
export function readPassphraseFile(path: string, what = '--passphrase-file'): Buffer {
  const text = readInputFile(path, what, INPUT_LIMITS.secret);
  const nl = text.indexOf(0x0a);
  let line = nl >= 0 ? text.subarray(0, nl) : text;
  if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
  if (line.length === 0) throw new InputError(`${what}: ${path} holds an empty passphrase`);
  return Buffer.from(line);
}
