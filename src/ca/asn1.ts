// DER for the fixed X.509 structures smki-ca writes and reads: a small writer, a strict reader (one
// TLV at a time, no copies), and decoders for Certificate, TBSCertificate, Name, Time, SPKI. Hand
// rolled because the SMKI profile is fixed and the issuance path must stay well under a millisecond.
import { createPublicKey, type KeyObject } from 'node:crypto';

/** Thrown by the reader for anything that is not well-formed DER; callers turn it into InputError. */
export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

// ---------------------------------------------------------------------------------------------
// Tags and object identifiers used across src/ca
// ---------------------------------------------------------------------------------------------

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1WithRsa: '1.2.840.113549.1.1.5',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha384WithRsa: '1.2.840.113549.1.1.12',
  sha512WithRsa: '1.2.840.113549.1.1.13',
  commonName: '2.5.4.3',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  streetAddress: '2.5.4.9',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  x500UniqueIdentifier: '2.5.4.45',
  domainComponent: '0.9.2342.19200300.100.1.25',
  userId: '0.9.2342.19200300.100.1.1',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

/** Header size for a content length: short form, or 0x8n and n length octets (n up to 4: 4 GiB). */
function headerLength(len: number): number {
  return len < 0x80 ? 2 : len < 0x100 ? 3 : len < 0x10000 ? 4 : len < 0x1000000 ? 5 : len <= 0xffffffff ? 6 : -1;
}

/** Writes tag and length at `out[0..]`; returns the header size. */
function writeHeader(out: Buffer, tag: number, len: number, h: number): void {
  out[0] = tag;
  if (h === 2) out[1] = len;
  else {
    out[1] = 0x80 | (h - 2);
    // Division, not >>>: a length of 2^31 or more must not wrap.
    for (let i = h - 1, v = len; i >= 2; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  }
}

/** One TLV with a single-octet identifier. */
export function tlv(tag: number, content: Buffer): Buffer {
  return tlvOf(tag, [content]);
}

/** One TLV whose content is the concatenation of `parts` (one allocation, one copy). */
export function tlvOf(tag: number, parts: readonly Buffer[]): Buffer {
  let len = 0;
  for (const p of parts) len += p.length;
  const h = headerLength(len);
  if (h < 0) throw new RangeError(`DER length ${len} too large`);
  const out = Buffer.allocUnsafe(h + len);
  writeHeader(out, tag, len, h);
  let o = h;
  for (const p of parts) {
    p.copy(out, o);
    o += p.length;
  }
  return out;
}

export function sequence(...items: Buffer[]): Buffer {
  return tlvOf(TAG.SEQUENCE, items);
}

/**
 * SEQUENCE OF with any number of elements (a CRL's revokedCertificates): the array is passed as it
 * is, never spread into arguments, so 300,000 entries are no stack or argument limit.
 */
export function sequenceOf(items: readonly Buffer[]): Buffer {
  return tlvOf(TAG.SEQUENCE, items);
}

/** SET OF with its elements in DER order (sorted by encoding, X.690 11.6). */
export function setOf(...items: Buffer[]): Buffer {
  return tlvOf(TAG.SET, items.length > 1 ? [...items].sort(Buffer.compare) : items);
}

/** [n] EXPLICIT, i.e. a constructed context-specific wrapper. */
export function explicit(n: number, inner: Buffer): Buffer {
  return tlv(0xa0 | n, inner);
}

const oidCache = new Map<string, Buffer>();

/** The OBJECT IDENTIFIER TLV for a dotted OID (memoised: the profile uses a handful). */
export function oid(dotted: string): Buffer {
  const hit = oidCache.get(dotted);
  if (hit) return hit;
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(dotted)) throw new RangeError(`'${dotted}' is not a dotted OID`);
  const arcs = dotted.split('.').map((a) => BigInt(a));
  if (arcs[0]! < 2n && arcs[1]! > 39n) throw new RangeError(`'${dotted}' is not a valid OID`);
  const out: number[] = [];
  const push = (v: bigint): void => {
    const chunk: number[] = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...chunk);
  };
  push(arcs[0]! * 40n + arcs[1]!);
  for (const arc of arcs.slice(2)) push(arc);
  const der = tlv(TAG.OID, Buffer.from(out));
  oidCache.set(dotted, der);
  return der;
}

