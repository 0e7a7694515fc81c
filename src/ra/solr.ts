// The SoLR event lifecycle (MP134B requirement 6): the Authority's instruction is recorded by one RA
// operator and approved by a different one; it is active only between approval and its end.
import type { IssuingAuthority } from '../ca/authority.js';
import type { Catalogue } from '../config/catalogue.js';
import { InputError, PolicyRefusal } from '../domain/errors.js';
import { freeText, TEXT_LIMITS } from '../domain/text.js';
import type { Eui64 } from '../domain/eui.js';
import { reason, type Reason } from '../domain/reasons.js';
import { SOLR_CONTINGENCY, holdsSupplierRole, userRoleName } from '../domain/roles.js';
import { findUserId, listUserIds, type UserIdRecord } from '../registry/parties.js';
import type { Registry } from '../registry/registry.js';
import {
  approveSolrEvent,
  endSolrEvent,
  findSolrEvent,
  insertSolrEvent,
  listSolrEvents,
  markSuppliersRevoked,
  type SolrEventRecord,
} from '../registry/solr.js';
import { revokeAllOf } from './revocation.js';
import { writeCrlFile } from '../ca/crl-publisher.js';
import { RevocationReason } from '../ca/crl.js';
import { operatorFor, type OperatorKey } from './credentials.js';


export interface RecordEventInput {
  failedSupplier: Eui64;
  srp: Eui64;
  instructionRef: string;
  from: Date;
  until: Date;
  /** The recording RA operator's key (--as). */
  operator: OperatorKey;
}

/** Pure: may this event be recorded? */
export function decideRecord(input: RecordEventInput, supplier: UserIdRecord, srp: UserIdRecord, bounds: { maxEventDays: number; maxStartAheadDays: number }, now: Date): Reason[] {
  const { maxEventDays, maxStartAheadDays } = bounds;
  const reasons: Reason[] = [];
  if (srp.role !== SOLR_CONTINGENCY) {
    reasons.push(reason('SOLR_SRP_NOT_ACTING_FOR_SUPPLIER', `${srp.eui} is a ${userRoleName(srp.role)} User ID, not SoLRContingency`));
  } else if (srp.actingFor !== supplier.eui) {
    reasons.push(reason('SOLR_SRP_NOT_ACTING_FOR_SUPPLIER', `${srp.eui} acts for ${srp.actingFor ?? 'no Supplier'}`));
  }
  reasons.push(...decideWindow(input, { maxEventDays, maxStartAheadDays }, now));
  return reasons;
}

/**
 * Pure: the window rules of decideRecord alone (its start when `until` is not known yet), so that a
 * prompt can ask again for a start or an end that recording would refuse.
 */
export function decideWindow(w: { from: Date; until?: Date }, bounds: { maxEventDays: number; maxStartAheadDays: number }, now: Date): Reason[] {
  const { maxEventDays, maxStartAheadDays } = bounds;
  const reasons: Reason[] = [];
  if (w.until) {
    const days = (w.until.getTime() - w.from.getTime()) / 86_400_000;
    if (!(days <= maxEventDays)) reasons.push(reason('SOLR_WINDOW_TOO_LONG', `${days.toFixed(1)} days; at most ${maxEventDays}`));
    if (w.until.getTime() <= now.getTime()) reasons.push(reason('SOLR_WINDOW_ENDED', `it ended at ${w.until.toISOString()}`));
  }
  const ahead = (w.from.getTime() - now.getTime()) / 86_400_000;
  if (ahead > maxStartAheadDays) reasons.push(reason('SOLR_WINDOW_TOO_FAR_AHEAD', `it starts in ${ahead.toFixed(1)} days; at most ${maxStartAheadDays}`));
  return reasons;
}

