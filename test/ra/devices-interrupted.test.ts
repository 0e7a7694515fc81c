// All or nothing, even when interrupted: a 1,000,000-row `smki device import` (a real process) killed
// with kill -9 at several points, and stopped with a real Ctrl+C (SIGINT), leaves either none of the
// file or all of it, and `audit verify` passes afterwards; the import run again completes it.
import { strict as assert } from 'node:assert';
import { readFileSync, readlinkSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeDeviceCsv } from '../support/device-csv.js';
import { ensureBuilt, startSmki } from '../support/process.js';
import { foldWal, query, walBytes } from '../support/query.js';
import { OTHER_SUPPLIER, setupScenario, SUPPLIER, SUPPLIER_GAS, type Scenario } from '../support/scenario.js';
import { actAs } from '../support/keys.js';

const ROWS = 1_000_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function devices(home: string): { n: number; imports: number } {
  foldWal(home);
  const n = query<{ n: number }>(home, 'SELECT count(*) AS n FROM devices')[0]!.n;
  const imports = query<{ n: number }>(home, "SELECT count(*) AS n FROM audit WHERE action = 'device.import'")[0]!.n;
  return { n, imports };
}

/** How far the process has read `file`: its read offset, or undefined once the file is closed. */
function readOffset(pid: number, file: string): number | undefined {
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target === file) return Number(/pos:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1] ?? 0);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** `read`: the process has had the file open and closed it again (the validation pass is over). */
type Point = { name: string; signal: 'SIGKILL' | 'SIGINT'; reached: (pid: number, read: boolean) => boolean; says?: RegExp };

describe('ra/devices: a 1,000,000-row import interrupted (real processes)', function () {
  this.timeout(900_000);
  let s: Scenario;
  let file: string;
  let fileBytes: number;
  before(async () => {
    ensureBuilt();
    s = await setupScenario();
    file = join(s.dir, 'million.csv');
    fileBytes = await writeDeviceCsv(file, ROWS, [SUPPLIER, SUPPLIER_GAS, OTHER_SUPPLIER]);
  });
  after(() => s?.cleanup());

  async function interrupt(point: Point): Promise<void> {
    const { child, done } = startSmki(['--home', s.home, 'device', 'import', '--file', file, ...actAs('ra1'), '--json']);
    let sent = false;
    let opened = false;
    while (child.exitCode === null && child.signalCode === null) {
      const reading = readOffset(child.pid!, file) !== undefined;
      opened ||= reading;
      if (!sent && point.reached(child.pid!, opened && !reading)) {
        child.kill(point.signal);
        sent = true;
      }
      await sleep(sent ? 20 : 5);
    }
    const r = await done;
    if (point.signal === 'SIGKILL') assert.equal(r.signal, 'SIGKILL', `${point.name}: ${r.stderr}`);
    else assert.ok(r.signal === 'SIGINT' || r.code === 130, `${point.name}: ended with ${r.signal ?? r.code}: ${r.stderr}`);
    assert.ok(sent, `${point.name}: the import finished before the point was reached (code ${r.code}): ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /SQLITE|at \S+:\d+:\d+/, r.stderr);
    if (point.says) assert.match(r.stderr, point.says, point.name);
    const after = devices(s.home);
    // All or nothing, wherever it stopped.
    assert.ok((after.n === 0 && after.imports === 0) || (after.n === ROWS && after.imports === 1), `${point.name}: ${after.n} Devices, ${after.imports} import record(s)`);
    const v = await startSmki(['--home', s.home, 'audit', 'verify', '--json']).done;
    assert.equal(v.code, 0, `${point.name}: audit verify: ${v.stdout}${v.stderr}`);
  }

  it('kill -9 while reading, as the transaction starts, and twice inside it; Ctrl+C while reading (said) and inside it: none of the file each time', async () => {
    const inside = (bytes: number) => (_pid: number, read: boolean) => read && walBytes(s.home) > bytes;
    const points: Point[] = [
      { name: 'kill -9 half way through reading the file', signal: 'SIGKILL', reached: (pid) => (readOffset(pid, file) ?? 0) > fileBytes / 2 },
      { name: 'Ctrl+C (SIGINT) half way through reading the file', signal: 'SIGINT', reached: (pid) => (readOffset(pid, file) ?? 0) > fileBytes / 2, says: /^smki: interrupted while checking .*million\.csv: nothing was imported; run the same command again$/m },
      { name: 'kill -9 once the file is read', signal: 'SIGKILL', reached: (_pid, read) => read },
      { name: 'kill -9 inside the transaction (4 MiB written)', signal: 'SIGKILL', reached: inside(4 << 20) },
      { name: 'kill -9 inside the transaction (40 MiB written)', signal: 'SIGKILL', reached: inside(40 << 20) },
      { name: 'Ctrl+C (SIGINT) inside the transaction (20 MiB written)', signal: 'SIGINT', reached: inside(20 << 20) },
    ];
    for (const p of points) await interrupt(p);
    assert.equal(devices(s.home).n, 0);
  });

  it('run again, the import completes: every Device once, one audit record, audit verify passes', async () => {
    const r = await startSmki(['--home', s.home, 'device', 'import', '--file', file, ...actAs('ra1'), '--json']).done;
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual([out.imported, out.status], [ROWS, 'imported']);
    assert.deepEqual(devices(s.home), { n: ROWS, imports: 1 });
    const v = await startSmki(['--home', s.home, 'audit', 'verify']).done;
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });
});
