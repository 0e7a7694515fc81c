// The RA's decision on recording another CA's certificate for a User ID (`cert register`). Pure: the
// facts (User ID and role, the chain check against registered trust anchors, the acting operator) are
// gathered beforehand. The SoLRContingency rule is held in code whatever ca-config says.
import type { RoleEntry } from '../config/catalogue.js';
import type { ProfileName } from '../domain/profiles.js';
import { reason, type Reason } from '../domain/reasons.js';
import { SOLR_CONTINGENCY, userRoleName } from '../domain/roles.js';

/** GBCS Remote Party Role of XML-signing certificates (subject OU `87`). */
const XML_SIGN_ROLE = 0x87;

export interface RegistrationFacts {
  role: RoleEntry;
  /** The certificate's subject Remote Party Role (its OU) and its one key usage. */
  remotePartyRole: number;
  keyUsage: string;
  /** Undefined when the certificate is signed by a registered trust anchor; else why not. */
  chainProblem: string | undefined;
  operator: string | undefined;
}

/** The profile a certificate's OU and key usage describe, or undefined for none. */
export function profileOfCertificate(remotePartyRole: number, keyUsage: string): ProfileName | undefined {
  if (remotePartyRole === XML_SIGN_ROLE) return keyUsage === 'digitalSignature' ? 'xml-sign' : undefined;
  if (keyUsage === 'digitalSignature') return 'ds';
  if (keyUsage === 'keyAgreement') return 'ka';
  return undefined;
}

/** Every reason that applies; empty means the certificate may be recorded. */
export function decideRegistration(f: RegistrationFacts): Reason[] {
  const reasons: Reason[] = [];
  if (!f.operator) reasons.push(reason('OPERATOR_REQUIRED', 'cert register names no RA operator'));
  if (f.chainProblem !== undefined) reasons.push(reason('CERT_NOT_CHAINED', f.chainProblem));
  const profile = profileOfCertificate(f.remotePartyRole, f.keyUsage);
  const ou = f.remotePartyRole.toString(16).toUpperCase().padStart(2, '0');
  if (f.role.code === SOLR_CONTINGENCY && profile !== 'xml-sign') {
    reasons.push(reason('SOLR_CONTINGENCY_XML_SIGN_ONLY', `the certificate has OU ${ou} and ${f.keyUsage}`));
  }
  if (!profile) {
    reasons.push(reason('CERT_PROFILE_MISMATCH', `OU ${ou} with ${f.keyUsage}`));
    return reasons;
  }
  if (!f.role.profiles.includes(profile)) {
    reasons.push(reason('ROLE_PROFILE_FORBIDDEN', `${userRoleName(f.role.code)} may hold ${f.role.profiles.join(', ') || 'nothing'}; the certificate is ${profile}`));
  } else if (profile !== 'xml-sign' && (f.role.remotePartyRole === null || parseInt(f.role.remotePartyRole, 16) !== f.remotePartyRole)) {
    reasons.push(reason('CERT_PROFILE_MISMATCH', `OU ${ou} is not ${userRoleName(f.role.code)}'s Remote Party Role ${f.role.remotePartyRole ?? '(none)'}`));
  }
  return reasons;
}
