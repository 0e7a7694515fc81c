// Time belongs to the registry (issue 8 item 8): --at only evaluates, an event is active only from its
// approval, ADT thresholds and counts share the Party's scope, audit time never goes backwards.
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { query } from '../support/query.js';
import { loadCatalogue } from '../../src/config/catalogue.js';
import { ServiceRequestGate } from '../../src/gate/gate.js';
import { Registry } from '../../src/registry/registry.js';
import { readOrganisationCertificate } from '../../src/ca/organisation-certificate.js';
import type { Eui64 } from '../../src/domain/eui.js';
import { formatRequestId, withRequestId } from '../../src/gate/duis-compose.js';
import { passphraseFile, smki, tempDir } from '../support/cli.js';
import { makeCsr } from '../support/csr.js';
import { ESME, setupGateScenario, template, type GateScenario, type Signer } from '../support/gate-scenario.js';
import { registryDigest, SRP, SUPPLIER } from '../support/scenario.js';
import { adminFlags, actAs } from '../support/keys.js';

const CREDIT = 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML';
const codes = (o: { reasons: { code: string }[] }) => o.reasons.map((r) => r.code);
const hoursFromNow = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

function acceptedCount(home: string): number {
  return Number(query<{ n: number }>(home, "SELECT COUNT(*) AS n FROM sr_decisions WHERE decision = 'accept'")[0]!.n);
}

describe('gate: time belongs to the registry', function () {
  let g: GateScenario;
  let counter = 20_000n;
  const next = () => ++counter;
  before(async () => { g = await setupGateScenario({ warning: 2, quarantine: 3 }); });
  after(() => g.cleanup());

  it('sr check --at only evaluates: nothing is recorded, and the output and JSON say so', async () => {
    const f = g.write('eval.xml', g.request(CREDIT, next(), ESME));
    const before = registryDigest(g.home);
    const j = await g.check([f], ['--at', hoursFromNow(1)]);
    assert.equal(j.code, 0, j.stdout + j.stderr);
    assert.equal(j.json[0].decision, 'accept');
    assert.equal(j.json[0].recorded, false);
    const text = await g.run(['sr', 'check', f, '--at', hoursFromNow(1)]);
    assert.match(text.stdout + text.stderr, /nothing recorded/);
    assert.equal(registryDigest(g.home), before);
    const real = await g.check([f]);
    assert.equal(real.json[0].recorded, true);
    assert.ok(Math.abs(Date.parse(real.json[0].decidedAt) - Date.now()) < 60_000, 'a recorded decision carries the real time');
  });

  it('an --at far in the future cannot reset the ADT window: the real count goes on', async () => {
    // The first test accepted one request; two more reach the quarantine threshold of 3.
    for (let i = 0; i < 2; i++) assert.equal((await g.check([g.write('adt.xml', g.request(CREDIT, next(), ESME))])).json[0].decision, 'accept');
    const accepted = acceptedCount(g.home);
    for (const h of [25, 50]) {
      const files = [1, 2, 3].map(() => g.write('late.xml', g.request(CREDIT, next(), ESME)));
      const r = await g.check(files, ['--at', hoursFromNow(h)]);
      assert.ok(r.json.every((o: { recorded: boolean }) => o.recorded === false));
    }
    assert.equal(acceptedCount(g.home), accepted, '--at recorded no accepted request');
    const now = await g.check([g.write('now.xml', g.request(CREDIT, next(), ESME))]);
    assert.deepEqual(codes(now.json[0]), ['ADT_QUARANTINE']);
  });

  it('an event is not active before its approval, even inside its window', async () => {
    const beforeApproval = await g.check([g.write('early.xml', g.request(CREDIT, next(), ESME))], ['--at', hoursFromNow(-12)]);
    assert.ok(codes(beforeApproval.json[0]).includes('SOLR_EVENT_NOT_ACTIVE'), JSON.stringify(beforeApproval.json[0]));
  });

  it('a second SoLRContingency User ID of the same Party shares the ADT window (scope: the Party)', async () => {
    const { eventId, request } = await addSecondSrp(g);
    const r = await g.check([g.write('srp2.xml', request(next()))]);
    assert.equal(r.json[0].solrEventId, eventId, JSON.stringify(r.json[0]));
    assert.deepEqual(codes(r.json[0]), ['ADT_QUARANTINE'], 'the Party already sent 3 in the window through ' + SRP);
  });
});

