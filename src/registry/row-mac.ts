// Registry state is evidence too (DESIGN.md "Trust boundaries"). Every row of a protected table carries
// a MAC (`row_mac`) under a key derived from the audit key, so a row edited or inserted outside smki
// no longer verifies; each table's row count and XOR of its row MACs (its digest) are kept in
// `integrity_digests`, so a deleted row, or a row put back from an older copy, no longer adds up; and
// one MACed `integrity_state` row binds every digest to the audit chain's head, so a table rolled
// back together with its digest does not add up either (and the checkpoint and `audit anchor` bind
// the head to the world outside the database).
//
// Buckets: the rows of a rowid table are also tallied per bucket of 64 rowids (`integrity_buckets`:
// count and XOR of MACs; a table's buckets add up to its digest). A row checked on read is found by
// its rowid and its bucket (a rowid range of at most 64 rows) is checked against its tally, so a row
// put back whole from an older copy, with its old valid MAC, is refused on read without scanning the
// table. A deletion is found the same way where a reader asks for it (`checkTable` on a small table;
// on the large keyed tables, devices, certificates and certified_keys, `checkAbsent` checks the bucket that a key
// that was not found names: those tables are tallied by a key_hash column, src/registry/key-hash.ts).
//
// Sealing is automatic: TEMP triggers, which exist only on smki's own connection, recompute a row's
// MAC whenever smki inserts or updates it and keep the digests in step inside the same transaction.
// An edit made with any other SQLite client runs no trigger and leaves a row that does not verify.
// The gate's hot tables (HOT_TABLES) and devices (WRITER_NOTED_TABLES) are written by statements that set row_mac themselves
// (`sealValue`) and report the change (`wrote`): no trigger calls back into JS for them.
//
// What was verified (rows by key and MAC, buckets, whole small tables, the state row) is remembered
// on this connection while SQLite's `PRAGMA data_version` stays the same, i.e. until another
// connection commits: smki's own writes keep what it remembers true.
//
// To protect a new table: add its name to PROTECTED_TABLES and, in a new migration, create it with (or
// add) a nullable `row_mac BLOB` column; protection starts in the migration that adds the table to
// this list (its existing rows are sealed then). Readers call `reg.rows.check(table, row)` on every
// row they rely on, selected whole (`SELECT t.*`); readers for which a *missing* row would weaken a
// decision call `reg.rows.checkTable(table)` (small tables only) so a deletion is refused too.
import { createHash, createHmac, hash, timingSafeEqual } from 'node:crypto';
import type { Driver, Statement } from './driver.js';
import { SqliteDriver } from './sqlite-driver.js';
import { installPgSealing } from './pg-sealing.js';
import { PG_BUCKETS_VERSION } from './migrations.js';
import { IntegrityError } from '../domain/errors.js';
import { BUCKET_BITS, KEY_HASH_COLUMN, keyHash } from './key-hash.js';
import { inChunks } from '../util/chunks.js';

/** Tables whose rows decisions rely on. New security tables are added here (see above). */
export const PROTECTED_TABLES: readonly string[] = [
  'meta',
  'counters',
  'parties',
  'user_ids',
  'user_id_roles',
  'officers',
  'officer_history',
  'ca_certificates',
  'ca_certificate_history',
  'serials',
  'certificates',
  'certified_keys',
  'crls',
  'devices',
  'adt_files',
  'adt_thresholds',
  'solr_events',
  'alerts',
  'dsp_certificates',
  'sr_decisions',
  'replay_counters',
  'transforms',
  'adt_minute_counts',
  'trust_anchors',
  'sr_quarantine',
  'operators',
  'retired_crls',
];

/**
 * Tables written only by src/registry/gate.ts, whose statements set row_mac (`sealValue`) and report
 * the change (`wrote`): no digest trigger fires for them on insert or update.
 */
export const HOT_TABLES: ReadonlySet<string> = new Set(['sr_decisions', 'replay_counters', 'transforms', 'adt_minute_counts']);

/**
 * Tables whose writers set row_mac themselves and report the change (`wrote`, `wroteInserts`), so no
 * trigger calls back into JS per row: the hot tables, devices (a device import writes a million rows
 * in one statement after another, src/registry/devices.ts), and the certificates and certified_keys
 * inserts of issuance and registration (src/registry/certificates.ts; serials, written by issuance
 * before schema 19, likewise). A write that leaves row_mac NULL or unchanged is still
 * sealed by trigger, its digest moved in the same call.
 */
export const WRITER_NOTED_TABLES: ReadonlySet<string> = new Set([...HOT_TABLES, 'devices', 'serials', 'certificates', 'certified_keys']);

/**
 * WITHOUT ROWID tables tallied by bucket all the same, by an integer column that orders them as their
 * readers do: a bucket of adt_minute_counts is 64 minutes of every originator's counts, so the gate
 * can check that no minute row of its ADT window was deleted by checking the window's buckets alone.
 */
const BUCKET_COLUMNS: Readonly<Record<string, string>> = { adt_minute_counts: 'minute' };

/**
 * Large rowid tables looked up by key and tallied by their key_hash column (from migration
 * 18, src/registry/key-hash.ts; certified_keys, by SPKI digest, from 19): a look-up that finds
 * nothing checks the bucket its key names (`checkAbsent`), so a row deleted outside smki is
 * refused, not read as unknown.
 */
export const KEY_HASHED_TABLES: ReadonlySet<string> = new Set(['devices', 'certificates', 'certified_keys']);

const MAC_BYTES = 16;
/** Buckets verified by one query of checkBatch (the chunk a long list is read in names at most this many). */
export const BATCH_BUCKETS = 256;
const EMPTY_DIGEST = Buffer.alloc(MAC_BYTES);
/**
 * The sizes of the statements that move bucket tallies at a commit: a read names the smallest size at
 * least as large as its buckets (a gate decision's commit moves one bucket of each table it wrote, an
 * issuance batch a few hundred); writes go in groups of these sizes, largest first.
 */
const BUCKET_GROUPS = [BATCH_BUCKETS, 64, 16, 4, 1];

/**
 * The number of slots a padded `IN (...)` read of `n` values takes: the smallest of BUCKET_GROUPS that
 * holds them (n itself above the largest), so that few statements are prepared and a short list does
 * not pay for 256 values (SQLite sorts every value of an IN list, repeats included).
 */
export function paddedSize(n: number): number {
  return n > BATCH_BUCKETS ? n : BUCKET_GROUPS.reduce((best, g) => (g >= n ? g : best));
}

