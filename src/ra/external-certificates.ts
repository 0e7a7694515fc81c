// Certificates this CA did not issue but must know: above all a failed Supplier's GBCS Digital
// Signing certificate, which meters still trust after the DCC revokes it (the gate checks Signed
// Pre-Commands against it). They are recorded with source 'registered' and never on this CA's CRL.
import { createHash } from 'node:crypto';
import { readOrganisationCertificate } from '../ca/organisation-certificate.js';
import type { Catalogue } from '../config/catalogue.js';
import { InputError } from '../domain/errors.js';
import type { Eui64 } from '../domain/eui.js';
import type { ProfileName } from '../domain/profiles.js';
import { findCertificate, insertCertificate, spkiCertified, type CertificateRecord } from '../registry/certificates.js';
import type { Registry } from '../registry/registry.js';
import { requireUserId } from './parties.js';
import { spkiFingerprint } from './issue.js';

export function registerExternalCertificate(
  reg: Registry,
  _catalogue: Catalogue,
  input: { der: Buffer | string; party: Eui64; operator: string },
): CertificateRecord {
  const info = readOrganisationCertificate(input.der);
  const userId = requireUserId(reg, input.party);
  if (info.eui !== userId.eui) throw new InputError(`--party: the certificate's Entity Identifier is ${info.eui}, not ${userId.eui}`);
  if (info.keyUsage.length !== 1) throw new InputError(`--file: the certificate has keyUsage ${info.keyUsage.join('+')}; an Organisation Certificate has exactly one`);
  const profile: ProfileName = info.roleOu === '87' ? 'xml-sign' : info.keyUsage[0] === 'keyAgreement' ? 'ka' : 'ds';
  return reg.tx(() => {
    const existing = findCertificate(reg, info.serialHex);
    if (existing) {
      if (existing.der.equals(info.der)) return existing;
      throw new InputError(`--file: another certificate with serial ${info.serialHex} is already recorded`);
    }
    const spkiSha256 = spkiFingerprint(info.spkiDer);
    const dup = spkiCertified(reg, spkiSha256);
    if (dup) throw new InputError(`--file: its public key is already recorded in certificate ${dup}`);
    const at = reg.now();
    insertCertificate(reg, {
      serial: info.serialHex,
      userId: userId.eui,
      profile,
      roleOu: info.roleOu,
      keyUsage: info.keyUsage[0]!,
      spkiSha256,
      issuerDer: info.issuerNameDer,
      notBefore: info.notBefore.toISOString(),
      notAfter: info.notAfter.toISOString(),
      der: info.der,
      source: 'registered',
      officerId: null,
      createdAt: at.toISOString(),
    });
    reg.audit.append(at, input.operator, 'cert.register', info.serialHex, {
      userId: userId.eui,
      issuer: info.issuerText,
      ou: info.roleOu,
      keyUsage: info.keyUsage[0],
      certSha256: createHash('sha256').update(info.der).digest('hex'),
    });
    return findCertificate(reg, info.serialHex)!;
  });
}
