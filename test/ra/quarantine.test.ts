// Quarantine actions (issue 10): the pure decider over hand-built facts, one case per reason and
// outcome; then the whole story through the CLI: the gate quarantines over the ADT threshold and
// keeps an AD1 record, an active ARO of the SRP releases (processed as accepted) or deletes it, a
// foreign ARO is refused, each action audited and the registry unchanged by a refusal.
import { strict as assert } from 'node:assert';
import type { Eui64 } from '../../src/domain/eui.js';
import { decideQuarantineAction, type QuarantineFacts } from '../../src/ra/quarantine.js';
import type { OfficerRecord } from '../../src/registry/officers.js';
import type { UserIdRecord } from '../../src/registry/parties.js';
import type { QuarantineRecord } from '../../src/registry/quarantine.js';
import { ESME, setupGateScenario, type GateScenario } from '../support/gate-scenario.js';
import { registryDigest } from '../support/scenario.js';
import { actAs } from '../support/keys.js';

const srpId: UserIdRecord = { eui: '90B3D51F300C0001' as Eui64, partyId: 7, partyName: 'Shared Resources Ltd', role: 'SC', roles: ['SC'], actingFor: '90B3D51F30010000' as Eui64, createdAt: '' };
const aro: OfficerRecord = { id: 'OFC-2', partyId: 7, partyName: 'Shared Resources Ltd', kind: 'aro', name: 'Ari', status: 'active', nominatedBy: 'OFC-1', evidence: null, createdAt: '', updatedAt: '', keyId: null, publicKey: null };
const pending: QuarantineRecord = {
  id: 'QUA-1', decisionId: 9, alertCode: 'AD1', requestId: '90-B3-D5-1F-30-0C-00-01:00-DB-12-34-56-78-90-A0:109', originator: srpId.eui, target: '00DB1234567890A0',
  counter: 109n, commandVariant: 4, serviceReferenceVariant: '1.6', supplierEui: '90B3D51F30010000', solrEventId: 'SOLR-1', source: 'r.xml', docSha256: 'ab',
  detail: '3 in 24 h', quarantinedAt: '2026-12-01T10:00:00.000Z', status: 'quarantined', actedByOfficer: null, actedBy: null, actedAt: null,
};
const facts = (over: Partial<QuarantineFacts> = {}): QuarantineFacts =>
  ({ quarantined: pending, sender: srpId, officer: aro, officerId: aro.id, eventActive: true, highestCounter: 102n, ...over });
const codes = (rs: { code: string }[]) => rs.map((r) => r.code);

