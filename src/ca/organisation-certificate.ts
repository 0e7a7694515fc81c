// The SMKI Organisation Certificate (smki-domain.md A): the builder that writes the TBSCertificate
// exactly to the profile, and the reader that understands every real ZAZ1 certificate, quirks and all.
import { hash, randomBytes, type KeyObject } from 'node:crypto';
import { InputError } from '../domain/errors.js';
import { euiFromBytes, euiToBytes, type Eui64 } from '../domain/eui.js';
import {
  DerError,
  ECDSA_WITH_SHA256,
  OID,
  TAG,
  assembleSigned,
  attributeText,
  bitString,
  children,
  content,
  decodeName,
  decodeSigned,
  decodeSpki,
  decodeTbs,
  explicit,
  extension,
  namedBits,
  nameToText,
  oid,
  octetString,
  publicKeyFromSpki,
  readBitString,
  readOid,
  readWhole,
  sequence,
  setBits,
  setOf,
  time,
  tlv,
  unsignedInteger,
  utf8String,
  wholeSeconds,
  type DecodedExtension,
  type NameAttribute,
} from './asn1.js';
import { derFromInput } from './pem.js';

/** RFC 5280 KeyUsage bit names, by bit number. */
export const KEY_USAGE_NAMES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsageName = (typeof KEY_USAGE_NAMES)[number];
export type OrganisationKeyUsage = 'digitalSignature' | 'keyAgreement';

export interface OrganisationCertificateTemplate {
  /** 16 octets, positive, high bit clear (see newSerial); encoded as given, so lint sees any mistake. */
  serial: Buffer;
  /** The issuing CA's subject Name DER, copied verbatim into issuer. */
  issuerNameDer: Buffer;
  subject: { commonName?: string; /** two upper-case hex digits */ ou: string; eui: Eui64 };
  spkiDer: Buffer;
  keyUsage: OrganisationKeyUsage;
  policyOid: string;
  notBefore: Date;
  notAfter: Date;
  /** The issuing CA's subjectKeyIdentifier. */
  authorityKeyId: Buffer;
}

/** One extension before encoding; `value` is the DER that goes inside extnValue. */
export interface ExtensionSpec {
  oid: string;
  critical: boolean;
  value: Buffer;
}

/** The fields of a TBSCertificate, v3, before encoding (tests tweak these to build bad certificates). */
export interface TbsFields {
  serial: Buffer;
  /** Defaults to ecdsa-with-SHA256 without parameters. */
  signatureAlgorithmDer?: Buffer;
  issuerNameDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  subjectNameDer: Buffer;
  spkiDer: Buffer;
  extensions: ExtensionSpec[];
}

const VERSION_V3 = explicit(0, Buffer.from([TAG.INTEGER, 1, 2]));

/** A fresh serial: 16 random octets, high bit clear, first octet non-zero (so DER keeps all 16). */
export function newSerial(): Buffer {
  for (;;) {
    const b = randomSerialOctets();
    b[0]! &= 0x7f;
    if (b[0] !== 0) return b;
  }
}

/** Random octets for serials, drawn from the CSPRNG 256 serials at a time (one call costs as much as 16 octets). */
let serialPool = Buffer.alloc(0);
function randomSerialOctets(): Buffer {
  if (serialPool.length < 16) serialPool = randomBytes(16 * 256);
  const b = Buffer.from(serialPool.subarray(0, 16));
  serialPool.fill(0, 0, 16);
  serialPool = serialPool.subarray(16);
  return b;
}

/** TBSCertificate DER (RFC 5280 4.1), version v3. */
export function encodeTbs(f: TbsFields): Buffer {
  if (f.serial.length === 0) throw new RangeError('serial: empty');
  const parts = [
    VERSION_V3,
    unsignedInteger(f.serial),
    f.signatureAlgorithmDer ?? ECDSA_WITH_SHA256,
    f.issuerNameDer,
    sequence(time(f.notBefore), time(f.notAfter)),
    f.subjectNameDer,
    f.spkiDer,
  ];
  if (f.extensions.length > 0) parts.push(explicit(3, sequence(...f.extensions.map((e) => extension(e.oid, e.critical, e.value)))));
  return sequence(...parts);
}

