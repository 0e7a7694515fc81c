// Pre-issuance lint: checks a TBSCertificate (before signing) or a Certificate against the SMKI
// Organisation Certificate profile (smki-domain.md A). Pure, no key material, never throws: anything
// unreadable is itself a finding. The signer refuses to sign when the list is not empty.
import type { Eui64 } from '../domain/eui.js';
import {
  DerError,
  OID,
  TAG,
  attributeText,
  children,
  decodeName,
  decodeSigned,
  decodeSpki,
  decodeTbs,
  isEcdsaSigValue,
  readBitString,
  readOid,
  readWhole,
  setBits,
  content,
  BOOLEAN_TRUE,
  octetString,
  oid,
  readTime,
  readTlv,
  sequence,
  tlv,
  whole,
  type Tlv,
  type DecodedExtension,
  type DecodedTbs,
  type DecodedTime,
} from './asn1.js';
import {
  KEY_USAGE_NAMES,
  organisationSubjectAttributes,
  subjectKeyIdentifier,
  P256_SPKI_PREFIX,
  type OrganisationKeyUsage,
} from './organisation-certificate.js';

/** Every lint rule: a stable code and what it enforces. */
export const LINT_RULES = {
  CERT_MALFORMED: 'the certificate is not well-formed DER',
  TBS_MALFORMED: 'the TBSCertificate is not well-formed DER',
  VERSION_NOT_V3: 'the certificate must be X.509 v3',
  SERIAL_NOT_POSITIVE: 'the serial number must be a positive INTEGER',
  SERIAL_NOT_MINIMAL: 'the serial number INTEGER is not minimally encoded (DER)',
  SERIAL_TOO_LONG: 'the serial number must be 16 octets with the high bit clear',
  SERIAL_TOO_SHORT: 'the serial number must be 16 octets',
  SIG_ALG_NOT_ECDSA_SHA256: 'the signature algorithm must be ecdsa-with-SHA256',
  SIG_ALG_HAS_PARAMS: 'ecdsa-with-SHA256 must have its parameters absent (RFC 5758)',
  SIG_ALG_MISMATCH: 'the Certificate signatureAlgorithm differs from the TBSCertificate signature field',
  SIGNATURE_NOT_ECDSA_DER: 'the signature value is not a DER ECDSA signature',
  ISSUER_EMPTY: 'the issuer name is empty',
  ISSUER_MISMATCH: "the issuer name is not the Issuing OCA's subject name",
  DATE_ENCODING: 'dates must be UTCTime YYMMDDHHMMSSZ before 2050 and GeneralizedTime YYYYMMDDHHMMSSZ from 2050',
  VALIDITY_INVERTED: 'notAfter must be later than notBefore',
  VALIDITY_BEYOND_ISSUER: "the validity must lie within the Issuing OCA's validity",
  SUBJECT_MALFORMED: 'the subject name cannot be decoded',
  SUBJECT_MULTI_VALUED_RDN: 'each subject RDN must hold exactly one attribute',
  SUBJECT_UNEXPECTED_ATTRIBUTE: 'the subject may hold only CN, OU and x500UniqueIdentifier',
  SUBJECT_DUPLICATE_ATTRIBUTE: 'a subject attribute appears more than once',
  SUBJECT_ORDER: 'subject RDNs must be in the order CN, OU, x500UniqueIdentifier',
  CN_NOT_UTF8: 'the subject CN must be a UTF8String',
  CN_TOO_LONG: 'the subject CN must be 1 to 64 characters (RFC 5280 ub-common-name)',
  OU_MISSING: 'the subject has no OU (Remote Party Role)',
  OU_NOT_UTF8: 'the subject OU must be a UTF8String',
  OU_NOT_TWO_HEX: 'the subject OU must be two upper-case hex digits',
  OU_MISMATCH: 'the subject OU is not the expected Remote Party Role',
  EUI_MISSING: 'the subject has no x500UniqueIdentifier (Entity Identifier)',
  EUI_NOT_BIT_STRING: 'the x500UniqueIdentifier must be a BIT STRING',
  EUI_NOT_8_BYTES: 'the x500UniqueIdentifier must be 8 octets with 0 unused bits',
  EUI_MISMATCH: 'the x500UniqueIdentifier is not the expected EUI-64',
  KEY_MALFORMED: 'the SubjectPublicKeyInfo cannot be decoded',
  KEY_NOT_P256: 'the public key must be id-ecPublicKey on prime256v1 (P-256)',
  KEY_NOT_UNCOMPRESSED: 'the P-256 point must be 65 octets, uncompressed (04 || X || Y)',
  UNIQUE_ID_PRESENT: 'issuerUniqueID and subjectUniqueID must be absent',
  EXTENSIONS_MISSING: 'the certificate has no extensions',
  EXTENSION_DUPLICATE: 'an extension appears more than once',
  EXTENSION_NOT_DER: 'an extension encodes critical FALSE (DER omits the DEFAULT)',
  EXTENSION_MALFORMED: 'an extension value cannot be decoded',
  UNEXPECTED_EXTENSION: 'only keyUsage, certificatePolicies, subjectKeyIdentifier and authorityKeyIdentifier are allowed',
  BASIC_CONSTRAINTS_PRESENT: 'basicConstraints must be absent',
  KEY_USAGE_MISSING: 'keyUsage is missing',
  KEY_USAGE_NOT_CRITICAL: 'keyUsage must be critical',
  KEY_USAGE_NOT_SINGLE_BIT: 'keyUsage must assert exactly one bit',
  KEY_USAGE_NOT_DS_OR_KA: 'keyUsage must be digitalSignature or keyAgreement',
  KEY_ENCIPHERMENT_ON_EC: 'keyEncipherment and dataEncipherment are not allowed on an EC key (RFC 5480)',
  KEY_USAGE_ENCODING: 'keyUsage is not a DER named-bit BIT STRING (trailing zero bits)',
  KEY_USAGE_MISMATCH: 'keyUsage is not the one the profile asks for',
  POLICIES_MISSING: 'certificatePolicies is missing',
  POLICIES_NOT_CRITICAL: 'certificatePolicies must be critical',
  POLICIES_NOT_SINGLE: 'certificatePolicies must hold exactly one PolicyInformation',
  POLICY_HAS_QUALIFIERS: 'the PolicyInformation must have no qualifiers',
  POLICY_MISMATCH: 'the policy OID is not the configured one',
  SKI_MISSING: 'subjectKeyIdentifier is missing',
  SKI_CRITICAL: 'subjectKeyIdentifier must be non-critical',
  SKI_NOT_METHOD_2: 'subjectKeyIdentifier must be the 8-octet RFC 5280 4.2.1.2 method (2) value',
  AKI_MISSING: 'authorityKeyIdentifier is missing',
  AKI_CRITICAL: 'authorityKeyIdentifier must be non-critical',
  AKI_NOT_KEY_ID_ONLY: 'authorityKeyIdentifier must hold keyIdentifier only',
  AKI_MISMATCH: "authorityKeyIdentifier is not the Issuing OCA's subjectKeyIdentifier",
} as const;

