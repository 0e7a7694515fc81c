import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCsr } from '../support/csr.js';
import { OTHER_SUPPLIER, registryDigest, setupScenario, SRP, SUPPLIER, type Scenario } from '../support/scenario.js';
import { smki } from '../support/cli.js';
import { outsideRun } from '../support/query.js';
import { actAs, withOfficerKeys } from '../support/keys.js';

const DEVICE = '00DB1234567890A0';
const ORPHAN = '00DB1234567890FF';
const OTHER_DEVICE = '00DB1234567890C0';
const day = 86_400_000;

describe('cli: the SoLR event lifecycle, revocation and alert routing', function () {
  let s: Scenario;
  let id: string;
  const t0 = Date.parse('2026-12-01T00:00:00Z');
  const at = (ms: number) => () => new Date(ms);
  const run = (args: string[], when = Date.now()) => smki(['--home', s.home, ...actAs('ra1'), ...withOfficerKeys(s.home, args), '--json'], { clock: at(when) });

  before(async () => {
    s = await setupScenario();
    const devices = join(s.dir, 'd.csv');
    writeFileSync(devices, `device_eui,device_type,smets,supplier_eui\n${DEVICE},ESME,2,${SUPPLIER}\n${OTHER_DEVICE},ESME,2,${OTHER_SUPPLIER}\n`);
    assert.equal((await run(['device', 'import', '--file', devices])).code, 0);
    // The Supplier holds a certificate of this CA (to be revoked).
    const csr = join(s.dir, 's.csr');
    writeFileSync(csr, (await makeCsr({ eui: SUPPLIER, ou: '02' })).pem);
    assert.equal((await run(['cert', 'issue', '--csr', csr, '--profile', 'ds', '--party', SUPPLIER, '--officer', s.supplierAro, '--passphrase-file', s.pass])).code, 0);
  });
  after(() => s.cleanup());

  it('records an event; refuses an SRP not acting for the Supplier and a window over the maximum, registry unchanged', async () => {
    const before = registryDigest(s.home);
    const wrongSrp = await run(['solr', 'record', '--failed-supplier', OTHER_SUPPLIER, '--srp', SRP, '--instruction', 'X', '--from', '2026-12-01T00:00:00Z', '--until', '2026-12-10T00:00:00Z', ...actAs('ra1')]);
    assert.equal(wrongSrp.code, 3);
    assert.equal(wrongSrp.json.reasons[0].code, 'SOLR_SRP_NOT_ACTING_FOR_SUPPLIER');
    const long = await run(['solr', 'record', '--failed-supplier', SUPPLIER, '--srp', SRP, '--instruction', 'X', '--from', '2026-12-01T00:00:00Z', '--until', '2027-06-01T00:00:00Z', ...actAs('ra1')]);
    assert.equal(long.code, 3);
    assert.equal(long.json.reasons[0].code, 'SOLR_WINDOW_TOO_LONG');
    const badTime = await run(['solr', 'record', '--failed-supplier', SUPPLIER, '--srp', SRP, '--instruction', 'X', '--from', 'yesterday', '--until', '2026-12-10T00:00:00Z', ...actAs('ra1')]);
    assert.equal(badTime.code, 4);
    assert.equal(registryDigest(s.home), before);
    const r = await run(['solr', 'record', '--failed-supplier', SUPPLIER, '--srp', SRP, '--instruction', 'OFGEM-LRSD-1', '--from', '2026-12-01T00:00:00Z', '--until', '2026-12-21T00:00:00Z', ...actAs('ra1')], t0 - day);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.json.id, /^SOLR-\d+$/);
    assert.equal(r.json.state, 'recorded');
    id = r.json.id;
  });

  it('refuses a window that has already ended or starts too far ahead; impossible dates are exit 4, never rolled over', async () => {
    const before = registryDigest(s.home);
    const record = (from: string, until: string) =>
      run(['solr', 'record', '--failed-supplier', SUPPLIER, '--srp', SRP, '--instruction', 'OFGEM-LRSD-T', '--from', from, '--until', until, ...actAs('ra1')], t0);
    const ended = await record('2026-11-01T00:00:00Z', '2026-11-20T00:00:00Z');
    assert.equal(ended.code, 3, ended.stderr);
    assert.deepEqual(ended.json.reasons.map((r: { code: string }) => r.code), ['SOLR_WINDOW_ENDED']);
    const ahead = await record('2027-01-01T00:00:00Z', '2027-01-20T00:00:00Z');
    assert.equal(ahead.code, 3, ahead.stderr);
    assert.deepEqual(ahead.json.reasons.map((r: { code: string }) => r.code), ['SOLR_WINDOW_TOO_FAR_AHEAD']);
    for (const bad of ['2026-02-30', '2026-04-31T10:00:00Z', '2026-12-01T24:00:00Z', '2026-12-01T10:00:00+24:00']) {
      const r = await record(bad, '2026-12-10T00:00:00Z');
      assert.equal(r.code, 4, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /^smki: --from: .* is not a valid date \(no such day or time\)\n$/);
    }
    assert.equal(registryDigest(s.home), before);
  });

  it('refuses self-approval (dual control) and accepts a second operator', async () => {
    const self = await run(['solr', 'approve', id, ...actAs('ra1')], t0 - day);
    assert.equal(self.code, 3);
    assert.equal(self.json.reasons[0].code, 'SOLR_SELF_APPROVAL');
    const ok = await run(['solr', 'approve', id, ...actAs('ra2')], t0 - day);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.json.state, 'approved (not yet started)');
  });

  it('is active only inside its window', async () => {
    const state = async (when: number) => (await run(['solr', 'show', id], when)).json.state;
    assert.equal(await state(t0 - 1000), 'approved (not yet started)');
    assert.equal(await state(t0), 'active');
    assert.equal(await state(t0 + 19 * day), 'active');
    assert.equal(await state(t0 + 20 * day), 'expired');
  });

  it('routes alerts to the Supplier before revocation, holds an unknown Device', async () => {
    const before = await run(['alert', 'route', '--device', DEVICE, '--code', '8F66'], t0 + day);
    assert.equal(before.code, 0);
    assert.equal(before.json.destinationKind, 'supplier');
    assert.equal(before.json.destination, SUPPLIER);
    const orphan = await run(['alert', 'route', '--device', ORPHAN], t0 + day);
    assert.equal(orphan.json.status, 'held');
    const bad = await run(['alert', 'route', '--device', 'nope'], t0 + day);
    assert.equal(bad.code, 4);
  });

  it("revoke-supplier revokes every certificate of the failed Supplier's Party, keeps them, and regenerates the CRL", async () => {
    const r = await smki(['--home', s.home, 'solr', 'revoke-supplier', id, ...actAs('ra1'), '--passphrase-file', s.pass, '--json'], { clock: at(t0 + 2 * day) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.revoked.length, 1);
    assert.ok(r.json.crlNumber >= 2);
    const certs = await run(['cert', 'list', '--party', SUPPLIER]);
    assert.ok(certs.json.items.length > 0 && certs.json.items.every((c: { status: string; revocationReason: string; solrEventId: string }) => c.status === 'revoked' && c.revocationReason === 'cessationOfOperation' && c.solrEventId === id));
    const again = await smki(['--home', s.home, 'solr', 'revoke-supplier', id, ...actAs('ra1'), '--passphrase-file', s.pass, '--json']);
    assert.equal(again.code, 3);
  });

  it('after revocation the alert goes to the SRP; a Supplier with revoked certificates and no event is held until released', async () => {
    const after = await run(['alert', 'route', '--device', DEVICE, '--code', '8F66'], t0 + 3 * day);
    assert.equal(after.json.destinationKind, 'srp');
    assert.equal(after.json.destination, SRP);
    assert.equal(after.json.solrEventId, id);
    // An alert for a Device not yet registered is held; once the Device is known it is released.
    const devices = join(s.dir, 'd2.csv');
    writeFileSync(devices, `device_eui,device_type,smets,supplier_eui\n${ORPHAN},ESME,2,${SUPPLIER}\n`);
    assert.equal((await run(['device', 'import', '--file', devices])).code, 0);
    const held = await run(['alert', 'held']);
    assert.equal(held.json.items.length, 1);
    const rel = await run(['alert', 'release'], t0 + 3 * day);
    assert.equal(rel.json.released.length, 1);
    assert.equal(rel.json.released[0].destination, SRP);
    assert.equal((await run(['alert', 'held'])).json.items.length, 0);
  });

  it('bad alert and certificate inputs are one-line errors (exit 4) that leave the registry unchanged', async () => {
    const before = registryDigest(s.home);
    const xml = join(s.dir, 'alert.xml');
    writeFileSync(xml, '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>');
    const garbage = join(s.dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate');
    for (const args of [
      ['alert', 'route', '--device', DEVICE, '--file', xml],
      ['alert', 'route', '--device', DEVICE, '--code', 'XYZ'],
      ['alert', 'route', '--device', '00DB12'],
      ['cert', 'register', '--file', garbage, '--party', SUPPLIER],
      ['cert', 'register', '--file', join(process.cwd(), 'fixtures/public/smki-certs/Z1-supplier-ds.pem'), '--party', OTHER_SUPPLIER],
    ]) {
      const r = await smki(['--home', s.home, ...actAs('ra1'), ...args]);
      assert.equal(r.code, 4, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.equal(registryDigest(s.home), before);
  });

  it('ends early; after solr end it is not active; audit verify passes and fails once a record is altered', async () => {
    const end = await run(['solr', 'end', id, ...actAs('ra1')], t0 + 4 * day);
    assert.equal(end.code, 0);
    assert.equal((await run(['solr', 'show', id], t0 + 5 * day)).json.state, 'ended');
    assert.equal((await run(['solr', 'end', id, ...actAs('ra1')])).code, 3);
    assert.equal((await run(['audit', 'verify'])).code, 0);
    outsideRun(s.home, "UPDATE audit SET details = '{}' WHERE action = 'solr.approve'");
    const v = await run(['audit', 'verify']);
    assert.equal(v.code, 5);
    assert.equal(v.json.ok, false);
  });
});