/** Subject RDNs in DER order CN (UTF8String, optional), OU (UTF8String), x500UniqueIdentifier (BIT STRING). */
export function encodeOrganisationSubject(s: { commonName?: string; ou: string; eui: Eui64 }): Buffer {
  const rdns: Buffer[] = [];
  if (s.commonName !== undefined) rdns.push(setOf(sequence(oid(OID.commonName), utf8String(s.commonName))));
  rdns.push(setOf(sequence(oid(OID.organizationalUnitName), utf8String(s.ou))));
  rdns.push(setOf(sequence(oid(OID.x500UniqueIdentifier), bitString(euiToBytes(s.eui)))));
  return sequence(...rdns);
}

/** KeyUsage extension value for the named bits (DER named-bit encoding). */
export function keyUsageValue(names: readonly KeyUsageName[]): Buffer {
  return namedBits(names.map((n) => KEY_USAGE_NAMES.indexOf(n)));
}

/** certificatePolicies value: one PolicyInformation per OID, no qualifiers. */
export function certificatePoliciesValue(policyOids: readonly string[]): Buffer {
  return sequence(...policyOids.map((p) => sequence(oid(p))));
}

/** authorityKeyIdentifier value with keyIdentifier [0] only. */
export function authorityKeyIdentifierValue(keyId: Buffer): Buffer {
  return sequence(tlv(0x80, keyId));
}

/** A P-256 SubjectPublicKeyInfo up to its point's leading 04: id-ecPublicKey, prime256v1, BIT STRING of 66 octets. */
export const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200' + '04', 'hex');

/**
 * RFC 5280 4.2.1.2 method (2): the 4-bit type 0100 followed by the least significant 60 bits of the
 * SHA-1 of the subjectPublicKey BIT STRING's value (without tag, length and unused-bits octet). 8 octets.
 */
export function subjectKeyIdentifier(spkiDer: Buffer): Buffer {
  let key: Buffer;
  if (spkiDer.length === P256_SPKI_PREFIX.length + 64 && spkiDer.subarray(0, P256_SPKI_PREFIX.length).equals(P256_SPKI_PREFIX)) key = spkiDer.subarray(P256_SPKI_PREFIX.length - 1);
  else {
    try {
      key = decodeSpki(spkiDer).publicKey;
    } catch (e) {
      throw new InputError(`public key: not a SubjectPublicKeyInfo (${(e as Error).message})`);
    }
  }
  const h = hash('sha1', key, 'buffer');
  const out = Buffer.from(h.subarray(12, 20));
  out[0] = 0x40 | (out[0]! & 0x0f);
  return out;
}

/** The TBS fields buildOrganisationTbs encodes; extension order KU, SKI, CP, AKI as most ZAZ1 certificates. */
export function organisationTbsFields(t: OrganisationCertificateTemplate): TbsFields {
  return {
    serial: t.serial,
    issuerNameDer: t.issuerNameDer,
    notBefore: wholeSeconds(t.notBefore),
    notAfter: wholeSeconds(t.notAfter),
    subjectNameDer: encodeOrganisationSubject(t.subject),
    spkiDer: t.spkiDer,
    extensions: [
      { oid: OID.keyUsage, critical: true, value: keyUsageValue([t.keyUsage]) },
      { oid: OID.subjectKeyIdentifier, critical: false, value: octetString(subjectKeyIdentifier(t.spkiDer)) },
      { oid: OID.certificatePolicies, critical: true, value: certificatePoliciesValue([t.policyOid]) },
      { oid: OID.authorityKeyIdentifier, critical: false, value: authorityKeyIdentifierValue(t.authorityKeyId) },
    ],
  };
}

