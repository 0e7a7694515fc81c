// A batch reports what it did: sr check over many files reports every decision it committed even when
// a file among them cannot be read, and names that file (exit 4); a batch run again reports what it
// decided before as already decided, with its outcome (not as replays), and decides nothing twice.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { query } from '../support/query.js';
import { ESME, setupGateScenario, type GateScenario } from '../support/gate-scenario.js';

describe('cli: sr check reports every decision of a batch', function () {
  this.timeout(120_000);
  let g: GateScenario;
  before(async () => { g = await setupGateScenario(); });
  after(() => g.cleanup());

  it('an unreadable file among many is named with exit 4; every committed decision is reported', async () => {
    const files = Array.from({ length: 4 }, (_, i) => g.write('b.xml', g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', 9000n + BigInt(i), ESME)));
    const missing = join(g.dir, 'gone.xml');
    const r = await g.check([files[0]!, files[1]!, missing, files[2]!, files[3]!]);
    assert.equal(r.code, 4, r.stderr);
    const out = r.json as { file: string; decision: string; error?: string }[];
    assert.deepEqual(out.map((o) => o.decision), ['accept', 'accept', 'malformed', 'accept', 'accept']);
    assert.equal(out[2]!.file, missing);
    assert.match(out[2]!.error!, /cannot read/);
    const recorded = query<{ source: string }>(g.home, 'SELECT source FROM sr_decisions WHERE source IN (?, ?, ?, ?)', ...files);
    assert.equal(recorded.length, 4);
  });

  const count = (sql: string, ...args: unknown[]) => Number(query<{ n: number }>(g.home, sql, ...args)[0]!.n);

  it('501 files, one of them unreadable past the first commits: all 500 decisions reported, the file named, exit 4', async () => {
    const files = Array.from({ length: 501 }, (_, i) => g.write('m.xml', g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', 10_000n + BigInt(i), ESME)));
    const unreadable = join(g.dir, 'vanished.xml');
    files[450] = unreadable;
    const r = await g.check(files);
    const out = r.json as { file: string; decision: string; error?: string }[];
    assert.equal(out.length, 501, r.stderr);
    assert.equal(r.code, 4, r.stderr);
    assert.deepEqual([out[450]!.file, out[450]!.decision], [unreadable, 'malformed']);
    assert.match(out[450]!.error!, /cannot read/);
    const decided = out.filter((o) => o.decision !== 'malformed');
    assert.equal(decided.length, 500);
    assert.ok(decided.every((o) => o.decision === 'accept'), JSON.stringify(decided.find((o) => o.decision !== 'accept')));
    assert.equal(count(`SELECT count(*) AS n FROM sr_decisions WHERE source IN (${files.map(() => '?').join(',')})`, ...files), decided.length);
  });

  it('run again over the same files: every earlier decision reported as already decided with its outcome, nothing decided twice', async () => {
    const accepted = g.write('a.xml', g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', 20_000n, ESME));
    const lower = g.write('r.xml', g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', 19_999n, ESME));
    const first = await g.check([accepted, lower]);
    assert.equal(first.code, 3, first.stderr);
    const [a, b] = first.json as { decision: string; reasons: { code: string }[]; decisionId: number; decidedAt: string; alreadyDecided?: boolean }[];
    assert.deepEqual([a!.decision, b!.decision, b!.reasons.map((x) => x.code)], ['accept', 'refuse', ['REPLAY']]);
    assert.equal(a!.alreadyDecided, undefined);
    const decisions = count('SELECT count(*) AS n FROM sr_decisions');
    const audit = count('SELECT count(*) AS n FROM audit');
    const next = g.write('n.xml', g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', 20_001n, ESME));

    const again = await g.check([accepted, lower, next]);
    assert.equal(again.code, 3, again.stderr);
    const [a2, b2, n2] = again.json as typeof a[];
    // The accepted one is not refused as a replay of itself, and the refusal keeps its reasons.
    assert.deepEqual([a2!.decision, a2!.alreadyDecided, a2!.decisionId, a2!.decidedAt], ['accept', true, a!.decisionId, a!.decidedAt]);
    assert.deepEqual([b2!.decision, b2!.reasons.map((x) => x.code), b2!.alreadyDecided, b2!.decisionId], ['refuse', ['REPLAY'], true, b!.decisionId]);
    assert.deepEqual([n2!.decision, n2!.alreadyDecided], ['accept', undefined]);
    assert.equal(count('SELECT count(*) AS n FROM sr_decisions'), decisions + 1);
    assert.equal(count('SELECT count(*) AS n FROM audit'), audit + 1);

    const human = await g.run(['sr', 'check', accepted, next]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`ACCEPT\\s+\\S*${accepted.split('/').pop()}.*already decided at ${a!.decidedAt}, decision ${a!.decisionId}: not decided again`));
    assert.match(human.stderr, /2 checked: 2 accepted, 0 refused, 0 quarantined, 0 malformed \(2 of them already decided before/);
    const v = await g.run(['audit', 'verify']);
    assert.equal(v.code, 0, v.stderr);
  });
});
