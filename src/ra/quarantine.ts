// Quarantine actions (requirement 4, as DCC's anomaly detection does for a quarantined request): an
// active ARO of the SRP's Party releases a quarantined request (it is then processed as accepted:
// replay counter, open transform, ADT count) or deletes it. Each action is one transaction with its
// audit record; the AD1-style record stays, with who acted and when.
import { InputError, PolicyRefusal } from '../domain/errors.js';
import type { Eui64 } from '../domain/eui.js';
import { reason, type Reason } from '../domain/reasons.js';
import { countAgainstAdt, highestCounter, insertTransform, setHighestCounter } from '../registry/gate.js';
import { findOfficer, type OfficerRecord } from '../registry/officers.js';
import { findUserId, type UserIdRecord } from '../registry/parties.js';
import { findQuarantine, setQuarantineStatus, type QuarantineRecord } from '../registry/quarantine.js';
import type { Registry } from '../registry/registry.js';
import { checkActiveAro } from './officers.js';
import { activeEventFor } from './solr.js';
import { actAsOfficer, type OfficerKey } from './credentials.js';

export type QuarantineAction = 'release' | 'delete';

export interface QuarantineFacts {
  quarantined: QuarantineRecord;
  /** The request's originator (the SRP's SoLRContingency User ID) as registered now. */
  sender: UserIdRecord | undefined;
  officer: OfficerRecord | undefined;
  officerId: string;
  /** For release: an event under which the sender may reach the Device's Supplier is active now. */
  eventActive: boolean;
  /** For release: the originator's highest accepted counter now. */
  highestCounter: bigint | undefined;
}

/** Pure: may this ARO release or delete this quarantined request? */
export function decideQuarantineAction(action: QuarantineAction, f: QuarantineFacts): Reason[] {
  const q = f.quarantined;
  if (q.status !== 'quarantined') return [reason('QUARANTINE_NOT_PENDING', `${q.id} was ${q.status}${q.actedAt ? ` at ${q.actedAt}` : ''}`)];
  if (!f.sender) return [reason('SENDER_UNKNOWN', `${q.originator} is no longer registered`)];
  const reasons = checkActiveAro(f.officer, f.sender, f.officerId);
  if (action === 'release') {
    if (!f.eventActive) reasons.push(reason('SOLR_EVENT_NOT_ACTIVE', `no active event for ${q.originator} and Supplier ${q.supplierEui ?? '(none)'}`));
    if (f.highestCounter !== undefined && q.counter <= f.highestCounter) {
      reasons.push(reason('REPLAY', `counter ${q.counter} is not above ${f.highestCounter}, accepted since the quarantine`));
    }
  }
  return reasons;
}

function gatherFacts(reg: Registry, q: QuarantineRecord, officerId: string, at: Date): QuarantineFacts {
  const sender = findUserId(reg, q.originator as Eui64);
  return {
    quarantined: q,
    sender,
    officer: findOfficer(reg, officerId),
    officerId,
    eventActive: sender !== undefined && q.supplierEui !== null && activeEventFor(reg, sender.eui, q.supplierEui as Eui64, at) !== undefined,
    highestCounter: highestCounter(reg, q.originator),
  };
}

/** Releases (processes as accepted) or deletes one quarantined request, in one transaction with its audit record. */
export function actOnQuarantined(reg: Registry, action: QuarantineAction, id: string, officerKey: OfficerKey, claimedOfficer?: string): QuarantineRecord {
  return reg.tx(() => {
    // The acting ARO is the one whose key signs (--officer, if given, must name them).
    const actor = actAsOfficer(reg, officerKey, `sr.quarantine.${action}`, id.trim(), { quarantine: id.trim() }, claimedOfficer);
    const officerId = actor.officer.id;
    const q = findQuarantine(reg, id.trim());
    if (!q) throw new InputError(`no quarantined request ${id} (see 'smki sr quarantine list')`);
    const at = reg.now();
    const reasons = decideQuarantineAction(action, gatherFacts(reg, q, officerId.trim(), at));
    if (reasons.length) throw new PolicyRefusal(reasons);
    if (action === 'release') {
      // Processed as the gate processes an accepted CommandVariant 1-4 or 8 request (Signed Pre-Commands are never quarantined).
      setHighestCounter(reg, q.originator, q.counter);
      if (q.commandVariant === 4) insertTransform(reg, q.requestId, q.originator, at);
      if (q.supplierEui) countAgainstAdt(reg, q.originator, q.supplierEui, q.serviceReferenceVariant, at);
    }
    setQuarantineStatus(reg, q.id, action === 'release' ? 'released' : 'deleted', officerId.trim(), actor.name, at);
    reg.audit.append(at, actor, `sr.quarantine.${action}`, q.requestId, {
      quarantine: q.id,
      officer: officerId.trim(),
      decision: q.decisionId,
      solrEvent: q.solrEventId,
      cv: q.commandVariant,
      srv: q.serviceReferenceVariant,
    });
    return findQuarantine(reg, q.id)!;
  });
}
