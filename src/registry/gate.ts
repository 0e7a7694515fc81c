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

export function insertDecision(reg: Registry, d: DecisionRow): number {
  return Number(
    reg
      .stmt(
        `INSERT INTO sr_decisions (decided_at, source, request_id, originator, target, counter, command_variant, service_reference_variant, device_type, supplier_eui, solr_event_id, decision, reasons, warnings, doc_sha256)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(d.decidedAt, d.source, d.requestId, d.originator, d.target, d.counter, d.commandVariant, d.serviceReferenceVariant, d.deviceType, d.supplierEui,
        d.solrEventId, d.decision, JSON.stringify(d.reasons), JSON.stringify(d.warnings), d.docSha256).lastInsertRowid,
  );
}

export function highestCounter(reg: Registry, originator: string): bigint | undefined {
  // The whole (small) table: a deleted or lowered counter row must not let a replay through.
  reg.rows.checkTable('replay_counters');
  const r = reg.stmt('SELECT counter FROM replay_counters WHERE originator = ?').get(originator) as { counter: string } | undefined;
  return r ? BigInt(r.counter) : undefined;
}

export function setHighestCounter(reg: Registry, originator: string, counter: bigint): void {
  reg
    .stmt('INSERT INTO replay_counters (originator, counter) VALUES (?, ?) ON CONFLICT(originator) DO UPDATE SET counter = excluded.counter')
    .run(originator, counterKey(counter));
}

export function findTransform(reg: Registry, requestId: string): { requestId: string; signedPreCommandAt: string | null } | undefined {
  const r = reg.rows.check('transforms', reg.stmt('SELECT * FROM transforms WHERE request_id = ?').get(requestId) as
    { request_id: string; signed_precommand_at: string | null } | undefined);
  return r && { requestId: r.request_id, signedPreCommandAt: r.signed_precommand_at };
}

export function insertTransform(reg: Registry, requestId: string, originator: string, at: Date): void {
  reg.stmt('INSERT INTO transforms (request_id, originator, accepted_at) VALUES (?, ?, ?)').run(requestId, originator, at.toISOString());
}

export function markSignedPreCommand(reg: Registry, requestId: string, at: Date): void {
  reg.stmt('UPDATE transforms SET signed_precommand_at = ? WHERE request_id = ?').run(at.toISOString(), requestId);
}

/** Records one request that counts against an ADT (accepted, CommandVariant 1-4 or 8). */
export function countAgainstAdt(reg: Registry, originator: string, supplier: string, srv: string, at: Date): void {
  reg
    .stmt(
      `INSERT INTO adt_minute_counts (originator, supplier_eui, service_reference_variant, minute, n) VALUES (?, ?, ?, ?, 1)
       ON CONFLICT DO UPDATE SET n = n + 1`,
    )
    .run(originator, supplier, srv, Math.floor(at.getTime() / 60_000));
}

/**
 * Requests counted against an ADT in the window (since, at] from any of `originators` (the SoLRContingency
 * User IDs of one Party: thresholds and counts share the Party's scope): whole minutes from the
 * per-minute counts, the minute the window starts in from the decisions themselves, so the count is exact.
 */
export function countInWindow(reg: Registry, originators: readonly string[], supplier: string, srv: string, since: Date, at: Date): number {
  if (originators.length === 0) return 0;
  const firstMinute = Math.floor(since.getTime() / 60_000);
  const ids = originators.map(() => '?').join(', ');
  const whole = reg
    .stmt(
      `SELECT COALESCE(SUM(n), 0) AS n FROM adt_minute_counts WHERE originator IN (${ids}) AND supplier_eui = ? AND service_reference_variant = ?
       AND minute > ? AND minute <= ?`,
    )
    .get(...originators, supplier, srv, firstMinute, Math.floor(at.getTime() / 60_000)) as { n: number };
  const edge = reg
    .stmt(
      `SELECT COUNT(*) AS n FROM sr_decisions WHERE originator IN (${ids}) AND supplier_eui = ? AND service_reference_variant = ?
       AND decision = 'accept' AND command_variant NOT IN (5, 6, 7) AND decided_at > ? AND decided_at < ?`,
    )
    .get(...originators, supplier, srv, since.toISOString(), new Date((firstMinute + 1) * 60_000).toISOString()) as { n: number };
  // Quarantined requests an ARO released count from their release (sr quarantine release).
  const released = countReleasedBetween(reg, originators, supplier, srv, since.toISOString(), new Date((firstMinute + 1) * 60_000).toISOString());
  return whole.n + edge.n + released;
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
  return rows.map(toDecision);
}

/**
 * The decision recorded for exactly this document (its bytes' SHA-256), if the gate decided it before:
 * an interrupted `sr check` run again reports it as already decided instead of deciding it again.
 */
export function findDecisionByDoc(reg: Registry, docSha256: string): (DecisionRow & { id: number }) | undefined {
  const r = reg.rows.check('sr_decisions', reg.stmt('SELECT * FROM sr_decisions WHERE doc_sha256 = ? ORDER BY id LIMIT 1').get(docSha256) as Record<string, unknown> | undefined);
  return r && toDecision(r);
}