/** What a CA's templates share: signature algorithm, issuer and the extensions but for the SKI's 8 octets. */
interface TbsConstants {
  issuerNameDer: Buffer;
  authorityKeyId: Buffer;
  policyOid: string;
  keyUsage: OrganisationKeyUsage;
  /** signature AlgorithmIdentifier, then issuer Name. */
  afterSerial: Buffer;
  /** The [3] Extensions, SKI octets zero; `skiAt` is where they go. */
  extensions: Buffer;
  skiAt: number;
}

/** The last CA and profile built for (one CA signs every certificate of a process). */
let lastConstants: TbsConstants | undefined;
/** The last validity built: a batch shares its notBefore and notAfter. */
let lastValidity: { notBefore: number; notAfter: number; der: Buffer } | undefined;

function tbsConstants(t: OrganisationCertificateTemplate): TbsConstants {
  const c = lastConstants;
  if (c && c.policyOid === t.policyOid && c.keyUsage === t.keyUsage && c.issuerNameDer.equals(t.issuerNameDer) && c.authorityKeyId.equals(t.authorityKeyId)) return c;
  const fields = organisationTbsFields(t);
  const extensions = explicit(3, sequence(...fields.extensions.map((e) => extension(e.oid, e.critical, e.oid === OID.subjectKeyIdentifier ? octetString(Buffer.alloc(8)) : e.value))));
  const skiExtension = extension(OID.subjectKeyIdentifier, false, octetString(Buffer.alloc(8)));
  const skiAt = extensions.indexOf(skiExtension) + skiExtension.length - 8;
  lastConstants = {
    issuerNameDer: Buffer.from(t.issuerNameDer),
    authorityKeyId: Buffer.from(t.authorityKeyId),
    policyOid: t.policyOid,
    keyUsage: t.keyUsage,
    afterSerial: Buffer.concat([ECDSA_WITH_SHA256, t.issuerNameDer]),
    extensions,
    skiAt,
  };
  return lastConstants;
}

function validityDer(notBefore: Date, notAfter: Date): Buffer {
  const v = lastValidity;
  if (v && v.notBefore === notBefore.getTime() && v.notAfter === notAfter.getTime()) return v.der;
  const der = sequence(time(notBefore), time(notAfter));
  lastValidity = { notBefore: notBefore.getTime(), notAfter: notAfter.getTime(), der };
  return der;
}

/**
 * DER TBSCertificate of an SMKI Organisation Certificate, exactly to smki-domain.md A: the bytes
 * encodeTbs(organisationTbsFields(t)) writes, with what a CA's templates share encoded once.
 */
export function buildOrganisationTbs(t: OrganisationCertificateTemplate): Buffer {
  if (t.serial.length === 0) throw new RangeError('serial: empty');
  const c = tbsConstants(t);
  const ski = subjectKeyIdentifier(t.spkiDer);
  const tbs = sequence(VERSION_V3, unsignedInteger(t.serial), c.afterSerial, validityDer(t.notBefore, t.notAfter), encodeOrganisationSubject(t.subject), t.spkiDer, c.extensions);
  ski.copy(tbs, tbs.length - c.extensions.length + c.skiAt);
  return tbs;
}

/** DER Certificate: the TBS, ecdsa-with-SHA256 without parameters, and the DER ECDSA signature. */
export function assembleCertificate(tbsDer: Buffer, signatureDer: Buffer): Buffer {
  return assembleSigned(tbsDer, signatureDer);
}

// ---------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------

