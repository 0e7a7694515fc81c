// Upgrading a home made at an earlier schema (issue 10): a registry at schema 7 (row MACs, digests and
// the sealed state as smki 7 kept them) with SoLR events and alerts, opened by the current smki, is
// migrated through migration 8 (which rewrites the alerts and adds a column to solr_events) and every
// later one, and then verifies: audit chain, row MACs, digests, state. A row edited outside smki before
// the upgrade is refused by the upgrade, never sealed afresh as if smki had written it.
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { IntegrityError } from '../../src/domain/errors.js';
import type { Eui64 } from '../../src/domain/eui.js';
import { AuditLog } from '../../src/registry/audit.js';
import { listAlerts } from '../../src/registry/alerts.js';
import { countAgainstAdt } from '../../src/registry/gate.js';
import { homePaths } from '../../src/registry/home.js';
import { MIGRATIONS } from '../../src/registry/migrations.js';
import { Registry } from '../../src/registry/registry.js';
import { PROTECTED_TABLES, RowGuard } from '../../src/registry/row-mac.js';
import { findSolrEvent, revocationEventForSupplier } from '../../src/registry/solr.js';
import { findUserId } from '../../src/registry/parties.js';
import { findDevice } from '../../src/registry/devices.js';
import { insertCertificate, spkiCertified } from '../../src/registry/certificates.js';
import { passphraseFile, smki, tempDir } from '../support/cli.js';
import { SqliteDriver } from '../../src/registry/sqlite-driver.js';
import { PG_BUCKETS_VERSION } from '../../src/registry/migrations.js';
import { testDatabaseUrl } from '../support/database.js';
import { actAs, adminFlags } from '../support/keys.js';
import { openOutside, query } from '../support/query.js';

const onPg = testDatabaseUrl() !== undefined;
/** Schema 7 is SQLite's: a PostgreSQL registry starts at its baseline (schema 13, src/registry/pg-baseline.ts). */
const sqliteIt = onPg ? it.skip : it;
const pgIt = onPg ? it : it.skip;

const AUDIT_KEY = Buffer.alloc(32, 7);
/** A home at `dir` with the test audit key and a registry made by today's smki (then taken back to an earlier schema). */
function newHome(dir: string): { paths: ReturnType<typeof homePaths>; reg: Registry } {
  const paths = homePaths(dir);
  mkdirSync(paths.keysDir, { recursive: true });
  writeFileSync(paths.auditKey, AUDIT_KEY.toString('hex'), { mode: 0o600 });
  return { paths, reg: Registry.create(paths, AUDIT_KEY) };
}

/** What migration 19 added (SQLite), taken away again: for homes with no certificates, whose certified_keys digest is that of an empty table. */
const CERTIFIED_KEYS_BACK = 'DROP TABLE certified_keys;';
/** What migrations 18 and 19 added (SQLite), taken away again to make a home of an earlier schema. */
const KEY_HASHED_BACK = `${CERTIFIED_KEYS_BACK} DROP INDEX devices_key_hash; ALTER TABLE devices DROP COLUMN key_hash; DROP INDEX certificates_key_hash; ALTER TABLE certificates DROP COLUMN key_hash;`;
const SUPPLIER = '90B3D51F30010000';
const SRP = '90B3D51F300C0001';
const T = '2026-11-20T10:00:00.000Z';

