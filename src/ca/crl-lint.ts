// Pre-signing lint of a TBSCertList (RFC 5280 5): the CA reads back the exact bytes it is about to
// sign and refuses them unless they are this CA's v2 CRL with the expected number. Pure, never throws.
import { OID, TAG, children, content, decodeExtensions, readAlgorithmIdentifier, readTime, readTlv, readWhole, type DecodedTime, type Tlv } from './asn1.js';

export const CRL_LINT_RULES = {
  CRL_MALFORMED: 'the TBSCertList is not well-formed DER',
  CRL_VERSION_NOT_V2: 'the CRL must be v2',
  CRL_SIG_ALG: 'the signature algorithm must be ecdsa-with-SHA256 with absent parameters',
  CRL_ISSUER_MISMATCH: "the issuer is not the Issuing OCA's subject name",
  CRL_DATE_ENCODING: 'dates must be UTCTime before 2050 and GeneralizedTime from 2050, whole seconds, Z',
  CRL_NEXT_UPDATE: 'nextUpdate must be present and later than thisUpdate',
  CRL_ENTRY_MALFORMED: 'a revoked entry is not { serial, revocationDate [, reasonCode] }',
  CRL_ENTRY_DUPLICATE: 'a serial number is listed twice',
  CRL_ENTRY_AFTER_THIS_UPDATE: 'a revocation date is later than thisUpdate',
  CRL_EXTENSIONS: 'the CRL extensions must be exactly authorityKeyIdentifier and cRLNumber, non-critical',
  CRL_AKI_MISMATCH: "the authorityKeyIdentifier is not the Issuing OCA's key identifier",
  CRL_NUMBER_MISMATCH: 'the cRLNumber is not the expected next number',
} as const;

export type CrlLintCode = keyof typeof CRL_LINT_RULES;

export interface CrlLintFinding {
  code: CrlLintCode;
  message: string;
}

export interface CrlLintExpectations {
  issuerNameDer: Buffer;
  authorityKeyId: Buffer;
  crlNumber: bigint;
  /**
   * How many leading entries were copied unchanged from this CA's previous CRL, which was linted when
   * it was signed: those are checked for their frame and duplicate serials only, not decoded again.
   */
  carriedEntries?: number;
}

/** Lints a DER TBSCertList. Empty list = clean. */
export function lintCrlTbs(der: Buffer, expect: CrlLintExpectations): CrlLintFinding[] {
  const found: CrlLintFinding[] = [];
  const add = (code: CrlLintCode, detail?: string): void => {
    found.push({ code, message: detail ? `${CRL_LINT_RULES[code]} (${detail})` : CRL_LINT_RULES[code] });
  };
  try {
    lintFields(der, expect, add);
  } catch (e) {
    add('CRL_MALFORMED', (e as Error).message);
  }
  return found;
}

function lintFields(der: Buffer, expect: CrlLintExpectations, add: (code: CrlLintCode, detail?: string) => void): void {
  const top = readWhole(der, 'TBSCertList');
  if (top.tag !== TAG.SEQUENCE) throw new Error('TBSCertList is not a SEQUENCE');
  const f = children(der, top);
  let i = 0;
  const version = f[i]?.tag === TAG.INTEGER ? content(der, f[i++]!) : undefined;
  if (!version || version.length !== 1 || version[0] !== 1) add('CRL_VERSION_NOT_V2');
  const alg = readAlgorithmIdentifier(der, need(f, i++, 'signature'));
  if (alg.oid !== OID.ecdsaWithSha256 || alg.parameters) add('CRL_SIG_ALG', alg.oid);
  const issuer = need(f, i++, 'issuer');
  if (!der.subarray(issuer.start, issuer.end).equals(expect.issuerNameDer)) add('CRL_ISSUER_MISMATCH');
  const thisUpdate = readTime(der, need(f, i++, 'thisUpdate'), 'thisUpdate');
  lintTime(thisUpdate, 'thisUpdate', add);
  const next = f[i];
  if (next && (next.tag === TAG.UTC_TIME || next.tag === TAG.GENERALIZED_TIME)) {
    const nextUpdate = readTime(der, next, 'nextUpdate');
    lintTime(nextUpdate, 'nextUpdate', add);
    if (nextUpdate.date.getTime() <= thisUpdate.date.getTime()) add('CRL_NEXT_UPDATE', 'not later than thisUpdate');
    i++;
  } else add('CRL_NEXT_UPDATE', 'absent');
  if (f[i]?.tag === TAG.SEQUENCE) lintEntries(der, f[i++]!, thisUpdate.date, expect.carriedEntries ?? 0, add);
  const ext = f[i];
  if (!ext || ext.tag !== 0xa0 || i !== f.length - 1) {
    add('CRL_EXTENSIONS', ext ? `unexpected element tag 0x${ext.tag.toString(16)}` : 'absent');
    return;
  }
  const extensions = decodeExtensions(der, ext);
  const oids = extensions.map((e) => e.oid);
  if (extensions.length !== 2 || !oids.includes(OID.authorityKeyIdentifier) || !oids.includes(OID.crlNumber) || extensions.some((e) => e.critical)) {
    add('CRL_EXTENSIONS', oids.join(', '));
  }
  for (const e of extensions) {
    if (e.oid === OID.authorityKeyIdentifier) {
      const v = e.value;
      const keyId = children(v, readWhole(v, 'authorityKeyIdentifier')).find((t) => t.tag === 0x80);
      if (!keyId || !content(v, keyId).equals(expect.authorityKeyId)) add('CRL_AKI_MISMATCH');
    } else if (e.oid === OID.crlNumber) {
      const v = e.value;
      const t = readWhole(v, 'cRLNumber');
      const n = t.tag === TAG.INTEGER ? BigInt(`0x${content(v, t).toString('hex') || '0'}`) : -1n;
      if (n !== expect.crlNumber) add('CRL_NUMBER_MISMATCH', `${n} instead of ${expect.crlNumber}`);
    }
  }
}