/** INTEGER holding a non-negative number given as big-endian magnitude octets (minimal DER). */
export function unsignedInteger(magnitude: Buffer): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.length === 0 ? Buffer.from([0]) : magnitude.subarray(i);
  return m[0]! & 0x80 ? tlvOf(TAG.INTEGER, [UNUSED[0]!, m]) : tlv(TAG.INTEGER, m);
}

export function integer(value: number | bigint): Buffer {
  let v = BigInt(value);
  if (v < 0n) throw new RangeError('negative INTEGER not supported');
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  return unsignedInteger(Buffer.from(bytes));
}

const UNUSED = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => Buffer.from([n]));

export function bitString(bytes: Buffer, unusedBits = 0): Buffer {
  return tlvOf(TAG.BIT_STRING, [UNUSED[unusedBits]!, bytes]);
}

/**
 * A named-bit BIT STRING (KeyUsage, ReasonFlags) in DER: trailing zero bits removed (X.690 11.2.2).
 * Bit 0 is the most significant bit of the first octet.
 */
export function namedBits(bits: readonly number[]): Buffer {
  if (bits.length === 0) return Buffer.from([TAG.BIT_STRING, 1, 0]);
  const max = Math.max(...bits);
  const bytes = Buffer.alloc((max >> 3) + 1);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  return bitString(bytes, 7 - (max & 7));
}

export const octetString = (b: Buffer): Buffer => tlv(TAG.OCTET_STRING, b);
export const utf8String = (s: string): Buffer => tlv(TAG.UTF8_STRING, Buffer.from(s, 'utf8'));
export const printableString = (s: string): Buffer => tlv(TAG.PRINTABLE_STRING, Buffer.from(s, 'latin1'));
export const BOOLEAN_TRUE = Buffer.from([TAG.BOOLEAN, 1, 0xff]);
export const NULL = Buffer.from([TAG.NULL, 0]);

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** Whole seconds: the encodings carry no fraction, so every Date is floored before it is written. */
export function wholeSeconds(d: Date): Date {
  const t = d.getTime();
  if (!Number.isFinite(t)) throw new RangeError('invalid Date');
  return new Date(Math.floor(t / 1000) * 1000);
}

