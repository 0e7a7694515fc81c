// The DSP's XML-signing certificates (OU 89, dspXmlSign) that alerts must be signed with. An RA
// operator registers them; each must chain to a registered trust anchor (smki ca trust).
import { createHash } from 'node:crypto';
import { readOrganisationCertificate } from '../ca/organisation-certificate.js';
import { InputError, PolicyRefusal } from '../domain/errors.js';
import { reason, type Reason } from '../domain/reasons.js';
import { findSigningAnchor } from '../ra/external-certificates.js';
import { findDspCertificate, insertDspCertificate, type DspCertificateRecord } from '../registry/alerts.js';
import type { Registry } from '../registry/registry.js';
import { operatorFor, type OperatorKey } from '../ra/credentials.js';

/** Pure: is this the DSP's XML-signing certificate? */
export function decideDspCertificate(roleOu: string, keyUsage: readonly string[], chainProblem: string | undefined): Reason[] {
  const reasons: Reason[] = [];
  if (roleOu !== '89' || keyUsage.length !== 1 || keyUsage[0] !== 'digitalSignature') {
    reasons.push(reason('DSP_CERT_NOT_DSP_XML_SIGN', `OU ${roleOu}, keyUsage ${keyUsage.join('+') || 'none'}`));
  }
  if (chainProblem) reasons.push(reason('DSP_CERT_UNTRUSTED', chainProblem));
  return reasons;
}

export function registerDspCertificate(reg: Registry, input: { der: Buffer | string; operator: OperatorKey }): DspCertificateRecord & { created: boolean } {
  const info = readOrganisationCertificate(input.der);
  const signing = findSigningAnchor(reg, info);
  const reasons = decideDspCertificate(info.roleOu, info.keyUsage, 'problem' in signing ? signing.problem : undefined);
  if (reasons.length) throw new PolicyRefusal(reasons);
  const anchor = (signing as { anchor: { sha256: string } }).anchor;
  // Keyed as the alert's X509SerialNumber gives it: the number, in hex without leading zeros.
  const serial = BigInt(`0x${info.serialHex}`).toString(16).toUpperCase();
  return reg.tx(() => {
    const acting = operatorFor(reg, input.operator, 'alert.dsp-register', serial, { serial });
    const existing = findDspCertificate(reg, serial);
    if (existing) {
      if (existing.der.equals(info.der)) return { ...existing, created: false };
      throw new InputError(`--file: another DSP certificate with serial ${info.serialHex} is already registered`);
    }
    const at = reg.now();
    const record: DspCertificateRecord = {
      serial,
      eui: info.eui,
      issuer: info.issuerText,
      notBefore: info.notBefore.toISOString(),
      notAfter: info.notAfter.toISOString(),
      der: info.der,
      trustAnchorSha256: anchor.sha256,
      registeredAt: at.toISOString(),
      registeredBy: acting.name,
    };
    insertDspCertificate(reg, record);
    reg.audit.append(at, acting, 'alert.dsp-register', serial, {
      eui: info.eui,
      issuer: info.issuerText,
      certSha256: createHash('sha256').update(info.der).digest('hex'),
      trustAnchor: anchor.sha256,
    });
    return { ...record, created: true };
  });
}
