// Devices and their registered Supplier User ID, plus the staging table a device import validates into
// before anything is written to the registry.
import type { Statement } from './driver.js';
import type { Eui64 } from '../domain/eui.js';
import type { Registry } from './registry.js';

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
  const r = reg.rows.check('devices', reg.stmt('SELECT * FROM devices WHERE eui = ?').get(eui) as Row | undefined);
  return r && toRecord(r);
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
export function* iterateDevices(reg: Registry, opts: { supplier?: Eui64; limit?: number } = {}): Generator<DeviceRecord> {
  const limit = opts.limit ?? -1;
  const rows = (opts.supplier === undefined
    ? reg.stmt('SELECT * FROM devices ORDER BY eui LIMIT ?').iterate(limit)
    : reg.stmt('SELECT * FROM devices WHERE supplier_eui = ? ORDER BY eui LIMIT ?').iterate(opts.supplier, limit)) as IterableIterator<Row>;
  for (const r of rows) yield toRecord(reg.rows.check('devices', r));
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

let stageCounter = 0;
/** Above every canonical EUI-64 (upper-case hex) in sort order. */
const AFTER_ALL = '~';

/**
 * A per-import TEMP table (the connection's temporary database, on disk, never the registry file)
 * holding the validated rows. Validation appends to it in file order; `index()` then sorts it by EUI
 * (one covering index, built by sorting: far cheaper than keeping a unique index while appending
 * rows in random order) and finds Devices given more than once. The import applies it to `devices`
 * in one transaction, in EUI order, so its writes go to few pages of the registry's indexes.
 */
export class DeviceStage {
  private readonly table: string;
  private readonly insertStmt: Statement;
  private indexed = false;
  private open = true;
  private boundStmt: Statement | undefined;
  private countStmt: Statement | undefined;
  private upsertStmt: Statement | undefined;

  constructor(private readonly reg: Registry) {
    const n = `device_import_stage_${process.pid}_${++stageCounter}`;
    this.table = `temp.${n}`;
    reg.db.exec(`CREATE TABLE ${this.table} (
      seq INTEGER PRIMARY KEY,
      eui TEXT NOT NULL,
      device_type TEXT NOT NULL,
      smets INTEGER NOT NULL,
      supplier_eui TEXT NOT NULL,
      line INTEGER NOT NULL
    )`);
    this.insertStmt = reg.db.prepare(`INSERT INTO ${this.table} (eui, device_type, smets, supplier_eui, line) VALUES (?, ?, ?, ?, ?)`);
  }

  /** Appends rows (one transaction on the temporary database; the registry file is not touched). */
  add(rows: StagedDevice[]): void {
    this.reg.db.transaction(() => {
      for (const r of rows) this.insertStmt.run(r.eui, r.deviceType, r.smets, r.supplierEui, r.line);
    }, 'unlocked');
  }

  /** Sorts the staged rows by EUI; call once, after the last `add`. */
  index(): void {
    if (this.indexed) return;
    const name = `${this.table}_eui`;
    this.reg.db.exec(`CREATE INDEX ${name} ON ${this.table.slice('temp.'.length)} (eui, device_type, smets, supplier_eui, line)`);
    this.indexed = true;
  }

  private static readonly REPEATS = (t: string) => `
    SELECT g.first, b.seq FROM (SELECT eui, min(seq) AS first FROM ${t} GROUP BY eui HAVING count(*) > 1) g
      JOIN ${t} b ON b.eui = g.eui AND b.seq > g.first`;

  /** Every row that repeats the EUI of an earlier row, with that earlier (first) row, by line. */
  *repeats(): Generator<{ row: StagedDevice; earlier: StagedDevice }> {
    this.index();
    const stmt = this.reg.db.prepare(`
      SELECT b.eui, b.device_type AS bt, b.smets AS bs, b.supplier_eui AS bsup, b.line AS bl,
             a.device_type AS at, a.smets AS as_, a.supplier_eui AS asup, a.line AS al
        FROM (${DeviceStage.REPEATS(this.table)}) r
        JOIN ${this.table} a ON a.seq = r.first
        JOIN ${this.table} b ON b.seq = r.seq
       ORDER BY b.line`);
    type R = { eui: Eui64; bt: DeviceType; bs: Smets; bsup: Eui64; bl: number; at: DeviceType; as_: Smets; asup: Eui64; al: number };
    for (const r of stmt.iterate() as IterableIterator<R>) {
      yield {
        row: { eui: r.eui, deviceType: r.bt, smets: r.bs, supplierEui: r.bsup, line: r.bl },
        earlier: { eui: r.eui, deviceType: r.at, smets: r.as_, supplierEui: r.asup, line: r.al },
      };
    }
  }

  /** Drops every repeat of an earlier row's EUI, keeping the first (call only when all are identical). */
  dropRepeats(): number {
    this.index();
    return this.reg.db.prepare(`DELETE FROM ${this.table} WHERE seq IN (SELECT seq FROM (${DeviceStage.REPEATS(this.table)}))`).run().changes;
  }

  /** Staged rows. */
  get size(): number {
    return (this.reg.db.prepare(`SELECT count(*) AS n FROM ${this.table}`).get() as { n: number }).n;
  }

  /** The EUI that ends a batch of `size` Devices after `after` ('' for the first), or undefined for the last batch. */
  batchEnd(after: string, size: number): Eui64 | undefined {
    this.index();
    this.boundStmt ??= this.reg.db.prepare(`SELECT eui FROM ${this.table} WHERE eui > ? ORDER BY eui LIMIT 1 OFFSET ?`).pluck();
    return this.boundStmt.get(after, size - 1) as Eui64 | undefined;
  }

  /**
   * Applies every staged Device to `devices`, in steps of `step` consecutive EUIs (calling `onStep`
   * with the rows applied so far): new ones inserted, changed ones updated, identical ones left alone.
   * Call inside one registry transaction (with its audit record): the whole file or nothing.
   */
  applyAll(at: Date, step: number, onStep?: (rows: number) => void): BatchOutcome {
    if (!this.reg.inTransaction) throw new Error('a device import is applied inside a registry transaction');
    const sum: BatchOutcome = { firstEui: '' as Eui64, lastEui: '' as Eui64, rows: 0, imported: 0, updated: 0, unchanged: 0, supplierChanged: 0 };
    let after = '';
    for (;;) {
      const upTo = this.batchEnd(after, step);
      const o = this.apply(after, upTo, at);
      if (o.rows > 0) {
        if (sum.rows === 0) sum.firstEui = o.firstEui;
        sum.lastEui = o.lastEui;
      }
      sum.rows += o.rows;
      sum.imported += o.imported;
      sum.updated += o.updated;
      sum.unchanged += o.unchanged;
      sum.supplierChanged += o.supplierChanged;
      onStep?.(sum.rows);
      if (upTo === undefined) return sum;
      after = upTo;
    }
  }

  /**
   * Applies the staged Devices with EUI in (after, upTo]. Each written row carries its row MAC from the
   * statement itself (one write per row; the sealing trigger has nothing to redo), and a registered
   * row is updated only if it is as smki wrote it.
   */
  private apply(after: string, upTo: Eui64 | undefined, at: Date): BatchOutcome {
    this.index();
    this.countStmt ??= this.reg.db.prepare(`
      SELECT count(*) AS rows,
             min(s.eui) AS firstEui,
             max(s.eui) AS lastEui,
             coalesce(sum(d.eui IS NULL), 0) AS imported,
             coalesce(sum(d.eui IS NOT NULL AND (d.device_type <> s.device_type OR d.smets <> s.smets OR d.supplier_eui <> s.supplier_eui)), 0) AS updated,
             coalesce(sum(d.eui IS NOT NULL AND d.supplier_eui <> s.supplier_eui), 0) AS supplierChanged
        FROM ${this.table} s LEFT JOIN main.devices d ON d.eui = s.eui
       WHERE s.eui > ? AND s.eui <= ?`);
    const sealed = this.reg.rows.enabled;
    this.upsertStmt ??= this.reg.db.prepare(`
      INSERT INTO main.devices (eui, device_type, smets, supplier_eui, updated_at, row_mac)
      SELECT s.*, ${sealed ? this.reg.rows.macSql('devices', 's.') : 'NULL'} FROM (
        SELECT eui, device_type, smets, supplier_eui, ? AS updated_at FROM ${this.table} WHERE eui > ? AND eui <= ? ORDER BY eui
      ) s WHERE true
      ON CONFLICT(eui) DO UPDATE SET
        device_type = excluded.device_type, smets = excluded.smets,
        supplier_eui = excluded.supplier_eui, updated_at = excluded.updated_at, row_mac = excluded.row_mac
      WHERE (devices.device_type <> excluded.device_type OR devices.smets <> excluded.smets
         OR devices.supplier_eui <> excluded.supplier_eui)${sealed ? ` AND ${this.reg.rows.checkSql('devices', 'devices.')}` : ''}`);
    const hi = upTo ?? AFTER_ALL;
    const c = this.countStmt.get(after, hi) as Omit<BatchOutcome, 'unchanged'>;
    const out: BatchOutcome = { ...c, unchanged: c.rows - c.imported - c.updated };
    if (out.imported + out.updated > 0) this.upsertStmt.run(at.toISOString(), after, hi);
    return out;
  }

  drop(): void {
    if (!this.open) return;
    this.open = false;
    if (this.reg.db.open) this.reg.db.exec(`DROP TABLE IF EXISTS ${this.table}`);
  }
}