/** RFC 5280 4.1.2.5: UTCTime for 1950 to 2049, GeneralizedTime otherwise; always Z, whole seconds. */
export function time(d: Date): Buffer {
  const w = wholeSeconds(d);
  const y = w.getUTCFullYear();
  const rest = `${pad2(w.getUTCMonth() + 1)}${pad2(w.getUTCDate())}${pad2(w.getUTCHours())}${pad2(w.getUTCMinutes())}${pad2(w.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(TAG.UTC_TIME, Buffer.from(`${pad2(y % 100)}${rest}`, 'latin1'));
  if (y < 0 || y > 9999) throw new RangeError(`year ${y} cannot be encoded`);
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(`${String(y).padStart(4, '0')}${rest}`, 'latin1'));
}

/** An Extension: SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE (omitted when false), extnValue }. */
export function extension(extnId: string, critical: boolean, valueDer: Buffer): Buffer {
  return critical ? sequence(oid(extnId), BOOLEAN_TRUE, octetString(valueDer)) : sequence(oid(extnId), octetString(valueDer));
}

/** AlgorithmIdentifier ecdsa-with-SHA256 with parameters absent (RFC 5758 3.2). */
export const ECDSA_WITH_SHA256 = sequence(oid(OID.ecdsaWithSha256));

// ---------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------

/** One TLV inside a buffer: offsets only, nothing copied. */
export interface Tlv {
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

/** Reads the TLV at `offset`; strict DER lengths (definite, minimal), single-octet tags only. */
export function readTlv(buf: Buffer, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError(`truncated at offset ${offset}`);
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-octet tag at offset ${offset}`);
  let len = buf[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new DerError(`indefinite length at offset ${offset} (BER, not DER)`);
    if (n > 4) throw new DerError(`length too large at offset ${offset}`);
    if (p + n > limit) throw new DerError(`truncated length at offset ${offset}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    if (len < 0x80 || (n > 1 && buf[p] === 0)) throw new DerError(`non-minimal length at offset ${offset}`);
    p += n;
  }
  if (p + len > limit) throw new DerError(`truncated: element at offset ${offset} needs ${len} octets, ${limit - p} left`);
  return { tag, start: offset, contentStart: p, end: p + len };
}

/** The single TLV that must span the whole buffer. */
export function readWhole(buf: Buffer, what: string): Tlv {
  if (buf.length === 0) throw new DerError(`${what}: empty`);
  const t = readTlv(buf, 0);
  if (t.end !== buf.length) throw new DerError(`${what}: ${buf.length - t.end} octets of trailing data`);
  return t;
}

/** The elements directly inside a constructed TLV. */
export function children(buf: Buffer, parent: Tlv): Tlv[] {
  if (!(parent.tag & 0x20)) throw new DerError(`element at offset ${parent.start} is not constructed`);
  const out: Tlv[] = [];
  for (let p = parent.contentStart; p < parent.end; ) {
    const t = readTlv(buf, p, parent.end);
    out.push(t);
    p = t.end;
  }
  return out;
}

export const content = (buf: Buffer, t: Tlv): Buffer => buf.subarray(t.contentStart, t.end);
export const whole = (buf: Buffer, t: Tlv): Buffer => buf.subarray(t.start, t.end);

function expectTag(t: Tlv, tag: number, what: string): void {
  if (t.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${t.tag.toString(16)}`);
}

/** Dotted form of OBJECT IDENTIFIER content octets. */
export function decodeOid(c: Buffer): string {
  if (c.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  if (c[c.length - 1]! & 0x80) throw new DerError('truncated OBJECT IDENTIFIER');
  let out = '';
  let v = 0;
  let big: bigint | undefined;
  let first = true;
  for (let i = 0; i < c.length; i++) {
    const b = c[i]!;
    if (v === 0 && big === undefined && b === 0x80) throw new DerError('non-minimal OBJECT IDENTIFIER arc');
    if (big !== undefined) big = (big << 7n) | BigInt(b & 0x7f);
    else if (v > 0x3ffffffffff) big = (BigInt(v) << 7n) | BigInt(b & 0x7f);
    else v = v * 128 + (b & 0x7f);
    if (b & 0x80) continue;
    if (first) {
      const a = v < 40 ? 0 : v < 80 ? 1 : 2;
      out = big === undefined ? `${a}.${v - a * 40}` : `2.${big - 80n}`;
      first = false;
    } else out += `.${big ?? v}`;
    v = 0;
    big = undefined;
  }
  return out;
}

export function readOid(buf: Buffer, t: Tlv, what = 'OBJECT IDENTIFIER'): string {
  expectTag(t, TAG.OID, what);
  return decodeOid(content(buf, t));
}

export interface BitStringValue {
  unusedBits: number;
  bytes: Buffer;
}

export function readBitString(buf: Buffer, t: Tlv, what = 'BIT STRING'): BitStringValue {
  expectTag(t, TAG.BIT_STRING, what);
  const c = content(buf, t);
  if (c.length === 0 || c[0]! > 7 || (c.length === 1 && c[0] !== 0)) throw new DerError(`${what}: malformed BIT STRING`);
  return { unusedBits: c[0]!, bytes: c.subarray(1) };
}

/** Indexes of the bits set in a named-bit BIT STRING (bit 0 = MSB of the first octet). */
export function setBits(v: BitStringValue): number[] {
  const out: number[] = [];
  const total = v.bytes.length * 8 - v.unusedBits;
  for (let i = 0; i < total; i++) if (v.bytes[i >> 3]! & (0x80 >> (i & 7))) out.push(i);
  return out;
}

export interface AlgorithmIdentifier {
  oid: string;
  /** The parameters TLV when present (a NULL counts as present). */
  parameters?: Buffer;
  /** The whole AlgorithmIdentifier TLV. */
  der: Buffer;
}

export function readAlgorithmIdentifier(buf: Buffer, t: Tlv, what = 'AlgorithmIdentifier'): AlgorithmIdentifier {
  expectTag(t, TAG.SEQUENCE, what);
  const parts = children(buf, t);
  if (parts.length < 1 || parts.length > 2) throw new DerError(`${what}: expected 1 or 2 elements`);
  const id = readOid(buf, parts[0]!, what);
  return parts.length === 2 ? { oid: id, parameters: whole(buf, parts[1]!), der: whole(buf, t) } : { oid: id, der: whole(buf, t) };
}

export interface DecodedTime {
  tag: number;
  text: string;
  date: Date;
  /** Exactly the RFC 5280 form: YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ, no fraction. */
  strict: boolean;
}

const leapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

const UTC_RE = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{4})$/;
const GEN_RE = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(\.\d+)?(Z|[+-]\d{4})$/;

