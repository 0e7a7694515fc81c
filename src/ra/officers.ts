// SRO and ARO lifecycle (MP134B requirement 4). An SRO is registered by an RA operator with evidence;
// an ARO is nominated by an active SRO of the same Party and activated by an RA operator.
import { InputError, PolicyRefusal } from '../domain/errors.js';
import { freeText, TEXT_LIMITS } from '../domain/text.js';
import { reason, type Reason } from '../domain/reasons.js';
import {
  findOfficer,
  insertOfficer,
  officersWithKey,
  setOfficerStatus,
  type OfficerKind,
  type OfficerRecord,
  type OfficerStatus,
} from '../registry/officers.js';
import type { Registry } from '../registry/registry.js';
import type { UserIdRecord } from '../registry/parties.js';
import { actAsOfficer, operatorFor, type Acting, type OfficerKey, type OperatorKey } from './credentials.js';
import { keyIdOf } from '../ca/person-keys.js';

export interface AddOfficerInput {
  party: UserIdRecord;
  kind: OfficerKind;
  name: string;
  /** For an ARO: the nominating SRO's ID; if given it must be the officer whose key signs (`nominator`). */
  nominatedBy?: string;
  evidence?: string;
  /** The new officer's P-256 public key (SubjectPublicKeyInfo DER). */
  publicKey: Buffer;
  /** An SRO is registered by an RA operator: the operator's key (--as). */
  operator?: OperatorKey;
  /** An ARO is nominated by an active SRO of the same Party: the SRO's key (--officer-key). */
  nominator?: OfficerKey;
}

/** Pure: may this officer be added? */
export function decideAddOfficer(input: Pick<AddOfficerInput, 'kind' | 'evidence' | 'party'>, nominator: OfficerRecord | undefined): Reason[] {
  const reasons: Reason[] = [];
  if (input.kind === 'sro') {
    if (!input.evidence?.trim()) reasons.push(reason('EVIDENCE_REQUIRED'));
  } else {
    if (!nominator) reasons.push(reason('SRO_REQUIRED', 'no nominating SRO signed'));
    else if (nominator.kind !== 'sro') reasons.push(reason('SRO_REQUIRED', `${nominator.id} is an ARO`));
    else if (nominator.partyId !== input.party.partyId) reasons.push(reason('SRO_REQUIRED', `${nominator.id} acts for ${nominator.partyName}`));
    else if (nominator.status !== 'active') reasons.push(reason('SRO_REQUIRED', `${nominator.id} is ${nominator.status}`));
  }
  return reasons;
}

/**
 * Registers an SRO (signed by an RA operator's key, with evidence) or nominates an ARO (signed by the
 * key of an active SRO of the same Party), each with the new officer's public key.
 */
export function addOfficer(reg: Registry, input: AddOfficerInput): OfficerRecord {
  if (!freeText(input.name, '--name', TEXT_LIMITS.name)) throw new InputError('--name: an officer name is required');
  freeText(input.evidence, '--evidence', TEXT_LIMITS.reference);
  const newKey = keyIdOf(input.publicKey);
  return reg.tx(() => {
    const args = { party: input.party.eui, kind: input.kind, name: input.name.trim(), nominatedBy: input.nominatedBy ?? null, evidence: input.evidence ?? null, publicKey: newKey };
    let acting: Acting;
    let nominator: OfficerRecord | undefined;
    if (input.kind === 'sro') {
      if (!input.operator) throw new InputError("missing --as: an SRO is registered by an RA operator's key");
      acting = operatorFor(reg, input.operator, 'officer.add', input.party.eui, args);
    } else {
      if (!input.nominator) throw new InputError("missing --officer-key: an ARO is nominated with the key of an active SRO of the same Party");
      const sro = actAsOfficer(reg, input.nominator, 'officer.add', input.party.eui, args, input.nominatedBy);
      acting = sro;
      nominator = sro.officer;
    }
    const reasons = decideAddOfficer(input, nominator);
    if (reasons.length) throw new PolicyRefusal(reasons);
    const taken = officersWithKey(reg, newKey)[0];
    if (taken) throw new InputError(`--public-key: this key is already registered for ${taken.id}; every officer has a key of their own`);
    const id = reg.nextId('OFC');
    // An SRO is registered by the RA operator and active at once; an ARO waits for activation.
    const status: OfficerStatus = input.kind === 'sro' ? 'active' : 'nominated';
    const at = reg.now();
    const seq = reg.audit.append(at, acting, `officer.add`, id, {
      kind: input.kind,
      name: input.name.trim(),
      party: input.party.partyName,
      nominatedBy: nominator?.id ?? null,
      evidence: input.evidence ?? null,
      status,
      key: newKey,
    });
    insertOfficer(
      reg,
      { id, partyId: input.party.partyId, kind: input.kind, name: input.name.trim(), status, nominatedBy: nominator?.id ?? null, evidence: input.evidence?.trim() || null, keyId: newKey, publicKey: input.publicKey, addedSeq: seq },
      acting.name,
      at,
    );
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
