// Many processes, one home: 2, 4 and 8 concurrent issuers and gates (real processes, at once)
// finish correctly or are refused with a reason; no raw database error, and every certificate and
// decision is accounted for.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCsr } from '../support/csr.js';
import { ESME, setupGateScenario, type GateScenario } from '../support/gate-scenario.js';
import { holdWriteLock, query } from '../support/query.js';
import { ensureBuilt, RAW_DB_ERROR, runConcurrently, startSmki, type ProcessResult } from '../support/process.js';
import { SRP } from '../support/scenario.js';
import { actAs, officerTestKey } from '../support/keys.js';


const count = (home: string, table: string) => query<{ n: number }>(home, `SELECT COUNT(*) AS n FROM ${table}`)[0]!.n;

function noRawErrors(results: ProcessResult[]): void {
  for (const r of results) assert.doesNotMatch(r.stderr + r.stdout, RAW_DB_ERROR, r.stderr);
}

describe('registry: many processes, one home', function () {
  this.timeout(300_000);
  let s: GateScenario;
  let counter = 1000n;
  before(async () => {
    ensureBuilt();
    s = await setupGateScenario();
  });
  after(() => s.cleanup());

  for (const n of [2, 4, 8]) {
    it(`${n} issuers and ${n} gates at once: every certificate issued once (the same key twice: CSR_KEY_REUSED), every request decided once`, async () => {
      const certsBefore = count(s.home, 'certificates');
      const decisionsBefore = count(s.home, 'sr_decisions');
      const csrFiles: string[] = [];
      for (let i = 0; i < n; i++) {
        const f = join(s.dir, `conc-${n}-${i}.csr`);
        writeFileSync(f, (await makeCsr({ eui: SRP })).pem);
        csrFiles.push(f);
      }
      const issue = (f: string) => ['--home', s.home, 'cert', 'issue', '--csr', f, '--profile', 'xml-sign', '--party', SRP, '--officer', s.aro, '--officer-key', officerTestKey(s.home, s.aro)!.key, '--passphrase-file', s.pass, '--json'];
      const perGate = 3;
      const gates: string[][] = [];
      for (let p = 0; p < n; p++) {
        const files = Array.from({ length: perGate }, () => s.write('g.xml', s.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', ++counter, ESME)));
        gates.push(['--home', s.home, 'sr', 'check', ...files, '--json']);
      }
      // The last issuer repeats the first one's CSR.
      const results = await runConcurrently([...csrFiles.map(issue), issue(csrFiles[0]!), ...gates]);
      noRawErrors(results);
      const issuers = results.slice(0, n + 1);
      const issued = issuers.filter((r) => r.code === 0);
      const reused = issuers.filter((r) => r.code === 3);
      const why = issuers.map((r) => `${r.code} ${r.stderr}`).join('\n');
      assert.equal(issued.length, n, why);
      assert.equal(reused.length, 1, why);
      assert.match(reused[0]!.stderr, /CSR_KEY_REUSED/);
      assert.equal(new Set(issued.map((r) => JSON.parse(r.stdout).serial as string)).size, n);
      assert.equal(count(s.home, 'certificates'), certsBefore + n);

      let reported = 0;
      for (const r of results.slice(n + 1)) {
        assert.ok(r.code === 0 || r.code === 3, `exit ${r.code}: ${r.stderr}`);
        const out = JSON.parse(r.stdout).items as { decision: string; reasons: { code: string }[] }[];
        assert.equal(out.length, perGate);
        for (const o of out) {
          assert.ok(o.decision === 'accept' || (o.decision === 'refuse' && o.reasons.every((x) => x.code === 'REPLAY')), JSON.stringify(o));
          reported++;
        }
      }
      assert.equal(count(s.home, 'sr_decisions') - decisionsBefore, reported);
      // Accepted counters rise in decision order: no two processes accepted out of order.
      const accepted = query<{ counter: string }>(s.home, "SELECT counter FROM sr_decisions WHERE decision = 'accept' ORDER BY id").map((r) => BigInt(r.counter));
      for (let i = 1; i < accepted.length; i++) assert.ok(accepted[i]! > accepted[i - 1]!, `accepted counter ${accepted[i]} after ${accepted[i - 1]}`);
      const v = await s.run(['audit', 'verify', '--json']);
      assert.equal(v.code, 0, v.stdout);
    });
  }

  it('a writer that cannot get the registry within the bounded wait says so in one line and changes nothing', async () => {
    const release = holdWriteLock(s.home);
    try {
      const r = await startSmki(['--home', s.home, 'party', 'add', '--name', 'Late Ltd', '--role', 'IS', '--eui', '90B3D51F30990000', ...actAs('ra1')],
        { SMKI_BUSY_WAIT_MS: '300' }).done;
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^smki: the registry is busy: another smki process held it for \d+ s; nothing was changed, run the command again\n$/);
    } finally {
      release();
    }
    assert.equal(query(s.home, "SELECT 1 FROM user_ids WHERE eui = '90B3D51F30990000'").length, 0);
  });
});
