// CA private keys at rest: encrypted PKCS#8 (PBES2 with scrypt and AES-256-CBC), files mode 0600.
// Node's own PKCS#8 encryption uses PBKDF2 with OpenSSL's default 2048 iterations, too weak for a
// CA key, so the EncryptedPrivateKeyInfo is built here; OpenSSL and Node both read it back.
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, generateKeyPairSync, randomBytes, scrypt, scryptSync, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { InputError, WrongSecretError } from '../domain/errors.js';
import { INPUT_LIMITS, readInputFile } from '../util/read-input.js';
import { children, content, integer, octetString, oid, readOid, readTlv, sequence, TAG } from './asn1.js';

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

/**
 * Decrypts an encrypted PKCS#8 key. The scrypt derivation is the costly part (tens of milliseconds of
 * CPU): one started ahead by deriveAhead() for this key and passphrase is used instead of a second one.
 */
export function decryptPrivateKey(pem: string, passphrase: Buffer, what = 'CA key'): KeyObject {
  try {
    const pbes2 = scryptPbes2(pem);
    const derived = pbes2 && derivedKeys.get(derivationId(pbes2, passphrase));
    if (pbes2 && derived) {
      const decipher = createDecipheriv('aes-256-cbc', derived, pbes2.iv);
      const plain = Buffer.concat([decipher.update(pbes2.encrypted), decipher.final()]);
      return createPrivateKey({ key: plain, format: 'der', type: 'pkcs8' });
    }
    return createPrivateKey({ key: pem, format: 'pem', passphrase });
  } catch {
    throw new WrongSecretError(`wrong passphrase for the ${what} (or its key file is damaged)`);
  }
}

/** The PBES2 parameters of a key in the form encryptPrivateKey writes (scrypt, AES-256-CBC). */
interface ScryptPbes2 {
  salt: Buffer;
  N: number;
  r: number;
  p: number;
  iv: Buffer;
  encrypted: Buffer;
}

const ENCRYPTED_PEM = /^-----BEGIN ENCRYPTED PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END ENCRYPTED PRIVATE KEY-----\s*$/;

/** scrypt PBES2 parameters of `pem`, or undefined for any other form (OpenSSL then reads it whole). */
function scryptPbes2(pem: string): ScryptPbes2 | undefined {
  const m = ENCRYPTED_PEM.exec(pem.trim());
  if (!m) return undefined;
  try {
    const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
    const [alg, data] = children(der, readTlv(der, 0));
    const [pbes2Oid, pbes2Params] = children(der, alg!);
    if (readOid(der, pbes2Oid!) !== OID_PBES2) return undefined;
    const [kdf, cipher] = children(der, pbes2Params!);
    const [kdfOid, kdfParams] = children(der, kdf!);
    const [cipherOid, ivTlv] = children(der, cipher!);
    if (readOid(der, kdfOid!) !== OID_SCRYPT || readOid(der, cipherOid!) !== OID_AES256_CBC) return undefined;
    const [salt, n, r, p, keyLength, ...rest] = children(der, kdfParams!);
    const num = (t: typeof n): number => {
      if (!t || t.tag !== TAG.INTEGER) throw new Error('not an INTEGER');
      const c = content(der, t);
      if (c.length === 0 || c.length > 6 || c[0]! & 0x80) throw new Error('not a small positive INTEGER');
      return c.readUIntBE(0, c.length);
    };
    if (rest.length || salt?.tag !== TAG.OCTET_STRING || ivTlv?.tag !== TAG.OCTET_STRING || data?.tag !== TAG.OCTET_STRING) return undefined;
    if (keyLength === undefined || num(keyLength) !== 32) return undefined;
    const iv = content(der, ivTlv);
    if (iv.length !== 16) return undefined;
    return { salt: content(der, salt), N: num(n), r: num(r), p: num(p), iv, encrypted: content(der, data) };
  } catch {
    return undefined;
  }
}

/** Derived AES keys by derivationId (this process's memory only, as the passphrase itself is). */
const derivedKeys = new Map<string, Buffer>();
const pendingDerivations = new Map<string, Promise<void>>();

function derivationId(k: ScryptPbes2, passphrase: Buffer): string {
  return createHash('sha256').update(`${k.N}/${k.r}/${k.p}/${k.salt.toString('hex')}/`).update(passphrase).digest('hex');
}

/**
 * Starts the scrypt derivation for an encrypted key on libuv's thread pool, so that it runs while
 * the rest of the process starts (modules, registry); decryptPrivateKey() then only deciphers. Keys of
 * another form are left alone; a failure here is reported by decryptPrivateKey, not here.
 */
export function deriveAhead(pem: string, passphrase: Buffer): Promise<void> {
  const k = scryptPbes2(pem);
  if (!k || passphrase.length === 0) return Promise.resolve();
  const id = derivationId(k, passphrase);
  if (derivedKeys.has(id)) return Promise.resolve();
  let pending = pendingDerivations.get(id);
  if (!pending) {
    pending = new Promise<void>((resolve) => {
      scrypt(passphrase, k.salt, 32, { N: k.N, r: k.r, p: k.p, maxmem: 64 * 1024 * 1024 }, (err, key) => {
        if (!err) derivedKeys.set(id, key);
        pendingDerivations.delete(id);
        resolve();
      });
    });
    pendingDerivations.set(id, pending);
  }
  return pending;
}

/** Whether this process holds the derivation for `pem` under `passphrase` (decryptPrivateKey then only deciphers). */
export function derivedAhead(pem: string, passphrase: Buffer): boolean {
  const k = scryptPbes2(pem);
  return k !== undefined && derivedKeys.has(derivationId(k, passphrase));
}

/** Waits for every derivation deriveAhead() started (so none is repeated synchronously). */
export async function derivationsSettled(): Promise<void> {
  while (pendingDerivations.size) await Promise.all(pendingDerivations.values());
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