/** Reads UTCTime or GeneralizedTime; tolerant of forms RFC 5280 forbids (reported by `strict`). */
export function readTime(buf: Buffer, t: Tlv, what = 'Time'): DecodedTime {
  const text = content(buf, t).toString('latin1');
  let m: RegExpExecArray | null;
  let year: number;
  let fraction = 0;
  let zone: string;
  if (t.tag === TAG.UTC_TIME && (m = UTC_RE.exec(text))) {
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    zone = m[7]!;
  } else if (t.tag === TAG.GENERALIZED_TIME && (m = GEN_RE.exec(text))) {
    year = Number(m[1]);
    fraction = m[7] ? Math.round(Number(`0${m[7]}`) * 1000) : 0;
    zone = m[8]!;
  } else {
    throw new DerError(`${what}: '${text}' is not a UTCTime or GeneralizedTime`);
  }
  const [month, day, hour, minute] = [m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const daysInMonth = month >= 1 && month <= 12 ? new Date(Date.UTC(2000, month, 0)).getUTCDate() + (month === 2 && !leapYear(year) ? -1 : 0) : 0;
  if (day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    throw new DerError(`${what}: '${text}' is not a valid date`);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, fraction);
  if (zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    date.setTime(date.getTime() - sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5))) * 60000);
  }
  const strict = zone === 'Z' && m[6] !== undefined && fraction === 0 && (t.tag !== TAG.GENERALIZED_TIME || m[7] === undefined);
  return { tag: t.tag, text, date, strict };
}

// ---------------------------------------------------------------------------------------------
// Names (RFC 5280 4.1.2.4) and their RFC 4514 text form
// ---------------------------------------------------------------------------------------------

export interface NameAttribute {
  oid: string;
  /** The value's tag (UTF8String 0x0c, PrintableString 0x13, BIT STRING 0x03, ...). */
  tag: number;
  /** The value's content octets. */
  value: Buffer;
  /** The value's whole TLV. */
  valueDer: Buffer;
}

/** RDNSequence → attributes per RDN, in DER order. */
export function decodeName(name: Buffer, what = 'Name'): NameAttribute[][] {
  const top = readWhole(name, what);
  expectTag(top, TAG.SEQUENCE, what);
  return children(name, top).map((rdn) => {
    expectTag(rdn, TAG.SET, `${what} RDN`);
    const atvs = children(name, rdn);
    if (atvs.length === 0) throw new DerError(`${what}: empty RDN`);
    return atvs.map((atv) => {
      expectTag(atv, TAG.SEQUENCE, `${what} attribute`);
      const parts = children(name, atv);
      if (parts.length !== 2) throw new DerError(`${what}: attribute must have a type and a value`);
      const v = parts[1]!;
      return { oid: readOid(name, parts[0]!, `${what} attribute type`), tag: v.tag, value: content(name, v), valueDer: whole(name, v) };
    });
  });
}

