// GBCS General-Signing messages for Service Request 1.6 (smki-domain.md B.4, B.5): parse a Pre-Command
// or Signed Pre-Command, tell which SR 1.6 use case it is and whether it really sets Credit, verify and
// make its GBCS signature. Pure functions over bytes; the gate maps the results to reason codes.
//
// General-Signing layout (offsets from the 0xDF tag):
//   0  DF                      General-Signing tag (not signed)
//   1  09                      transaction-id length
//   2  CRA flag                1 command, 2 response, 3 alert
//   3  originator counter      8 octets, big-endian
//  11  08, originator system title (8 octets)
//  20  08, recipient system title (8 octets)
//  29  date-time              00 (absent) or 0C + 12-octet DLMS date-time
//      other-information      length + message code (2) [+ supplementary remote party id (8)
//                             [+ its counter (8) [+ originator counter (8) | + KA certificate]]]
//      content                length (A-XDR: 1 octet, or 81/82/83 + 1..3 octets) + content octets
//      signature              absent | 00 (null, DUIS Pre-Command) | 40 + 64-octet r||s
// The signed part is everything after the tag up to the end of the content.
import { X509Certificate, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { InputError } from '../domain/errors.js';
import { euiFromBytes, euiToBytes, parseEui64, type Eui64 } from '../domain/eui.js';
import type { ReasonCode } from '../domain/reasons.js';

/** A GBCS message that is truncated, has trailing bytes or breaks the GBCS/DLMS/GBZ encoding. */
export class GbcsFormatError extends InputError {
  constructor(
    readonly field: string,
    readonly offset: number,
    problem: string,
  ) {
    super(`GBCS ${field} at offset ${offset}: ${problem}`);
    this.name = 'GbcsFormatError';
  }
}

export const GENERAL_SIGNING_TAG = 0xdf;
export const GENERAL_CIPHERING_TAG = 0xdd;
export const SIGNATURE_LENGTH = 0x40;

const OFFSET_CRA = 2;
const OFFSET_COUNTER = 3;
const OFFSET_ORIGINATOR = 12;
const OFFSET_RECIPIENT = 21;
const DATE_TIME_LENGTH = 12;
const MAX_U64 = (1n << 64n) - 1n;

export type CraFlag = 'command' | 'response' | 'alert';
const CRA_BY_VALUE: Record<number, CraFlag> = { 1: 'command', 2: 'response', 3: 'alert' };
const CRA_VALUE: Record<CraFlag, number> = { command: 1, response: 2, alert: 3 };

/** A DLMS date-time (12 octets); a field the sender left "not specified" is undefined. */
export interface DlmsDateTime {
  bytes: Buffer;
  year?: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  /** Minutes of local time to UTC (DLMS deviation), undefined when 0x8000. */
  deviation?: number;
}

export interface GbcsOtherInformation {
  messageCode: number;
  supplementaryRemotePartyId?: Eui64;
  supplementaryRemotePartyCounter?: bigint;
  supplementaryOriginatorCounter?: bigint;
  /** DER of the Supplementary Remote Party Key Agreement certificate. */
  supplementaryRemotePartyCertificate?: Buffer;
}

export type SignatureForm = 'absent' | 'null' | 'present';

export interface GeneralSigningMessage {
  cra: CraFlag;
  originatorCounter: bigint;
  /** Originator System Title. */
  originator: Eui64;
  /** Recipient System Title (for a command, the Device). */
  recipient: Eui64;
  dateTime?: DlmsDateTime;
  messageCode: number;
  otherInformation: GbcsOtherInformation;
  /** Octets of the other-information field: 2 is the message code alone, the form of the SR 1.6 and 2.5 use cases. */
  otherInformationLength: number;
  content: Buffer;
  /** Offset of the first content octet in the parsed bytes. */
  contentOffset: number;
  /** Every octet after the 0xDF tag up to the end of the content: what the GBCS signature covers. */
  signedPart: Buffer;
  /** absent (early Boxed/RTDS Pre-Commands), null (trailing 00, DUIS Pre-Command) or present. */
  signatureForm: SignatureForm;
  /** 64 octets r||s when present. */
  signature?: Buffer;
}

// ---------------------------------------------------------------------------------------------------
// Bounded reader: every read checks the remaining length and names the field and absolute offset.

class Reader {
  /** `base` is added to positions in error messages, so offsets are those of the whole message. */
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    readonly end: number,
    private readonly base = 0,
  ) {}

  /** The current position as an offset in the whole message. */
  get at(): number {
    return this.pos + this.base;
  }

  get left(): number {
    return this.end - this.pos;
  }

  fail(field: string, problem: string, at = this.pos): never {
    throw new GbcsFormatError(field, at + this.base, problem);
  }

  need(n: number, field: string): void {
    if (n > this.left) {
      this.fail(field, `truncated: needs ${n} octet(s), ${this.left} left`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(field: string): bigint {
    this.need(8, field);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A copy, so callers never alias the input. */
  bytes(n: number, field: string): Buffer {
    this.need(n, field);
    const out = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  skip(n: number, field: string): void {
    this.need(n, field);
    this.pos += n;
  }

  /** A reader over the next n octets; this reader moves past them. */
  sub(n: number, field: string): Reader {
    this.need(n, field);
    const r = new Reader(this.buf, this.pos, this.pos + n, this.base);
    this.pos += n;
    return r;
  }

  /** A copy of the octets from `from` to the current position. */
  copyFrom(from: number): Buffer {
    return Buffer.from(this.buf.subarray(from, this.pos));
  }

  /** A-XDR / DER length: 0x00-0x7F, or 0x81-0x83 followed by 1-3 octets, minimal form only. */
  length(field: string): number {
    const at = this.pos;
    const first = this.u8(field);
    if (first < 0x80) return first;
    const n = first & 0x7f;
    if (n === 0) this.fail(field, 'indefinite length (0x80) is not allowed', at);
    if (n > 3) this.fail(field, `length of length ${n} is more than 3 octets`, at);
    this.need(n, field);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + this.buf[this.pos++]!;
    const minimum = n === 1 ? 0x80 : 1 << (8 * (n - 1));
    if (v < minimum) this.fail(field, `length ${v} is not in its shortest form`, at);
    return v;
  }

  expectEnd(field: string): void {
    if (this.left !== 0) this.fail(field, `${this.left} unexpected trailing octet(s)`);
  }
}

function hex16(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---------------------------------------------------------------------------------------------------
// General-Signing

/** Parses a GBCS General-Signing APDU: a Pre-Command (unsigned), a Signed Pre-Command, a response or alert. */
export function parseGeneralSigning(input: Uint8Array): GeneralSigningMessage {
  const buf = toBuffer(input);
  const r = new Reader(buf, 0, buf.length);

  const tag = r.u8('General-Signing tag');
  if (tag !== GENERAL_SIGNING_TAG) {
    r.fail('General-Signing tag', `expected 0xDF, found 0x${tag.toString(16).toUpperCase().padStart(2, '0')}`, 0);
  }
  const txLenAt = r.pos;
  const txLen = r.u8('transaction-id length');
  if (txLen !== 9) r.fail('transaction-id length', `expected 9 (CRA flag + 8-octet counter), found ${txLen}`, txLenAt);
  const craAt = r.pos;
  const craValue = r.u8('CRA flag');
  const cra = CRA_BY_VALUE[craValue];
  if (cra === undefined) r.fail('CRA flag', `${craValue} is not 1 (command), 2 (response) or 3 (alert)`, craAt);
  const originatorCounter = r.u64('originator counter');
  const originator = readSystemTitle(r, 'originator system title');
  const recipient = readSystemTitle(r, 'recipient system title');

  const dtAt = r.pos;
  const dtLen = r.length('date-time length');
  let dateTime: DlmsDateTime | undefined;
  if (dtLen === DATE_TIME_LENGTH) {
    dateTime = decodeDlmsDateTime(r.bytes(DATE_TIME_LENGTH, 'date-time'));
  } else if (dtLen !== 0) {
    r.fail('date-time length', `expected 0 (absent) or 12, found ${dtLen}`, dtAt);
  }

  const { info: otherInformation, length: otherInformationLength } = readOtherInformation(r);

  const contentLenAt = r.pos;
  const contentLen = r.length('content length');
  if (contentLen === 0) r.fail('content length', 'the content is empty', contentLenAt);
  const contentOffset = r.pos;
  const content = r.bytes(contentLen, 'content');
  const signedEnd = r.pos;
  const signedPart = Buffer.from(buf.subarray(1, signedEnd));

  let signatureForm: SignatureForm = 'absent';
  let signature: Buffer | undefined;
  if (r.left > 0) {
    const sigAt = r.pos;
    const sigLen = r.u8('signature length');
    if (sigLen === 0x00) {
      signatureForm = 'null';
    } else if (sigLen === SIGNATURE_LENGTH) {
      signature = r.bytes(SIGNATURE_LENGTH, 'signature');
      signatureForm = 'present';
    } else {
      r.fail('signature length', `expected 0x40 (signature) or 0x00 (null signature), found 0x${sigLen.toString(16).toUpperCase().padStart(2, '0')}`, sigAt);
    }
    r.expectEnd('end of message');
  }

  const msg: GeneralSigningMessage = {
    cra,
    originatorCounter,
    originator,
    recipient,
    messageCode: otherInformation.messageCode,
    otherInformation,
    otherInformationLength,
    content,
    contentOffset,
    signedPart,
    signatureForm,
  };
  if (dateTime) msg.dateTime = dateTime;
  if (signature) msg.signature = signature;
  return msg;
}

function readSystemTitle(r: Reader, field: string): Eui64 {
  const at = r.pos;
  const len = r.u8(`${field} length`);
  if (len !== 8) r.fail(`${field} length`, `expected 8, found ${len}`, at);
  return euiFromBytes(r.bytes(8, field));
}

function readOtherInformation(r: Reader): { info: GbcsOtherInformation; length: number } {
  const lenAt = r.pos;
  const len = r.length('other-information length');
  const oi = r.sub(len, 'other-information');
  if (len <= 26 && ![2, 10, 18, 26].includes(len)) {
    r.fail('other-information length', `${len} is not a GBCS form (2, 10, 18, 26, or more with a certificate)`, lenAt);
  }
  const info: GbcsOtherInformation = { messageCode: oi.u16('message code') };
  if (len >= 10) info.supplementaryRemotePartyId = euiFromBytes(oi.bytes(8, 'supplementary remote party ID'));
  if (len >= 18) info.supplementaryRemotePartyCounter = oi.u64('supplementary remote party counter');
  if (len === 26) {
    info.supplementaryOriginatorCounter = oi.u64('supplementary originator counter');
  } else if (len > 26) {
    const certAt = oi.pos;
    const cert = oi.sub(oi.left, 'supplementary remote party certificate');
    const seq = cert.u8('supplementary remote party certificate tag');
    if (seq !== 0x30) cert.fail('supplementary remote party certificate tag', 'expected a DER SEQUENCE (0x30)', certAt);
    const certLen = cert.length('supplementary remote party certificate length');
    cert.skip(certLen, 'supplementary remote party certificate');
    cert.expectEnd('supplementary remote party certificate');
    info.supplementaryRemotePartyCertificate = cert.copyFrom(certAt);
  }
  oi.expectEnd('other-information');
  return { info, length: len };
}

export function decodeDlmsDateTime(bytes: Buffer): DlmsDateTime {
  if (bytes.length !== DATE_TIME_LENGTH) {
    throw new GbcsFormatError('date-time', 0, `a DLMS date-time is 12 octets, not ${bytes.length}`);
  }
  const out: DlmsDateTime = { bytes: Buffer.from(bytes) };
  const year = bytes.readUInt16BE(0);
  if (year !== 0xffff) out.year = year;
  const pick = (i: number, max: number): number | undefined => (bytes[i]! <= max ? bytes[i]! : undefined);
  const month = pick(2, 12);
  const day = pick(3, 31);
  const hour = pick(5, 23);
  const minute = pick(6, 59);
  const second = pick(7, 59);
  if (month !== undefined && month > 0) out.month = month;
  if (day !== undefined && day > 0) out.day = day;
  if (hour !== undefined) out.hour = hour;
  if (minute !== undefined) out.minute = minute;
  if (second !== undefined) out.second = second;
  const deviation = bytes.readInt16BE(9);
  if (deviation !== -0x8000) out.deviation = deviation;
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Encoding (tests, the demo and SRP tooling build messages with these)

export interface GeneralSigningFields {
  cra?: CraFlag;
  originatorCounter: bigint;
  originator: Eui64;
  recipient: Eui64;
  /** 12 octets, or undefined for absent. */
  dateTime?: Buffer;
  otherInformation: GbcsOtherInformation;
  content: Buffer;
  /** 64-octet r||s, 'null' for the DUIS null signature octet, undefined for none. */
  signature?: Buffer | 'null';
}

/** A-XDR length in its shortest form (up to 3 length octets). */
export function encodeLength(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffff) throw new RangeError(`length ${n} cannot be encoded`);
  if (n < 0x80) return Buffer.from([n]);
  if (n <= 0xff) return Buffer.from([0x81, n]);
  if (n <= 0xffff) return Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
}

function u64Bytes(v: bigint, what: string): Buffer {
  if (v < 0n || v > MAX_U64) throw new RangeError(`${what} ${v} is not an unsigned 64-bit value`);
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b;
}

function euiBytes(eui: Eui64, what: string): Buffer {
  return euiToBytes(parseEui64(eui, what));
}

/** Builds a General-Signing APDU from its fields (inverse of parseGeneralSigning). */
export function encodeGeneralSigning(f: GeneralSigningFields): Buffer {
  const oi = f.otherInformation;
  if (!Number.isInteger(oi.messageCode) || oi.messageCode < 0 || oi.messageCode > 0xffff) {
    throw new RangeError(`message code ${oi.messageCode} is not a 16-bit value`);
  }
  const hasCounter = oi.supplementaryRemotePartyCounter !== undefined;
  const hasTail = oi.supplementaryOriginatorCounter !== undefined || oi.supplementaryRemotePartyCertificate !== undefined;
  if ((hasCounter && oi.supplementaryRemotePartyId === undefined) || (hasTail && !hasCounter)) {
    throw new RangeError('other-information fields come in order: remote party ID, its counter, then originator counter or certificate');
  }
  const oiParts: Buffer[] = [Buffer.from([oi.messageCode >> 8, oi.messageCode & 0xff])];
  if (oi.supplementaryRemotePartyId !== undefined) {
    oiParts.push(euiBytes(oi.supplementaryRemotePartyId, 'supplementary remote party ID'));
    if (oi.supplementaryRemotePartyCounter !== undefined) {
      oiParts.push(u64Bytes(oi.supplementaryRemotePartyCounter, 'supplementary remote party counter'));
      if (oi.supplementaryOriginatorCounter !== undefined && oi.supplementaryRemotePartyCertificate !== undefined) {
        throw new RangeError('other-information carries a supplementary originator counter or a certificate, not both');
      }
      if (oi.supplementaryOriginatorCounter !== undefined) {
        oiParts.push(u64Bytes(oi.supplementaryOriginatorCounter, 'supplementary originator counter'));
      } else if (oi.supplementaryRemotePartyCertificate !== undefined) {
        oiParts.push(oi.supplementaryRemotePartyCertificate);
      }
    }
  }
  const oiBytes = Buffer.concat(oiParts);
  if (f.dateTime !== undefined && f.dateTime.length !== DATE_TIME_LENGTH) {
    throw new RangeError(`date-time must be 12 octets, not ${f.dateTime.length}`);
  }
  if (f.content.length === 0) throw new RangeError('content must not be empty');
  const parts: Buffer[] = [
    Buffer.from([GENERAL_SIGNING_TAG, 0x09, CRA_VALUE[f.cra ?? 'command']]),
    u64Bytes(f.originatorCounter, 'originator counter'),
    Buffer.from([0x08]),
    euiBytes(f.originator, 'originator system title'),
    Buffer.from([0x08]),
    euiBytes(f.recipient, 'recipient system title'),
    f.dateTime === undefined ? Buffer.from([0x00]) : Buffer.concat([Buffer.from([DATE_TIME_LENGTH]), f.dateTime]),
    encodeLength(oiBytes.length),
    oiBytes,
    encodeLength(f.content.length),
    f.content,
  ];
  if (f.signature === 'null') {
    parts.push(Buffer.from([0x00]));
  } else if (f.signature !== undefined) {
    if (f.signature.length !== SIGNATURE_LENGTH) throw new RangeError(`signature must be 64 octets, not ${f.signature.length}`);
    parts.push(Buffer.from([SIGNATURE_LENGTH]), f.signature);
  }
  return Buffer.concat(parts);
}

export interface HeaderRewrite {
  originator?: Eui64;
  recipient?: Eui64;
  counter?: bigint;
}

/**
 * Rewrites the originator, recipient and/or originator counter of a Pre-Command and returns an unsigned
 * Pre-Command (a signature on the input is dropped; a trailing null signature octet is kept). When the
 * content is a DLMS Access-Request whose invoke-id (low 24 bits) tracked the old counter, as on the
 * RTDS vectors, it is moved to the new counter too.
 */
export function rewriteHeader(preCommand: Uint8Array, changes: HeaderRewrite): Buffer {
  const msg = parseGeneralSigning(preCommand);
  const out = Buffer.concat([
    Buffer.from([GENERAL_SIGNING_TAG]),
    msg.signedPart,
    msg.signatureForm === 'null' ? Buffer.from([0x00]) : Buffer.alloc(0),
  ]);
  if (changes.counter !== undefined) {
    u64Bytes(changes.counter, 'originator counter').copy(out, OFFSET_COUNTER);
    const c = msg.contentOffset;
    if (msg.content.length >= 5 && msg.content[0] === 0xd9) {
      const invoke = out.readUInt32BE(c + 1);
      if ((invoke & 0xffffff) === Number(msg.originatorCounter & 0xffffffn)) {
        out.writeUInt32BE(((invoke & 0xff000000) >>> 0) + Number(changes.counter & 0xffffffn), c + 1);
      }
    }
  }
  if (changes.originator !== undefined) euiBytes(changes.originator, 'originator').copy(out, OFFSET_ORIGINATOR);
  if (changes.recipient !== undefined) euiBytes(changes.recipient, 'recipient').copy(out, OFFSET_RECIPIENT);
  return out;
}

/**
 * The General-Signing APDU inside a GBCS Command as sent to the Device: the Access Control Broker's
 * General-Ciphering wrapper `DD 00 00 00 00 00 00`, length, security header (5 octets, 0x11 ...),
 * General-Signing, 12-octet MAC (smki-domain B.4 point 5).
 */
export function generalSigningFromCommand(command: Uint8Array): Buffer {
  const buf = toBuffer(command);
  const r = new Reader(buf, 0, buf.length);
  const tag = r.u8('General-Ciphering tag');
  if (tag !== GENERAL_CIPHERING_TAG) r.fail('General-Ciphering tag', `expected 0xDD, found 0x${tag.toString(16).toUpperCase()}`, 0);
  for (let i = 0; i < 6; i++) {
    const at = r.pos;
    if (r.u8('General-Ciphering header') !== 0) r.fail('General-Ciphering header', 'expected six 0x00 octets', at);
  }
  const len = r.length('ciphered service length');
  const body = r.sub(len, 'ciphered service');
  r.expectEnd('end of command');
  const scAt = body.pos;
  const securityControl = body.u8('security header');
  if (securityControl !== 0x11) body.fail('security header', `expected security control 0x11, found 0x${securityControl.toString(16)}`, scAt);
  body.skip(4, 'security header invocation counter');
  if (body.left < 12 + 1) body.fail('General-Signing', 'no room for a General-Signing APDU and a 12-octet MAC');
  const gs = body.bytes(body.left - 12, 'General-Signing');
  body.skip(12, 'MAC');
  return gs;
}

// ---------------------------------------------------------------------------------------------------
// Signatures

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/** ECDSA P-256 / SHA-256 over the signed part, raw r||s; false when unsigned, malformed or the key is not P-256. */
export function verifyGbcsSignature(msg: GeneralSigningMessage, publicKey: KeyObject): boolean {
  if (msg.signature === undefined || msg.signature.length !== SIGNATURE_LENGTH) return false;
  if (!isP256(publicKey)) return false;
  try {
    return cryptoVerify('sha256', msg.signedPart, { key: publicKey, dsaEncoding: 'ieee-p1363' }, msg.signature);
  } catch {
    return false;
  }
}

/** The public key of a GBCS Digital Signing certificate (PEM or DER). */
export function gbcsSigningKeyFromCertificate(cert: string | Buffer): KeyObject {
  return new X509Certificate(cert).publicKey;
}

/**
 * Makes a Signed Pre-Command from a Pre-Command (with or without the trailing null signature octet):
 * signs every octet after the 0xDF tag up to the end of the content and appends 0x40 + r||s.
 */
export function signPreCommand(preCommand: Uint8Array, privateKey: KeyObject): Buffer {
  const msg = parseGeneralSigning(preCommand);
  if (msg.signatureForm === 'present') {
    throw new GbcsFormatError('signature', 1 + msg.signedPart.length, 'the Pre-Command is already signed');
  }
  if (msg.cra !== 'command') {
    throw new GbcsFormatError('CRA flag', OFFSET_CRA, `a Pre-Command is a command (CRA 1), this is a ${msg.cra}`);
  }
  if (privateKey.type !== 'private' || !isP256(privateKey)) {
    throw new InputError('GBCS signing key: an ECDSA P-256 private key is required');
  }
  const signature = cryptoSign('sha256', msg.signedPart, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return Buffer.concat([Buffer.from([GENERAL_SIGNING_TAG]), msg.signedPart, Buffer.from([SIGNATURE_LENGTH]), signature]);
}

// ---------------------------------------------------------------------------------------------------
// SR 1.6 use cases and the payment mode the content sets

export type PaymentModeUseCase = 'ECS02' | 'ECS03' | 'GCS02' | 'GCS03' | 'unknown';
export type Fuel = 'electricity' | 'gas';
/** What the content itself sets, independent of the message code. */
export type PayloadPaymentMode = 'credit' | 'prepayment' | 'unconfirmed';
export type PaymentModeReason = Extract<ReasonCode, 'PAYMENT_MODE_NOT_CREDIT' | 'GBCS_MESSAGE_CODE' | 'GBCS_MALFORMED'>;

/**
 * When the change takes effect on the Device. `at` is a range: GBCS times whose UTC offset the message
 * leaves open (DLMS deviation "not specified") may be GMT or BST, so they count as an hour either way.
 */
export type GbcsExecution = { kind: 'immediate' } | { kind: 'cancellation' } | { kind: 'at'; earliest: Date; latest: Date };

export interface PaymentModeClassification {
  useCase: PaymentModeUseCase;
  /** When the Device applies it (ECS02: Account activation time; GCS02: Implementation Date Time); undefined when unreadable. */
  execution?: GbcsExecution;
  fuel: Fuel | undefined;
  messageCode: number;
  /** True only when the message code is a Credit use case AND the content is confirmed to set Credit. */
  credit: boolean;
  payloadMode: PayloadPaymentMode;
  /** Set whenever credit is false: the reason code the gate should refuse with. */
  reason?: PaymentModeReason;
  why?: string;
}

export const SR_1_6_USE_CASES: Readonly<Record<number, { useCase: Exclude<PaymentModeUseCase, 'unknown'>; fuel: Fuel; credit: boolean }>> = {
  0x001a: { useCase: 'ECS02', fuel: 'electricity', credit: true },
  0x001b: { useCase: 'ECS03', fuel: 'electricity', credit: false },
  0x006c: { useCase: 'GCS02', fuel: 'gas', credit: true },
  0x006d: { useCase: 'GCS03', fuel: 'gas', credit: false },
};

interface PayloadReading {
  mode: PayloadPaymentMode;
  why?: string;
  execution?: GbcsExecution;
}

const HOUR_MS = 3_600_000;

/** An ECS02 activation date-time (DLMS date-time, 12 octets): all 0x00 now, all 0xFF a cancellation. */
export function dlmsExecution(bytes: Buffer): GbcsExecution | undefined {
  if (bytes.length !== DATE_TIME_LENGTH) return undefined;
  const head = bytes.subarray(0, 9);
  if (head.every((b) => b === 0x00)) return { kind: 'immediate' };
  if (head.every((b) => b === 0xff)) return { kind: 'cancellation' };
  const d = decodeDlmsDateTime(bytes);
  if (d.year === undefined || d.month === undefined || d.day === undefined || d.hour === undefined || d.minute === undefined || d.second === undefined) return undefined;
  const local = Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute, d.second);
  const check = new Date(local);
  if (check.getUTCDate() !== d.day || check.getUTCMonth() !== d.month - 1) return undefined;
  const slack = d.deviation === undefined ? HOUR_MS : Math.abs(d.deviation) * 60_000;
  return { kind: 'at', earliest: new Date(local - slack), latest: new Date(local + slack) };
}

const ZIGBEE_EPOCH_MS = Date.UTC(2000, 0, 1);

/** A GCS02 Implementation Date Time (ZigBee UTCTime, seconds since 2000): 0 now, 0xFFFFFFFF a cancellation. */
export function zigbeeExecution(seconds: number): GbcsExecution {
  if (seconds === 0) return { kind: 'immediate' };
  if (seconds === 0xffffffff) return { kind: 'cancellation' };
  const t = new Date(ZIGBEE_EPOCH_MS + seconds * 1000);
  return { kind: 'at', earliest: t, latest: t };
}

/**
 * Which SR 1.6 use case the message code names, and whether the content really sets Credit:
 * ECS02 needs a DLMS Access-Request that SETs Account (class 111) 0-1:19.0.0.255 attribute 2 to
 * structure{payment_mode = 1, account_status} and nothing outside the Account's attributes 2, 11, 13;
 * GCS02 needs exactly one plaintext GBZ component, Prepayment cluster 0x0705, ZCL Change Payment Mode
 * (0x06) with Proposed Payment Control Configuration 0x0C94.
 */
export function classifyPaymentMode(msg: GeneralSigningMessage): PaymentModeClassification {
  const code = msg.messageCode;
  const known = SR_1_6_USE_CASES[code];
  if (known === undefined) {
    return {
      useCase: 'unknown',
      fuel: undefined,
      messageCode: code,
      credit: false,
      payloadMode: 'unconfirmed',
      reason: 'GBCS_MESSAGE_CODE',
      why: `message code ${hex16(code)} is not an SR 1.6 use case (ECS02 0x001A, ECS03 0x001B, GCS02 0x006C, GCS03 0x006D)`,
    };
  }
  const base = { useCase: known.useCase, fuel: known.fuel, messageCode: code };

  let reading: PayloadReading;
  let malformed: string | undefined;
  try {
    reading = known.fuel === 'electricity' ? readEsmePaymentMode(msg) : readGsmePaymentMode(msg);
  } catch (e) {
    if (!(e instanceof GbcsFormatError)) throw e;
    reading = { mode: 'unconfirmed', why: e.message };
    malformed = e.message;
  }

  if (msg.cra !== 'command') {
    return { ...base, credit: false, payloadMode: reading.mode, reason: 'GBCS_MALFORMED', why: `CRA flag says ${msg.cra}; a Pre-Command is a command` };
  }
  if (!known.credit) {
    return { ...base, credit: false, payloadMode: reading.mode, reason: 'PAYMENT_MODE_NOT_CREDIT', why: `use case ${known.useCase} sets Prepayment` };
  }
  if (malformed !== undefined) {
    return { ...base, credit: false, payloadMode: 'unconfirmed', reason: 'GBCS_MALFORMED', why: malformed };
  }
  if (reading.mode !== 'credit') {
    return {
      ...base,
      credit: false,
      payloadMode: reading.mode,
      reason: 'PAYMENT_MODE_NOT_CREDIT',
      why: `message code ${hex16(code)} says Credit but the content ${reading.mode === 'prepayment' ? 'sets Prepayment' : 'is not confirmed as Credit'}${reading.why ? `: ${reading.why}` : ''}`,
    };
  }
  // Written out, not spread from base: this is every accepted Pre-Command's path, and V8 copies a spread slowly.
  const credit: PaymentModeClassification = { useCase: known.useCase, fuel: known.fuel, messageCode: code, credit: true, payloadMode: 'credit' };
  if (reading.execution) credit.execution = reading.execution;
  return credit;
}

/** Reads the content with error offsets counted from the start of the whole message. */
function contentReader(msg: GeneralSigningMessage): Reader {
  return new Reader(msg.content, 0, msg.content.length, msg.contentOffset);
}

// --- DLMS (ESME) ----------------------------------------------------------------------------------

const DLMS_ACCESS_REQUEST = 0xd9;
const ACCOUNT_CLASS = 111;
const ACCOUNT_INSTANCE = Buffer.from([0x00, 0x01, 0x13, 0x00, 0x00, 0xff]); // 0-1:19.0.0.255
const ACCOUNT_MODE_AND_STATUS = 2;
const ACCOUNT_ACTIVATION_TIME = 13;
const ECS02_ACCOUNT_ATTRIBUTES = new Set([2, 11, ACCOUNT_ACTIVATION_TIME]); // mode and status, credit charge configuration, activation time
const DLMS_ENUM = 0x16;
const DLMS_STRUCTURE = 0x02;
const DLMS_ARRAY = 0x01;
const MAX_DLMS_DEPTH = 16;

const SPEC_KIND: Record<number, string> = { 1: 'GET', 2: 'SET', 3: 'ACTION', 4: 'GET-with-selection', 5: 'SET-with-selection' };

interface AccessRequestSpecification {
  choice: number;
  classId: number;
  instance: Buffer;
  /** Attribute id (GET/SET) or method id (ACTION). */
  id: number;
}

interface DlmsValue {
  tag: number;
  offset: number;
  /** Unsigned value of an enum, unsigned, long-unsigned... (numeric types up to 32 bits). */
  int?: number;
  items?: DlmsValue[];
  /** The octets of an octet-string. */
  bytes?: Buffer;
}

/** Fixed-size DLMS data types: tag → size of the value in octets. */
const DLMS_FIXED: Record<number, number> = {
  0x00: 0, // null-data
  0x03: 1, // boolean
  0x05: 4, // double-long
  0x06: 4, // double-long-unsigned
  0x0d: 1, // bcd
  0x0f: 1, // integer
  0x10: 2, // long
  0x11: 1, // unsigned
  0x12: 2, // long-unsigned
  0x14: 8, // long64
  0x15: 8, // long64-unsigned
  0x16: 1, // enum
  0x17: 4, // float32
  0x18: 8, // float64
  0x19: 12, // date-time
  0x1a: 5, // date
  0x1b: 4, // time
};
const DLMS_OCTET_STRING = 0x09;
const DLMS_STRING = new Set([DLMS_OCTET_STRING, 0x0a, 0x0c]); // octet-string, visible-string, utf8-string

function readDlmsData(r: Reader, field: string, depth = 0): DlmsValue {
  const offset = r.at;
  if (depth > MAX_DLMS_DEPTH) r.fail(field, `DLMS data nested deeper than ${MAX_DLMS_DEPTH}`);
  const typeAt = r.pos;
  const tag = r.u8(`${field} type`);
  if (tag === DLMS_ARRAY || tag === DLMS_STRUCTURE) {
    const n = r.length(`${field} element count`);
    const items: DlmsValue[] = [];
    for (let i = 0; i < n; i++) items.push(readDlmsData(r, `${field}[${i}]`, depth + 1));
    return { tag, offset, items };
  }
  if (tag === 0x04) {
    const bits = r.length(`${field} bit-string length`);
    r.skip(Math.ceil(bits / 8), `${field} bit-string`);
    return { tag, offset };
  }
  if (DLMS_STRING.has(tag)) {
    const n = r.length(`${field} string length`);
    if (tag === DLMS_OCTET_STRING) return { tag, offset, bytes: r.bytes(n, `${field} string`) };
    r.skip(n, `${field} string`);
    return { tag, offset };
  }
  const size = DLMS_FIXED[tag];
  if (size === undefined) r.fail(`${field} type`, `DLMS data type 0x${tag.toString(16).toUpperCase().padStart(2, '0')} is not supported here`, typeAt);
  const value: DlmsValue = { tag, offset };
  if (size === 1) value.int = r.u8(field);
  else if (size === 2) value.int = r.u16(field);
  else if (size === 4 && (tag === 0x05 || tag === 0x06)) value.int = r.u32(field);
  else r.skip(size, field);
  return value;
}

function readAccessRequest(msg: GeneralSigningMessage): { specs: AccessRequestSpecification[]; data: DlmsValue[] } {
  const r = contentReader(msg);
  const tag = r.u8('DLMS Access-Request tag');
  if (tag !== DLMS_ACCESS_REQUEST) r.fail('DLMS Access-Request tag', `expected 0xD9, found 0x${tag.toString(16).toUpperCase().padStart(2, '0')}`, 0);
  r.u32('DLMS long-invoke-id-and-priority');
  const dtAt = r.pos;
  const dtLen = r.length('DLMS date-time length');
  if (dtLen !== 0 && dtLen !== DATE_TIME_LENGTH) r.fail('DLMS date-time length', `expected 0 or 12, found ${dtLen}`, dtAt);
  r.skip(dtLen, 'DLMS date-time');

  const nSpecs = r.length('access-request-specification count');
  const specs: AccessRequestSpecification[] = [];
  for (let i = 0; i < nSpecs; i++) {
    const field = `access-request-specification[${i}]`;
    const at = r.pos;
    const choice = r.u8(`${field} choice`);
    if (SPEC_KIND[choice] === undefined) r.fail(`${field} choice`, `${choice} is not GET, SET, ACTION or a with-selection form (1-5)`, at);
    const classId = r.u16(`${field} class id`);
    const instance = r.bytes(6, `${field} instance id`);
    const id = r.u8(`${field} ${choice === 3 ? 'method' : 'attribute'} id`);
    if (choice === 4 || choice === 5) {
      r.u8(`${field} access selector`);
      readDlmsData(r, `${field} access parameters`);
    }
    specs.push({ choice, classId, instance, id });
  }
  const nDataAt = r.pos;
  const nData = r.length('access-request-list-of-data count');
  if (nData !== nSpecs) r.fail('access-request-list-of-data count', `${nData} data for ${nSpecs} specification(s)`, nDataAt);
  const data: DlmsValue[] = [];
  for (let i = 0; i < nData; i++) data.push(readDlmsData(r, `access-request data[${i}]`));
  r.expectEnd('DLMS Access-Request');
  return { specs, data };
}

function describeSpec(s: AccessRequestSpecification): string {
  const obis = `${s.instance[0]}-${s.instance[1]}:${s.instance[2]}.${s.instance[3]}.${s.instance[4]}.${s.instance[5]}`;
  return `${SPEC_KIND[s.choice]} class ${s.classId} ${obis} ${s.choice === 3 ? 'method' : 'attribute'} ${s.id}`;
}

function isAccount(s: AccessRequestSpecification): boolean {
  return s.classId === ACCOUNT_CLASS && s.instance.equals(ACCOUNT_INSTANCE);
}

function readEsmePaymentMode(msg: GeneralSigningMessage): PayloadReading {
  const { specs, data } = readAccessRequest(msg);
  const modeIdx: number[] = [];
  for (let i = 0; i < specs.length; i++) {
    const s = specs[i]!;
    if (s.choice === 2 && isAccount(s) && s.id === ACCOUNT_MODE_AND_STATUS) modeIdx.push(i);
  }
  if (modeIdx.length !== 1) {
    return { mode: 'unconfirmed', why: `expected one SET of Account 0-1:19.0.0.255 attribute 2, found ${modeIdx.length}` };
  }
  const value = data[modeIdx[0]!]!;
  const items = value.items;
  if (value.tag !== DLMS_STRUCTURE || items?.length !== 2 || items[0]!.tag !== DLMS_ENUM || items[1]!.tag !== DLMS_ENUM) {
    return { mode: 'unconfirmed', why: `account_mode_and_status at offset ${value.offset} is not structure{enum payment_mode, enum account_status}` };
  }
  const paymentMode = items[0]!.int;
  if (paymentMode === 2) return { mode: 'prepayment', why: 'payment_mode = 2 (prepayment)' };
  if (paymentMode !== 1) return { mode: 'unconfirmed', why: `payment_mode = ${paymentMode} is neither 1 (credit) nor 2 (prepayment)` };
  const extra = specs.find((s) => !(s.choice === 2 && isAccount(s) && ECS02_ACCOUNT_ATTRIBUTES.has(s.id)));
  if (extra !== undefined) {
    return { mode: 'unconfirmed', why: `the Access-Request also does ${describeSpec(extra)}, which is not part of ECS02` };
  }
  const activation: DlmsValue[] = [];
  for (let i = 0; i < specs.length; i++) if (specs[i]!.id === ACCOUNT_ACTIVATION_TIME) activation.push(data[i]!);
  if (activation.length > 1) return { mode: 'unconfirmed', why: 'the Account activation time is set more than once' };
  if (activation.length === 0) return { mode: 'credit', execution: { kind: 'immediate' } };
  const at = activation[0]!;
  const execution = at.tag === DLMS_OCTET_STRING && at.bytes ? dlmsExecution(at.bytes) : undefined;
  if (!execution) return { mode: 'unconfirmed', why: `the Account activation time at offset ${at.offset} is not a DLMS date-time` };
  return { mode: 'credit', execution };
}

// --- GBZ / ZigBee (GSME) ---------------------------------------------------------------------------

const GBZ_PROFILE_ID = 0x0109;
const GBZ_CONTROL_ENCRYPTED = 0x02;
const GBZ_CONTROL_FROM_DATE_TIME = 0x10;
const GBZ_CONTROL_KNOWN = 0x01 | GBZ_CONTROL_ENCRYPTED | GBZ_CONTROL_FROM_DATE_TIME;
const PREPAYMENT_CLUSTER = 0x0705;
const CHANGE_PAYMENT_MODE = 0x06;
const CHANGE_PAYMENT_MODE_LENGTH = 18; // provider id 4, issuer event id 4, implementation date-time 4, config 2, cut off 4
const CREDIT_PAYMENT_CONTROL = 0x0c94;
const PREPAYMENT_PAYMENT_CONTROLS = new Set([0x0097, 0x0497, 0x0897, 0x0c97]);

interface GbzComponent {
  offset: number;
  control: number;
  cluster: number;
  frameControl?: number;
  commandId?: number;
  payload?: Buffer;
  payloadOffset?: number;
}

function readGbzPayload(msg: GeneralSigningMessage): GbzComponent[] {
  const r = contentReader(msg);
  const profile = r.u16('GBZ profile id');
  if (profile !== GBZ_PROFILE_ID) r.fail('GBZ profile id', `expected 0x0109, found ${hex16(profile)}`, 0);
  const n = r.u8('GBZ component count');
  const components: GbzComponent[] = [];
  for (let i = 0; i < n; i++) {
    const field = `GBZ component[${i}]`;
    const controlAt = r.pos;
    const offset = r.at;
    const control = r.u8(`${field} extended header control`);
    if ((control & ~GBZ_CONTROL_KNOWN) !== 0) r.fail(`${field} extended header control`, `reserved bits set in 0x${control.toString(16)}`, controlAt);
    const cluster = r.u16(`${field} cluster id`);
    const len = r.u16(`${field} extended header command length`);
    const c = r.sub(len, `${field} command`);
    const component: GbzComponent = { offset, control, cluster };
    if ((control & GBZ_CONTROL_ENCRYPTED) === 0) {
      if (control & GBZ_CONTROL_FROM_DATE_TIME) c.skip(4, `${field} from date-time`);
      component.frameControl = c.u8(`${field} ZCL frame control`);
      c.u8(`${field} ZCL sequence number`);
      component.commandId = c.u8(`${field} ZCL command id`);
      component.payloadOffset = c.at;
      component.payload = c.bytes(c.left, `${field} ZCL payload`);
    }
    components.push(component);
  }
  r.expectEnd('GBZ payload');
  return components;
}

function readGsmePaymentMode(msg: GeneralSigningMessage): PayloadReading {
  const components = readGbzPayload(msg);
  if (components.length !== 1) return { mode: 'unconfirmed', why: `expected one GBZ component, found ${components.length}` };
  const c = components[0]!;
  if (c.control & GBZ_CONTROL_ENCRYPTED) return { mode: 'unconfirmed', why: 'the GBZ component is encrypted' };
  if (c.cluster !== PREPAYMENT_CLUSTER) return { mode: 'unconfirmed', why: `GBZ cluster ${hex16(c.cluster)} is not Prepayment (0x0705)` };
  const fc = c.frameControl!;
  // ZCL frame control: frame type 01 (cluster specific), no manufacturer code, client-to-server.
  if ((fc & 0x03) !== 0x01 || (fc & 0x04) !== 0 || (fc & 0x08) !== 0) {
    return { mode: 'unconfirmed', why: `ZCL frame control 0x${fc.toString(16)} is not a cluster-specific client-to-server command` };
  }
  if (c.commandId !== CHANGE_PAYMENT_MODE) {
    return { mode: 'unconfirmed', why: `ZCL command 0x${c.commandId!.toString(16)} is not Change Payment Mode (0x06)` };
  }
  const p = c.payload!;
  if (p.length !== CHANGE_PAYMENT_MODE_LENGTH) {
    throw new GbcsFormatError('Change Payment Mode payload', c.payloadOffset!, `expected ${CHANGE_PAYMENT_MODE_LENGTH} octets, found ${p.length}`);
  }
  const config = p.readUInt16LE(12);
  if (config === CREDIT_PAYMENT_CONTROL) return { mode: 'credit', execution: zigbeeExecution(p.readUInt32LE(8)) };
  if (PREPAYMENT_PAYMENT_CONTROLS.has(config)) return { mode: 'prepayment', why: `Proposed Payment Control Configuration ${hex16(config)} (prepayment)` };
  return { mode: 'unconfirmed', why: `Proposed Payment Control Configuration ${hex16(config)} is not Credit (0x0C94)` };
}

// ---------------------------------------------------------------------------------------------------
// SR 2.5 Activate Emergency Credit (RTDS 4.5.0 vectors ECS09_2.5 / GCS06_2.5)

export type EmergencyCreditUseCase = 'ECS09' | 'GCS06';

export const SR_2_5_USE_CASES: Readonly<Record<number, { useCase: EmergencyCreditUseCase; fuel: Fuel }>> = {
  0x0020: { useCase: 'ECS09', fuel: 'electricity' },
  0x0070: { useCase: 'GCS06', fuel: 'gas' },
};

const CREDIT_CLASS = 112;
const EMERGENCY_CREDIT_INSTANCE = Buffer.from([0x00, 0x00, 0x13, 0x0a, 0x01, 0xff]); // 0-0:19.10.1.255
const INVOKE_CREDIT = 3;
const DLMS_INTEGER = 0x0f;
const SELECT_EMERGENCY_CREDIT = 0x00;
const SELECT_EMERGENCY_CREDIT_LENGTH = 5; // command issue date-time 4, originating device 1

export interface ContentReading {
  /** The content does exactly what the use case names, nothing else. */
  confirmed: boolean;
  why?: string;
  /** Set when the content breaks its encoding. */
  malformed?: boolean;
}

/**
 * Whether the content only activates Emergency Credit: ECS09 is one DLMS ACTION invoke_credit (method 3)
 * on the Emergency Credit object (class 112, 0-0:19.10.1.255) with integer 0; GCS06 is one plaintext GBZ
 * component, Prepayment cluster 0x0705, ZCL Select Available Emergency Credit (0x00).
 */
export function readEmergencyCreditActivation(msg: GeneralSigningMessage, fuel: Fuel): ContentReading {
  try {
    return fuel === 'electricity' ? readEcs09(msg) : readGcs06(msg);
  } catch (e) {
    if (!(e instanceof GbcsFormatError)) throw e;
    return { confirmed: false, why: e.message, malformed: true };
  }
}

function readEcs09(msg: GeneralSigningMessage): ContentReading {
  const { specs, data } = readAccessRequest(msg);
  if (specs.length !== 1) return { confirmed: false, why: `expected one access-request specification, found ${specs.length}` };
  const s = specs[0]!;
  if (s.choice !== 3 || s.classId !== CREDIT_CLASS || !s.instance.equals(EMERGENCY_CREDIT_INSTANCE) || s.id !== INVOKE_CREDIT) {
    return { confirmed: false, why: `the Access-Request does ${describeSpec(s)}, not ACTION class 112 0-0:19.10.1.255 method 3` };
  }
  const v = data[0]!;
  if (v.tag !== DLMS_INTEGER || v.int !== 0) return { confirmed: false, why: `invoke_credit parameter at offset ${v.offset} is not integer 0` };
  return { confirmed: true };
}

function readGcs06(msg: GeneralSigningMessage): ContentReading {
  const components = readGbzPayload(msg);
  if (components.length !== 1) return { confirmed: false, why: `expected one GBZ component, found ${components.length}` };
  const c = components[0]!;
  if (c.control & GBZ_CONTROL_ENCRYPTED) return { confirmed: false, why: 'the GBZ component is encrypted' };
  if (c.cluster !== PREPAYMENT_CLUSTER) return { confirmed: false, why: `GBZ cluster ${hex16(c.cluster)} is not Prepayment (0x0705)` };
  const fc = c.frameControl!;
  if ((fc & 0x03) !== 0x01 || (fc & 0x0c) !== 0) return { confirmed: false, why: `ZCL frame control 0x${fc.toString(16)} is not a cluster-specific client-to-server command` };
  if (c.commandId !== SELECT_EMERGENCY_CREDIT) return { confirmed: false, why: `ZCL command 0x${c.commandId!.toString(16)} is not Select Available Emergency Credit (0x00)` };
  if (c.payload!.length !== SELECT_EMERGENCY_CREDIT_LENGTH) {
    return { confirmed: false, malformed: true, why: `Select Available Emergency Credit payload is ${c.payload!.length} octets, not ${SELECT_EMERGENCY_CREDIT_LENGTH}` };
  }
  return { confirmed: true };
}
