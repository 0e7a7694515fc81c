// `smki init`: a new CA home with the Root OCA and Issuing OCA (P-256, ecdsa-with-SHA256), their keys
// encrypted at rest (0600), the audit key, the registry and a first, empty CRL. Refuses to overwrite.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Catalogue } from '../config/catalogue.js';
import { InputError } from '../domain/errors.js';
import { caCertificate, insertCaCertificate, replaceIssuingCertificate } from '../registry/certificates.js';
import { homePaths, type HomePaths } from '../registry/home.js';
import { Registry, type Clock } from '../registry/registry.js';
import { IssuingAuthority, retiredIssuingAuthorities } from './authority.js';
import { assembleCertificate, buildIssuingOcaTbs, buildRootOcaTbs, caNameDer, readCaCertificate } from './ca-certificates.js';
import { generateCrl, writeCrlFile } from './crl-publisher.js';
import { FileKeySigner, type Signer } from './signer.js';
import { generateTokenKey } from './pkcs11.js';
import { formatPkcs11Uri, isPkcs11Uri, parsePkcs11Uri } from './pkcs11-uri.js';
import { encryptPrivateKey, generateP256KeyPair, writeSecretFile } from './keystore.js';
import { newSerial } from './organisation-certificate.js';
import { toPem } from './pem.js';
import { writeNewKey } from './person-keys.js';
import { parseOperatorName, registerFirstOperator } from '../ra/operators.js';
import { operatorFor, type OperatorKey } from '../ra/credentials.js';
import { databaseChoice, newHomeTarget } from '../registry/database.js';

export interface InitResult {
  home: string;
  root: { subject: string; serial: string; pem: string };
  issuing: { subject: string; serial: string; pem: string };
  chainFile: string;
  crlFile: string;
  /** Where the keys are: file paths or pkcs11: URIs. */
  rootKey: string;
  issuingKey: string;
}

function addYears(d: Date, years: number): Date {
  const out = new Date(d);
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}

/**
 * Where the CA keys go. File keys (the default): both encrypted under the CA passphrase in the home,
 * or the Root OCA key in `rootKeyOut` under its own passphrase, to be moved offline. PKCS#11: both
 * generated inside the token; the home records their URIs and the module path, no key material.
 */
export type InitKeys =
  | { kind: 'file'; rootKeyOut?: string; rootPassphrase?: Buffer }
  | { kind: 'pkcs11'; module: string; token: string; pin: () => Buffer };

export const ROOT_KEY_OBJECT = 'smki-root-oca';
export const ISSUING_KEY_OBJECT = 'smki-issuing-oca';

/** A CA certificate signed by the key ceremony's Root signer (the Issuing OCA's, or the Root's own). */
export function signCaCertificate(tbs: Buffer, root: Signer): Buffer {
  return assembleCertificate(tbs, root.sign(tbs, 'der'));
}

/**
 * The first RA operator: a public key given (`--admin-public-key`), or a key made now and written to
 * `keyOut` (encrypted under `passphrase`, or plain 0600 without one), removed again if init fails.
 */
export type InitAdmin = { name: string; publicKey: Buffer } | { name: string; keyOut: string; passphrase?: Buffer };

/** smki init never writes into a home that exists with anything in it (checked before anything is asked, and again when creating). */
export function refuseExistingHome(home: string): void {
  const paths = homePaths(home);
  if (existsSync(paths.dir) && readdirSync(paths.dir).length > 0) {
    throw new InputError(`${paths.dir} already exists and is not empty; smki init never overwrites a CA`);
  }
}