function sameOperator(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

export function recordEvent(reg: Registry, catalogue: Catalogue, input: RecordEventInput): SolrEventRecord {
  if (!freeText(input.instructionRef, '--instruction', TEXT_LIMITS.reference)) throw new InputError("--instruction: Ofgem's instruction reference is required");
  if (!(input.until.getTime() > input.from.getTime())) throw new InputError('--until: must be after --from');
  return reg.tx(() => {
    const acting = operatorFor(reg, input.operator, 'solr.record', '', { failedSupplier: input.failedSupplier, srp: input.srp, instruction: input.instructionRef.trim(), from: input.from.toISOString(), until: input.until.toISOString() });
    const supplier = findUserId(reg, input.failedSupplier);
    if (!supplier) throw new InputError(`--failed-supplier: no User ID ${input.failedSupplier} is registered`);
    if (!holdsSupplierRole(supplier.roles)) {
      throw new InputError(`--failed-supplier: ${supplier.eui} is a ${supplier.roles.map(userRoleName).join('/')} User ID, not a Supplier's`);
    }
    const srp = findUserId(reg, input.srp);
    if (!srp) throw new InputError(`--srp: no User ID ${input.srp} is registered`);
    const at = reg.now();
    const reasons = decideRecord(input, supplier, srp, catalogue.solr, at);
    if (reasons.length) throw new PolicyRefusal(reasons);
    const id = reg.nextId('SOLR');
    insertSolrEvent(reg, {
      id,
      failedSupplier: supplier.eui,
      srpUserId: srp.eui,
      instructionRef: input.instructionRef.trim(),
      startsAt: input.from.toISOString(),
      endsAt: input.until.toISOString(),
      recordedBy: acting.name,
      recordedAt: at.toISOString(),
    });
    reg.audit.append(at, acting, 'solr.record', id, {
      failedSupplier: supplier.eui,
      srp: srp.eui,
      instruction: input.instructionRef.trim(),
      from: input.from.toISOString(),
      until: input.until.toISOString(),
    });
    return findSolrEvent(reg, id)!;
  });
}

export function requireEvent(reg: Registry, id: string): SolrEventRecord {
  const e = findSolrEvent(reg, id.trim());
  if (!e) throw new InputError(`no SoLR event ${id} (see 'smki solr list')`);
  return e;
}

/** Pure: dual control. */
export function decideApprove(e: SolrEventRecord, operator: string): Reason[] {
  if (e.status !== 'recorded') return [reason('SOLR_EVENT_STATE', `${e.id} is ${e.status}`)];
  if (sameOperator(e.recordedBy, operator)) return [reason('SOLR_SELF_APPROVAL', `${e.id} was recorded by ${e.recordedBy}`)];
  return [];
}

export function approveEvent(reg: Registry, id: string, operator: OperatorKey): SolrEventRecord {
  return reg.tx(() => {
    const acting = operatorFor(reg, operator, 'solr.approve', id.trim(), { event: id.trim() });
    const e = requireEvent(reg, id);
    const reasons = decideApprove(e, acting.name);
    if (reasons.length) throw new PolicyRefusal(reasons);
    const at = reg.now();
    approveSolrEvent(reg, e.id, acting.name, at);
    reg.audit.append(at, acting, 'solr.approve', e.id, { recordedBy: e.recordedBy });
    return findSolrEvent(reg, e.id)!;
  });
}

/** Pure: may the event be ended? Any event not yet ended. */
export function decideEnd(e: SolrEventRecord): Reason[] {
  return e.status === 'recorded' || e.status === 'approved' ? [] : [reason('SOLR_EVENT_STATE', `${e.id} is ${e.status}${e.endedAt ? ` since ${e.endedAt}` : ''}`)];
}

/** Pure: may the failed Supplier's certificates be revoked under this event? Once, and only when approved. */
export function decideRevokeSupplier(e: SolrEventRecord): Reason[] {
  if (e.status !== 'approved') return [reason('SOLR_EVENT_STATE', `${e.id} is ${e.status}; revocation needs an approved event`)];
  if (e.suppliersRevokedAt) return [reason('SOLR_EVENT_STATE', `${e.id}: the Supplier's certificates were revoked at ${e.suppliersRevokedAt}`)];
  return [];
}

/** Pure: may this User ID take over the failed Supplier's alerts when the event ends (the SoLR)? */
export function decideHandover(e: SolrEventRecord, handover: UserIdRecord): Reason[] {
  if (!holdsSupplierRole(handover.roles)) return [reason('SOLR_HANDOVER_NOT_SUPPLIER', `${handover.eui} is ${handover.roles.map(userRoleName).join('/')}`)];
  if (handover.eui === e.failedSupplier) return [reason('SOLR_HANDOVER_NOT_SUPPLIER', `${handover.eui} is the failed Supplier`)];
  return [];
}

/** Ends an event; `handoverTo` names the Supplier (the SoLR) that the failed Supplier's alerts go to from then on. */
export function endEvent(reg: Registry, id: string, operator: OperatorKey, handoverTo?: Eui64): SolrEventRecord {
  return reg.tx(() => {
    const acting = operatorFor(reg, operator, 'solr.end', id.trim(), { event: id.trim(), handoverTo: handoverTo ?? null });
    const e = requireEvent(reg, id);
    const ended = decideEnd(e);
    if (ended.length) throw new PolicyRefusal(ended);
    if (handoverTo !== undefined) {
      const h = findUserId(reg, handoverTo);
      if (!h) throw new InputError(`--handover-to: no User ID ${handoverTo} is registered`);
      const reasons = decideHandover(e, h);
      if (reasons.length) throw new PolicyRefusal(reasons);
    }
    const at = reg.now();
    endSolrEvent(reg, e.id, acting.name, at, handoverTo ?? null);
    reg.audit.append(at, acting, 'solr.end', e.id, { previousStatus: e.status, scheduledEnd: e.endsAt, handoverTo: handoverTo ?? null });
    return findSolrEvent(reg, e.id)!;
  });
}

/** Pure: is the event active at `at`? Only from its approval (and not before its start) until its end. */
export function isActive(e: SolrEventRecord, at: Date): boolean {
  if (e.status !== 'approved' || e.approvedAt === null) return false;
  const t = at.getTime();
  return t >= Date.parse(e.approvedAt) && t >= Date.parse(e.startsAt) && t < Date.parse(e.endsAt);
}

export function eventState(e: SolrEventRecord, at: Date): 'recorded' | 'approved (not yet started)' | 'active' | 'expired' | 'ended' {
  if (e.status === 'recorded') return 'recorded';
  if (e.status === 'ended') return 'ended';
  if (isActive(e, at)) return 'active';
  return at.getTime() < Date.parse(e.endsAt) ? 'approved (not yet started)' : 'expired';
}

/** For the gate: the active event in which this SoLRContingency User ID acts for this Supplier. */
export function activeEventFor(reg: Registry, srp: Eui64, supplier: Eui64, at: Date): SolrEventRecord | undefined {
  return listSolrEvents(reg, { srp, supplier }).find((e) => isActive(e, at));
}

/** For the gate: every active event of this SoLRContingency User ID. */
export function activeEventsForSrp(reg: Registry, srp: Eui64, at: Date): SolrEventRecord[] {
  return listSolrEvents(reg, { srp }).filter((e) => isActive(e, at));
}

/**
 * Revokes every certificate of the failed Supplier's Party (reason cessationOfOperation) in one
 * transaction with a fresh CRL. Certificates are kept, marked revoked: the Supplier's Digital Signing
 * certificate stays the key meters trust, which the gate checks Signed Pre-Commands against.
 */
export function revokeSupplier(reg: Registry, ca: IssuingAuthority, catalogue: Catalogue, id: string, operator: OperatorKey) {
  const result = reg.tx(() => {
    const acting = operatorFor(reg, operator, 'solr.revoke-supplier', id.trim(), { event: id.trim() });
    const e = requireEvent(reg, id);
    const refusals = decideRevokeSupplier(e);
    if (refusals.length) throw new PolicyRefusal(refusals);
    const supplier = findUserId(reg, e.failedSupplier)!;
    const userIds = listUserIds(reg, supplier.partyId).filter((u) => !u.roles.includes(SOLR_CONTINGENCY)).map((u) => u.eui);
    const result = revokeAllOf(reg, ca, catalogue, userIds, RevocationReason.cessationOfOperation, acting, e.id);
    const at = reg.now();
    markSuppliersRevoked(reg, e.id, acting.name, at);
    reg.audit.append(at, acting, 'solr.revoke-supplier', e.id, { supplier: e.failedSupplier, userIds, revoked: result.revoked.map((c) => c.serial), crlNumber: result.crlNumber });
    return { event: findSolrEvent(reg, e.id)!, revoked: result.revoked, crlNumber: result.crlNumber };
  });
  return { ...result, crlFile: writeCrlFile(reg) };
}
