// Devices and their registered Supplier User ID, plus the staging table a device import validates into
// before anything is written to the registry.
import type { Statement } from './driver.js';
import type { Eui64 } from '../domain/eui.js';
import type { Registry } from './registry.js';
import { BATCH_BUCKETS, paddedSize } from './row-mac.js';
import { KEY_HASH_COLUMN, keyHash } from './key-hash.js';
import { inChunks } from '../util/chunks.js';

export const DEVICE_TYPES = ['ESME', 'GSME', 'CHF', 'GPF', 'PPMID', 'IHD'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];
export type Smets = 1 | 2;

export interface DeviceRecord {
  eui: Eui64;
  deviceType: DeviceType;
  smets: Smets;
  supplierEui: Eui64;
  updatedAt: string;
}

interface Row {
  eui: string;
  device_type: string;
  smets: number;
  supplier_eui: string;
  updated_at: string;
}

function toRecord(r: Row): DeviceRecord {
  return {
    eui: r.eui as Eui64,
    deviceType: r.device_type as DeviceType,
    smets: r.smets as Smets,
    supplierEui: r.supplier_eui as Eui64,
    updatedAt: r.updated_at,
  };
}

export function findDevice(reg: Registry, eui: Eui64): DeviceRecord | undefined {
  // The rowid comes with the row: checking its bucket needs no second look-up by key.
  const r = reg.rows.check('devices', reg.stmt('SELECT rowid AS __rowid, * FROM devices WHERE eui = ?').get(eui) as Row | undefined);
  // None: unless one was deleted outside smki (exit 5), the Device was never registered.
  if (!r) reg.rows.checkAbsent('devices', eui);
  return r && toRecord(r);
}

/**
 * The Devices of `euis` read and checked together (BATCH_BUCKETS at a time): their key-hash buckets
 * are verified in one query a chunk, not one a Device, and a findDevice of one of them later in the
 * same transaction finds its row already checked. For a group of gate decisions, whose targets are
 * scattered over the buckets. An EUI with no Device is left to findDevice (checkAbsent). Returns the
 * Devices found, each checked, by EUI: inside the same transaction a caller that does not write
 * Devices may take them for findDevice's answer.
 */
export function checkDevicesAhead(reg: Registry, euis: Iterable<string>): Map<string, DeviceRecord> {
  const found = new Map<string, DeviceRecord>();
  if (!reg.rows.enabled) return found;
  // One statement for each size of chunk (padded with its first EUI: IN is unchanged by repeats).
  for (const chunk of inChunks(new Set(euis), BATCH_BUCKETS)) {
    const size = paddedSize(chunk.length);
    const padded = Array.from({ length: size }, (_, i) => chunk[i] ?? chunk[0]!);
    for (const r of reg.rows.checkBatch('devices', reg.stmt(devicesAheadSql(size)).all(...padded) as Row[])) found.set(r.eui, toRecord(r));
  }
  return found;
}

const devicesAheadSqls = new Map<number, string>();
function devicesAheadSql(size: number): string {
  let sql = devicesAheadSqls.get(size);
  if (!sql) devicesAheadSqls.set(size, (sql = `SELECT * FROM devices WHERE eui IN (${Array.from({ length: size }, () => '?').join(', ')})`));
  return sql;
}

export function countDevicesBySupplier(reg: Registry, supplier: Eui64): number {
  return (reg.stmt('SELECT count(*) AS n FROM devices WHERE supplier_eui = ?').get(supplier) as { n: number }).n;
}

export function countDevices(reg: Registry): number {
  return (reg.stmt('SELECT count(*) AS n FROM devices').get() as { n: number }).n;
}

/** Devices in EUI order, optionally of one Supplier, at most `limit`. */
export function listDevices(reg: Registry, opts: { supplier?: Eui64; limit?: number } = {}): DeviceRecord[] {
  return [...iterateDevices(reg, opts)];
}

