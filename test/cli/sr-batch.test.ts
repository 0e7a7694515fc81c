// A batch reports what it did: sr check over many files reports every decision it committed even when
// a file among them cannot be read, and names that file (exit 4).
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import Database from 'better-sqlite3';
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
    const db = new Database(join(g.home, 'registry.sqlite'), { readonly: true });
    const recorded = db.prepare('SELECT source FROM sr_decisions WHERE source IN (?, ?, ?, ?)').all(...files) as { source: string }[];
    db.close();
    assert.equal(recorded.length, 4);
  });
});
