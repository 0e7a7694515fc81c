// `smki init`: a new CA home with the Root OCA and Issuing OCA (P-256, ecdsa-with-SHA256), their keys
// encrypted at rest (0600), the audit key, the registry and a first, empty CRL. Refuses to overwrite.
import { createPublicKey, randomBytes, sign } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import type { Catalogue } from '../config/catalogue.js';
import { InputError } from '../domain/errors.js';
import { insertCaCertificate } from '../registry/certificates.js';
import { homePaths } from '../registry/home.js';
import { Registry, type Clock } from '../registry/registry.js';
import { IssuingAuthority } from './authority.js';
import { assembleCertificate, buildIssuingOcaTbs, buildRootOcaTbs, caNameDer, readCaCertificate } from './ca-certificates.js';
import { generateCrl, writeCrlFile } from './crl-publisher.js';
import { FileKeySigner } from './signer.js';
import { encryptPrivateKey, generateP256KeyPair, writeSecretFile } from './keystore.js';
import { newSerial } from './organisation-certificate.js';
import { toPem } from './pem.js';

export interface InitResult {
  home: string;
  root: { subject: string; serial: string; pem: string };
  issuing: { subject: string; serial: string; pem: string };
  chainFile: string;
  crlFile: string;
}

function addYears(d: Date, years: number): Date {
  const out = new Date(d);
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}

export function initCa(home: string, passphrase: Buffer, caName: string, catalogue: Catalogue, operator: string, clock: Clock = () => new Date()): InitResult {
  const paths = homePaths(home);
  if (existsSync(paths.dir) && readdirSync(paths.dir).length > 0) {
    throw new InputError(`${paths.dir} already exists and is not empty; smki init never overwrites a CA`);
  }
  // Validate the names before anything is written.
  caNameDer({ commonName: caName, ou: '07' });
  caNameDer({ commonName: `${caName} Root`, ou: '00' });

  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  chmodSync(paths.dir, 0o700);
  mkdirSync(paths.keysDir, { mode: 0o700 });
  mkdirSync(paths.caDir, { mode: 0o755 });

  const now = new Date(Math.floor(clock().getTime() / 1000) * 1000);
  const root = generateP256KeyPair();
  const issuing = generateP256KeyPair();
  const rootSpki = createPublicKey(root.privateKey).export({ format: 'der', type: 'spki' });
  const issuingSpki = createPublicKey(issuing.privateKey).export({ format: 'der', type: 'spki' });

  const rootTbs = buildRootOcaTbs({
    serial: newSerial(),
    commonName: `${caName} Root`,
    spkiDer: rootSpki,
    notBefore: now,
    notAfter: addYears(now, catalogue.ca.rootValidityYears),
  });
  const rootDer = assembleCertificate(rootTbs, sign('sha256', rootTbs, root.privateKey));
  const rootInfo = readCaCertificate(rootDer);
  const issuingTbs = buildIssuingOcaTbs({
    serial: newSerial(),
    commonName: caName,
    spkiDer: issuingSpki,
    rootNameDer: rootInfo.subjectNameDer,
    rootSpkiDer: rootSpki,
    notBefore: now,
    notAfter: addYears(now, catalogue.ca.issuingValidityYears),
    policyOid: catalogue.ca.policyOid,
  });
  const issuingDer = assembleCertificate(issuingTbs, sign('sha256', issuingTbs, root.privateKey));
  const issuingInfo = readCaCertificate(issuingDer);

  writeSecretFile(paths.rootKey, encryptPrivateKey(root.privateKey, passphrase));
  writeSecretFile(paths.issuingKey, encryptPrivateKey(issuing.privateKey, passphrase));
  const auditKey = randomBytes(32);
  writeSecretFile(paths.auditKey, auditKey.toString('hex'));

  const rootPem = toPem(rootDer, 'CERTIFICATE');
  const issuingPem = toPem(issuingDer, 'CERTIFICATE');
  writeFileSync(paths.rootCert, rootPem, { mode: 0o644 });
  writeFileSync(paths.issuingCert, issuingPem, { mode: 0o644 });
  writeFileSync(paths.chain, issuingPem + rootPem, { mode: 0o644 });

  const reg = Registry.create(paths, auditKey, clock);
  try {
    const ca = new IssuingAuthority(reg, new FileKeySigner(issuing.privateKey, paths.issuingKey), issuingDer, catalogue);
    reg.tx(() => {
      insertCaCertificate(reg, 'root', rootInfo.serialHex, rootDer, paths.rootKey);
      insertCaCertificate(reg, 'issuing', issuingInfo.serialHex, issuingDer, paths.issuingKey);
      reg.setMeta('ca_name', caName);
      reg.audit.append(now, operator, 'ca.init', issuingInfo.serialHex, {
        caName,
        root: { serial: rootInfo.serialHex, subject: rootInfo.subjectText },
        issuing: { serial: issuingInfo.serialHex, subject: issuingInfo.subjectText },
        policyOid: catalogue.ca.policyOid,
      });
      generateCrl(reg, ca, catalogue, operator);
    });
    const crlFile = writeCrlFile(reg)!;
    return {
      home: paths.dir,
      root: { subject: rootInfo.subjectText, serial: rootInfo.serialHex, pem: rootPem },
      issuing: { subject: issuingInfo.subjectText, serial: issuingInfo.serialHex, pem: issuingPem },
      chainFile: paths.chain,
      crlFile,
    };
  } finally {
    reg.close();
  }
}
