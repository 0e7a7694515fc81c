// Evidence is never erased, and broken homes are named, not guessed (issue 13; issue 8 item 9): a lost
// or cut audit tail, a lost WAL, a wiped or dropped audit table, a 0-byte, foreign, garbage or newer
// registry, a bad MAC key and a missing keys folder are each one line with its own exit status, and no
// later command writes over them. A read-only home is still read; a full disk leaves no partial home.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { insertParty } from '../../src/registry/parties.js';
import { Registry } from '../../src/registry/registry.js';
import { passphraseFile, smki, tempDir } from '../support/cli.js';
import { actAs, adminFlags } from '../support/keys.js';
import { SqliteDriver } from '../../src/registry/sqlite-driver.js';
import { homeDatabase } from '../../src/registry/database.js';
import { homePaths } from '../../src/registry/home.js';
import { PgDriver, parsePostgresUrl } from '../../src/registry/pg-driver.js';
import { testDatabaseUrl, withTestDatabase } from '../support/database.js';
import { copyHome } from '../support/home-copy.js';
import { openOutside, outsideRun, query } from '../support/query.js';

const onPg = testDatabaseUrl() !== undefined;
/** A test of SQLite's own file (its WAL, its bytes): skipped on PostgreSQL, for the reason its title gives. */
const sqliteFileIt = onPg ? it.skip : it;

