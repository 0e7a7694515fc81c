// The one issuance pipeline (docs/issuance.md): CSR gate, RA policy, template, signer re-check + lint +
// sign, then certificate, its key and audit record stored; all inside one transaction, so the decision
// is made where its effects are written. One request or a batch go through the same steps; a batch
// shares its commit.
import { createHash } from 'node:crypto';
import type { BatchSigned, IssuingAuthority } from '../ca/authority.js';
import { newSerial } from '../ca/authority.js';
import { checkCsr, parseCsr } from '../ca/csr.js';
import { checkedCsr, reviveCsrAnswer, type CsrAnswer, type CsrFacts, type CsrPool } from '../ca/csr-pool.js';
import type { Reason } from '../domain/reasons.js';
import type { OrganisationCertificateTemplate } from '../ca/organisation-certificate.js';
import type { Catalogue, RoleEntry } from '../config/catalogue.js';
import type { CertificateProfile } from '../domain/profiles.js';
import type { UserIdRecord } from '../registry/parties.js';
import { InputError, PolicyRefusal } from '../domain/errors.js';
import type { Eui64 } from '../domain/eui.js';
import type { ProfileName } from '../domain/profiles.js';
import { checkCertifiedKeysAhead, insertCertificate, spkiCertified, type CertificateRecord } from '../registry/certificates.js';
import { findOfficer } from '../registry/officers.js';
import type { Registry } from '../registry/registry.js';
import { decideIssuance, subjectOuFor } from './issuance-policy.js';
import { actAsOfficer, decideOfficerKey, requireClaimedOfficer, type OfficerActing, type OfficerKey } from './credentials.js';
import { requireUserId } from './parties.js';

export interface IssueRequest {
  csr: Buffer | string;
  profile: ProfileName;
  party: Eui64;
  /** The requesting ARO's key (--officer-key): the request is the statement it signs. */
  officer: OfficerKey;
  /** The requesting ARO's ID (--officer), if given: it must be the officer whose key signs. */
  officerId?: string;
}

/** What the officer's statement says of one request: the CSR's SHA-256, the profile and the Party. */
function requestArgs(r: IssueRequest): Record<string, unknown> {
  return { csrSha256: createHash('sha256').update(typeof r.csr === 'string' ? Buffer.from(r.csr) : r.csr).digest('hex'), profile: r.profile, party: r.party };
}

/** Requests one officer statement covers: each audit record carries its statement, so a batch's statements stay small. */
const REQUESTS_PER_STATEMENT = 10;

/**
 * At the start of the issuing transaction: each distinct officer key of the batch signs a statement
 * of its requests (one for every REQUESTS_PER_STATEMENT of them), checked against the registered
 * officer key; a key that is refused refuses its requests.
 */
function officerActings(reg: Registry, reqs: IssueRequest[]): Map<IssueRequest, OfficerActing | PolicyRefusal> {
  const out = new Map<IssueRequest, OfficerActing | PolicyRefusal>();
  for (const key of new Set(reqs.map((r) => r.officer))) {
    const mine = reqs.filter((r) => r.officer === key);
    for (let i = 0; i < mine.length; i += REQUESTS_PER_STATEMENT) {
      const group = mine.slice(i, i + REQUESTS_PER_STATEMENT);
      let acting: OfficerActing | PolicyRefusal;
      try {
        acting = actAsOfficer(reg, key, 'cert.issue', '', { requests: group.map(requestArgs) });
      } catch (e) {
        if (!(e instanceof PolicyRefusal)) throw e;
        acting = e;
      }
      for (const r of group) out.set(r, acting);
    }
  }
  return out;
}

/** Steps 1-2 in this thread. */
function csrGate(input: Buffer | string): { facts: CsrFacts; reasons: Reason[] } {
  const csr = parseCsr(input);
  return checkedCsr(csr, checkCsr(csr));
}

function checkedAnswer(a: CsrAnswer): { facts: CsrFacts; reasons: Reason[] } {
  if ('malformed' in a) throw new InputError(a.malformed);
  return a;
}

/** Steps 1-2 of one request, here or by a CSR worker, with its key's fingerprint; a malformed CSR is its InputError. */
type Gated = { facts: CsrFacts; reasons: Reason[]; spkiSha256: string } | InputError;