function need(f: Tlv[], i: number, what: string): Tlv {
  const t = f[i];
  if (!t) throw new Error(`TBSCertList: ${what} missing`);
  return t;
}

function lintTime(t: DecodedTime, what: string, add: (code: CrlLintCode, detail?: string) => void): void {
  const year = t.date.getUTCFullYear();
  const wantTag = year >= 1950 && year < 2050 ? TAG.UTC_TIME : TAG.GENERALIZED_TIME;
  if (!t.strict || t.tag !== wantTag) add('CRL_DATE_ENCODING', `${what} '${t.text}'`);
}

function lintEntries(der: Buffer, list: Tlv, thisUpdate: Date, carried: number, add: (code: CrlLintCode, detail?: string) => void): void {
  const seen = new Set<string>();
  let index = 0;
  // One entry at a time (no array of every entry): a CRL of 300,000 entries is linted in flat memory.
  for (let p = list.contentStart; p < list.end; index++) {
    const entry = readTlv(der, p, list.end);
    p = entry.end;
    if (index < carried) {
      const serial = entry.tag === TAG.SEQUENCE && entry.end > entry.contentStart ? readTlv(der, entry.contentStart, entry.end) : undefined;
      if (serial?.tag !== TAG.INTEGER) {
        add('CRL_ENTRY_MALFORMED');
        continue;
      }
      // The serial's octets as a latin1 key (no hex conversion), the same key as for new entries below.
      const key = der.toString('latin1', serial.contentStart, serial.end);
      if (seen.has(key)) add('CRL_ENTRY_DUPLICATE', content(der, serial).toString('hex').toUpperCase());
      seen.add(key);
      continue;
    }
    const parts = entry.tag === TAG.SEQUENCE ? children(der, entry) : [];
    const serial = parts[0];
    if (parts.length < 2 || parts.length > 3 || serial?.tag !== TAG.INTEGER) {
      add('CRL_ENTRY_MALFORMED');
      continue;
    }
    const hex = content(der, serial).toString('hex');
    const key = der.toString('latin1', serial.contentStart, serial.end);
    if (seen.has(key)) add('CRL_ENTRY_DUPLICATE', hex.toUpperCase());
    seen.add(key);
    const revokedAt = readTime(der, parts[1]!, 'revocationDate');
    lintTime(revokedAt, 'revocationDate', add);
    if (revokedAt.date.getTime() > thisUpdate.getTime()) add('CRL_ENTRY_AFTER_THIS_UPDATE', hex.toUpperCase());
    if (parts[2]) {
      const exts = decodeExtensions(der, parts[2]);
      if (exts.length !== 1 || exts[0]!.oid !== OID.crlReason || exts[0]!.critical) add('CRL_ENTRY_MALFORMED', `entry extensions of ${hex.toUpperCase()}`);
    }
  }
}
