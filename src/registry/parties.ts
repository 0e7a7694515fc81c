// Parties (organisations) and their User IDs: an EUI-64 of one Party, in one or more User Roles
// (SEC A1: a dual-fuel Supplier uses one User ID as Import Supplier and Gas Supplier).
import type { Eui64 } from '../domain/eui.js';
import type { UserRoleCode } from '../domain/roles.js';
import type { Registry } from './registry.js';
import { integrityError } from './row-mac.js';

export interface UserIdRecord {
  eui: Eui64;
  partyId: number;
  partyName: string;
  /** The User ID's first registered role; with several roles they share one Remote Party Role. */
  role: UserRoleCode;
  /** Every role the User ID holds, in the order they were registered. */
  roles: UserRoleCode[];
  /** For a SoLRContingency User ID: the Supplier User ID it acts for. */
  actingFor: Eui64 | null;
  createdAt: string;
}

interface Row extends JoinedPartyRow {
  eui: string;
  roles: string;
  acting_for: string | null;
  created_at: string;
  role_count: number | null;
}

/** What a join reads of a Party beside another table's row: its name and the rest its row MAC covers. */
export const JOINED_PARTY = 'p.name AS party_name, p.created_at AS party_created_at, p.row_mac AS party_row_mac';

export interface JoinedPartyRow {
  party_id: number;
  party_name: string;
  party_created_at: string;
  party_row_mac: Buffer | null;
}

/**
 * The Party a row was read with (JOINED_PARTY) is as smki wrote it: a Party renamed outside smki is
 * refused (exit 5) wherever its name is shown or recorded beside a User ID, officer or ADT file.
 */
export function checkJoinedParty<T extends JoinedPartyRow>(reg: Registry, r: T): T {
  reg.rows.check('parties', { id: r.party_id, rowid: r.party_id, name: r.party_name, created_at: r.party_created_at, row_mac: r.party_row_mac });
  return r;
}

// One row per User ID, its roles in registration order.
const SELECT = `SELECT u.eui, u.party_id, ${JOINED_PARTY}, u.created_at, u.role_count, u.row_mac,
    (SELECT string_agg(role, ',' ORDER BY r.created_at, r.rowid) FROM user_id_roles r WHERE r.eui = u.eui) AS roles,
    (SELECT acting_for FROM user_id_roles r WHERE r.eui = u.eui AND r.acting_for IS NOT NULL) AS acting_for
  FROM user_ids u JOIN parties p ON p.id = u.party_id`;

/**
 * The User ID row and each of its role rows must be as smki wrote them (row MACs), and there must be
 * as many role rows as the User ID row counts: a role row deleted outside smki (a SoLRContingency
 * role, or its acting-for) is refused here rather than read as a User ID with fewer roles.
 */
function checked(reg: Registry, r: Row): Row {
  reg.rows.check('user_ids', r);
  checkJoinedParty(reg, r);
  const roles = reg.rows.checkAll('user_id_roles', reg.stmt('SELECT * FROM user_id_roles WHERE eui = ?').all(r.eui));
  if (reg.rows.enabled && Number(r.role_count) !== roles.length) {
    throw integrityError([{ table: 'user_id_roles', row: `eui=${r.eui}`, problem: `${roles.length} role row(s) where smki wrote ${String(r.role_count)} (deleted outside smki)` }]);
  }
  return r;
}

function toRecord(r: Row): UserIdRecord {
  const roles = (r.roles ?? '').split(',').filter(Boolean) as UserRoleCode[];
  return {
    eui: r.eui as Eui64,
    partyId: r.party_id,
    partyName: r.party_name,
    role: roles[0]!,
    roles,
    actingFor: r.acting_for as Eui64 | null,
    createdAt: r.created_at,
  };
}

export function findUserId(reg: Registry, eui: Eui64): UserIdRecord | undefined {
  const r = reg.stmt(`${SELECT} WHERE u.eui = ?`).get(eui) as Row | undefined;
  // Not found: the table must be whole, so that a User ID deleted outside smki is refused (exit 5),
  // not taken for one never registered.
  if (!r) {
    reg.rows.checkTable('user_ids');
    return undefined;
  }
  return toRecord(checked(reg, r));
}

/** Every User ID (of one Party): the table is checked whole, so none deleted outside smki goes missing. */
export function listUserIds(reg: Registry, partyId?: number): UserIdRecord[] {
  reg.rows.checkTable('user_ids');
  const rows = (partyId === undefined
    ? reg.stmt(`${SELECT} ORDER BY p.name, u.eui`).all()
    : reg.stmt(`${SELECT} WHERE u.party_id = ? ORDER BY u.eui`).all(partyId)) as Row[];
  return rows.map((r) => toRecord(checked(reg, r)));
}

export function findPartyByName(reg: Registry, name: string): { id: number; name: string } | undefined {
  // party add joins the Party found by name: a Party renamed outside smki is refused, not joined.
  return reg.rows.check('parties', reg.stmt('SELECT * FROM parties WHERE name = ?').get(name) as { id: number; name: string } | undefined);
}

export function insertParty(reg: Registry, name: string, at: Date): number {
  return (reg.stmt('INSERT INTO parties (name, created_at) VALUES (?, ?) RETURNING id').get(name, at.toISOString()) as { id: number }).id;
}

/** A new User ID in its first role. */
export function insertUserId(reg: Registry, u: { eui: Eui64; partyId: number; role: UserRoleCode; actingFor: Eui64 | null }, at: Date): void {
  reg.userIdsWritten++;
  reg.stmt('INSERT INTO user_ids (eui, party_id, created_at, role_count) VALUES (?, ?, ?, 1)').run(u.eui, u.partyId, at.toISOString());
  insertRoleRow(reg, u, at);
}

/** One more User Role for a registered User ID (its row counts its roles). */
export function insertUserIdRole(reg: Registry, u: { eui: Eui64; role: UserRoleCode; actingFor: Eui64 | null }, at: Date): void {
  reg.userIdsWritten++;
  reg.stmt('UPDATE user_ids SET role_count = role_count + 1 WHERE eui = ?').run(u.eui);
  insertRoleRow(reg, u, at);
}

function insertRoleRow(reg: Registry, u: { eui: Eui64; role: UserRoleCode; actingFor: Eui64 | null }, at: Date): void {
  reg.stmt('INSERT INTO user_id_roles (eui, role, acting_for, created_at) VALUES (?, ?, ?, ?)').run(u.eui, u.role, u.actingFor, at.toISOString());
}
