// The one issuance pipeline (docs/issuance.md): CSR gate, RA policy, template, serial recorded before
// signing, signer re-check + lint + sign, certificate and audit record stored in one transaction.
// One request or a batch go through the same steps; a batch shares its commits.
import { createHash } from 'node:crypto';
import type { IssuingAuthority } from '../ca/authority.js';
import { newSerial } from '../ca/authority.js';
import { checkCsr, parseCsr } from '../ca/csr.js';
import type { OrganisationCertificateTemplate } from '../ca/organisation-certificate.js';
import type { Catalogue, RoleEntry } from '../config/catalogue.js';
import type { CertificateProfile } from '../domain/profiles.js';
import type { UserIdRecord } from '../registry/parties.js';
import { InputError, PolicyRefusal } from '../domain/errors.js';
import type { Eui64 } from '../domain/eui.js';
import type { ProfileName } from '../domain/profiles.js';
import { insertCertificate, reserveSerial, spkiCertified, type CertificateRecord, findCertificate } from '../registry/certificates.js';
import { findOfficer } from '../registry/officers.js';
import type { Registry } from '../registry/registry.js';
import { decideIssuance, subjectOuFor } from './issuance-policy.js';
import { requireUserId } from './parties.js';

export interface IssueRequest {
  csr: Buffer | string;
  profile: ProfileName;
  party: Eui64;
  officerId: string;
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
  index: number;
  template: OrganisationCertificateTemplate;
  serialHex: string;
  spkiSha256: string;
  userId: UserIdRecord;
  role: RoleEntry;
  profile: CertificateProfile;
  officerId: string;
}

/** One request through steps 1-5 of docs/issuance.md: the decision and the template, nothing written. */
function plan(reg: Registry, ca: IssuingAuthority, catalogue: Catalogue, req: IssueRequest, now: Date, batchKeys: Set<string>): Omit<Planned, 'index'> {
  // 1-2. CSR gate: parse (malformed input is exit 4) and the pure checks.
  const csr = parseCsr(req.csr);
  const csrReasons = checkCsr(csr);
  // 3. Facts from the registry, then 4. the RA decision.
  const userId = requireUserId(reg, req.party);
  const role = catalogue.roles.get(userId.role)!;
  const profile = catalogue.profiles.get(req.profile)!;
  const spkiSha256 = spkiFingerprint(csr.spkiDer);
  const reasons = decideIssuance({
    csrReasons,
    csrEui: csr.subjectEui,
    csrOu: csr.subjectOu,
    csrKeyUsage: csr.requestedKeyUsage,
    userId,
    role,
    profileName: req.profile,
    profile,
    officerId: req.officerId,
    officer: findOfficer(reg, req.officerId),
    keyCertifiedBy: spkiCertified(reg, spkiSha256) ?? (batchKeys.has(spkiSha256) ? '(earlier in this batch)' : undefined),
  });
  if (reasons.length) throw new PolicyRefusal(reasons);
  batchKeys.add(spkiSha256);
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
  return { template, serialHex: serial.toString('hex').toUpperCase(), spkiSha256, userId, role, profile, officerId: findOfficer(reg, req.officerId)!.id };
}

/**
 * The issuance pipeline for one or more requests. Each request is decided on its own (a refusal or
 * malformed CSR affects only that request); the approved ones share the serial-reservation commit and
 * the durable commit that stores each certificate with its audit record (group commit: one fsync).
 */
export function issueCertificates(reg: Registry, ca: IssuingAuthority, catalogue: Catalogue, reqs: IssueRequest[]): IssueOutcome[] {
  const now = reg.now();
  const outcomes: IssueOutcome[] = new Array(reqs.length);
  const planned: Planned[] = [];
  const batchKeys = new Set<string>();
  reqs.forEach((req, index) => {
    try {
      planned.push({ index, ...plan(reg, ca, catalogue, req, now, batchKeys) });
    } catch (e) {
      if (e instanceof PolicyRefusal || e instanceof InputError) outcomes[index] = { ok: false, error: e };
      else throw e;
    }
  });
  if (planned.length === 0) return outcomes;

  // 6. Record the serials before anything is signed with them. Not fsynced on its own: WAL keeps
  //    order, so the durable commit of step 8 makes it durable too, and no certificate leaves this
  //    process before that commit.
  reg.tx(() => {
    for (const p of planned) {
      reserveSerial(reg, p.serialHex, p.userId.eui, p.profile.name, now);
      reg.audit.append(now, p.officerId, 'serial.reserve', p.serialHex, { userId: p.userId.eui, profile: p.profile.name });
    }
  }, { durable: false });

  // 7. The CA looks up the subject's role itself, re-checks the role/profile rule and lints before signing.
  const signed: { p: Planned; der: Buffer }[] = [];
  for (const p of planned) {
    try {
      signed.push({ p, der: ca.signOrganisationCertificate(p.template, { role: p.role.code, profile: p.profile.name }) });
    } catch (e) {
      if (e instanceof PolicyRefusal) outcomes[p.index] = { ok: false, error: e };
      else throw e;
    }
  }

  // 8. Store each certificate with its audit record; one durable commit for the batch.
  reg.tx(() => {
    for (const { p, der } of signed) {
      insertCertificate(reg, {
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
        officerId: p.officerId,
        createdAt: now.toISOString(),
      });
      reg.audit.append(now, p.officerId, 'cert.issue', p.serialHex, {
        userId: p.userId.eui,
        party: p.userId.partyName,
        role: p.userId.role,
        profile: p.profile.name,
        ou: p.template.subject.ou,
        keyUsage: p.template.keyUsage,
        spkiSha256: p.spkiSha256,
        certSha256: createHash('sha256').update(der).digest('hex'),
      });
    }
  });
  for (const { p } of signed) outcomes[p.index] = { ok: true, certificate: findCertificate(reg, p.serialHex)! };
  return outcomes;
}

/** One request: the certificate, or the refusal / malformed-input error thrown. */
export function issueCertificate(reg: Registry, ca: IssuingAuthority, catalogue: Catalogue, req: IssueRequest): CertificateRecord {
  const [o] = issueCertificates(reg, ca, catalogue, [req]);
  if (!o!.ok) throw o!.error;
  return o!.certificate;
}
