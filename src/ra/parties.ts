// Registering User IDs for Parties. A SoLRContingency User ID must name the Supplier User ID it acts for.
import type { Catalogue } from '../config/catalogue.js';
import { InputError } from '../domain/errors.js';
import type { Eui64 } from '../domain/eui.js';
import { SOLR_CONTINGENCY, userRoleName, type UserRoleCode } from '../domain/roles.js';
import { findPartyByName, findUserId, insertParty, insertUserId, type UserIdRecord } from '../registry/parties.js';
import type { Registry } from '../registry/registry.js';

const SUPPLIER_ROLES: UserRoleCode[] = ['IS', 'ES', 'GS'];

export interface AddUserIdInput {
  partyName: string;
  role: UserRoleCode;
  eui: Eui64;
  actingFor?: Eui64;
  operator: string;
}

export function addUserId(reg: Registry, _catalogue: Catalogue, input: AddUserIdInput): UserIdRecord & { created: boolean } {
  const name = input.partyName.trim();
  if (!name) throw new InputError('--name: a Party name is required');
  return reg.tx(() => {
    const existing = findUserId(reg, input.eui);
    if (existing) {
      const same = existing.partyName === name && existing.role === input.role && (existing.actingFor ?? undefined) === input.actingFor;
      if (same) return { ...existing, created: false };
      throw new InputError(
        `--eui: User ID ${input.eui} is already registered for ${existing.partyName} as ${userRoleName(existing.role)}`,
      );
    }
    if (input.role === SOLR_CONTINGENCY) {
      if (!input.actingFor) throw new InputError('--acting-for: a SoLRContingency User ID must name the Supplier User ID it acts for');
      const supplier = findUserId(reg, input.actingFor);
      if (!supplier) throw new InputError(`--acting-for: no User ID ${input.actingFor} is registered`);
      if (!SUPPLIER_ROLES.includes(supplier.role)) {
        throw new InputError(`--acting-for: ${input.actingFor} is a ${userRoleName(supplier.role)} User ID, not a Supplier's`);
      }
    } else if (input.actingFor) {
      throw new InputError('--acting-for: only a SoLRContingency User ID acts for a Supplier');
    }
    const at = reg.now();
    const party = findPartyByName(reg, name);
    const partyId = party ? party.id : insertParty(reg, name, at);
    insertUserId(reg, { eui: input.eui, partyId, role: input.role, actingFor: input.actingFor ?? null }, at);
    reg.audit.append(at, input.operator, 'party.add', input.eui, {
      party: name,
      role: input.role,
      actingFor: input.actingFor ?? null,
      newParty: !party,
    });
    return { ...findUserId(reg, input.eui)!, created: true };
  });
}

/** Resolves `--party EUI` to its User ID record, or a one-line error. */
export function requireUserId(reg: Registry, eui: Eui64, what = '--party'): UserIdRecord {
  const u = findUserId(reg, eui);
  if (!u) throw new InputError(`${what}: no User ID ${eui} is registered (see 'smki party add')`);
  return u;
}
