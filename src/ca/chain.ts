// Certificate chains of other CAs (DCC's Organisation CA): is a certificate signed by a given CA
// certificate, and does a chain file hold a well-formed chain up to a self-signed root. Pure: the
// registry's trust anchors are looked up by the caller. Names are compared as DER bytes (RFC 5280
// 7.1 allows it, and SMKI CAs encode their names one way).
import { verify } from 'node:crypto';
import { InputError } from '../domain/errors.js';
import { signatureHash } from './asn1.js';
import type { CaCertificateInfo } from './organisation-certificate.js';

/** The parts of any certificate that say who signed it and with what. */
export interface SignedCertificate {
  tbsDer: Buffer;
  signatureAlgorithmOid: string;
  signatureDer: Buffer;
  issuerNameDer: Buffer;
  aki?: Buffer;
}

/** Why `child` is not signed by `issuer`, or undefined when it is. */
export function notSignedBy(child: SignedCertificate, issuer: CaCertificateInfo): string | undefined {
  if (!child.issuerNameDer.equals(issuer.subjectNameDer)) return `its issuer is not ${issuer.subjectText}`;
  if (child.aki && !child.aki.equals(issuer.ski)) return `its authorityKeyIdentifier is not the key identifier of ${issuer.subjectText}`;
  if (issuer.keyUsage.length > 0 && !issuer.keyUsage.includes('keyCertSign')) return `${issuer.subjectText} may not sign certificates (no keyCertSign)`;
  const hash = signatureHash(child.signatureAlgorithmOid);
  if (!hash) return `its signature algorithm ${child.signatureAlgorithmOid} is not supported`;
  let ok = false;
  try {
    ok = verify(hash, child.tbsDer, issuer.publicKey, child.signatureDer);
  } catch {
    ok = false;
  }
  return ok ? undefined : `its signature does not verify with the key of ${issuer.subjectText}`;
}

/**
 * A chain file: CA certificates, each signed by the next, the last self-signed (the root). Throws
 * InputError naming the first break. The order may be leaf-first or root-first; it is normalised to
 * leaf-first (Issuing OCA, ..., Root), as `smki ca export` writes it.
 */
export function orderedAnchorChain(certs: CaCertificateInfo[], what = '--file'): CaCertificateInfo[] {
  if (certs.length === 0) throw new InputError(`${what}: no certificates`);
  const selfSigned = (c: CaCertificateInfo) => notSignedBy(c, c) === undefined;
  const chain = selfSigned(certs[0]!) && certs.length > 1 ? [...certs].reverse() : certs;
  for (let i = 0; i < chain.length - 1; i++) {
    const why = notSignedBy(chain[i]!, chain[i + 1]!);
    if (why) throw new InputError(`${what}: ${chain[i]!.subjectText} is not signed by the next certificate ${chain[i + 1]!.subjectText}: ${why}`);
  }
  const root = chain[chain.length - 1]!;
  if (!selfSigned(root)) throw new InputError(`${what}: the chain does not end in a self-signed root (${root.subjectText} is issued by ${root.issuerText})`);
  return chain;
}