export function initCa(home: string, passphrase: Buffer, caName: string, catalogue: Catalogue, admin: InitAdmin, clock: Clock = () => new Date(), keys: InitKeys = { kind: 'file' }, opts: { database?: string } = {}): InitResult {
  const paths = homePaths(home);
  refuseExistingHome(home);
  const existed = existsSync(paths.dir);
  const rootKeyOut = keys.kind === 'file' && keys.rootKeyOut ? resolve(keys.rootKeyOut) : undefined;
  const rootKeyOutExisted = rootKeyOut !== undefined && existsSync(rootKeyOut);
  const adminName = parseOperatorName(admin.name, '--admin');
  // A bad --database URL is refused before any key is made.
  const database = databaseChoice(opts.database);
  if (database) newHomeTarget(database);
  let adminKeyWritten: string | undefined;
  try {
    let adminKey: Buffer;
    if ('publicKey' in admin) adminKey = admin.publicKey;
    else {
      adminKey = writeNewKey(admin.keyOut, admin.passphrase, '--admin-key-out').spkiDer;
      adminKeyWritten = admin.keyOut;
    }
    return createHome(paths, passphrase, caName, catalogue, { name: adminName, publicKey: adminKey }, clock, keys, opts);
  } catch (e) {
    if (adminKeyWritten) rmSync(adminKeyWritten, { force: true });
    // Nothing half-written (a full disk, a failed token): the home is as it was, empty or absent.
    // (A file key's offline Root copy is removed too; a token's keys stay in the token.)
    if (existed) for (const f of readdirSync(paths.dir)) rmSync(join(paths.dir, f), { recursive: true, force: true });
    else rmSync(paths.dir, { recursive: true, force: true });
    if (rootKeyOut && !rootKeyOutExisted) rmSync(rootKeyOut, { force: true });
    throw e;
  }
}

