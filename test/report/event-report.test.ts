import { strict as assert } from 'node:assert';
import { loadCatalogue } from '../../src/config/catalogue.js';
import { reason } from '../../src/domain/reasons.js';
import { buildEventReport } from '../../src/report/event-report.js';
import { insertDecision, type DecisionRow } from '../../src/registry/gate.js';
import { Registry } from '../../src/registry/registry.js';
import { decisionsForEvent } from '../../src/registry/reports.js';
import { OTHER_SRP, setupScenario, SRP, SUPPLIER, type Scenario } from '../support/scenario.js';
import { actAs } from '../support/keys.js';

describe('report: which decisions belong to an event', function () {
  this.timeout(30_000);
  let s: Scenario;
  let reg: Registry;
  let eventId: string;
  const FROM = '2026-12-01T00:00:00.000Z';
  const UNTIL = '2026-12-20T00:00:00.000Z';

  before(async () => {
    s = await setupScenario();
    const r = await s.run(['solr', 'record', '--failed-supplier', SUPPLIER, '--srp', SRP, '--instruction', 'OFGEM-W', '--from', FROM, '--until', UNTIL, ...actAs('ra1'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    eventId = r.json.id;
    reg = Registry.open(s.home);
    const row = (over: Partial<DecisionRow>): DecisionRow => ({
      decidedAt: FROM, source: 'test', requestId: null, originator: SRP, target: null, counter: null, commandVariant: 4, serviceReferenceVariant: '1.6',
      deviceType: 'ESME', supplierEui: SUPPLIER, solrEventId: null, decision: 'refuse', reasons: [reason('SOLR_EVENT_NOT_ACTIVE')], warnings: [], docSha256: null, ...over,
    });
    // Rows as the gate writes them, inserted directly (the gate's own tests cover how it decides).
    reg.tx(() => {
      insertDecision(reg, row({ requestId: 'at-start' }));
      insertDecision(reg, row({ requestId: 'at-end', decidedAt: UNTIL }));
      insertDecision(reg, row({ requestId: 'before', decidedAt: '2026-11-30T23:59:59.999Z' }));
      insertDecision(reg, row({ requestId: 'after', decidedAt: '2026-12-20T00:00:00.001Z' }));
      insertDecision(reg, row({ requestId: 'other-srp', originator: OTHER_SRP, decidedAt: '2026-12-05T00:00:00.000Z' }));
      insertDecision(reg, row({ requestId: 'tagged', decision: 'accept', reasons: [], solrEventId: eventId, decidedAt: '2026-12-05T00:00:00.000Z', deviceType: 'GSME' }));
      insertDecision(reg, row({ requestId: 'tagged-late', decision: 'accept', reasons: [], solrEventId: eventId, decidedAt: '2027-01-05T00:00:00.000Z', deviceType: null }));
      insertDecision(reg, row({ requestId: 'other-event', decision: 'accept', reasons: [], solrEventId: 'SOLR-999', decidedAt: '2026-12-05T00:00:00.000Z' }));
    });
  });
  after(() => {
    reg.close();
    s.cleanup();
  });

  it('counts those the gate tied to it, and untied ones from its SRP within [from, until]', () => {
    const e = { id: eventId, srpUserId: SRP, startsAt: FROM, endsAt: UNTIL };
    const d = decisionsForEvent(reg, e);
    assert.deepEqual(d.map((x) => `${x.requestId}:${x.attributed}`), ['at-start:window', 'tagged:event', 'at-end:window', 'tagged-late:event']);
    assert.deepEqual(d[0]!.reasons.map((r) => r.code), ['SOLR_EVENT_NOT_ACTIVE']);
  });

  it('builds the report of an event that was never approved, with requests of an unknown Device type', () => {
    const r = buildEventReport(reg, loadCatalogue(), eventId, new Date('2026-12-10T00:00:00Z'));
    assert.equal(r.event.approved, null);
    assert.equal(r.event.state, 'recorded');
    // Every R6 refusal of the SRP for the failed Supplier's Devices counts, also before and after the
    // window ('before', 'after'); another SRP's does not ('other-srp'), nor another event's ('other-event').
    assert.deepEqual(r.requests.list.map((x) => `${x.requestId}:${x.attributed}`),
      ['before:outsideWindow', 'at-start:window', 'tagged:event', 'at-end:window', 'after:outsideWindow', 'tagged-late:event']);
    assert.deepEqual([r.requests.total, r.requests.accepted, r.requests.refused, r.requests.attributedByWindow, r.requests.attributedOutsideWindow], [6, 2, 4, 2, 2]);
    assert.deepEqual(r.requests.byReason.map((x) => [x.code, x.requests, x.requirement]), [['SOLR_EVENT_NOT_ACTIVE', 4, 'R6']]);
    assert.deepEqual(r.requests.byDeviceType.map((t) => [t.deviceType, t.accepted, t.refused]), [['ESME', 0, 4], ['GSME', 1, 0], ['unknown Device', 1, 0]]);
    assert.match(r.requirements.find((x) => x.requirement === 'R6')!.summary, /has not been approved.*4 requests were refused .*, all because no event was active/);
    assert.match(r.requirements.find((x) => x.requirement === 'R7')!.summary, /have not been revoked under this event/);
  });
});
