// SRO and ARO lifecycle (MP134B requirement 4). An SRO is registered by an RA operator with evidence;
// an ARO is nominated by an active SRO of the same Party and activated by an RA operator.
import { InputError, PolicyRefusal } from '../domain/errors.js';
import { freeText, TEXT_LIMITS } from '../domain/text.js';
import { reason, type Reason } from '../domain/reasons.js';
import {
  findOfficer,
  insertOfficer,
  setOfficerStatus,
  type OfficerKind,
  type OfficerRecord,
  type OfficerStatus,
} from '../registry/officers.js';
import type { Registry } from '../registry/registry.js';
import type { UserIdRecord } from '../registry/parties.js';
import { operatorFor, type OperatorKey } from './credentials.js';

export interface AddOfficerInput {
  party: UserIdRecord;
  kind: OfficerKind;
  name: string;
  nominatedBy?: string;
  evidence?: string;
  /** The acting RA operator's key (--as). */
  operator: OperatorKey;
}

/** Pure: may this officer be added? */
export function decideAddOfficer(input: AddOfficerInput, nominator: OfficerRecord | undefined): Reason[] {
  const reasons: Reason[] = [];
  if (input.kind === 'sro') {
    if (!input.evidence?.trim()) reasons.push(reason('EVIDENCE_REQUIRED'));
  } else {
    if (!nominator) reasons.push(reason('SRO_REQUIRED', 'no --nominated-by SRO given'));
    else if (nominator.kind !== 'sro') reasons.push(reason('SRO_REQUIRED', `${nominator.id} is an ARO`));
    else if (nominator.partyId !== input.party.partyId) reasons.push(reason('SRO_REQUIRED', `${nominator.id} acts for ${nominator.partyName}`));
    else if (nominator.status !== 'active') reasons.push(reason('SRO_REQUIRED', `${nominator.id} is ${nominator.status}`));
  }
  return reasons;
}

export function addOfficer(reg: Registry, input: AddOfficerInput): OfficerRecord {
  if (!freeText(input.name, '--name', TEXT_LIMITS.name)) throw new InputError('--name: an officer name is required');
  freeText(input.evidence, '--evidence', TEXT_LIMITS.reference);
  return reg.tx(() => {
    const acting = operatorFor(reg, input.operator, 'officer.add', input.party.eui, { party: input.party.eui, kind: input.kind, name: input.name.trim(), nominatedBy: input.nominatedBy ?? null, evidence: input.evidence ?? null });
    let nominator: OfficerRecord | undefined;
    if (input.nominatedBy) {
      nominator = findOfficer(reg, input.nominatedBy);
      if (!nominator) throw new InputError(`--nominated-by: no officer ${input.nominatedBy}`);
    }
    const reasons = decideAddOfficer(input, nominator);
    if (reasons.length) throw new PolicyRefusal(reasons);
    const id = reg.nextId('OFC');
    // An SRO is registered by the RA operator and active at once; an ARO waits for activation.
    const status: OfficerStatus = input.kind === 'sro' ? 'active' : 'nominated';
    const at = reg.now();
    insertOfficer(
      reg,
      { id, partyId: input.party.partyId, kind: input.kind, name: input.name.trim(), status, nominatedBy: nominator?.id ?? null, evidence: input.evidence?.trim() || null },
      acting.name,
      at,
    );
    reg.audit.append(at, acting, `officer.add`, id, {
      kind: input.kind,
      name: input.name.trim(),
      party: input.party.partyName,
      nominatedBy: nominator?.id ?? null,
      evidence: input.evidence ?? null,
      status,
    });
    return findOfficer(reg, id)!;
  });
}

const TRANSITIONS: Record<'activate' | 'suspend' | 'revoke', { from: OfficerStatus[]; to: OfficerStatus }> = {
  activate: { from: ['nominated', 'suspended'], to: 'active' },
  suspend: { from: ['nominated', 'active'], to: 'suspended' },
  revoke: { from: ['nominated', 'active', 'suspended'], to: 'revoked' },
};

/** Pure: may this officer's status change this way? */
export function decideOfficerTransition(officer: OfficerRecord, action: 'activate' | 'suspend' | 'revoke'): Reason[] {
  const t = TRANSITIONS[action];
  return t && t.from.includes(officer.status) ? [] : [reason('OFFICER_NOT_ACTIVE', `${officer.id} is ${officer.status}; cannot ${action}`)];
}

export function changeOfficerStatus(
  reg: Registry,
  id: string,
  action: 'activate' | 'suspend' | 'revoke',
  operator: OperatorKey,
  note?: string,
): OfficerRecord {
  freeText(note, '--note', TEXT_LIMITS.note);
  return reg.tx(() => {
    const acting = operatorFor(reg, operator, `officer.${action}`, id.trim(), { officer: id.trim(), note: note ?? null });
    const officer = findOfficer(reg, id);
    if (!officer) throw new InputError(`no officer ${id} (see 'smki officer list')`);
    const reasons = decideOfficerTransition(officer, action);
    if (reasons.length) throw new PolicyRefusal(reasons);
    const t = TRANSITIONS[action];
    const at = reg.now();
    setOfficerStatus(reg, officer.id, t.to, acting.name, at, note ?? null);
    reg.audit.append(at, acting, `officer.${action}`, officer.id, { from: officer.status, to: t.to, note: note ?? null });
    return findOfficer(reg, officer.id)!;
  });
}

/** Pure: may this officer submit CSRs or ADT files for this Party? */
export function checkActiveAro(officer: OfficerRecord | undefined, party: UserIdRecord, officerId: string): Reason[] {
  if (!officer) return [reason('OFFICER_UNKNOWN', officerId)];
  const reasons: Reason[] = [];
  if (officer.kind !== 'aro') reasons.push(reason('OFFICER_NOT_ARO', `${officer.id} is an SRO`));
  if (officer.status !== 'active') reasons.push(reason('OFFICER_NOT_ACTIVE', `${officer.id} is ${officer.status}`));
  if (officer.partyId !== party.partyId) reasons.push(reason('OFFICER_FOREIGN_PARTY', `${officer.id} acts for ${officer.partyName}`));
  return reasons;
}