/** As listDevices, one row at a time (each checked as it is read): for lists of any length. */
export function iterateDevices(reg: Registry, opts: { supplier?: Eui64; limit?: number } = {}): Generator<DeviceRecord> {
  // No LIMIT without a limit: PostgreSQL refuses SQLite's LIMIT -1.
  const limit = opts.limit === undefined ? '' : ' LIMIT ?';
  const args = opts.limit === undefined ? [] : [opts.limit];
  return reg.inSnapshot(function* () {
    const rows = (opts.supplier === undefined
      ? reg.stmt(`SELECT * FROM devices ORDER BY eui${limit}`).iterate(...args)
      : reg.stmt(`SELECT * FROM devices WHERE supplier_eui = ? ORDER BY eui${limit}`).iterate(opts.supplier, ...args)) as IterableIterator<Row>;
    for (const chunk of inChunks(rows, BATCH_BUCKETS)) for (const r of reg.rows.checkBatch('devices', chunk)) yield toRecord(r);
  });
}

/** Number of Devices per Supplier User ID. */
export function deviceCountsBySupplier(reg: Registry): { supplierEui: Eui64; devices: number }[] {
  return reg.db
    .prepare('SELECT supplier_eui AS supplierEui, count(*) AS devices FROM devices GROUP BY supplier_eui ORDER BY supplier_eui')
    .all() as { supplierEui: Eui64; devices: number }[];
}

export interface StagedDevice {
  eui: Eui64;
  deviceType: DeviceType;
  smets: Smets;
  supplierEui: Eui64;
  line: number;
}

export interface BatchOutcome {
  /** The batch's EUI range, first and last (inclusive). */
  firstEui: Eui64;
  lastEui: Eui64;
  rows: number;
  imported: number;
  updated: number;
  unchanged: number;
  /** Of `updated`, the Devices now registered to another Supplier. */
  supplierChanged: number;
}

/** Rows looked up and written per statement group of the import pass. */
const CHUNK = 2000;
/** Rows per multi-row INSERT (7 parameters a row, well under SQLite's limit of 32,766). */
const INSERT_ROWS = 200;
const TYPE_CODES = new Map<string, number>(DEVICE_TYPES.map((t, i) => [t, i]));
/** The shortest valid data row: a 16-digit EUI, a 3-letter type, the SMETS digit, a 16-digit EUI and 3 commas. */
const SHORTEST_ROW = 39;

const hex8 = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');

/**
 * The validated rows of one import in memory, 17 bytes a row in typed arrays (the EUI as two 32-bit
 * halves, type and SMETS in one byte, the Supplier as an index, the line): about 17 MB per million
 * rows, however the file is laid out. Validation appends in file order; `repeats()` sorts by EUI
 * (a stable radix sort, so of rows with the same EUI the first line comes first) and finds Devices
 * given more than once. The import applies the rows to `devices` in one transaction, in EUI order,
 * so its writes go to the end of the registry's indexes (or few pages of them).
 */
export class DeviceStage {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private meta: Uint8Array;
  private sup: Uint32Array;
  private lines: Uint32Array;
  private n = 0;
  private readonly suppliers: Eui64[] = [];
  private readonly supplierIndex = new Map<string, number>();
  /** Row indexes in EUI order (after dropRepeats, the first row of each EUI only). */
  private order: Uint32Array | undefined;

  /** `expectedBytes`: the file's size, to size the arrays once (a bound on its rows; they still grow if needed). */
  constructor(private readonly reg: Registry, expectedBytes = 0) {
    const capacity = Math.max(1024, Math.ceil(expectedBytes / SHORTEST_ROW) + 1);
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.meta = new Uint8Array(capacity);
    this.sup = new Uint32Array(capacity);
    this.lines = new Uint32Array(capacity);
  }

  /** Appends validated rows (in file order). */
  add(rows: StagedDevice[]): void {
    for (const r of rows) this.push(r);
  }

  push(r: StagedDevice): void {
    if (this.order) throw new Error('rows are staged before the stage is sorted');
    if (this.n === this.hi.length) this.grow();
    const i = this.n++;
    this.hi[i] = parseInt(r.eui.slice(0, 8), 16);
    this.lo[i] = parseInt(r.eui.slice(8, 16), 16);
    this.meta[i] = TYPE_CODES.get(r.deviceType)! | ((r.smets - 1) << 3);
    let s = this.supplierIndex.get(r.supplierEui);
    if (s === undefined) {
      s = this.suppliers.length;
      this.suppliers.push(r.supplierEui);
      this.supplierIndex.set(r.supplierEui, s);
    }
    this.sup[i] = s;
    this.lines[i] = r.line;
  }

