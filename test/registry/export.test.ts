// smki registry export --to (issue 14): a home's registry copied, row for row, into an empty registry
// on another back-end; the copy verifies under the same keys and checkpoint, takes new commands, and
// holds the record of its own making. A non-empty target is refused (exit 4), a tampered source too
// (exit 5), and so is anyone who is not a registered RA operator; none of them leaves a target behind.
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { smki } from '../support/cli.js';
import { testDatabaseUrl } from '../support/database.js';
import { copyHome } from '../support/home-copy.js';
import { ESME, setupGateScenario, type GateScenario } from '../support/gate-scenario.js';
import { actAs, personKey } from '../support/keys.js';
import { outsideRun, query } from '../support/query.js';
import { registryDigest } from '../support/scenario.js';

const CV4 = 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML';

/** A second home with the same keys, CA files and checkpoint as `home`, and no registry of its own yet (no database.json either). */
function homeBeside(home: string, dir: string): string {
  cpSync(home, dir, { recursive: true, filter: (src) => !/(registry\.sqlite(-wal|-shm)?|database\.json)$/.test(src) });
  return dir;
}

describe('registry export --to', function () {
  this.timeout(300_000);
  let g: GateScenario;
  let n = 0;
  const newHome = () => homeBeside(g.home, join(g.dir, `copy-${++n}`));
  const exportTo = (to: string, home = g.home, as = actAs('ra1')) => smki(['--home', home, ...as, 'registry', 'export', '--to', to, '--json']);

  before(async () => {
    g = await setupGateScenario({ warning: 1, quarantine: 2 });
    // Decisions of every kind, a quarantined request, a replay counter, an ADT count, a CRL.
    const r = await g.check([1n, 2n, 3n, 2n].map((c) => g.write('x.xml', g.request(CV4, 100n + c, ESME))));
    assert.deepEqual(r.json.map((o: { decision: string }) => o.decision), ['accept', 'accept', 'quarantine', 'refuse'], r.stdout);
  });
  after(() => g?.cleanup());

  it('to a new SQLite file: every row as stored, and the copy verifies under the home\'s keys and checkpoint', async () => {
    const copy = newHome();
    const r = await exportTo(`sqlite:${join(copy, 'registry.sqlite')}`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.backend, 'sqlite');
    assert.equal(r.json.to, join(copy, 'registry.sqlite'));
    const sourceRows = (t: string) => query<{ n: number }>(g.home, `SELECT COUNT(*) AS n FROM ${t}`)[0]!.n;
    for (const t of r.json.tables as { name: string; rows: number }[]) assert.equal(t.rows, sourceRows(t.name), t.name);
    assert.ok((r.json.tables as { name: string; rows: number }[]).find((t) => t.name === 'sr_quarantine')!.rows > 0);
    // The source's last record is the export itself, signed by ra1, and the copy holds it too.
    const last = query<{ seq: number; action: string; actor: string; subject: string; statement: string | null }>(g.home, 'SELECT seq, action, actor, subject, statement FROM audit ORDER BY seq DESC LIMIT 1')[0]!;
    assert.deepEqual([last.action, last.actor, last.subject, last.seq], ['registry.export', 'ra1', join(copy, 'registry.sqlite'), r.json.auditSeq]);
    assert.ok(last.statement);
    // From PostgreSQL the copy differs only where the back-ends do (PostgreSQL's rowid column, SQLite's own tables).
    const portable = testDatabaseUrl() !== undefined;
    assert.equal(registryDigest(copy, { portable }), registryDigest(g.home, { portable }), 'the copy holds the same rows (rowids, MACs, integrity state) as the source');
    const v = await smki(['--home', copy, 'audit', 'verify', '--json']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.json.records, r.json.auditRecords);
    assert.equal(statSync(join(copy, 'registry.sqlite')).mode & 0o777, 0o600);
    // The copy is a registry smki works on: the gate decides on it (the replay counter came along) and it still verifies.
    const next = await smki(['--home', copy, 'sr', 'check', g.write('y.xml', g.request(CV4, 102n, ESME)), '--json']);
    assert.deepEqual(next.json.items[0].reasons.map((x: { code: string }) => x.code), ['REPLAY']);
    assert.equal((await smki(['--home', copy, 'audit', 'verify'])).code, 0);
  });

  it('to PostgreSQL: a new schema takes every row as stored, a home naming it verifies and works, a second export there is refused (a home on PostgreSQL: exit 4, through an SQLite copy)', async function () {
    const base = testDatabaseUrl() || 'postgres://postgres@127.0.0.1:5432/test';
    const schema = `t_export_${process.pid}_${Date.now().toString(36)}`;
    const u = new URL(base);
    u.searchParams.set('schema', schema);
    const url = u.toString();
    let source = g.home;
    if (testDatabaseUrl()) {
      // PostgreSQL to PostgreSQL is refused before anything is written; the way is through SQLite.
      const direct = await exportTo(url);
      assert.equal(direct.code, 4, direct.stderr);
      assert.match(direct.stderr, /the registry is on PostgreSQL already/);
      source = newHome();
      assert.equal((await exportTo(`sqlite:${join(source, 'registry.sqlite')}`)).code, 0);
    }
    const r = await exportTo(url, source);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.backend, 'postgres');
    const copy = homeBeside(source, join(g.dir, `copy-${++n}`));
    writeFileSync(join(copy, 'database.json'), `${JSON.stringify({ url: base, schema }, null, 2)}\n`, { mode: 0o600 });
    const sourceRows = (t: string) => query<{ n: number }>(source, `SELECT COUNT(*) AS n FROM ${t}`)[0]!.n;
    for (const t of r.json.tables as { name: string; rows: number }[]) {
      if (t.name === 'sqlite_sequence') continue;
      assert.equal(Number(query<{ n: number | string }>(copy, `SELECT COUNT(*) AS n FROM ${t.name}`)[0]!.n), sourceRows(t.name), t.name);
    }
    const v = await smki(['--home', copy, 'audit', 'verify', '--json']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.json.records, r.json.auditRecords);
    // The copy decides like the source (the replay counter came along) and stays whole after a write.
    const next = await smki(['--home', copy, 'sr', 'check', g.write('pg.xml', g.request(CV4, 102n, ESME)), '--json']);
    assert.deepEqual(next.json.items[0].reasons.map((x: { code: string }) => x.code), ['REPLAY']);
    { const v2 = await smki(["--home", copy, "audit", "verify"]); assert.equal(v2.code, 0, v2.stdout + v2.stderr); }
    const again = await exportTo(url, source);
    assert.equal(again.code, 4, again.stderr);
    assert.match(again.stderr, /is not empty/);
  });

  it('refuses a target that is not empty, naming it (exit 4), and changes neither side', async () => {
    const copy = newHome();
    const file = join(copy, 'registry.sqlite');
    assert.equal((await exportTo(`sqlite:${file}`)).code, 0);
    const source = registryDigest(g.home);
    const target = registryDigest(copy);
    const again = await exportTo(`sqlite:${file}`);
    assert.equal(again.code, 4, again.stderr);
    assert.match(again.stderr, new RegExp(`--to: ${file} is not empty`));
    assert.equal(registryDigest(g.home), source, 'no export record for a refused export');
    assert.equal(registryDigest(copy), target);
    // A file that is not a registry at all is refused too, and left as it was.
    const other = join(g.dir, 'notes.sqlite');
    writeFileSync(other, 'not a database\n');
    const foreign = await exportTo(`sqlite:${other}`);
    assert.equal(foreign.code, 4);
    assert.match(foreign.stderr, /notes\.sqlite is not empty and not an SQLite database/);
  });

  it('refuses a tampered source (exit 5) before anything is written anywhere', async () => {
    const tampered = join(g.dir, 'tampered');
    copyHome(g.home, tampered);
    outsideRun(tampered, "UPDATE sr_decisions SET decision = 'accept' WHERE decision = 'quarantine'");
    const before = registryDigest(tampered);
    const target = join(g.dir, 'from-tampered.sqlite');
    const r = await exportTo(`sqlite:${target}`, tampered);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /not exporting a registry that does not verify: table sr_decisions/);
    assert.equal(existsSync(target), false);
    assert.equal(registryDigest(tampered), before);
  });

  it('is a registry change: an unregistered key is refused (exit 3) and no target is left behind', async () => {
    const stranger = personKey(g.dir, 'stranger');
    const target = join(g.dir, 'by-stranger.sqlite');
    const before = registryDigest(g.home);
    const r = await exportTo(`sqlite:${target}`, g.home, ['--as', stranger.key]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /OPERATOR_KEY_UNKNOWN/);
    assert.equal(existsSync(target), false);
    assert.equal(registryDigest(g.home), before);
  });

  it('names what is wrong with --to in one line (exit 4): no back-end named, a password in the URL', async () => {
    const plain = await exportTo(join(g.dir, 'plain.sqlite'));
    assert.equal(plain.code, 4);
    assert.match(plain.stderr, /^smki: --to: .*plain\.sqlite names no back-end: use sqlite:FILE or postgres:\/\/user@host\/database\n$/);
    const secret = await exportTo('postgres://smki:hunter2@127.0.0.1:5432/smki');
    assert.equal(secret.code, 4);
    assert.match(secret.stderr, /must not carry a password/);
    assert.doesNotMatch(secret.stderr, /hunter2/);
    const dir = join(g.dir, 'a-folder');
    mkdirSync(dir);
    const folder = await exportTo(`sqlite:${dir}`);
    assert.equal(folder.code, 4);
    assert.match(folder.stderr, /is not a file/);
    assert.deepEqual(readdirSync(dir), []);
    rmSync(dir, { recursive: true });
  });
});
