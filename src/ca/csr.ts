// The CSR gate, parsing and key half: PKCS#10 (RFC 2986) in PEM or DER, the subject facts SMKI
// needs, and the checks that need nothing but the CSR itself (proof of possession, algorithm, key).
// Registry checks (key reuse, EUI against the Party's User ID) belong to the RA.
import { verify, type KeyObject } from 'node:crypto';
import { InputError } from '../domain/errors.js';
import { euiFromBytes, isEui64Text, parseEui64, type Eui64 } from '../domain/eui.js';
import { reason, type Reason } from '../domain/reasons.js';
import {
  DerError,
  OID,
  TAG,
  attributeText,
  children,
  content,
  decodeName,
  decodeSigned,
  decodeExtensions,
  decodeSpki,
  nameToText,
  publicKeyFromSpki,
  readBitString,
  readOid,
  readWhole,
  setBits,
  signatureHash,
  whole,
  type DecodedSpki,
  type Tlv,
} from './asn1.js';
import { KEY_USAGE_NAMES, organisationSubjectAttributes } from './organisation-certificate.js';
import { derFromInput } from './pem.js';

export interface ParsedCsr {
  der: Buffer;
  /** The signed CertificationRequestInfo and its signature (proof of possession). */
  certificationRequestInfoDer: Buffer;
  signatureDer: Buffer;
  signatureAlgorithmOid: string;
  /** The signatureAlgorithm parameters TLV, when present. */
  signatureAlgorithmParameters?: Buffer;
  subjectNameDer: Buffer;
  subjectText: string;
  subjectEui?: Eui64;
  subjectOu?: string;
  subjectCommonName?: string;
  /**
   * The Key Usage bits the CSR asks for in its extensionRequest attribute (PKCS#9), by name; undefined
   * when it requests no keyUsage extension.
   */
  requestedKeyUsage?: string[];
  spkiDer: Buffer;
  keyAlgorithm: { oid: string; curveOid?: string };
  /** The EC point or other key octets of subjectPublicKey. */
  publicKeyBytes: Buffer;
  /**
   * The key as Node loads it; undefined when Node refuses it (a P-256 point off the curve, an
   * unknown algorithm): checkCsr then reports CSR_KEY_INVALID_POINT or CSR_KEY_NOT_P256.
   */
  publicKey?: KeyObject;
}

const LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'];

function fail(what: string, message: string): never {
  throw new InputError(`${what}: ${message}`);
}

/** The EUI in a CSR subject: BIT STRING of 8 octets (SMKI) or hex text (OpenSSL), with or without dashes. */
function euiFromAttribute(tag: number, value: Buffer, text: string | undefined, what: string): Eui64 {
  if (tag === TAG.BIT_STRING) {
    if (value.length !== 9 || value[0] !== 0) fail(what, 'subject x500UniqueIdentifier BIT STRING is not 8 octets (EUI-64)');
    return euiFromBytes(value.subarray(1));
  }
  if (text === undefined || !isEui64Text(text.trim())) {
    fail(what, `subject x500UniqueIdentifier '${text ?? value.toString('hex')}' is not an EUI-64`);
  }
  return parseEui64(text.trim(), `${what} subject x500UniqueIdentifier`);
}

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

/**
 * The keyUsage an extensionRequest attribute asks for (RFC 2986 attributes, RFC 2985 extensionRequest),
 * or undefined if none is requested. A malformed or repeated request is malformed input: the CA will
 * not guess what was asked for.
 */
function requestedKeyUsage(info: Buffer, attrs: Tlv, what: string): string[] | undefined {
  let found: string[] | undefined;
  let extensionRequests = 0;
  for (const a of children(info, attrs)) {
    if (a.tag !== TAG.SEQUENCE) fail(what, 'a CSR attribute is not a SEQUENCE');
    const [type, values, ...rest] = children(info, a);
    if (!type || !values || rest.length || values.tag !== TAG.SET) fail(what, 'a CSR attribute is not a type and a SET of values');
    if (readOid(info, type, 'attribute type') !== EXTENSION_REQUEST) continue;
    if (++extensionRequests > 1) fail(what, 'the CSR repeats its extensionRequest attribute');
    const set = children(info, values);
    if (set.length !== 1) fail(what, 'extensionRequest must hold exactly one Extensions value');
    for (const e of decodeExtensions(info, set[0]!)) {
      if (e.oid !== OID.keyUsage) continue;
      if (found) fail(what, 'extensionRequest repeats keyUsage');
      const ku = readWhole(e.value, 'requested keyUsage');
      found = setBits(readBitString(e.value, ku, 'requested keyUsage')).map((b) => KEY_USAGE_NAMES[b] ?? `bit ${b}`);
    }
  }
  return found;
}

/**
 * Parses a PKCS#10 CSR (PEM, DER or bare base64). InputError (exit 4), one line, for empty, truncated
 * or garbage input and for anything that is not a v1 CertificationRequest. Does not judge the key or
 * the signature: that is checkCsr's job.
 */