export interface OrganisationCertificateInfo {
  der: Buffer;
  /** The signed TBSCertificate and the signature, to check against the issuer's key. */
  tbsDer: Buffer;
  signatureAlgorithmOid: string;
  signatureDer: Buffer;
  /** Upper-case hex of the serial as encoded, minus a leading 00 pad. */
  serialHex: string;
  serialDecimal: string;
  issuerNameDer: Buffer;
  /** RFC 4514 text, e.g. `CN=Z1,OU=07` as DCC writes XMLDSig X509IssuerName. */
  issuerText: string;
  subjectNameDer: Buffer;
  /** RFC 4514 text, e.g. `2.5.4.45=#03090090B3D51F30010000,OU=02,CN=GITTESTSUPPLIER`. */
  subjectText: string;
  commonName?: string;
  /** The GBCS Remote Party Role from the subject OU (hex; the legacy 3-digit decimal form read as decimal). */
  remotePartyRole: number;
  /** The subject OU exactly as written (`87`, or the legacy `137`). */
  roleOu: string;
  eui: Eui64;
  keyUsage: KeyUsageName[];
  keyUsageCritical: boolean;
  notBefore: Date;
  notAfter: Date;
  spkiDer: Buffer;
  /** Loaded on first use (about 50 µs): reading a certificate does not pay for it. */
  readonly publicKey: KeyObject;
  ski?: Buffer;
  aki?: Buffer;
  policyOids: string[];
  extensionOids: string[];
}

const LABELS = ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'];

function fail(what: string, message: string): never {
  throw new InputError(`${what}: ${message}`);
}

/** The CN, OU and x500UniqueIdentifier attributes of a subject, wherever they sit. */
export function organisationSubjectAttributes(rdns: NameAttribute[][]): {
  cn: NameAttribute[];
  ou: NameAttribute[];
  uid: NameAttribute[];
} {
  const out = { cn: [] as NameAttribute[], ou: [] as NameAttribute[], uid: [] as NameAttribute[] };
  for (const rdn of rdns)
    for (const a of rdn) {
      if (a.oid === OID.commonName) out.cn.push(a);
      else if (a.oid === OID.organizationalUnitName) out.ou.push(a);
      else if (a.oid === OID.x500UniqueIdentifier) out.uid.push(a);
    }
  return out;
}

/** The Remote Party Role an OU text names: two hex digits, or the legacy 3-digit decimal (`137`). */
export function remotePartyRoleFromOu(ou: string): number | undefined {
  if (/^[0-9A-Fa-f]{2}$/.test(ou)) return parseInt(ou, 16);
  if (/^\d{3}$/.test(ou) && Number(ou) <= 255) return Number(ou);
  return undefined;
}

/** Serial content octets → upper-case hex without a 00 pad. */
export function serialToHex(serialContent: Buffer): string {
  const s = serialContent.length > 1 && serialContent[0] === 0 ? serialContent.subarray(1) : serialContent;
  return s.toString('hex').toUpperCase();
}

function readExtensionsOf(exts: DecodedExtension[] | undefined, what: string) {
  let keyUsage: KeyUsageName[] = [];
  let keyUsageCritical = false;
  let ski: Buffer | undefined;
  let aki: Buffer | undefined;
  const policyOids: string[] = [];
  for (const e of exts ?? []) {
    const v = e.value;
    if (e.oid === OID.keyUsage) {
      const bits = setBits(readBitString(v, readWhole(v, 'keyUsage'), 'keyUsage'));
      keyUsage = bits.map((b) => KEY_USAGE_NAMES[b] ?? (`bit${b}` as KeyUsageName));
      keyUsageCritical = e.critical;
    } else if (e.oid === OID.subjectKeyIdentifier) {
      const t = readWhole(v, 'subjectKeyIdentifier');
      if (t.tag !== TAG.OCTET_STRING) fail(what, 'subjectKeyIdentifier is not an OCTET STRING');
      ski = Buffer.from(content(v, t));
    } else if (e.oid === OID.authorityKeyIdentifier) {
      const t = readWhole(v, 'authorityKeyIdentifier');
      for (const c of children(v, t)) if (c.tag === 0x80) aki = Buffer.from(content(v, c));
    } else if (e.oid === OID.certificatePolicies) {
      const t = readWhole(v, 'certificatePolicies');
      for (const pi of children(v, t)) {
        const id = children(v, pi)[0];
        if (!id) throw new DerError('empty PolicyInformation');
        policyOids.push(readOid(v, id, 'policyIdentifier'));
      }
    }
  }
  return { keyUsage, keyUsageCritical, ski, aki, policyOids };
}

