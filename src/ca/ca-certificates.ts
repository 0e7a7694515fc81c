// Root OCA and Issuing OCA certificates. Their SMKI profiles are UNCONFIRMED (smki-domain.md A.4);
// the project's decisions, written down here and in the README:
// - Subject: OU = Remote Party Role (`00` root, `07` issuingAuthority) then CN, one attribute per RDN,
//   UTF8String, DER order OU then CN, like the ZAZ1 issuer `OU=07, CN=Z1`.
// - basicConstraints critical, cA TRUE; pathLenConstraint 0 on the Issuing OCA (it issues only
//   Organisation Certificates), none on the Root OCA (unless the caller asks for one).
// - keyUsage critical keyCertSign | cRLSign. subjectKeyIdentifier: method (2), 8 octets, as the
//   Organisation Certificates. authorityKeyIdentifier (keyIdentifier only) on both: the Root OCA's
//   equals its own SKI (RFC 5280 permits it on self-signed certificates and it makes chain building
//   unambiguous when a Root is renewed).
// - certificatePolicies: none on the Root OCA (a trust anchor). On the Issuing OCA, optional and
//   non-critical: the policy OID of the Organisation Certificates it issues, so that RFC 5280 policy
//   processing with an explicit policy still finds a valid path.
// - ecdsa-with-SHA256 on P-256, no parameters, dates as the Organisation Certificates.
import { InputError } from '../domain/errors.js';
import { BOOLEAN_TRUE, OID, integer, namedBits, oid, octetString, printableString, sequence, setOf, utf8String } from './asn1.js';
import {
  authorityKeyIdentifierValue,
  certificatePoliciesValue,
  encodeTbs,
  subjectKeyIdentifier,
  type ExtensionSpec,
  type TbsFields,
} from './organisation-certificate.js';

export { readCaCertificate, type CaCertificateInfo } from './organisation-certificate.js';
export { assembleCertificate } from './organisation-certificate.js';

export type CaOu = '00' | '07';

export interface CaCertificateTemplate {
  /** 16 octets, positive, high bit clear. */
  serial: Buffer;
  /** The issuer's subject Name DER; absent for the self-signed Root OCA. */
  issuerNameDer?: Buffer;
  subject: { commonName: string; ou: CaOu };
  spkiDer: Buffer;
  /** The issuer's SPKI (for authorityKeyIdentifier); absent for the self-signed Root OCA. */
  issuerSpkiDer?: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** basicConstraints pathLenConstraint; absent = unlimited. */
  pathLen?: number;
  /** Adds a non-critical certificatePolicies with this OID (Issuing OCA). */
  policyOid?: string;
}

const NAME_TYPES: Record<string, string> = {
  CN: OID.commonName,
  OU: OID.organizationalUnitName,
  O: OID.organizationName,
  C: OID.countryName,
  L: OID.localityName,
  ST: OID.stateOrProvinceName,
};

export interface NameAttributeSpec {
  /** CN, OU, O, C, L, ST, or a dotted OID. */
  type: string;
  value: string;
}

/** Name DER with one attribute per RDN, in the order given; UTF8String (PrintableString for C). */
export function encodeName(attributes: readonly NameAttributeSpec[]): Buffer {
  return sequence(
    ...attributes.map((a) => {
      const type = NAME_TYPES[a.type] ?? a.type;
      if (a.value.length === 0) throw new InputError(`name: empty ${a.type}`);
      const value = type === OID.countryName ? printableString(a.value) : utf8String(a.value);
      return setOf(sequence(oid(type), value));
    }),
  );
}

/** The CA subject: OU (Remote Party Role) then CN, as the ZAZ1 issuer `OU=07, CN=Z1`. */
export function caNameDer(subject: { commonName: string; ou: CaOu }): Buffer {
  if (!/^\S(.*\S)?$/.test(subject.commonName) || subject.commonName.length > 64) {
    throw new InputError(`CA name: '${subject.commonName}' must be 1 to 64 characters without leading or trailing spaces`);
  }
  return encodeName([
    { type: 'OU', value: subject.ou },
    { type: 'CN', value: subject.commonName },
  ]);
}

/** The TBS fields buildCaTbs encodes (extension order BC, KU, SKI, AKI, CP). */
export function caTbsFields(t: CaCertificateTemplate): TbsFields {
  const subjectNameDer = caNameDer(t.subject);
  const bc = t.pathLen === undefined ? sequence(BOOLEAN_TRUE) : sequence(BOOLEAN_TRUE, integer(t.pathLen));
  const extensions: ExtensionSpec[] = [
    { oid: OID.basicConstraints, critical: true, value: bc },
    { oid: OID.keyUsage, critical: true, value: namedBits([5, 6]) },
    { oid: OID.subjectKeyIdentifier, critical: false, value: octetString(subjectKeyIdentifier(t.spkiDer)) },
    {
      oid: OID.authorityKeyIdentifier,
      critical: false,
      value: authorityKeyIdentifierValue(subjectKeyIdentifier(t.issuerSpkiDer ?? t.spkiDer)),
    },
  ];
  if (t.policyOid !== undefined) extensions.push({ oid: OID.certificatePolicies, critical: false, value: certificatePoliciesValue([t.policyOid]) });
  return {
    serial: t.serial,
    issuerNameDer: t.issuerNameDer ?? subjectNameDer,
    notBefore: t.notBefore,
    notAfter: t.notAfter,
    subjectNameDer,
    spkiDer: t.spkiDer,
    extensions,
  };
}

/** DER TBSCertificate of a Root OCA (no issuer: self-signed) or Issuing OCA certificate. */
export function buildCaTbs(t: CaCertificateTemplate): Buffer {
  if ((t.issuerNameDer === undefined) !== (t.issuerSpkiDer === undefined)) {
    throw new RangeError('buildCaTbs: give both issuerNameDer and issuerSpkiDer, or neither (self-signed)');
  }
  if (t.pathLen !== undefined && (!Number.isInteger(t.pathLen) || t.pathLen < 0)) throw new RangeError('buildCaTbs: pathLen must be a non-negative integer');
  return encodeTbs(caTbsFields(t));
}

/** The Root OCA: self-signed, OU 00 (root), no path length limit, no certificatePolicies. */
export function buildRootOcaTbs(t: { serial: Buffer; commonName: string; spkiDer: Buffer; notBefore: Date; notAfter: Date }): Buffer {
  return buildCaTbs({ serial: t.serial, subject: { commonName: t.commonName, ou: '00' }, spkiDer: t.spkiDer, notBefore: t.notBefore, notAfter: t.notAfter });
}

/** The Issuing OCA: OU 07 (issuingAuthority), pathLen 0, certificatePolicies with the Organisation Certificate policy. */
export function buildIssuingOcaTbs(t: {
  serial: Buffer;
  commonName: string;
  spkiDer: Buffer;
  rootNameDer: Buffer;
  rootSpkiDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  policyOid?: string;
}): Buffer {
  return buildCaTbs({
    serial: t.serial,
    issuerNameDer: t.rootNameDer,
    issuerSpkiDer: t.rootSpkiDer,
    subject: { commonName: t.commonName, ou: '07' },
    spkiDer: t.spkiDer,
    notBefore: t.notBefore,
    notAfter: t.notAfter,
    pathLen: 0,
    ...(t.policyOid === undefined ? {} : { policyOid: t.policyOid }),
  });
}
