// The one issuance pipeline (docs/issuance.md): CSR gate, RA policy, template, serial recorded before
// signing, signer re-check + lint + sign, certificate and audit record stored in one transaction.
import { createHash } from 'node:crypto';
import type { IssuingAuthority } from '../ca/authority.js';
import { newSerial } from '../ca/authority.js';
import { checkCsr, parseCsr } from '../ca/csr.js';
import type { OrganisationCertificateTemplate } from '../ca/organisation-certificate.js';
import type { Catalogue } from '../config/catalogue.js';
import { PolicyRefusal } from '../domain/errors.js';
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

export function issueCertificate(reg: Registry, ca: IssuingAuthority, catalogue: Catalogue, req: IssueRequest): CertificateRecord {
  // 1. CSR gate: parse (malformed input is exit 4) and the pure checks.
  const csr = parseCsr(req.csr);
  const csrReasons = checkCsr(csr);
  // 2. Facts from the registry, then the RA decision.
  const userId = requireUserId(reg, req.party);
  const role = catalogue.roles.get(userId.role)!;
  const profile = catalogue.profiles.get(req.profile)!;
  const spkiSha256 = spkiFingerprint(csr.spkiDer);
  const reasons = decideIssuance({
    csrReasons,
    csrEui: csr.subjectEui,
    userId,
    role,
    profileName: req.profile,
    profile,
    officerId: req.officerId,
    officer: findOfficer(reg, req.officerId),
    keyCertifiedBy: spkiCertified(reg, spkiSha256),
  });
  if (reasons.length) throw new PolicyRefusal(reasons);

  // 3. The template, exactly to the SMKI Organisation Certificate profile.
  const now = reg.now();
  const serial = newSerial();
  const serialHex = serial.toString('hex').toUpperCase();
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
  const officer = findOfficer(reg, req.officerId)!;

  // 4. Record the serial before anything is signed with it. Not fsynced on its own: WAL keeps
  //    order, so the durable commit in step 6 makes it durable too, and a certificate never leaves
  //    this process before that commit.
  reg.tx(() => {
    reserveSerial(reg, serialHex, userId.eui, req.profile, now);
    reg.audit.append(now, officer.id, 'serial.reserve', serialHex, { userId: userId.eui, profile: req.profile });
  }, { durable: false });

  // 5. The signer re-checks the role/profile rule and lints before signing.
  const der = ca.signOrganisationCertificate(template, { role, profile });

  // 6. Store the certificate and its audit record in one transaction.
  reg.tx(() => {
    insertCertificate(reg, {
      serial: serialHex,
      userId: userId.eui,
      profile: req.profile,
      roleOu: template.subject.ou,
      keyUsage: template.keyUsage,
      spkiSha256,
      issuerDer: ca.nameDer,
      notBefore: template.notBefore.toISOString(),
      notAfter: template.notAfter.toISOString(),
      der,
      source: 'issued',
      officerId: officer.id,
      createdAt: now.toISOString(),
    });
    reg.audit.append(now, officer.id, 'cert.issue', serialHex, {
      userId: userId.eui,
      party: userId.partyName,
      role: userId.role,
      profile: req.profile,
      ou: template.subject.ou,
      keyUsage: template.keyUsage,
      spkiSha256,
      certSha256: createHash('sha256').update(der).digest('hex'),
    });
  });
  return findCertificate(reg, serialHex)!;
}
