// Certificates this CA did not issue but must know: above all a failed Supplier's GBCS Digital
// Signing certificate, which meters still trust after the DCC revokes it (the gate checks Signed
// Pre-Commands against it). They are recorded with source 'registered' and never on this CA's CRL,
// and only when they chain to a trust anchor an RA operator registered (`smki ca trust`), fit the
// User ID's role, and an operator acts for the change.
import { createHash } from 'node:crypto';
import { notSignedBy, orderedAnchorChain } from '../ca/chain.js';
import { allFromPem } from '../ca/pem.js';
import { readCaCertificate, readOrganisationCertificate } from '../ca/organisation-certificate.js';
import type { Catalogue } from '../config/catalogue.js';
import { InputError, PolicyRefusal } from '../domain/errors.js';
import type { Eui64 } from '../domain/eui.js';
import { reason } from '../domain/reasons.js';
import { findCertificate, insertCertificate, spkiCertified, type CertificateRecord } from '../registry/certificates.js';
import type { Registry } from '../registry/registry.js';
import { findTrustAnchor, insertTrustAnchor, trustAnchorsNamed, type TrustAnchorRecord } from '../registry/trust-anchors.js';
import { requireUserId } from './parties.js';
import { spkiFingerprint } from './issue.js';
import { decideRegistration, profileOfCertificate } from './registration-policy.js';
import { operatorFor, type OperatorKey } from './credentials.js';

const PURPOSE = 'organisation-certificates' as const;
const sha256 = (der: Buffer): string => createHash('sha256').update(der).digest('hex');

/**
 * `smki ca trust`: records another CA's chain (its Issuing OCA up to its self-signed Root) as trust
 * anchors for registered Organisation Certificates. Idempotent: certificates already trusted are kept.
 */
export function trustCaChain(reg: Registry, input: { pem: Buffer | string; operator: OperatorKey }): { added: TrustAnchorRecord[]; kept: TrustAnchorRecord[] } {
  const text = Buffer.isBuffer(input.pem) ? input.pem.toString('latin1') : input.pem;
  const ders = text.includes('-----BEGIN') ? allFromPem(text, ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'], '--file') : [Buffer.from(input.pem)];
  const chain = orderedAnchorChain(ders.map((d, i) => readCaCertificate(d, `--file certificate ${i + 1}`)));
  return reg.tx(() => {
    const operator = operatorFor(reg, input.operator, 'ca.trust', '', { certificates: chain.map((c) => sha256(c.der)) });
    const at = reg.now().toISOString();
    const added: TrustAnchorRecord[] = [];
    const kept: TrustAnchorRecord[] = [];
    chain.forEach((c, i) => {
      const existing = findTrustAnchor(reg, sha256(c.der));
      if (existing) {
        kept.push(existing);
        return;
      }
      const record: TrustAnchorRecord = {
        sha256: sha256(c.der),
        subjectDer: c.subjectNameDer,
        subject: c.subjectText,
        der: c.der,
        kind: i === chain.length - 1 ? 'root' : 'intermediate',
        purpose: PURPOSE,
        registeredAt: at,
        registeredBy: operator.name,
      };
      insertTrustAnchor(reg, record);
      added.push(record);
    });
    if (added.length > 0) {
      reg.audit.append(new Date(at), operator, 'ca.trust', added[0]!.sha256, {
        purpose: PURPOSE,
        certificates: added.map((a) => ({ subject: a.subject, kind: a.kind, certSha256: a.sha256 })),
      });
    }
    return { added, kept };
  });
}

/** The registered trust anchor that signed a certificate, or why none did. */
export function findSigningAnchor(reg: Registry, cert: ReturnType<typeof readOrganisationCertificate>): { anchor: TrustAnchorRecord } | { problem: string } {
  const named = trustAnchorsNamed(reg, cert.issuerNameDer, PURPOSE);
  if (named.length === 0) return { problem: `no trust anchor named ${cert.issuerText} is registered` };
  let problem = '';
  for (const anchor of named) {
    const why = notSignedBy(cert, readCaCertificate(anchor.der));
    if (!why) return { anchor };
    problem = why;
  }
  return { problem };
}

export function registerExternalCertificate(
  reg: Registry,
  catalogue: Catalogue,
  input: { der: Buffer | string; party: Eui64; operator: OperatorKey },
): CertificateRecord {
  const info = readOrganisationCertificate(input.der);
  const userId = requireUserId(reg, input.party);
  if (info.eui !== userId.eui) throw new InputError(`--party: the certificate's Entity Identifier is ${info.eui}, not ${userId.eui}`);
  if (info.keyUsage.length !== 1) throw new InputError(`--file: the certificate has keyUsage ${info.keyUsage.join('+')}; an Organisation Certificate has exactly one`);
  const keyUsage = info.keyUsage[0]!;
  const role = catalogue.roles.get(userId.role)!;
  const signing = findSigningAnchor(reg, info);
  const reasons = decideRegistration({
    role,
    remotePartyRole: info.remotePartyRole,
    keyUsage,
    chainProblem: 'problem' in signing ? signing.problem : undefined,
    operator: 'label' in input.operator ? input.operator.label : input.operator.name,
  });
  if (reasons.length) throw new PolicyRefusal(reasons);
  const anchor = (signing as { anchor: TrustAnchorRecord }).anchor;
  const profile = profileOfCertificate(info.remotePartyRole, keyUsage)!;
  return reg.tx(() => {
    const operator = operatorFor(reg, input.operator, 'cert.register', info.serialHex, { party: input.party, certSha256: sha256(info.der) });
    const existing = findCertificate(reg, info.serialHex);
    if (existing) {
      if (existing.der.equals(info.der)) return existing;
      throw new InputError(`--file: another certificate with serial ${info.serialHex} is already recorded`);
    }
    const spkiSha256 = spkiFingerprint(info.spkiDer);
    const dup = spkiCertified(reg, spkiSha256);
    if (dup) throw new InputError(`--file: its public key is already recorded in certificate ${dup}`);
    const at = reg.now();
    insertCertificate(reg, {
      serial: info.serialHex,
      userId: userId.eui,
      profile,
      roleOu: info.roleOu,
      keyUsage,
      spkiSha256,
      issuerDer: info.issuerNameDer,
      notBefore: info.notBefore.toISOString(),
      notAfter: info.notAfter.toISOString(),
      der: info.der,
      source: 'registered',
      officerId: null,
      createdAt: at.toISOString(),
    });
    reg.audit.append(at, operator, 'cert.register', info.serialHex, {
      userId: userId.eui,
      party: userId.partyName,
      role: userId.role,
      profile,
      issuer: info.issuerText,
      ou: info.roleOu,
      keyUsage,
      spkiSha256,
      certSha256: sha256(info.der),
      trustAnchor: { subject: anchor.subject, certSha256: anchor.sha256 },
    });
    return findCertificate(reg, info.serialHex)!;
  });
}
