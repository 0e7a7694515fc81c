// DUIS User Roles (SEC Appendix AD codes plus MP134B's SoLRContingency) and GBCS Remote Party Roles.
import { InputError } from './errors.js';

export const USER_ROLES = [
  { code: 'IS', name: 'ImportSupplier' },
  { code: 'ES', name: 'ExportSupplier' },
  { code: 'GS', name: 'GasSupplier' },
  { code: 'ED', name: 'ElectricityDistributor' },
  { code: 'GT', name: 'GasTransporter' },
  { code: 'RSA', name: 'RegisteredSupplierAgent' },
  { code: 'OU', name: 'OtherUser' },
  { code: 'SC', name: 'SoLRContingency' },
] as const;

export type UserRoleCode = (typeof USER_ROLES)[number]['code'];
export const SOLR_CONTINGENCY: UserRoleCode = 'SC';

/** The Supplier User Roles: a Device's registered Supplier and a SoLR event's failed Supplier hold one of them. */
export const SUPPLIER_ROLES: readonly UserRoleCode[] = ['IS', 'ES', 'GS'];

export function holdsSupplierRole(roles: readonly UserRoleCode[]): boolean {
  return roles.some((r) => SUPPLIER_ROLES.includes(r));
}

/** Accepts a code (`SC`) or a name (`SoLRContingency`), case-insensitively. */
export function parseUserRole(text: string, what = '--role'): UserRoleCode {
  const t = String(text ?? '').trim().toLowerCase();
  const hit = USER_ROLES.find((r) => r.code.toLowerCase() === t || r.name.toLowerCase() === t);
  if (!hit) {
    throw new InputError(
      `${what}: '${text}' is not a User Role (one of ${USER_ROLES.map((r) => `${r.code}/${r.name}`).join(', ')})`,
    );
  }
  return hit.code;
}

export function userRoleName(code: UserRoleCode): string {
  return USER_ROLES.find((r) => r.code === code)!.name;
}

/** GBCS RemotePartyRole values as carried in an Organisation Certificate's subject OU (2 hex digits). */
export const REMOTE_PARTY_ROLES = {
  root: 0x00,
  recovery: 0x01,
  supplier: 0x02,
  networkOperator: 0x03,
  accessControlBroker: 0x04,
  transitionalCoS: 0x05,
  wanProvider: 0x06,
  issuingAuthority: 0x07,
  loadController: 0x08,
  other: 0x7f,
  xmlSign: 0x87,
  dspXmlSign: 0x89,
} as const;
export type RemotePartyRoleName = keyof typeof REMOTE_PARTY_ROLES;

export function remotePartyRoleName(value: number): RemotePartyRoleName | undefined {
  return (Object.keys(REMOTE_PARTY_ROLES) as RemotePartyRoleName[]).find((k) => REMOTE_PARTY_ROLES[k] === value);
}

/** The subject OU text: two upper-case hex digits. */
export function ouForRemotePartyRole(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}
