// The registry on PostgreSQL (issue 14): the driver's translation and values, the URL rules (no
// password in argv, exit 4 for a bad URL, exit 1 in one line for an unreachable server), the schema
// the same as SQLite's, a row edited with another client found (exit 5), and two homes (two nodes)
// writing one registry. Needs a PostgreSQL server: SMKI_TEST_DATABASE_URL, else the local `test`
// database (.ci/run starts the server first).
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readOrganisationCertificate } from '../../src/ca/organisation-certificate.js';
import { MIGRATIONS } from '../../src/registry/migrations.js';
import { PG_BASELINE_VERSION } from '../../src/registry/pg-baseline.js';
import { PgDriver, parsePostgresUrl, translate } from '../../src/registry/pg-driver.js';
import { PROTECTED_TABLES } from '../../src/registry/row-mac.js';
import { iterateDevices } from '../../src/registry/devices.js';
import { Registry } from '../../src/registry/registry.js';
import { copyHome } from '../support/home-copy.js';
import { SUPPLIER } from '../support/scenario.js';
import { smki } from '../support/cli.js';
import { makeCsr } from '../support/csr.js';
import { testSchema } from '../support/database.js';
import { setupGateScenario, type GateScenario } from '../support/gate-scenario.js';
import { actAs } from '../support/keys.js';
import { runConcurrently } from '../support/process.js';
import { openOutside, outsideRun, query } from '../support/query.js';
import { SRP } from '../support/scenario.js';

const URL_ = process.env.SMKI_TEST_DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/test';

