// Registry state is evidence too (DESIGN.md "Trust boundaries"). Every row of a protected table carries
// a MAC (`row_mac`) under a key derived from the audit key, so a row edited or inserted outside smki
// no longer verifies; each table's row count and XOR of its row MACs (its digest) are kept in
// `integrity_digests`, so a deleted row, or a row put back from an older copy, no longer adds up; and
// one MACed `integrity_state` row binds every digest to the audit chain's head, so a table rolled
// back together with its digest does not add up either (and the checkpoint and `audit anchor` bind
// the head to the world outside the database).
//
// Sealing is automatic: TEMP triggers, which exist only on smki's own connection, recompute a row's
// MAC whenever smki inserts or updates it and keep the digests in step inside the same transaction.
// An edit made with any other SQLite client runs no trigger and leaves a row that does not verify.
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
import { IntegrityError } from '../domain/errors.js';

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

const MAC_BYTES = 16;
const EMPTY_DIGEST = Buffer.alloc(MAC_BYTES);

export interface RowProblem {
  table: string;
  /** The row named by its primary key (`serial=0A1B`), or by rowid; null for a whole-table problem. */
  row: string | null;
  problem: string;
}

interface TableShape {
  columns: string[];
  keyColumns: string[];
  withoutRowid: boolean;
}

interface DigestRow {
  name: string;
  rows: number;
  digest: Buffer;
}

function xorInto(acc: Buffer, mac: Buffer): void {
  for (let i = 0; i < MAC_BYTES; i++) acc[i]! ^= mac[i] ?? 0;
}

