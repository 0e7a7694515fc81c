// The CA's home folder: registry, keys, certificates, CRL and the audit checkpoint.
import { resolve, join } from 'node:path';

export interface HomePaths {
  dir: string;
  db: string;
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