function marks(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

function upsertBuckets(rows: number): string {
  const values = Array.from({ length: rows }, () => '(?, ?, ?, ?)').join(', ');
  return `INSERT INTO integrity_buckets (name, bucket, rows, digest) VALUES ${values} ON CONFLICT (name, bucket) DO UPDATE SET rows = excluded.rows, digest = excluded.digest`;
}
export { BUCKET_BITS };

export interface RowProblem {
  table: string;
  /** The row named by its primary key (`serial=0A1B`), or by rowid; null for a whole-table problem. */
  row: string | null;
  problem: string;
}

interface TableShape {
  columns: string[];
  /** `|column:` for each column, as the row's canonical text names it. */
  columnTags: string[];
  /** The MAC key (hex) followed by the table's name: every row's MAC text starts with it. */
  macPrefix: string;
  keyColumns: string[];
  withoutRowid: boolean;
  /** The key column that is the rowid (INTEGER PRIMARY KEY), if any. */
  rowidColumn: string | undefined;
  /** The column whose value >> BUCKET_BITS names a row's bucket: `rowid`, a BUCKET_COLUMNS column, or none. */
  bucketColumn: string | undefined;
}

interface Tally {
  rows: number;
  xor: Buffer;
}

interface DigestRow {
  name: string;
  rows: number;
  digest: Buffer;
}

const ROWS_REMEMBERED = 16_384;

/** A verified row's key in its table's set (the MAC as a 16-character string). */
function macKey(mac: Buffer): string {
  return mac.toString('latin1');
}

function bucketOf(rowid: number | bigint): number {
  // A number rowid is exact below 2^53; floor division is the same arithmetic shift as BigInt's.
  return typeof rowid === 'number' ? Math.floor(rowid / (1 << BUCKET_BITS)) : Number(rowid >> BigInt(BUCKET_BITS));
}

function xorInto(acc: Buffer, mac: Buffer): void {
  for (let i = 0; i < MAC_BYTES; i++) acc[i]! ^= mac[i] ?? 0;
}

function sameBytes(a: Buffer | null | undefined, b: Buffer): boolean {
  return Buffer.isBuffer(a) && a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The row's canonical text: table, then each non-NULL column as name, type and (length-prefixed)
 * value. NULLs are left out, so adding a nullable column keeps every existing MAC valid. `s` is
 * the text so far (the MAC key and the table, TableShape.macPrefix), `tag` the column's `|name:`.
 */
function appendValue(s: string, tag: string, v: unknown): string {
  if (v === null || v === undefined) return s;
  if (typeof v === 'string') return s + tag + 's' + v.length + ':' + v;
  if (typeof v === 'number' || typeof v === 'bigint') return s + tag + 'n' + String(v);
  if (Buffer.isBuffer(v)) return s + tag + 'b' + v.length + ':' + v.toString('hex');
  if (v instanceof Uint8Array) return s + tag + 'b' + v.length + ':' + Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex');
  return s + tag + '?' + String(v);
}

/** The MAC text of a row given as the values of its columns in order. */
function encodeValues(shape: TableShape, values: readonly unknown[]): string {
  let s = shape.macPrefix;
  for (let i = 0; i < shape.columns.length; i++) s = appendValue(s, shape.columnTags[i]!, values[i]);
  return s;
}

/** The MAC text of a row given by column name (columns it lacks are NULL). */
function encodeFields(shape: TableShape, row: Record<string, unknown>): string {
  let s = shape.macPrefix;
  for (let i = 0; i < shape.columns.length; i++) s = appendValue(s, shape.columnTags[i]!, row[shape.columns[i]!]);
  return s;
}

/** Keyed SHA-384 of the text (which starts with the key), first 128 bits. */
function macOfText(text: string): Buffer {
  return hash('sha384', text, 'buffer').subarray(0, MAC_BYTES);
}

/** A row's name in reports: its primary key, else its rowid. */
function rowName(shape: TableShape, row: Record<string, unknown>): string {
  if (shape.keyColumns.length) return shape.keyColumns.map((c) => `${c}=${String(row[c])}`).join(',');
  return row.__rowid === undefined ? '(no key)' : `rowid=${String(row.__rowid)}`;
}

export class RowGuard {
  /** The MAC key: keyed SHA-384 (a secret prefix; SHA-384 cannot be length-extended), first 128 bits. */
  private readonly keyHex: string;
  private readonly shapes = new Map<string, TableShape>();
  /** Digest changes made inside the open transaction, per table. */
  private readonly deltas = new Map<string, Tally>();
  /** Bucket tally changes made inside the open transaction, per table and bucket. */
  private readonly bucketDeltas = new Map<string, Map<number, Tally>>();
  /**
   * What was verified while no other connection committed (the same `PRAGMA data_version`): smki's own
   * writes seal and tally as they go, so the state row, a whole table checked once (`checkTable`), a
   * table's buckets against its digest, a bucket against its rows, and a row whose exact content and
   * MAC were checked once need not be checked again until another connection commits.
   */
  private epoch: number | undefined;
  private stateVerified = false;
  private readonly tablesVerified = new Set<string>();
  private readonly bucketListsVerified = new Set<string>();
  /** Per table: its buckets verified, and its rows verified by MAC (`macKey`); rowsRemembered counts the latter. */
  private readonly bucketsVerified = new Map<string, Set<number>>();
  private readonly rowsVerified = new Map<string, Set<string>>();
  private rowsRemembered = 0;
  private epochCheckedInTx = false;
  private installed = false;
  private stateStmt: Statement | undefined;
  private readonly statements = new Map<string, Statement>();

  /** Prepared once per connection (the gate checks small tables on every request). */
  private stmt(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }
  private digestsStmt: Statement | undefined;

  constructor(
    private readonly db: Driver,
    auditKey: Buffer,
    /** Off only for `npm run bench`'s before/after line: no sealing, no checks. */
    readonly enabled: boolean = true,
  ) {
    this.keyHex = createHmac('sha256', auditKey).update('smki registry row MAC v1').digest('hex');
  }

  mac(table: string, values: readonly unknown[]): Buffer {
    return macOfText(encodeValues(this.shape(table), values));
  }

  /**
   * The MAC of a row about to be inserted, for an INSERT that sets row_mac itself (the hot tables: no
   * sealing UPDATE after it). `row` holds the column values by name; columns it lacks are NULL.
   */
  sealValue(table: string, row: object): Buffer | null {
    if (!this.enabled) return null;
    const mac = macOfText(encodeFields(this.shape(table), row as Record<string, unknown>));
    // smki wrote this content under this MAC: reading it back needs no check while no other connection
    // commits. Not kept for the hot tables: their writers keep the row for the rest of the transaction
    // (src/registry/gate.ts `slot`), decisions are not read back, and a set of every decision's MAC
    // cost the gate more than the one check a later transaction's read makes.
    if (this.inRegistryTx() && !HOT_TABLES.has(table)) this.rememberRow(table, mac);
    return mac;
  }

  /**
   * A statement on a WRITER_NOTED_TABLES table set row_mac itself: the row at `oldRowid` with `oldMac` (null
   * for an insert) is now at `newRowid` with `newMac` (null for a delete). "Rowid" is the row's bucket
   * key: its rowid, its key_hash (KEY_HASHED_TABLES) or its BUCKET_COLUMNS value; null for none.
   */
  wrote(table: string, oldRowid: number | bigint | null, oldMac: Buffer | null, newRowid: number | bigint | null, newMac: Buffer | null): void {
    if (!this.enabled) return;
    // On PostgreSQL every change already reaches noteChange through pg-sealing's record of it.
    if (!(this.db instanceof SqliteDriver)) return;
    this.noteChange(table, oldRowid, oldMac, newRowid, newMac);
  }

  /**
   * Bulk `wrote` for rows a statement inserted with row_mac set (a WRITER_NOTED_TABLES table): row i
   * with bucket key `bucketKeys[i]` (its rowid or key_hash) and `macs[i]`. The digest and the bucket
   * tallies move once per run of rows in one bucket, not per row.
   */
  wroteInserts(table: string, bucketKeys: ArrayLike<number>, macs: readonly Buffer[]): void {
    if (!this.enabled || !(this.db instanceof SqliteDriver) || macs.length === 0) return;
    const sum = Buffer.alloc(MAC_BYTES);
    let byBucket = this.bucketDeltas.get(table);
    if (!byBucket) {
      byBucket = new Map();
      this.bucketDeltas.set(table, byBucket);
    }
    // Straight into each bucket's delta: rows in key order fall in a new key-hash bucket nearly every row.
    for (let i = 0; i < macs.length; i++) {
      const b = Math.floor(bucketKeys[i]! / (1 << BUCKET_BITS));
      let d = byBucket.get(b);
      if (!d) {
        d = { rows: 0, xor: Buffer.alloc(MAC_BYTES) };
        byBucket.set(b, d);
      }
      d.rows++;
      xorInto(d.xor, macs[i]!);
      xorInto(sum, macs[i]!);
    }
    let d = this.deltas.get(table);
    if (!d) {
      d = { rows: 0, xor: Buffer.alloc(MAC_BYTES) };
      this.deltas.set(table, d);
    }
    d.rows += macs.length;
    xorInto(d.xor, sum);
  }

  /** The MAC of each row about to be written by a statement that sets row_mac itself (columns by name; null when checks are off). */
  sealValues(table: string, rows: readonly object[]): (Buffer | null)[] {
    if (!this.enabled) return rows.map(() => null);
    const shape = this.shape(table);
    return rows.map((row) => macOfText(encodeFields(shape, row as Record<string, unknown>)));
  }

  /** Also re-seals the given tables (after a migration that rewrote their rows). */
  resealTables(tables: readonly string[]): void {
    if (!this.enabled) return;
    for (const t of tables) {
      this.shapes.delete(t);
      this.db.prepare('DELETE FROM integrity_digests WHERE name = ?').run(t);
      if (this.hasBuckets()) this.db.prepare('DELETE FROM integrity_buckets WHERE name = ?').run(t);
    }
    this.sealTables(tables);
  }

  private macOfRow(table: string, row: Record<string, unknown>): Buffer {
    return macOfText(encodeFields(this.shape(table), row));
  }

  private shape(table: string): TableShape {
    let s = this.shapes.get(table);
    if (!s) {
      const info = this.db.tableColumns(table);
      if (info.length === 0) throw new IntegrityError(`the registry has no table ${table} (dropped or never created)`, { table });
      const keyColumns = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
      const withoutRowid = this.db.withoutRowid(table);
      const types = this.db instanceof SqliteDriver ? (this.db.native.prepare('SELECT name, upper(type) AS type FROM pragma_table_info(?)').all(table) as { name: string; type: string }[]) : [];
      const single = keyColumns.length === 1 ? types.find((c) => c.name === keyColumns[0]) : undefined;
      const columns = info.filter((c) => c.name !== 'row_mac').map((c) => c.name);
      s = {
        columns,
        columnTags: columns.map((c) => `|${c}:`),
        macPrefix: this.keyHex + table,
        keyColumns,
        withoutRowid,
        rowidColumn: !withoutRowid && single?.type === 'INTEGER' ? single.name : undefined,
        // Before its upgrade (a registry only read) a keyed table is still tallied by rowid.
        bucketColumn: KEY_HASHED_TABLES.has(table) && this.db.columnExists(table, KEY_HASH_COLUMN) ? KEY_HASH_COLUMN : withoutRowid ? BUCKET_COLUMNS[table] : 'rowid',
      };
      if (!info.some((c) => c.name === 'row_mac')) throw new Error(`protected table ${table} has no row_mac column (add it in a migration)`);
      this.shapes.set(table, s);
    }
    return s;
  }

  /** SQL that computes the MAC of a row whose columns are named `prefix + column` (for INSERT ... SELECT). */
  macSql(table: string, prefix = ''): string {
    this.install();
    return `smki_row_mac('${table}', ${this.shape(table).columns.map((c) => `${prefix}${c}`).join(', ')})`;
  }

  /**
   * SQL that is 1 when the row named `prefix + column` is as smki wrote it and throws otherwise: for
   * an upsert that sets row_mac itself (its DO UPDATE ... WHERE), which the sealing trigger skips.
   */
  checkSql(table: string, prefix = ''): string {
    this.install();
    return `smki_row_check('${table}', ${prefix}row_mac, ${this.shape(table).columns.map((c) => `${prefix}${c}`).join(', ')})`;
  }

  /** Registers the SQL functions and the sealing triggers on this connection (after migration). */
  install(): void {
    if (!this.enabled || this.installed) return;
    if (!(this.db instanceof SqliteDriver)) {
      // PostgreSQL: sealed in this process after each write (src/registry/pg-sealing.ts); the key stays here.
      installPgSealing(this.db, {
        mac: (t, row) => this.macOfRow(t, row),
        check: (t, row) => void this.check(t, row),
        bucketKey: (t, row) => {
          const k = bucketKeyOf(this.shape(t), row);
          return k === undefined ? null : Number(k);
        },
        note: (t, oldRowid, removed, newRowid, added) => this.noteChange(t, oldRowid, removed, newRowid, added),
      }, PROTECTED_TABLES);
      this.installed = true;
      return;
    }
    const native = this.db.native;
    native.function('smki_row_mac', { deterministic: true, varargs: true }, (table: unknown, ...values: unknown[]) => this.mac(String(table), values));
    // Throws when the row about to be changed is not as smki wrote it: no smki write launders an edit.
    native.function('smki_row_check', { varargs: true }, (table: unknown, mac: unknown, ...values: unknown[]) => {
      const t = String(table);
      if (!sameBytes(mac as Buffer | null, this.mac(t, values))) {
        const shape = this.shape(t);
        const row = Object.fromEntries(shape.columns.map((c, i) => [c, values[i]]));
        throw integrityError([{ table: t, row: rowName(shape, row), problem: problemOf(mac) }]);
      }
      return 1;
    });
    native.function('smki_row_digest', { varargs: false }, (table: unknown, oldRowid: unknown, removed: unknown, newRowid: unknown, added: unknown) => {
      this.noteChange(String(table), oldRowid as number | null, removed as Buffer | null, newRowid as number | null, added as Buffer | null);
      return null;
    });
    // A hot table's row sealed by trigger (a write from outside gate.ts): its MAC, its digest moved here.
    native.function('smki_row_seal', { varargs: true }, (table: unknown, oldRowid: unknown, oldMac: unknown, newRowid: unknown, ...values: unknown[]) => {
      const t = String(table);
      const mac = this.mac(t, values);
      this.noteChange(t, oldRowid as number | null, oldMac as Buffer | null, newRowid as number | null, mac);
      return mac;
    });
    const ddl: string[] = [];
    for (const t of PROTECTED_TABLES) {
      const s = this.shape(t);
      const macNew = `smki_row_mac('${t}', ${s.columns.map((c) => `NEW.${c}`).join(', ')})`;
      const checkOld = `smki_row_check('${t}', OLD.row_mac, ${s.columns.map((c) => `OLD.${c}`).join(', ')})`;
      const where = s.withoutRowid ? s.keyColumns.map((c) => `${c} = NEW.${c}`).join(' AND ') : 'rowid = NEW.rowid';
      // What names the row's bucket (rowid, or its BUCKET_COLUMNS column) is handed on with its MAC.
      const oldRowid = s.bucketColumn ? `OLD.${s.bucketColumn}` : 'NULL';
      const newRowid = s.bucketColumn ? `NEW.${s.bucketColumn}` : 'NULL';
      if (WRITER_NOTED_TABLES.has(t)) {
        // Written with row_mac set (and the change reported by `wrote`); any other write is
        // sealed here and its digest moved in the same call, so no trigger fires for gate.ts's writes.
        const seal = (o: string, om: string) => `smki_row_seal('${t}', ${o}, ${om}, ${newRowid}, ${s.columns.map((c) => `NEW.${c}`).join(', ')})`;
        ddl.push(
          `CREATE TEMP TRIGGER IF NOT EXISTS smki_seal_ins_${t} AFTER INSERT ON main.${t} WHEN NEW.row_mac IS NULL BEGIN
             UPDATE main.${t} SET row_mac = ${seal('NULL', 'NULL')} WHERE ${where}; END`,
          `CREATE TEMP TRIGGER IF NOT EXISTS smki_seal_upd_${t} AFTER UPDATE ON main.${t} WHEN NEW.row_mac IS OLD.row_mac BEGIN
             SELECT ${checkOld};
             UPDATE main.${t} SET row_mac = ${seal(oldRowid, 'OLD.row_mac')} WHERE ${where}; END`,
        );
      } else {
        ddl.push(
          `CREATE TEMP TRIGGER IF NOT EXISTS smki_seal_ins_${t} AFTER INSERT ON main.${t} WHEN NEW.row_mac IS NULL BEGIN
             UPDATE main.${t} SET row_mac = ${macNew} WHERE ${where}; END`,
          `CREATE TEMP TRIGGER IF NOT EXISTS smki_note_ins_${t} AFTER INSERT ON main.${t} WHEN NEW.row_mac IS NOT NULL BEGIN
             SELECT smki_row_digest('${t}', NULL, NULL, ${newRowid}, NEW.row_mac); END`,
          // An UPDATE that left row_mac alone changed the row: seal it again. The sealing UPDATE (and an
          // upsert that set row_mac itself) then runs the note trigger, which moves the digest.
          `CREATE TEMP TRIGGER IF NOT EXISTS smki_seal_upd_${t} AFTER UPDATE ON main.${t} WHEN NEW.row_mac IS OLD.row_mac BEGIN
             SELECT ${checkOld};
             UPDATE main.${t} SET row_mac = ${macNew} WHERE ${where}; END`,
          `CREATE TEMP TRIGGER IF NOT EXISTS smki_note_upd_${t} AFTER UPDATE ON main.${t} WHEN NEW.row_mac IS NOT OLD.row_mac BEGIN
             SELECT smki_row_digest('${t}', ${oldRowid}, OLD.row_mac, ${newRowid}, NEW.row_mac); END`,
        );
      }
      ddl.push(
        `CREATE TEMP TRIGGER IF NOT EXISTS smki_note_del_${t} AFTER DELETE ON main.${t} BEGIN
           SELECT smki_row_digest('${t}', ${oldRowid}, OLD.row_mac, NULL, NULL); END`,
      );
    }
    this.db.exec(ddl.join(';\n'));
    this.installed = true;
  }

  private noteChange(table: string, oldRowid: number | bigint | null, removed: Buffer | null, newRowid: number | bigint | null, added: Buffer | null): void {
    let d = this.deltas.get(table);
    if (!d) {
      d = { rows: 0, xor: Buffer.alloc(MAC_BYTES) };
      this.deltas.set(table, d);
    }
    if (removed) {
      d.rows--;
      xorInto(d.xor, removed);
      if (oldRowid !== null && oldRowid !== undefined) this.noteBucket(table, bucketOf(oldRowid), -1, removed);
    }
    if (added) {
      d.rows++;
      xorInto(d.xor, added);
      if (newRowid !== null && newRowid !== undefined) this.noteBucket(table, bucketOf(newRowid), 1, added);
    }
  }

  private noteBucket(table: string, bucket: number, rows: number, mac: Buffer): void {
    let byBucket = this.bucketDeltas.get(table);
    if (!byBucket) {
      byBucket = new Map();
      this.bucketDeltas.set(table, byBucket);
    }
    let d = byBucket.get(bucket);
    if (!d) {
      d = { rows: 0, xor: Buffer.alloc(MAC_BYTES) };
      byBucket.set(bucket, d);
    }
    d.rows += rows;
    xorInto(d.xor, mac);
  }

  // ---- the digests and the state row ------------------------------------------------------------

  private readDigests(): DigestRow[] {
    this.digestsStmt ??= this.db.prepare('SELECT name, rows, digest FROM integrity_digests ORDER BY name');
    return this.digestsStmt.all() as DigestRow[];
  }

  private digestsHash(rows: DigestRow[]): string {
    const h = createHash('sha256');
    for (const r of rows) h.update(`${r.name}|${r.rows}|${Buffer.from(r.digest).toString('hex')};`);
    return h.digest('hex');
  }

  /**
   * Moves the tallies of up to BATCH_BUCKETS buckets of one table by this transaction's changes: their
   * tallies read in one query and written in groups (an issuance batch of 100 certificates changes
   * about 200 key-hash buckets, which took 400 statements one bucket at a time).
   */
  private flushBuckets(table: string, deltas: [number, Tally][]): void {
    // One read, padded with the first bucket to a size of BUCKET_GROUPS (IN is unchanged by repeats).
    const size = paddedSize(deltas.length);
    const slots = Array.from({ length: size }, (_, i) => (deltas[i] ?? deltas[0]!)[0]);
    const kept = new Map<number, { rows: number; digest: Buffer }>();
    for (const r of this.stmt(`SELECT bucket, rows, digest FROM integrity_buckets WHERE name = ? AND bucket IN (${marks(size)})`).all(table, ...slots) as { bucket: number; rows: number; digest: Buffer }[]) {
      kept.set(Number(r.bucket), { rows: Number(r.rows), digest: r.digest });
    }
    const puts: unknown[] = [];
    for (const [bucket, d] of deltas) {
      const row = kept.get(bucket);
      const digest = Buffer.from(row?.digest ?? EMPTY_DIGEST);
      xorInto(digest, d.xor);
      const rows = (row?.rows ?? 0) + d.rows;
      if (rows === 0 && digest.equals(EMPTY_DIGEST)) this.stmt('DELETE FROM integrity_buckets WHERE name = ? AND bucket = ?').run(table, bucket);
      else puts.push(table, bucket, rows, digest);
    }
    // In groups of BUCKET_GROUPS rows, largest first: a few statements, each prepared once.
    for (let i = 0; i < puts.length; ) {
      const left = (puts.length - i) / 4;
      const n = BUCKET_GROUPS.find((g) => g <= left)!;
      this.stmt(upsertBuckets(n)).run(...puts.slice(i, i + 4 * n));
      i += 4 * n;
    }
  }

  private stateMac(seq: number, auditHash: string, digests: string): Buffer {
    return macOfText(`${this.keyHex}integrity_state|${seq}|${auditHash}|${digests}`);
  }

  /**
   * Called at the end of every registry transaction, inside it: moves the digests of the tables this
   * transaction changed and binds them, with the audit head, into the state row.
   */
  flush(head: { seq: number; hash: string }, headMoved: boolean): void {
    if (!this.enabled) return;
    this.forgetTx();
    if (this.bucketDeltas.size) {
      for (const [table, byBucket] of this.bucketDeltas) for (const chunk of inChunks(byBucket, BATCH_BUCKETS)) this.flushBuckets(table, chunk);
      this.bucketDeltas.clear();
    }
    if (this.deltas.size === 0 && !headMoved) return;
    const upd = this.stmt('UPDATE integrity_digests SET rows = ?, digest = ? WHERE name = ?');
    const current = new Map(this.readDigests().map((r) => [r.name, r]));
    for (const [table, d] of this.deltas) {
      const row = current.get(table);
      if (!row) throw new IntegrityError(`integrity digest of table ${table} is missing`, { table });
      const digest = Buffer.from(row.digest);
      xorInto(digest, d.xor);
      upd.run(row.rows + d.rows, digest, table);
      current.set(table, { name: table, rows: row.rows + d.rows, digest });
    }
    this.deltas.clear();
    const digests = this.digestsHash([...current.values()].sort((a, b) => (a.name < b.name ? -1 : 1)));
    this.stmt('UPDATE integrity_state SET audit_seq = ?, audit_hash = ?, digests = ?, mac = ? WHERE id = 1')
      .run(head.seq, head.hash, digests, this.stateMac(head.seq, head.hash, digests));
  }

  /** A transaction was rolled back: its digest changes went with it, and what it verified is forgotten. */
  rolledBack(): void {
    this.deltas.clear();
    this.bucketDeltas.clear();
    this.forgetTx();
    this.forgetEpoch();
  }

  /** Inside a registry transaction (`reg.tx`, which holds the write lock from its start). */
  private inRegistryTx(): boolean {
    return this.txHead !== undefined && this.db.inTransaction;
  }

  private forgetTx(): void {
    this.txHead = undefined;
    this.epochCheckedInTx = false;
  }

  private forgetEpoch(): void {
    this.epoch = undefined;
    this.stateVerified = false;
    this.tablesVerified.clear();
    this.bucketListsVerified.clear();
    this.bucketsVerified.clear();
    this.rowsVerified.clear();
    this.rowsRemembered = 0;
    this.queriesVerified.clear();
  }

  private readonly queriesVerified = new Set<string>();

  /**
   * Runs `verify` (which checks the rows of one query on read, throwing on a problem) once per `key`
   * while no other connection commits: smki's own writes are sealed as they go, so the query's rows
   * stay as verified and its aggregate can be read in SQL. For many rows read again and again (the
   * gate's ADT window).
   */
  verifyOnce(key: string, verify: () => void): void {
    if (!this.enabled) return;
    this.syncEpoch();
    if (this.queriesVerified.has(key)) return;
    verify();
    if (this.queriesVerified.size >= 4096) this.queriesVerified.clear();
    this.queriesVerified.add(key);
  }

  /**
   * SQLite's data_version changes when another connection commits: then nothing verified before is
   * trusted any more. Inside a registry transaction (which holds the write lock) asked once.
   */
  private syncEpoch(): void {
    if (this.epochCheckedInTx && this.inRegistryTx()) return;
    if (!(this.db instanceof SqliteDriver)) {
      // PostgreSQL has no data_version: what was verified is remembered inside one transaction (or
      // read snapshot, Driver.openSnapshot) only, which holds the write lock or reads one snapshot.
      const t = this.db.transactionId;
      if (t === undefined || t !== this.epoch) {
        this.forgetEpoch();
        this.epoch = t;
      }
      if (this.inRegistryTx()) this.epochCheckedInTx = true;
      return;
    }
    this.dataVersionStmt ??= this.db.prepare('PRAGMA data_version').pluck();
    const v = this.dataVersionStmt.get() as number;
    if (v !== this.epoch) {
      this.forgetEpoch();
      this.epoch = v;
    }
    if (this.inRegistryTx()) this.epochCheckedInTx = true;
  }

  private dataVersionStmt: Statement | undefined;

  /** The state row's problems against the audit head and the digests (cheap: no table is scanned). */
  stateProblems(head: { seq: number; hash: string }): RowProblem[] {
    if (!this.enabled) return [];
    this.stateStmt ??= this.db.prepare('SELECT audit_seq, audit_hash, digests, mac FROM integrity_state WHERE id = 1');
    const s = this.stateStmt.get() as { audit_seq: number; audit_hash: string; digests: string; mac: Buffer } | undefined;
    if (!s) return [{ table: 'integrity_state', row: null, problem: 'the integrity state row is missing (deleted outside smki)' }];
    if (!sameBytes(s.mac, this.stateMac(s.audit_seq, s.audit_hash, s.digests))) {
      return [{ table: 'integrity_state', row: 'id=1', problem: 'the integrity state does not verify (edited outside smki)' }];
    }
    const problems: RowProblem[] = [];
    if (s.audit_seq !== head.seq || s.audit_hash !== head.hash) {
      problems.push({
        table: 'audit',
        row: null,
        problem: `the registry state was last sealed at audit record ${s.audit_seq}, but the chain ends at ${head.seq} (audit records deleted, or the registry rolled back)`,
      });
    }
    const digests = this.readDigests();
    const names = new Set(digests.map((d) => d.name));
    for (const t of PROTECTED_TABLES) {
      if (!names.has(t)) problems.push({ table: t, row: null, problem: 'its integrity digest is missing (deleted outside smki)' });
    }
    if (this.digestsHash(digests) !== s.digests) {
      problems.push({ table: 'integrity_digests', row: null, problem: 'the table digests do not match the sealed state (a table and its digest rolled back or edited)' });
    }
    return problems;
  }

  /** The audit head when the open transaction began (the state row was sealed at it). */
  private txHead: { seq: number; hash: string } | undefined;

  /** Called by the registry as a transaction begins. */
  txStarted(head: { seq: number; hash: string }): void {
    this.forgetTx();
    this.txHead = head;
    if (this.enabled) this.syncEpoch();
  }

  private requireState(): void {
    this.syncEpoch();
    if (this.stateVerified) return;
    const head = (this.db.inTransaction ? this.txHead : undefined) ?? (this.stmt('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined) ?? { seq: 0, hash: '0'.repeat(64) };
    const problems = this.stateProblems(head);
    if (problems.length) throw integrityError(problems);
    // Inside a transaction the state row may already hold this transaction's pending changes only at
    // flush, which keeps it true; outside one the next commit by another connection moves the epoch.
    this.stateVerified = true;
  }

  /** The table's bucket tallies add up to its digest (which the verified state row binds). */
  private requireBucketList(table: string): void {
    if (this.bucketListsVerified.has(table)) return;
    this.requireState();
    const problems = this.bucketListProblems(table);
    if (problems.length) throw integrityError(problems);
    this.bucketListsVerified.add(table);
  }

  private bucketListProblems(table: string): RowProblem[] {
    // The digest (k = 0) and every bucket tally (k = 1) in one query: one round trip on PostgreSQL.
    const rows = this.stmt(
      'SELECT 0 AS k, rows, digest FROM integrity_digests WHERE name = ? UNION ALL SELECT 1 AS k, rows, digest FROM integrity_buckets WHERE name = ?',
    ).all(table, table) as { k: number; rows: number; digest: Buffer }[];
    const kept = rows.find((r) => Number(r.k) === 0);
    if (!kept) return [{ table, row: null, problem: 'its integrity digest is missing (deleted outside smki)' }];
    const sum = { rows: 0, xor: Buffer.alloc(MAC_BYTES) };
    for (const b of rows) {
      if (Number(b.k) !== 1) continue;
      sum.rows += Number(b.rows);
      xorInto(sum.xor, b.digest);
    }
    if (sum.rows !== kept.rows || !sum.xor.equals(Buffer.from(kept.digest))) {
      return [{ table, row: null, problem: 'its bucket tallies do not add up to its digest (integrity_buckets edited, or rows and their tallies restored from an older copy)' }];
    }
    return [];
  }

  /**
   * No row with a bucket key (BUCKET_COLUMNS, or rowid) in [from, to] was deleted, moved or restored
   * outside smki: each bucket in that range adds up to its tally. For a reader that sums rows of a
   * range, where a missing row would weaken its decision (the gate's ADT window, by minute).
   */
  checkBuckets(table: string, from: number, to: number): void {
    if (!this.enabled || !this.hasBuckets()) return;
    this.syncEpoch();
    const shape = this.shape(table);
    if (!shape.bucketColumn) throw new Error(`table ${table} has no buckets to check`);
    const first = bucketOf(from);
    const last = bucketOf(to);
    // Inside a transaction (the gate's): the range's rows and tallies in two queries, not two a bucket.
    if (this.db.inTransaction && last > first) return this.verifyBucketRange(table, shape, first, last);
    for (let b = first; b <= last; b++) this.requireBucket(table, shape, b, undefined);
  }

  /** verifyBucket for every bucket in [first, last] not yet verified, reading the range at once. */
  private verifyBucketRange(table: string, shape: TableShape, first: number, last: number): void {
    const verified = this.bucketsVerified.get(table);
    const todo: number[] = [];
    for (let b = first; b <= last; b++) if (!verified?.has(b)) todo.push(b);
    if (todo.length === 0) return;
    this.requireBucketList(table);
    const lo = todo[0]!;
    const hi = todo[todo.length - 1]!;
    const by = shape.bucketColumn!;
    const actual = new Map<number, Tally>();
    for (const r of this.stmt(`SELECT ${by} AS __key, row_mac FROM main.${table} WHERE ${by} >= ? AND ${by} < ?`).all(lo << BUCKET_BITS, (hi + 1) << BUCKET_BITS) as { __key: number | bigint; row_mac: Buffer | null }[]) {
      const b = bucketOf(r.__key);
      let t = actual.get(b);
      if (!t) actual.set(b, (t = { rows: 0, xor: Buffer.alloc(MAC_BYTES) }));
      t.rows++;
      if (Buffer.isBuffer(r.row_mac) && r.row_mac.length === MAC_BYTES) xorInto(t.xor, r.row_mac);
    }
    const kept = new Map<number, { rows: number; digest: Buffer }>();
    for (const k of this.stmt('SELECT bucket, rows, digest FROM integrity_buckets WHERE name = ? AND bucket >= ? AND bucket <= ?').all(table, lo, hi) as { bucket: number; rows: number; digest: Buffer }[]) {
      kept.set(Number(k.bucket), k);
    }
    for (const b of todo) this.compareBucket(table, shape, b, actual.get(b) ?? { rows: 0, xor: Buffer.alloc(MAC_BYTES) }, kept.get(b), undefined);
  }

  /**
   * No row after `lastKey` (the table's last row as read, by rowid; undefined for none) was deleted
   * outside smki: every bucket from lastKey's to the last one tallied adds up. For readers that rely on
   * the newest row of an append-only table (the next CRL Number follows the newest CRL's).
   */
  checkTail(table: string, lastKey: number | undefined): void {
    if (!this.enabled || !this.hasBuckets()) return;
    this.syncEpoch();
    const shape = this.shape(table);
    if (!shape.bucketColumn) throw new Error(`table ${table} has no buckets to check`);
    let last = (this.stmt('SELECT max(bucket) AS b FROM integrity_buckets WHERE name = ?').get(table) as { b: number | null }).b ?? -1;
    if (this.db.inTransaction) for (const b of this.bucketDeltas.get(table)?.keys() ?? []) last = Math.max(last, b);
    // The tallies listed are checked against the digest first (requireBucket): none can be dropped unseen.
    for (let b = lastKey === undefined ? 0 : bucketOf(lastKey); b <= last; b++) this.requireBucket(table, shape, b, undefined);
    if (last < 0) this.requireBucketList(table);
  }

  /** The rows of one bucket are those smki wrote: their count and XOR match the bucket's tally. */
  private requireBucket(table: string, shape: TableShape, bucket: number, row: Record<string, unknown> | undefined): void {
    if (this.bucketsVerified.get(table)?.has(bucket)) return;
    this.consistently(() => this.verifyBucket(table, shape, bucket, row));
  }

  /** Runs `verify` (reads of tallies and rows that must agree) as if in one snapshot. */
  private consistently(verify: () => void): void {
    // PostgreSQL outside a transaction: the tallies and the bucket's rows are read in one snapshot
    // (REPEATABLE READ; a caller iterating over rows reads through a WITH HOLD cursor, which outlives it).
    if (!this.db.inTransaction && !(this.db instanceof SqliteDriver)) {
      this.db.transaction(verify, 'unlocked');
      return;
    }
    // Outside a transaction the state row, the tallies and the bucket's rows are read statement by
    // statement (no BEGIN: the caller may be iterating over rows): a mismatch counts only if no other
    // connection committed while they were read (data_version unchanged), else they are read again.
    if (!this.db.inTransaction) {
      for (let attempt = 0; ; attempt++) {
        this.syncEpoch();
        const before = this.epoch;
        try {
          return verify();
        } catch (e) {
          this.syncEpoch();
          if (this.epoch === before || attempt >= 4) throw e;
        }
      }
    }
    verify();
  }

  /**
   * check() for each of many rows read together (a long list, in chunks): the buckets of a
   * KEY_HASHED_TABLES table that they name are verified in one query, not one query a row (a list in
   * key order names a new bucket with nearly every row).
   */
  checkBatch<T>(table: string, rows: T[]): T[] {
    if (!this.enabled || rows.length === 0) return rows;
    const shape = this.shape(table);
    if (shape.bucketColumn === KEY_HASH_COLUMN && !this.tablesVerified.has(table) && this.hasBuckets()) {
      this.syncEpoch();
      const verified = this.bucketsVerified.get(table);
      const todo = new Set<number>();
      for (const r of rows) {
        const k = bucketKeyOf(shape, r as Record<string, unknown>);
        if (k !== undefined && !verified?.has(bucketOf(k))) todo.add(bucketOf(k));
      }
      if (todo.size > 1) this.consistently(() => this.verifyBucketSet(table, shape, [...todo]));
    }
    for (const r of rows) this.check(table, r);
    return rows;
  }

  /**
   * checkAbsent ahead of a batch that looks up many keys of a KEY_HASHED_TABLES table (issuance asking
   * whether each CSR's key is certified): the buckets the keys name are verified in one query each
   * BATCH_BUCKETS, so that each look-up, found or not, then meets a bucket already verified.
   */
  checkKeysAhead(table: string, keys: Iterable<string>): void {
    if (!this.enabled || !this.hasBuckets()) return;
    this.syncEpoch();
    const shape = this.shape(table);
    if (shape.bucketColumn !== KEY_HASH_COLUMN || this.tablesVerified.has(table)) return;
    const verified = this.bucketsVerified.get(table);
    const todo = new Set<number>();
    for (const k of keys) {
      const b = bucketOf(keyHash(k));
      if (!verified?.has(b)) todo.add(b);
    }
    for (const chunk of inChunks(todo, BATCH_BUCKETS)) this.consistently(() => this.verifyBucketSet(table, shape, chunk));
  }

  /** verifyBucket for each of `buckets` (of a KEY_HASHED_TABLES table, whose key_hash is bucket << BUCKET_BITS), in one query. */
  private verifyBucketSet(table: string, shape: TableShape, buckets: number[]): void {
    this.requireBucketList(table);
    // One statement for each size of set (padded with its first bucket: IN is unchanged by repeats).
    const slots = paddedSize(buckets.length);
    const padded = Array.from({ length: slots }, (_, i) => buckets[i] ?? buckets[0]!);
    const marks = padded.map(() => '?').join(', ');
    const actual = new Map<number, Tally>();
    const kept = new Map<number, { rows: number; digest: Buffer }>();
    for (const r of this.stmt(
      `SELECT 0 AS k, ${KEY_HASH_COLUMN} AS b, 0 AS n, row_mac AS d FROM main.${table} WHERE ${KEY_HASH_COLUMN} IN (${marks})
       UNION ALL SELECT 1 AS k, bucket AS b, rows AS n, digest AS d FROM integrity_buckets WHERE name = ? AND bucket IN (${marks})`,
    ).all(...padded.map((b) => b << BUCKET_BITS), table, ...padded) as { k: number; b: number; n: number; d: Buffer | null }[]) {
      if (Number(r.k) === 1) {
        kept.set(Number(r.b), { rows: Number(r.n), digest: r.d! });
        continue;
      }
      const b = bucketOf(Number(r.b));
      let t = actual.get(b);
      if (!t) actual.set(b, (t = { rows: 0, xor: Buffer.alloc(MAC_BYTES) }));
      t.rows++;
      if (Buffer.isBuffer(r.d) && r.d.length === MAC_BYTES) xorInto(t.xor, r.d);
    }
    for (const b of buckets) this.compareBucket(table, shape, b, actual.get(b) ?? { rows: 0, xor: Buffer.alloc(MAC_BYTES) }, kept.get(b), undefined);
  }

  private verifyBucket(table: string, shape: TableShape, bucket: number, row: Record<string, unknown> | undefined): void {
    this.requireBucketList(table);
    // The bucket's row MACs (k = 0) and its tally (k = 1) in one query: one round trip on PostgreSQL.
    const by = shape.bucketColumn!;
    const actual: Tally = { rows: 0, xor: Buffer.alloc(MAC_BYTES) };
    let kept: { rows: number; digest: Buffer } | undefined;
    for (const r of this.stmt(
      `SELECT 0 AS k, 0 AS n, row_mac AS d FROM main.${table} WHERE ${by} >= ? AND ${by} < ?
       UNION ALL SELECT 1 AS k, rows AS n, digest AS d FROM integrity_buckets WHERE name = ? AND bucket = ?`,
    ).all(bucket << BUCKET_BITS, (bucket + 1) << BUCKET_BITS, table, bucket) as { k: number; n: number; d: Buffer | null }[]) {
      if (Number(r.k) === 1) {
        kept = { rows: Number(r.n), digest: r.d! };
        continue;
      }
      actual.rows++;
      if (Buffer.isBuffer(r.d) && r.d.length === MAC_BYTES) xorInto(actual.xor, r.d);
    }
    this.compareBucket(table, shape, bucket, actual, kept, row);
  }

  /** Throws unless the bucket's rows (`actual`) add up to its tally (`kept`, with this transaction's changes); then remembers it. */
  private compareBucket(table: string, shape: TableShape, bucket: number, actual: Tally, kept: { rows: number; digest: Buffer } | undefined, row: Record<string, unknown> | undefined): void {
    const expected = { rows: kept?.rows ?? 0, xor: Buffer.from(kept?.digest ?? EMPTY_DIGEST) };
    const pending = this.db.inTransaction ? this.bucketDeltas.get(table)?.get(bucket) : undefined;
    if (pending) {
      expected.rows += pending.rows;
      xorInto(expected.xor, pending.xor);
    }
    if (actual.rows !== expected.rows || !actual.xor.equals(expected.xor)) {
      throw integrityError([{ table, row: row ? rowName(shape, row) : bucketRange(shape, bucket), problem: `its rows ${bucketRange(shape, bucket)} are not those smki wrote: ${actual.rows !== expected.rows ? `${actual.rows} row(s) where smki wrote ${expected.rows}` : 'a row restored from an older copy, or deleted and another put in its place'}` }]);
    }
    let verified = this.bucketsVerified.get(table);
    if (!verified) {
      verified = new Set();
      this.bucketsVerified.set(table, verified);
    }
    verified.add(bucket);
  }

  /** The rowid of a row selected whole (its INTEGER PRIMARY KEY, `rowid AS __rowid`, or looked up by its key). */
  private rowidOf(table: string, shape: TableShape, r: Record<string, unknown>): number | bigint | undefined {
    if (shape.bucketColumn !== 'rowid') return bucketKeyOf(shape, r);
    if (typeof r.__rowid === 'number' || typeof r.__rowid === 'bigint') return r.__rowid;
    if (shape.rowidColumn) return r[shape.rowidColumn] as number;
    // PostgreSQL: rowid is a column of its own, so a row selected whole carries it (no look-up a row).
    if (!(this.db instanceof SqliteDriver) && (typeof r.rowid === 'number' || typeof r.rowid === 'bigint')) return r.rowid;
    if (!shape.keyColumns.length) return undefined;
    const v = this.stmt(`SELECT rowid FROM main.${table} WHERE ${shape.keyColumns.map((c) => `${c} = ?`).join(' AND ')}`).pluck().get(...shape.keyColumns.map((c) => r[c])) as number | undefined;
    return v;
  }

  // ---- checks on read -----------------------------------------------------------------------------

  /**
   * A look-up of `key` in a KEY_HASHED_TABLES table found nothing: throws IntegrityError (exit 5) if a
   * row was deleted from the bucket the key names, or another put in its place (each row there is
   * checked too), so the caller may treat the key as never registered.
   */
  checkAbsent(table: string, key: string): void {
    if (!this.enabled || !this.hasBuckets()) return;
    this.syncEpoch();
    const shape = this.shape(table);
    if (shape.bucketColumn !== KEY_HASH_COLUMN || this.tablesVerified.has(table)) return;
    const hash = keyHash(key);
    const bucket = bucketOf(hash);
    if (this.bucketsVerified.get(table)?.has(bucket)) return;
    // Read in one snapshot with the tallies (PostgreSQL outside a transaction), as checkTable does.
    if (!this.db.inTransaction && !(this.db instanceof SqliteDriver)) return this.db.transaction(() => this.checkAbsent(table, key), 'unlocked');
    const rows = this.stmt(`SELECT * FROM main.${table} WHERE ${KEY_HASH_COLUMN} = ?`).all(hash) as Record<string, unknown>[];
    for (const r of rows) this.check(table, r);
    this.requireBucket(table, shape, bucket, undefined);
  }

  /** Throws IntegrityError (exit 5) unless `row` (selected whole) is as smki wrote it. */
  check<T>(table: string, row: T): T {
    if (!this.enabled || row === undefined || row === null) return row;
    const r = row as unknown as Record<string, unknown>;
    const stored = r.row_mac as Buffer | null;
    const shape = this.shape(table);
    this.syncEpoch();
    // While no other connection commits, a row is known by its MAC (which covers its table, key and
    // every value): its content can change only by a write of smki's own, sealed under a new MAC.
    const key = Buffer.isBuffer(stored) && stored.length === MAC_BYTES ? macKey(stored) : undefined;
    const verified = key === undefined ? undefined : this.rowsVerified.get(table);
    if (verified?.has(key!)) return row;
    if (!sameBytes(stored, macOfText(encodeFields(shape, r)))) {
      throw integrityError([{ table, row: rowName(shape, r), problem: problemOf(r.row_mac) }]);
    }
    const misplaced = keyHashProblem(shape, r);
    if (misplaced) throw integrityError([{ table, row: rowName(shape, r), problem: misplaced }]);
    // A valid MAC may be an older copy's: the row's bucket must add up as smki left it.
    if (shape.bucketColumn && !this.tablesVerified.has(table) && this.hasBuckets()) {
      const rowid = this.rowidOf(table, shape, r);
      if (rowid !== undefined) this.requireBucket(table, shape, bucketOf(rowid), r);
    }
    if (key !== undefined) this.rememberKey(table, key);
    return row;
  }

  /** At most ROWS_REMEMBERED rows are remembered (a cache: forgetting costs one more check). */
  private rememberRow(table: string, mac: Buffer): void {
    this.rememberKey(table, macKey(mac));
  }

  private rememberKey(table: string, key: string): void {
    if (this.rowsRemembered >= ROWS_REMEMBERED) {
      this.rowsVerified.clear();
      this.rowsRemembered = 0;
    }
    let verified = this.rowsVerified.get(table);
    if (!verified) {
      verified = new Set();
      this.rowsVerified.set(table, verified);
    }
    if (!verified.has(key)) {
      verified.add(key);
      this.rowsRemembered++;
    }
  }

  checkAll<T>(table: string, rows: T[]): T[] {
    for (const r of rows) this.check(table, r);
    return rows;
  }

  /**
   * Checks a whole (small) table: every row, its row count and digest, and the digest against the
   * sealed state. For look-ups where a deleted or restored row would weaken a decision.
   */
  checkTable(table: string): void {
    if (!this.enabled) return;
    this.syncEpoch();
    if (this.tablesVerified.has(table)) return;
    // Outside a transaction the state row, the digests and the table are read in one snapshot: read
    // statement by statement, another process's commit in between would look like tampering.
    if (!this.db.inTransaction) return this.db.transaction(() => this.checkTable(table), 'unlocked');
    this.requireState();
    const problems = this.tableProblems(table, true);
    if (problems.length) throw integrityError(problems);
    this.tablesVerified.add(table);
  }

  /** Every problem of one table (for `audit verify`; `stopAtFirst` for the hot path). */
  tableProblems(table: string, stopAtFirst = false): RowProblem[] {
    const problems: RowProblem[] = [];
    let shape: TableShape;
    try {
      shape = this.shape(table);
    } catch (e) {
      return [{ table, row: null, problem: e instanceof Error ? e.message : String(e) }];
    }
    const digest = Buffer.alloc(MAC_BYTES);
    let rows = 0;
    const buckets = !shape.bucketColumn || !this.hasBuckets() ? undefined : new BucketTallies();
    const sql = shape.withoutRowid ? `SELECT * FROM main.${table}` : `SELECT rowid AS __rowid, * FROM main.${table}`;
    for (const r of this.stmt(sql).iterate() as IterableIterator<Record<string, unknown>>) {
      rows++;
      const stored = r.row_mac as Buffer | null;
      if (Buffer.isBuffer(stored) && stored.length === MAC_BYTES) xorInto(digest, stored);
      buckets?.add(bucketKeyOf(shape, r)!, stored);
      const problem = !sameBytes(stored, this.macOfRow(table, r)) ? problemOf(stored) : keyHashProblem(shape, r);
      if (problem) {
        problems.push({ table, row: rowName(shape, r), problem });
        if (stopAtFirst) return problems;
      }
    }
    if (buckets) {
      problems.push(...this.bucketProblems(table, shape, buckets));
      if (stopAtFirst && problems.length) return problems;
    }
    const kept = (this.stmt('SELECT rows, digest FROM integrity_digests WHERE name = ?').get(table) as { rows: number; digest: Buffer } | undefined);
    const pending = this.deltas.get(table);
    if (kept) {
      const expected = Buffer.from(kept.digest);
      let expectedRows = kept.rows;
      if (pending && this.db.inTransaction) {
        xorInto(expected, pending.xor);
        expectedRows += pending.rows;
      }
      if (expectedRows !== rows) {
        problems.push({ table, row: null, problem: `holds ${rows} row(s) where smki wrote ${expectedRows} (rows ${rows < expectedRows ? 'deleted' : 'inserted'} outside smki)` });
      } else if (!expected.equals(digest)) {
        problems.push({ table, row: null, problem: 'its rows do not add up to its digest (a row deleted and another put in its place, or restored from an older copy)' });
      }
    }
    return problems;
  }

  /**
   * A table's rows, tallied by bucket while it was scanned, against its kept bucket tallies (with
   * this transaction's pending changes), and the kept tallies against the table's digest.
   */
  private bucketProblems(table: string, shape: TableShape, actual: BucketTallies): RowProblem[] {
    const problems: RowProblem[] = [];
    const kept = new Map<number, Tally>();
    for (const b of this.stmt('SELECT bucket, rows, digest FROM integrity_buckets WHERE name = ?').iterate(table) as IterableIterator<{ bucket: number; rows: number; digest: Buffer }>) {
      kept.set(b.bucket, { rows: b.rows, xor: Buffer.from(b.digest) });
    }
    const listProblems = this.bucketListProblems(table);
    if (this.db.inTransaction) {
      for (const [bucket, d] of this.bucketDeltas.get(table) ?? []) {
        const k = kept.get(bucket) ?? { rows: 0, xor: Buffer.alloc(MAC_BYTES) };
        k.rows += d.rows;
        xorInto(k.xor, d.xor);
        kept.set(bucket, k);
      }
    }
    for (const bucket of new Set([...kept.keys(), ...actual.buckets.keys()])) {
      const a = actual.buckets.get(bucket) ?? { rows: 0, xor: Buffer.alloc(MAC_BYTES) };
      const k = kept.get(bucket) ?? { rows: 0, xor: Buffer.alloc(MAC_BYTES) };
      if (a.rows !== k.rows || !a.xor.equals(k.xor)) {
        problems.push({ table, row: bucketRange(shape, bucket), problem: a.rows !== k.rows ? `holds ${a.rows} row(s) where smki wrote ${k.rows}` : 'its rows do not add up to their bucket tally (a row restored from an older copy, or moved)' });
      }
    }
    return [...problems, ...listProblems];
  }

  /** Everything `audit verify` checks beyond the chain: the state row, every table, every row. */
  verifyAll(head: { seq: number; hash: string }): RowProblem[] {
    if (!this.enabled) return [];
    const problems = this.stateProblems(head);
    for (const t of PROTECTED_TABLES) problems.push(...this.tableProblems(t));
    return problems;
  }

  // ---- starting protection ------------------------------------------------------------------------

  /**
   * Inside the migration transaction: seals the rows of every protected table that has no digest yet
   * (its protection starts now) and creates the state row. Outside a migration a missing digest or
   * state row is tampering, never a reason to seal.
   */
  sealNewTables(head: { seq: number; hash: string }): void {
    if (!this.enabled) return;
    this.shapes.clear();
    const have = new Set(this.readDigests().map((d) => d.name));
    this.sealTables(PROTECTED_TABLES.filter((t) => !have.has(t)));
    this.db.prepare('INSERT INTO integrity_state (id, audit_seq, audit_hash, digests, mac) VALUES (1, 0, ?, ?, ?) ON CONFLICT DO NOTHING').run('', '', Buffer.alloc(0));
    this.flush(head, true);
  }

  /** Computes every row's MAC and the table's digest, trusting the rows as they are. */
  private sealTables(tables: readonly string[]): void {
    this.forgetEpoch();
    const ins = this.db.prepare('INSERT INTO integrity_digests (name, rows, digest) VALUES (?, ?, ?)');
    for (const t of tables) {
      const shape = this.shape(t);
      const where = shape.withoutRowid ? shape.keyColumns.map((c) => `${c} = ?`).join(' AND ') : 'rowid = ?';
      const set = this.db.prepare(`UPDATE main.${t} SET row_mac = ? WHERE ${where}`);
      const sql = shape.withoutRowid ? `SELECT * FROM main.${t}` : `SELECT rowid AS __rowid, * FROM main.${t}`;
      const digest = Buffer.from(EMPTY_DIGEST);
      const buckets = !shape.bucketColumn || !this.hasBuckets() ? undefined : new BucketTallies();
      let rows = 0;
      for (const r of this.db.prepare(sql).all() as Record<string, unknown>[]) {
        const m = this.macOfRow(t, r);
        set.run(m, ...(shape.withoutRowid ? shape.keyColumns.map((c) => r[c]) : [r.__rowid]));
        xorInto(digest, m);
        buckets?.add(bucketKeyOf(shape, r)!, m);
        rows++;
      }
      ins.run(t, rows, digest);
      if (buckets) this.writeBuckets(t, buckets);
    }
  }

  private writeBuckets(table: string, buckets: BucketTallies): void {
    this.db.prepare('DELETE FROM integrity_buckets WHERE name = ?').run(table);
    const put = this.db.prepare('INSERT INTO integrity_buckets (name, bucket, rows, digest) VALUES (?, ?, ?, ?)');
    for (const [bucket, t] of buckets.buckets) put.run(table, bucket, t.rows, t.xor);
  }

  /**
   * Inside the migration that creates integrity_buckets: every rowid table (but those the same
   * upgrade rewrites, `resealed`) is verified as it stands
   * (its rows and digest) and its bucket tallies are built from it. A table that does not verify is
   * not trusted: the upgrade is refused.
   */
  buildBuckets(resealed: readonly string[] = [], only: readonly string[] = PROTECTED_TABLES): void {
    if (!this.enabled || !this.hasBuckets()) return;
    this.forgetEpoch();
    // The upgrade may have given a table its bucket column (key_hash): shapes are read again.
    this.shapes.clear();
    for (const t of only) {
      const shape = this.shape(t);
      // A table the same upgrade rewrote was verified before it and is sealed (buckets too) after it.
      // A table the same upgrade created has no digest yet: sealNewTables seals it (buckets too).
      if (!shape.bucketColumn || resealed.includes(t) || !this.stmt('SELECT 1 FROM integrity_digests WHERE name = ?').get(t)) continue;
      const buckets = new BucketTallies();
      for (const r of this.db.prepare(`SELECT ${shape.bucketColumn} AS __key, row_mac FROM main.${t}`).all() as { __key: number; row_mac: Buffer | null }[]) buckets.add(r.__key, r.row_mac);
      this.writeBuckets(t, buckets);
      const problems = this.tableProblems(t);
      if (problems.length) throw new IntegrityError(`registry tampered: ${describeRowProblem(problems[0]!)}; not migrated`, { table: t });
    }
  }

  private bucketsExist = false;

  /** Whether the schema has the bucket tallies (a registry read before its upgrade to them has not). */
  private hasBuckets(): boolean {
    if (this.bucketsExist) return true;
    // PostgreSQL keeps the tallies from migration 15 on (integrity_buckets exists from 14 there, empty).
    if (!(this.db instanceof SqliteDriver)) this.bucketsExist = this.db.tableExists('integrity_buckets') && this.db.schemaVersion() >= PG_BUCKETS_VERSION;
    else this.bucketsExist = this.db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'integrity_buckets'").get() !== undefined;
    return this.bucketsExist;
  }

  /** Whether the registry's schema has the integrity tables (it was migrated to them). */
  hasState(): boolean {
    return this.db.tableExists('integrity_state');
  }
}

/** Count and XOR of row MACs per bucket, gathered while a table is scanned. */
class BucketTallies {
  readonly buckets = new Map<number, Tally>();
  add(rowid: number | bigint, mac: Buffer | null | undefined): void {
    const b = bucketOf(rowid);
    let t = this.buckets.get(b);
    if (!t) {
      t = { rows: 0, xor: Buffer.alloc(MAC_BYTES) };
      this.buckets.set(b, t);
    }
    t.rows++;
    if (Buffer.isBuffer(mac) && mac.length === MAC_BYTES) xorInto(t.xor, mac);
  }
}

/** The value that names a row's bucket (its rowid, or its BUCKET_COLUMNS column); undefined for a table without buckets. */
function bucketKeyOf(shape: TableShape, r: Record<string, unknown>): number | bigint | undefined {
  if (!shape.bucketColumn) return undefined;
  const v = shape.bucketColumn === 'rowid' ? (r.__rowid ?? r.rowid) : r[shape.bucketColumn];
  return typeof v === 'number' || typeof v === 'bigint' ? v : v === undefined || v === null ? undefined : Number(v);
}

/**
 * A KEY_HASHED_TABLES row whose key_hash is not its key's (a writer's mistake: the MAC covers the
 * value smki wrote) would sit in a bucket no look-up of its key checks: refused like an edit.
 */
function keyHashProblem(shape: TableShape, r: Record<string, unknown>): string | undefined {
  if (shape.bucketColumn !== KEY_HASH_COLUMN) return undefined;
  const key = String(r[shape.keyColumns[0]!]);
  return Number(r[KEY_HASH_COLUMN]) === keyHash(key) ? undefined : `its key_hash ${String(r[KEY_HASH_COLUMN])} is not its key's (${keyHash(key)})`;
}

/** A bucket's rows in reports: `rowid 64..127`, or `minute 29000000..29000063`. */
function bucketRange(shape: TableShape, bucket: number): string {
  return `${shape.bucketColumn} ${bucket * (1 << BUCKET_BITS)}..${(bucket + 1) * (1 << BUCKET_BITS) - 1}`;
}

function problemOf(stored: unknown): string {
  return stored === null || stored === undefined
    ? 'has no row MAC (inserted outside smki)'
    : 'row MAC does not verify (edited outside smki)';
}

export function describeRowProblem(p: RowProblem): string {
  return `table ${p.table}${p.row ? `, row ${p.row}` : ''}: ${p.problem}`;
}

/** The exit-5 error for problems found on read, naming the first. */
export function integrityError(problems: RowProblem[]): IntegrityError {
  const first = problems[0]!;
  return new IntegrityError(`registry tampered: ${describeRowProblem(first)}; run 'smki audit verify'`, {
    ok: false,
    problems: problems.map((p) => ({ seq: null, ...p })),
  });
}
