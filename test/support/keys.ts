// People's keys for tests: plain P-256 PKCS#8 files (mode 0600, as `smki key new --unencrypted` and
// openssl write them: no scrypt per command) with their public keys beside them.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface KeyFiles {
  /** The private key file (what --as and --officer-key take). */
  key: string;
  /** The public key file (what --public-key and --admin-public-key take). */
  pub: string;
}

/** `<dir>/<name>.key` (0600) and `<dir>/<name>.pub`. */
export function personKey(dir: string, name: string): KeyFiles {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = join(dir, `${name}.key`);
  const pub = join(dir, `${name}.pub`);
  writeFileSync(key, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
  writeFileSync(pub, pair.publicKey.export({ format: 'pem', type: 'spki' }) as string, { mode: 0o644 });
  return { key, pub };
}

/** The flags that make `ra1` (key in `dir`) the first operator of a new home: `init ...adminFlags(dir)`. */
export function adminFlags(dir: string, name = 'ra1'): string[] {
  const k = personKey(dir, name);
  return ['--admin', name, '--admin-public-key', k.pub];
}
