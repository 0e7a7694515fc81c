// The CA's home folder: registry, keys, certificates, CRL and the audit checkpoint.
import { existsSync, readFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { IntegrityError } from '../domain/errors.js';

export interface HomePaths {
  dir: string;
  db: string;
  /** A home whose registry is on PostgreSQL names it here (src/registry/database.ts), instead of `db`. */
  database: string;
  keysDir: string;
  rootKey: string;
  issuingKey: string;
  auditKey: string;
  checkpoint: string;
  caDir: string;
  rootCert: string;
  issuingCert: string;
  chain: string;
  crl: string;
}

/** --home, else SMKI_HOME, else ./.smki */
export function resolveHome(flag?: string): string {
  return resolve(flag || process.env.SMKI_HOME || '.smki');
}

export function homePaths(dir: string): HomePaths {
  const d = resolve(dir);
  return {
    dir: d,
    db: join(d, 'registry.sqlite'),
    database: join(d, 'database.json'),
    keysDir: join(d, 'keys'),
    rootKey: join(d, 'keys', 'root-oca.key.pem'),
    issuingKey: join(d, 'keys', 'issuing-oca.key.pem'),
    auditKey: join(d, 'keys', 'audit-mac.key'),
    checkpoint: join(d, 'audit.checkpoint'),
    caDir: join(d, 'ca'),
    rootCert: join(d, 'ca', 'root-oca.pem'),
    issuingCert: join(d, 'ca', 'issuing-oca.pem'),
    chain: join(d, 'ca', 'chain.pem'),
    crl: join(d, 'ca', 'current.crl.pem'),
  };
}

/**
 * The audit MAC key: exactly 64 hex digits (32 bytes). Anything else is an integrity failure, never
 * an empty or short key (under which every MAC would be forgeable).
 */
export function readAuditKey(paths: HomePaths): Buffer {
  if (!existsSync(paths.keysDir)) throw new IntegrityError(`the keys folder ${paths.keysDir} is missing`);
  if (!existsSync(paths.auditKey)) throw new IntegrityError(`the audit key ${paths.auditKey} is missing`);
  let text: string;
  try {
    text = readFileSync(paths.auditKey, 'utf8').trim();
  } catch (e) {
    throw new IntegrityError(`the audit key ${paths.auditKey} cannot be read: ${(e as Error).message}`);
  }
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new IntegrityError(`the audit key ${paths.auditKey} is not 64 hex digits (damaged or replaced)`);
  return Buffer.from(text, 'hex');
}