const SHORT_NAMES: Record<string, string> = {
  [OID.commonName]: 'CN',
  [OID.countryName]: 'C',
  [OID.localityName]: 'L',
  [OID.stateOrProvinceName]: 'ST',
  [OID.streetAddress]: 'STREET',
  [OID.organizationName]: 'O',
  [OID.organizationalUnitName]: 'OU',
  [OID.domainComponent]: 'DC',
  [OID.userId]: 'UID',
};

const STRING_TAGS = new Set<number>([TAG.UTF8_STRING, TAG.PRINTABLE_STRING, TAG.IA5_STRING, TAG.T61_STRING]);

/** The text of a directory string value, or undefined when the value is not a string type. */
export function attributeText(a: NameAttribute): string | undefined {
  if (a.tag === TAG.UTF8_STRING) return a.value.toString('utf8');
  if (STRING_TAGS.has(a.tag)) return a.value.toString('latin1');
  if (a.tag === TAG.BMP_STRING) return Buffer.from(a.value).swap16().toString('utf16le');
  return undefined;
}

function escape4514(s: string): string {
  let out = s.replace(/[\\"+,;<>]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/**
 * RFC 4514 (= RFC 2253) text: RDNs last-to-first, comma-separated, no spaces, e.g. `CN=Z1,OU=07`, which
 * is what DCC writes in XMLDSig X509IssuerName. Types without an RFC 4514 keyword are dotted OIDs;
 * non-string values (the EUI BIT STRING) are `#` + the hex of their DER: `2.5.4.45=#03090090B3D51F30010000`.
 */
export function nameToText(name: Buffer | NameAttribute[][]): string {
  const rdns = Buffer.isBuffer(name) ? decodeName(name) : name;
  return [...rdns]
    .reverse()
    .map((rdn) =>
      rdn
        .map((a) => {
          const key = SHORT_NAMES[a.oid] ?? a.oid;
          const text = attributeText(a);
          return `${key}=${text === undefined ? `#${a.valueDer.toString('hex').toUpperCase()}` : escape4514(text)}`;
        })
        .join('+'),
    )
    .join(',');
}

// ---------------------------------------------------------------------------------------------
// Certificate, TBSCertificate, SubjectPublicKeyInfo (RFC 5280 4.1)
// ---------------------------------------------------------------------------------------------

export interface DecodedExtension {
  oid: string;
  critical: boolean;
  /** The critical BOOLEAN was written out although FALSE (DER forbids encoding the DEFAULT). */
  criticalFalseEncoded: boolean;
  /** The extnValue OCTET STRING's content: the extension's own DER. */
  value: Buffer;
}

export interface DecodedTbs {
  der: Buffer;
  /** 0 = v1, 2 = v3; `versionEncoded` is false when the DEFAULT v1 was left out. */
  version: number;
  versionEncoded: boolean;
  /** The serialNumber INTEGER's content octets, as encoded (a 00 pad included). */
  serial: Buffer;
  signature: AlgorithmIdentifier;
  issuer: Buffer;
  notBefore: DecodedTime;
  notAfter: DecodedTime;
  subject: Buffer;
  spki: Buffer;
  issuerUniqueId: boolean;
  subjectUniqueId: boolean;
  /** Undefined when the [3] Extensions field is absent. */
  extensions?: DecodedExtension[];
}

export function decodeTbs(der: Buffer): DecodedTbs {
  const top = readWhole(der, 'TBSCertificate');
  expectTag(top, TAG.SEQUENCE, 'TBSCertificate');
  const f = children(der, top);
  let i = 0;
  let version = 0;
  let versionEncoded = false;
  if (f[0]?.tag === 0xa0) {
    const inner = children(der, f[0]);
    if (inner.length !== 1 || inner[0]!.tag !== TAG.INTEGER) throw new DerError('TBSCertificate: malformed version');
    const v = content(der, inner[0]!);
    if (v.length !== 1) throw new DerError('TBSCertificate: malformed version');
    version = v[0]!;
    versionEncoded = true;
    i = 1;
  }
  if (f.length < i + 6) throw new DerError('TBSCertificate: missing fields');
  const serialTlv = f[i]!;
  expectTag(serialTlv, TAG.INTEGER, 'serialNumber');
  const serial = content(der, serialTlv);
  if (serial.length === 0) throw new DerError('serialNumber: empty INTEGER');
  const signature = readAlgorithmIdentifier(der, f[i + 1]!, 'TBSCertificate signature');
  const issuerTlv = f[i + 2]!;
  expectTag(issuerTlv, TAG.SEQUENCE, 'issuer');
  const validity = f[i + 3]!;
  expectTag(validity, TAG.SEQUENCE, 'validity');
  const times = children(der, validity);
  if (times.length !== 2) throw new DerError('validity: expected notBefore and notAfter');
  const subjectTlv = f[i + 4]!;
  expectTag(subjectTlv, TAG.SEQUENCE, 'subject');
  const spkiTlv = f[i + 5]!;
  expectTag(spkiTlv, TAG.SEQUENCE, 'subjectPublicKeyInfo');
  let issuerUniqueId = false;
  let subjectUniqueId = false;
  let extensions: DecodedExtension[] | undefined;
  for (const t of f.slice(i + 6)) {
    if (t.tag === 0x81 || t.tag === 0xa1) issuerUniqueId = true;
    else if (t.tag === 0x82 || t.tag === 0xa2) subjectUniqueId = true;
    else if (t.tag === 0xa3) extensions = decodeExtensions(der, t);
    else throw new DerError(`TBSCertificate: unexpected element tag 0x${t.tag.toString(16)}`);
  }
  return {
    der,
    version,
    versionEncoded,
    serial,
    signature,
    issuer: whole(der, issuerTlv),
    notBefore: readTime(der, times[0]!, 'notBefore'),
    notAfter: readTime(der, times[1]!, 'notAfter'),
    subject: whole(der, subjectTlv),
    spki: whole(der, spkiTlv),
    issuerUniqueId,
    subjectUniqueId,
    extensions,
  };
}

/** The content of an [n] EXPLICIT Extensions wrapper (certificates [3], CRLs [0], entries bare). */
export function decodeExtensions(der: Buffer, wrapper: Tlv): DecodedExtension[] {
  let seqTlv = wrapper;
  if (wrapper.tag !== TAG.SEQUENCE) {
    const inner = children(der, wrapper);
    if (inner.length !== 1) throw new DerError('extensions: malformed wrapper');
    seqTlv = inner[0]!;
  }
  expectTag(seqTlv, TAG.SEQUENCE, 'extensions');
  return children(der, seqTlv).map((e) => {
    expectTag(e, TAG.SEQUENCE, 'extension');
    const parts = children(der, e);
    if (parts.length < 2 || parts.length > 3) throw new DerError('extension: expected 2 or 3 elements');
    const extnId = readOid(der, parts[0]!, 'extnID');
    let critical = false;
    let criticalFalseEncoded = false;
    if (parts.length === 3) {
      const b = parts[1]!;
      expectTag(b, TAG.BOOLEAN, `extension ${extnId} critical`);
      const c = content(der, b);
      if (c.length !== 1) throw new DerError(`extension ${extnId}: malformed BOOLEAN`);
      critical = c[0] !== 0;
      criticalFalseEncoded = !critical;
    }
    const v = parts[parts.length - 1]!;
    expectTag(v, TAG.OCTET_STRING, `extension ${extnId} extnValue`);
    return { oid: extnId, critical, criticalFalseEncoded, value: content(der, v) };
  });
}

export interface DecodedSigned {
  der: Buffer;
  /** The signed part (TBSCertificate, TBSCertList or CertificationRequestInfo), whole TLV. */
  tbs: Buffer;
  signatureAlgorithm: AlgorithmIdentifier;
  /** The signature BIT STRING's octets (for ECDSA, the DER Ecdsa-Sig-Value). */
  signature: Buffer;
  signatureUnusedBits: number;
}

/** SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING }: Certificate, CertificateList, CertificationRequest. */
export function decodeSigned(der: Buffer, what: string): DecodedSigned {
  const top = readWhole(der, what);
  expectTag(top, TAG.SEQUENCE, what);
  const f = children(der, top);
  if (f.length !== 3) throw new DerError(`${what}: expected 3 elements, found ${f.length}`);
  expectTag(f[0]!, TAG.SEQUENCE, `${what} signed part`);
  const sig = readBitString(der, f[2]!, `${what} signature`);
  return {
    der,
    tbs: whole(der, f[0]!),
    signatureAlgorithm: readAlgorithmIdentifier(der, f[1]!, `${what} signatureAlgorithm`),
    signature: sig.bytes,
    signatureUnusedBits: sig.unusedBits,
  };
}

/** SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING } with ecdsa-with-SHA256 (parameters absent). */
export function assembleSigned(tbsDer: Buffer, signatureDer: Buffer): Buffer {
  return sequence(tbsDer, ECDSA_WITH_SHA256, bitString(signatureDer));
}

export interface DecodedSpki {
  algorithm: AlgorithmIdentifier;
  /** For id-ecPublicKey with a namedCurve parameter: the curve OID. */
  curveOid?: string;
  /** The subjectPublicKey BIT STRING's octets (for EC, the point). */
  publicKey: Buffer;
  unusedBits: number;
}

export function decodeSpki(spki: Buffer): DecodedSpki {
  const top = readWhole(spki, 'SubjectPublicKeyInfo');
  expectTag(top, TAG.SEQUENCE, 'SubjectPublicKeyInfo');
  const f = children(spki, top);
  if (f.length !== 2) throw new DerError('SubjectPublicKeyInfo: expected 2 elements');
  const algorithm = readAlgorithmIdentifier(spki, f[0]!, 'SubjectPublicKeyInfo algorithm');
  const key = readBitString(spki, f[1]!, 'subjectPublicKey');
  let curveOid: string | undefined;
  if (algorithm.oid === OID.ecPublicKey && algorithm.parameters && algorithm.parameters[0] === TAG.OID) {
    curveOid = decodeOid(algorithm.parameters.subarray(2));
  }
  return curveOid === undefined
    ? { algorithm, publicKey: key.bytes, unusedBits: key.unusedBits }
    : { algorithm, curveOid, publicKey: key.bytes, unusedBits: key.unusedBits };
}

/**
 * Node KeyObject for an SPKI. P-256 uncompressed points go through JWK, which is about twice as fast
 * as SPKI DER in Node 20 and checks the point is on the curve just the same. Throws on invalid keys.
 */
export function publicKeyFromSpki(spki: Buffer, decoded?: DecodedSpki): KeyObject {
  const d = decoded ?? decodeSpki(spki);
  const p = d.publicKey;
  if (d.curveOid === OID.prime256v1 && p.length === 65 && p[0] === 0x04 && d.unusedBits === 0) {
    return createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: p.subarray(1, 33).toString('base64url'), y: p.subarray(33).toString('base64url') },
      format: 'jwk',
    });
  }
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

/** Hash name for crypto.verify for the signature algorithms smki-ca can check, or undefined. */
export function signatureHash(alg: string): string | undefined {
  switch (alg) {
    case OID.ecdsaWithSha256:
    case OID.sha256WithRsa:
      return 'sha256';
    case OID.ecdsaWithSha384:
    case OID.sha384WithRsa:
      return 'sha384';
    case OID.ecdsaWithSha512:
    case OID.sha512WithRsa:
      return 'sha512';
    case OID.sha1WithRsa:
      return 'sha1';
    default:
      return undefined;
  }
}

/** True when `sig` is a DER Ecdsa-Sig-Value: SEQUENCE { r INTEGER, s INTEGER }, both positive. */
export function isEcdsaSigValue(sig: Buffer): boolean {
  try {
    const top = readWhole(sig, 'Ecdsa-Sig-Value');
    if (top.tag !== TAG.SEQUENCE) return false;
    const f = children(sig, top);
    return f.length === 2 && f.every((t) => t.tag === TAG.INTEGER && t.end > t.contentStart && !(sig[t.contentStart]! & 0x80));
  } catch {
    return false;
  }
}
