// User IDs (src/registry/parties.ts): what the gate keeps of a Party's SoLRContingency User IDs is kept
// only while Registry.userIdsStamp() stays the same, so the stamp must move with every change a
// reader could miss: a User ID or role written on this connection, or any commit by another one.
import { strict as assert } from 'node:assert';
import type { Eui64 } from '../../src/domain/eui.js';
import { insertParty, insertUserId, insertUserIdRole, listUserIds } from '../../src/registry/parties.js';
import { Registry } from '../../src/registry/registry.js';
import { registryHome, type RegistryHome } from '../support/registry-home.js';
import { testDatabaseUrl } from '../support/database.js';

/** PostgreSQL has no data_version: there the stamp is undefined and the gate re-reads per transaction. */
const sqliteIt = testDatabaseUrl() === undefined ? it : it.skip;

const SUPPLIER = '90B3D51F30010000' as Eui64;
const SRP = '90B3D51F300C0001' as Eui64;
const SRP2 = '90B3D51F300C0002' as Eui64;

describe('registry/parties: the User IDs stamp', () => {
  let home: RegistryHome;
  let reg: Registry;
  let partyId: number;
  const at = new Date(Date.UTC(2026, 11, 1));
  const write = (r: Registry, fn: () => void) => r.tx(() => {
    fn();
    r.audit.append(at, { name: 'test' } as never, 'party.add', 'test', {});
  });

  beforeEach(() => {
    home = registryHome('smki-parties-');
    reg = home.create();
    write(reg, () => {
      partyId = insertParty(reg, 'Shared Resources Ltd', at);
      insertUserId(reg, { eui: SUPPLIER, partyId: insertParty(reg, 'Failed Energy', at), role: 'IS', actingFor: null }, at);
      insertUserId(reg, { eui: SRP, partyId, role: 'SC', actingFor: SUPPLIER }, at);
    });
  });
  afterEach(() => {
    reg.close();
    home.cleanup();
  });

  sqliteIt('stays the same while nothing is written, and moves with a User ID or role written here', () => {
    const first = reg.userIdsStamp();
    assert.equal(typeof first, 'string');
    listUserIds(reg, partyId);
    assert.equal(reg.userIdsStamp(), first);
    write(reg, () => insertUserId(reg, { eui: SRP2, partyId, role: 'SC', actingFor: SUPPLIER }, at));
    const second = reg.userIdsStamp();
    assert.notEqual(second, first);
    write(reg, () => insertUserIdRole(reg, { eui: SUPPLIER, role: 'GS', actingFor: null }, at));
    assert.notEqual(reg.userIdsStamp(), second);
  });

  it('moves when another connection commits (a User ID added by another process); none on PostgreSQL', () => {
    const before = reg.userIdsStamp();
    if (testDatabaseUrl() !== undefined) assert.equal(before, undefined);
    const other = Registry.open(home.paths.dir);
    try {
      write(other, () => insertUserId(other, { eui: SRP2, partyId, role: 'SC', actingFor: SUPPLIER }, at));
    } finally {
      other.close();
    }
    if (before !== undefined) assert.notEqual(reg.userIdsStamp(), before);
    assert.deepEqual(listUserIds(reg, partyId).map((u) => u.eui), [SRP, SRP2]);
  });
});