/** A home whose registry is at schema `version`, with a SoLR event and two alerts, sealed as that smki sealed it. */
function homeAtSchema7(dir: string, edit?: (db: Database.Database) => void): string {
  const home = join(dir, 'home');
  const paths = homePaths(home);
  mkdirSync(paths.keysDir, { recursive: true, mode: 0o700 });
  writeFileSync(paths.auditKey, AUDIT_KEY.toString('hex'), { mode: 0o600 });
  const db = new Database(paths.db);
  db.pragma('journal_mode = WAL');
  db.transaction(() => {
    for (const m of MIGRATIONS.filter((x) => x.version <= 7)) db.exec(m.sql);
    db.pragma('user_version = 7');
  })();
  const audit = new AuditLog(new SqliteDriver(db, paths.db), AUDIT_KEY, paths.checkpoint);
  const at = new Date(T);
  // Today's AuditLog writes the columns a later migration added; its unsigned records hash as smki 7's
  // did. The columns are there only while it appends, and dropped again below.
  db.exec('ALTER TABLE audit ADD COLUMN statement TEXT; ALTER TABLE audit ADD COLUMN signature TEXT');
  db.transaction(() => {
    db.prepare("INSERT INTO parties (id, name, created_at) VALUES (1, 'Failed Energy', ?), (2, 'Shared Resources Ltd', ?)").run(T, T);
    db.prepare('INSERT INTO user_ids (eui, party_id, created_at) VALUES (?, 1, ?), (?, 2, ?)').run(SUPPLIER, T, SRP, T);
    db.prepare("INSERT INTO user_id_roles (eui, role, acting_for, created_at) VALUES (?, 'IS', NULL, ?), (?, 'SC', ?, ?)").run(SUPPLIER, T, SRP, SUPPLIER, T);
    db.prepare("INSERT INTO devices (eui, device_type, smets, supplier_eui, updated_at) VALUES ('00DB1234567890A0', 'ESME', 2, ?, ?)").run(SUPPLIER, T);
    db.prepare(`INSERT INTO solr_events (id, failed_supplier, srp_user_id, instruction_ref, starts_at, ends_at, status, recorded_by, recorded_at, approved_by, approved_at, suppliers_revoked_at, suppliers_revoked_by)
      VALUES ('SOLR-1', ?, ?, 'OFGEM-1', ?, '2026-12-20T10:00:00.000Z', 'approved', 'ra1', ?, 'ra2', ?, ?, 'ra1')`).run(SUPPLIER, SRP, T, T, T, T);
    db.prepare(`INSERT INTO alerts (id, device_eui, alert_code, received_at, supplier_eui, destination, destination_kind, solr_event_id, status, reason)
      VALUES ('ALERT-1', '00DB1234567890A0', '8F66', ?, ?, ?, 'srp', 'SOLR-1', 'routed', 'SUPPLIER_REVOKED_UNDER_SOLR'),
             ('ALERT-2', '00DB00000000009A', '8F66', ?, NULL, NULL, 'held', NULL, 'held', 'DEVICE_UNKNOWN')`).run(T, SUPPLIER, SRP, T);
    db.prepare("INSERT INTO counters (name, value) VALUES ('SOLR', 1), ('ALERT', 2)").run();
    audit.append(at, 'ra1', 'party.add', SUPPLIER);
    audit.append(at, 'ra1', 'solr.record', 'SOLR-1');
    audit.append(at, 'alerts', 'alert.route', 'ALERT-1');
    audit.append(at, 'alerts', 'alert.route', 'ALERT-2');
    // What smki 7 sealed: its protected tables (those that existed at schema 7), each row's MAC, the
    // digests and the state row bound to the audit head.
    const guard = new RowGuard(new SqliteDriver(db, paths.db), AUDIT_KEY);
    const existing = new Set((db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[]));
    guard.resealTables(PROTECTED_TABLES.filter((t) => existing.has(t)));
    db.prepare("INSERT INTO integrity_state (id, audit_seq, audit_hash, digests, mac) VALUES (1, 0, '', '', x'')").run();
    guard.flush(audit.pendingHead()!, true);
  })();
  audit.committed();
  db.exec('ALTER TABLE audit DROP COLUMN statement; ALTER TABLE audit DROP COLUMN signature');
  edit?.(db);
  audit.close();
  db.close();
  return home;
}

