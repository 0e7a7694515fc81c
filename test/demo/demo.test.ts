import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { Io } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { REQUIREMENT_TITLES } from '../../src/domain/reasons.js';
import { runDemo } from '../../src/demo/demo.js';
import { smki } from '../support/cli.js';
import { startSmki } from '../support/process.js';

/** Runs `fn` with os.tmpdir() pointing at a fresh folder, and returns what is left in it afterwards. */
async function inFreshTmp<T>(fn: () => Promise<T>): Promise<{ value: T; left: string[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'smki-demo-tmp-'));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    const value = await fn();
    return { value, left: readdirSync(dir), dir };
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

class Sink extends Writable {
  text = '';
  override _write(c: Buffer, _e: string, cb: () => void): void {
    this.text += c.toString();
    cb();
  }
}

function sinkIo(): Io & { out: Sink; err: Sink } {
  const out = new Sink();
  const err = new Sink();
  const stdin = new PassThrough();
  stdin.end();
  return { stdout: out, stderr: err, stdin, interactive: false, progress: false, out, err };
}

describe('demo', function () {
  this.timeout(120_000);
  it('smki demo exits 0 and its JSON summary shows each requirement with the expected outcome; nothing is left in the temporary folder', async () => {
    const { value: r, left, dir } = await inFreshTmp(() => smki(['demo', '--json']));
    try {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.ok, true);
      const steps: { n: number; requirement: string; expected: string; outcome: string; pass: boolean; reasons: string[]; title: string; commands: string[] }[] = r.json.steps;
      assert.ok(steps.every((s) => s.pass), JSON.stringify(steps.filter((s) => !s.pass)));
      const by = (req: string) => steps.filter((s) => s.requirement === req);
      for (const req of ['R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7']) assert.ok(by(req).length > 0, `no step for ${req}`);
      assert.ok(by('R2').some((s) => s.outcome === 'ok') && by('R2').some((s) => s.reasons.includes('SOLR_CONTINGENCY_XML_SIGN_ONLY')));
      assert.ok(by('R3').some((s) => s.reasons.includes('SR_NOT_ELIGIBLE')));
      assert.ok(by('R5').filter((s) => s.outcome === 'ok').length === 2 && by('R5').some((s) => s.reasons.includes('PAYMENT_MODE_NOT_CREDIT')));
      assert.ok(by('R6').some((s) => s.reasons.includes('SOLR_SELF_APPROVAL')) && by('R6').some((s) => s.reasons.includes('SOLR_EVENT_NOT_ACTIVE')));
      assert.ok(by('R7').every((s) => s.outcome === 'ok'));
      // Steps are numbered 1..n, once each; the dual-fuel Supplier's two User Roles are one step of two commands.
      assert.deepEqual(steps.map((s) => s.n), steps.map((_s, i) => i + 1));
      assert.ok(steps.some((s) => s.commands.length === 2 && s.commands.every((c) => c.startsWith('smki party add'))));
      // Without --home nothing is kept: the temporary folder (home, artefacts, passphrase, keys) is gone.
      assert.deepEqual(left, []);
      assert.equal(r.json.kept, false);
      assert.equal(r.json.artefacts, null);
      assert.equal(existsSync(r.json.home), false);
      assert.match(r.stderr, /The CA home and the artefacts were in a temporary folder, now removed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the text numbers each step once, explains R1-R7 in a line each, and says accepted for accepted requests', async () => {
    const { value: r, left, dir } = await inFreshTmp(() => smki(['demo']));
    try {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(left, []);
      const text = r.stdout;
      // The legend: one line per requirement, before the first step.
      const legend = text.slice(0, text.indexOf('\n 1. '));
      for (const [req, title] of Object.entries(REQUIREMENT_TITLES)) assert.ok(legend.includes(`\n  ${req}  ${title}\n`), req);
      const numbers = [...text.matchAll(/^ ?(\d+)\. \[/gm)].map((m) => Number(m[1]));
      assert.deepEqual(numbers, numbers.map((_n, i) => i + 1), 'each step numbered once, in order');
      const summary = text.slice(text.indexOf('What happened'));
      assert.deepEqual([...summary.matchAll(/^ +\d+ +\S+ +(SR 1\.6 to Credit \(CommandVariant 4\)|The Signed Pre-Command)[^\n]*  (\S+)$/gm)].map((m) => m[2]), ['accepted', 'accepted']);
      const narrated = text.slice(text.indexOf('SR 1.6 to Credit (CommandVariant 4)'));
      assert.match(narrated, /^ {4}\$ smki sr check \.\/1-credit-cv4\.xml\n {4}-> accepted$/m);
      assert.doesNotMatch(text, /ca-passphrase\.txt --admin[^\n]*\/tmp\//, 'paths shown relative');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when a step fails half-way (or the demo breaks), the temporary folder is removed too', async () => {
    // The real commands, except that `solr record` fails as if the registry could not be written.
    const failing = (argv: string[], io: Io) => (argv.includes('record') ? Promise.resolve(1) : main(argv, io));
    const { value: r, left, dir } = await inFreshTmp(() => runDemo({ io: sinkIo(), json: false, main: failing }));
    try {
      assert.equal(r.ok, false);
      const last = r.steps[r.steps.length - 1]!;
      assert.equal(last.requirement, 'R6');
      assert.equal(last.pass, false);
      assert.deepEqual(left, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // An exception out of a command: the demo fails with it, and leaves nothing behind either.
    const broken = (argv: string[], io: Io) => (argv.includes('adt') ? Promise.reject(new Error('disk on fire')) : main(argv, io));
    const io = sinkIo();
    const b = await inFreshTmp(() => runDemo({ io, json: false, main: broken }).then(() => 'no error', (e: Error) => e.message));
    try {
      assert.equal(b.value, 'disk on fire');
      assert.deepEqual(b.left, []);
      assert.match(io.out.text, /\(the temporary folder was removed\)/);
    } finally {
      rmSync(b.dir, { recursive: true, force: true });
    }
  });
});

describe('demo: never touches a real home', function () {
  this.timeout(120_000);
  it('smki demo --home DIR refuses a DIR that exists and is not empty (exit 4, nothing written)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smki-demo-home-'));
    try {
      writeFileSync(join(dir, 'registry.sqlite'), 'a real home');
      const r = await smki(['--home', dir, 'demo']);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /^smki: --home: .* exists and is not empty; the demo runs only in a new or empty folder/);
      assert.deepEqual(readdirSync(dir), ['registry.sqlite']);
      assert.equal(readFileSync(join(dir, 'registry.sqlite'), 'utf8'), 'a real home');
      assert.equal(r.stdout, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--home DIR keeps the home and the artefacts (no secret among them); the demo stops at the first step that does not go as expected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smki-demo-home-'));
    const home = join(dir, 'home');
    try {
      // An empty folder is a fresh home: the demo runs in it and keeps it; the temporary folder goes.
      mkdirSync(home);
      const { value: r0, left } = await inFreshTmp(() => smki(['--home', home, 'demo', '--json']));
      assert.equal(r0.code, 0, r0.stderr);
      assert.deepEqual(left, []);
      assert.equal(r0.json.kept, true);
      assert.equal(r0.json.artefacts, join(home, 'demo-artefacts'));
      const artefacts = readdirSync(r0.json.artefacts);
      for (const f of ['srp-xml.pem', 'supplier-ds.pem', 'ca-chain.pem', 'current.crl.pem', '1-credit-cv4.xml']) assert.ok(artefacts.includes(f), f);
      assert.deepEqual(artefacts.filter((f) => /passphrase|\.key$/.test(f)), [], 'no passphrase or private key kept');
      const report = await smki(['--home', home, 'report', '--event', 'SOLR-1', '--json']);
      assert.equal(report.code, 0, report.stderr);
      assert.match(r0.stderr, /Report: {4}smki --home .* report SOLR-1/);
      // An empty folder that cannot be written: init fails, so nothing after it may run.
      rmSync(home, { recursive: true, force: true });
      mkdirSync(home, { mode: 0o500 });
      if (process.getuid?.() === 0) return; // root writes anyway
      const { value: r, left: left2 } = await inFreshTmp(() => smki(['--home', home, 'demo', '--json']));
      assert.equal(r.code, 1);
      assert.equal(r.json.ok, false);
      assert.equal(r.json.steps.length, 1, JSON.stringify(r.json.steps.map((s: { title: string }) => s.title)));
      assert.match(r.stderr, /Stopped at step 1/);
      assert.deepEqual(readdirSync(home), []);
      assert.deepEqual(left2, []);
      assert.equal(r.json.artefacts, null);
    } finally {
      try { chmodSync(home, 0o700); } catch { /* gone */ }
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('Ctrl+C during the demo removes its temporary folder (passphrase and keys) before the process ends', async function () {
    this.timeout(120_000);
    const dir = mkdtempSync(join(tmpdir(), 'smki-demo-sig-'));
    try {
      const { child, done } = startSmki(['demo'], { TMPDIR: dir });
      // Interrupted once the CA exists and the passphrase file is in the folder.
      const started = Date.now();
      let seen: string[] = [];
      while (Date.now() - started < 90_000) {
        const work = readdirSync(dir).filter((f) => f.startsWith('smki-demo-'));
        seen = work.flatMap((w) => (existsSync(join(dir, w, 'home')) ? readdirSync(join(dir, w)) : []));
        if (seen.includes('ca-passphrase.txt') && existsSync(join(dir, work[0]!, 'home', 'registry.sqlite'))) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(seen.includes('ca-passphrase.txt'), `the demo never wrote its passphrase file: ${seen.join(', ')}`);
      child.kill('SIGINT');
      const r = await done;
      assert.equal(r.signal, 'SIGINT', `ended by the signal, as without the clean-up (code ${r.code}): ${r.stderr}`);
      assert.deepEqual(readdirSync(dir), [], 'nothing left in the temporary folder');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