function createHome(paths: HomePaths, passphrase: Buffer, caName: string, catalogue: Catalogue, admin: { name: string; publicKey: Buffer }, clock: Clock, keys: InitKeys, opts: { database?: string }): InitResult {
  const operator = admin.name;
  // Validate the names before anything is written.
  caNameDer({ commonName: caName, ou: '07' });
  caNameDer({ commonName: `${caName} Root`, ou: '00' });
  const rootKeyOut = keys.kind === 'file' && keys.rootKeyOut ? resolve(keys.rootKeyOut) : undefined;
  if (rootKeyOut && existsSync(rootKeyOut)) throw new InputError(`--root-key-out: ${rootKeyOut} exists; smki never overwrites a key`);
  if (rootKeyOut && rootKeyOut.startsWith(`${paths.dir}/`)) throw new InputError('--root-key-out: the offline Root OCA key must not be written inside the home');

  // Keys first (in a token this is the ceremony; nothing is written to the home if it fails).
  let rootSigner: Signer;
  let issuingSigner: Signer;
  let rootKeyRef: string;
  let issuingKeyRef: string;
  let writeKeys = (): void => {};
  if (keys.kind === 'pkcs11') {
    rootKeyRef = formatPkcs11Uri(keys.token, ROOT_KEY_OBJECT);
    issuingKeyRef = formatPkcs11Uri(keys.token, ISSUING_KEY_OBJECT);
    const probe = { module: keys.module, pin: keys.pin };
    rootSigner = generateTokenKey({ ...probe, uri: rootKeyRef });
    issuingSigner = generateTokenKey({ ...probe, uri: issuingKeyRef });
  } else {
    const root = generateP256KeyPair();
    const issuing = generateP256KeyPair();
    rootSigner = new FileKeySigner(root.privateKey, rootKeyOut ?? paths.rootKey);
    issuingSigner = new FileKeySigner(issuing.privateKey, paths.issuingKey);
    rootKeyRef = rootKeyOut ?? paths.rootKey;
    issuingKeyRef = paths.issuingKey;
    const rootPassphrase = keys.rootPassphrase ?? passphrase;
    writeKeys = () => {
      writeSecretFile(rootKeyRef, encryptPrivateKey(root.privateKey, rootPassphrase));
      writeSecretFile(paths.issuingKey, encryptPrivateKey(issuing.privateKey, passphrase));
    };
  }

  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  chmodSync(paths.dir, 0o700);
  mkdirSync(paths.keysDir, { mode: 0o700 });
  mkdirSync(paths.caDir, { mode: 0o755 });

  const now = new Date(Math.floor(clock().getTime() / 1000) * 1000);
  const rootSpki = rootSigner.spkiDer;
  const issuingSpki = issuingSigner.spkiDer;

  const rootTbs = buildRootOcaTbs({
    serial: newSerial(),
    commonName: `${caName} Root`,
    spkiDer: rootSpki,
    notBefore: now,
    notAfter: addYears(now, catalogue.ca.rootValidityYears),
  });
  const rootDer = signCaCertificate(rootTbs, rootSigner);
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
  const issuingDer = signCaCertificate(issuingTbs, rootSigner);
  const issuingInfo = readCaCertificate(issuingDer);

  writeKeys();
  const auditKey = randomBytes(32);
  writeSecretFile(paths.auditKey, auditKey.toString('hex'));

  const rootPem = toPem(rootDer, 'CERTIFICATE');
  const issuingPem = toPem(issuingDer, 'CERTIFICATE');
  writeFileSync(paths.rootCert, rootPem, { mode: 0o644 });
  writeFileSync(paths.issuingCert, issuingPem, { mode: 0o644 });
  writeFileSync(paths.chain, issuingPem + rootPem, { mode: 0o644 });

  const reg = Registry.create(paths, auditKey, clock, { database: opts.database });
  try {
    const ca = new IssuingAuthority(reg, issuingSigner, issuingDer, catalogue);
    reg.tx(() => {
      insertCaCertificate(reg, 'root', rootInfo.serialHex, rootDer, rootKeyRef);
      insertCaCertificate(reg, 'issuing', issuingInfo.serialHex, issuingDer, issuingKeyRef);
      reg.setMeta('ca_name', caName);
      if (keys.kind === 'pkcs11') reg.setMeta('pkcs11_module', keys.module);
      reg.audit.append(now, operator, 'ca.init', issuingInfo.serialHex, {
        caName,
        root: { serial: rootInfo.serialHex, subject: rootInfo.subjectText },
        issuing: { serial: issuingInfo.serialHex, subject: issuingInfo.subjectText },
        policyOid: catalogue.ca.policyOid,
        keys: keys.kind === 'pkcs11' ? { custody: 'pkcs11', module: keys.module, root: rootKeyRef, issuing: issuingKeyRef } : { custody: 'file', rootOffline: rootKeyOut !== undefined },
      });
      generateCrl(reg, ca, catalogue, operator);
      // Last in the transaction: from this record on, every change is signed by an operator's key.
      registerFirstOperator(reg, admin.name, admin.publicKey);
    });
    const crlFile = writeCrlFile(reg)!;
    return {
      home: paths.dir,
      root: { subject: rootInfo.subjectText, serial: rootInfo.serialHex, pem: rootPem },
      issuing: { subject: issuingInfo.subjectText, serial: issuingInfo.serialHex, pem: issuingPem },
      chainFile: paths.chain,
      crlFile,
      rootKey: rootKeyRef,
      issuingKey: issuingKeyRef,
    };
  } finally {
    reg.close();
  }
}

export interface IssueIssuingResult {
  issuing: { subject: string; serial: string; pem: string };
  issuingKey: string;
  chainFile: string;
  crlFile: string | undefined;
}

/**
 * `smki ca issue-issuing`: a new Issuing OCA key (a file under the CA passphrase, or in the token of
 * the current one) and its certificate, signed by the Root OCA key, which only this command opens.
 * The new Issuing OCA becomes current (the old certificate is kept in ca_certificate_history) and
 * signs a fresh CRL, all in one transaction with the audit record.
 */