export type LintCode = keyof typeof LINT_RULES;

export interface LintFinding {
  code: LintCode;
  message: string;
}

export interface LintExpectations {
  keyUsage?: OrganisationKeyUsage;
  /** Two upper-case hex digits. */
  ou?: string;
  eui?: Eui64;
  policyOid?: string;
  issuerNameDer?: Buffer;
  /** The Issuing OCA's subjectKeyIdentifier. */
  authorityKeyId?: Buffer;
  /** The Issuing OCA's validity: the certificate's must lie within it. */
  issuerNotBefore?: Date;
  issuerNotAfter?: Date;
}

class Findings {
  readonly list: LintFinding[] = [];
  add(code: LintCode, detail?: string): void {
    this.list.push({ code, message: detail ? `${LINT_RULES[code]} (${detail})` : LINT_RULES[code] });
  }
}

const ALLOWED_EXTENSIONS = new Set<string>([OID.keyUsage, OID.certificatePolicies, OID.subjectKeyIdentifier, OID.authorityKeyIdentifier]);
const EXTENSION_NAMES: Record<string, string> = {
  [OID.subjectAltName]: 'subjectAltName',
  [OID.extKeyUsage]: 'extKeyUsage',
  '2.5.29.31': 'cRLDistributionPoints',
  '1.3.6.1.5.5.7.1.1': 'authorityInfoAccess',
};
const UPPER_HEX2 = /^[0-9A-F]{2}$/;