describe('ra/quarantine: decideQuarantineAction', () => {
  it('an active ARO of the SRP may release and delete a pending request', () => {
    assert.deepEqual(decideQuarantineAction('release', facts()), []);
    assert.deepEqual(decideQuarantineAction('delete', facts()), []);
    assert.deepEqual(decideQuarantineAction('release', facts({ highestCounter: undefined })), []);
  });
  it('QUARANTINE_NOT_PENDING once released or deleted, whoever asks', () => {
    for (const status of ['released', 'deleted'] as const) {
      for (const action of ['release', 'delete'] as const) {
        assert.deepEqual(codes(decideQuarantineAction(action, facts({ quarantined: { ...pending, status } }))), ['QUARANTINE_NOT_PENDING']);
      }
    }
  });
  it('SENDER_UNKNOWN when the originator is no longer registered (fails closed)', () => {
    assert.deepEqual(codes(decideQuarantineAction('delete', facts({ sender: undefined }))), ['SENDER_UNKNOWN']);
  });
  it("the officer must be an active ARO of the SRP's Party", () => {
    assert.deepEqual(codes(decideQuarantineAction('delete', facts({ officer: undefined }))), ['OFFICER_UNKNOWN']);
    assert.deepEqual(codes(decideQuarantineAction('delete', facts({ officer: { ...aro, kind: 'sro' } }))), ['OFFICER_NOT_ARO']);
    assert.deepEqual(codes(decideQuarantineAction('release', facts({ officer: { ...aro, status: 'suspended' } }))), ['OFFICER_NOT_ACTIVE']);
    assert.deepEqual(codes(decideQuarantineAction('release', facts({ officer: { ...aro, partyId: 8, partyName: 'Other SRP' } }))), ['OFFICER_FOREIGN_PARTY']);
  });
  it('release needs the SoLR event still active (delete does not)', () => {
    assert.deepEqual(codes(decideQuarantineAction('release', facts({ eventActive: false }))), ['SOLR_EVENT_NOT_ACTIVE']);
    assert.deepEqual(decideQuarantineAction('delete', facts({ eventActive: false })), []);
  });
  it('release is refused REPLAY when a counter as high or higher was accepted since (delete is not)', () => {
    assert.deepEqual(codes(decideQuarantineAction('release', facts({ highestCounter: 109n }))), ['REPLAY']);
    assert.deepEqual(codes(decideQuarantineAction('release', facts({ highestCounter: 110n }))), ['REPLAY']);
    assert.deepEqual(decideQuarantineAction('release', facts({ highestCounter: 108n })), []);
    assert.deepEqual(decideQuarantineAction('delete', facts({ highestCounter: 110n })), []);
  });
  it('collects every reason that applies', () => {
    assert.deepEqual(codes(decideQuarantineAction('release', facts({ officer: { ...aro, kind: 'sro', status: 'revoked' }, eventActive: false, highestCounter: 200n }))),
      ['OFFICER_NOT_ARO', 'OFFICER_NOT_ACTIVE', 'SOLR_EVENT_NOT_ACTIVE', 'REPLAY']);
  });
});