function sameBytes(a: Buffer | null | undefined, b: Buffer): boolean {
  return Buffer.isBuffer(a) && a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The row's canonical text: table, then each non-NULL column as name, type and (length-prefixed)
 * value. NULLs are left out, so adding a nullable column keeps every existing MAC valid.
 */
function encodeRow(table: string, columns: readonly string[], values: readonly unknown[]): string {
  let s = table;
  for (let i = 0; i < columns.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    if (typeof v === 'string') s += `|${columns[i]}:s${v.length}:${v}`;
    else if (typeof v === 'number' || typeof v === 'bigint') s += `|${columns[i]}:n${String(v)}`;
    else if (Buffer.isBuffer(v) || v instanceof Uint8Array) s += `|${columns[i]}:b${v.length}:${Buffer.from(v).toString('hex')}`;
    else s += `|${columns[i]}:?${String(v)}`;
  }
  return s;
}

/** A row's name in reports: its primary key, else its rowid. */
function rowName(shape: TableShape, row: Record<string, unknown>): string {
  if (shape.keyColumns.length) return shape.keyColumns.map((c) => `${c}=${String(row[c])}`).join(',');
  return row.__rowid === undefined ? '(no key)' : `rowid=${String(row.__rowid)}`;
}

export class RowGuard {
  /** Keyed SHA-384 (a secret prefix; SHA-384 cannot be length-extended), first 128 bits. */
  private readonly keyHex: string;
  private readonly shapes = new Map<string, TableShape>();
  /** Digest changes made inside the open transaction, per table. */
  private readonly deltas = new Map<string, { rows: number; xor: Buffer }>();
  /** Set when the digests and state row were verified inside the open transaction. */
  private stateVerifiedInTx = false;
  /**
   * Inside one write transaction no other connection can change the database, and smki's own writes
   * seal as they go: a whole table checked once (`checkTable`), and a row whose exact content and MAC
   * were checked once, need not be checked again until the transaction ends.
   */
  private readonly tablesVerifiedInTx = new Set<string>();
  private readonly rowsVerifiedInTx = new Set<string>();
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
    return this.macOfText(encodeRow(table, this.shape(table).columns, values));
  }

  private macOfText(text: string): Buffer {
    return hash('sha384', this.keyHex + text, 'buffer').subarray(0, MAC_BYTES);
  }

  /**
   * The MAC of a row about to be inserted, for an INSERT that sets row_mac itself (the hot tables: no
   * sealing UPDATE after it). `row` holds the column values by name; columns it lacks are NULL.
   */
  sealValue(table: string, row: object): Buffer | null {
    if (!this.enabled) return null;
    const r = row as Record<string, unknown>;
    const shape = this.shape(table);
    const mac = this.macOfText(encodeRow(table, shape.columns, shape.columns.map((c) => r[c])));
    // smki wrote this content under this MAC: reading it back in the same transaction needs no check.
    if (this.inRegistryTx() && shape.keyColumns.length) this.rowsVerifiedInTx.add(`${table}|${rowName(shape, r)}|${mac.toString('base64')}`);
    return mac;
  }

  /** Also re-seals the given tables (after a migration that rewrote their rows). */
  resealTables(tables: readonly string[]): void {
    if (!this.enabled) return;
    for (const t of tables) {
      this.shapes.delete(t);
      this.db.prepare('DELETE FROM integrity_digests WHERE name = ?').run(t);
    }
    this.sealTables(tables);
  }

  private macOfRow(table: string, row: Record<string, unknown>): Buffer {
    const shape = this.shape(table);
    return this.mac(table, shape.columns.map((c) => row[c]));
  }

  private shape(table: string): TableShape {
    let s = this.shapes.get(table);
    if (!s) {
      const info = this.db.tableColumns(table);
      if (info.length === 0) throw new IntegrityError(`the registry has no table ${table} (dropped or never created)`, { table });
      s = {
        columns: info.filter((c) => c.name !== 'row_mac').map((c) => c.name),
        keyColumns: info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name),
        withoutRowid: this.db.withoutRowid(table),
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
      installPgSealing(this.db, { mac: (t, row) => this.macOfRow(t, row), check: (t, row) => void this.check(t, row), note: (t, removed, added) => this.noteChange(t, removed, added) }, PROTECTED_TABLES);
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
    native.function('smki_row_digest', { varargs: false }, (table: unknown, removed: unknown, added: unknown) => {
      this.noteChange(String(table), removed as Buffer | null, added as Buffer | null);
      return null;
    });
    const ddl: string[] = [];
    for (const t of PROTECTED_TABLES) {
      const s = this.shape(t);
      const macNew = `smki_row_mac('${t}', ${s.columns.map((c) => `NEW.${c}`).join(', ')})`;
      const checkOld = `smki_row_check('${t}', OLD.row_mac, ${s.columns.map((c) => `OLD.${c}`).join(', ')})`;
      const where = s.withoutRowid ? s.keyColumns.map((c) => `${c} = NEW.${c}`).join(' AND ') : 'rowid = NEW.rowid';
      ddl.push(
        `CREATE TEMP TRIGGER IF NOT EXISTS smki_seal_ins_${t} AFTER INSERT ON main.${t} WHEN NEW.row_mac IS NULL BEGIN
           UPDATE main.${t} SET row_mac = ${macNew} WHERE ${where}; END`,
        `CREATE TEMP TRIGGER IF NOT EXISTS smki_note_ins_${t} AFTER INSERT ON main.${t} WHEN NEW.row_mac IS NOT NULL BEGIN
           SELECT smki_row_digest('${t}', NULL, NEW.row_mac); END`,
        // An UPDATE that left row_mac alone changed the row: seal it again. The sealing UPDATE (and an
        // upsert that set row_mac itself) then runs the note trigger, which moves the digest.
        `CREATE TEMP TRIGGER IF NOT EXISTS smki_seal_upd_${t} AFTER UPDATE ON main.${t} WHEN NEW.row_mac IS OLD.row_mac BEGIN
           SELECT ${checkOld};
           UPDATE main.${t} SET row_mac = ${macNew} WHERE ${where}; END`,
        `CREATE TEMP TRIGGER IF NOT EXISTS smki_note_upd_${t} AFTER UPDATE ON main.${t} WHEN NEW.row_mac IS NOT OLD.row_mac BEGIN
           SELECT smki_row_digest('${t}', OLD.row_mac, NEW.row_mac); END`,
        `CREATE TEMP TRIGGER IF NOT EXISTS smki_note_del_${t} AFTER DELETE ON main.${t} BEGIN
           SELECT smki_row_digest('${t}', OLD.row_mac, NULL); END`,
      );
    }
    this.db.exec(ddl.join(';\n'));
    this.installed = true;
  }

  private noteChange(table: string, removed: Buffer | null, added: Buffer | null): void {
    let d = this.deltas.get(table);
    if (!d) {
      d = { rows: 0, xor: Buffer.alloc(MAC_BYTES) };
      this.deltas.set(table, d);
    }
    if (removed) {
      d.rows--;
      xorInto(d.xor, removed);
    }
    if (added) {
      d.rows++;
      xorInto(d.xor, added);
    }
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

  private stateMac(seq: number, auditHash: string, digests: string): Buffer {
    return hash('sha384', `${this.keyHex}integrity_state|${seq}|${auditHash}|${digests}`, 'buffer').subarray(0, MAC_BYTES);
  }

  /**
   * Called at the end of every registry transaction, inside it: moves the digests of the tables this
   * transaction changed and binds them, with the audit head, into the state row.
   */
  flush(head: { seq: number; hash: string }, headMoved: boolean): void {
    if (!this.enabled) return;
    this.forgetTx();
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

  /** A transaction was rolled back: its digest changes went with it. */
  rolledBack(): void {
    this.deltas.clear();
    this.forgetTx();
  }

  /** Inside a registry transaction (`reg.tx`, which holds the write lock from its start). */
  private inRegistryTx(): boolean {
    return this.txHead !== undefined && this.db.inTransaction;
  }

  private forgetTx(): void {
    this.stateVerifiedInTx = false;
    this.txHead = undefined;
    this.tablesVerifiedInTx.clear();
    this.rowsVerifiedInTx.clear();
  }

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
  }

  private requireState(): void {
    if (this.stateVerifiedInTx && this.db.inTransaction) return;
    const head = (this.db.inTransaction ? this.txHead : undefined) ?? (this.stmt('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined) ?? { seq: 0, hash: '0'.repeat(64) };
    const problems = this.stateProblems(head);
    if (problems.length) throw integrityError(problems);
    if (this.db.inTransaction) this.stateVerifiedInTx = true;
  }

  // ---- checks on read -----------------------------------------------------------------------------

  /** Throws IntegrityError (exit 5) unless `row` (selected whole) is as smki wrote it. */
  check<T>(table: string, row: T): T {
    if (!this.enabled || row === undefined || row === null) return row;
    const r = row as unknown as Record<string, unknown>;
    const stored = r.row_mac as Buffer | null;
    const shape = this.shape(table);
    // Within the transaction a row is known by its key and MAC: its content can change only by a write
    // of smki's own, which seals the new content under a new MAC.
    const key = this.inRegistryTx() && shape.keyColumns.length && Buffer.isBuffer(stored) ? `${table}|${rowName(shape, r)}|${stored.toString('base64')}` : undefined;
    if (key !== undefined && this.rowsVerifiedInTx.has(key)) return row;
    if (!sameBytes(stored, this.macOfText(encodeRow(table, shape.columns, shape.columns.map((c) => r[c]))))) {
      throw integrityError([{ table, row: rowName(shape, r), problem: problemOf(r.row_mac) }]);
    }
    if (key !== undefined) this.rowsVerifiedInTx.add(key);
    return row;
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
    // Outside a transaction the state row, the digests and the table are read in one snapshot: read
    // statement by statement, another process's commit in between would look like tampering.
    if (!this.db.inTransaction) return this.db.transaction(() => this.checkTable(table), 'unlocked');
    const inTx = this.inRegistryTx();
    if (inTx && this.tablesVerifiedInTx.has(table)) return;
    this.requireState();
    const problems = this.tableProblems(table, true);
    if (problems.length) throw integrityError(problems);
    if (inTx) this.tablesVerifiedInTx.add(table);
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
    const sql = shape.withoutRowid ? `SELECT * FROM main.${table}` : `SELECT rowid AS __rowid, * FROM main.${table}`;
    for (const r of this.stmt(sql).iterate() as IterableIterator<Record<string, unknown>>) {
      rows++;
      const stored = r.row_mac as Buffer | null;
      if (Buffer.isBuffer(stored) && stored.length === MAC_BYTES) xorInto(digest, stored);
      if (!sameBytes(stored, this.macOfRow(table, r))) {
        problems.push({ table, row: rowName(shape, r), problem: problemOf(stored) });
        if (stopAtFirst) return problems;
      }
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
    const ins = this.db.prepare('INSERT INTO integrity_digests (name, rows, digest) VALUES (?, ?, ?)');
    for (const t of tables) {
      const shape = this.shape(t);
      const where = shape.withoutRowid ? shape.keyColumns.map((c) => `${c} = ?`).join(' AND ') : 'rowid = ?';
      const set = this.db.prepare(`UPDATE main.${t} SET row_mac = ? WHERE ${where}`);
      const sql = shape.withoutRowid ? `SELECT * FROM main.${t}` : `SELECT rowid AS __rowid, * FROM main.${t}`;
      const digest = Buffer.from(EMPTY_DIGEST);
      let rows = 0;
      for (const r of this.db.prepare(sql).all() as Record<string, unknown>[]) {
        const m = this.macOfRow(t, r);
        set.run(m, ...(shape.withoutRowid ? shape.keyColumns.map((c) => r[c]) : [r.__rowid]));
        xorInto(digest, m);
        rows++;
      }
      ins.run(t, rows, digest);
    }
  }

  /** Whether the registry's schema has the integrity tables (it was migrated to them). */
  hasState(): boolean {
    return this.db.tableExists('integrity_state');
  }
}

function problemOf(stored: unknown): string {
  return stored === null || stored === undefined
    ? 'has no row MAC (inserted outside smki)'
    : 'row MAC does not verify (edited outside smki)';
}

export function describeRowProblem(p: RowProblem): string {
  return `table ${p.table}${p.row ? `, row ${p.row}` : ''}: ${p.problem}`;
}

function integrityError(problems: RowProblem[]): IntegrityError {
  const first = problems[0]!;
  return new IntegrityError(`registry tampered: ${describeRowProblem(first)}; run 'smki audit verify'`, {
    ok: false,
    problems: problems.map((p) => ({ seq: null, ...p })),
  });
}