/** Lints a DER TBSCertificate against the Organisation Certificate profile. Empty list = clean. */
export function lintOrganisationTbs(tbsDer: Buffer, expect: LintExpectations = {}): LintFinding[] {
  // The certificates smki-ca signs take the one-pass check; anything else is linted rule by rule.
  return hasExactExpectations(expect) && isExactOrganisationTbs(tbsDer, expect) ? [] : lintOrganisationTbsRuleByRule(tbsDer, expect);
}

/** Every rule of LINT_RULES over the decoded TBS, each finding named (what lintOrganisationTbs runs unless the one-pass check passes). */
export function lintOrganisationTbsRuleByRule(tbsDer: Buffer, expect: LintExpectations = {}): LintFinding[] {
  const f = new Findings();
  let tbs: DecodedTbs;
  try {
    tbs = decodeTbs(tbsDer);
  } catch (e) {
    f.add('TBS_MALFORMED', (e as Error).message);
    return f.list;
  }
  lintDecodedTbs(tbs, expect, f);
  return f.list;
}

/** Lints a DER Certificate: its TBSCertificate (as lintOrganisationTbs), then the outer signature fields. */
export function lintOrganisationCertificate(der: Buffer, expect: LintExpectations = {}): LintFinding[] {
  const f = new Findings();
  let cert;
  try {
    cert = decodeSigned(der, 'Certificate');
  } catch (e) {
    f.add('CERT_MALFORMED', (e as Error).message);
    return f.list;
  }
  let tbs: DecodedTbs | undefined;
  try {
    tbs = decodeTbs(cert.tbs);
  } catch (e) {
    f.add('TBS_MALFORMED', (e as Error).message);
  }
  if (tbs) {
    lintDecodedTbs(tbs, expect, f);
    if (!tbs.signature.der.equals(cert.signatureAlgorithm.der)) f.add('SIG_ALG_MISMATCH');
  }
  if (cert.signatureUnusedBits !== 0 || !isEcdsaSigValue(cert.signature)) f.add('SIGNATURE_NOT_ECDSA_DER');
  return f.list;
}

// ---------------------------------------------------------------------------------------------
// The one-pass check: the exact bytes of an Organisation Certificate as the profile fixes them
// ---------------------------------------------------------------------------------------------

const hex = (h: string): Buffer => Buffer.from(h.replace(/ /g, ''), 'hex');
/** [0] EXPLICIT INTEGER 2 (v3). */
const EXACT_VERSION = hex('a0 03 02 01 02');
/** ecdsa-with-SHA256, parameters absent. */
const EXACT_SIGNATURE_ALGORITHM = hex('30 0a 06 08 2a8648ce3d040302');
/** keyUsage, critical, one bit: digitalSignature (bit 0) or keyAgreement (bit 4), DER named bits. */
const EXACT_KEY_USAGE: Record<OrganisationKeyUsage, Buffer> = {
  digitalSignature: hex('30 0e 06 03 551d0f 01 01 ff 04 04 03 02 07 80'),
  keyAgreement: hex('30 0e 06 03 551d0f 01 01 ff 04 04 03 02 03 08'),
};
/** subjectKeyIdentifier, non-critical, an OCTET STRING of 8 octets follows. */
const EXACT_SKI_HEAD = hex('30 11 06 03 551d0e 04 0a 04 08');
const EXACT_CN_TYPE = hex('06 03 550403');
/** OU as a UTF8String of two characters follows. */
const EXACT_OU_HEAD = hex('31 0b 30 09 06 03 55040b 0c 02');
/** x500UniqueIdentifier as a BIT STRING of 8 octets, 0 unused bits, follows. */
const EXACT_EUI_HEAD = hex('31 12 30 10 06 03 55042d 03 09 00');
const UPPER_HEX_DIGIT = (b: number): boolean => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46);

