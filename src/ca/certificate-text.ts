// What a certificate says, decoded field by field with this project's own DER reader (asn1.ts): the
// data behind `smki cert show` (JSON), and its text laid out as `openssl x509 -text -noout` lays out
// the same fields, so an operator who knows one reads the other (test/ca/certificate-text.test.ts
// compares the two on issued and on real ZAZ1 certificates). Pure: no I/O.
import {
  DerError,
  OID,
  TAG,
  attributeText,
  children,
  content,
  decodeName,
  decodeOid,
  decodeSigned,
  decodeSpki,
  decodeTbs,
  readBitString,
  readOid,
  readWhole,
  setBits,
  whole,
  type DecodedTime,
  type NameAttribute,
  type Tlv,
} from './asn1.js';
import { euiFromBytes } from '../domain/eui.js';

export interface NameEntry {
  /** openssl's short name (CN, OU, x500UniqueIdentifier), or the dotted OID. */
  type: string;
  oid: string;
  /** The string, or `#` + the hex of the value's DER for a value that is not a string (the EUI BIT STRING). */
  value: string;
  /** For an x500UniqueIdentifier BIT STRING of 8 octets: the EUI-64 it carries. */
  entityId?: string;
}

export interface DecodedName {
  /** As openssl prints it: `OU = 07, CN = Z1`. */
  text: string;
  entries: NameEntry[];
}

export type GeneralName =
  | { type: 'dns' | 'email' | 'uri'; value: string }
  | { type: 'ip'; value: string }
  | { type: 'dirName'; value: string }
  | { type: 'registeredId'; value: string }
  /** otherName: its type OID and the hex of its value's DER; hardwareModuleName also decoded (SMKI Device certificates). */
  | { type: 'otherName'; oid: string; value: string; hardwareModule?: { type: string; serial: string } };

export type ExtensionValue =
  | { keyUsage: string[] }
  | { extendedKeyUsage: { oid: string; name: string | null }[] }
  | { policies: { oid: string; name: string | null; qualifiers: string[] }[] }
  | { keyIdentifier: string }
  | { keyIdentifier: string | null; authorityCertIssuer: string[]; authorityCertSerialNumber: string | null }
  | { ca: boolean; pathLength: number | null }
  | { names: GeneralName[] }
  | { der: string };

export interface DecodedExtensionInfo {
  oid: string;
  /** openssl's name: `X509v3 Key Usage`, or the dotted OID for one it does not know. */
  name: string;
  critical: boolean;
  value: ExtensionValue;
}

export interface CertificateDescription {
  version: number;
  /** Upper-case hex of the serial as encoded (a leading 00 pad removed). */
  serialNumber: string;
  signatureAlgorithm: { oid: string; name: string };
  issuer: DecodedName;
  validity: { notBefore: string; notAfter: string };
  subject: DecodedName;
  publicKey: { algorithm: string; oid: string; bits: number | null; curve: string | null; curveOid: string | null; nistCurve: string | null; point: string };
  extensions: DecodedExtensionInfo[];
  signature: { algorithm: string; value: string };
}

const ALGORITHM_NAMES: Record<string, string> = {
  [OID.ecdsaWithSha256]: 'ecdsa-with-SHA256',
  [OID.ecdsaWithSha384]: 'ecdsa-with-SHA384',
  [OID.ecdsaWithSha512]: 'ecdsa-with-SHA512',
  [OID.ecPublicKey]: 'id-ecPublicKey',
  [OID.rsaEncryption]: 'rsaEncryption',
  [OID.sha1WithRsa]: 'sha1WithRSAEncryption',
  [OID.sha256WithRsa]: 'sha256WithRSAEncryption',
  [OID.sha384WithRsa]: 'sha384WithRSAEncryption',
  [OID.sha512WithRsa]: 'sha512WithRSAEncryption',
};

const CURVES: Record<string, { name: string; nist: string; bits: number }> = {
  [OID.prime256v1]: { name: 'prime256v1', nist: 'P-256', bits: 256 },
  [OID.secp384r1]: { name: 'secp384r1', nist: 'P-384', bits: 384 },
};

