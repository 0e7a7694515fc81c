import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SyncWorker } from '../../src/util/worker-pool.js';

describe('worker pool: an idle pool does not keep its process alive (src/util/worker-pool.ts)', function () {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'smki-pool-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a process that answered a batch and never closed its pool ends by itself, its answers given', async function () {
    // A caller that threw before its finally, or a test that timed out: the pool is left open.
    const script = join(dir, 'left-open.mts');
    const pool = pathToFileURL(join(process.cwd(), 'src', 'ca', 'csr-pool.ts')).href;
    writeFileSync(script, [
      `import { CsrPool } from ${JSON.stringify(pool)};`,
      'const p = new CsrPool(2, 1);',
      'await p.ready();',
      "for await (const a of p.answers(['not a CSR', 'nor this'])) process.stdout.write(JSON.stringify(a) + '\\n');",
      "process.stdout.write('done\\n');",
    ].join('\n'));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // Not a measurement: a bound so that a process kept alive fails this test instead of hanging it.
    const bound = setTimeout(() => child.kill('SIGKILL'), this.timeout() - 5000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (c, s) => r([c, s])));
    clearTimeout(bound);
    assert.equal(signal, null, `killed: the pool kept the process alive (stdout: ${out}; stderr: ${err})`);
    assert.equal(code, 0, err);
    const lines = out.trim().split('\n');
    assert.equal(lines.at(-1), 'done');
    assert.equal(lines.length, 3);
    for (const l of lines.slice(0, 2)) assert.ok('malformed' in JSON.parse(l)[0], l);
  });
});

describe('worker pool: a SyncWorker answers a thread that cannot leave its stack (src/util/worker-pool.ts)', function () {
  const base = pathToFileURL(join(process.cwd(), 'test', 'support', 'base.ts')).href;
  let w: SyncWorker<number | string, unknown> | undefined;
  afterEach(async () => { await w?.close(); w = undefined; });

  it('answers each chunk by its ticket, in any order they are taken, waiting synchronously', async () => {
    w = new SyncWorker(base, 'sync-worker-probe', {});
    await w.ready();
    const a = w.send([1, 2]);
    const b = w.send([3]);
    assert.deepEqual(w.wait(b), [6]);
    assert.deepEqual(w.wait(a), [2, 4]);
    const c = w.send([5]);
    let polled: unknown[] | undefined;
    const until = Date.now() + 30_000;
    while (!(polled = w.poll(c)) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    assert.deepEqual(polled, [10]);
  });

  it('a chunk the worker cannot answer fails its waiter; the worker goes on answering', async () => {
    w = new SyncWorker(base, 'sync-worker-probe', {});
    await w.ready();
    assert.throws(() => w!.wait(w!.send([1, 'throw'])), /worker: Error: cannot answer this/);
    assert.deepEqual(w.wait(w.send([4])), [8]);
  });

  for (const how of ['exit', 'crash'] as const) {
    it(`a worker that ends (${how}) fails the waiter at once, not after the bound`, async () => {
      w = new SyncWorker(base, 'sync-worker-probe', {}, 120_000);
      await w.ready();
      const first = w.send([how]);
      const t0 = Date.now();
      const second = w.send([1]);
      assert.throws(() => { w!.wait(first); w!.wait(second); }, /worker .*exit/);
      assert.ok(Date.now() - t0 < 60_000, 'waited for the bound');
      assert.throws(() => w!.send([1]), /worker/);
    });
  }
});
