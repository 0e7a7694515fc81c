// What the Service Request gate keeps: every decision, the replay counters and the open transforms.
import { countReleasedBetween } from './quarantine.js';
import type { Registry } from './registry.js';

export interface DecisionRow {
  decidedAt: string;
  source: string;
  requestId: string | null;
  originator: string | null;
  target: string | null;
  counter: string | null;
  commandVariant: number | null;
  serviceReferenceVariant: string | null;
  deviceType: string | null;
  supplierEui: string | null;
  solrEventId: string | null;
  decision: 'accept' | 'refuse' | 'quarantine';
  reasons: unknown[];
  warnings: unknown[];
  docSha256: string | null;
}

/** Counters are uint64: stored as 20-digit decimal strings so text order is numeric order. */
export function counterKey(counter: bigint): string {
  return counter.toString().padStart(20, '0');
}

// The gate's tables are hot (row-mac.ts HOT_TABLES): every write here sets row_mac itself (`sealValue`)
// and reports the change (`wrote`), after checking the row it replaces; no trigger calls back into JS.

/**
 * What this transaction last read or wrote of one of the gate's tables, under `key` (Registry.readOnce:
 * kept for the transaction, which holds the write lock, and only the functions here write these
 * tables, each updating its slot after its statement; outside a transaction read afresh each time).
 * A decision reads its counter, transform and ADT minute rows in gathering its facts and then writes
 * them: the row it replaces is the one it read, checked then, and is not read a second time.
 */
function slot<T>(reg: Registry, key: string, read: () => T): { row: T } {
  return reg.readOnce(`gate-row:${key}`, () => ({ row: read() }));
}

/** The next decision id inside this transaction (ids are the rowid; the MAC covers the id). */
function nextDecisionId(reg: Registry): { row: number } {
  return slot(reg, 'next-decision-id', () => ((reg.stmt('SELECT max(id) AS id FROM sr_decisions').get() as { id: number | null }).id ?? 0) + 1);
}

