// `smki cert show`: what the registry knows about a certificate, and what the certificate itself says,
// decoded as `openssl x509 -text -noout` shows it (src/ca/certificate-text.ts). A certificate file
// that is not in this registry is decoded too, and said to be unregistered.
import { existsSync } from 'node:fs';
import { certificateText, describeCertificate, SMKI_POLICY_NAMES, type CertificateDescription } from '../ca/certificate-text.js';
import { DerError } from '../ca/asn1.js';
import { derFromInput, toPem } from '../ca/pem.js';
import { InputError } from '../domain/errors.js';
import { requireCertificate } from '../ra/revocation.js';
import { findCertificate, type CertificateRecord } from '../registry/certificates.js';
import type { Registry } from '../registry/registry.js';
import { INPUT_LIMITS, readInputFile } from '../util/read-input.js';

export interface ShownCertificate {
  /** The registry's record; undefined for a file this registry does not hold. */
  record?: CertificateRecord;
  der: Buffer;
  decoded: CertificateDescription;
  /** The file it was read from, when it was named by file. */
  file?: string;
}

/** A serial (hex) or a certificate file (PEM or DER): the registry's record if any, and the decoded certificate. */
export function findShownCertificate(reg: Registry, text: string): ShownCertificate {
  const t = text.trim();
  if (/^(0x)?[0-9a-f:\s]+$/i.test(t) && !existsSync(t)) {
    const record = requireCertificate(reg, t);
    return { record, der: record.der, decoded: decode(record.der, `certificate ${record.serial}`) };
  }
  const der = derFromInput(readInputFile(t, 'SERIAL', INPUT_LIMITS.pem), ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'], t);
  const decoded = decode(der, t);
  const record = findCertificate(reg, decoded.serialNumber) ?? findCertificate(reg, decoded.serialNumber.replace(/^0+/, ''));
  // The registry's record only if it is this very certificate (a serial alone could be another CA's).
  return record && record.der.equals(der) ? { record, der, decoded, file: t } : { der, decoded, file: t };
}

function decode(der: Buffer, what: string): CertificateDescription {
  try {
    return describeCertificate(der);
  } catch (e) {
    throw new InputError(`${what}: not a DER X.509 certificate (${e instanceof DerError ? e.message : 'malformed structure'})`);
  }
}

const entityOf = (d: CertificateDescription) => d.subject.entries.find((e) => e.entityId !== undefined)?.entityId;

/** The human text: the registry's lines, the decoded certificate, the PEM. */
export function certificateShowText(s: ShownCertificate, now: Date): string[] {
  const d = s.decoded;
  const c = s.record;
  const expired = Date.parse(d.validity.notAfter) < now.getTime();
  const entity = entityOf(d);
  const policies = d.extensions.flatMap((e) => ('policies' in e.value ? e.value.policies : []));
  const head = c
    ? [
        `serial      ${c.serial}`,
        `user ID     ${c.userId}`,
        `profile     ${c.profile} (OU ${c.roleOu}, ${c.keyUsage})`,
        `validity    ${c.notBefore} .. ${c.notAfter}`,
        `status      ${c.status}${c.revokedAt ? ` since ${c.revokedAt} (${c.revocationReason})` : ''}${expired ? ` (expired ${d.validity.notAfter})` : ''}`,
        `source      ${c.source}${c.officerId ? ` by ${c.officerId}` : ''}`,
      ]
    : [
        `serial      ${d.serialNumber}`,
        `registry    not in this registry (decoded from ${s.file})`,
        `validity    ${d.validity.notBefore} .. ${d.validity.notAfter}${expired ? ' (expired)' : ''}`,
      ];
  return [
    ...head,
    ...(entity ? [`entity ID   ${entity} (subject x500UniqueIdentifier)`] : []),
    ...policies.map((p) => `policy      ${p.oid}${p.name ? ` (${p.name})` : ''}`),
    ...certificateText(d),
    toPem(s.der, 'CERTIFICATE').trimEnd(),
  ];
}

/** The --json document (cert-show.schema.json): the registry's fields (null when unregistered) and `certificate`. */
export function certificateShowJson(s: ShownCertificate, now: Date, registryJson: (c: CertificateRecord) => Record<string, unknown>) {
  const d = s.decoded;
  const expired = Date.parse(d.validity.notAfter) < now.getTime();
  const keyUsage = d.extensions.flatMap((e) => ('keyUsage' in e.value ? e.value.keyUsage : [])).join(',');
  const ou = d.subject.entries.find((e) => e.type === 'OU')?.value ?? null;
  const base = s.record
    ? registryJson(s.record)
    : {
        serial: d.serialNumber, userId: entityOf(d) ?? null, profile: null, ou, keyUsage, notBefore: d.validity.notBefore, notAfter: d.validity.notAfter,
        source: null, officer: null, status: 'unregistered', revokedAt: null, revocationReason: null, solrEvent: null, pem: toPem(s.der, 'CERTIFICATE'),
      };
  return { ...base, registered: s.record !== undefined, expired, certificate: d };
}
