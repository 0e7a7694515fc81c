// The RA's issuance decision (MP134B requirement 2 and the CSR gate), as a list of small validators
// over facts gathered beforehand. Pure: no I/O. A new rule is a new validator, never a new branch.
import type { CertificateProfile, ProfileName } from '../domain/profiles.js';
import type { RoleEntry } from '../config/catalogue.js';
import type { Eui64 } from '../domain/eui.js';
import { reason, type Reason } from '../domain/reasons.js';
import { SOLR_CONTINGENCY, userRoleName, type UserRoleCode } from '../domain/roles.js';
import type { OfficerRecord } from '../registry/officers.js';
import type { UserIdRecord } from '../registry/parties.js';
import { checkActiveAro } from './officers.js';

export interface IssuanceFacts {
  /** Reasons the CSR gate found (proof of possession, algorithms, curve, point). */
  csrReasons: Reason[];
  csrEui: Eui64 | undefined;
  /** The CSR subject's OU (the Remote Party Role it asks for), as written. */
  csrOu: string | undefined;
  /** The Key Usage bits the CSR's extensionRequest asks for; undefined when it asks for none. */
  csrKeyUsage: string[] | undefined;
  userId: UserIdRecord;
  role: RoleEntry;
  profileName: ProfileName;
  profile: CertificateProfile;
  officerId: string;
  officer: OfficerRecord | undefined;
  /** Serial of a certificate that already certifies this public key, if any. */
  keyCertifiedBy: string | undefined;
}

export interface IssuanceValidator {
  name: string;
  check(f: IssuanceFacts): Reason[];
}

const csrGate: IssuanceValidator = { name: 'csr-gate', check: (f) => f.csrReasons };

const euiIsPartyUserId: IssuanceValidator = {
  name: 'eui-is-party-user-id',
  check: (f) => {
    if (!f.csrEui) return [reason('CSR_EUI_MISSING')];
    return f.csrEui === f.userId.eui ? [] : [reason('CSR_EUI_MISMATCH', `CSR names ${f.csrEui}, --party is ${f.userId.eui}`)];
  },
};

const keyNotReused: IssuanceValidator = {
  name: 'key-not-reused',
  check: (f) => (f.keyCertifiedBy ? [reason('CSR_KEY_REUSED', `certified by serial ${f.keyCertifiedBy}`)] : []),
};

const roleMayHoldProfile: IssuanceValidator = {
  name: 'role-may-hold-profile',
  check: (f) =>
    f.role.profiles.includes(f.profileName)
      ? []
      : [reason('ROLE_PROFILE_FORBIDDEN', `${userRoleName(f.role.code)} may hold ${f.role.profiles.join(', ') || 'nothing'}; asked for ${f.profileName}`)],
};

/**
 * SEC Appendix M: the CSR states what it asks for and the subscriber rejects a certificate that does
 * not match it, so the CA never rewrites a differing OU or Key Usage: it refuses.
 */
const csrOuIsProfileRole: IssuanceValidator = {
  name: 'csr-ou-is-profile-role',
  check: (f) => {
    const expected = subjectOuFor(f.profile, f.role);
    if (expected === undefined) return [reason('CSR_OU_MISMATCH', `${f.profileName} gives ${userRoleName(f.role.code)} no Remote Party Role`)];
    if (f.csrOu === undefined) return [reason('CSR_OU_MISMATCH', `the CSR subject has no OU; ${f.profileName} needs ${expected}`)];
    return f.csrOu === expected ? [] : [reason('CSR_OU_MISMATCH', `the CSR asks for OU ${f.csrOu}; ${f.profileName} for ${userRoleName(f.role.code)} is OU ${expected}`)];
  },
};

const csrKeyUsageIsProfileBit: IssuanceValidator = {
  name: 'csr-key-usage-is-profile-bit',
  check: (f) => {
    const asked = f.csrKeyUsage;
    if (asked === undefined || (asked.length === 1 && asked[0] === f.profile.keyUsage)) return [];
    return [reason('CSR_KEY_USAGE_MISMATCH', `the CSR asks for ${asked.join(', ') || 'no bit'}; ${f.profileName} is ${f.profile.keyUsage} alone`)];
  },
};

const officerIsActiveAro: IssuanceValidator = {
  name: 'officer-is-active-aro',
  check: (f) => checkActiveAro(f.officer, f.userId, f.officerId),
};

/**
 * MP134B requirement 2, held in code whatever ca-config says: a SoLRContingency User ID gets an
 * XML-signing certificate (OU 87, digitalSignature) and never a key that meters trust.
 */
export const solrContingencyXmlSignOnly: IssuanceValidator = {
  name: 'solr-contingency-xml-sign-only',
  check: (f) =>
    f.profile.gbcsDeviceKey || f.profile.keyUsage !== 'digitalSignature' || f.profile.subjectOu !== '87'
      ? [reason('SOLR_CONTINGENCY_XML_SIGN_ONLY', `asked for ${f.profileName}`)]
      : [],
};

/** Checks every User ID gets. */
export const COMMON_VALIDATORS: IssuanceValidator[] = [
  csrGate,
  euiIsPartyUserId,
  csrOuIsProfileRole,
  csrKeyUsageIsProfileBit,
  keyNotReused,
  roleMayHoldProfile,
  officerIsActiveAro,
];

/** Checks a User Role adds on top (step-ca style: each role contributes its validators). */
export const ROLE_VALIDATORS: Partial<Record<UserRoleCode, IssuanceValidator[]>> = {
  [SOLR_CONTINGENCY]: [solrContingencyXmlSignOnly],
};

/** Every reason that applies; empty means the RA approves. */
export function decideIssuance(f: IssuanceFacts): Reason[] {
  const validators = [...COMMON_VALIDATORS, ...(ROLE_VALIDATORS[f.role.code] ?? [])];
  return validators.flatMap((v) => v.check(f));
}

/** The subject OU (Remote Party Role) a profile gives a role, or undefined if it gives none. */
export function subjectOuFor(profile: CertificateProfile, role: RoleEntry): string | undefined {
  return profile.subjectOu === 'role' ? role.remotePartyRole ?? undefined : profile.subjectOu;
}
