// XMLDSig enveloped signatures exactly as DUIS uses them (smki-domain B.3), and nothing else:
//   SignedInfo   CanonicalizationMethod exc-c14n, SignatureMethod ecdsa-sha256,
//                one Reference URI="" with exactly the enveloped-signature transform and SHA-256;
//   digest       SHA-256 of the INCLUSIVE C14N 1.0 of the whole document minus ds:Signature (no c14n
//                transform is listed, so XMLDSig's default applies; exclusive would give another digest);
//   signature    ECDSA P-256 / SHA-256 over the EXCLUSIVE C14N of SignedInfo, SignatureValue = base64
//                of raw r||s (64 bytes; may be wrapped over lines);
//   KeyInfo      X509Data/X509IssuerSerial only (issuer name, decimal serial): the certificate is
//                looked up by the caller, never taken from the document.
//
// Anti-wrapping: there is exactly one ds:Signature in the document, it is the last element child of
// the root, no other element of the XMLDSig namespace appears outside it, the single Reference covers
// the whole document (URI=""), and the digest is computed over the very tree object the caller goes on
// to read. Every other shape, algorithm or attribute is refused.
import { createHash, createPublicKey, hash, timingSafeEqual, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { FileKeySigner, type Signer } from '../../ca/signer.js';
import { InputError } from '../../domain/errors.js';
import { canonicalize, escapeAttribute, escapeText, EXC_C14N_10 } from './c14n.js';
import {
  elementChildrenOnly,
  elementPath,
  isXmlWhitespace,
  lookupNamespaceURI,
  parseXml,
  registerNamespace,
  trimXmlWhitespace,
  type XmlDocument,
  type XmlElement,
  type XmlNode,
} from './parse.js';

export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
registerNamespace(DSIG_NS);
export const ALG_ECDSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256';
export const ALG_SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
export const ALG_ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
export const ALG_EXC_C14N = EXC_C14N_10;

export interface XmlSignatureReference {
  /** Always '' (the whole document). */
  readonly uri: '';
  /** Always exactly [ALG_ENVELOPED]. */
  readonly transforms: readonly string[];
  readonly digestAlgorithm: string;
  /** 32 bytes. */
  readonly digestValue: Buffer;
}

/** What a DUIS ds:Signature says, read and shape-checked but NOT verified. */
export interface XmlSignatureInfo {
  /** The ds:Signature element (last element child of the root). */
  readonly element: XmlElement;
  readonly signedInfo: XmlElement;
  readonly canonicalizationAlgorithm: string;
  readonly signatureAlgorithm: string;
  readonly reference: XmlSignatureReference;
  /** Raw r||s, 64 bytes. */
  readonly signatureValue: Buffer;
  /** X509IssuerName as written, trimmed (DCC writes `CN=Z1,OU=07`). */
  readonly issuerName: string;
  /** The issuer name with each RDN trimmed and its attribute type upper-cased: `CN=U1, OU=07` → `CN=U1,OU=07`. */
  readonly issuerNameNormalized: string;
  /** X509SerialNumber as a number: compare certificates by this. */
  readonly serial: bigint;
  /** Decimal, no leading zeros. */
  readonly serialDecimal: string;
  /**
   * Upper-case hex of the serial's magnitude, padded to whole octets, no sign octet: the same form as
   * node:crypto X509Certificate.serialNumber (e.g. `0F4889EF…`). Prefer comparing `serial` as a bigint.
   */
  readonly serialHex: string;
}

export type VerifyResult = { ok: true } | { ok: false; why: string };

const MAX_SERIAL = (1n << 160n) - 1n; // 20 octets (RFC 5280)
// One-slot cache: a caller that extracts and then verifies the same document (src/alerts/routing.ts).
// (A WeakMap over every parsed document costs more in garbage collection than extracting twice.) A
// caller that holds the result of extractSignature passes it to verifyEnveloped instead: the gate
// reads documents ahead in groups, so the last one extracted is seldom the one verified.
let lastDoc: XmlDocument | null = null;
let lastInfo: XmlSignatureInfo | null = null;
/**
 * The document an XmlSignatureInfo was extracted from, on the info itself (non-enumerable, under a
 * symbol no other module holds): verifyEnveloped takes a given info only for that very document.
 */
const EXTRACTED_FROM = Symbol('extracted from');

function refuse(message: string): never {
  throw new InputError(`XML signature: ${message}`);
}

function isDs(el: XmlElement, localName: string): boolean {
  return el.namespaceURI === DSIG_NS && el.localName === localName;
}

/** The element children of `el`, which must hold nothing else but white space. */
const elementsOnly = (el: XmlElement): XmlElement[] => elementChildrenOnly(el, refuse);

/** Checks `el` has exactly the named ds children in order, and returns them. */
function dsChildren(el: XmlElement, names: readonly string[]): XmlElement[] {
  const kids = elementsOnly(el);
  let same = kids.length === names.length;
  for (let i = 0; same && i < kids.length; i++) same = isDs(kids[i]!, names[i]!);
  if (!same) {
    const got = kids.map((k) => (k.namespaceURI === DSIG_NS ? `ds:${k.localName}` : `{${k.namespaceURI}}${k.localName}`));
    refuse(`${elementPath(el)} must contain exactly ${names.map((n) => `ds:${n}`).join(', ')}; found ${got.join(', ') || 'nothing'}`);
  }
  return kids;
}

/** Checks `el` has no attributes except the listed ones (namespace declarations are not attributes). */
function onlyAttributes(el: XmlElement, allowed: readonly string[]): void {
  for (const a of el.attributes) {
    if (a.namespaceURI !== '' || !allowed.includes(a.localName)) refuse(`attribute ${a.qName} is not accepted on ${elementPath(el)}`);
  }
}

function leafText(el: XmlElement): string {
  let t = '';
  for (const c of el.children) {
    if (c.type === 'element') refuse(`${elementPath(el)} must not contain elements`);
    t += c.value;
  }
  return t;
}

function emptyElement(el: XmlElement): void {
  if (!isXmlWhitespace(leafText(el))) refuse(`${elementPath(el)} must be empty`);
}

const ONLY_ALGORITHM: readonly string[] = ['Algorithm'];

function algorithm(el: XmlElement, expected: string, what: string): string {
  onlyAttributes(el, ONLY_ALGORITHM);
  let alg: string | undefined;
  for (const a of el.attributes) if (a.localName === 'Algorithm') alg = a.value;
  if (alg === undefined) refuse(`${elementPath(el)} has no Algorithm`);
  if (alg !== expected) refuse(`${what} ${JSON.stringify(alg.slice(0, 100))} is not accepted (only ${expected})`);
  emptyElement(el);
  return alg;
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Strict base64 (whitespace between characters allowed); refuses non-canonical encodings. */
export function decodeBase64Strict(text: string, what: string): Buffer {
  const compact = text.replace(/[ \t\r\n]+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    throw new InputError(`${what} is not valid base64`);
  }
  // Canonical: the bits the padding leaves over in the last character are zero (then, and only then,
  // the bytes encode back to the very same text).
  const pad = compact.charCodeAt(compact.length - 1) !== 0x3d ? 0 : compact.charCodeAt(compact.length - 2) === 0x3d ? 2 : 1;
  if (pad > 0 && (BASE64_ALPHABET.indexOf(compact[compact.length - pad - 1]!) & (pad === 2 ? 0x0f : 0x03)) !== 0) {
    throw new InputError(`${what} is not canonical base64`);
  }
  return Buffer.from(compact, 'base64');
}

/** The last name normalizeDn was given and its answer (a batch's requests name one issuer, written alike). */
let lastDn: { name: string; normalized: string } | undefined;

function normalizeDn(name: string): string {
  if (lastDn?.name === name) return lastDn.normalized;
  const normalized = normalizeDnOnce(name);
  lastDn = { name, normalized };
  return normalized;
}

function normalizeDnOnce(name: string): string {
  const rdns: string[] = [];
  let cur = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    if (ch === '\\' && i + 1 < name.length) {
      cur += ch + name[++i];
    } else if (ch === ',' || ch === ';') {
      rdns.push(cur);
      cur = '';
    } else cur += ch;
  }
  rdns.push(cur);
  return rdns
    .map((r) => {
      const t = r.trim();
      const eq = t.indexOf('=');
      return eq === -1 ? t : `${t.slice(0, eq).trim().toUpperCase()}=${t.slice(eq + 1).trim()}`;
    })
    .join(',');
}

/**
 * Finds and shape-checks the document's ds:Signature WITHOUT verifying it, so the caller can look up
 * the signing certificate by issuer and serial first. Throws InputError for anything but the single
 * DUIS form (see the file comment). The last result is kept for the verifyEnveloped that follows.
 */
export function extractSignature(doc: XmlDocument): XmlSignatureInfo {
  if (doc === lastDoc && lastInfo) return lastInfo;

  // Exactly one ds:Signature, and no XMLDSig element anywhere outside it.
  const root = doc.root;
  const found: XmlElement[] = [];
  const walk = (el: XmlElement): void => {
    for (const c of el.children) {
      if (c.type !== 'element') continue;
      if (isDs(c, 'Signature')) found.push(c);
      else if (c.namespaceURI === DSIG_NS) refuse(`XMLDSig element ${elementPath(c)} outside ds:Signature`);
      else walk(c);
    }
  };
  if (root.namespaceURI === DSIG_NS) refuse('the root element is in the XMLDSig namespace');
  walk(root);
  if (found.length !== 1) refuse(`expected exactly one ds:Signature, found ${found.length}`);
  const sigEl = found[0]!;
  let lastElement: XmlElement | undefined;
  for (const c of root.children) if (c.type === 'element') lastElement = c;
  if (sigEl.parent !== root || lastElement !== sigEl) refuse('ds:Signature must be the last element child of the root element');

  onlyAttributes(sigEl, []);
  const [signedInfo, sigValueEl, keyInfo] = dsChildren(sigEl, ['SignedInfo', 'SignatureValue', 'KeyInfo']) as [XmlElement, XmlElement, XmlElement];

  onlyAttributes(signedInfo, []);
  const [c14nEl, sigMethodEl, refEl] = dsChildren(signedInfo, ['CanonicalizationMethod', 'SignatureMethod', 'Reference']) as [XmlElement, XmlElement, XmlElement];
  const canonicalizationAlgorithm = algorithm(c14nEl, ALG_EXC_C14N, 'CanonicalizationMethod');
  const signatureAlgorithm = algorithm(sigMethodEl, ALG_ECDSA_SHA256, 'SignatureMethod');

  onlyAttributes(refEl, ['URI']);
  const uri = refEl.attributes.find((a) => a.localName === 'URI')?.value;
  if (uri !== '') refuse(`the Reference URI must be "" (the whole document), not ${uri === undefined ? 'absent' : JSON.stringify(uri.slice(0, 100))}`);
  const [transformsEl, digestMethodEl, digestValueEl] = dsChildren(refEl, ['Transforms', 'DigestMethod', 'DigestValue']) as [XmlElement, XmlElement, XmlElement];
  onlyAttributes(transformsEl, []);
  const transformEls = elementsOnly(transformsEl);
  if (transformEls.length !== 1 || !isDs(transformEls[0]!, 'Transform')) {
    refuse('the Reference must have exactly one ds:Transform (enveloped-signature)');
  }
  const transform = algorithm(transformEls[0]!, ALG_ENVELOPED, 'Transform');
  const digestAlgorithm = algorithm(digestMethodEl, ALG_SHA256, 'DigestMethod');
  onlyAttributes(digestValueEl, []);
  const digestValue = decodeBase64Strict(leafText(digestValueEl), 'XML signature: DigestValue');
  if (digestValue.length !== 32) refuse(`DigestValue is ${digestValue.length} bytes, not 32`);

  onlyAttributes(sigValueEl, []);
  const signatureValue = decodeBase64Strict(leafText(sigValueEl), 'XML signature: SignatureValue');
  if (signatureValue.length !== 64) refuse(`SignatureValue is ${signatureValue.length} bytes, not 64 (raw r||s of P-256)`);

  onlyAttributes(keyInfo, []);
  const [x509Data] = dsChildren(keyInfo, ['X509Data']) as [XmlElement];
  onlyAttributes(x509Data, []);
  const [issuerSerial] = dsChildren(x509Data, ['X509IssuerSerial']) as [XmlElement];
  onlyAttributes(issuerSerial, []);
  const [issuerEl, serialEl] = dsChildren(issuerSerial, ['X509IssuerName', 'X509SerialNumber']) as [XmlElement, XmlElement];
  onlyAttributes(issuerEl, []);
  onlyAttributes(serialEl, []);
  const issuerName = trimXmlWhitespace(leafText(issuerEl));
  if (issuerName === '' || issuerName.length > 1024 || /[\u0000-\u001f]/.test(issuerName)) refuse('X509IssuerName is empty or malformed');
  const serialText = trimXmlWhitespace(leafText(serialEl));
  if (!/^[0-9]{1,60}$/.test(serialText)) refuse('X509SerialNumber is not a decimal number');
  const serial = BigInt(serialText);
  if (serial > MAX_SERIAL) refuse('X509SerialNumber is longer than 20 octets');
  let serialHex = serial.toString(16).toUpperCase();
  if (serialHex.length % 2 === 1) serialHex = `0${serialHex}`;

  const info: XmlSignatureInfo = {
    element: sigEl,
    signedInfo,
    canonicalizationAlgorithm,
    signatureAlgorithm,
    reference: Object.freeze({ uri: '' as const, transforms: Object.freeze([transform]), digestAlgorithm, digestValue }),
    signatureValue,
    issuerName,
    issuerNameNormalized: normalizeDn(issuerName),
    serial,
    serialDecimal: serial.toString(),
    serialHex,
  };
  Object.defineProperty(info, EXTRACTED_FROM, { value: doc });
  Object.freeze(info);
  lastDoc = doc;
  lastInfo = info;
  return info;
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/**
 * Verifies the document's enveloped signature with `publicKey` (ECDSA P-256). Never throws for bad
 * input: a malformed signature or document gives `{ ok: false, why }` with the InputError's message.
 * The digest is computed over `doc` itself, so what verified is exactly what the caller then reads.
 * `extracted`, the caller's extractSignature(doc), spares extracting again; an info extracted from
 * any other document is not used (the signature is extracted from `doc` then).
 */
export function verifyEnveloped(doc: XmlDocument, publicKey: KeyObject, extracted?: XmlSignatureInfo): VerifyResult {
  let sig: XmlSignatureInfo;
  if (extracted !== undefined && (extracted as { [EXTRACTED_FROM]?: XmlDocument })[EXTRACTED_FROM] === doc) sig = extracted;
  else {
    try {
      sig = extractSignature(doc);
    } catch (e) {
      if (e instanceof InputError) return { ok: false, why: e.message };
      throw e;
    }
  }
  if (!isP256(publicKey)) return { ok: false, why: 'the verification key is not an ECDSA P-256 key' };
  const digest = hash('sha256', canonicalize(doc, 'inclusive', { exclude: sig.element }), 'buffer');
  if (!timingSafeEqual(digest, sig.reference.digestValue)) {
    return { ok: false, why: 'the Reference digest does not match the document (signed content was changed)' };
  }
  const signedInfo = Buffer.from(canonicalize(sig.signedInfo, 'exclusive'), 'utf8');
  const ok = cryptoVerify('sha256', signedInfo, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig.signatureValue);
  return ok ? { ok: true } : { ok: false, why: 'the SignatureValue does not verify over SignedInfo with this key' };
}

export interface SignEnvelopedOptions {
  /** ECDSA P-256 private key of the XML-signing certificate: a KeyObject, or a Signer (e.g. a PKCS#11 token key). */
  privateKey: KeyObject | Signer;
  /** Issuer DN as DUIS writes it, e.g. `CN=Z1,OU=07`. */
  issuerName: string;
  /** The certificate serial number in decimal. */
  serialDecimal: string;
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>';

/**
 * Signs a DUIS document the way DCC's own signing tool does: any ds:Signature child of the root is
 * removed (the public templates carry placeholder ones), white space between elements is dropped (the
 * tool parses with ignorable element-content white space, and its validator ignores it too, so only
 * this form interoperates), and a fresh signature is appended as the root's last child. Prefixes,
 * namespace declarations, attributes and text are otherwise kept. The input is the operator's own
 * file: comments in it are dropped, other limits as for received input. The result is re-parsed and
 * verified before it is returned.
 */
export function signEnveloped(xmlText: string, opts: SignEnvelopedOptions): string {
  const signer: Signer = 'spkiDer' in opts.privateKey ? opts.privateKey : new FileKeySigner(opts.privateKey, 'XML signing key');
  if ('type' in opts.privateKey && (opts.privateKey.type !== 'private' || !isP256(opts.privateKey))) throw new InputError('XML signing: the key is not an ECDSA P-256 private key');
  const issuerName = opts.issuerName.trim();
  if (issuerName === '' || /[\u0000-\u001f]/.test(issuerName)) throw new InputError('XML signing: the issuer name is empty or malformed');
  if (!/^[0-9]{1,60}$/.test(opts.serialDecimal)) throw new InputError('XML signing: the serial number must be decimal digits');
  const serialDecimal = BigInt(opts.serialDecimal).toString();

  const doc = parseXml(xmlText, { allowComments: true });
  const root = doc.root;
  if (root.namespaceURI === DSIG_NS) throw new InputError('XML signing: the root element is in the XMLDSig namespace');
  const nested = (el: XmlElement): void => {
    for (const c of el.children) {
      if (c.type !== 'element') continue;
      if (c.namespaceURI === DSIG_NS) throw new InputError(`XML signing: XMLDSig element ${elementPath(c)} is not a child of the root`);
      nested(c);
    }
  };
  for (const c of root.children) if (c.type === 'element' && !isDs(c, 'Signature')) nested(c);

  let content = '';
  for (const c of root.children) {
    if (c.type === 'element' && isDs(c, 'Signature')) continue;
    content += serializeNode(c, root);
  }
  const rootStart = startTag(root) + '>';
  const rootEnd = `</${root.qName}>`;

  // Digest: inclusive C14N of the document as it will be without its signature.
  const unsigned = parseXml(XML_DECLARATION + rootStart + content + rootEnd);
  const digest = createHash('sha256').update(canonicalize(unsigned, 'inclusive'), 'utf8').digest('base64');

  const signedInfo =
    '<ds:SignedInfo>' +
    `<ds:CanonicalizationMethod Algorithm="${ALG_EXC_C14N}"/>` +
    `<ds:SignatureMethod Algorithm="${ALG_ECDSA_SHA256}"/>` +
    '<ds:Reference URI=""><ds:Transforms>' +
    `<ds:Transform Algorithm="${ALG_ENVELOPED}"/>` +
    '</ds:Transforms>' +
    `<ds:DigestMethod Algorithm="${ALG_SHA256}"/>` +
    `<ds:DigestValue>${digest}</ds:DigestValue>` +
    '</ds:Reference></ds:SignedInfo>';
  // Exclusive C14N renders only visibly used namespaces, so SignedInfo canonicalises the same alone
  // as in place (its only prefix is ds, bound to XMLDSig in both).
  const signedInfoAlone = parseXml(signedInfo.replace('<ds:SignedInfo>', `<ds:SignedInfo xmlns:ds="${DSIG_NS}">`));
  const toSign = Buffer.from(canonicalize(signedInfoAlone, 'exclusive'), 'utf8');
  // XMLDSig (RFC 4050 / 6931) carries ECDSA signatures raw: r || s.
  const sigB64 = signer.sign(toSign, 'raw').toString('base64');
  // Java's MIME base64 as DCC's tool writes it: 76-character lines ended by CR LF, the CR escaped.
  const wrapped = sigB64.match(/.{1,76}/g)!.join('&#13;\n');

  const sigStart = lookupNamespaceURI(root, 'ds') === DSIG_NS ? '<ds:Signature>' : `<ds:Signature xmlns:ds="${DSIG_NS}">`;
  const signature =
    sigStart +
    signedInfo +
    `<ds:SignatureValue>${wrapped}</ds:SignatureValue>` +
    '<ds:KeyInfo><ds:X509Data><ds:X509IssuerSerial>' +
    `<ds:X509IssuerName>${escapeText(issuerName)}</ds:X509IssuerName>` +
    `<ds:X509SerialNumber>${serialDecimal}</ds:X509SerialNumber>` +
    '</ds:X509IssuerSerial></ds:X509Data></ds:KeyInfo></ds:Signature>';
  const out = XML_DECLARATION + rootStart + content + signature + rootEnd;

  const check = verifyEnveloped(parseXml(out), createPublicKey({ key: signer.spkiDer, format: 'der', type: 'spki' }));
  if (!check.ok) throw new Error(`internal error: signEnveloped produced a signature that does not verify (${check.why})`);
  return out;
}

function startTag(el: XmlElement): string {
  let s = '<' + el.qName;
  for (const d of el.namespaces) s += (d.prefix === '' ? ' xmlns="' : ` xmlns:${d.prefix}="`) + escapeAttribute(d.uri) + '"';
  for (const a of el.attributes) s += ` ${a.qName}="${escapeAttribute(a.value)}"`;
  return s;
}

/** Writes a node back as XML, dropping white-space-only text beside elements (element content). */
function serializeNode(node: XmlNode, parent: XmlElement): string {
  if (node.type === 'text') {
    if (isXmlWhitespace(node.value) && parent.children.some((c) => c.type === 'element')) return '';
    return escapeText(node.value);
  }
  if (node.children.length === 0) return startTag(node) + '/>';
  let s = startTag(node) + '>';
  for (const c of node.children) s += serializeNode(c, node);
  return s + `</${node.qName}>`;
}