function gate(req: IssueRequest, read: CsrAnswer | undefined): Gated {
  try {
    const g = read ? checkedAnswer(read) : csrGate(req.csr);
    return { ...g, spkiSha256: spkiFingerprint(g.facts.spkiDer) };
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
}

export function spkiFingerprint(spkiDer: Buffer): string {
  return createHash('sha256').update(spkiDer).digest('hex');
}

/** Whole seconds: X.509 times carry no fractions. */
function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

export function organisationValidity(now: Date, years: number): { notBefore: Date; notAfter: Date } {
  const notBefore = wholeSeconds(now);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  notAfter.setTime(notAfter.getTime() - 1000);
  return { notBefore, notAfter };
}

export type IssueOutcome =
  | { ok: true; certificate: CertificateRecord }
  | { ok: false; error: PolicyRefusal | InputError };

interface Planned {
  template: OrganisationCertificateTemplate;
  serialHex: string;
  spkiSha256: string;
  userId: UserIdRecord;
  role: RoleEntry;
  profile: CertificateProfile;
  officer: OfficerActing;
}

/** One request through steps 1-5 of docs/issuance.md: the decision and the template, nothing written (call inside the issuing transaction). */
/**
 * Registry facts one issueCertificates call reads once: its transaction holds the write lock and
 * writes only certificates, certified keys and audit records, so a User ID or officer read for the first
 * request of a batch is what the last one would read too.
 */
class BatchFacts {
  private readonly userIds = new Map<Eui64, UserIdRecord>();
  private readonly officers = new Map<string, ReturnType<typeof findOfficer>>();
  constructor(private readonly reg: Registry) {}

  userId(eui: Eui64): UserIdRecord {
    let u = this.userIds.get(eui);
    if (!u) this.userIds.set(eui, (u = requireUserId(this.reg, eui)));
    return u;
  }

  officer(id: string): ReturnType<typeof findOfficer> {
    if (!this.officers.has(id)) this.officers.set(id, findOfficer(this.reg, id));
    return this.officers.get(id);
  }
}

function plan(reg: Registry, ca: IssuingAuthority, catalogue: Catalogue, req: IssueRequest, now: Date, batch: { keys: Set<string>; facts: BatchFacts }, acting: OfficerActing | PolicyRefusal, gated: Gated): Planned {
  // 1-2. CSR gate: parse (malformed input is exit 4) and the pure checks, done for the whole batch first.
  if (gated instanceof InputError) throw gated;
  const { facts: csr, reasons: csrReasons, spkiSha256 } = gated;
  // 3. Facts from the registry: the requesting officer is the one whose key signed (--officer, if
  //    given, must name them), then 4. the RA decision.
  requireClaimedOfficer(reg, req.officerId, (id) => batch.facts.officer(id));
  if (acting instanceof PolicyRefusal) throw acting;
  const claimed = decideOfficerKey(acting.keyId, [acting.officer], req.officerId).reasons;
  if (claimed.length) throw new PolicyRefusal(claimed);
  const userId = batch.facts.userId(req.party);
  const officer = batch.facts.officer(acting.officer.id);
  const role = catalogue.roles.get(userId.role)!;
  const profile = catalogue.profiles.get(req.profile)!;
  const reasons = decideIssuance({
    csrReasons,
    csrEui: csr.subjectEui,
    csrOu: csr.subjectOu,
    csrKeyUsage: csr.requestedKeyUsage,
    userId,
    role,
    profileName: req.profile,
    profile,
    officerId: acting.officer.id,
    officer,
    keyCertifiedBy: spkiCertified(reg, spkiSha256) ?? (batch.keys.has(spkiSha256) ? '(earlier in this batch)' : undefined),
  });
  if (reasons.length) throw new PolicyRefusal(reasons);
  // 5. The template, exactly to the SMKI Organisation Certificate profile.
  const serial = newSerial();
  const template: OrganisationCertificateTemplate = {
    serial,
    issuerNameDer: ca.nameDer,
    subject: { commonName: csr.subjectCommonName, ou: subjectOuFor(profile, role)!, eui: userId.eui },
    spkiDer: csr.spkiDer,
    keyUsage: profile.keyUsage,
    policyOid: catalogue.ca.policyOid,
    ...organisationValidity(now, catalogue.ca.organisationValidityYears),
    authorityKeyId: ca.keyId,
  };
  return { template, serialHex: serial.toString('hex').toUpperCase(), spkiSha256, userId, role, profile, officer: acting };
}

/**
 * The issuance pipeline for one or more requests, as one transaction: each request is decided on its
 * own inside it (a refusal or malformed CSR affects only that request), so the decision sees every
 * commit of every other process (a key certified meanwhile, an ARO suspended meanwhile) and is the one
 * that the stored certificate rests on. A refusal, from the RA or from the signer's own checks and
 * lint, writes nothing; the approved ones share one durable commit (group commit: one fsync).
 */
export function issueCertificates(reg: Registry, ca: IssuingAuthority, catalogue: Catalogue, reqs: IssueRequest[], read?: CsrAnswer[]): IssueOutcome[] {
  if (read && read.length !== reqs.length) throw new RangeError(`${read.length} CSR answers for ${reqs.length} requests`);
  return reg.tx(() => {
    const now = reg.now();
    const outcomes: IssueOutcome[] = new Array(reqs.length);
    const batch = { keys: new Set<string>(), facts: new BatchFacts(reg) };
    const actings = officerActings(reg, reqs);
    // 7. The CA looks up the subject's role itself (once a batch), re-checks the role/profile rule and
    //    lints the exact bytes before signing them, in this thread or in its signing workers.
    const signing = ca.organisationBatch();
    const planned: Planned[] = new Array(reqs.length);
    // 1-2 for every request first, so that the buckets of the keys the batch asks about (is this key
    // certified?) are verified together, not one query a request.
    const gated = reqs.map((req, index) => gate(req, read?.[index]));
    checkCertifiedKeysAhead(reg, gated.flatMap((g) => (g instanceof InputError ? [] : [g.spkiSha256])));
    // 8. Store the serial, the certificate and its audit record, in request order as each is signed.
    const stored = (done: BatchSigned[]) => {
      for (const d of done) {
        outcomes[d.index] = 'der' in d ? { ok: true, certificate: store(reg, ca, planned[d.index]!, d.der, now) } : { ok: false, error: d.refusal };
      }
    };
    reqs.forEach((req, index) => {
      try {
        // 1-5. The decision and the template, from the registry as it is inside this transaction.
        const p = plan(reg, ca, catalogue, req, now, batch, actings.get(req)!, gated[index]!);
        // 6. The serial goes on record with the certificate; nothing leaves this process before commit.
        planned[index] = p;
        signing.add(index, p.template, { role: p.role.code, profile: p.profile.name });
        // The key counts as certified in this batch from now on, while it is being signed: a later
        // request with it is refused (should the CA's lint then refuse this one, both are refused).
        batch.keys.add(p.spkiSha256);
      } catch (e) {
        if (e instanceof PolicyRefusal || e instanceof InputError) outcomes[index] = { ok: false, error: e };
        else throw e;
      }
      stored(signing.ready());
    });
    stored(signing.finish());
    return outcomes;
  });
}

/** Stores the certificate (with its key, in certified_keys) and its audit record; returns the certificate as stored. */
function store(reg: Registry, ca: IssuingAuthority, p: Planned, der: Buffer, now: Date): CertificateRecord {
  const stored = {
    serial: p.serialHex,
    userId: p.userId.eui,
    profile: p.profile.name,
    roleOu: p.template.subject.ou,
    keyUsage: p.template.keyUsage,
    spkiSha256: p.spkiSha256,
    issuerDer: ca.nameDer,
    notBefore: p.template.notBefore.toISOString(),
    notAfter: p.template.notAfter.toISOString(),
    der,
    source: 'issued',
    officerId: p.officer.officer.id,
    createdAt: now.toISOString(),
  } as const;
  insertCertificate(reg, stored);
  reg.audit.append(now, p.officer, 'cert.issue', p.serialHex, {
    userId: p.userId.eui,
    party: p.userId.partyName,
    role: p.userId.role,
    profile: p.profile.name,
    ou: p.template.subject.ou,
    keyUsage: p.template.keyUsage,
    spkiSha256: p.spkiSha256,
    certSha256: createHash('sha256').update(der).digest('hex'),
  });
  return { ...stored, status: 'valid', revokedAt: null, revocationReason: null, solrEventId: null };
}

/**
 * issueCertificates over batches of `batch`, with steps 1-2 (CSR parse and pure checks) done by
 * `pool`'s workers while earlier batches are decided, signed and committed here, each batch one
 * transaction as issueCertificates runs it.
 */
export async function issueCertificatesWithWorkers(reg: Registry, ca: IssuingAuthority, catalogue: Catalogue, reqs: IssueRequest[], pool: CsrPool, batch = 100): Promise<IssueOutcome[]> {
  const outcomes: IssueOutcome[] = [];
  let answers: CsrAnswer[] = [];
  const decide = () => {
    const from = outcomes.length;
    outcomes.push(...issueCertificates(reg, ca, catalogue, reqs.slice(from, from + answers.length), answers));
    answers = [];
  };
  for await (const chunk of pool.answers(reqs.map((r) => r.csr))) {
    answers.push(...chunk.map(reviveCsrAnswer));
    if (answers.length >= batch) decide();
  }
  if (answers.length) decide();
  return outcomes;
}

/** One request: the certificate, or the refusal / malformed-input error thrown. */
export function issueCertificate(reg: Registry, ca: IssuingAuthority, catalogue: Catalogue, req: IssueRequest): CertificateRecord {
  const [o] = issueCertificates(reg, ca, catalogue, [req]);
  if (!o!.ok) throw o!.error;
  return o!.certificate;
}
