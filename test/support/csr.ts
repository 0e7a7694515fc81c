// Test CSRs made with Node alone: a fresh key, the SMKI subject (CN?, OU, x500UniqueIdentifier) and
// a PKCS#10 signature by that key. Shared by the CA tests and the issuance tests.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  OID,
  TAG,
  bitString,
  explicit,
  extension,
  namedBits,
  oid,
  sequence,
  setOf,
  tlv,
  utf8String,
  NULL,
} from '../../src/ca/asn1.js';
import { KEY_USAGE_NAMES } from '../../src/ca/organisation-certificate.js';
import { toPem } from '../../src/ca/pem.js';
import { euiToBytes, parseEui64 } from '../../src/domain/eui.js';

export interface MakeCsrOptions {
  /** Either written form. */
  eui: string;
  /** Subject OU; default '87' (xmlSign). */
  ou?: string;
  commonName?: string;
  curve?: 'P-256' | 'P-384' | 'rsa';
  /** How the EUI is written: SMKI BIT STRING (default) or OpenSSL-style UTF8String hex text. */
  euiAs?: 'bitstring' | 'utf8';
  /** Key Usage bits to ask for in an extensionRequest attribute (PKCS#9), by RFC 5280 name. */
  requestKeyUsage?: string[];
  /** Use this key pair instead of generating one (key-reuse tests). */
  keyPair?: { privateKey: KeyObject; publicKey: KeyObject };
}

export interface MadeCsr {
  pem: string;
  der: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const rsaKeys: { privateKey: KeyObject; publicKey: KeyObject }[] = [];

function keyPair(curve: MakeCsrOptions['curve']): { privateKey: KeyObject; publicKey: KeyObject } {
  if (curve === 'rsa') {
    // RSA generation is slow; one key serves every RSA CSR of a run.
    if (!rsaKeys[0]) rsaKeys[0] = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return rsaKeys[0];
  }
  return generateKeyPairSync('ec', { namedCurve: curve ?? 'P-256' });
}

export async function makeCsr(o: MakeCsrOptions): Promise<MadeCsr> {
  const { privateKey, publicKey } = o.keyPair ?? keyPair(o.curve);
  const eui = parseEui64(o.eui, 'makeCsr eui');
  const rdns: Buffer[] = [];
  if (o.commonName !== undefined) rdns.push(setOf(sequence(oid(OID.commonName), utf8String(o.commonName))));
  rdns.push(setOf(sequence(oid(OID.organizationalUnitName), utf8String(o.ou ?? '87'))));
  const euiValue = o.euiAs === 'utf8' ? utf8String(eui) : bitString(euiToBytes(eui));
  rdns.push(setOf(sequence(oid(OID.x500UniqueIdentifier), euiValue)));
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const attributes = o.requestKeyUsage
    ? sequence(
        oid('1.2.840.113549.1.9.14'),
        setOf(sequence(extension(OID.keyUsage, true, namedBits(o.requestKeyUsage.map((n) => KEY_USAGE_NAMES.indexOf(n as never)))))),
      )
    : Buffer.alloc(0);
  const info = sequence(tlv(TAG.INTEGER, Buffer.from([0])), sequence(...rdns), spki, explicit(0, attributes));
  let alg: Buffer;
  let hash: string;
  if (o.curve === 'rsa') {
    alg = sequence(oid(OID.sha256WithRsa), NULL);
    hash = 'sha256';
  } else if (o.curve === 'P-384') {
    alg = sequence(oid(OID.ecdsaWithSha384));
    hash = 'sha384';
  } else {
    alg = sequence(oid(OID.ecdsaWithSha256));
    hash = 'sha256';
  }
  const der = sequence(info, alg, bitString(sign(hash, info, privateKey)));
  return { pem: toPem(der, 'CERTIFICATE REQUEST'), der, privateKey, publicKey };
}
