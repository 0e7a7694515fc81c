// Parties (organisations) and their User IDs (an EUI-64 in exactly one User Role).
import type { Eui64 } from '../domain/eui.js';
import type { UserRoleCode } from '../domain/roles.js';
import type { Registry } from './registry.js';

export interface UserIdRecord {
  eui: Eui64;
  partyId: number;
  partyName: string;
  role: UserRoleCode;
  actingFor: Eui64 | null;
  createdAt: string;
}

interface Row {
  eui: string;
  party_id: number;
  party_name: string;
  role: string;
  acting_for: string | null;
  created_at: string;
}

const SELECT = `SELECT u.eui, u.party_id, p.name AS party_name, u.role, u.acting_for, u.created_at
  FROM user_ids u JOIN parties p ON p.id = u.party_id`;

function toRecord(r: Row): UserIdRecord {
  return {
    eui: r.eui as Eui64,
    partyId: r.party_id,
    partyName: r.party_name,
    role: r.role as UserRoleCode,
    actingFor: r.acting_for as Eui64 | null,
    createdAt: r.created_at,
  };
}

export function findUserId(reg: Registry, eui: Eui64): UserIdRecord | undefined {
  const r = reg.stmt(`${SELECT} WHERE u.eui = ?`).get(eui) as Row | undefined;
  return r && toRecord(r);
}

export function listUserIds(reg: Registry, partyId?: number): UserIdRecord[] {
  const rows = (partyId === undefined
    ? reg.stmt(`${SELECT} ORDER BY p.name, u.eui`).all()
    : reg.stmt(`${SELECT} WHERE u.party_id = ? ORDER BY u.eui`).all(partyId)) as Row[];
  return rows.map(toRecord);
}

/** SoLRContingency User IDs that act for the given Supplier User ID. */
export function userIdsActingFor(reg: Registry, supplier: Eui64): UserIdRecord[] {
  return (reg.stmt(`${SELECT} WHERE u.acting_for = ? ORDER BY u.eui`).all(supplier) as Row[]).map(toRecord);
}

export function findPartyByName(reg: Registry, name: string): { id: number; name: string } | undefined {
  return reg.stmt('SELECT id, name FROM parties WHERE name = ?').get(name) as { id: number; name: string } | undefined;
}

export function insertParty(reg: Registry, name: string, at: Date): number {
  return Number(reg.stmt('INSERT INTO parties (name, created_at) VALUES (?, ?)').run(name, at.toISOString()).lastInsertRowid);
}

export function insertUserId(reg: Registry, u: { eui: Eui64; partyId: number; role: UserRoleCode; actingFor: Eui64 | null }, at: Date): void {
  reg.db
    .prepare('INSERT INTO user_ids (eui, party_id, role, acting_for, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(u.eui, u.partyId, u.role, u.actingFor, at.toISOString());
}