/** A second SoLRContingency User ID of the SRP's Party, with its certificate and an approved event (other processes). */
async function addSecondSrp(g: GateScenario): Promise<{ eventId: string; request: (counter: bigint) => string }> {
  const SRP2 = '90B3D51F300C0002' as Eui64;
  const ok = async (args: string[]) => {
    const r = await g.run([...args, '--json']);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.json;
  };
  await ok(['party', 'add', '--name', 'Shared Resources Ltd', '--role', 'SC', '--eui', SRP2, '--acting-for', SUPPLIER, ...actAs('ra1')]);
  const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const csrFile = join(g.dir, 'srp2.csr');
  writeFileSync(csrFile, (await makeCsr({ eui: SRP2, keyPair: kp })).pem);
  const issued = await ok(['cert', 'issue', '--csr', csrFile, '--profile', 'xml-sign', '--party', SRP2, '--officer', g.aro, '--passphrase-file', g.pass]);
  const signer2: Signer = { key: kp.privateKey, cert: readOrganisationCertificate(issued.pem), certPem: issued.pem };
  const e = await ok(['solr', 'record', '--failed-supplier', SUPPLIER, '--srp', SRP2, '--instruction', 'OFGEM-LRSD-TEST-2',
    '--from', hoursFromNow(-1), '--until', hoursFromNow(24 * 20), ...actAs('ra1')]);
  await ok(['solr', 'approve', e.id, ...actAs('ra2')]);
  return { eventId: e.id, request: (counter) => g.sign(withRequestId(template(CREDIT), formatRequestId(SRP2, ESME, counter)), signer2) };
}

describe('gate: one gate process and a User ID added to the Party by another', function () {
  let g: GateScenario;
  let counter = 30_000n;
  before(async () => { g = await setupGateScenario({ warning: 2, quarantine: 3 }); });
  after(() => g.cleanup());

  it("counts the new User ID's requests in the Party's window from its next request on", async () => {
    const reg = Registry.open(g.home);
    try {
      const gate = new ServiceRequestGate(reg, loadCatalogue());
      const check = (xml: string) => gate.check('req.xml', Buffer.from(xml), 'test');
      // The gate reads the Party's SoLRContingency User IDs (only the SRP's so far) and accepts one.
      assert.equal(check(g.request(CREDIT, ++counter, ESME)).decision, 'accept');
      const { request } = await addSecondSrp(g);
      for (let i = 0; i < 2; i++) assert.equal(check(request(++counter)).decision, 'accept');
      // Three in the window from the Party: the SRP's next is over the quarantine threshold.
      assert.deepEqual(codes(check(g.request(CREDIT, ++counter, ESME))), ['ADT_QUARANTINE']);
    } finally {
      reg.close();
    }
  });
});

describe('audit: time never goes backwards', () => {
  it('a clock stepped back records the previous record time', async () => {
    const t = tempDir();
    try {
      const home = join(t.dir, 'home');
      const pass = passphraseFile(t.dir);
      const late = new Date('2026-06-01T12:00:00Z');
      assert.equal((await smki(['--home', home, 'init', '--passphrase-file', pass, ...adminFlags(t.dir)], { clock: () => late })).code, 0);
      const early = () => new Date('2026-06-01T10:00:00Z');
      const r = await smki(['--home', home, 'party', 'add', '--name', 'P', '--role', 'IS', '--eui', '90B3D51F30050000', ...actAs('ra1')], { clock: early });
      assert.equal(r.code, 0, r.stderr);
      const ats = query<{ at: string }>(home, 'SELECT at FROM audit ORDER BY seq').map((x) => Date.parse(x.at));
      assert.ok(ats.length >= 2);
      for (let i = 1; i < ats.length; i++) assert.ok(ats[i]! >= ats[i - 1]!, `record ${i + 1} goes back in time`);
      assert.equal((await smki(['--home', home, 'audit', 'verify'])).code, 0);
    } finally {
      t.cleanup();
    }
  });
});