describe('registry/migrations: upgrading a home made at schema 7', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => { t = tempDir('smki-migrate-'); });
  afterEach(() => t.cleanup());

  sqliteIt('(SQLite: schema 7 predates the PostgreSQL baseline) migration 8 re-seals the rewritten alerts and SoLR events: audit verify and every row check pass', () => {
    const home = homeAtSchema7(t.dir);
    const reg = Registry.open(home);
    try {
      assert.equal(reg.schemaVersion(), Math.max(...MIGRATIONS.map((m) => m.version)));
      assert.deepEqual(reg.verify(), { records: 4, problems: [] });
      // The rows the upgrade rewrote are read through their row checks.
      const alerts = listAlerts(reg);
      assert.deepEqual(alerts.map((a) => [a.id, a.destinationKind, a.addressee, a.alertKind]), [['ALERT-1', 'srp', SUPPLIER, 'flags'], ['ALERT-2', 'held', null, 'flags']]);
      assert.equal(findSolrEvent(reg, 'SOLR-1')?.handoverTo, null);
      assert.equal(revocationEventForSupplier(reg, SUPPLIER as Eui64)?.id, 'SOLR-1');
      // Migration 17 counted each User ID's roles into its row.
      assert.deepEqual([SUPPLIER, SRP].map((eui) => findUserId(reg, eui as Eui64)?.roles), [['IS'], ['SC']]);
      // The upgraded home takes writes as any other: the change seals, and verify still passes.
      reg.tx(() => {
        reg.db.prepare("UPDATE alerts SET status = 'released', released_at = ? WHERE id = 'ALERT-2'").run(T);
        reg.audit.append(new Date(), 'test', 'alert.release', 'ALERT-2');
      });
      assert.deepEqual(reg.verify().problems, []);
    } finally {
      reg.close();
    }
    const again = Registry.open(home);
    try {
      assert.deepEqual(again.verify().problems, []);
    } finally {
      again.close();
    }
    // After the upgrade a role row deleted outside smki is refused where its User ID is read.
    const db = new Database(homePaths(home).db);
    db.prepare('DELETE FROM user_id_roles WHERE eui = ?').run(SRP);
    db.close();
    const upgraded = Registry.open(home);
    try {
      assert.throws(() => findUserId(upgraded, SRP as Eui64), (e: unknown) => e instanceof IntegrityError && /table user_id_roles, row eui=90B3D51F300C0001: 0 role row\(s\) where smki wrote 1/.test(e.message));
    } finally {
      upgraded.close();
    }
  });

  for (const [what, sql, table] of [
    ['an alert re-routed', "UPDATE alerts SET destination = '90B3D51F30030000' WHERE id = 'ALERT-1'", 'alerts'],
    ['an ended event reopened', "UPDATE solr_events SET ends_at = '2027-12-20T10:00:00.000Z' WHERE id = 'SOLR-1'", 'solr_events'],
    ['an alert deleted', "DELETE FROM alerts WHERE id = 'ALERT-2'", 'alerts'],
    // Migration 17 counts each User ID's role rows: a role deleted before it must not be counted as never there.
    ["the SRP's SoLRContingency role deleted", `DELETE FROM user_id_roles WHERE eui = '${SRP}'`, 'user_id_roles'],
  ] as const) {
    sqliteIt(`(SQLite: schema 7 predates the PostgreSQL baseline) ${what} outside smki before the upgrade: the upgrade refuses (exit 5), nothing is migrated`, () => {
      const home = homeAtSchema7(t.dir, (db) => db.exec(sql));
      assert.throws(() => Registry.open(home), (e: unknown) => e instanceof IntegrityError && new RegExp(`table ${table}`).test(e.message));
      const db = new Database(homePaths(home).db, { readonly: true });
      try {
        assert.equal(db.pragma('user_version', { simple: true }), 7);
      } finally {
        db.close();
      }
    });
  }

  /**
   * A PostgreSQL home as smki at schema 14 left it: its rows sealed, no bucket tallies kept (a home
   * made by this smki, put back to 14 by another client). `edit` runs outside smki before the upgrade.
   */
  async function pgHomeAt14(edit?: string): Promise<string> {
    const home = join(t.dir, 'pg-home');
    const init = await smki(['--home', home, 'init', '--passphrase-file', passphraseFile(t.dir), '--ca-name', 'Upgrade OCA', ...adminFlags(t.dir)]);
    assert.equal(init.code, 0, init.stderr);
    for (const eui of ['90B3D51F30010000', '90B3D51F30030000']) {
      assert.equal((await smki(['--home', home, 'party', 'add', '--name', `P${eui}`, '--role', 'IS', '--eui', eui, ...actAs('ra1')])).code, 0);
    }
    const db = openOutside(home);
    try {
      db.exec(`DELETE FROM integrity_buckets; UPDATE schema_version SET version = ${PG_BUCKETS_VERSION - 1}; ${edit ?? ''}`);
    } finally {
      db.close();
    }
    return home;
  }
  const pgVersion = (home: string) => Number(query<{ v: number }>(home, 'SELECT max(version) AS v FROM schema_version')[0]!.v);

  pgIt('(PostgreSQL) a home at schema 14 gets its bucket tallies at migration 15, built from its verified rows: verify passes, before and after a later write', async () => {
    const home = await pgHomeAt14();
    const reg = Registry.open(home);
    try {
      assert.equal(reg.schemaVersion(), Math.max(...MIGRATIONS.map((m) => m.version)));
      assert.deepEqual(reg.verify().problems, []);
    } finally {
      reg.close();
    }
    const buckets = query<{ name: string }>(home, 'SELECT name FROM integrity_buckets').map((r) => r.name);
    for (const table of ['parties', 'user_ids', 'operators']) assert.ok(buckets.includes(table), `no tallies for ${table}: ${buckets.join(', ')}`);
    // The tallies move with every later write: verify still passes after one.
    assert.equal((await smki(['--home', home, 'party', 'add', '--name', 'Later Ltd', '--role', 'IS', '--eui', '90B3D51F30050000', ...actAs('ra1')])).code, 0);
    const v = await smki(['--home', home, 'audit', 'verify', '--json']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  pgIt('(PostgreSQL) a row edited outside smki at schema 14: migration 15 refuses (exit 5), nothing is migrated', async () => {
    const home = await pgHomeAt14("UPDATE user_ids SET party_id = 1 WHERE eui = '90B3D51F30030000'");
    assert.throws(() => Registry.open(home), (e: unknown) => e instanceof IntegrityError && /table user_ids/.test(e.message));
    assert.equal(pgVersion(home), PG_BUCKETS_VERSION - 1);
    assert.equal(query(home, 'SELECT 1 FROM integrity_buckets').length, 0);
  });
});

describe('registry migration 16: ADT minute counts tallied by minute', () => {
  const t = tempDir('smki-migrate-16-');
  after(() => t.cleanup());

  /** A SQLite home as smki at schema 15 left it: minute counts sealed, no tallies for them. `edit` runs outside smki first. */
  function homeAt15(name: string, edit?: string): string {
    const { paths, reg } = newHome(join(t.dir, name));
    try {
      for (const minutesAgo of [300, 200, 2]) {
        const at = new Date(Date.now() - minutesAgo * 60_000);
        reg.tx(() => {
          countAgainstAdt(reg, SRP, SUPPLIER, '1.6', at);
          reg.audit.append(at, { name: 'test' } as never, 'sr.accept', `r${minutesAgo}`, {});
        });
      }
    } finally {
      reg.close();
    }
    const db = new Database(paths.db);
    try {
      // Back to 15: what later migrations added goes too (this home has no User IDs, whose MACs it would change).
      db.exec(`DELETE FROM integrity_buckets WHERE name = 'adt_minute_counts'; ALTER TABLE user_ids DROP COLUMN role_count; ${KEY_HASHED_BACK} ${edit ?? ''}`);
      db.pragma('user_version = 15');
    } finally {
      db.close();
    }
    return paths.dir;
  }

  sqliteIt('a home at schema 15 gets its minute tallies from its verified rows: verify passes, and a minute count deleted later is found', () => {
    const home = homeAt15('ok');
    const reg = Registry.open(home);
    try {
      assert.equal(reg.schemaVersion(), Math.max(...MIGRATIONS.map((m) => m.version)));
      assert.deepEqual(reg.verify().problems, []);
    } finally {
      reg.close();
    }
    assert.ok(query(home, "SELECT 1 FROM integrity_buckets WHERE name = 'adt_minute_counts'").length >= 1);
    const db = new Database(homePaths(home).db);
    db.exec('DELETE FROM adt_minute_counts WHERE n = 1 AND minute = (SELECT min(minute) FROM adt_minute_counts)');
    db.close();
    const after16 = Registry.open(home);
    try {
      assert.ok(after16.verify().problems.some((p) => p.table === 'adt_minute_counts'));
    } finally {
      after16.close();
    }
  });

  sqliteIt('a minute count edited outside smki at schema 15: migration 16 refuses (IntegrityError), nothing is migrated', () => {
    const home = homeAt15('edited', 'UPDATE adt_minute_counts SET n = 0');
    assert.throws(() => Registry.open(home), (e: unknown) => e instanceof IntegrityError && /table adt_minute_counts/.test(e.message));
    assert.equal(query<{ user_version: number }>(home, 'PRAGMA user_version')[0]!.user_version, 15);
  });
});

describe('registry migration 18: devices and certificates tallied by key hash', function () {
  this.timeout(120_000);
  const t = tempDir('smki-migrate-18-');
  after(() => t.cleanup());

  /** A SQLite home with Devices, as smki at schema 17 left it (tallied by rowid). `edit` runs outside smki first. */
  function homeAt17(name: string, edit?: string): string {
    const { paths, reg } = newHome(join(t.dir, name));
    try {
      reg.tx(() => {
        reg.db.prepare("INSERT INTO parties (id, name, created_at) VALUES (1, 'Failed Energy', ?)").run(T);
        reg.db.prepare("INSERT INTO user_ids (eui, party_id, created_at, role_count) VALUES (?, 1, ?, 1)").run(SUPPLIER, T);
        reg.db.prepare("INSERT INTO user_id_roles (eui, role, acting_for, created_at) VALUES (?, 'IS', NULL, ?)").run(SUPPLIER, T);
        const ins = reg.db.prepare("INSERT INTO devices (eui, device_type, smets, supplier_eui, updated_at) VALUES (?, 'ESME', 2, ?, ?)");
        for (let i = 0; i < 200; i++) ins.run(`00DB${i.toString(16).toUpperCase().padStart(12, '0')}`, SUPPLIER, T);
        reg.audit.append(new Date(T), { name: 'test' } as never, 'device.import', 'devices', {});
      });
    } finally {
      reg.close();
    }
    const db = new Database(paths.db);
    try {
      // Back to 17: no key_hash, the rows sealed and tallied by rowid as smki 17 sealed them, bound to the audit head.
      db.exec(KEY_HASHED_BACK);
      const guard = new RowGuard(new SqliteDriver(db, paths.db), AUDIT_KEY);
      db.transaction(() => {
        guard.resealTables(['devices', 'certificates']);
        guard.flush(db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string }, true);
      })();
      db.pragma('user_version = 17');
      if (edit) db.exec(edit);
    } finally {
      db.close();
    }
    return paths.dir;
  }

  sqliteIt('a home at schema 17 gets its key-hash tallies from its verified rows: verify passes, and a Device deleted later is refused where it is looked up', () => {
    const home = homeAt17('ok');
    assert.equal(query(home, "SELECT 1 FROM pragma_table_xinfo('devices') WHERE name = 'key_hash'").length, 0);
    const reg = Registry.open(home);
    try {
      assert.equal(reg.schemaVersion(), Math.max(...MIGRATIONS.map((m) => m.version)));
      assert.deepEqual(reg.verify().problems, []);
      assert.equal(findDevice(reg, '00DB000000000007' as Eui64)?.supplierEui, SUPPLIER);
    } finally {
      reg.close();
    }
    const db = new Database(homePaths(home).db);
    db.exec("DELETE FROM devices WHERE eui = '00DB000000000007'");
    db.close();
    const after18 = Registry.open(home);
    try {
      assert.throws(() => findDevice(after18, '00DB000000000007' as Eui64), (e: unknown) => e instanceof IntegrityError && /table devices/.test(e.message));
      // A Device that never was is still just unknown.
      assert.equal(findDevice(after18, '00DB0000DEADBEEF' as Eui64), undefined);
    } finally {
      after18.close();
    }
  });

  sqliteIt('a Device deleted outside smki at schema 17: migration 18 refuses (IntegrityError), nothing is migrated', () => {
    const home = homeAt17('deleted', "DELETE FROM devices WHERE eui = '00DB000000000007'");
    assert.throws(() => Registry.open(home), (e: unknown) => e instanceof IntegrityError && /table devices/.test(e.message));
    assert.equal(query<{ user_version: number }>(home, 'PRAGMA user_version')[0]!.user_version, 17);
  });
});

