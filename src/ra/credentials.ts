// People act with keys (DESIGN.md "Trust boundaries"): an RA operator's change is a statement signed by
// the operator's key (--as), checked against the registered, unrevoked operator key inside the
// transaction that makes the change, before anything is decided; the audit record keeps the statement
// and its signature. Dual control (ca-config/dual-control.json) compares keys, not names.
import { keyIdOf, shortKeyId } from '../ca/person-keys.js';
import type { Signer } from '../ca/signer.js';
import { loadDualControl, type DualControlRule } from '../config/dual-control.js';
import { InputError, IntegrityError, PolicyRefusal } from '../domain/errors.js';
import { reason, type Reason } from '../domain/reasons.js';
import { operatorsWithKey, type OperatorRecord } from '../registry/operators.js';
import { findOfficer, officersWithKey, type OfficerRecord } from '../registry/officers.js';
import type { Registry } from '../registry/registry.js';
import { canonicalStatement, parseStatement, statementVerifies, type SignerKind, type Statement } from '../registry/statements.js';

/** The person acting in a transaction: their registered name and the statement they signed. */
export interface Acting {
  kind: SignerKind;
  /** The registered name (an operator's name, an officer's ID): the audit record's actor. */
  name: string;
  keyId: string;
  statement: string;
  signature: string;
}

/** Pure: may the holder of this key act as an RA operator? `rows`: every operator registered with it. */
export function decideOperatorKey(keyId: string, rows: readonly OperatorRecord[]): { reasons: Reason[]; operator?: OperatorRecord } {
  if (rows.length === 0) return { reasons: [reason('OPERATOR_KEY_UNKNOWN', shortKeyId(keyId))] };
  const active = rows.find((o) => o.status === 'active');
  if (!active) return { reasons: [reason('OPERATOR_REVOKED', `${rows.map((o) => o.name).join(', ')} revoked at ${rows[0]!.revokedAt}`)] };
  return { reasons: [], operator: active };
}

/** Who signed an earlier step about the same subject (keyId null for a step recorded before keys). */
export interface EarlierStep {
  action: string;
  keyId: string | null;
  name: string;
}