  private grow(): void {
    const more = <T extends Uint32Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as { new (n: number): T })(a.length * 2);
      b.set(a);
      return b;
    };
    this.hi = more(this.hi);
    this.lo = more(this.lo);
    this.meta = more(this.meta);
    this.sup = more(this.sup);
    this.lines = more(this.lines);
  }

  private eui(i: number): Eui64 {
    return (hex8(this.hi[i]!) + hex8(this.lo[i]!)) as Eui64;
  }

  private row(i: number): StagedDevice {
    const m = this.meta[i]!;
    return { eui: this.eui(i), deviceType: DEVICE_TYPES[m & 7]!, smets: ((m >> 3) + 1) as Smets, supplierEui: this.suppliers[this.sup[i]!]!, line: this.lines[i]! };
  }

  private same(i: number, j: number): boolean {
    return this.hi[i] === this.hi[j] && this.lo[i] === this.lo[j];
  }

  /** Sorts the staged rows by EUI (stable: LSD radix sort, 16 bits a pass); once, after the last `add`. */
  private sorted(): Uint32Array {
    if (this.order) return this.order;
    const n = this.n;
    let a = new Uint32Array(n);
    for (let i = 0; i < n; i++) a[i] = i;
    let b = new Uint32Array(n);
    const count = new Uint32Array(1 << 16);
    for (const [word, shift] of [[this.lo, 0], [this.lo, 16], [this.hi, 0], [this.hi, 16]] as const) {
      count.fill(0);
      for (let i = 0; i < n; i++) count[(word[i]! >>> shift) & 0xffff]!++;
      let sum = 0;
      for (let d = 0; d < count.length; d++) {
        const c = count[d]!;
        count[d] = sum;
        sum += c;
      }
      for (let i = 0; i < n; i++) {
        const r = a[i]!;
        b[count[(word[r]! >>> shift) & 0xffff]!++] = r;
      }
      [a, b] = [b, a];
    }
    this.order = a;
    return a;
  }

  /** Every row that repeats the EUI of an earlier row, with that earlier (first) row, by line. */
  *repeats(): Generator<{ row: StagedDevice; earlier: StagedDevice }> {
    const order = this.sorted();
    const found: [number, number][] = [];
    for (let k = 1, first = order[0]!; k < order.length; k++) {
      const i = order[k]!;
      if (this.same(i, first)) found.push([i, first]);
      else first = i;
    }
    // Rows are staged in file order: by index is by line.
    found.sort((x, y) => x[0] - y[0]);
    for (const [i, first] of found) yield { row: this.row(i), earlier: this.row(first) };
  }

  /** Drops every repeat of an earlier row's EUI, keeping the first (call only when all are identical). */
  dropRepeats(): number {
    const order = this.sorted();
    const kept = new Uint32Array(order.length);
    let m = 0;
    for (let k = 0; k < order.length; k++) {
      if (k > 0 && this.same(order[k]!, order[k - 1]!)) continue;
      kept[m++] = order[k]!;
    }
    this.order = kept.subarray(0, m);
    return order.length - m;
  }

  /** Staged rows (after dropRepeats, distinct Devices). */
  get size(): number {
    return this.order ? this.order.length : this.n;
  }

  /**
   * Applies every staged Device to `devices` in EUI order, calling `onStep` with the rows applied so
   * far after every `step` rows and at the end: new ones inserted, changed ones updated, identical ones
   * left alone. Call inside one registry transaction (with its audit record): the whole file or
   * nothing. Each written row carries its row MAC from the statement itself (one write per row, no
   * trigger), its digest and bucket tallies moved in bulk; a registered row is updated only if it
   * is as smki wrote it (its MAC and its bucket checked first).
   */
  applyAll(at: Date, step: number, onStep?: (rows: number) => void): BatchOutcome {
    if (!this.reg.inTransaction) throw new Error('a device import is applied inside a registry transaction');
    const order = this.sorted();
    const out: BatchOutcome = { firstEui: '' as Eui64, lastEui: '' as Eui64, rows: order.length, imported: 0, updated: 0, unchanged: 0, supplierChanged: 0 };
    if (order.length) {
      out.firstEui = this.eui(order[0]!);
      out.lastEui = this.eui(order[order.length - 1]!);
    }
    const sqlite = this.reg.db.dialect === 'sqlite';
    const updatedAt = at.toISOString();
    // An empty table needs no look-ups: every staged Device is new.
    const registered = (this.reg.db.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM devices LIMIT 1) AS d').get() as { n: number }).n > 0;
    const nextRowid = sqlite ? Number((this.reg.db.prepare('SELECT coalesce(max(rowid), 0) AS m FROM main.devices').get() as { m: number }).m) + 1 : 0;
    const inserts = new InsertBuffer(this.reg, nextRowid);
    // A large import into an empty table (nothing is looked up or checked by bucket meanwhile) builds
    // the key-hash index once after its rows instead of one scattered entry a row: the same index, in
    // the same transaction.
    const rebuildIndex = sqlite && !registered && order.length >= 10_000 && this.reg.db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = 'devices_key_hash'").get() !== undefined;
    if (rebuildIndex) this.reg.db.exec('DROP INDEX devices_key_hash');
    for (let start = 0, end = 0; start < order.length; start = end) {
      // Chunks end on every step, for its progress.
      end = Math.min(order.length, start + CHUNK, (Math.floor(start / step) + 1) * step);
      const have = registered ? this.lookUp(order, start, end) : undefined;
      const fresh: Record<string, unknown>[] = [];
      const updates: { row: Record<string, unknown>; old: DeviceRowWithRowid }[] = [];
      for (let k = start; k < end; k++) {
        const i = order[k]!;
        const eui = this.eui(i);
        const m = this.meta[i]!;
        const deviceType = DEVICE_TYPES[m & 7]!;
        const smets = (m >> 3) + 1;
        const supplierEui = this.suppliers[this.sup[i]!]!;
        const old = have?.get(eui);
        if (old !== undefined && old.device_type === deviceType && old.smets === smets && old.supplier_eui === supplierEui) {
          out.unchanged++;
          continue;
        }
        const row = { eui, device_type: deviceType, smets, supplier_eui: supplierEui, updated_at: updatedAt, key_hash: keyHash(eui) };
        if (old === undefined) {
          fresh.push(row);
        } else {
          updates.push({ row, old });
          if (old.supplier_eui !== supplierEui) out.supplierChanged++;
        }
      }
      out.imported += fresh.length;
      out.updated += updates.length;
      if (sqlite) {
        inserts.add(fresh);
        this.updateSqlite(updates);
      } else {
        this.upsertPg([...fresh, ...updates.map((u) => u.row)], updates.map((u) => u.old));
      }
      if (end === order.length) {
        inserts.finish();
        if (rebuildIndex) this.reg.db.exec(`CREATE INDEX devices_key_hash ON devices(${KEY_HASH_COLUMN})`);
      }
      onStep?.(end);
    }
    return out;
  }

  /** The registered rows (selected whole, with their rowid) of the staged Devices order[start..end). */
  private lookUp(order: Uint32Array, start: number, end: number): Map<string, DeviceRowWithRowid> {
    const euis: string[] = [];
    for (let k = start; k < end; k++) euis.push(this.eui(order[k]!));
    const have = new Map<string, DeviceRowWithRowid>();
    if (this.reg.db.dialect === 'sqlite') {
      // EUIs are upper-case hex and SQLite compares text by bytes: one index range holds the chunk.
      const rows = this.reg.stmt('SELECT rowid AS __rowid, * FROM main.devices WHERE eui >= ? AND eui <= ?').all(euis[0], euis[euis.length - 1]) as DeviceRowWithRowid[];
      // A sparse chunk over a large registry reads far more rows than it has: look its EUIs up one by one instead.
      if (rows.length <= 4 * euis.length) {
        for (const r of rows) have.set(r.eui, r);
        return have;
      }
      have.clear();
      const one = this.reg.stmt('SELECT rowid AS __rowid, * FROM main.devices WHERE eui = ?');
      for (const e of euis) {
        const r = one.get(e) as DeviceRowWithRowid | undefined;
        if (r) have.set(e, r);
      }
      return have;
    }
    for (let i = 0; i < euis.length; i += 500) {
      const part = euis.slice(i, i + 500);
      for (const r of this.reg.db.prepare(`SELECT * FROM devices WHERE eui IN (${part.map(() => '?').join(', ')})`).all(...part) as DeviceRowWithRowid[]) have.set(r.eui, r);
    }
    return have;
  }

  private updateSqlite(updates: { row: Record<string, unknown>; old: DeviceRowWithRowid }[]): void {
    if (updates.length === 0) return;
    const macs = this.reg.rows.sealValues('devices', updates.map((u) => u.row));
    const upd = this.reg.stmt('UPDATE main.devices SET device_type = ?, smets = ?, supplier_eui = ?, updated_at = ?, row_mac = ? WHERE rowid = ?');
    updates.forEach(({ row, old }, i) => {
      // Never re-seal a row that is not as smki wrote it.
      this.reg.rows.check('devices', old);
      upd.run(row.device_type, row.smets, row.supplier_eui, row.updated_at, macs[i], old.__rowid);
      this.reg.rows.wrote('devices', old.key_hash, old.row_mac, old.key_hash, macs[i]!);
    });
  }

  /**
   * PostgreSQL, whose SQL cannot compute a row MAC (the key stays in this process): each registered
   * row checked as smki wrote it, then the new and changed rows written with their MACs in multi-row
   * upserts (the sealer moves the digests from its record of each change).
   */
  private upsertPg(rows: Record<string, unknown>[], registered: DeviceRowWithRowid[]): void {
    for (const old of registered) this.reg.rows.check('devices', old);
    const macs = this.reg.rows.sealValues('devices', rows);
    const PART = 500;
    for (let i = 0; i < rows.length; i += PART) {
      const part = rows.slice(i, i + PART);
      const values = part.flatMap((r, j) => [r.eui, r.device_type, r.smets, r.supplier_eui, r.updated_at, r.key_hash, macs[i + j]]);
      this.reg.stmt(`INSERT INTO devices (eui, device_type, smets, supplier_eui, updated_at, key_hash, row_mac) VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}
        ON CONFLICT(eui) DO UPDATE SET device_type = excluded.device_type, smets = excluded.smets,
          supplier_eui = excluded.supplier_eui, updated_at = excluded.updated_at, row_mac = excluded.row_mac`).run(...values);
    }
  }

  /** Nothing to release (the rows are in memory); kept for the import's `finally`. */
  drop(): void {
    this.order = undefined;
    this.n = 0;
  }
}