/** Adds `publicKey`, loaded on first use (about 50 µs), so reading a certificate does not pay for it. */
function withLazyPublicKey<T extends object>(info: T, spkiDer: Buffer, spki: ReturnType<typeof decodeSpki>, what: string): T & { readonly publicKey: KeyObject } {
  let key: KeyObject | undefined;
  Object.defineProperty(info, 'publicKey', {
    enumerable: true,
    get(): KeyObject {
      if (!key) {
        try {
          key = publicKeyFromSpki(spkiDer, spki);
        } catch (e) {
          fail(what, `the public key cannot be loaded (${(e as Error).message.split('\n')[0]})`);
        }
      }
      return key;
    },
  });
  return info as T & { readonly publicKey: KeyObject };
}

/**
 * Reads an SMKI Organisation Certificate (DER, PEM or bare base64). Tolerates what the real ZAZ1
 * certificates do (PrintableString or UTF8String issuer, no AKI, GeneralizedTime 2118, NULL
 * signature parameters, basicConstraints CA:FALSE, the legacy OU `137`); `lintOrganisationCertificate`
 * reports those. Throws InputError (one line) for anything that is not an Organisation Certificate.
 */
export function readOrganisationCertificate(input: Buffer | string, what = 'certificate'): OrganisationCertificateInfo {
  const der = Buffer.from(derFromInput(input, LABELS, what));
  try {
    const cert = decodeSigned(der, 'Certificate');
    const tbs = decodeTbs(cert.tbs);
    if (tbs.version !== 2) fail(what, `not an X.509 v3 certificate (version ${tbs.version + 1})`);
    if (cert.signatureAlgorithm.oid !== OID.ecdsaWithSha256) {
      fail(what, `signature algorithm ${cert.signatureAlgorithm.oid} is not ecdsa-with-SHA256`);
    }
    const rdns = decodeName(tbs.subject, 'subject');
    const { cn, ou, uid } = organisationSubjectAttributes(rdns);
    if (ou.length !== 1) fail(what, `not an Organisation Certificate: subject has ${ou.length} organizationalUnitName (Remote Party Role) attributes, expected 1`);
    if (uid.length !== 1) fail(what, `not an Organisation Certificate: subject has ${uid.length} x500UniqueIdentifier (EUI-64) attributes, expected 1`);
    const roleOu = attributeText(ou[0]!);
    if (roleOu === undefined) fail(what, 'subject OU is not a directory string');
    const remotePartyRole = remotePartyRoleFromOu(roleOu);
    if (remotePartyRole === undefined) fail(what, `subject OU '${roleOu}' is not a Remote Party Role (two hex digits)`);
    const u = uid[0]!;
    if (u.tag !== TAG.BIT_STRING || u.value.length !== 9 || u.value[0] !== 0) {
      fail(what, 'subject x500UniqueIdentifier is not a BIT STRING of 8 octets (EUI-64)');
    }
    const eui = euiFromBytes(u.value.subarray(1));
    const commonName = cn.length > 0 ? attributeText(cn[0]!) : undefined;
    const spki = decodeSpki(tbs.spki);
    const ext = readExtensionsOf(tbs.extensions, what);
    const serialHex = serialToHex(tbs.serial);
    const info = {
      der,
      tbsDer: cert.tbs,
      signatureAlgorithmOid: cert.signatureAlgorithm.oid,
      signatureDer: cert.signature,
      serialHex,
      serialDecimal: BigInt(`0x${serialHex}`).toString(10),
      issuerNameDer: tbs.issuer,
      issuerText: nameToText(tbs.issuer),
      subjectNameDer: tbs.subject,
      subjectText: nameToText(rdns),
      ...(commonName === undefined ? {} : { commonName }),
      remotePartyRole,
      roleOu,
      eui,
      keyUsage: ext.keyUsage,
      keyUsageCritical: ext.keyUsageCritical,
      notBefore: tbs.notBefore.date,
      notAfter: tbs.notAfter.date,
      spkiDer: tbs.spki,
      ...(ext.ski ? { ski: ext.ski } : {}),
      ...(ext.aki ? { aki: ext.aki } : {}),
      policyOids: ext.policyOids,
      extensionOids: (tbs.extensions ?? []).map((e) => e.oid),
    } as Omit<OrganisationCertificateInfo, 'publicKey'>;
    return withLazyPublicKey(info, tbs.spki, spki, what);
  } catch (e) {
    if (e instanceof InputError) throw e;
    // DerError, or a structure the decoders did not expect (an element missing where one must be).
    fail(what, `not a DER X.509 certificate (${e instanceof DerError ? e.message : 'malformed structure'})`);
  }
}