describe('sr quarantine: list, release, delete (CLI)', function () {
  let g: GateScenario;
  const ECS02 = 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML';
  const PRE = 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX';
  before(async () => { g = await setupGateScenario({ warning: 1, quarantine: 2 }); });
  after(() => g.cleanup());

  const list = async (extra: string[] = []) => {
    const r = await g.run(['sr', 'quarantine', 'list', '--json', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return r.json.items as { id: string; alertCode: string; requestId: string; status: string; counter: string; actedByOfficer: string | null; solrEventId: string }[];
  };

  it('the gate keeps an AD1 record of each quarantined request for the SRP', async () => {
    const files = [101n, 102n, 103n, 104n].map((c) => g.write(`q-${c}.xml`, g.request(ECS02, c, ESME)));
    const r = await g.check(files);
    assert.deepEqual(r.json.map((o: { decision: string }) => o.decision), ['accept', 'accept', 'quarantine', 'quarantine']);
    const q = await list();
    assert.deepEqual(q.map((x) => [x.id, x.alertCode, x.counter, x.status, x.solrEventId]),
      [['QUA-1', 'AD1', '103', 'quarantined', g.eventId], ['QUA-2', 'AD1', '104', 'quarantined', g.eventId]]);
    assert.match(q[0]!.requestId, /:103$/);
    const report = await g.run(['report', '--event', g.eventId, '--json']);
    assert.equal(report.code, 0, report.stderr);
    assert.deepEqual(report.json.quarantine.list.map((x: { id: string; alertCode: string }) => `${x.id}/${x.alertCode}`), ['QUA-1/AD1', 'QUA-2/AD1']);
  });

  it("a foreign Party's ARO, an SRO and a nominated ARO are refused; nothing changes", async () => {
    const before = registryDigest(g.home);
    for (const [officer, code] of [[g.otherAro, 'OFFICER_FOREIGN_PARTY'], [g.sro, 'OFFICER_NOT_ARO'], [g.nominatedAro, 'OFFICER_NOT_ACTIVE']] as const) {
      for (const action of ['release', 'delete']) {
        const r = await g.run(['sr', 'quarantine', action, 'QUA-1', '--officer', officer, '--json']);
        assert.equal(r.code, 3, `${action} by ${officer}: ${r.stderr}`);
        assert.match(r.stdout + r.stderr, new RegExp(code));
      }
    }
    assert.equal(registryDigest(g.home), before);
  });

  it('an unknown record or a missing --officer is bad input (exit 4)', async () => {
    assert.equal((await g.run(['sr', 'quarantine', 'release', 'QUA-99', '--officer', g.aro])).code, 4);
    assert.equal((await g.run(['sr', 'quarantine', 'delete', 'QUA-1'])).code, 4);
    assert.equal((await g.run(['sr', 'quarantine', 'list', '--status', 'gone'])).code, 4);
  });

  it('release by an active ARO of the SRP processes the request as accepted, audited', async () => {
    const r = await g.run(['sr', 'quarantine', 'release', 'QUA-1', '--officer', g.aro, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.status, 'released');
    assert.equal(r.json.actedByOfficer, g.aro);
    // Its counter is now the highest: a replay of it, or of a lower one, is refused.
    const replay = await g.check([g.write('replay.xml', g.request(ECS02, 103n, ESME))]);
    assert.deepEqual(replay.json[0].reasons.map((x: { code: string }) => x.code), ['REPLAY']);
    // Its transform is open: the Signed Pre-Command with its RequestID is accepted.
    const spc = await g.check([g.write('spc-103.xml', g.signedPreCommand(PRE, 103n, ESME))]);
    assert.equal(spc.json[0].decision, 'accept', JSON.stringify(spc.json[0].reasons));
    const audit = await g.run(['audit', 'verify', '--json']);
    assert.equal(audit.code, 0, audit.stdout);
    const log = await g.run(['audit', 'log', '--limit', '5', '--json']);
    const record = log.json.items.find((x: { action: string }) => x.action === 'sr.quarantine.release');
    // The acting ARO is the actor (the free-text --operator is gone: issue "People with credentials").
    assert.deepEqual([record.actor, record.details.quarantine, record.details.officer], [g.aro, 'QUA-1', g.aro]);
  });

  it('a second release, or a delete of a released request, is QUARANTINE_NOT_PENDING', async () => {
    for (const action of ['release', 'delete']) {
      const r = await g.run(['sr', 'quarantine', action, 'QUA-1', '--officer', g.aro]);
      assert.equal(r.code, 3);
      assert.match(r.stdout + r.stderr, /QUARANTINE_NOT_PENDING/);
    }
  });

  it('a release after a higher counter was accepted is REPLAY; delete still works and is final', async () => {
    // Counter 105 is quarantined too, and released first: QUA-2's 104 is now below the highest.
    const higher = await g.check([g.write('higher.xml', g.request(ECS02, 105n, ESME))]);
    assert.equal(higher.json[0].decision, 'quarantine');
    assert.equal((await g.run(['sr', 'quarantine', 'release', 'QUA-3', '--officer', g.aro])).code, 0);
    const r = await g.run(['sr', 'quarantine', 'release', 'QUA-2', '--officer', g.aro]);
    assert.equal(r.code, 3);
    assert.match(r.stdout + r.stderr, /REPLAY/);
    const del = await g.run(['sr', 'quarantine', 'delete', 'QUA-2', '--officer', g.aro, '--json']);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.json.status, 'deleted');
    assert.deepEqual((await list(['--status', 'quarantined'])).map((x) => x.id), []);
    assert.deepEqual((await list(['--status', 'released'])).map((x) => x.id), ['QUA-1', 'QUA-3']);
    assert.equal((await g.run(['audit', 'verify'])).code, 0);
  });

  it('an ended event: release is SOLR_EVENT_NOT_ACTIVE', async () => {
    const q = await g.check([g.write('late.xml', g.request(ECS02, 110n, ESME))]);
    assert.equal(q.json[0].decision, 'quarantine');
    assert.equal((await g.run(['solr', 'end', g.eventId, ...actAs('ra1')])).code, 0);
    const r = await g.run(['sr', 'quarantine', 'release', 'QUA-4', '--officer', g.aro]);
    assert.equal(r.code, 3);
    assert.match(r.stdout + r.stderr, /SOLR_EVENT_NOT_ACTIVE/);
    assert.deepEqual((await list(['--event', g.eventId, '--status', 'quarantined'])).map((x) => x.id), ['QUA-4']);
  });
});
