// Writing a PKCS#10 CSR with the SMKI subject (CN?, OU, x500UniqueIdentifier as BIT STRING), as an
// SRP's own tooling would: `smki csr new`, the demo and onboarding examples.
import type { KeyObject } from 'node:crypto';
import type { Eui64 } from '../domain/eui.js';
import { OID, TAG, explicit, extension, oid, sequence, setOf, tlv } from './asn1.js';
import { encodeOrganisationSubject, keyUsageValue, type KeyUsageName } from './organisation-certificate.js';
import { toPem } from './pem.js';
import { FileKeySigner, type Signer } from './signer.js';

/** PKCS#9 extensionRequest (RFC 2985): the extensions the CSR asks the CA for. */
const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

/**
 * `privateKey` may be a Signer (a PKCS#11 token key): the CSR is then signed inside the token.
 * `keyUsage` asks for that single bit as a critical keyUsage (SEC Appendix M: the CSR says what it
 * asks for); without it the CSR requests no extensions.
 */
export function buildSmkiCsr(o: { eui: Eui64; ou: string; commonName?: string; keyUsage?: KeyUsageName; privateKey: KeyObject | Signer; publicKey?: KeyObject }): { der: Buffer; pem: string } {
  const signer: Signer = 'spkiDer' in o.privateKey ? o.privateKey : new FileKeySigner(o.privateKey, 'CSR key');
  const spki = signer.spkiDer;
  const attributes = o.keyUsage
    ? sequence(oid(EXTENSION_REQUEST), setOf(sequence(extension(OID.keyUsage, true, keyUsageValue([o.keyUsage])))))
    : Buffer.alloc(0);
  const info = sequence(
    tlv(TAG.INTEGER, Buffer.from([0])),
    encodeOrganisationSubject({ commonName: o.commonName, ou: o.ou, eui: o.eui }),
    spki,
    explicit(0, attributes),
  );
  const signature = signer.sign(info, 'der');
  const der = sequence(info, sequence(oid(OID.ecdsaWithSha256)), tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([0]), signature])));
  return { der, pem: toPem(der, 'CERTIFICATE REQUEST') };
}