export function insertDecision(reg: Registry, d: DecisionRow): number {
  const next = nextDecisionId(reg);
  const row = {
    id: next.row, decided_at: d.decidedAt, source: d.source, request_id: d.requestId, originator: d.originator, target: d.target, counter: d.counter,
    command_variant: d.commandVariant, service_reference_variant: d.serviceReferenceVariant, device_type: d.deviceType, supplier_eui: d.supplierEui,
    solr_event_id: d.solrEventId, decision: d.decision, reasons: JSON.stringify(d.reasons), warnings: JSON.stringify(d.warnings), doc_sha256: d.docSha256,
  };
  const mac = reg.rows.sealValue('sr_decisions', row);
  reg
    .stmt(
      `INSERT INTO sr_decisions (id, decided_at, source, request_id, originator, target, counter, command_variant, service_reference_variant, device_type, supplier_eui, solr_event_id, decision, reasons, warnings, doc_sha256, row_mac)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(row.id, row.decided_at, row.source, row.request_id, row.originator, row.target, row.counter, row.command_variant, row.service_reference_variant,
      row.device_type, row.supplier_eui, row.solr_event_id, row.decision, row.reasons, row.warnings, row.doc_sha256, mac);
  reg.rows.wrote('sr_decisions', null, null, row.id, mac);
  next.row = row.id + 1;
  return row.id;
}

interface CounterRow {
  __rowid: number;
  originator: string;
  counter: string;
  row_mac: Buffer | null;
}

/**
 * The originator's counter row, checked: its MAC and its bucket (a lowered counter restored from an
 * older copy is refused). No row: the whole table is checked (once while no other connection
 * commits), so a deleted counter row cannot let a replay through.
 */
function counterRow(reg: Registry, originator: string): { row: CounterRow | undefined } {
  return slot(reg, `replay:${originator}`, () => readCounterRow(reg, originator));
}

function readCounterRow(reg: Registry, originator: string): CounterRow | undefined {
  const r = reg.rows.check('replay_counters', reg.stmt('SELECT rowid AS __rowid, * FROM replay_counters WHERE originator = ?').get(originator) as CounterRow | undefined);
  if (!r) reg.rows.checkTable('replay_counters');
  return r;
}

export function highestCounter(reg: Registry, originator: string): bigint | undefined {
  const r = counterRow(reg, originator).row;
  return r ? BigInt(r.counter) : undefined;
}

export function setHighestCounter(reg: Registry, originator: string, counter: bigint): void {
  const kept = counterRow(reg, originator);
  const old = kept.row;
  const row = { originator, counter: counterKey(counter) };
  const mac = reg.rows.sealValue('replay_counters', row);
  const at = reg
    .stmt('INSERT INTO replay_counters (originator, counter, row_mac) VALUES (?, ?, ?) ON CONFLICT(originator) DO UPDATE SET counter = excluded.counter, row_mac = excluded.row_mac RETURNING rowid')
    .pluck()
    .get(row.originator, row.counter, mac) as number;
  reg.rows.wrote('replay_counters', old?.__rowid ?? null, old?.row_mac ?? null, at, mac);
  kept.row = { __rowid: at, originator: row.originator, counter: row.counter, row_mac: mac };
}

interface TransformRow {
  __rowid?: number;
  row_mac?: Buffer | null;
  request_id: string;
  originator: string;
  accepted_at: string;
  signed_precommand_at: string | null;
}

function transformRow(reg: Registry, requestId: string): { row: TransformRow | undefined } {
  return slot(reg, `transform:${requestId}`, () => readTransformRow(reg, requestId));
}

function readTransformRow(reg: Registry, requestId: string): TransformRow | undefined {
  return reg.rows.check('transforms', reg.stmt('SELECT rowid AS __rowid, * FROM transforms WHERE request_id = ?').get(requestId) as TransformRow | undefined);
}

export function findTransform(reg: Registry, requestId: string): { requestId: string; signedPreCommandAt: string | null } | undefined {
  const r = transformRow(reg, requestId).row;
  return r && { requestId: r.request_id, signedPreCommandAt: r.signed_precommand_at };
}

export function insertTransform(reg: Registry, requestId: string, originator: string, at: Date): void {
  const row: TransformRow = { request_id: requestId, originator, accepted_at: at.toISOString(), signed_precommand_at: null };
  const mac = reg.rows.sealValue('transforms', row);
  const { lastInsertRowid } = reg.stmt('INSERT INTO transforms (request_id, originator, accepted_at, row_mac) VALUES (?, ?, ?, ?)').run(row.request_id, row.originator, row.accepted_at, mac);
  reg.rows.wrote('transforms', null, null, lastInsertRowid, mac);
  transformRow(reg, requestId).row = { ...row, __rowid: Number(lastInsertRowid), row_mac: mac };
}

export function markSignedPreCommand(reg: Registry, requestId: string, at: Date): void {
  // The row it changes is checked first; the new row's MAC is written with the change.
  const kept = transformRow(reg, requestId);
  const old = kept.row;
  if (!old) return;
  const row: TransformRow = { request_id: old.request_id, originator: old.originator, accepted_at: old.accepted_at, signed_precommand_at: at.toISOString() };
  const mac = reg.rows.sealValue('transforms', row);
  reg.stmt('UPDATE transforms SET signed_precommand_at = ?, row_mac = ? WHERE request_id = ?').run(row.signed_precommand_at, mac, requestId);
  reg.rows.wrote('transforms', old.__rowid ?? null, old.row_mac ?? null, old.__rowid ?? null, mac);
  kept.row = { ...row, __rowid: old.__rowid, row_mac: mac };
}

/** Records one request that counts against an ADT (accepted, CommandVariant 1-4 or 8). */
export function countAgainstAdt(reg: Registry, originator: string, supplier: string, srv: string, at: Date): void {
  const minute = Math.floor(at.getTime() / 60_000);
  // The minute's row it replaces is checked first (free when this transaction wrote it); the new row's MAC is written with it.
  const kept = slot(reg, `adt-minute:${originator}|${supplier}|${srv}|${minute}`, () =>
    reg.rows.check('adt_minute_counts', reg.stmt('SELECT * FROM adt_minute_counts WHERE originator = ? AND supplier_eui = ? AND service_reference_variant = ? AND minute = ?')
      .get(originator, supplier, srv, minute) as { n: number; row_mac: Buffer | null } | undefined));
  const old = kept.row;
  const row = { originator, supplier_eui: supplier, service_reference_variant: srv, minute, n: (old?.n ?? 0) + 1 };
  const mac = reg.rows.sealValue('adt_minute_counts', row);
  reg
    .stmt(`INSERT INTO adt_minute_counts (originator, supplier_eui, service_reference_variant, minute, n, row_mac) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (originator, supplier_eui, service_reference_variant, minute) DO UPDATE SET n = excluded.n, row_mac = excluded.row_mac`)
    .run(row.originator, row.supplier_eui, row.service_reference_variant, row.minute, row.n, mac);
  // The minute names the row's bucket of tallies (src/registry/row-mac.ts BUCKET_COLUMNS).
  reg.rows.wrote('adt_minute_counts', old ? minute : null, old?.row_mac ?? null, minute, mac);
  kept.row = { n: row.n, row_mac: mac };
}

/**
 * Requests counted against an ADT in the window (since, at] from any of `originators` (the SoLRContingency
 * User IDs of one Party: thresholds and counts share the Party's scope), from the per-minute counts.
 * The minute the window starts in is counted whole less the requests of that minute at or before
 * `since` (decisions and releases), so the count is exact and a row deleted outside smki can only
 * raise it. Every row it rests on is checked, and so are the tallies of the window's minute buckets:
 * a minute count deleted (or lowered) outside smki would let requests past the thresholds.
 */
export function countInWindow(reg: Registry, originators: readonly string[], supplier: string, srv: string, since: Date, at: Date): number {
  if (originators.length === 0) return 0;
  const firstMinute = Math.floor(since.getTime() / 60_000);
  const lastMinute = Math.floor(at.getTime() / 60_000);
  const minuteStart = new Date(firstMinute * 60_000).toISOString();
  const minuteEnd = new Date((firstMinute + 1) * 60_000).toISOString();
  const sql = windowSql(originators.length);
  // Checked once per window while no other connection commits; then summed in SQL. Every decision
  // of the first minute that counts is checked, so an edit that would make one count is refused.
  reg.rows.verifyOnce(`adt_window|${originators.join(',')}|${supplier}|${srv}|${firstMinute}|${lastMinute}`, () => {
    reg.rows.checkAll('adt_minute_counts', reg.stmt(sql.minuteRows).all(...originators, supplier, srv, firstMinute, lastMinute));
    reg.rows.checkBuckets('adt_minute_counts', firstMinute, lastMinute);
    reg.rows.checkAll('sr_decisions', reg.stmt(sql.firstMinuteDecisions).all(...originators, supplier, srv, minuteStart, minuteEnd));
  });
  const sinceText = since.toISOString();
  // The minutes' whole counts and the first minute's decisions at or before `since`, in one statement.
  const { whole_n: whole, before_n: before } = reg.stmt(sql.wholeAndBefore).get(...originators, supplier, srv, firstMinute, lastMinute, ...originators, supplier, srv, minuteStart, sinceText) as { whole_n: number; before_n: number };
  // Quarantined requests an ARO released count from their release (sr quarantine release).
  const releasedBefore = countReleasedBetween(reg, originators, supplier, srv, minuteStart, sinceText, minuteEnd);
  return Math.max(0, whole - before - releasedBefore);
}

interface WindowSql {
  minuteRows: string;
  firstMinuteDecisions: string;
  wholeAndBefore: string;
}

const windowSqlByCount = new Map<number, WindowSql>();

/** countInWindow's statements for `n` originators, written once (the statement cache then finds each by the same string). */
function windowSql(n: number): WindowSql {
  let sql = windowSqlByCount.get(n);
  if (!sql) {
    const ids = Array.from({ length: n }, () => '?').join(', ');
    const minutes = `WHERE originator IN (${ids}) AND supplier_eui = ? AND service_reference_variant = ? AND minute >= ? AND minute <= ?`;
    const counted = `FROM sr_decisions WHERE originator IN (${ids}) AND supplier_eui = ? AND service_reference_variant = ?
       AND decision = 'accept' AND command_variant NOT IN (5, 6, 7) AND decided_at >= ? AND decided_at`;
    sql = {
      minuteRows: `SELECT * FROM adt_minute_counts ${minutes}`,
      firstMinuteDecisions: `SELECT * ${counted} < ?`,
      wholeAndBefore: `SELECT (SELECT COALESCE(SUM(n), 0) FROM adt_minute_counts ${minutes}) AS whole_n, (SELECT COUNT(*) ${counted} <= ?) AS before_n`,
    };
    windowSqlByCount.set(n, sql);
  }
  return sql;
}

function toDecision(r: Record<string, unknown>): DecisionRow & { id: number } {
  return {
    id: r.id as number,
    decidedAt: r.decided_at as string,
    source: r.source as string,
    requestId: r.request_id as string | null,
    originator: r.originator as string | null,
    target: r.target as string | null,
    counter: r.counter as string | null,
    commandVariant: r.command_variant as number | null,
    serviceReferenceVariant: r.service_reference_variant as string | null,
    deviceType: r.device_type as string | null,
    supplierEui: r.supplier_eui as string | null,
    solrEventId: r.solr_event_id as string | null,
    decision: r.decision as DecisionRow['decision'],
    reasons: JSON.parse(r.reasons as string),
    warnings: JSON.parse(r.warnings as string),
    docSha256: r.doc_sha256 as string | null,
  };
}

export function listDecisions(reg: Registry, filter: { solrEventId?: string } = {}): (DecisionRow & { id: number })[] {
  const rows = (filter.solrEventId
    ? reg.stmt('SELECT * FROM sr_decisions WHERE solr_event_id = ? ORDER BY id').all(filter.solrEventId)
    : reg.stmt('SELECT * FROM sr_decisions ORDER BY id').all()) as Record<string, unknown>[];
  return reg.rows.checkAll('sr_decisions', rows).map(toDecision);
}

/**
 * The decision recorded for exactly this document (its bytes' SHA-256), if the gate decided it before:
 * an interrupted `sr check` run again reports it as already decided instead of deciding it again.
 */
export function findDecisionByDoc(reg: Registry, docSha256: string): (DecisionRow & { id: number }) | undefined {
  const r = reg.rows.check('sr_decisions', reg.stmt('SELECT * FROM sr_decisions WHERE doc_sha256 = ? ORDER BY id LIMIT 1').get(docSha256) as Record<string, unknown> | undefined);
  return r && toDecision(r);
}