export function parseCsr(input: Buffer | string, what = 'CSR'): ParsedCsr {
  const der = Buffer.from(derFromInput(input, LABELS, what));
  try {
    const signed = decodeSigned(der, 'CertificationRequest');
    const info = signed.tbs;
    const f = children(info, readWhole(info, 'CertificationRequestInfo'));
    if (f.length !== 4) fail(what, `not a PKCS#10 CertificationRequest (${f.length} fields in CertificationRequestInfo, expected 4)`);
    const [version, subject, spkiTlv, attrs] = f as [typeof f[0], typeof f[0], typeof f[0], typeof f[0]];
    if (version.tag !== TAG.INTEGER || !content(info, version).equals(Buffer.from([0]))) fail(what, 'not a PKCS#10 v1 CertificationRequest');
    if (subject.tag !== TAG.SEQUENCE || spkiTlv.tag !== TAG.SEQUENCE || attrs.tag !== 0xa0) {
      fail(what, 'not a PKCS#10 CertificationRequest (unexpected field types)');
    }
    if (signed.signatureUnusedBits !== 0) fail(what, 'signature BIT STRING has unused bits');
    const subjectNameDer = whole(info, subject);
    const rdns = decodeName(subjectNameDer, 'subject');
    const { cn, ou, uid } = organisationSubjectAttributes(rdns);
    if (uid.length > 1 || ou.length > 1 || cn.length > 1) fail(what, 'subject repeats CN, OU or x500UniqueIdentifier');
    const spkiDer = whole(info, spkiTlv);
    let spki: DecodedSpki;
    try {
      spki = decodeSpki(spkiDer);
    } catch (e) {
      fail(what, `subjectPublicKeyInfo is malformed (${(e as Error).message})`);
    }
    let publicKey: KeyObject | undefined;
    try {
      publicKey = publicKeyFromSpki(spkiDer, spki);
    } catch {
      publicKey = undefined;
    }
    const u = uid[0];
    const subjectEui = u ? euiFromAttribute(u.tag, u.value, attributeText(u), what) : undefined;
    const subjectOu = ou[0] ? attributeText(ou[0]) : undefined;
    const subjectCommonName = cn[0] ? attributeText(cn[0]) : undefined;
    const keyUsage = requestedKeyUsage(info, attrs, what);
    const sigParams = signed.signatureAlgorithm.parameters;
    return {
      der,
      certificationRequestInfoDer: info,
      signatureDer: signed.signature,
      signatureAlgorithmOid: signed.signatureAlgorithm.oid,
      ...(sigParams ? { signatureAlgorithmParameters: sigParams } : {}),
      subjectNameDer,
      subjectText: nameToText(rdns),
      ...(subjectEui ? { subjectEui } : {}),
      ...(subjectOu !== undefined ? { subjectOu } : {}),
      ...(subjectCommonName !== undefined ? { subjectCommonName } : {}),
      ...(keyUsage ? { requestedKeyUsage: keyUsage } : {}),
      spkiDer,
      keyAlgorithm: spki.curveOid ? { oid: spki.algorithm.oid, curveOid: spki.curveOid } : { oid: spki.algorithm.oid },
      publicKeyBytes: spki.publicKey,
      ...(publicKey ? { publicKey } : {}),
    };
  } catch (e) {
    if (e instanceof InputError) throw e;
    fail(what, `not a DER PKCS#10 CertificationRequest (${e instanceof DerError ? e.message : 'malformed structure'})`);
  }
}

/**
 * The CSR's own checks, all that apply (pure). CSR_SIGNATURE_ALGORITHM: not ecdsa-with-SHA256 without
 * parameters. CSR_KEY_NOT_P256: not id-ecPublicKey + prime256v1. CSR_KEY_INVALID_POINT: a P-256 key that
 * is not a 65-octet uncompressed point on the curve. CSR_SIGNATURE_INVALID: the signature does not
 * verify with the CSR's own key (checked for every algorithm Node can verify, so a refused RSA or
 * P-384 CSR still says whether it was signed by its key).
 */
export function checkCsr(csr: ParsedCsr): Reason[] {
  const reasons: Reason[] = [];
  if (csr.signatureAlgorithmOid !== OID.ecdsaWithSha256 || csr.signatureAlgorithmParameters) {
    reasons.push(reason('CSR_SIGNATURE_ALGORITHM', csr.signatureAlgorithmParameters ? `${csr.signatureAlgorithmOid} with parameters` : csr.signatureAlgorithmOid));
  }
  const { oid, curveOid } = csr.keyAlgorithm;
  const isP256 = oid === OID.ecPublicKey && curveOid === OID.prime256v1;
  if (!isP256) reasons.push(reason('CSR_KEY_NOT_P256', curveOid ? `${oid} ${curveOid}` : oid));
  else {
    const p = csr.publicKeyBytes;
    if (p.length !== 65 || p[0] !== 0x04) reasons.push(reason('CSR_KEY_INVALID_POINT', `${p.length} octets, not an uncompressed point`));
    else if (!csr.publicKey) reasons.push(reason('CSR_KEY_INVALID_POINT', 'not on the curve'));
  }
  const hash = signatureHash(csr.signatureAlgorithmOid);
  if (csr.publicKey && hash) {
    let ok = false;
    try {
      ok = verify(hash, csr.certificationRequestInfoDer, csr.publicKey, csr.signatureDer);
    } catch {
      ok = false;
    }
    if (!ok) reasons.push(reason('CSR_SIGNATURE_INVALID'));
  }
  return reasons;
}
