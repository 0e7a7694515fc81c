import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homePaths } from '../../src/registry/home.js';
import { Registry } from '../../src/registry/registry.js';
import { tempDir } from '../support/cli.js';

function freshRegistry() {
  const t = tempDir();
  const paths = homePaths(t.dir);
  mkdirSync(paths.keysDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(paths.auditKey, key.toString('hex'), { mode: 0o600 });
  const reg = Registry.create(paths, key);
  for (let i = 0; i < 5; i++) reg.tx(() => reg.audit.append(new Date(), 'tester', 'test.step', `S${i}`, { i }));
  return { reg, t, paths };
}

describe('registry/audit', () => {
  let ctx: ReturnType<typeof freshRegistry>;
  beforeEach(() => { ctx = freshRegistry(); });
  afterEach(() => { ctx.reg.close(); ctx.t.cleanup(); });

  it('an untouched chain verifies', () => {
    const v = ctx.reg.audit.verify();
    assert.equal(v.records, 5);
    assert.deepEqual(v.problems, []);
  });

  it('detects an edited record', () => {
    ctx.reg.db.prepare("UPDATE audit SET actor = 'mallory' WHERE seq = 3").run();
    assert.match(ctx.reg.audit.verify().problems[0]!.problem, /edited/);
  });

  it('detects an edited record whose hash was recomputed (MAC)', () => {
    const r = ctx.reg.db.prepare("SELECT * FROM audit WHERE seq = 5").get() as auditModule.AuditRecord;
    const { recordHash } = awaitImport();
    const h = recordHash({ ...r, actor: 'mallory' });
    ctx.reg.db.prepare("UPDATE audit SET actor = 'mallory', hash = ? WHERE seq = 5").run(h);
    const problems = ctx.reg.audit.verify().problems.map((p) => p.problem).join('; ');
    assert.match(problems, /MAC does not verify/);
  });

  it('detects a deleted record', () => {
    ctx.reg.db.prepare('DELETE FROM audit WHERE seq = 2').run();
    assert.ok(ctx.reg.audit.verify().problems.some((p) => /deleted|chain broken/.test(p.problem)));
  });

  it('detects an inserted record', () => {
    ctx.reg.db.prepare('UPDATE audit SET seq = -(seq + 1) WHERE seq >= 3').run();
    ctx.reg.db.prepare('UPDATE audit SET seq = -seq WHERE seq < 0').run();
    ctx.reg.db.prepare("INSERT INTO audit (seq, at, actor, action, subject, details, prev_hash, hash, mac) VALUES (3, '2026-01-01T00:00:00.000Z', 'x', 'x', 'x', '{}', 'aa', 'bb', 'cc')").run();
    assert.ok(ctx.reg.audit.verify().problems.length > 0);
  });

  it('detects reordered records', () => {
    ctx.reg.db.prepare('UPDATE audit SET seq = -1 WHERE seq = 2').run();
    ctx.reg.db.prepare('UPDATE audit SET seq = 2 WHERE seq = 3').run();
    ctx.reg.db.prepare('UPDATE audit SET seq = 3 WHERE seq = -1').run();
    assert.ok(ctx.reg.audit.verify().problems.some((p) => /chain broken/.test(p.problem)));
  });

  it('detects a truncated tail through the checkpoint', () => {
    ctx.reg.db.prepare('DELETE FROM audit WHERE seq >= 4').run();
    assert.match(ctx.reg.audit.verify().problems[0]!.problem, /tail truncated/);
  });

  it('detects an edited or missing checkpoint', () => {
    const cp = JSON.parse(readFileSync(ctx.paths.checkpoint, 'utf8'));
    writeFileSync(ctx.paths.checkpoint, JSON.stringify({ ...cp, seq: 3 }));
    assert.match(ctx.reg.audit.verify().problems[0]!.problem, /checkpoint does not verify/);
  });

  it('a rolled-back change leaves neither the change nor its audit record', () => {
    assert.throws(() => ctx.reg.tx(() => {
      ctx.reg.audit.append(new Date(), 'tester', 'doomed', 'X');
      throw new Error('crash mid-transaction');
    }));
    assert.equal(ctx.reg.audit.verify().records, 5);
    assert.deepEqual(ctx.reg.audit.verify().problems, []);
  });

  it('refuses to append outside a transaction', () => {
    assert.throws(() => ctx.reg.audit.append(new Date(), 'a', 'b', 'c'), /inside a registry transaction/);
  });

  // audit verify reads SQLite's own JSON of each record (src/registry/audit.ts FAST_CHAIN_SQL): text
  // it could render otherwise than JSON.stringify, or values of another type, must still verify or fail
  // exactly as the record-by-record check decides.
  it('verifies records whose text needs JSON escapes, and finds an edit among them', () => {
    const texts = ['quote " and \\ back', 'tab\tnew\nline\u0001', 'caf\u00e9 \u{1F600} \u2028', 'nul\u0000inside'];
    ctx.reg.tx(() => { for (const t of texts) ctx.reg.audit.append(new Date(), t, 'test.text', t, { t }); });
    assert.deepEqual(ctx.reg.audit.verify().problems, []);
    ctx.reg.db.prepare("UPDATE audit SET subject = 'caf\u00e9 \u{1F600} \u2029' WHERE seq = 8").run();
    assert.deepEqual(ctx.reg.audit.verify().problems.map((p) => [p.seq, p.problem]), [[8, 'content does not match its hash (edited)']]);
  });

  it('finds a value stored as another type with the same text, and a MAC stored in capitals still verifies as before', () => {
    ctx.reg.tx(() => ctx.reg.audit.append(new Date(), '42', 'test.type', 'T'));
    ctx.reg.db.prepare('UPDATE audit SET mac = upper(mac) WHERE seq = 2').run();
    assert.deepEqual(ctx.reg.audit.verify().problems, []);
    ctx.reg.db.prepare('UPDATE audit SET actor = CAST(actor AS BLOB) WHERE seq = 6').run();
    assert.equal(ctx.reg.db.prepare('SELECT typeof(actor) FROM audit WHERE seq = 6').pluck().get(), 'blob');
    assert.deepEqual(ctx.reg.audit.verify().problems.map((p) => [p.seq, p.problem]), [[6, 'content does not match its hash (edited)']]);
  });

  it('finds a previous hash edited with a quote after it', () => {
    ctx.reg.db.prepare(`UPDATE audit SET prev_hash = prev_hash || '"' WHERE seq = 4`).run();
    assert.ok(ctx.reg.audit.verify().problems.some((p) => p.seq === 4 && /chain broken/.test(p.problem)));
  });
});

import * as auditModule from '../../src/registry/audit.js';
function awaitImport() { return auditModule; }
