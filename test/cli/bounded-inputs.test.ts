// Bounded inputs (issue 13): a 500 MB file, /dev/zero, a FIFO and an endless stdin each end with a
// one-line error (exit 4) and little memory, in a real smki process; free-text fields have limits.
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, ftruncateSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt } from '../support/process.js';
import { actAs } from '../support/keys.js';
import { registryDigest, setupScenario, SRP, SUPPLIER, type Scenario } from '../support/scenario.js';

const BIN = join(process.cwd(), 'bin', 'smki.js');
const PRELOAD = join(process.cwd(), 'test', 'support', 'peak-rss.mjs');
const MEMORY_LIMIT_KIB = 100 * 1024;

interface Run {
  code: number | null;
  stdout: string;
  /** stderr without the peak-memory line. */
  stderr: string;
  peakKib: number;
}

/** smki as a real process with its peak memory; `endlessStdin` feeds zeros until it exits. */
function run(args: string[], opts: { endlessStdin?: boolean } = {}): Promise<Run> {
  ensureBuilt();
  const child = spawn(process.execPath, ['--import', PRELOAD, BIN, ...args], { stdio: [opts.endlessStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  if (opts.endlessStdin) {
    const zeros = Buffer.alloc(64 * 1024);
    const pump = (): void => {
      while (child.stdin!.writable && child.stdin!.write(zeros));
    };
    child.stdin!.on('drain', pump);
    child.stdin!.on('error', () => undefined); // EPIPE once smki stops reading
    pump();
  }
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /\npeak-rss-kib (\d+)\n/.exec(stderr);
      resolve({ code, stdout, stderr: stderr.replace(/\n?peak-rss-kib \d+\n/, ''), peakKib: m ? Number(m[1]) : Number.NaN });
    });
  });
}

const oneLine = (r: Run) => r.stderr.trim().split('\n').length === 1;

describe('cli: bounded inputs (real processes, memory measured)', function () {
  this.timeout(180_000);
  let s: Scenario;
  let big: string;
  let fifo: string;
  before(async () => {
    s = await setupScenario();
    big = join(s.dir, 'big.pem');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 500 * 1024 * 1024); // 500 MB, sparse
    closeSync(fd);
    fifo = join(s.dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
  });
  after(() => s.cleanup());

  for (const [what, file] of [['a 500 MB file', () => big], ['/dev/zero', () => '/dev/zero'], ['a FIFO with no writer', () => fifo]] as const) {
    it(`cert show ${what}: one line, exit 4, under 100 MB`, async () => {
      const r = await run(['--home', s.home, 'cert', 'show', file()]);
      assert.equal(r.code, 4, r.stderr);
      assert.ok(oneLine(r), r.stderr);
      assert.match(r.stderr, /larger than the limit|not a regular file/);
      assert.ok(r.peakKib < MEMORY_LIMIT_KIB, `peak RSS ${r.peakKib} KiB`);
    });
  }

  it('device import of a 500 MB file: one line, exit 4, under 100 MB, nothing imported', async () => {
    const before = registryDigest(s.home);
    const r = await run(['--home', s.home, ...actAs('ra1'), 'device', 'import', '--file', big]);
    assert.equal(r.code, 4, r.stderr);
    assert.ok(oneLine(r), r.stderr);
    assert.match(r.stderr, /500 MiB, larger than the limit of 256 MiB/);
    assert.ok(r.peakKib < MEMORY_LIMIT_KIB, `peak RSS ${r.peakKib} KiB`);
    assert.equal(registryDigest(s.home), before);
  });

  it('sr check - with an endless stdin stops at the limit: stdin reported malformed (exit 4), under 100 MB', async () => {
    const r = await run(['--home', s.home, 'sr', 'check', '-', '--json'], { endlessStdin: true });
    assert.equal(r.code, 4, r.stderr);
    const out = JSON.parse(r.stdout).items as { file: string; decision: string; error: string }[];
    assert.equal(out.length, 1);
    assert.equal(out[0]!.file, '(stdin)');
    assert.equal(out[0]!.decision, 'malformed');
    assert.match(out[0]!.error, /stdin: more than the limit of 1 MiB/);
    assert.ok(r.peakKib < MEMORY_LIMIT_KIB, `peak RSS ${r.peakKib} KiB`);
  });

  it('sr check over many files reports an oversize one as malformed, by name, and decides the others', async () => {
    const r = await run(['--home', s.home, 'sr', 'check', big, join(process.cwd(), 'fixtures', 'public', 'duis', 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML'), '--json']);
    assert.equal(r.code, 4, r.stderr);
    const out = JSON.parse(r.stdout).items as { file: string; decision: string; error?: string }[];
    assert.equal(out.length, 2);
    assert.equal(out[0]!.file, big);
    assert.match(out[0]!.error!, /larger than the limit of 1 MiB/);
    assert.ok(out[1]!.decision, 'the other file has its own result');
  });

  describe('free-text fields have limits (exit 4, nothing written)', () => {
    const long = 'x'.repeat(201);
    for (const [what, args] of [
      ['a Party name', () => ['party', 'add', '--name', long, '--role', 'IS', '--eui', '90B3D51F30090000']],
      ['a Party name on two lines', () => ['party', 'add', '--name', 'Evil\nsmki: forged line', '--role', 'IS', '--eui', '90B3D51F30090000']],
      ['an officer name', () => ['officer', 'add', '--party', SUPPLIER, '--kind', 'sro', '--name', long, '--evidence', 'E-1']],
      ['an evidence reference', () => ['officer', 'add', '--party', SUPPLIER, '--kind', 'sro', '--name', 'Sam Two', '--evidence', long]],
      ['an instruction reference', () => ['solr', 'record', '--failed-supplier', SUPPLIER, '--srp', SRP, '--instruction', long, '--from', 'now', '--until', 'now+2d']],
    ] as const) {
      it(what, async () => {
        const before = registryDigest(s.home);
        const r = await s.run([...args(), '--json']);
        assert.equal(r.code, 4, r.stderr);
        assert.match(r.stderr, /longer than the limit of 200|one line of text/);
        assert.equal(registryDigest(s.home), before);
      });
    }
  });
});