function sameName(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** Pure: dual control. The acting key (or, for steps recorded before keys, the acting name) may not have signed an earlier step the rule names. */
export function decideDualControl(rules: readonly DualControlRule[], command: string, subject: string, acting: { keyId: string; name: string }, earlier: readonly EarlierStep[]): Reason[] {
  const reasons: Reason[] = [];
  for (const rule of rules) {
    if (rule.action !== command) continue;
    for (const e of earlier) {
      if (!rule.differentFrom.includes(e.action)) continue;
      const same = e.keyId !== null ? e.keyId === acting.keyId : sameName(e.name, acting.name);
      if (same) reasons.push(reason(rule.reason, `${e.action} of ${subject} was signed by the same ${e.keyId !== null ? `key ${shortKeyId(e.keyId)}` : 'operator'} (${e.name})`));
    }
  }
  return reasons;
}

/**
 * Signs the statement of the change about to be made. Inside the transaction, before it appends any
 * record: the statement names the audit head the change follows, so it cannot be replayed elsewhere.
 */
export function signStatement(reg: Registry, key: Signer, signer: SignerKind, command: string, subject: string, args: Record<string, unknown>): { statement: string; signature: string; keyId: string } {
  if (!reg.inTransaction) throw new Error('a statement is signed inside the transaction that makes the change');
  if (reg.audit.pendingHead() !== null) throw new Error('a statement is signed before its transaction appends any record');
  const keyId = keyIdOf(key.spkiDer);
  const head = reg.head();
  const st: Statement = { smki: 'statement/1', signer, key: keyId, command, subject, args, at: reg.now().toISOString(), after: { seq: head.seq, hash: head.hash } };
  const statement = canonicalStatement(st);
  return { statement, signature: key.sign(Buffer.from(statement, 'utf8'), 'der').toString('base64'), keyId };
}

/** The signers of earlier steps about `subject`, each statement checked against its registered key. */
export function earlierSteps(reg: Registry, subject: string, actions: readonly string[]): EarlierStep[] {
  return reg.audit.recordsAbout(subject, actions).map((r) => {
    if (r.statement === null) return { action: r.action, keyId: null, name: r.actor };
    const st = parseStatement(r.statement);
    const key = st && operatorsWithKey(reg, st.key)[0];
    if (!st || !key || r.signature === null || !statementVerifies(key.publicKey, r.statement, r.signature)) {
      throw new IntegrityError(`audit record ${r.seq}: its signed statement does not verify; run 'smki audit verify'`);
    }
    return { action: r.action, keyId: st.key, name: r.actor };
  });
}

/**
 * The RA operator holding `key` acts: inside the transaction, the key must be a registered, unrevoked
 * operator key, the signed statement must verify with the registered public key, and dual control
 * must hold. Refused (exit 3) otherwise, before the change is made.
 */
export function actAsOperator(reg: Registry, key: Signer, command: string, subject: string, args: Record<string, unknown>, rules: readonly DualControlRule[] = loadDualControl()): Acting {
  const signed = signStatement(reg, key, 'operator', command, subject, args);
  const { reasons, operator } = decideOperatorKey(signed.keyId, operatorsWithKey(reg, signed.keyId));
  if (!operator) throw new PolicyRefusal(reasons);
  if (!statementVerifies(operator.publicKey, signed.statement, signed.signature)) {
    throw new PolicyRefusal([reason('STATEMENT_SIGNATURE_INVALID', `${key.label} for ${operator.name}`)]);
  }
  const applicable = rules.filter((r) => r.action === command);
  if (applicable.length && subject) {
    const dual = decideDualControl(applicable, command, subject, { keyId: signed.keyId, name: operator.name }, earlierSteps(reg, subject, [...new Set(applicable.flatMap((r) => r.differentFrom))]));
    if (dual.length) throw new PolicyRefusal(dual);
  }
  return { kind: 'operator', name: operator.name, keyId: signed.keyId, statement: signed.statement, signature: signed.signature };
}

/** An operator's key from the command line, or the Acting of the enclosing transaction (nested steps). */
export type OperatorKey = Signer | Acting;

function isActing<T extends Acting>(who: Signer | T): who is T {
  return typeof (who as Acting).statement === 'string';
}

/** The acting operator of this transaction: a key is checked here (actAsOperator); an Acting is the enclosing transaction's. */
export function operatorFor(reg: Registry, who: OperatorKey, command: string, subject: string, args: Record<string, unknown>): Acting {
  return isActing(who) ? who : actAsOperator(reg, who, command, subject, args);
}

/** An SRO or ARO acting with their key: the Acting, and the officer as registered (its status is the caller's to decide). */
export interface OfficerActing extends Acting {
  officer: OfficerRecord;
}

/** An officer's key from the command line (--officer-key), or the OfficerActing of the enclosing transaction. */
export type OfficerKey = Signer | OfficerActing;

/** Pure: whose key is this? Refused when no officer is registered with it, or when `claimed` (--officer ID) names another. */
export function decideOfficerKey(keyId: string, rows: readonly OfficerRecord[], claimed: string | undefined): { reasons: Reason[]; officer?: OfficerRecord } {
  const officer = rows[0];
  if (!officer) return { reasons: [reason('OFFICER_KEY_UNKNOWN', shortKeyId(keyId))] };
  if (claimed !== undefined && claimed.trim() !== '' && claimed.trim().toUpperCase() !== officer.id.toUpperCase()) {
    return { reasons: [reason('OFFICER_KEY_MISMATCH', `the key is ${officer.id}'s, not ${claimed.trim()}'s`)] };
  }
  return { reasons: [], officer };
}

/** An officer ID given on the command line (--officer, --nominated-by) that names no officer: malformed input (exit 4), as an unknown Party is. */
export function requireClaimedOfficer(reg: Registry, claimed: string | undefined, find: (id: string) => OfficerRecord | undefined = (id) => findOfficer(reg, id)): void {
  const id = claimed?.trim();
  if (id && !find(id)) throw new InputError(`no officer ${id} (see 'smki officer list')`);
}

/**
 * The SRO or ARO holding `key` acts: inside the transaction, the key must be a registered officer key
 * (and the officer the one `claimed` names, if any), and the signed statement must verify with it.
 * Whether that officer may do this (active, an ARO, of this Party) the caller's decider says.
 */
export function actAsOfficer(reg: Registry, key: OfficerKey, command: string, subject: string, args: Record<string, unknown>, claimed?: string): OfficerActing {
  requireClaimedOfficer(reg, claimed);
  if (isActing(key)) {
    const { reasons } = decideOfficerKey(key.keyId, [key.officer], claimed);
    if (reasons.length) throw new PolicyRefusal(reasons);
    return key;
  }
  const signed = signStatement(reg, key, 'officer', command, subject, args);
  const { reasons, officer } = decideOfficerKey(signed.keyId, officersWithKey(reg, signed.keyId), claimed);
  if (!officer) throw new PolicyRefusal(reasons);
  if (!officer.publicKey || !statementVerifies(officer.publicKey, signed.statement, signed.signature)) {
    throw new PolicyRefusal([reason('STATEMENT_SIGNATURE_INVALID', `${key.label} for ${officer.id}`)]);
  }
  return { kind: 'officer', name: officer.id, keyId: signed.keyId, statement: signed.statement, signature: signed.signature, officer };
}
