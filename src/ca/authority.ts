// The signer. It holds the Issuing OCA key and refuses on its own what must never be signed: it
// re-checks the role/profile rule (MP134B requirement 2) and lints the to-be-signed certificate
// before the key touches it, whatever the RA decided.
import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Catalogue, RoleEntry } from '../config/catalogue.js';
import { InputError, IntegrityError, PolicyRefusal } from '../domain/errors.js';
import type { CertificateProfile } from '../domain/profiles.js';
import { reason, type Reason } from '../domain/reasons.js';
import { SOLR_CONTINGENCY } from '../domain/roles.js';
import { caCertificate } from '../registry/certificates.js';
import type { Registry } from '../registry/registry.js';
import { decryptPrivateKey } from './keystore.js';
import { lintOrganisationTbs } from './lint.js';
import {
  assembleCertificate,
  buildOrganisationTbs,
  readCaCertificate,
  type OrganisationCertificateTemplate,
} from './organisation-certificate.js';

export { newSerial } from './organisation-certificate.js';

export interface SignContext {
  role: RoleEntry;
  profile: CertificateProfile;
}

/** Pure: the signer's own refusal list for a template. */
export function signerChecks(t: OrganisationCertificateTemplate, c: SignContext): Reason[] {
  const reasons: Reason[] = [];
  if (!c.role.profiles.includes(c.profile.name)) {
    reasons.push(reason('ROLE_PROFILE_FORBIDDEN', `signer: ${c.role.name} may not hold ${c.profile.name}`));
  }
  if (c.role.code === SOLR_CONTINGENCY && (t.keyUsage !== 'digitalSignature' || t.subject.ou !== '87' || c.profile.gbcsDeviceKey)) {
    reasons.push(reason('SOLR_CONTINGENCY_XML_SIGN_ONLY', `signer: template has OU ${t.subject.ou} and ${t.keyUsage}`));
  }
  if (t.keyUsage !== c.profile.keyUsage) {
    reasons.push(reason('LINT_FAILED', `signer: keyUsage ${t.keyUsage} is not the profile's ${c.profile.keyUsage}`));
  }
  const ou = c.profile.subjectOu === 'role' ? c.role.remotePartyRole : c.profile.subjectOu;
  if (t.subject.ou !== ou) reasons.push(reason('LINT_FAILED', `signer: subject OU ${t.subject.ou} is not the profile's ${ou}`));
  return reasons;
}

export class IssuingAuthority {
  constructor(
    private readonly key: KeyObject,
    readonly certificateDer: Buffer,
    readonly nameDer: Buffer,
    readonly keyId: Buffer,
    readonly catalogue: Catalogue,
  ) {
    const pub = createPublicKey(key).export({ format: 'der', type: 'spki' });
    const certPub = readCaCertificate(certificateDer).spkiDer;
    if (!pub.equals(certPub)) throw new IntegrityError('the Issuing OCA key does not match its certificate');
  }

  /** Decrypts the Issuing OCA key of a home. */
  static unlock(reg: Registry, passphrase: Buffer, catalogue: Catalogue): IssuingAuthority {
    const row = caCertificate(reg, 'issuing');
    if (!row) throw new IntegrityError('the registry holds no Issuing OCA certificate');
    let pem: string;
    try {
      pem = readFileSync(reg.paths.issuingKey, 'utf8');
    } catch {
      throw new InputError(`cannot read the Issuing OCA key ${reg.paths.issuingKey}`);
    }
    const key = decryptPrivateKey(pem, passphrase, 'Issuing OCA key');
    const info = readCaCertificate(row.der);
    return new IssuingAuthority(key, row.der, info.subjectNameDer, info.ski, catalogue);
  }

  /** Re-checks, lints, then signs. Returns the DER certificate. */
  signOrganisationCertificate(t: OrganisationCertificateTemplate, c: SignContext): Buffer {
    const refusals = signerChecks(t, c);
    if (refusals.length) throw new PolicyRefusal(refusals);
    const tbs = buildOrganisationTbs(t);
    const findings = lintOrganisationTbs(tbs, {
      keyUsage: t.keyUsage,
      ou: t.subject.ou,
      eui: t.subject.eui,
      policyOid: t.policyOid,
      issuerNameDer: this.nameDer,
    });
    if (findings.length) throw new PolicyRefusal(findings.map((f) => reason('LINT_FAILED', `${f.code}: ${f.message}`)));
    return assembleCertificate(tbs, sign('sha256', tbs, this.key));
  }

  /** Signs any other to-be-signed structure of the CA (CRLs). */
  signTbs(tbs: Buffer): Buffer {
    return sign('sha256', tbs, this.key);
  }
}
