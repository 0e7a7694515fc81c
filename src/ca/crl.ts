// The Issuing OCA's CRL (RFC 5280 5): v2, ecdsa-with-SHA256, CRL Number and authorityKeyIdentifier,
// one entry per revoked Organisation Certificate with its reasonCode (left out for unspecified, as
// RFC 5280 5.3.1 advises). Dates in whole seconds, UTCTime before 2050.
import { InputError } from '../domain/errors.js';
import {
  DerError, ECDSA_WITH_SHA256, OID, TAG, assembleSigned, children, content, decodeExtensions, decodeSigned, explicit, extension, integer, readTlv, readWhole, sequence, sequenceOf,
  time, tlv, unsignedInteger, whole,
} from './asn1.js';
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

/** Entries copied as they are from an earlier CRL of the same CA: their DER, back to back. */
export interface CarriedEntries {
  der: Buffer;
  count: number;
}

export interface CrlTemplate {
  issuerNameDer: Buffer;
  /** The Issuing OCA's subjectKeyIdentifier. */
  authorityKeyId: Buffer;
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  /** Entries listed first, unchanged, from this CA's previous CRL (a new CRL costs its new entries only). */
  carried?: CarriedEntries;
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
  const entries = t.revoked.map(entry);
  if (t.carried && t.carried.count > 0) entries.unshift(t.carried.der);
  if (entries.length > 0) parts.push(sequenceOf(entries));
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

/** What a signed CRL says of itself that the next CRL needs: its issuer, key identifier and entries. */
export interface CrlEntriesOf {
  issuerNameDer: Buffer;
  authorityKeyId: Buffer | undefined;
  entries: CarriedEntries;
}

/**
 * Reads a DER CertificateList's issuer, authorityKeyIdentifier and revokedCertificates (as one slice
 * of DER, with the number of entries): linear, no entry decoded beyond its length.
 */
export function crlEntriesOf(crlDer: Buffer): CrlEntriesOf {
  const tbs = decodeSigned(crlDer, 'CRL').tbs;
  const f = children(tbs, readWhole(tbs, 'TBSCertList'));
  const issuer = f[2];
  if (!issuer || f[0]?.tag !== TAG.INTEGER) throw new DerError('CRL: not a v2 TBSCertList');
  let i = 4;
  if (f[i] && (f[i]!.tag === TAG.UTC_TIME || f[i]!.tag === TAG.GENERALIZED_TIME)) i++;
  let entries: CarriedEntries = { der: Buffer.alloc(0), count: 0 };
  if (f[i]?.tag === TAG.SEQUENCE) {
    const list = f[i]!;
    let count = 0;
    for (let p = list.contentStart; p < list.end; count++) p = readTlv(tbs, p, list.end).end;
    entries = { der: tbs.subarray(list.contentStart, list.end), count };
    i++;
  }
  let authorityKeyId: Buffer | undefined;
  if (f[i]?.tag === 0xa0) {
    const aki = decodeExtensions(tbs, f[i]!).find((e) => e.oid === OID.authorityKeyIdentifier);
    if (aki) {
      const keyId = children(aki.value, readWhole(aki.value, 'authorityKeyIdentifier')).find((t) => t.tag === 0x80);
      if (keyId) authorityKeyId = content(aki.value, keyId);
    }
  }
  return { issuerNameDer: whole(tbs, issuer), authorityKeyId, entries };
}
