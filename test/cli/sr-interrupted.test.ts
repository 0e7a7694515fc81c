// An interrupted `sr check` batch (a real process: a real Ctrl+C, and kill -9) leaves every decision
// it reported committed and none it did not report (Ctrl+C: exactly; kill -9: at most the decisions of
// the one commit it was writing out), and the same command run again completes it: what was decided
// before is reported as already decided with its outcome, the rest is decided, each file exactly once.
import { strict as assert } from 'node:assert';
import { ESME, setupGateScenario, type GateScenario } from '../support/gate-scenario.js';
import { ensureBuilt, startSmki } from '../support/process.js';
import { query } from '../support/query.js';

const FILES = 1500;
/** Decisions per commit in sr check (src/cli/commands/sr.ts GROUP). */
const GROUP = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Reported { file: string; decision: string; alreadyDecided?: boolean; decisionId?: number }

function committed(home: string, files: string[]): Map<string, { n: number; decision: string }> {
  const rows = query<{ source: string; n: number; decision: string }>(home,
    `SELECT source, count(*) AS n, min(decision) AS decision FROM sr_decisions WHERE source IN (${files.map(() => '?').join(',')}) GROUP BY source`, ...files);
  return new Map(rows.map((r) => [r.source, { n: r.n, decision: r.decision }]));
}

/** The decisions a text-mode run wrote before it was stopped: one head line per file. */
function reportedLines(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^(ACCEPT|REFUSE|QUARANTINE)\s+(\S+)/.exec(line);
    if (m) out.set(m[2]!, m[1]!.toLowerCase());
  }
  return out;
}

describe('cli: sr check interrupted (real processes)', function () {
  this.timeout(600_000);
  let g: GateScenario;
  let counter = 50_000n;
  before(async () => {
    ensureBuilt();
    g = await setupGateScenario({ warning: 1_000_000, quarantine: 2_000_000 });
  });
  after(() => g?.cleanup());

  const batch = (n: number) => Array.from({ length: n }, () => g.write('i.xml', g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', ++counter, ESME)));

  /** Starts `sr check FILES`, stops it with `signal` once `atLeast` decisions are on its stdout. */
  async function stop(files: string[], signal: 'SIGINT' | 'SIGKILL', atLeast: number, json: boolean) {
    const { child, done } = startSmki(['--home', g.home, 'sr', 'check', ...files, ...(json ? ['--json'] : [])]);
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    let sent = false;
    while (child.exitCode === null && child.signalCode === null) {
      const seen = json ? (stdout.match(/^ {6}"file": /gm) ?? []).length : reportedLines(stdout).size;
      if (!sent && seen >= atLeast) {
        child.kill(signal);
        sent = true;
      }
      await sleep(2);
    }
    const r = await done;
    assert.ok(sent, `the batch finished before it could be stopped (code ${r.code}): ${r.stderr}`);
    return r;
  }

  async function completeAgain(files: string[], before: Map<string, { n: number; decision: string }>) {
    const again = await startSmki(['--home', g.home, 'sr', 'check', ...files, '--json']).done;
    assert.equal(again.code, 0, again.stderr.slice(0, 2000));
    const out = JSON.parse(again.stdout).items as Reported[];
    assert.equal(out.length, files.length);
    for (const o of out) {
      const earlier = before.get(o.file);
      if (earlier) assert.deepEqual([o.alreadyDecided, o.decision], [true, earlier.decision], `${o.file} was decided before`);
      else assert.deepEqual([o.alreadyDecided, o.decision], [undefined, 'accept'], `${o.file} was not decided before`);
    }
    const all = committed(g.home, files);
    assert.equal(all.size, files.length);
    assert.ok([...all.values()].every((c) => c.n === 1), 'a file was decided twice');
    const v = await startSmki(['--home', g.home, 'audit', 'verify']).done;
    assert.equal(v.code, 0, v.stdout + v.stderr);
  }

  it('Ctrl+C (SIGINT): exit 130, the JSON report closed, exactly the reported decisions committed; run again, it completes', async () => {
    const files = batch(FILES);
    const r = await stop(files, 'SIGINT', 1, true);
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /interrupted after \d+ of 1500 file\(s\)/);
    const reported = JSON.parse(r.stdout).items as Reported[];
    assert.ok(reported.length > 0 && reported.length < FILES, `${reported.length} reported`);
    const inRegistry = committed(g.home, files);
    assert.deepEqual([...inRegistry.keys()].sort(), reported.map((o) => o.file).sort(), 'the committed decisions are not exactly the reported ones');
    for (const o of reported) assert.equal(inRegistry.get(o.file)!.decision, o.decision);
    await completeAgain(files, inRegistry);
  });

  it('kill -9: every reported decision committed, at most one commit unreported; run again, it completes', async () => {
    const files = batch(FILES);
    const r = await stop(files, 'SIGKILL', GROUP + 1, false);
    assert.equal(r.signal, 'SIGKILL');
    const reported = reportedLines(r.stdout);
    const inRegistry = committed(g.home, files);
    for (const [file, decision] of reported) assert.equal(inRegistry.get(file)?.decision, decision, `${file} was reported but is not committed`);
    const unreported = [...inRegistry.keys()].filter((f) => !reported.has(f));
    assert.ok(unreported.length <= GROUP, `${unreported.length} committed decisions were not reported`);
    assert.ok(inRegistry.size < FILES, 'the batch was not interrupted');
    await completeAgain(files, inRegistry);
  });
});