describe('registry/postgres: the registry on PostgreSQL', function () {
  this.timeout(240_000);
  let g: GateScenario;
  let revokedSerial: string;
  const savedUrl = process.env.SMKI_TEST_DATABASE_URL;

  before(async () => {
    // Every home this file makes is on PostgreSQL, whichever back-end the rest of the run uses.
    process.env.SMKI_TEST_DATABASE_URL = URL_;
    g = await setupGateScenario({ warning: 2, quarantine: 3 });
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const f = join(g.dir, 'second.csr');
    writeFileSync(f, (await makeCsr({ eui: SRP, keyPair: kp })).pem);
    const r = await g.run(['cert', 'issue', '--csr', f, '--profile', 'xml-sign', '--party', SRP, '--officer', g.aro, '--passphrase-file', g.pass, '--json']);
    assert.equal(r.code, 0, r.stderr);
    revokedSerial = readOrganisationCertificate(r.json.pem).serialHex;
    const revoke = await g.run(['cert', 'revoke', revokedSerial, '--reason', 'keyCompromise', '--passphrase-file', g.pass]);
    assert.equal(revoke.code, 0, revoke.stderr);
  });
  after(() => {
    if (savedUrl === undefined) delete process.env.SMKI_TEST_DATABASE_URL;
    else process.env.SMKI_TEST_DATABASE_URL = savedUrl;
    g?.cleanup();
  });

  it('a long list is read in one snapshot: a few round trips a bucket of 64 rows, not several a row', async () => {
    const home = copyHome(g.home, join(g.dir, 'many-devices'));
    const csv = join(g.dir, 'many-devices.csv');
    const lines = ['device_eui,device_type,smets,supplier_eui'];
    for (let i = 0; i < 1280; i++) lines.push(`00DB${i.toString(16).toUpperCase().padStart(12, '0')},ESME,2,${SUPPLIER}`);
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const imported = await smki(['--home', home, ...actAs('ra1'), 'device', 'import', '--file', csv]);
    assert.equal(imported.code, 0, imported.stderr);
    const reg = Registry.open(home);
    try {
      const db = reg.db as PgDriver;
      const before = db.roundTrips;
      const n = [...iterateDevices(reg)].length;
      const used = db.roundTrips - before;
      assert.ok(n >= 1280, `${n} devices`);
      // Each row checked: one snapshot, each bucket's tally and rows read once (row by row, each check
      // in a transaction of its own, it was several round trips a row and every bucket tally each time).
      assert.ok(used < n / 8, `${used} round trips for ${n} rows`);
      // The snapshot is closed again: a write goes through.
      reg.tx(() => reg.audit.append(new Date(), { name: 'test' } as never, 'test.write', 'after-list', {}));
    } finally {
      reg.close();
    }
  });

  it('the home names its database and schema; no registry.sqlite, and the CA keys stay in the home', () => {
    assert.ok(existsSync(join(g.home, 'database.json')));
    assert.ok(!existsSync(join(g.home, 'registry.sqlite')));
    assert.ok(existsSync(join(g.home, 'keys', 'audit-mac.key')));
    const db = openOutside(g.home, { readonly: true });
    try {
      assert.equal(db.dialect, 'postgres');
      assert.equal((db as PgDriver).target.schema, testSchema(g.home));
      assert.equal(db.schemaVersion(), Math.max(...MIGRATIONS.map((m) => m.version)));
    } finally {
      db.close();
    }
  });

  it('translates SQLite SQL: placeholders outside quotes, NOCASE, main.', () => {
    assert.deepEqual(translate("SELECT * FROM main.t WHERE a = ? AND b = '?' AND c = ? COLLATE NOCASE -- ?\n"), {
      text: "SELECT * FROM t WHERE a = $1 AND b = '?' AND c = $2 COLLATE smki_nocase \n",
      params: 2,
    });
  });

  it('has the tables and columns of the SQLite schema, in the same order (row MACs match across back-ends)', () => {
    const lite = new Database(':memory:');
    for (const m of MIGRATIONS) lite.exec(m.sql);
    const db = openOutside(g.home, { readonly: true });
    try {
      const tables = lite.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[];
      for (const t of tables) {
        const want = (lite.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(t) as string[]);
        assert.deepEqual(db.tableColumns(t).map((c) => c.name), want, t);
      }
      for (const t of PROTECTED_TABLES) assert.ok(tables.includes(t), t);
    } finally {
      db.close();
      lite.close();
    }
  });

  it('every migration after the PostgreSQL baseline carries PostgreSQL SQL', () => {
    for (const m of MIGRATIONS.filter((x) => x.version > PG_BASELINE_VERSION)) assert.ok(m.pg, `migration ${m.version} has no pg SQL`);
  });

  it('values come back as SQLite returns them: integers as numbers, bytea as Buffer', () => {
    const [row] = query<{ seq: number; n: number; mac: Buffer }>(g.home, 'SELECT seq, (SELECT count(*) FROM audit) AS n, row_mac AS mac FROM audit, counters LIMIT 1');
    assert.equal(typeof row!.seq, 'number');
    assert.equal(typeof row!.n, 'number');
    assert.ok(Buffer.isBuffer(row!.mac));
  });

  it('a URL with a password on the command line is refused (exit 4) and the password is never printed', async () => {
    const r = await smki(['--home', g.home, '--database', 'postgres://postgres:s3cret-pw@127.0.0.1:5432/test', 'party', 'list']);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /must not carry a password.*PGPASSWORD/);
    assert.doesNotMatch(r.stdout + r.stderr, /s3cret-pw/);
  });

  it('a bad URL is exit 4 naming it; so is a URL that names no database', async () => {
    const r = await smki(['--home', g.home, '--database', 'mysql://db/x', 'party', 'list']);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /^smki: --database must be a postgres:\/\/ URL/);
    const noDb = await smki(['--home', g.home, '--database', 'postgres://127.0.0.1', 'party', 'list']);
    assert.equal(noDb.code, 4);
    assert.match(noDb.stderr, /names no database/);
  });

  it('an unreachable server is exit 1 in one line, no stack trace', async () => {
    const r = await smki(['--home', g.home, '--database', 'postgres://postgres@127.0.0.1:1/test', 'party', 'list']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^smki: cannot connect to the registry database postgres:\/\/postgres@127\.0\.0\.1:1\/test/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  it("a revoked certificate's status set back to valid with another client: verify 5, revoke refuses (5)", async () => {
    assert.equal((await g.run(['audit', 'verify'])).code, 0);
    const sql = `UPDATE certificates SET status = 'valid', revoked_at = NULL, revocation_reason = NULL WHERE serial = '${revokedSerial}'`;
    assert.equal(outsideRun(g.home, sql), 1);
    try {
      const v = await g.run(['audit', 'verify', '--json']);
      assert.equal(v.code, 5, v.stdout + v.stderr);
      assert.ok((v.json.problems as { table?: string; row?: string }[]).some((p) => p.table === 'certificates' && new RegExp(revokedSerial).test(p.row ?? '')), v.stdout);
      const again = await g.run(['cert', 'revoke', revokedSerial, '--reason', 'superseded', '--passphrase-file', g.pass]);
      assert.equal(again.code, 5, again.stderr);
      assert.match(again.stderr, /table certificates/);
    } finally {
      // Put back as smki wrote it (the MAC is untouched): the later tests use this home.
      outsideRun(g.home, `UPDATE certificates SET status = 'revoked', revoked_at = (SELECT at FROM audit WHERE action = 'cert.revoke' ORDER BY seq DESC LIMIT 1), revocation_reason = 'keyCompromise' WHERE serial = '${revokedSerial}'`);
    }
  });

  it('iterate reads in chunks through a cursor: every row, other statements between chunks, an early stop closes it', () => {
    const db = openOutside(g.home, { readonly: true });
    try {
      let n = 0;
      for (const v of db.prepare('SELECT g FROM generate_series(1, 1234) g WHERE g > ?').pluck().iterate(0)) {
        assert.equal(v, ++n);
        if (n % 300 === 0) assert.equal(db.prepare('SELECT ? AS x').pluck().get(n), String(n));
      }
      assert.equal(n, 1234);
      for (const _ of db.prepare('SELECT g FROM generate_series(1, 2000) g').iterate()) break;
      assert.equal(db.prepare("SELECT count(*) FROM pg_cursors WHERE name LIKE 'smki_c%'").pluck().get(), 0);
      // Inside a read transaction too (audit verify's snapshot).
      const rows = db.transaction(() => [...db.prepare('SELECT seq FROM audit ORDER BY seq').pluck().iterate()], 'unlocked');
      assert.deepEqual(rows, db.prepare('SELECT seq FROM audit ORDER BY seq').pluck().all());
    } finally {
      db.close();
    }
  });

  it('registry export --to sqlite:FILE from PostgreSQL: the copy, in a home of its own, verifies and reads the same', async () => {
    const file = join(g.dir, 'exported.sqlite');
    const r = await g.run(['registry', 'export', '--to', `sqlite:${file}`, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const copy = join(g.dir, 'exported-home');
    cpSync(g.home, copy, { recursive: true, filter: (src) => !src.endsWith('database.json') });
    copyFileSync(file, join(copy, 'registry.sqlite'));
    const v = await smki(['--home', copy, 'audit', 'verify', '--json']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const source = await smki(['--home', g.home, 'audit', 'verify', '--json']);
    assert.equal(v.json.records, source.json.records);
    const list = async (home: string) => (await smki(['--home', home, 'cert', 'list', '--json'])).stdout;
    assert.equal(await list(copy), await list(g.home));
    const sqlite = new Database(join(copy, 'registry.sqlite'), { readonly: true });
    try {
      assert.equal(sqlite.prepare("SELECT action FROM audit ORDER BY seq DESC LIMIT 1").pluck().get(), 'registry.export');
    } finally {
      sqlite.close();
    }
    // PostgreSQL to PostgreSQL is refused in one line (exit 4).
    const pg = await g.run(['registry', 'export', '--to', `${URL_}?schema=t_export_refused`]);
    assert.equal(pg.code, 4, pg.stderr);
  });

  it('audit verify while two nodes write: one snapshot, no false problems', async () => {
    const node2 = join(g.dir, 'node2-verify');
    cpSync(g.home, node2, { recursive: true });
    const writes = [0, 1, 2, 3, 4, 5].map((i) => ['--home', i % 2 ? node2 : g.home, ...actAs('ra1'), 'party', 'add', '--name', `Verify Party ${i}`, '--role', 'IS', '--eui', `90B3D51F300A000${i}`]);
    const verifies = [0, 1, 2, 3].map((i) => ['--home', i % 2 ? node2 : g.home, 'audit', 'verify', '--json']);
    const results = await runConcurrently([...writes.slice(0, 3), ...verifies.slice(0, 2), ...writes.slice(3), ...verifies.slice(2)]);
    for (const r of results) assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('two homes (two nodes) on one registry: concurrent writers leave one linear chain that verifies', async () => {
    const node2 = join(g.dir, 'node2');
    cpSync(g.home, node2, { recursive: true });
    const before = query<{ n: number }>(g.home, 'SELECT count(*) AS n FROM audit')[0]!.n;
    const adds = [0, 1, 2, 3].map((i) => ['--home', i % 2 ? node2 : g.home, ...actAs('ra1'), 'party', 'add', '--name', `Node Party ${i}`, '--role', 'IS', '--eui', `90B3D51F3009000${i}`]);
    const results = await runConcurrently(adds);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const chain = query<{ seq: number; prev_hash: string; hash: string }>(g.home, 'SELECT seq, prev_hash, hash FROM audit ORDER BY seq');
    assert.ok(chain.length >= before + 4);
    for (let i = 1; i < chain.length; i++) assert.equal(chain[i]!.prev_hash, chain[i - 1]!.hash, `record ${chain[i]!.seq}`);
    assert.equal(new Set(chain.map((r) => r.prev_hash)).size, chain.length, 'no two records with one predecessor');
    for (const home of [g.home, node2]) assert.equal((await smki(['--home', home, 'audit', 'verify'])).code, 0);
  });
});