const exactPolicies = new Map<string, Buffer>();
/** certificatePolicies, critical, the one policy OID without qualifiers. */
function exactPolicyExtension(policyOid: string): Buffer {
  let der = exactPolicies.get(policyOid);
  if (!der) exactPolicies.set(policyOid, (der = sequence(oid(OID.certificatePolicies), BOOLEAN_TRUE, octetString(sequence(sequence(oid(policyOid)))))));
  return der;
}

/** authorityKeyIdentifier, non-critical, keyIdentifier [0] alone. */
function exactAuthorityKeyExtension(keyId: Buffer): Buffer {
  return sequence(oid(OID.authorityKeyIdentifier), octetString(sequence(tlv(0x80, keyId))));
}

/** Expectations with everything the one-pass check compares given (the Issuing OCA's validity may still be absent). */
export type ExactExpectations = LintExpectations & Required<Pick<LintExpectations, 'keyUsage' | 'ou' | 'eui' | 'policyOid' | 'issuerNameDer' | 'authorityKeyId'>>;

/** Whether `expect` gives everything the one-pass check compares; without them only the rule-by-rule lint can answer. */
export function hasExactExpectations(expect: LintExpectations): expect is ExactExpectations {
  return (
    expect.keyUsage !== undefined &&
    expect.ou !== undefined &&
    expect.eui !== undefined &&
    expect.policyOid !== undefined &&
    expect.issuerNameDer !== undefined &&
    expect.authorityKeyId !== undefined
  );
}

/**
 * The one-pass check's reader: a position inside `[at, end)` of `buf`. Every read checks its bound
 * here, once, and never looks at what lies past `end` in `buf`: reading past it throws a DerError
 * (which the check answers `false`), except `skip`, which says `false`.
 */
export class DerCursor {
  constructor(
    readonly buf: Buffer,
    private at: number,
    readonly end: number,
  ) {}

  /** The next `n` octets without moving, or undefined when fewer are left before the end. */
  private peek(n: number): Buffer | undefined {
    return this.at + n > this.end ? undefined : this.buf.subarray(this.at, this.at + n);
  }

  /** The next `n` octets; moves past them. */
  take(n: number): Buffer {
    const bytes = this.peek(n);
    if (bytes === undefined) throw new DerError(`${n} octets at offset ${this.at} run past offset ${this.end}`);
    this.at += n;
    return bytes;
  }

  /** Whether the next octets are `bytes` (not when fewer are left); moves past them only when they are. */
  skip(bytes: Buffer): boolean {
    if (!this.peek(bytes.length)?.equals(bytes)) return false;
    this.at += bytes.length;
    return true;
  }

  /** The next TLV (strict DER, within the end); moves past it. */
  next(): Tlv {
    const t = readTlv(this.buf, this.at, this.end);
    this.at = t.end;
    return t;
  }