describe('registry migration 19: certified keys in a table of their own', function () {
  this.timeout(120_000);
  const t = tempDir('smki-migrate-19-');
  after(() => t.cleanup());
  const spki = (n: number) => `${n.toString(16).padStart(60, '0')}${(0x1000 + n).toString(16)}`;
  const serial = (n: number) => `6E${n.toString(16).padStart(30, '0')}`.toUpperCase();

  /** A SQLite home with 100 certificates, as smki at schema 18 left it (no certified_keys). `edit` runs outside smki first. */
  function homeAt18(name: string, edit?: string): string {
    const { paths, reg } = newHome(join(t.dir, name));
    try {
      reg.tx(() => {
        reg.db.prepare("INSERT INTO parties (id, name, created_at) VALUES (1, 'Shared Resources', ?)").run(T);
        reg.db.prepare("INSERT INTO user_ids (eui, party_id, created_at, role_count) VALUES (?, 1, ?, 1)").run(SRP, T);
        reg.db.prepare("INSERT INTO user_id_roles (eui, role, acting_for, created_at) VALUES (?, 'SC', NULL, ?)").run(SRP, T);
        for (let n = 0; n < 100; n++) {
          insertCertificate(reg, {
            serial: serial(n), userId: SRP as Eui64, profile: 'xml-sign', roleOu: '87', keyUsage: 'digitalSignature', spkiSha256: spki(n),
            issuerDer: Buffer.from('issuer'), notBefore: T, notAfter: T, der: Buffer.from(`cert ${n}`), source: 'issued', officerId: null, createdAt: T,
          });
        }
        reg.audit.append(new Date(T), { name: 'test' } as never, 'cert.issue', 'many', {});
      });
    } finally {
      reg.close();
    }
    const db = new Database(paths.db);
    try {
      // Back to 18: no certified_keys, its digest and tallies gone, the state bound to the audit head again.
      db.exec("DROP TABLE certified_keys; DELETE FROM integrity_digests WHERE name = 'certified_keys'; DELETE FROM integrity_buckets WHERE name = 'certified_keys'");
      const guard = new RowGuard(new SqliteDriver(db, paths.db), AUDIT_KEY);
      db.transaction(() => guard.flush(db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string }, true))();
      db.pragma('user_version = 18');
      if (edit) db.exec(edit);
    } finally {
      db.close();
    }
    return paths.dir;
  }

  sqliteIt("a home at schema 18 gets every certificate's key, sealed and tallied: verify passes, and a key deleted later is refused where issuance looks it up", () => {
    const home = homeAt18('ok');
    const reg = Registry.open(home);
    try {
      assert.equal(reg.schemaVersion(), Math.max(...MIGRATIONS.map((m) => m.version)));
      assert.deepEqual(reg.verify().problems, []);
      assert.equal(reg.tx(() => spkiCertified(reg, spki(42))), serial(42));
    } finally {
      reg.close();
    }
    assert.equal(query<{ n: number }>(home, 'SELECT count(*) AS n FROM certified_keys')[0]!.n, 100);
    const db = new Database(homePaths(home).db);
    db.exec(`DELETE FROM certified_keys WHERE serial = '${serial(42)}'; DELETE FROM certificates WHERE serial = '${serial(42)}'`);
    db.close();
    const after19 = Registry.open(home);
    try {
      assert.throws(() => after19.tx(() => spkiCertified(after19, spki(42))), (e: unknown) => e instanceof IntegrityError && /table certified_keys/.test(e.message));
    } finally {
      after19.close();
    }
  });

  sqliteIt("a certificate's key edited outside smki at schema 18: migration 19 refuses (IntegrityError) rather than copy it, nothing is migrated", () => {
    const home = homeAt18('edited', `UPDATE certificates SET spki_sha256 = '${'f'.repeat(64)}' WHERE serial = '${serial(0)}'`);
    assert.throws(() => Registry.open(home), (e: unknown) => e instanceof IntegrityError && /table certificates/.test(e.message));
    assert.equal(query<{ user_version: number }>(home, 'PRAGMA user_version')[0]!.user_version, 18);
    assert.equal(query(home, "SELECT 1 FROM sqlite_schema WHERE name = 'certified_keys'").length, 0);
  });
});
