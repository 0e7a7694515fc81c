import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setupScenario, OTHER_SUPPLIER, SRP, SUPPLIER, type Scenario } from '../support/scenario.js';
import { homeDigest as registryDigest } from '../support/devices-adt.js';

const HEADER = 'supplier_eui,service_reference_variant,warning_threshold,quarantine_threshold';
const EXAMPLE = 'fixtures/adt/example-adt.csv';

describe('cli: smki adt', function () {
  this.timeout(120_000);
  let s: Scenario;
  before(async () => {
    s = await setupScenario();
  });
  after(() => s?.cleanup());

  const file = (name: string, content: string | Buffer) => {
    const p = join(s.dir, name);
    writeFileSync(p, content);
    return p;
  };
  const submit = (f: string, opts: { party?: string; officer?: string; json?: boolean } = {}) =>
    s.run(['adt', 'submit', '--party', opts.party ?? SRP, '--officer', opts.officer ?? s.aro, '--file', f, ...(opts.json === false ? [] : ['--json'])]);

  /** A submission that must fail with `code`, leaving the registry exactly as it was. */
  async function refused(f: string, code: number, opts: { party?: string; officer?: string; json?: boolean } = {}) {
    const before = registryDigest(s.home);
    const r = await submit(f, opts);
    assert.equal(r.code, code, r.stderr);
    assert.equal(registryDigest(s.home), before, 'the registry changed');
    return r;
  }

  it('records the example ADT file (JSON has a top-level id) and lists and shows it', async () => {
    const r = await submit(EXAMPLE);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.id, 'ADT-1');
    assert.equal(r.json.created, true);
    assert.equal(r.json.supplierUserId, SUPPLIER);
    assert.equal(r.json.status, 'active');
    assert.deepEqual(r.json.thresholds, [{ serviceReferenceVariant: '1.6', warning: 500, quarantine: 1000 }]);
    assert.equal(r.json.windowHours, 24);
    const list = await s.run(['adt', 'list', '--json']);
    assert.deepEqual(list.json.items.map((a: { id: string }) => a.id), ['ADT-1']);
    const show = await s.run(['adt', 'show', 'ADT-1']);
    assert.equal(show.code, 0);
    assert.match(show.stdout, /ADT-1 {2}active/);
    assert.match(show.stdout, /1\.6 +500 +1000/);
    assert.equal((await s.run(['adt', 'show', 'ADT-99'])).code, 4);
  });

  it('the same thresholds again change nothing', async () => {
    const before = registryDigest(s.home);
    const r = await submit(EXAMPLE, { json: false });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ADT-1: already the active ADT file .* nothing changed/);
    assert.equal(registryDigest(s.home), before);
  });

  it('a new file supersedes the active one, recorded and audited', async () => {
    const r = await submit(file('adt-2.csv', `${HEADER}\n${SUPPLIER},1.6,100,200\n`));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.id, 'ADT-2');
    assert.equal(r.json.supersedes, 'ADT-1');
    const all = await s.run(['adt', 'list', '--all', '--party', SRP, '--supplier', SUPPLIER, '--json']);
    assert.deepEqual(all.json.items.map((a: { id: string; status: string; supersededBy: string | null }) => [a.id, a.status, a.supersededBy]), [
      ['ADT-1', 'superseded', 'ADT-2'],
      ['ADT-2', 'active', null],
    ]);
    assert.deepEqual((await s.run(['adt', 'list', '--json'])).json.items.map((a: { id: string }) => a.id), ['ADT-2']);
    const log = await s.run(['audit', 'log', '--limit', '2', '--json']);
    assert.deepEqual(log.json.items.map((a: { action: string; subject: string }) => [a.action, a.subject]), [['adt.submit', 'ADT-2'], ['adt.supersede', 'ADT-1']]);
  });

  it('negative thresholds: exit 4 with the line', async () => {
    const r = await refused(file('neg.csv', `${HEADER}\n${SUPPLIER},1.6,-5,10\n`), 4);
    assert.deepEqual(r.json.problems, [{ line: 2, message: 'warning_threshold -5 is negative; a threshold is a count above 0' }]);
    const human = await submit(join(s.dir, 'neg.csv'), { json: false });
    assert.match(human.stderr, /neg\.csv line 2: warning_threshold -5 is negative/);
    assert.match(human.stderr, /nothing was recorded/);
  });

  it('warning above quarantine: exit 4 with the line', async () => {
    const r = await refused(file('adt.csv', `${HEADER}\n${SUPPLIER},2.5,1,2\n${SUPPLIER},1.6,10,5\n`), 4, { json: false });
    assert.match(r.stderr, /adt\.csv line 3: quarantine_threshold 5 is below warning_threshold 10/);
  });

  it('an unknown Service Reference Variant: exit 4 with the line', async () => {
    const r = await refused(file('srv.csv', `${HEADER}\n${SUPPLIER},8.1,1,2\n`), 4);
    assert.equal(r.json.problems[0].line, 2);
    assert.match(r.json.problems[0].message, /service_reference_variant '8\.1' is not a DUIS 5.4 Service Reference Variant/);
  });

  it('a non-UTF-8 file: exit 4 with the line', async () => {
    const r = await refused(file('latin1.csv', Buffer.concat([Buffer.from(`${HEADER}\n`), Buffer.from([0xa3]), Buffer.from(`${SUPPLIER},1.6,1,2\n`)])), 4);
    assert.deepEqual(r.json.problems, [{ line: 2, message: 'not valid UTF-8 (the file must be UTF-8 encoded)' }]);
  });

  it('an SRO (not an ARO) submitting: exit 3', async () => {
    const r = await refused(EXAMPLE, 3, { officer: s.sro });
    assert.equal(r.json.decision, 'refuse');
    assert.deepEqual(r.json.reasons.map((x: { code: string }) => x.code), ['OFFICER_NOT_ARO']);
  });

  it("another Party's ARO submitting: exit 3", async () => {
    const r = await refused(EXAMPLE, 3, { officer: s.otherAro, json: false });
    assert.match(r.stderr, /refused: OFFICER_FOREIGN_PARTY/);
  });

  it('an ARO not yet activated: exit 3', async () => {
    const r = await refused(EXAMPLE, 3, { officer: s.nominatedAro });
    assert.deepEqual(r.json.reasons.map((x: { code: string }) => x.code), ['OFFICER_NOT_ACTIVE']);
  });

  it('a Party that is not SoLRContingency: exit 3', async () => {
    const r = await refused(EXAMPLE, 3, { party: SUPPLIER, officer: s.supplierAro });
    assert.deepEqual(r.json.reasons.map((x: { code: string }) => x.code), ['ADT_NOT_SOLR_PARTY']);
  });

  it('a Supplier the SRP does not act for: exit 3', async () => {
    const r = await refused(file('other.csv', `${HEADER}\n${OTHER_SUPPLIER},1.6,1,2\n`), 3);
    assert.deepEqual(r.json.reasons.map((x: { code: string }) => x.code), ['ADT_SUPPLIER_NOT_COVERED']);
  });

  it('missing flags without a terminal: exit 4 naming the flag', async () => {
    const r = await s.run(['adt', 'submit', '--party', SRP, '--officer', s.aro]);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /missing --file/);
  });

  it('the audit chain still verifies', async () => {
    const v = await s.run(['audit', 'verify', '--json']);
    assert.equal(v.code, 0, v.stderr);
    assert.deepEqual(v.json.problems, []);
  });
});