const NAME_TYPES: Record<string, string> = {
  [OID.commonName]: 'CN',
  [OID.countryName]: 'C',
  [OID.localityName]: 'L',
  [OID.stateOrProvinceName]: 'ST',
  [OID.streetAddress]: 'street',
  [OID.organizationName]: 'O',
  [OID.organizationalUnitName]: 'OU',
  [OID.x500UniqueIdentifier]: 'x500UniqueIdentifier',
  [OID.domainComponent]: 'DC',
  [OID.userId]: 'UID',
  '2.5.4.5': 'serialNumber',
  '2.5.4.4': 'SN',
  '2.5.4.42': 'GN',
  '2.5.4.12': 'title',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

const EXTENSION_NAMES: Record<string, string> = {
  [OID.subjectKeyIdentifier]: 'X509v3 Subject Key Identifier',
  [OID.keyUsage]: 'X509v3 Key Usage',
  [OID.subjectAltName]: 'X509v3 Subject Alternative Name',
  '2.5.29.18': 'X509v3 Issuer Alternative Name',
  [OID.basicConstraints]: 'X509v3 Basic Constraints',
  [OID.certificatePolicies]: 'X509v3 Certificate Policies',
  [OID.authorityKeyIdentifier]: 'X509v3 Authority Key Identifier',
  [OID.extKeyUsage]: 'X509v3 Extended Key Usage',
};

/** openssl's words for the KeyUsage bits, by bit number. */
const KEY_USAGE_WORDS = ['Digital Signature', 'Non Repudiation', 'Key Encipherment', 'Data Encipherment', 'Key Agreement', 'Certificate Sign', 'CRL Sign', 'Encipher Only', 'Decipher Only'];
/** The RFC 5280 names of the same bits (the JSON). */
const KEY_USAGE_NAMES = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];

const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'TLS Web Server Authentication',
  '1.3.6.1.5.5.7.3.2': 'TLS Web Client Authentication',
  '1.3.6.1.5.5.7.3.3': 'Code Signing',
  '1.3.6.1.5.5.7.3.4': 'E-mail Protection',
  '1.3.6.1.5.5.7.3.8': 'Time Stamping',
  '1.3.6.1.5.5.7.3.9': 'OCSP Signing',
  '2.5.29.37.0': 'Any Extended Key Usage',
};

/** Certificate policies of the SMKI test PKIs (smki-domain.md A.3); production OIDs are unconfirmed. */
export const SMKI_POLICY_NAMES: Readonly<Record<string, string>> = {
  '1.2.826.0.1.8641679.1.2.1.4': 'SMKI Organisation Certificate Policy (ZAZ1 test PKI)',
  '1.2.826.0.1.1800000.1.2.1.4': 'SMKI Device Certificate Policy (RTDS test PKI)',
};

const HARDWARE_MODULE_NAME = '1.3.6.1.5.5.7.8.4';
const CPS_QUALIFIER = '1.3.6.1.5.5.7.2.1';
const USER_NOTICE_QUALIFIER = '1.3.6.1.5.5.7.2.2';

const hex = (b: Buffer): string => b.toString('hex').toUpperCase();

/** `AA:BB:CC`, in the case asked for. */
export function colonHex(b: Buffer, upper = true): string {
  const h = b.toString('hex');
  return (upper ? h.toUpperCase() : h).replace(/(..)(?=.)/g, '$1:');
}

function nameEntry(a: NameAttribute): NameEntry {
  const text = attributeText(a);
  const entry: NameEntry = { type: NAME_TYPES[a.oid] ?? a.oid, oid: a.oid, value: text ?? `#${hex(a.valueDer)}` };
  if (a.oid === OID.x500UniqueIdentifier && a.tag === TAG.BIT_STRING && a.value.length === 9 && a.value[0] === 0) entry.entityId = euiFromBytes(a.value.subarray(1));
  return entry;
}

/**
 * A value as openssl's -text writes it: bytes outside printable ASCII as `\XX`, `"` and `\` with a
 * backslash, and the whole value in double quotes when it holds `,+<>;` or starts with a space or `#`
 * or ends with a space.
 */
