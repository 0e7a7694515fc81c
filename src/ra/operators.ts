// RA operators (DESIGN.md "Credentials"): `smki init --admin` registers the first; every further one is
// added by an acting operator (--as). Revoking an operator revokes its key at once, under every name
// registered with it; the last active operator cannot be revoked.
import { keyIdOf, shortKeyId } from '../ca/person-keys.js';
import type { Signer } from '../ca/signer.js';
import { InputError, PolicyRefusal } from '../domain/errors.js';
import { freeText, TEXT_LIMITS } from '../domain/text.js';
import { reason, type Reason } from '../domain/reasons.js';
import { findOperator, insertOperator, listOperators, markOperatorRevoked, type OperatorRecord } from '../registry/operators.js';
import type { Registry } from '../registry/registry.js';
import { actAsOperator } from './credentials.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/;

export function parseOperatorName(text: string, what = '--name'): string {
  const name = text.trim();
  if (!NAME.test(name)) throw new InputError(`${what}: '${text}' is not an operator name (letters, digits, space . _ @ -; at most 64)`);
  return name;
}

/** Whether a change needs an acting operator's key: always, once any operator is registered. */
export function needsActingOperator(reg: Registry): boolean {
  return listOperators(reg).length > 0;
}

/**
 * Registers an operator. `as` is the acting operator's key; only a registry without any operator (a home
 * made before keys existed) takes its first operator without one.
 */
export function addOperator(reg: Registry, input: { name: string; publicKey: Buffer }, as: Signer | undefined): OperatorRecord {
  const name = parseOperatorName(input.name);
  return reg.tx(() => {
    const keyId = keyIdOf(input.publicKey);
    const args = { name, publicKey: keyId };
    const acting = as ? actAsOperator(reg, as, 'operator.add', name, args) : undefined;
    if (!acting && listOperators(reg).length > 0) throw new PolicyRefusal([reason('OPERATOR_REQUIRED', 'operator add needs --as (an operator is registered)')]);
    if (findOperator(reg, name)) throw new InputError(`--name: an operator ${name} is registered already (names are never reused)`);
    const at = reg.now();
    const seq = reg.audit.append(at, acting ?? name, 'operator.add', name, { name, key: keyId, bootstrap: acting === undefined });
    insertOperator(reg, { name, keyId, publicKey: input.publicKey, by: acting?.name ?? name, at, seq });
    return findOperator(reg, name)!;
  });
}

/** The first operator of a new home, inside `smki init`'s transaction (no one exists to sign for it). */
export function registerFirstOperator(reg: Registry, name: string, publicKey: Buffer): void {
  if (listOperators(reg).length > 0) throw new Error('the first operator is registered once');
  const at = reg.now();
  const keyId = keyIdOf(publicKey);
  const seq = reg.audit.append(at, name, 'operator.add', name, { name, key: keyId, bootstrap: true });
  insertOperator(reg, { name, keyId, publicKey, by: name, at, seq });
}

/** Pure: may this operator be revoked? Not twice, and not if no other key would remain active. */
export function decideRevokeOperator(target: OperatorRecord, all: readonly OperatorRecord[]): Reason[] {
  if (target.status !== 'active') return [reason('OPERATOR_REVOKED', `${target.name} was revoked at ${target.revokedAt}`)];
  const others = all.filter((o) => o.status === 'active' && o.keyId !== target.keyId);
  if (others.length === 0) return [reason('OPERATOR_LAST_ACTIVE', `${target.name} (${shortKeyId(target.keyId)}) is the last active operator key`)];
  return [];
}

/** Revokes the operator's key under every name registered with it; returns those names. */
export function revokeOperator(reg: Registry, nameText: string, as: Signer, note?: string): OperatorRecord[] {
  const name = nameText.trim();
  freeText(note, '--note', TEXT_LIMITS.note);
  return reg.tx(() => {
    const acting = actAsOperator(reg, as, 'operator.revoke', name, { name, note: note ?? null });
    const target = findOperator(reg, name);
    if (!target) throw new InputError(`no operator ${name} (see 'smki operator list')`);
    const all = listOperators(reg);
    const reasons = decideRevokeOperator(target, all);
    if (reasons.length) throw new PolicyRefusal(reasons);
    const names = all.filter((o) => o.keyId === target.keyId && o.status === 'active').map((o) => o.name);
    const at = reg.now();
    const seq = reg.audit.append(at, acting, 'operator.revoke', target.name, { names, key: target.keyId, note: note ?? null });
    for (const n of names) markOperatorRevoked(reg, n, acting.name, at, seq);
    return names.map((n) => findOperator(reg, n)!);
  });
}
