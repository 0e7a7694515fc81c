// Revoking certificates: the state change, its audit record and a fresh CRL in one transaction.
import type { IssuingAuthority } from '../ca/authority.js';
import { generateCrl, writeCrlFile, type SignedCrl } from '../ca/crl-publisher.js';
import { revocationReasonName, type RevocationReason } from '../ca/crl.js';
import type { Catalogue } from '../config/catalogue.js';
import { InputError, PolicyRefusal } from '../domain/errors.js';
import { reason } from '../domain/reasons.js';
import type { Eui64 } from '../domain/eui.js';
import { findCertificate, markRevoked, nextCrlNumber, revokeValidOf, type CertificateRecord, type RevokedCertificate } from '../registry/certificates.js';
import type { AuditActor } from '../registry/audit.js';
import type { Registry } from '../registry/registry.js';
import { operatorFor, type OperatorKey } from './credentials.js';

export function normaliseSerial(text: string): string {
  const t = String(text ?? '').trim().replace(/^0x/i, '').replace(/:/g, '');
  if (!/^[0-9a-fA-F]{1,40}$/.test(t)) throw new InputError(`serial: '${text}' is not a hex serial number`);
  return t.toUpperCase();
}

export function requireCertificate(reg: Registry, serialText: string): CertificateRecord {
  const serial = normaliseSerial(serialText);
  const c = findCertificate(reg, serial) ?? findCertificate(reg, serial.replace(/^0+/, ''));
  if (!c) throw new InputError(`no certificate with serial ${serial} (see 'smki cert list')`);
  return c;
}

export function revokeCertificates(
  reg: Registry,
  ca: IssuingAuthority,
  catalogue: Catalogue,
  serials: string[],
  why: RevocationReason,
  /** The acting RA operator's key (--as), or the enclosing transaction's Acting. */
  operator: OperatorKey,
  solrEventId: string | null = null,
): { revoked: RevokedCertificate[]; crlNumber: number; crlFile: string | undefined } {
  const result = reg.tx(() => {
    const actor = operatorFor(reg, operator, 'cert.revoke', serials.length === 1 ? serials[0]! : '', { serials, reason: revocationReasonName(why) });
    const at = reg.now();
    const crlNumber = nextCrlNumber(reg);
    const revoked: RevokedCertificate[] = [];
    for (const s of serials) {
      const c = requireCertificate(reg, s);
      if (c.status === 'revoked') {
        if (serials.length === 1) throw new PolicyRefusal([reason('CERT_ALREADY_REVOKED', `${c.serial} on ${c.revokedAt}`)]);
        continue;
      }
      markRevoked(reg, c.serial, revocationReasonName(why), at, solrEventId, crlNumber);
      revoked.push({ serial: c.serial, userId: c.userId, profile: c.profile, source: c.source, revokedAt: at.toISOString(), reason: revocationReasonName(why) });
    }
    return finishRevocation(reg, ca, catalogue, revoked, why, actor, solrEventId, at);
  });
  // Inside a caller's transaction the caller writes the file once everything has committed.
  return { ...result, crlFile: reg.inTransaction ? undefined : writeCrlFile(reg) };
}

/** `smki crl --refresh`: a new CRL signed now, in one transaction with its audit record. */
export function refreshCrl(reg: Registry, ca: IssuingAuthority, catalogue: Catalogue, operator: OperatorKey): SignedCrl & { crlFile: string | undefined } {
  const crl = reg.tx(() => generateCrl(reg, ca, catalogue, operatorFor(reg, operator, 'crl.generate', '', {})));
  return { ...crl, crlFile: writeCrlFile(reg) };
}

/**
 * Revokes every valid certificate of the given User IDs (a failed Supplier's Party) in one
 * transaction with a fresh CRL: one statement marks them all, however many (300,000 are no wall), and
 * each gets its audit record. The caller's transaction, when there is one, is joined.
 */
export function revokeAllOf(
  reg: Registry,
  ca: IssuingAuthority,
  catalogue: Catalogue,
  userIds: readonly Eui64[],
  why: RevocationReason,
  /** The acting RA operator's key, or the enclosing transaction's Acting. */
  operator: OperatorKey,
  solrEventId: string | null,
): { revoked: RevokedCertificate[]; crlNumber: number } {
  return reg.tx(() => {
    const actor = operatorFor(reg, operator, 'cert.revoke', '', { userIds, reason: revocationReasonName(why) });
    const at = reg.now();
    const revoked = revokeValidOf(reg, userIds, revocationReasonName(why), at, solrEventId, nextCrlNumber(reg));
    return finishRevocation(reg, ca, catalogue, revoked, why, actor, solrEventId, at);
  });
}

/** Inside the revoking transaction: an audit record per certificate, then the CRL. */
function finishRevocation(reg: Registry, ca: IssuingAuthority, catalogue: Catalogue, revoked: RevokedCertificate[], why: RevocationReason,
  actor: AuditActor, solrEventId: string | null, at: Date): { revoked: RevokedCertificate[]; crlNumber: number } {
  for (const c of revoked) reg.audit.append(at, actor, 'cert.revoke', c.serial, { userId: c.userId, reason: revocationReasonName(why), solrEvent: solrEventId });
  const crl = generateCrl(reg, ca, catalogue, actor, revoked.filter((c) => c.source === 'issued'));
  return { revoked, crlNumber: crl.number };
}