describe('registry/broken homes', function () {
  this.timeout(60_000);
  const t = tempDir();
  const base = join(t.dir, 'base');
  const pass = passphraseFile(t.dir);
  let n = 0;

  before(async () => {
    const r = await smki(['--home', base, 'init', '--passphrase-file', pass, '--ca-name', 'Broken OCA', ...adminFlags(t.dir)]);
    assert.equal(r.code, 0, r.stderr);
    for (const eui of ['90B3D51F30010000', '90B3D51F30030000']) {
      assert.equal((await smki(['--home', base, 'party', 'add', '--name', `P${eui}`, '--role', 'IS', '--eui', eui, ...actAs('ra1')])).code, 0);
    }
  });
  after(() => t.cleanup());

  function copy(): { home: string; run: (args: string[]) => ReturnType<typeof smki>; db: string } {
    const home = copyHome(base, join(t.dir, `h${++n}`));
    return { home, run: (args) => smki(['--home', home, ...actAs('ra1'), ...args]), db: join(home, 'registry.sqlite') };
  }
  const addParty = (run: (a: string[]) => ReturnType<typeof smki>, i = n) =>
    run(['party', 'add', '--name', `Later ${i}`, '--role', 'IS', '--eui', `90B3D51F3005${String(i).padStart(4, '0')}`, ...actAs('ra1')]);
  const oneLine = (r: { stderr: string }) => assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);

  describe('the audit log resists rollback', () => {
    it('every record and the checkpoint deleted: exit 5, and the next write is refused', async () => {
      const h = copy();
      outsideRun(h.home, 'DELETE FROM audit');
      rmSync(join(h.home, 'audit.checkpoint'));
      const v = await h.run(['audit', 'verify']);
      assert.equal(v.code, 5, v.stderr);
      const w = await addParty(h.run);
      assert.equal(w.code, 5, w.stderr);
      assert.equal((await h.run(['audit', 'verify'])).code, 5);
    });

    it('an older checkpoint restored with the log truncated to it: exit 5', async () => {
      const h = copy();
      const older = readFileSync(join(h.home, 'audit.checkpoint'));
      const seq = (JSON.parse(older.toString()) as { seq: number }).seq;
      assert.equal((await addParty(h.run)).code, 0);
      outsideRun(h.home, 'DELETE FROM audit WHERE seq > ?', seq);
      writeFileSync(join(h.home, 'audit.checkpoint'), older);
      const v = await h.run(['audit', 'verify', '--json']);
      assert.equal(v.code, 5, v.stdout);
      assert.match(JSON.stringify(v.json.problems), /chain ends at|rolled back/);
      assert.equal((await addParty(h.run, 900)).code, 5);
    });

    it('a dropped audit table is exit 5, not 1', async () => {
      const h = copy();
      outsideRun(h.home, 'DROP TABLE audit');
      for (const args of [['audit', 'verify'], ['cert', 'list']]) {
        const r = await h.run(args);
        assert.equal(r.code, 5, `${args.join(' ')}: ${r.stderr}`);
        oneLine(r);
      }
    });

    it('audit anchor: a whole home rolled back behind its anchor is refused; the home itself verifies with it', async () => {
      const h = copy();
      const snapshot = copyHome(h.home, join(t.dir, `snap${n}`));
      assert.equal((await addParty(h.run)).code, 0);
      const anchor = join(t.dir, `anchor${n}.json`);
      const a = await h.run(['audit', 'anchor', '--out', anchor, '--json']);
      assert.equal(a.code, 0, a.stderr);
      assert.ok(a.json.seq > 0 && a.json.records === a.json.seq && typeof a.json.mac === 'string');
      assert.equal((await h.run(['audit', 'verify', '--anchor', anchor])).code, 0);
      // The whole home put back as it was before (registry, checkpoint and all): only the anchor knows.
      assert.equal((await smki(['--home', snapshot, 'audit', 'verify'])).code, 0);
      const behind = await smki(['--home', snapshot, 'audit', 'verify', '--anchor', anchor]);
      assert.equal(behind.code, 5, behind.stderr);
      assert.match(behind.stderr, /behind its anchor/);
      // An edited anchor, or one of another home, does not verify.
      const edited = join(t.dir, `edited${n}.json`);
      writeFileSync(edited, JSON.stringify({ ...a.json, seq: 1 }));
      assert.equal((await h.run(['audit', 'verify', '--anchor', edited])).code, 5);
      assert.equal((await h.run(['audit', 'verify', '--anchor', join(t.dir, 'no-such.json')])).code, 4);
    });
  });

  describe('evidence is never erased', () => {
    it('a registry put back from an older copy under the newer checkpoint (commits lost) is exit 5, and an ordinary write after it is refused', async () => {
      const h = copy();
      const older = copyHome(h.home, join(t.dir, `older${n}`));
      assert.equal((await addParty(h.run)).code, 0);
      copyFileSync(join(h.home, 'audit.checkpoint'), join(older, 'audit.checkpoint'));
      const w = await addParty((args) => smki(['--home', older, ...actAs('ra1'), ...args]), 901);
      assert.equal(w.code, 5, w.stderr);
      assert.match(w.stderr, /behind the checkpoint/);
      assert.equal((await smki(['--home', older, 'audit', 'verify'])).code, 5);
    });

    sqliteFileIt('a WAL deleted after a crash (commits lost) is exit 5, and an ordinary write after it is refused (SQLite: its WAL file; on PostgreSQL, the test above)', async () => {
      const h = copy();
      // A process commits (to the WAL only) and dies: the WAL is then lost; the checkpoint names the lost commits.
      const reg = Registry.open(h.home);
      (reg.db as SqliteDriver).native.pragma('wal_autocheckpoint = 0');
      for (let i = 0; i < 3; i++) {
        reg.tx(() => {
          insertParty(reg, `Lost ${i}`, new Date());
          reg.audit.append(new Date(), 'ra1', 'party.add', `Lost ${i}`);
        });
      }
      const crashed = join(t.dir, `crashed${n}`);
      mkdirSync(crashed);
      for (const f of readdirSync(h.home)) if (!f.startsWith('registry.sqlite')) cpSync(join(h.home, f), join(crashed, f), { recursive: true });
      copyFileSync(h.db, join(crashed, 'registry.sqlite')); // the database file without its WAL
      reg.close();
      const w = await addParty((args) => smki(['--home', crashed, ...actAs('ra1'), ...args]));
      assert.equal(w.code, 5, w.stderr);
      assert.match(w.stderr, /behind the checkpoint/);
      assert.equal((await smki(['--home', crashed, 'audit', 'verify'])).code, 5);
    });

    /** The home's PostgreSQL schema dropped and made again by `fill` (outside smki). */
    function remakeSchema(home: string, fill = '') {
      const schema = homeDatabase(homePaths(home), undefined)!.schema;
      const db = openOutside(home);
      try {
        db.exec(`DROP SCHEMA ${schema} CASCADE; CREATE SCHEMA ${schema}; ${fill}`);
      } finally {
        db.close();
      }
    }

    (onPg ? it : it.skip)('a registry schema holding foreign tables only is exit 5 (PostgreSQL: the foreign file below)', async () => {
      const h = copy();
      remakeSchema(h.home, 'CREATE TABLE notes (x text)');
      assert.equal((await h.run(['party', 'list'])).code, 5);
      const r = await addParty(h.run);
      assert.equal(r.code, 5, r.stderr);
      oneLine(r);
    });

    it(`a registry ${onPg ? 'schema emptied (every table dropped)' : 'truncated to 0 bytes'} is exit 5, not a new registry, also for an ordinary write`, async () => {
      const h = copy();
      if (onPg) remakeSchema(h.home);
      else truncateSync(h.db, 0);
      for (const args of [['party', 'list'], ['audit', 'verify']]) {
        const r = await h.run(args);
        assert.equal(r.code, 5, `${args.join(' ')}: ${r.stderr}`);
        oneLine(r);
      }
      const w = await addParty(h.run);
      assert.equal(w.code, 5);
      if (onPg) {
        const tables = query<{ n: number }>(h.home, "SELECT COUNT(*) AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = current_schema() AND c.relkind = 'r'")[0]!.n;
        assert.equal(Number(tables), 0, 'nothing was written into the empty schema');
      } else assert.equal(statSync(h.db).size, 0, 'nothing was written into the empty file');
    });

    sqliteFileIt('a foreign file or a foreign SQLite database as the registry is exit 5 (SQLite: its file; on PostgreSQL, a schema of foreign tables)', async () => {
      const h = copy();
      writeFileSync(h.db, 'name,role\nalice,admin\n');
      assert.equal((await h.run(['party', 'list'])).code, 5);
      rmSync(h.db);
      const other = new Database(h.db);
      other.exec('CREATE TABLE notes (x TEXT)');
      other.close();
      const r = await addParty(h.run);
      assert.equal(r.code, 5, r.stderr);
      oneLine(r);
    });
  });

  describe('broken homes are named', () => {
    it('an audit MAC key that is not 64 hex digits (short, empty, garbage) is exit 5', async () => {
      for (const key of ['abcd', '', 'zz'.repeat(32)]) {
        const h = copy();
        writeFileSync(join(h.home, 'keys', 'audit-mac.key'), key);
        const r = await h.run(['audit', 'verify']);
        assert.equal(r.code, 5, `key ${JSON.stringify(key)}: ${r.stderr}`);
        assert.match(r.stderr, /not 64 hex digits/);
        oneLine(r);
      }
    });

    it('a missing keys folder is exit 5', async () => {
      const h = copy();
      rmSync(join(h.home, 'keys'), { recursive: true });
      const r = await h.run(['party', 'list']);
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stderr, /keys folder/);
    });

    it('a newer schema version is exit 4', async () => {
      const nw = copy();
      if (onPg) outsideRun(nw.home, 'UPDATE schema_version SET version = 999');
      else {
        const db = new Database(nw.db);
        db.pragma('user_version = 999');
        db.close();
      }
      const newer = await nw.run(['party', 'list']);
      assert.equal(newer.code, 4, newer.stderr);
      assert.match(newer.stderr, /newer than this smki/);
    });

    sqliteFileIt('a garbage or truncated registry is exit 5 (SQLite: its file\'s bytes; PostgreSQL keeps no file of its own)', async () => {
      const g = copy();
      writeFileSync(g.db, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(8192, 0xa5)]));
      const garbage = await g.run(['party', 'list']);
      assert.equal(garbage.code, 5, garbage.stderr);
      oneLine(garbage);
      const tr = copy();
      truncateSync(tr.db, Math.floor(statSync(tr.db).size / 3));
      const truncated = await tr.run(['audit', 'verify']);
      assert.equal(truncated.code, 5, truncated.stderr);
      oneLine(truncated);
    });

    function mountTmpfs(dir: string, size: string): boolean {
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
        return true;
      } catch (e) {
        console.log(`      (skipped: cannot mount a tmpfs here: ${(e as Error).message.split('\n')[0]})`);
        return false;
      }
    }
    const umount = (dir: string) => execFileSync('umount', ['-l', dir], { stdio: 'pipe' });

    it('a read-only home can still be read: audit verify, cert list, crl', async function () {
      const mnt = mkdtempSync(join(tmpdir(), 'smki-ro-'));
      try {
        if (!mountTmpfs(mnt, '16m')) return this.skip();
        try {
          copyHome(base, join(mnt, 'home'));
          execFileSync('mount', ['-o', 'remount,ro', mnt], { stdio: 'pipe' });
          for (const args of [['audit', 'verify'], ['cert', 'list'], ['crl']]) {
            const r = await smki(['--home', join(mnt, 'home'), ...args]);
            assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
          }
        } finally {
          umount(mnt);
        }
      } finally {
        rmSync(mnt, { recursive: true, force: true });
      }
    });

    // On PostgreSQL the registry is not in the home, so the disk is smaller: the home's files alone fill it.
    it(`init on a full disk fails with one line and leaves no partial home${onPg ? ' (PostgreSQL: and no registry in its schema)' : ''}`, async function () {
      const mnt = mkdtempSync(join(tmpdir(), 'smki-full-'));
      try {
        if (!mountTmpfs(mnt, onPg ? '8k' : '64k')) return this.skip();
        try {
          const home = join(mnt, 'home');
          const r = await smki(['--home', home, 'init', '--passphrase-file', pass, '--ca-name', 'Full OCA', ...adminFlags(t.dir, 'full')]);
          assert.notEqual(r.code, 0);
          oneLine(r);
          assert.match(r.stderr, /no space left/i);
          assert.equal(existsSync(home), false, 'no partial home');
          assert.deepEqual(readdirSync(mnt), []);
          if (onPg) {
            const db = PgDriver.connect(parsePostgresUrl(withTestDatabase(['--home', home, 'init'])[1]!, { fromArgv: true, what: 'test' }), { lockWaitMs: 60_000, readonly: true });
            try {
              assert.equal(db.tableExists('audit') || db.tableExists('schema_version'), false, 'no registry left in the schema');
            } finally {
              db.close();
            }
          }
        } finally {
          umount(mnt);
        }
      } finally {
        rmSync(mnt, { recursive: true, force: true });
      }
    });
  });
});