interface DeviceRowWithRowid extends Row {
  __rowid: number;
  key_hash: number;
  row_mac: Buffer | null;
}

/**
 * New Devices, written with explicit rowids (after the table's last) in INSERTs of INSERT_ROWS rows
 * (the last few one by one), their MACs computed here; the digest and bucket tallies move as each
 * statement runs, so a bucket checked meanwhile adds up with what is in the table.
 */
class InsertBuffer {
  private readonly values: unknown[] = [];
  private readonly macs: Buffer[] = [];
  private readonly rowids: number[] = [];
  /** Each row's bucket key (its key_hash). */
  private readonly bucketKeys: number[] = [];

  constructor(private readonly reg: Registry, private nextRowid: number) {}

  add(rows: Record<string, unknown>[]): void {
    if (rows.length === 0) return;
    const macs = this.reg.rows.sealValues('devices', rows);
    rows.forEach((r, i) => {
      this.bucketKeys.push(r.key_hash as number);
      this.rowids.push(this.nextRowid);
      this.macs.push(macs[i]!);
      this.values.push(this.nextRowid++, r.eui, r.device_type, r.smets, r.supplier_eui, r.updated_at, r.key_hash, macs[i]);
      if (this.rowids.length === INSERT_ROWS) this.write(INSERT_ROWS);
    });
  }

  /** Writes what is left. */
  finish(): void {
    if (this.rowids.length) this.write(1);
  }

  private write(rowsPerStatement: number): void {
    const stmt = this.reg.stmt(`INSERT INTO main.devices (rowid, eui, device_type, smets, supplier_eui, updated_at, key_hash, row_mac) VALUES ${Array.from({ length: rowsPerStatement }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`);
    const per = rowsPerStatement * 8;
    for (let i = 0; i < this.values.length; i += per) stmt.run(...this.values.slice(i, i + per));
    // Sealed rows (checks on): their digest and buckets move now, as they are in the table.
    if (this.macs[0]) this.reg.rows.wroteInserts('devices', this.bucketKeys, this.macs);
    this.values.length = 0;
    this.macs.length = 0;
    this.rowids.length = 0;
    this.bucketKeys.length = 0;
  }
}