// ---------------------------------------------------------------------------------------------
// CA certificates (Root OCA, Issuing OCA): what the signer needs from them
// ---------------------------------------------------------------------------------------------

export interface CaCertificateInfo {
  der: Buffer;
  tbsDer: Buffer;
  signatureAlgorithmOid: string;
  signatureDer: Buffer;
  serialHex: string;
  subjectNameDer: Buffer;
  subjectText: string;
  issuerNameDer: Buffer;
  issuerText: string;
  spkiDer: Buffer;
  /** The subjectKeyIdentifier extension, or the method (2) value when the extension is absent. */
  ski: Buffer;
  aki?: Buffer;
  notBefore: Date;
  notAfter: Date;
  pathLen?: number;
  keyUsage: KeyUsageName[];
  readonly publicKey: KeyObject;
}

/** Reads a CA certificate (basicConstraints cA TRUE); InputError for anything else. */
export function readCaCertificate(input: Buffer | string, what = 'CA certificate'): CaCertificateInfo {
  const der = Buffer.from(derFromInput(input, LABELS, what));
  try {
    const cert = decodeSigned(der, 'Certificate');
    const tbs = decodeTbs(cert.tbs);
    if (tbs.version !== 2) fail(what, `not an X.509 v3 certificate (version ${tbs.version + 1})`);
    let isCa = false;
    let pathLen: number | undefined;
    for (const e of tbs.extensions ?? []) {
      if (e.oid !== OID.basicConstraints) continue;
      const v = e.value;
      for (const c of children(v, readWhole(v, 'basicConstraints'))) {
        if (c.tag === TAG.BOOLEAN) isCa = v[c.contentStart] !== 0;
        else if (c.tag === TAG.INTEGER) pathLen = Number(BigInt(`0x${content(v, c).toString('hex')}`));
      }
    }
    if (!isCa) fail(what, 'not a CA certificate (basicConstraints cA is not TRUE)');
    const ext = readExtensionsOf(tbs.extensions, what);
    const spki = decodeSpki(tbs.spki);
    const info = {
      der,
      tbsDer: cert.tbs,
      signatureAlgorithmOid: cert.signatureAlgorithm.oid,
      signatureDer: cert.signature,
      serialHex: serialToHex(tbs.serial),
      subjectNameDer: tbs.subject,
      subjectText: nameToText(tbs.subject),
      issuerNameDer: tbs.issuer,
      issuerText: nameToText(tbs.issuer),
      spkiDer: tbs.spki,
      ski: ext.ski ?? subjectKeyIdentifier(tbs.spki),
      ...(ext.aki ? { aki: ext.aki } : {}),
      notBefore: tbs.notBefore.date,
      notAfter: tbs.notAfter.date,
      ...(pathLen === undefined ? {} : { pathLen }),
      keyUsage: ext.keyUsage,
    } as Omit<CaCertificateInfo, 'publicKey'>;
    return withLazyPublicKey(info, tbs.spki, spki, what);
  } catch (e) {
    if (e instanceof InputError) throw e;
    // DerError, or a structure the decoders did not expect (an element missing where one must be).
    fail(what, `not a DER X.509 certificate (${e instanceof DerError ? e.message : 'malformed structure'})`);
  }
}
