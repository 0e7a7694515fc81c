import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { smki } from '../support/cli.js';

describe('demo', () => {
  it('smki demo exits 0 and its JSON summary shows each requirement with the expected outcome', async () => {
    const r = await smki(['demo', '--json']);
    try {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.ok, true);
      const steps: { requirement: string; expected: string; outcome: string; pass: boolean; reasons: string[]; title: string }[] = r.json.steps;
      assert.ok(steps.every((s) => s.pass), JSON.stringify(steps.filter((s) => !s.pass)));
      const by = (req: string) => steps.filter((s) => s.requirement === req);
      for (const req of ['R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7']) assert.ok(by(req).length > 0, `no step for ${req}`);
      assert.ok(by('R2').some((s) => s.outcome === 'ok') && by('R2').some((s) => s.reasons.includes('SOLR_CONTINGENCY_XML_SIGN_ONLY')));
      assert.ok(by('R3').some((s) => s.reasons.includes('SR_NOT_ELIGIBLE')));
      assert.ok(by('R5').filter((s) => s.outcome === 'ok').length === 2 && by('R5').some((s) => s.reasons.includes('PAYMENT_MODE_NOT_CREDIT')));
      assert.ok(by('R6').some((s) => s.reasons.includes('SOLR_SELF_APPROVAL')) && by('R6').some((s) => s.reasons.includes('SOLR_EVENT_NOT_ACTIVE')));
      assert.ok(by('R7').every((s) => s.outcome === 'ok'));
      assert.ok(r.json.seconds < 15);
    } finally {
      if (r.json?.home) rmSync(dirname(r.json.home), { recursive: true, force: true });
    }
  });
});

describe('demo: never touches a real home', () => {
  it('smki demo --home DIR refuses a DIR that exists and is not empty (exit 4, nothing written)', async () => {
    const { mkdtempSync, writeFileSync, readdirSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
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

  it('the demo stops at the first step that does not go as expected', async () => {
    const { mkdtempSync, mkdirSync, readdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'smki-demo-home-'));
    const home = join(dir, 'home');
    try {
      // An empty folder is a fresh home: the demo runs in it.
      mkdirSync(home);
      const r0 = await smki(['--home', home, 'demo', '--json']);
      assert.equal(r0.code, 0, r0.stderr);
      // An empty folder that cannot be written: init fails, so nothing after it may run.
      rmSync(home, { recursive: true, force: true });
      mkdirSync(home, { mode: 0o500 });
      if (process.getuid?.() === 0) return; // root writes anyway
      const r = await smki(['--home', home, 'demo', '--json']);
      assert.equal(r.code, 1);
      assert.equal(r.json.ok, false);
      assert.equal(r.json.steps.length, 1, JSON.stringify(r.json.steps.map((s: { title: string }) => s.title)));
      assert.match(r.stderr, /Stopped at step 1/);
      assert.deepEqual(readdirSync(home), []);
      if (r.json?.artefacts) rmSync(dirname(r.json.artefacts), { recursive: true, force: true });
      if (r0.json?.artefacts) rmSync(dirname(r0.json.artefacts), { recursive: true, force: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
