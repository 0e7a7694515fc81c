// The issuing CA component: the only holder of the Issuing OCA Signer. It trusts no caller: just
// before signing it looks up the subject User ID's role in the registry itself, refuses anything for a
// SoLRContingency User ID but OU 87 with digitalSignature alone (MP134B requirement 2, held in code
// whatever ca-config says), and lints the exact bytes it is about to sign. It signs Organisation
// Certificates and CRLs, each built and linted by a method of its own; it never signs raw bytes.
import { verify } from 'node:crypto';
import { INPUT_LIMITS, readInputText } from '../util/read-input.js';
import { existsSync } from 'node:fs';
import type { Catalogue, RoleEntry } from '../config/catalogue.js';
import { InputError, IntegrityError, PolicyRefusal } from '../domain/errors.js';
import type { CertificateProfile, ProfileName } from '../domain/profiles.js';
import { reason, type Reason } from '../domain/reasons.js';
import { SOLR_CONTINGENCY, type UserRoleCode } from '../domain/roles.js';
import { caCertificate, retiredIssuingCertificates } from '../registry/certificates.js';
import { findUserId, type UserIdRecord } from '../registry/parties.js';
import type { Registry } from '../registry/registry.js';
import { decodeSigned, publicKeyFromSpki } from './asn1.js';
import { assembleCrl, buildCrlTbs, crlEntriesOf, type CarriedEntries, type RevokedEntry } from './crl.js';
import { lintCrlTbs } from './crl-lint.js';
import { decryptPrivateKey, deriveAhead, derivationsSettled } from './keystore.js';
import type { LintFinding } from './lint.js';
import { buildLintSign, type SignOrder, type SignResult } from './organisation-signing.js';
import type { CaSigningWorkers, SigningTicket } from './sign-pool.js';
import type { Eui64 } from '../domain/eui.js';
import {
  readCaCertificate,
  type CaCertificateInfo,
  type OrganisationCertificateTemplate,
} from './organisation-certificate.js';
import { FileKeySigner, type Signer } from './signer.js';
import { Pkcs11Signer } from './pkcs11.js';
import { isPkcs11Uri } from './pkcs11-uri.js';

export { newSerial } from './organisation-certificate.js';

/** What the caller (the RA) says it is asking for. The CA compares it with its own facts. */
export interface SignContext {
  role: UserRoleCode;
  profile: ProfileName;
}

/** The CA's own facts about a template: from the registry and its configuration, not the caller. */
export interface SignerFacts {
  /** The subject User ID's role as the registry holds it; undefined when no such User ID exists. */
  role: RoleEntry | undefined;
  profile: CertificateProfile | undefined;
  claimed: SignContext;
}

/** Pure: the signer's own refusal list for a template. */
export function signerChecks(t: OrganisationCertificateTemplate, f: SignerFacts): Reason[] {
  if (!f.role) return [reason('PARTY_UNKNOWN', `signer: no User ID ${t.subject.eui} in the registry`)];
  if (!f.profile) return [reason('LINT_FAILED', `signer: no certificate profile ${f.claimed.profile}`)];
  const reasons: Reason[] = [];
  if (f.claimed.role !== f.role.code || f.claimed.profile !== f.profile.name) {
    reasons.push(reason('SIGNER_CONTEXT_MISMATCH', `signer: asked for ${f.claimed.role}/${f.claimed.profile}; the registry holds ${t.subject.eui} as ${f.role.code}`));
  }
  if (f.role.code === SOLR_CONTINGENCY && (t.keyUsage !== 'digitalSignature' || t.subject.ou !== '87' || f.profile.gbcsDeviceKey)) {
    reasons.push(reason('SOLR_CONTINGENCY_XML_SIGN_ONLY', `signer: template has OU ${t.subject.ou} and ${t.keyUsage}`));
  }
  if (!f.role.profiles.includes(f.profile.name)) {
    reasons.push(reason('ROLE_PROFILE_FORBIDDEN', `signer: ${f.role.name} may not hold ${f.profile.name}`));
  }
  if (t.keyUsage !== f.profile.keyUsage) {
    reasons.push(reason('LINT_FAILED', `signer: keyUsage ${t.keyUsage} is not the profile's ${f.profile.keyUsage}`));
  }
  const ou = f.profile.subjectOu === 'role' ? f.role.remotePartyRole : f.profile.subjectOu;
  if (t.subject.ou !== ou) reasons.push(reason('LINT_FAILED', `signer: subject OU ${t.subject.ou} is not the profile's ${ou}`));
  return reasons;
}

