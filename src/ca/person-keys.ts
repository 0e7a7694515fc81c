// Keys of the people who act in smki (RA operators, SROs, AROs): P-256 keys in files or in a PKCS#11
// token. A file key is encrypted PKCS#8 (as the CA keys are, src/ca/keystore.ts) or, when made by
// openssl or `smki key new --unencrypted`, a plain one that only its owner may read (mode 0600).
// The registry knows each person by their public key (SubjectPublicKeyInfo) and its key ID.
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { statSync } from 'node:fs';
import { InputError, WrongSecretError } from '../domain/errors.js';
import { INPUT_LIMITS, readInputText } from '../util/read-input.js';
import { decryptPrivateKey, deriveAhead, encryptPrivateKey, generateP256KeyPair, writeSecretFile } from './keystore.js';
import { toPem } from './pem.js';
import { FileKeySigner, type Signer } from './signer.js';

/** A key's ID: SHA-256 of its SubjectPublicKeyInfo DER, hex. The same key has the same ID under every name. */
export function keyIdOf(spkiDer: Buffer): string {
  return createHash('sha256').update(spkiDer).digest('hex');
}

/** A key ID as people read it: `SHA256:` and its first 16 hex digits. */
export function shortKeyId(keyId: string): string {
  return `SHA256:${keyId.slice(0, 16)}`;
}

function requireP256(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new InputError(`${what}: not an ECDSA P-256 key (make one with 'smki key new')`);
  }
}

function readText(path: string, what: string): string {
  return readInputText(path, what, INPUT_LIMITS.pem);
}

/** A P-256 public key (PEM `PUBLIC KEY`, as `smki key new` and `openssl pkey -pubout` write it) → SPKI DER. */
export function parsePublicKey(text: string, what = '--public-key'): Buffer {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new InputError(`${what}: this is a private key; give its public key (printed by 'smki key new', or 'openssl pkey -pubout')`);
  }
  if (!/-----BEGIN PUBLIC KEY-----/.test(text)) throw new InputError(`${what}: not a PEM public key (-----BEGIN PUBLIC KEY-----)`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    throw new InputError(`${what}: the public key cannot be read`);
  }
  requireP256(key, what);
  return key.export({ format: 'der', type: 'spki' });
}

export function readPublicKeyFile(path: string, what = '--public-key'): Buffer {
  return parsePublicKey(readText(path, what), `${what} ${path}`);
}

export function publicKeyPem(spkiDer: Buffer): string {
  return toPem(spkiDer, 'PUBLIC KEY');
}

/** What a key file holds, before any passphrase is asked for. */
export function keyFileKind(text: string): 'encrypted' | 'plain' | 'other' {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text)) return 'encrypted';
  if (/-----BEGIN EC PRIVATE KEY-----/.test(text)) return /Proc-Type:\s*4,ENCRYPTED/.test(text) ? 'encrypted' : 'plain';
  if (/-----BEGIN PRIVATE KEY-----/.test(text)) return 'plain';
  return 'other';
}

/**
 * A person's file key as a Signer. An encrypted key asks `passphrase` (only then); a plain key must
 * be readable by its owner alone (0600), or it is refused before it is read.
 */
export async function loadKeyFile(path: string, what: string, passphrase: () => Promise<Buffer>): Promise<Signer> {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (e) {
    throw new InputError(`${what}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const text = readText(path, what);
  const kind = keyFileKind(text);
  if (kind === 'other') throw new InputError(`${what}: ${path} is not a PEM private key`);
  let key: KeyObject;
  if (kind === 'plain') {
    if ((mode & 0o077) !== 0) {
      throw new InputError(`${what}: ${path} is not encrypted and others may read it (mode ${(mode & 0o777).toString(8)}); chmod 600 it, or make an encrypted key with 'smki key new'`);
    }
    try {
      key = createPrivateKey({ key: text, format: 'pem' });
    } catch {
      throw new InputError(`${what}: ${path}: the private key cannot be read`);
    }
  } else {
    const secret = await passphrase();
    // One scrypt derivation, joined with any started ahead (src/cli/early-unlock.ts).
    await deriveAhead(text, secret);
    try {
      key = decryptPrivateKey(text, secret, `${what}: ${path}`);
    } catch (e) {
      if (e instanceof WrongSecretError) throw new WrongSecretError(`${what}: wrong passphrase for ${path} (or the key file is damaged)`);
      throw e;
    }
  }
  requireP256(key, `${what} ${path}`);
  return new FileKeySigner(key, path);
}

/**
 * `smki key new`: a P-256 key written to `out` (never over an existing file, mode 0600), encrypted
 * under `passphrase` unless it is undefined. Returns its public key.
 */
export function writeNewKey(out: string, passphrase: Buffer | undefined, what = '--out'): { publicKeyPem: string; keyId: string; spkiDer: Buffer } {
  const pair = generateP256KeyPair();
  const pem = passphrase ? encryptPrivateKey(pair.privateKey, passphrase) : (pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
  try {
    writeSecretFile(out, pem);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'EEXIST' ? `${what}: ${out} exists; smki never overwrites a key` : `${what}: cannot write ${out} (${code ?? 'error'})`);
  }
  const spkiDer = pair.publicKey.export({ format: 'der', type: 'spki' });
  return { publicKeyPem: publicKeyPem(spkiDer), keyId: keyIdOf(spkiDer), spkiDer };
}

/** A new P-256 key held in memory, as a Signer with its public key (for programs that drive the library). */
export function generatePersonKey(label: string): { signer: Signer; spkiDer: Buffer; keyId: string } {
  const pair = generateP256KeyPair();
  const spkiDer = pair.publicKey.export({ format: 'der', type: 'spki' });
  return { signer: new FileKeySigner(pair.privateKey, label), spkiDer, keyId: keyIdOf(spkiDer) };
}
