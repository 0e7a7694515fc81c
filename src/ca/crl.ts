// The Issuing OCA's CRL (RFC 5280 5): v2, ecdsa-with-SHA256, CRL Number and authorityKeyIdentifier,
// one entry per revoked Organisation Certificate with its reasonCode (left out for unspecified, as
// RFC 5280 5.3.1 advises). Dates in whole seconds, UTCTime before 2050.
import { CRLReasons, id_ce_authorityKeyIdentifier, id_ce_cRLNumber, id_ce_cRLReasons } from '@peculiar/asn1-x509';
import { InputError } from '../domain/errors.js';
import { ECDSA_WITH_SHA256, TAG, assembleSigned, explicit, extension, integer, sequence, time, tlv, unsignedInteger } from './asn1.js';
import { authorityKeyIdentifierValue } from './organisation-certificate.js';
import { toPem } from './pem.js';

/** RFC 5280 5.3.1 CRLReason codes (the same numbers as @peculiar/asn1-x509 CRLReasons). */
export enum RevocationReason {
  unspecified = CRLReasons.unspecified,
  keyCompromise = CRLReasons.keyCompromise,
  cACompromise = CRLReasons.cACompromise,
  affiliationChanged = CRLReasons.affiliationChanged,
  superseded = CRLReasons.superseded,
  cessationOfOperation = CRLReasons.cessationOfOperation,
  certificateHold = CRLReasons.certificateHold,
  removeFromCRL = CRLReasons.removeFromCRL,
  privilegeWithdrawn = CRLReasons.privilegeWithdrawn,
  aACompromise = CRLReasons.aACompromise,
}

/**
 * The reasons this CA revokes for. Revocation here is final, so certificateHold (and with it
 * removeFromCRL) is not offered; aACompromise concerns attribute authorities, which SMKI has none of.
 */
export const ACCEPTED_REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
] as const satisfies readonly (keyof typeof RevocationReason)[];

/** `--reason` text (a name above, any case; dashes, underscores and spaces ignored) → reason code. */
export function parseRevocationReason(text: string, what = '--reason'): RevocationReason {
  const key = String(text ?? '').replace(/[-_\s]/g, '').toLowerCase();
  const hit = ACCEPTED_REVOCATION_REASONS.find((n) => n.toLowerCase() === key);
  if (hit === undefined) {
    throw new InputError(`${what}: '${text}' is not an accepted revocation reason (one of ${ACCEPTED_REVOCATION_REASONS.join(', ')})`);
  }
  return RevocationReason[hit];
}

export function revocationReasonName(r: RevocationReason): keyof typeof RevocationReason {
  return RevocationReason[r] as keyof typeof RevocationReason;
}

export interface RevokedEntry {
  /** The certificate's serial: its magnitude octets (as buildOrganisationTbs was given them). */
  serial: Buffer;
  revokedAt: Date;
  reason: RevocationReason;
}

export interface CrlTemplate {
  issuerNameDer: Buffer;
  /** The Issuing OCA's subjectKeyIdentifier. */
  authorityKeyId: Buffer;
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  revoked: readonly RevokedEntry[];
}

const V2 = Buffer.from([TAG.INTEGER, 1, 1]);

function entry(r: RevokedEntry): Buffer {
  const parts = [unsignedInteger(r.serial), time(r.revokedAt)];
  if (r.reason !== RevocationReason.unspecified) {
    // crlEntryExtensions: reasonCode, an ENUMERATED, non-critical.
    parts.push(sequence(extension(id_ce_cRLReasons, false, tlv(TAG.ENUMERATED, Buffer.from([r.reason])))));
  }
  return sequence(...parts);
}

/** DER TBSCertList. Entries keep the given order; an empty list leaves revokedCertificates out. */
export function buildCrlTbs(t: CrlTemplate): Buffer {
  if (t.crlNumber < 0n || t.crlNumber >= 1n << 159n) throw new RangeError('crlNumber must fit in 20 octets (RFC 5280 5.2.3)');
  if (t.nextUpdate.getTime() <= t.thisUpdate.getTime()) throw new RangeError('nextUpdate must be later than thisUpdate');
  const parts = [V2, ECDSA_WITH_SHA256, t.issuerNameDer, time(t.thisUpdate), time(t.nextUpdate)];
  if (t.revoked.length > 0) parts.push(sequence(...t.revoked.map(entry)));
  parts.push(
    explicit(
      0,
      sequence(
        extension(id_ce_authorityKeyIdentifier, false, authorityKeyIdentifierValue(t.authorityKeyId)),
        extension(id_ce_cRLNumber, false, integer(t.crlNumber)),
      ),
    ),
  );
  return sequence(...parts);
}

/** DER CertificateList with ecdsa-with-SHA256 (no parameters). */
export function assembleCrl(tbsDer: Buffer, signatureDer: Buffer): Buffer {
  return assembleSigned(tbsDer, signatureDer);
}

/** PEM with the label OpenSSL expects: X509 CRL. */
export function crlToPem(der: Buffer): string {
  return toPem(der, 'X509 CRL');
}
