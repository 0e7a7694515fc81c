// Writing a PKCS#10 CSR with the SMKI subject (CN?, OU, x500UniqueIdentifier as BIT STRING), as an
// SRP's own tooling would: used by the demo and by onboarding examples.
import { sign, type KeyObject } from 'node:crypto';
import type { Eui64 } from '../domain/eui.js';
import { OID, TAG, explicit, oid, sequence, tlv } from './asn1.js';
import { encodeOrganisationSubject } from './organisation-certificate.js';
import { toPem } from './pem.js';

export function buildSmkiCsr(o: { eui: Eui64; ou: string; commonName?: string; privateKey: KeyObject; publicKey: KeyObject }): { der: Buffer; pem: string } {
  const spki = o.publicKey.export({ format: 'der', type: 'spki' });
  const info = sequence(
    tlv(TAG.INTEGER, Buffer.from([0])),
    encodeOrganisationSubject({ commonName: o.commonName, ou: o.ou, eui: o.eui }),
    spki,
    explicit(0, Buffer.alloc(0)),
  );
  const signature = sign('sha256', info, o.privateKey);
  const der = sequence(info, sequence(oid(OID.ecdsaWithSha256)), tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([0]), signature])));
  return { der, pem: toPem(der, 'CERTIFICATE REQUEST') };
}
