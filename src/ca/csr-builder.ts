// Writing a PKCS#10 CSR with the SMKI subject (CN?, OU, x500UniqueIdentifier as BIT STRING), as an
// SRP's own tooling would: used by the demo and by onboarding examples.
import type { KeyObject } from 'node:crypto';
import type { Eui64 } from '../domain/eui.js';
import { OID, TAG, explicit, oid, sequence, tlv } from './asn1.js';
import { encodeOrganisationSubject } from './organisation-certificate.js';
import { toPem } from './pem.js';
import { FileKeySigner, type Signer } from './signer.js';

/** `privateKey` may be a Signer (a PKCS#11 token key): the CSR is then signed inside the token. */
export function buildSmkiCsr(o: { eui: Eui64; ou: string; commonName?: string; privateKey: KeyObject | Signer; publicKey?: KeyObject }): { der: Buffer; pem: string } {
  const signer: Signer = 'spkiDer' in o.privateKey ? o.privateKey : new FileKeySigner(o.privateKey, 'CSR key');
  const spki = signer.spkiDer;
  const info = sequence(
    tlv(TAG.INTEGER, Buffer.from([0])),
    encodeOrganisationSubject({ commonName: o.commonName, ou: o.ou, eui: o.eui }),
    spki,
    explicit(0, Buffer.alloc(0)),
  );
  const signature = signer.sign(info, 'der');
  const der = sequence(info, sequence(oid(OID.ecdsaWithSha256)), tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([0]), signature])));
  return { der, pem: toPem(der, 'CERTIFICATE REQUEST') };
}
