// People's keys for tests: plain P-256 PKCS#8 files (mode 0600, as `smki key new --unencrypted` and
// openssl write them: no scrypt per command) with their public keys beside them. `testKey(name)` is
// one key per name for the whole test run, so every test home's `ra1` is the same key: `as('ra1')`.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { keyIdOf } from '../../src/ca/person-keys.js';
import { FileKeySigner, type Signer } from '../../src/ca/signer.js';
import { query } from './query.js';

export interface KeyFiles {
  /** The private key file (what --as and --officer-key take). */
  key: string;
  /** The public key file (what --public-key and --admin-public-key take). */
  pub: string;
}

/** A fresh key: `<dir>/<name>.key` (0600) and `<dir>/<name>.pub`. */
export function personKey(dir: string, name: string): KeyFiles {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = join(dir, `${name}.key`);
  const pub = join(dir, `${name}.pub`);
  writeFileSync(key, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
  writeFileSync(pub, pair.publicKey.export({ format: 'pem', type: 'spki' }) as string, { mode: 0o644 });
  return { key, pub };
}

let folder: string | undefined;
const keys = new Map<string, KeyFiles & { signer: Signer }>();

/** The run's one key for `name` (ra1, ra2, an officer ...), made on first use. */
export function testKey(name: string): KeyFiles & { signer: Signer } {
  let k = keys.get(name);
  if (!k) {
    if (!folder) {
      const dir = mkdtempSync(join(tmpdir(), 'smki-test-keys-'));
      folder = dir;
      process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    }
    const files = personKey(folder, name);
    k = { ...files, signer: new FileKeySigner(createPrivateKey(readFileSync(files.key, 'utf8')), files.key) };
    keys.set(name, k);
  }
  return k;
}

/** `--as <ra1's key file>`: the acting RA operator of a command in a test. */
export function actAs(name = 'ra1'): string[] {
  return ['--as', testKey(name).key];
}

/** The flags that make `name` (default ra1) the first operator of a new home: `init ...adminFlags()`. */
export function adminFlags(_dir?: string, name = 'ra1'): string[] {
  return ['--admin', name, '--admin-public-key', testKey(name).pub];
}

/** The acting RA operator's key for library calls. */
export function operatorSigner(name = 'ra1'): Signer {
  return testKey(name).signer;
}

/** The key file of a test key whose key ID is `keyId` (a key this run made with testKey), or undefined. */
export function testKeyWithId(keyId: string): (KeyFiles & { signer: Signer }) | undefined {
  for (const k of keys.values()) if (keyIdOf(k.signer.spkiDer) === keyId) return k;
  return undefined;
}

/** The officer's test key in a home: the key registered for officer `id` (made with testKey), or undefined. */
export function officerTestKey(home: string, id: string): (KeyFiles & { signer: Signer }) | undefined {
  const row = query<{ key_id: string | null }>(home, 'SELECT key_id FROM officers WHERE id = ? COLLATE NOCASE', id)[0];
  return row?.key_id ? testKeyWithId(row.key_id) : undefined;
}

/**
 * Test homes act as their people would: a command that names an officer (`--officer ID`,
 * `--nominated-by ID`) and no `--officer-key` gets that officer's key; an `officer add` without
 * `--public-key` registers the test key named after the officer (`officer:NAME`).
 */
export function withOfficerKeys(home: string, args: string[]): string[] {
  const out = [...args];
  const value = (flag: string) => {
    const i = out.indexOf(flag);
    return i >= 0 ? out[i + 1] : undefined;
  };
  const isAdd = out.includes('officer') && out[out.indexOf('officer') + 1] === 'add';
  if (isAdd && !out.includes('--public-key') && value('--name')) out.push('--public-key', testKey(`officer:${value('--name')}`).pub);
  if (!out.includes('--officer-key')) {
    const who = isAdd ? value('--nominated-by') : value('--officer');
    const k = who ? officerTestKey(home, who) : undefined;
    if (k) out.push('--officer-key', k.key);
  }
  return out;
}

/** The signer of officer `id` in a home (its test key), or a key no one registered (for refusals). */
export function officerSignerOf(home: string, id: string): Signer {
  return (officerTestKey(home, id) ?? testKey('unregistered-officer')).signer;
}

/** The test key of the officer named `name` (what withOfficerKeys registers for it). */
export function officerKey(name: string): KeyFiles & { signer: Signer } {
  return testKey(`officer:${name}`);
}
