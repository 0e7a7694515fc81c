// Registering User IDs for Parties. A User ID may hold several User Roles (a dual-fuel Supplier is IS
// and GS on one EUI-64); a SoLRContingency User ID holds that role alone and names the Supplier User ID
// it acts for.
import type { Catalogue } from '../config/catalogue.js';
import { InputError, PolicyRefusal } from '../domain/errors.js';
import { freeText, TEXT_LIMITS } from '../domain/text.js';
import type { Eui64 } from '../domain/eui.js';
import { reason, type Reason } from '../domain/reasons.js';
import { SOLR_CONTINGENCY, holdsSupplierRole, userRoleName, type UserRoleCode } from '../domain/roles.js';
import { findPartyByName, findUserId, insertParty, insertUserId, insertUserIdRole, type UserIdRecord } from '../registry/parties.js';
import type { Registry } from '../registry/registry.js';
import { operatorFor, type OperatorKey } from './credentials.js';

export interface AddUserIdInput {
  partyName: string;
  role: UserRoleCode;
  eui: Eui64;
  actingFor?: Eui64;
  /** The acting RA operator's key (--as). */
  operator: OperatorKey;
}

/**
 * Pure: may a registered User ID take one more role? SoLRContingency stays alone (MP134B: its
 * certificates and Service Requests are the role's alone), and the roles of one User ID share one
 * Remote Party Role, so its certificates' subject OU does not depend on which role is asked about.
 */
export function decideAddRole(existing: UserIdRecord, role: UserRoleCode, catalogue: Catalogue): Reason[] {
  if (role === SOLR_CONTINGENCY || existing.roles.includes(SOLR_CONTINGENCY)) {
    return [reason('USER_ID_SOLR_CONTINGENCY_ALONE', `${existing.eui} is ${existing.roles.map(userRoleName).join(', ')}; asked to add ${userRoleName(role)}`)];
  }
  const held = catalogue.roles.get(existing.role)!.remotePartyRole;
  const asked = catalogue.roles.get(role)!.remotePartyRole;
  if (held !== asked) {
    return [reason('USER_ID_REMOTE_PARTY_ROLE_DIFFERS', `${userRoleName(existing.role)} is ${held ?? 'none'}, ${userRoleName(role)} is ${asked ?? 'none'}`)];
  }
  return [];
}

export function addUserId(reg: Registry, catalogue: Catalogue, input: AddUserIdInput): UserIdRecord & { created: boolean; roleAdded: boolean } {
  const name = freeText(input.partyName, '--name', TEXT_LIMITS.name);
  if (!name) throw new InputError('--name: a Party name is required');
  return reg.tx(() => {
    const acting = operatorFor(reg, input.operator, 'party.add', input.eui, { party: name, role: input.role, eui: input.eui, actingFor: input.actingFor ?? null });
    const existing = findUserId(reg, input.eui);
    if (input.role === SOLR_CONTINGENCY) {
      if (!input.actingFor) throw new InputError('--acting-for: a SoLRContingency User ID must name the Supplier User ID it acts for');
      const supplier = findUserId(reg, input.actingFor);
      if (!supplier) throw new InputError(`--acting-for: no User ID ${input.actingFor} is registered`);
      if (!holdsSupplierRole(supplier.roles)) {
        throw new InputError(`--acting-for: ${input.actingFor} is a ${supplier.roles.map(userRoleName).join('/')} User ID, not a Supplier's`);
      }
    } else if (input.actingFor) {
      throw new InputError('--acting-for: only a SoLRContingency User ID acts for a Supplier');
    }
    if (existing) {
      if (existing.partyName !== name) {
        throw new InputError(`--eui: User ID ${input.eui} is already registered for ${existing.partyName} (a User ID belongs to one Party)`);
      }
      if (existing.roles.includes(input.role)) {
        if ((existing.actingFor ?? undefined) === input.actingFor) return { ...existing, created: false, roleAdded: false };
        throw new InputError(`--acting-for: User ID ${input.eui} already acts for ${existing.actingFor ?? 'no Supplier'}`);
      }
      const reasons = decideAddRole(existing, input.role, catalogue);
      if (reasons.length) throw new PolicyRefusal(reasons);
      const at = reg.now();
      insertUserIdRole(reg, { eui: input.eui, role: input.role, actingFor: null }, at);
      reg.audit.append(at, acting, 'party.add-role', input.eui, { party: name, role: input.role, roles: [...existing.roles, input.role] });
      return { ...findUserId(reg, input.eui)!, created: false, roleAdded: true };
    }
    const at = reg.now();
    const party = findPartyByName(reg, name);
    const partyId = party ? party.id : insertParty(reg, name, at);
    insertUserId(reg, { eui: input.eui, partyId, role: input.role, actingFor: input.actingFor ?? null }, at);
    reg.audit.append(at, acting, 'party.add', input.eui, {
      party: name,
      role: input.role,
      actingFor: input.actingFor ?? null,
      newParty: !party,
    });
    return { ...findUserId(reg, input.eui)!, created: true, roleAdded: false };
  });
}

/** Resolves `--party EUI` to its User ID record, or a one-line error. */
export function requireUserId(reg: Registry, eui: Eui64, what = '--party'): UserIdRecord {
  const u = findUserId(reg, eui);
  if (!u) throw new InputError(`${what}: no User ID ${eui} is registered (see 'smki party add')`);
  return u;
}