export function issueIssuingOca(
  reg: Registry,
  catalogue: Catalogue,
  root: Signer,
  issuingSecret: { passphrase?: Buffer; pin?: Buffer },
  operator: OperatorKey,
): IssueIssuingResult {
  const rootRow = caCertificate(reg, 'root');
  const currentRow = caCertificate(reg, 'issuing');
  if (!rootRow || !currentRow) throw new InputError('the registry holds no CA certificates');
  const rootInfo = readCaCertificate(rootRow.der);
  if (!root.spkiDer.equals(rootInfo.spkiDer)) throw new InputError(`the Root OCA key ${root.label} does not belong to the Root OCA certificate`);
  const current = readCaCertificate(currentRow.der);
  const caName = reg.getMeta('ca_name') ?? catalogue.ca.defaultCaName;
  const now = new Date(Math.floor(reg.now().getTime() / 1000) * 1000);
  const stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 15);
  let signer: Signer;
  let keyRef: string;
  let writeKey = (): void => {};
  if (isPkcs11Uri(currentRow.keyFile)) {
    const token = parsePkcs11Uri(currentRow.keyFile).token ?? '';
    keyRef = formatPkcs11Uri(token, `${ISSUING_KEY_OBJECT}-${stamp}`);
    const module = process.env.SMKI_PKCS11_MODULE || reg.getMeta('pkcs11_module') || '';
    signer = generateTokenKey({ module, uri: keyRef, pin: () => issuingSecret.pin ?? Buffer.alloc(0) });
  } else {
    if (!issuingSecret.passphrase) throw new InputError('the new Issuing OCA key needs the CA passphrase');
    const pair = generateP256KeyPair();
    keyRef = join(reg.paths.keysDir, `issuing-oca-${stamp}.key.pem`);
    if (existsSync(keyRef)) throw new InputError(`${keyRef} exists; try again in a second`);
    signer = new FileKeySigner(pair.privateKey, keyRef);
    const passphrase = issuingSecret.passphrase;
    writeKey = () => writeSecretFile(keyRef, encryptPrivateKey(pair.privateKey, passphrase));
  }
  const tbs = buildIssuingOcaTbs({
    serial: newSerial(),
    commonName: caName,
    spkiDer: signer.spkiDer,
    rootNameDer: rootInfo.subjectNameDer,
    rootSpkiDer: rootInfo.spkiDer,
    notBefore: now,
    notAfter: new Date(Math.min(addYears(now, catalogue.ca.issuingValidityYears).getTime(), rootInfo.notAfter.getTime())),
    policyOid: catalogue.ca.policyOid,
  });
  const der = signCaCertificate(tbs, root);
  const info = readCaCertificate(der);
  writeKey();
  const ca = new IssuingAuthority(reg, signer, der, catalogue);
  reg.tx(() => {
    const acting = operatorFor(reg, operator, 'ca.issue-issuing', info.serialHex, { serial: info.serialHex, certSha256: createHash('sha256').update(der).digest('hex'), key: keyRef });
    replaceIssuingCertificate(reg, info.serialHex, der, keyRef, now);
    reg.audit.append(now, acting, 'ca.issue-issuing', info.serialHex, {
      subject: info.subjectText,
      replaces: current.serialHex,
      key: keyRef,
      certSha256: createHash('sha256').update(der).digest('hex'),
    });
    // The Issuing OCA just retired (and any before it) signs the CRL of its own certificates too.
    ca.retired = retiredIssuingAuthorities(reg, catalogue, (issuingSecret.passphrase ?? issuingSecret.pin)!);
    generateCrl(reg, ca, catalogue, acting);
  });
  const pem = toPem(der, 'CERTIFICATE');
  writeFileSync(reg.paths.issuingCert, pem, { mode: 0o644 });
  writeFileSync(reg.paths.chain, pem + toPem(rootRow.der, 'CERTIFICATE'), { mode: 0o644 });
  return { issuing: { subject: info.subjectText, serial: info.serialHex, pem }, issuingKey: keyRef, chainFile: reg.paths.chain, crlFile: writeCrlFile(reg) };
}
