// One User ID, several User Roles (SEC A1; DCC's ECS02 and GCS02 templates use one originator for
// electricity and gas): a dual-fuel Supplier is Import Supplier and Gas Supplier on one EUI-64, and the
// whole SoLR story works for its electricity and gas meters. A SoLRContingency User ID stays alone.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Eui64 } from '../../src/domain/eui.js';
import { registryDigest, SRP, SUPPLIER } from '../support/scenario.js';
import { setupGateScenario, type GateScenario } from '../support/gate-scenario.js';
import { actAs } from '../support/keys.js';

const ESME_DF = '00DB1234567891E0' as Eui64;
const GSME_DF = '00DB1234567891E1' as Eui64;

describe('ra: a dual-fuel Supplier (one User ID as Import Supplier and Gas Supplier)', function () {
  let g: GateScenario;
  let counter = 7000n;
  const next = () => ++counter;
  before(async () => { g = await setupGateScenario(undefined, { dualFuelSupplier: false }); });
  after(() => g.cleanup());

  async function ok(args: string[]) {
    const r = await g.run([...args, '--json']);
    assert.equal(r.code, 0, `${args.join(' ')} -> ${r.code}: ${r.stderr}`);
    return r.json;
  }
  async function one(xml: string) {
    const r = await g.check([g.write('df.xml', xml)]);
    return r.json[0] as { decision: string; reasons: { code: string }[]; solrEventId: string | null };
  }

  it('party add gives the Import Supplier User ID the Gas Supplier role too, once, audited', async () => {
    const added = await ok(['party', 'add', '--name', 'Failed Energy', '--role', 'GS', '--eui', SUPPLIER, ...actAs('ra1')]);
    assert.deepEqual([added.created, added.roleAdded, added.roles], [false, true, ['IS', 'GS']]);
    const again = await ok(['party', 'add', '--name', 'Failed Energy', '--role', 'GasSupplier', '--eui', SUPPLIER, ...actAs('ra1')]);
    assert.deepEqual([again.created, again.roleAdded], [false, false]);
    const list = (await ok(['party', 'list'])).items as { userId: string; roles: string[] }[];
    assert.deepEqual(list.find((u) => u.userId === SUPPLIER)!.roles, ['IS', 'GS']);
    const log = (await ok(['audit', 'log', '--limit', '200'])) as { action: string; subject: string }[] | { records: { action: string; subject: string }[] };
    const records = 'items' in log ? (log as unknown as { items: { action: string; subject: string }[] }).items : Array.isArray(log) ? log : log.records;
    assert.equal(records.filter((a) => a.action === 'party.add-role' && a.subject === SUPPLIER).length, 1);
  });

  it('refuses a second role for a SoLRContingency User ID, SoLRContingency for a Supplier, another Party, another Remote Party Role', async () => {
    const before = registryDigest(g.home);
    const refusal = async (args: string[], status: number, pattern: RegExp) => {
      const r = await g.run([...args, ...actAs('ra1'), '--json']);
      assert.equal(r.code, status, r.stdout + r.stderr);
      assert.match(r.stdout + r.stderr, pattern);
    };
    await refusal(['party', 'add', '--name', 'Shared Resources Ltd', '--role', 'IS', '--eui', SRP], 3, /USER_ID_SOLR_CONTINGENCY_ALONE/);
    await refusal(['party', 'add', '--name', 'Failed Energy', '--role', 'SC', '--eui', SUPPLIER, '--acting-for', SUPPLIER], 3, /USER_ID_SOLR_CONTINGENCY_ALONE/);
    await refusal(['party', 'add', '--name', 'Failed Energy', '--role', 'ED', '--eui', SUPPLIER], 3, /USER_ID_REMOTE_PARTY_ROLE_DIFFERS/);
    await refusal(['party', 'add', '--name', 'Someone Else', '--role', 'GS', '--eui', SUPPLIER], 4, /already registered for Failed Energy/);
    assert.equal(registryDigest(g.home), before, 'refusals leave nothing');
  });

  it('imports its electricity and gas meters, and the gate accepts ECS02 and GCS02 (CV 4 and Signed Pre-Command) for both', async () => {
    const devices = join(g.dir, 'dual-fuel-devices.csv');
    writeFileSync(devices, `device_eui,device_type,smets,supplier_eui\n${ESME_DF},ESME,2,${SUPPLIER}\n${GSME_DF},GSME,2,${SUPPLIER}\n`);
    assert.equal((await ok(['device', 'import', '--file', devices])).imported, 2);
    for (const [cv4, pre, device] of [
      ['ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX', ESME_DF],
      ['GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', 'GCS02_1.6_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX', GSME_DF],
    ] as const) {
      const c = next();
      const request = await one(g.request(cv4, c, device));
      assert.equal(request.decision, 'accept', JSON.stringify(request));
      assert.equal(request.solrEventId, g.eventId);
      const spc = await one(g.signedPreCommand(pre, c, device));
      assert.equal(spc.decision, 'accept', JSON.stringify(spc));
    }
  });

  it("after the Supplier's certificates are revoked the gate still accepts and the alerts of both meters go to the SRP", async () => {
    await ok(['solr', 'revoke-supplier', g.eventId, ...actAs('ra1'), '--passphrase-file', g.pass, '--yes']);
    const c = next();
    assert.equal((await one(g.request('GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', c, GSME_DF))).decision, 'accept');
    assert.equal((await one(g.signedPreCommand('GCS02_1.6_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX', c, GSME_DF))).decision, 'accept');
    for (const device of [ESME_DF, GSME_DF]) {
      const a = await ok(['alert', 'route', '--device', device, '--code', '8F66']);
      assert.deepEqual([a.destinationKind, a.destination, a.solrEventId], ['srp', SRP, g.eventId], JSON.stringify(a));
    }
  });
});