/** A CRL's content; issuer name and key identifier are the CA's own. */
export interface CrlContent {
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  /** Entries to list first, unchanged: from `carriedFrom(previous CRL)`. */
  carried?: CarriedEntries;
  revoked: readonly RevokedEntry[];
}

export class IssuingAuthority {
  readonly nameDer: Buffer;
  readonly keyId: Buffer;
  /** The Issuing OCA certificate's serial (upper-case hex). */
  readonly serialHex: string;
  private readonly certificate: CaCertificateInfo;

  /**
   * @param certificateDer the Issuing OCA certificate; the signer's public key must be its key.
   */
  constructor(
    private readonly reg: Registry,
    private readonly signer: Signer,
    certificateDer: Buffer,
    private readonly catalogue: Catalogue,
  ) {
    this.certificate = readCaCertificate(certificateDer);
    if (!signer.spkiDer.equals(this.certificate.spkiDer)) throw new IntegrityError(`the Issuing OCA key ${signer.label} does not match its certificate`);
    this.nameDer = this.certificate.subjectNameDer;
    this.keyId = this.certificate.ski;
    this.serialHex = this.certificate.serialHex;
  }

  /** Retired Issuing OCAs (replaced by `ca issue-issuing`) whose keys were opened: they sign CRLs of their own certificates. */
  retired: readonly IssuingAuthority[] = [];

  get certificateDer(): Buffer {
    return this.certificate.der;
  }


  /** The Issuing OCA of a home, signing with the given Signer. */
  static open(reg: Registry, signer: Signer, catalogue: Catalogue): IssuingAuthority {
    const row = caCertificate(reg, 'issuing');
    if (!row) throw new IntegrityError('the registry holds no Issuing OCA certificate');
    return new IssuingAuthority(reg, signer, row.der, catalogue);
  }

  /** Decrypts the Issuing OCA key file of a home (the file key Signer). */
  static unlock(reg: Registry, passphrase: Buffer, catalogue: Catalogue): IssuingAuthority {
    return IssuingAuthority.open(reg, openFileKey(reg.paths.issuingKey, passphrase, 'Issuing OCA key'), catalogue);
  }

  /** The same key and certificate, deciding from another registry (a dry run's copy of the home). */
  forRegistry(reg: Registry): IssuingAuthority {
    return new IssuingAuthority(reg, this.signer, this.certificate.der, this.catalogue);
  }

  /**
   * Looks up the subject's role itself (by `userIdOf`: a batch's reader reads each User ID once),
   * re-checks, lints the TBS, then signs it. Returns the DER certificate.
   */
  signOrganisationCertificate(t: OrganisationCertificateTemplate, claimed: SignContext, userIdOf = (eui: Eui64) => findUserId(this.reg, eui)): Buffer {
    return signedOrRefused(this.#signInThread(this.#orderFor(t, claimed, userIdOf)));
  }

  /**
   * The CA's own checks of a template, from its own facts: the subject User ID's role as `userIdOf`
   * reads it from the registry, the profile from its configuration, the MP134B rules in code. A
   * refusal throws; otherwise the order to build, lint and sign, with lint's expectations from those facts.
   */
  #orderFor(t: OrganisationCertificateTemplate, claimed: SignContext, userIdOf: (eui: Eui64) => UserIdRecord | undefined): SignOrder {
    const userId = userIdOf(t.subject.eui);
    // A User ID may hold several roles (one Remote Party Role); a SoLRContingency User ID holds it alone.
    const held = userId && (userId.roles.includes(claimed.role) ? claimed.role : userId.role);
    const role = held ? this.catalogue.roles.get(held) : undefined;
    const profile = this.catalogue.profiles.get(claimed.profile);
    const refusals = signerChecks(t, { role, profile, claimed });
    if (refusals.length) throw new PolicyRefusal(refusals);
    // Expectations from the CA's own facts, so the bytes signed are the ones the registry allows.
    return {
      template: t,
      expect: {
        keyUsage: profile!.keyUsage,
        ou: (profile!.subjectOu === 'role' ? role!.remotePartyRole : profile!.subjectOu) ?? undefined,
        eui: userId!.eui,
        policyOid: this.catalogue.ca.policyOid,
        issuerNameDer: this.nameDer,
        authorityKeyId: this.keyId,
        issuerNotBefore: this.certificate.notBefore,
        issuerNotAfter: this.certificate.notAfter,
      },
    };
  }