export function opensslNameValue(a: NameAttribute): string {
  const text = attributeText(a);
  if (text === undefined) return `#${hex(a.valueDer)}`;
  const bytes = a.tag === TAG.UTF8_STRING || a.tag === TAG.PRINTABLE_STRING || a.tag === TAG.IA5_STRING || a.tag === TAG.T61_STRING ? a.value : Buffer.from(text, 'utf8');
  let quote = false;
  let out = '';
  bytes.forEach((b, i) => {
    const c = String.fromCharCode(b);
    if (b < 0x20 || b > 0x7e) out += `\\${b.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (c === '"' || c === '\\') out += `\\${c}`;
    else {
      if (',+<>;'.includes(c) || (i === 0 && (c === ' ' || c === '#')) || (i === bytes.length - 1 && c === ' ')) quote = true;
      out += c;
    }
  });
  return quote ? `"${out}"` : out;
}

/** A Name as openssl's default -text shows it: DER order, `TYPE = value`, RDNs joined by `, `, multi-valued by ` + `. */
export function describeName(der: Buffer): DecodedName {
  const rdns = decodeName(der);
  const entries = rdns.flatMap((rdn) => rdn.map(nameEntry));
  const text = rdns.map((rdn) => rdn.map((a) => `${nameEntry(a).type} = ${opensslNameValue(a)}`).join(' + ')).join(', ');
  return { text, entries };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Jan  1 00:00:00 2118 GMT`, as openssl prints a certificate time. */
export function opensslTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()} GMT`;
}

function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length === 16) return Array.from({ length: 8 }, (_v, i) => b.readUInt16BE(i * 2).toString(16).toUpperCase()).join(':');
  return `#${hex(b)}`;
}

function generalNames(buf: Buffer, seq: Tlv): GeneralName[] {
  return children(buf, seq).map((g): GeneralName => {
    const c = content(buf, g);
    switch (g.tag) {
      case 0xa0: {
        const [typeId, value] = children(buf, g);
        if (!typeId || !value) throw new DerError('otherName: expected a type and a value');
        const oid = readOid(buf, typeId, 'otherName type');
        const out: GeneralName = { type: 'otherName', oid, value: hex(content(buf, value)) };
        if (oid === HARDWARE_MODULE_NAME) {
          const inner = readWhole(content(buf, value), 'hardwareModuleName');
          const v = content(buf, value);
          const [hwType, hwSerial] = children(v, inner);
          if (hwType && hwSerial) out.hardwareModule = { type: readOid(v, hwType, 'hwType'), serial: hex(content(v, hwSerial)) };
        }
        return out;
      }
      case 0x81:
        return { type: 'email', value: c.toString('latin1') };
      case 0x82:
        return { type: 'dns', value: c.toString('latin1') };
      case 0x86:
        return { type: 'uri', value: c.toString('latin1') };
      case 0x87:
        return { type: 'ip', value: ipText(c) };
      case 0x88:
        return { type: 'registeredId', value: decodeOid(c) };
      case 0xa4: {
        const [n] = children(buf, g);
        if (!n) throw new DerError('directoryName: empty');
        // As openssl writes a directory name in a GeneralName: `/CN=Z1/OU=07`.
        return { type: 'dirName', value: describeName(whole(buf, n)).entries.map((e) => `/${e.type}=${e.value}`).join('') };
      }
      default:
        throw new DerError(`GeneralName: unsupported tag 0x${g.tag.toString(16)}`);
    }
  });
}

function decodeExtensionValue(oid: string, v: Buffer): ExtensionValue {
  const top = readWhole(v, oid);
  switch (oid) {
    case OID.keyUsage:
      return { keyUsage: setBits(readBitString(v, top, 'keyUsage')).map((b) => KEY_USAGE_NAMES[b] ?? `bit${b}`) };
    case OID.extKeyUsage:
      return { extendedKeyUsage: children(v, top).map((t) => { const o = readOid(v, t, 'KeyPurposeId'); return { oid: o, name: EKU_NAMES[o] ?? null }; }) };
    case OID.certificatePolicies:
      return {
        policies: children(v, top).map((pi) => {
          const [id, quals] = children(v, pi);
          if (!id) throw new DerError('empty PolicyInformation');
          const o = readOid(v, id, 'policyIdentifier');
          const qualifiers = quals ? children(v, quals).map((q) => {
            const [qid, qv] = children(v, q);
            const qo = qid ? readOid(v, qid, 'policyQualifierId') : '?';
            if (qo === CPS_QUALIFIER && qv) return `CPS: ${content(v, qv).toString('latin1')}`;
            if (qo === USER_NOTICE_QUALIFIER) return 'User Notice';
            return `${qo}: ${qv ? hex(whole(v, qv)) : ''}`;
          }) : [];
          return { oid: o, name: SMKI_POLICY_NAMES[o] ?? null, qualifiers };
        }),
      };
    case OID.subjectKeyIdentifier:
      if (top.tag !== TAG.OCTET_STRING) throw new DerError('subjectKeyIdentifier is not an OCTET STRING');
      return { keyIdentifier: hex(content(v, top)) };
    case OID.authorityKeyIdentifier: {
      let keyIdentifier: string | null = null;
      let authorityCertIssuer: string[] = [];
      let authorityCertSerialNumber: string | null = null;
      for (const c of children(v, top)) {
        if (c.tag === 0x80) keyIdentifier = hex(content(v, c));
        else if (c.tag === 0xa1) authorityCertIssuer = generalNames(v, c).map(generalNameText);
        else if (c.tag === 0x82) authorityCertSerialNumber = hex(content(v, c));
      }
      return { keyIdentifier, authorityCertIssuer, authorityCertSerialNumber };
    }
    case OID.basicConstraints: {
      let ca = false;
      let pathLength: number | null = null;
      for (const c of children(v, top)) {
        if (c.tag === TAG.BOOLEAN) ca = v[c.contentStart] !== 0;
        else if (c.tag === TAG.INTEGER) pathLength = Number(BigInt(`0x${content(v, c).toString('hex') || '0'}`));
      }
      return { ca, pathLength };
    }
    case OID.subjectAltName:
    case '2.5.29.18':
      return { names: generalNames(v, top) };
    default:
      return { der: hex(v) };
  }
}

/** A GeneralName as openssl writes it in a SAN: `DNS:x`, `email:x`, `IP Address:x`, `othername: ...`. */
function generalNameText(g: GeneralName): string {
  switch (g.type) {
    case 'dns':
      return `DNS:${g.value}`;
    case 'email':
      return `email:${g.value}`;
    case 'uri':
      return `URI:${g.value}`;
    case 'ip':
      return `IP Address:${g.value}`;
    case 'registeredId':
      return `Registered ID:${g.value}`;
    case 'dirName':
      return `DirName:${g.value}`;
    case 'otherName':
      // openssl writes <unsupported> for a value it cannot print; a hardwareModuleName is decoded here.
      return `othername: ${g.oid}::${g.hardwareModule ? `hwType ${g.hardwareModule.type} hwSerialNum ${g.hardwareModule.serial}` : g.value}`;
  }
}

/**
 * Decodes a certificate (DER) field by field. Throws DerError for anything that is not DER X.509;
 * an extension it cannot decode is shown as its hex (`{der}`), never dropped.
 */
export function describeCertificate(der: Buffer): CertificateDescription {
  const cert = decodeSigned(der, 'Certificate');
  const tbs = decodeTbs(cert.tbs);
  const spki = decodeSpki(tbs.spki);
  const curve = spki.curveOid ? CURVES[spki.curveOid] : undefined;
  const algName = (oid: string) => ALGORITHM_NAMES[oid] ?? oid;
  const serial = tbs.serial.length > 1 && tbs.serial[0] === 0 ? tbs.serial.subarray(1) : tbs.serial;
  const time = (t: DecodedTime) => t.date.toISOString();
  return {
    version: tbs.version + 1,
    serialNumber: hex(serial),
    signatureAlgorithm: { oid: tbs.signature.oid, name: algName(tbs.signature.oid) },
    issuer: describeName(tbs.issuer),
    validity: { notBefore: time(tbs.notBefore), notAfter: time(tbs.notAfter) },
    subject: describeName(tbs.subject),
    publicKey: {
      algorithm: algName(spki.algorithm.oid),
      oid: spki.algorithm.oid,
      bits: curve?.bits ?? null,
      curve: curve?.name ?? null,
      curveOid: spki.curveOid ?? null,
      nistCurve: curve?.nist ?? null,
      point: hex(spki.publicKey),
    },
    extensions: (tbs.extensions ?? []).map((e) => {
      let value: ExtensionValue;
      try {
        value = decodeExtensionValue(e.oid, e.value);
      } catch {
        value = { der: hex(e.value) };
      }
      return { oid: e.oid, name: EXTENSION_NAMES[e.oid] ?? e.oid, critical: e.critical, value };
    }),
    signature: { algorithm: algName(cert.signatureAlgorithm.oid), value: hex(cert.signature) },
  };
}

/** openssl's hex dump: lower-case `aa:bb:`, `perLine` octets a line, each line indented. */
function hexLines(h: string, perLine: number, indent: string): string[] {
  const b = Buffer.from(h, 'hex');
  const out: string[] = [];
  for (let i = 0; i < b.length; i += perLine) {
    const part = colonHex(b.subarray(i, i + perLine), false);
    out.push(`${indent}${part}${i + perLine < b.length ? ':' : ''}`);
  }
  return out;
}

function extensionLines(e: DecodedExtensionInfo): string[] {
  const v = e.value;
  const i = ' '.repeat(16);
  if ('keyUsage' in v) return [`${i}${v.keyUsage.map((n) => KEY_USAGE_WORDS[KEY_USAGE_NAMES.indexOf(n)] ?? n).join(', ')}`];
  if ('extendedKeyUsage' in v) return [`${i}${v.extendedKeyUsage.map((p) => p.name ?? p.oid).join(', ')}`];
  if ('policies' in v) return v.policies.flatMap((p) => [`${i}Policy: ${p.oid}`, ...p.qualifiers.map((q) => `${i}  ${q}`)]);
  if ('ca' in v) return [`${i}CA:${v.ca ? 'TRUE' : 'FALSE'}${v.pathLength === null ? '' : `, pathlen:${v.pathLength}`}`];
  if ('names' in v) return [`${i}${v.names.map(generalNameText).join(', ')}`];
  if ('authorityCertIssuer' in v) {
    return [
      // openssl writes `keyid:` before the key identifier only when the issuer and serial follow.
      ...(v.keyIdentifier ? [`${i}${v.authorityCertIssuer.length || v.authorityCertSerialNumber ? 'keyid:' : ''}${colonHex(Buffer.from(v.keyIdentifier, 'hex'))}`] : []),
      ...v.authorityCertIssuer.map((n) => `${i}${n}`),
      ...(v.authorityCertSerialNumber ? [`${i}serial:${colonHex(Buffer.from(v.authorityCertSerialNumber, 'hex'))}`] : []),
    ];
  }
  if ('keyIdentifier' in v) return [`${i}${colonHex(Buffer.from(v.keyIdentifier, 'hex'))}`];
  return hexLines(v.der, 16, i);
}

/** The serial as openssl prints it: decimal and hex when it fits in 64 bits, else colon hex. */
function serialLines(serialHex: string): string[] {
  const b = Buffer.from(serialHex.length % 2 ? `0${serialHex}` : serialHex, 'hex');
  if (b.length <= 8) {
    const n = BigInt(`0x${serialHex || '0'}`);
    return [`        Serial Number: ${n.toString(10)} (0x${n.toString(16)})`];
  }
  return ['        Serial Number:', `            ${colonHex(b, false)}`];
}

/** The certificate as `openssl x509 -text -noout` shows it (the fields smki-ca decodes). */
export function certificateText(d: CertificateDescription): string[] {
  const k = d.publicKey;
  return [
    'Certificate:',
    '    Data:',
    `        Version: ${d.version} (0x${(d.version - 1).toString(16)})`,
    ...serialLines(d.serialNumber),
    `        Signature Algorithm: ${d.signatureAlgorithm.name}`,
    `        Issuer: ${d.issuer.text}`,
    '        Validity',
    `            Not Before: ${opensslTime(new Date(d.validity.notBefore))}`,
    `            Not After : ${opensslTime(new Date(d.validity.notAfter))}`,
    `        Subject: ${d.subject.text}`,
    '        Subject Public Key Info:',
    `            Public Key Algorithm: ${k.algorithm}`,
    ...(k.bits === null ? [] : [`                Public-Key: (${k.bits} bit)`]),
    '                pub:',
    ...hexLines(k.point, 15, ' '.repeat(20)),
    ...(k.curve ? [`                ASN1 OID: ${k.curve}`] : k.curveOid ? [`                ASN1 OID: ${k.curveOid}`] : []),
    ...(k.nistCurve ? [`                NIST CURVE: ${k.nistCurve}`] : []),
    ...(d.extensions.length ? ['        X509v3 extensions:'] : []),
    ...d.extensions.flatMap((e) => [`            ${e.name}:${e.critical ? ' critical' : ''}`, ...extensionLines(e)]),
    `    Signature Algorithm: ${d.signature.algorithm}`,
    '    Signature Value:',
    ...hexLines(d.signature.value, 18, ' '.repeat(8)),
  ];
}