  /** A cursor over the content of the next TLV, which must have tag `tag`; moves past it. */
  enter(tag: number): DerCursor {
    const t = this.next();
    if (t.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)} at offset ${t.start}, found 0x${t.tag.toString(16)}`);
    return new DerCursor(this.buf, t.contentStart, t.end);
  }

  /** Throws unless everything up to the end has been read. */
  done(): void {
    if (this.at !== this.end) throw new DerError(`octets left from offset ${this.at} to ${this.end}`);
  }
}

/**
 * True only when `tbsDer` is, byte for byte, an Organisation Certificate in the one form smki-ca writes
 * (fields and extensions in profile order, nothing else) that meets every expectation (the type makes
 * them all given; hasExactExpectations tells): then every rule of LINT_RULES passes (test/ca/lint.test.ts
 * holds this against the rule-by-rule lint, over every byte changed). False says nothing but "lint
 * rule by rule". Every read goes through a DerCursor, so each bound is checked once, where it is read.
 */
export function isExactOrganisationTbs(tbsDer: Buffer, expect: ExactExpectations): boolean {
  try {
    const outer = new DerCursor(tbsDer, 0, tbsDer.length);
    const tbs = outer.enter(TAG.SEQUENCE);
    outer.done();
    if (!tbs.skip(EXACT_VERSION)) return false;
    const serial = tbs.next();
    const s = content(tbsDer, serial);
    // 16 octets, positive, minimal (and so not zero: a leading zero octet must come before one with its high bit set).
    if (serial.tag !== TAG.INTEGER || s.length !== 16 || s[0]! & 0x80 || (s[0] === 0 && !(s[1]! & 0x80))) return false;
    if (!tbs.skip(EXACT_SIGNATURE_ALGORITHM)) return false;
    const issuer = tbs.next();
    if (issuer.tag !== TAG.SEQUENCE || issuer.end - issuer.start <= 2 || !whole(tbsDer, issuer).equals(expect.issuerNameDer)) return false;

    const validity = tbs.enter(TAG.SEQUENCE);
    const notBefore = exactTime(tbsDer, validity.next());
    const notAfter = exactTime(tbsDer, validity.next());
    validity.done();
    if (notBefore === undefined || notAfter === undefined || notAfter <= notBefore) return false;
    if (expect.issuerNotBefore && notBefore < expect.issuerNotBefore.getTime()) return false;
    if (expect.issuerNotAfter && notAfter > expect.issuerNotAfter.getTime()) return false;

    const subject = tbs.enter(TAG.SEQUENCE);
    if (!subject.skip(EXACT_OU_HEAD)) {
      // An optional CN first: SET { SEQUENCE { commonName, UTF8String of 1 to 64 characters } }, then the OU.
      const rdn = subject.enter(TAG.SET);
      const atv = rdn.enter(TAG.SEQUENCE);
      rdn.done();
      if (!atv.skip(EXACT_CN_TYPE)) return false;
      const value = atv.next();
      atv.done();
      if (value.tag !== TAG.UTF8_STRING) return false;
      const length = [...content(tbsDer, value).toString('utf8')].length;
      if (length === 0 || length > 64 || !subject.skip(EXACT_OU_HEAD)) return false;
    }
    const ouDigits = subject.take(2);
    if (!UPPER_HEX_DIGIT(ouDigits[0]!) || !UPPER_HEX_DIGIT(ouDigits[1]!) || ouDigits.toString('latin1') !== expect.ou) return false;
    if (!subject.skip(EXACT_EUI_HEAD)) return false;
    const euiOctets = subject.take(8);
    subject.done();
    if (euiOctets.toString('hex').toUpperCase() !== expect.eui) return false;

    const spki = tbs.take(P256_SPKI_PREFIX.length + 64);
    if (!spki.subarray(0, P256_SPKI_PREFIX.length).equals(P256_SPKI_PREFIX)) return false;

    const wrapper = tbs.enter(0xa3);
    tbs.done();
    const list = wrapper.enter(TAG.SEQUENCE);
    wrapper.done();
    if (!list.skip(EXACT_KEY_USAGE[expect.keyUsage]) || !list.skip(EXACT_SKI_HEAD) || !list.skip(subjectKeyIdentifier(spki))) return false;
    if (!list.skip(exactPolicyExtension(expect.policyOid)) || !list.skip(exactAuthorityKeyExtension(expect.authorityKeyId))) return false;
    list.done();
    return true;
  } catch {
    return false;
  }
}

/** A Time in the one form RFC 5280 asks for its year (UTCTime to 2049, GeneralizedTime from 2050, whole seconds, Z): its instant. */
function exactTime(buf: Buffer, t: Tlv): number | undefined {
  if (t.tag !== TAG.UTC_TIME && t.tag !== TAG.GENERALIZED_TIME) return undefined;
  const d = readTime(buf, t);
  const year = d.date.getUTCFullYear();
  const wantUtc = year >= 1950 && year < 2050;
  return d.strict && (wantUtc ? d.tag === TAG.UTC_TIME : d.tag === TAG.GENERALIZED_TIME) ? d.date.getTime() : undefined;
}

function lintDecodedTbs(tbs: DecodedTbs, expect: LintExpectations, f: Findings): void {
  if (tbs.version !== 2) f.add('VERSION_NOT_V3', `version ${tbs.version + 1}`);
  lintSerial(tbs.serial, f);

  if (tbs.signature.oid !== OID.ecdsaWithSha256) f.add('SIG_ALG_NOT_ECDSA_SHA256', tbs.signature.oid);
  else if (tbs.signature.parameters) f.add('SIG_ALG_HAS_PARAMS', `parameters ${tbs.signature.parameters.toString('hex')}`);

  if (tbs.issuer.length <= 2) f.add('ISSUER_EMPTY');
  if (expect.issuerNameDer && !expect.issuerNameDer.equals(tbs.issuer)) f.add('ISSUER_MISMATCH');

  lintTime(tbs.notBefore, 'notBefore', f);
  lintTime(tbs.notAfter, 'notAfter', f);
  if (tbs.notAfter.date.getTime() <= tbs.notBefore.date.getTime()) {
    f.add('VALIDITY_INVERTED', `${tbs.notBefore.date.toISOString()} .. ${tbs.notAfter.date.toISOString()}`);
  }
  if (expect.issuerNotAfter && tbs.notAfter.date.getTime() > expect.issuerNotAfter.getTime()) {
    f.add('VALIDITY_BEYOND_ISSUER', `notAfter ${tbs.notAfter.date.toISOString()} is after ${expect.issuerNotAfter.toISOString()}`);
  }
  if (expect.issuerNotBefore && tbs.notBefore.date.getTime() < expect.issuerNotBefore.getTime()) {
    f.add('VALIDITY_BEYOND_ISSUER', `notBefore ${tbs.notBefore.date.toISOString()} is before ${expect.issuerNotBefore.toISOString()}`);
  }

  lintSubject(tbs.subject, expect, f);
  lintKey(tbs.spki, f);
  if (tbs.issuerUniqueId || tbs.subjectUniqueId) f.add('UNIQUE_ID_PRESENT');
  lintExtensions(tbs, expect, f);
}

function lintSerial(serial: Buffer, f: Findings): void {
  if (serial[0]! & 0x80) f.add('SERIAL_NOT_POSITIVE', 'negative');
  else if (serial.every((b) => b === 0)) f.add('SERIAL_NOT_POSITIVE', 'zero');
  if (serial.length > 1 && serial[0] === 0 && !(serial[1]! & 0x80)) f.add('SERIAL_NOT_MINIMAL');
  if (serial.length > 16) f.add('SERIAL_TOO_LONG', `${serial.length} octets encoded`);
  else if (serial.length < 16) f.add('SERIAL_TOO_SHORT', `${serial.length} octets encoded`);
}

function lintTime(t: DecodedTime, what: string, f: Findings): void {
  const year = t.date.getUTCFullYear();
  const wantUtc = year >= 1950 && year < 2050;
  if (!t.strict) f.add('DATE_ENCODING', `${what} '${t.text}' is not in the RFC 5280 form`);
  else if (wantUtc && t.tag !== TAG.UTC_TIME) f.add('DATE_ENCODING', `${what} ${year} must be UTCTime`);
  else if (!wantUtc && t.tag !== TAG.GENERALIZED_TIME) f.add('DATE_ENCODING', `${what} ${year} must be GeneralizedTime`);
}

const SUBJECT_RANK: Record<string, number> = { [OID.commonName]: 0, [OID.organizationalUnitName]: 1, [OID.x500UniqueIdentifier]: 2 };

function lintSubject(subject: Buffer, expect: LintExpectations, f: Findings): void {
  let rdns;
  try {
    rdns = decodeName(subject, 'subject');
  } catch (e) {
    f.add('SUBJECT_MALFORMED', (e as Error).message);
    return;
  }
  let lastRank = -1;
  let ordered = true;
  for (const rdn of rdns) {
    if (rdn.length !== 1) f.add('SUBJECT_MULTI_VALUED_RDN');
    for (const a of rdn) {
      const rank = SUBJECT_RANK[a.oid];
      if (rank === undefined) {
        f.add('SUBJECT_UNEXPECTED_ATTRIBUTE', a.oid);
        continue;
      }
      if (rank < lastRank) ordered = false;
      lastRank = rank;
    }
  }
  if (!ordered) f.add('SUBJECT_ORDER');
  const { cn, ou, uid } = organisationSubjectAttributes(rdns);
  if (cn.length > 1) f.add('SUBJECT_DUPLICATE_ATTRIBUTE', 'CN');
  if (ou.length > 1) f.add('SUBJECT_DUPLICATE_ATTRIBUTE', 'OU');
  if (uid.length > 1) f.add('SUBJECT_DUPLICATE_ATTRIBUTE', 'x500UniqueIdentifier');
  if (cn[0] && cn[0].tag !== TAG.UTF8_STRING) f.add('CN_NOT_UTF8', `tag 0x${cn[0].tag.toString(16)}`);
  const cnText = cn[0] ? attributeText(cn[0]) : undefined;
  if (cnText !== undefined && (cnText.length === 0 || [...cnText].length > 64)) f.add('CN_TOO_LONG', `${[...cnText].length} characters`);

  const o = ou[0];
  if (!o) f.add('OU_MISSING');
  else {
    if (o.tag !== TAG.UTF8_STRING) f.add('OU_NOT_UTF8', `tag 0x${o.tag.toString(16)}`);
    const text = attributeText(o);
    if (text === undefined || !UPPER_HEX2.test(text)) f.add('OU_NOT_TWO_HEX', `'${text ?? o.valueDer.toString('hex')}'`);
    else if (expect.ou !== undefined && text !== expect.ou) f.add('OU_MISMATCH', `${text}, expected ${expect.ou}`);
  }

  const u = uid[0];
  if (!u) f.add('EUI_MISSING');
  else if (u.tag !== TAG.BIT_STRING) f.add('EUI_NOT_BIT_STRING', `tag 0x${u.tag.toString(16)}`);
  else if (u.value.length !== 9 || u.value[0] !== 0) {
    f.add('EUI_NOT_8_BYTES', `${Math.max(0, u.value.length - 1)} octets, ${u.value[0] ?? 0} unused bits`);
  } else if (expect.eui !== undefined) {
    const got = u.value.subarray(1).toString('hex').toUpperCase();
    if (got !== expect.eui) f.add('EUI_MISMATCH', `${got}, expected ${expect.eui}`);
  }
}

function lintKey(spki: Buffer, f: Findings): void {
  try {
    const k = decodeSpki(spki);
    if (k.algorithm.oid !== OID.ecPublicKey || k.curveOid !== OID.prime256v1) {
      f.add('KEY_NOT_P256', k.curveOid ? `${k.algorithm.oid} ${k.curveOid}` : k.algorithm.oid);
    } else if (k.unusedBits !== 0 || k.publicKey.length !== 65 || k.publicKey[0] !== 0x04) {
      f.add('KEY_NOT_UNCOMPRESSED', `${k.publicKey.length} octets`);
    }
  } catch (e) {
    f.add('KEY_MALFORMED', (e as Error).message);
  }
}

function lintExtensions(tbs: DecodedTbs, expect: LintExpectations, f: Findings): void {
  const exts = tbs.extensions;
  if (!exts || exts.length === 0) {
    f.add('EXTENSIONS_MISSING');
    f.add('KEY_USAGE_MISSING');
    f.add('POLICIES_MISSING');
    f.add('SKI_MISSING');
    f.add('AKI_MISSING');
    return;
  }
  const byOid = new Map<string, DecodedExtension>();
  for (const e of exts) {
    if (byOid.has(e.oid)) f.add('EXTENSION_DUPLICATE', e.oid);
    else byOid.set(e.oid, e);
    if (e.criticalFalseEncoded) f.add('EXTENSION_NOT_DER', e.oid);
    if (e.oid === OID.basicConstraints) f.add('BASIC_CONSTRAINTS_PRESENT');
    else if (!ALLOWED_EXTENSIONS.has(e.oid)) f.add('UNEXPECTED_EXTENSION', EXTENSION_NAMES[e.oid] ?? e.oid);
  }
  const guard = (name: string, check: () => void): void => {
    try {
      check();
    } catch (e) {
      f.add('EXTENSION_MALFORMED', `${name}: ${(e as Error).message}`);
    }
  };

  const ku = byOid.get(OID.keyUsage);
  if (!ku) f.add('KEY_USAGE_MISSING');
  else {
    if (!ku.critical) f.add('KEY_USAGE_NOT_CRITICAL');
    guard('keyUsage', () => lintKeyUsage(ku.value, expect, f));
  }

  const cp = byOid.get(OID.certificatePolicies);
  if (!cp) f.add('POLICIES_MISSING');
  else {
    if (!cp.critical) f.add('POLICIES_NOT_CRITICAL');
    guard('certificatePolicies', () => {
      const v = cp.value;
      const infos = children(v, readWhole(v, 'certificatePolicies'));
      if (infos.length !== 1) f.add('POLICIES_NOT_SINGLE', `${infos.length} policies`);
      const oids: string[] = [];
      for (const pi of infos) {
        const parts = children(v, pi);
        if (parts.length === 0) throw new DerError('empty PolicyInformation');
        oids.push(readOid(v, parts[0]!, 'policyIdentifier'));
        if (parts.length > 1) f.add('POLICY_HAS_QUALIFIERS');
      }
      if (expect.policyOid !== undefined && (oids.length !== 1 || oids[0] !== expect.policyOid)) {
        f.add('POLICY_MISMATCH', `${oids.join(', ')}, expected ${expect.policyOid}`);
      }
    });
  }

  const ski = byOid.get(OID.subjectKeyIdentifier);
  if (!ski) f.add('SKI_MISSING');
  else {
    if (ski.critical) f.add('SKI_CRITICAL');
    guard('subjectKeyIdentifier', () => {
      const t = readWhole(ski.value, 'subjectKeyIdentifier');
      if (t.tag !== TAG.OCTET_STRING) throw new DerError('not an OCTET STRING');
      let want: Buffer | undefined;
      try {
        want = subjectKeyIdentifier(tbs.spki);
      } catch {
        /* KEY_MALFORMED already reported */
      }
      if (want && !want.equals(content(ski.value, t))) f.add('SKI_NOT_METHOD_2', content(ski.value, t).toString('hex').toUpperCase());
    });
  }

  const aki = byOid.get(OID.authorityKeyIdentifier);
  if (!aki) f.add('AKI_MISSING');
  else {
    if (aki.critical) f.add('AKI_CRITICAL');
    guard('authorityKeyIdentifier', () => {
      const v = aki.value;
      const parts = children(v, readWhole(v, 'authorityKeyIdentifier'));
      const keyId = parts.find((p) => p.tag === 0x80);
      if (!keyId || parts.length !== 1) f.add('AKI_NOT_KEY_ID_ONLY');
      if (keyId && expect.authorityKeyId && !expect.authorityKeyId.equals(content(v, keyId))) f.add('AKI_MISMATCH');
    });
  }
}

function lintKeyUsage(value: Buffer, expect: LintExpectations, f: Findings): void {
  const bs = readBitString(value, readWhole(value, 'keyUsage'), 'keyUsage');
  const bits = setBits(bs);
  const last = bs.bytes.length > 0 ? bs.bytes[bs.bytes.length - 1]! : 0;
  if (bs.bytes.length > 0 && (last === 0 || (last & ((1 << bs.unusedBits) - 1)) !== 0 || !(last & (1 << bs.unusedBits)))) {
    f.add('KEY_USAGE_ENCODING');
  }
  const names = bits.map((b) => KEY_USAGE_NAMES[b] ?? `bit${b}`);
  if (bits.length !== 1) f.add('KEY_USAGE_NOT_SINGLE_BIT', names.join(', ') || 'none');
  const enc: string[] = names.filter((n) => n === 'keyEncipherment' || n === 'dataEncipherment');
  if (enc.length > 0) f.add('KEY_ENCIPHERMENT_ON_EC', enc.join(', '));
  const other = names.filter((n) => n !== 'digitalSignature' && n !== 'keyAgreement' && !enc.includes(n));
  if (other.length > 0) f.add('KEY_USAGE_NOT_DS_OR_KA', other.join(', '));
  if (expect.keyUsage !== undefined && !(names.length === 1 && names[0] === expect.keyUsage)) {
    f.add('KEY_USAGE_MISMATCH', `${names.join(', ') || 'none'}, expected ${expect.keyUsage}`);
  }
}
