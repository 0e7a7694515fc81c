// Certificate profiles an RA officer can ask for (`--profile`), as the SMKI Organisation Certificate
// profile distinguishes them: XML signing (OU 87), GBCS Digital Signing, GBCS Key Agreement.
import { InputError } from './errors.js';

export const PROFILE_NAMES = ['xml-sign', 'ds', 'ka'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];
export type KeyUsageBit = 'digitalSignature' | 'keyAgreement';

export function parseProfileName(text: string, what = '--profile'): ProfileName {
  const t = String(text ?? '').trim().toLowerCase();
  if ((PROFILE_NAMES as readonly string[]).includes(t)) return t as ProfileName;
  throw new InputError(`${what}: '${text}' is not a certificate profile (one of ${PROFILE_NAMES.join(', ')})`);
}

/** A profile as loaded from ca-config/profiles.json. */
export interface CertificateProfile {
  name: ProfileName;
  description: string;
  keyUsage: KeyUsageBit;
  /** Fixed subject OU (Remote Party Role), or 'role' for the User Role's own GBCS Remote Party Role. */
  subjectOu: string | 'role';
  /** Whether the certificate is a GBCS key devices trust (Critical Command signing or key agreement). */
  gbcsDeviceKey: boolean;
}
