// Row sealing on PostgreSQL (src/registry/row-mac.ts explains the MACs and digests). SQLite seals in
// TEMP triggers that call JavaScript; a PostgreSQL trigger cannot, and the MAC key must never reach the
// database server (its administrator is exactly whom the MACs detect). So the MACs are computed here,
// in the client:
//
// - a keyless trigger on every protected table (in the schema) records each changed row, old and new,
//   into this session's temporary table `smki_changes`, and only while the session has set
//   `smki.sealing`: an edit made with psql records nothing, and nobody seals it;
// - after each statement that writes a protected table the driver calls `afterWrite`, which takes the
//   recorded changes and does what SQLite's triggers do: an inserted row without a MAC is sealed, an
//   updated row whose MAC was left alone is checked as it was (never laundering an edit made outside
//   smki) and sealed again, and every MAC that comes or goes moves the table's digest.
import type { ColumnInfo, Driver } from './driver.js';
import { PgDriver, type WriteObserver } from './pg-driver.js';

/** What the row guard lends the sealer (it keeps the key; this file never sees it). */
export interface SealingHooks {
  /** The row's MAC (columns by name, as SQLite returns them). */
  mac(table: string, row: Record<string, unknown>): Buffer;
  /** Throws IntegrityError unless the row (with its row_mac) is as smki wrote it. */
  check(table: string, row: Record<string, unknown>): void;
  /** The value that names the row's bucket of tallies (its rowid, or the table's bucket column), or null. */
  bucketKey(table: string, row: Record<string, unknown>): number | null;
  /** A MAC left the table (`removed`, from the row at `oldRowid`) and/or came into it (`added`, at `newRowid`). */
  note(table: string, oldRowid: number | null, removed: Buffer | null, newRowid: number | null, added: Buffer | null): void;
}

/** The trigger function and the triggers that record changes (created with the schema). */
export function pgSealingDdl(tables: readonly string[]): string[] {
  return [
    `CREATE OR REPLACE FUNCTION smki_note_change() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  IF current_setting('smki.sealing', true) IS DISTINCT FROM 'on' THEN RETURN NULL; END IF;
  INSERT INTO pg_temp.smki_changes (tbl, op, old_row, new_row) VALUES (TG_TABLE_NAME, TG_OP,
    CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
  RETURN NULL;
END $f$`,
    ...tables.map(noteChangeTrigger),
  ];
}

/** The trigger that records a protected table's changes for sealing (created with the table). */
export function noteChangeTrigger(table: string): string {
  return `CREATE TRIGGER smki_note_change AFTER INSERT OR UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION smki_note_change()`;
}

interface Change {
  tbl: string;
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  old_row: string | null;
  new_row: string | null;
}

interface Shape {
  bytea: Set<string>;
  /** The columns a sealing UPDATE names its row by: rowid, or the primary key. */
  key: string[];
}

const BYTEA = 17;

export class PgSealer implements WriteObserver {
  private readonly tables: Set<string>;
  private readonly shapes = new Map<string, Shape>();
  private draining = false;

  constructor(
    private readonly db: PgDriver,
    private readonly hooks: SealingHooks,
    tables: readonly string[],
  ) {
    this.tables = new Set(tables);
  }

  /** Creates this session's change table and turns recording on. */
  install(): void {
    this.db.exec("CREATE TEMP TABLE IF NOT EXISTS smki_changes (tbl text NOT NULL, op text NOT NULL, old_row jsonb, new_row jsonb); SET smki.sealing = 'on'");
    this.db.observer = this;
  }

  watches(table: string): boolean {
    return this.tables.has(table);
  }

  private shape(table: string): Shape {
    let s = this.shapes.get(table);
    if (!s) {
      const cols = this.db.tableColumns(table) as (ColumnInfo & { type: number })[];
      s = {
        bytea: new Set(cols.filter((c) => c.type === BYTEA).map((c) => c.name)),
        key: this.db.withoutRowid(table) ? cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name) : ['rowid'],
      };
      this.shapes.set(table, s);
    }
    return s;
  }

  /** A row as recorded (jsonb) with the values SQLite would return: bytea as Buffer. */
  private decode(table: string, json: string): Record<string, unknown> {
    const row = JSON.parse(json) as Record<string, unknown>;
    for (const c of this.shape(table).bytea) {
      const v = row[c];
      if (typeof v === 'string') row[c] = Buffer.from(v.slice(2), 'hex');
    }
    return row;
  }

  afterWrite(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      const take = this.db.prepare('DELETE FROM pg_temp.smki_changes RETURNING tbl, op, old_row::text AS old_row, new_row::text AS new_row');
      for (;;) {
        const changes = take.all() as Change[];
        if (changes.length === 0) return;
        const seal: { table: string; row: Record<string, unknown> }[] = [];
        for (const c of changes) {
          const before = c.old_row === null ? null : this.decode(c.tbl, c.old_row);
          const after = c.new_row === null ? null : this.decode(c.tbl, c.new_row);
          const oldMac = (before?.row_mac as Buffer | null | undefined) ?? null;
          const newMac = (after?.row_mac as Buffer | null | undefined) ?? null;
          // The rowid (a column here, generated or an identity), or the table's bucket column, names the row's bucket of tallies.
          const oldRowid = before ? this.hooks.bucketKey(c.tbl, before) : null;
          const newRowid = after ? this.hooks.bucketKey(c.tbl, after) : null;
          if (c.op === 'DELETE') this.hooks.note(c.tbl, oldRowid, oldMac, null, null);
          else if (c.op === 'INSERT') {
            if (newMac === null) seal.push({ table: c.tbl, row: after! });
            else this.hooks.note(c.tbl, null, null, newRowid, newMac);
          } else if (oldMac === newMac || (oldMac !== null && newMac !== null && oldMac.equals(newMac))) {
            // An UPDATE that left row_mac alone changed the row: the row it changed must be smki's own.
            this.hooks.check(c.tbl, before!);
            seal.push({ table: c.tbl, row: after! });
          } else this.hooks.note(c.tbl, oldRowid, oldMac, newRowid, newMac);
        }
        // The sealing UPDATEs are recorded in turn (their MAC changes) and move the digests next round.
        for (const s of seal) {
          const key = this.shape(s.table).key;
          this.db.prepare(`UPDATE ${s.table} SET row_mac = ? WHERE ${key.map((k) => `${k} = ?`).join(' AND ')}`).run(this.hooks.mac(s.table, s.row), ...key.map((k) => s.row[k]));
        }
      }
    } finally {
      this.draining = false;
    }
  }
}

/** Seals this connection's writes from now on (the row guard's install on PostgreSQL). */
export function installPgSealing(db: Driver, hooks: SealingHooks, tables: readonly string[]): void {
  if (!(db instanceof PgDriver)) throw new Error(`no row sealing for the ${db.dialect} driver`);
  new PgSealer(db, hooks, tables).install();
}
