// The Issuing OCA's CRL (RFC 5280 5): v2, ecdsa-with-SHA256, CRL Number and authorityKeyIdentifier,
// one entry per revoked Organisation Certificate with its reasonCode (left out for unspecified, as
// RFC 5280 5.3.1 advises). Dates in whole seconds, UTCTime before 2050.
import { InputError } from '../domain/errors.js';
import { ECDSA_WITH_SHA256, OID, TAG, assembleSigned, explicit, extension, integer, sequence, time, tlv, unsignedInteger } from './asn1.js';
import { authorityKeyIdentifierValue } from './organisation-certificate.js';
import { toPem } from './pem.js';

/** RFC 5280 5.3.1 CRLReason codes (the numbers of RFC 5280's CRLReason ENUMERATED; test/ca/crl.test.ts checks them against @peculiar/asn1-x509). */
export enum RevocationReason {
  unspecified = 0,
  keyCompromise = 1,
  cACompromise = 2,
  affiliationChanged = 3,
  superseded = 4,
  cessationOfOperation = 5,
  certificateHold = 6,
  removeFromCRL = 8,
  privilegeWithdrawn = 9,
  aACompromise = 10,
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
    parts.push(sequence(extension(OID.crlReason, false, tlv(TAG.ENUMERATED, Buffer.from([r.reason])))));
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
        extension(OID.authorityKeyIdentifier, false, authorityKeyIdentifierValue(t.authorityKeyId)),
        extension(OID.crlNumber, false, integer(t.crlNumber)),
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