  #signInThread(order: SignOrder): SignResult {
    return buildLintSign(order, (tbs) => this.signer.sign(tbs, 'der'));
  }

  #workers: CaSigningWorkers | undefined;

  /**
   * From now on batches (organisationBatch) are built, linted and signed by `size` worker threads
   * while this thread checks and stores. Only for a key other threads can use (a file key): false,
   * and signing stays in this thread, for a token key.
   */
  async startSigningWorkers(size?: number): Promise<boolean> {
    if (this.#workers) return true;
    const w = this.signer.signingWorkers?.(size);
    if (!w) return false;
    try {
      await w.ready();
    } catch (e) {
      await w.close();
      throw e;
    }
    this.#workers = w;
    return true;
  }

  async stopSigningWorkers(): Promise<void> {
    const w = this.#workers;
    this.#workers = undefined;
    await w?.close();
  }

  /**
   * A batch of Organisation Certificates inside one issuing transaction (the caller's). The CA reads
   * a User ID once for the batch: the transaction holds the write lock and issuance writes no User ID.
   */
  organisationBatch(chunk = 10): OrganisationBatch {
    const userIds = new Map<Eui64, UserIdRecord | undefined>();
    const userIdOf = (eui: Eui64) => {
      if (!userIds.has(eui)) userIds.set(eui, findUserId(this.reg, eui));
      return userIds.get(eui);
    };
    return new OrganisationBatch((t, claimed) => this.#orderFor(t, claimed, userIdOf), (t, claimed) => this.signOrganisationCertificate(t, claimed, userIdOf), (o) => this.#signInThread(o), this.#workers, chunk);
  }

  /** Builds this CA's CRL, lints the TBSCertList, signs it. Returns the DER CertificateList. */
  signCrl(c: CrlContent): Buffer {
    const tbs = buildCrlTbs({ ...c, issuerNameDer: this.nameDer, authorityKeyId: this.keyId });
    const findings = lintCrlTbs(tbs, { issuerNameDer: this.nameDer, authorityKeyId: this.keyId, crlNumber: c.crlNumber, carriedEntries: c.carried?.count ?? 0 });
    if (findings.length) throw new PolicyRefusal(findings.map((f) => reason('LINT_FAILED', `CRL ${f.code}: ${f.message}`)));
    return assembleCrl(tbs, this.signer.sign(tbs, 'der'));
  }
}

function signedOrRefused(r: SignResult): Buffer {
  if ('findings' in r) throw lintRefusal(r.findings);
  return r.der;
}

function lintRefusal(findings: LintFinding[]): PolicyRefusal {
  return new PolicyRefusal(findings.map((f) => reason('LINT_FAILED', `${f.code}: ${f.message}`)));
}

/** One certificate of a batch, signed or refused; `index` is the caller's. */
export type BatchSigned = { index: number; der: Buffer } | { index: number; refusal: PolicyRefusal };

/**
 * Organisation Certificates of one batch, in the order added. `add` makes the CA's checks at once (a
 * refusal throws); building, linting and signing follow in this thread, or in chunks by the CA's
 * signing workers while the caller goes on. A chunk goes to a worker only while the workers have
 * fewer than two chunks in hand; otherwise this thread signs it itself rather than wait (the work
 * balances itself between the cores, whatever else the machine runs). `ready` gives what is signed
 * so far, in order, `finish` the rest.
 */
export class OrganisationBatch {
  private queued: { index: number; order: SignOrder }[] = [];
  /** Chunks in order: sent to a worker (ticket), or signed here (results). */
  private readonly slots: { indexes: number[]; ticket?: SigningTicket; results?: SignResult[] }[] = [];
  private done: BatchSigned[] = [];

  constructor(
    private readonly order: (t: OrganisationCertificateTemplate, claimed: SignContext) => SignOrder,
    private readonly inThread: (t: OrganisationCertificateTemplate, claimed: SignContext) => Buffer,
    private readonly signHere: (o: SignOrder) => SignResult,
    private readonly workers: CaSigningWorkers | undefined,
    private readonly chunk: number,
  ) {}

  add(index: number, t: OrganisationCertificateTemplate, claimed: SignContext): void {
    if (!this.workers) {
      // A refusal (the CA's checks or lint) throws, as for one certificate.
      this.done.push({ index, der: this.inThread(t, claimed) });
      return;
    }
    this.queued.push({ index, order: this.order(t, claimed) });
    if (this.queued.length >= this.chunk) this.flush(2);
  }

  /** The queued orders to a worker while fewer than `busy` chunks are out, else signed here. */
  private flush(busy: number): void {
    if (!this.queued.length) return;
    this.collect();
    const out = this.slots.filter((s) => s.ticket && !s.results).length;
    const orders = this.queued.map((q) => q.order);
    this.slots.push({ indexes: this.queued.map((q) => q.index), ...(out < busy ? { ticket: this.workers!.submit(orders) } : { results: orders.map(this.signHere) }) });
    this.queued = [];
  }

  /** Answers that have come, and signed chunks at the head, moved to `done` in order. */
  private collect(wait = false): void {
    for (const s of this.slots) if (s.ticket && !s.results) s.results = this.workers!.poll(s.ticket);
    while (this.slots.length) {
      const head = this.slots[0]!;
      head.results ??= wait ? this.workers!.wait(head.ticket!) : undefined;
      if (!head.results) break;
      this.slots.shift();
      head.results.forEach((r, k) => this.done.push(outcome(head.indexes[k]!, r)));
    }
  }

  /** Signed or refused so far, in order, without waiting. */
  ready(): BatchSigned[] {
    if (this.workers) this.collect();
    const out = this.done;
    this.done = [];
    return out;
  }

  /** Everything added and not yet given, in order: the last chunk signed here unless a worker is idle. */
  finish(): BatchSigned[] {
    if (this.workers) {
      this.flush(1);
      this.collect(true);
    }
    return this.ready();
  }
}

function outcome(index: number, r: SignResult): BatchSigned {
  return 'der' in r ? { index, der: r.der } : { index, refusal: lintRefusal(r.findings) };
}

/**
 * The entries of an earlier CRL to carry into the CA's next one, if (checked here, not taken on trust)
 * it is this Issuing OCA's: its issuer and key identifier are the CA's and its signature verifies
 * under the CA's certificate key. Undefined otherwise (another key, or not a CRL): every entry is listed.
 */
export function carriedCrlEntries(ca: IssuingAuthority, previousCrlDer: Buffer): CarriedEntries | undefined {
  try {
    const prev = crlEntriesOf(previousCrlDer);
    if (!prev.issuerNameDer.equals(ca.nameDer) || !prev.authorityKeyId?.equals(ca.keyId)) return undefined;
    const signed = decodeSigned(previousCrlDer, 'CRL');
    const key = publicKeyFromSpki(readCaCertificate(ca.certificateDer).spkiDer);
    return verify('sha256', signed.tbs, { key, dsaEncoding: 'der' }, signed.signature) ? prev.entries : undefined;
  } catch {
    return undefined;
  }
}

/** An encrypted PKCS#8 key file as a Signer. */
export function openFileKey(path: string, passphrase: Buffer, what: string): Signer {
  const pem = readInputText(path, `the ${what}`, INPUT_LIMITS.pem);
  return new FileKeySigner(decryptPrivateKey(pem, passphrase, what), path);
}


/** How a home keeps one of its CA keys: an encrypted file, or a token key named by a pkcs11: URI. */
export function caKeyRef(reg: Registry, kind: 'root' | 'issuing'): { custody: 'file' | 'pkcs11'; ref: string } {
  const row = caCertificate(reg, kind);
  if (!row) throw new IntegrityError(`the registry holds no ${kind === 'root' ? 'Root' : 'Issuing'} OCA certificate`);
  return { custody: isPkcs11Uri(row.keyFile) ? 'pkcs11' : 'file', ref: row.keyFile };
}

/** The module a home's token keys live in: SMKI_PKCS11_MODULE, else the one recorded by `smki init`. */
export function pkcs11ModuleOf(reg: Registry): string {
  const module = process.env.SMKI_PKCS11_MODULE || reg.getMeta('pkcs11_module');
  if (!module) throw new InputError('PKCS#11: no module recorded in the home; set SMKI_PKCS11_MODULE');
  return module;
}

/** The Signer of a home's CA key, given the secret its custody needs (passphrase for a file, PIN for a token). */
export function homeKeySigner(reg: Registry, kind: 'root' | 'issuing', secret: Buffer, keyFile?: string): Signer {
  const { custody, ref } = caKeyRef(reg, kind);
  const what = kind === 'root' ? 'Root OCA key' : 'Issuing OCA key';
  if (custody === 'pkcs11') return new Pkcs11Signer({ module: pkcs11ModuleOf(reg), uri: keyFile ?? ref, pin: () => secret });
  if (keyFile && isPkcs11Uri(keyFile)) return new Pkcs11Signer({ module: pkcs11ModuleOf(reg), uri: keyFile, pin: () => secret });
  return openFileKey(keyFile ?? ref, secret, what);
}

/**
 * The scrypt derivations of the Issuing OCA's key files (current and retired) under `secret`, all at
 * once on libuv's thread pool (and joined with any started ahead: src/cli/early-unlock.ts), so that
 * openIssuingAuthority() only deciphers. Token keys and missing files are left to it.
 */
export async function deriveCaKeysAhead(reg: Registry, secret: Buffer): Promise<void> {
  const files = [caKeyRef(reg, 'issuing'), ...retiredIssuingCertificates(reg).map((r) => ({ ref: r.keyFile }))]
    .map((k) => k.ref)
    .filter((f) => !isPkcs11Uri(f) && existsSync(f));
  for (const f of files) {
    try {
      void deriveAhead(readInputText(f, 'the Issuing OCA key', INPUT_LIMITS.pem), secret);
    } catch {
      // Read again, and reported, by openFileKey.
    }
  }
  await derivationsSettled();
}

/** The Issuing OCA of a home with its key, file or token. */
export function openIssuingAuthority(reg: Registry, catalogue: Catalogue, secret: Buffer): IssuingAuthority {
  const ca = IssuingAuthority.open(reg, homeKeySigner(reg, 'issuing', secret), catalogue);
  ca.retired = retiredIssuingAuthorities(reg, catalogue, secret);
  return ca;
}

/**
 * Retired Issuing OCA keys kept in the home (or its token) under the same secret: each signs its own
 * CRL. One taken offline or destroyed is named in a warning, and its certificates' CRL stays as last signed.
 */
export function retiredIssuingAuthorities(reg: Registry, catalogue: Catalogue, secret: Buffer): IssuingAuthority[] {
  return retiredIssuingCertificates(reg).flatMap((old) => {
    if (!isPkcs11Uri(old.keyFile) && !existsSync(old.keyFile)) {
      reg.warnings.push(`the retired Issuing OCA ${readCaCertificate(old.der).serialHex} key ${old.keyFile} is not here: its CRL is not re-signed`);
      return [];
    }
    return [new IssuingAuthority(reg, homeKeySigner(reg, 'issuing', secret, old.keyFile), old.der, catalogue)];
  });
}
