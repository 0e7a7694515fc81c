// ca-config/dual-control.json: which actions need a second person, and which earlier steps on the same
// subject that person must not have signed. Validated strictly: an unknown action or reason fails to load.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../domain/errors.js';
import { isReasonCode, type ReasonCode } from '../domain/reasons.js';
import { DEFAULT_CONFIG_DIR } from './catalogue.js';

export interface DualControlRule {
  action: string;
  differentFrom: string[];
  reason: ReasonCode;
}

/** The actions a rule may name: operator-signed changes with a subject that later steps share. */
export const DUAL_CONTROL_ACTIONS: readonly string[] = ['solr.record', 'solr.approve', 'solr.end', 'solr.revoke-supplier', 'officer.add', 'officer.activate', 'officer.suspend', 'officer.revoke', 'cert.revoke'];

export function parseDualControl(raw: unknown, where = 'ca-config/dual-control.json'): DualControlRule[] {
  const rules = (raw as { rules?: unknown })?.rules;
  if (!Array.isArray(rules)) throw new InputError(`${where}: "rules" must be a list`);
  return rules.map((r: { action?: unknown; differentFrom?: unknown; reason?: unknown }, i) => {
    const at = `${where}: rules[${i}]`;
    if (typeof r?.action !== 'string' || !DUAL_CONTROL_ACTIONS.includes(r.action)) throw new InputError(`${at}: action must be one of ${DUAL_CONTROL_ACTIONS.join(', ')}`);
    if (!Array.isArray(r.differentFrom) || r.differentFrom.length === 0 || !r.differentFrom.every((a) => typeof a === 'string' && DUAL_CONTROL_ACTIONS.includes(a))) {
      throw new InputError(`${at}: differentFrom must list earlier actions among ${DUAL_CONTROL_ACTIONS.join(', ')}`);
    }
    const reason = r.reason ?? 'DUAL_CONTROL_SAME_KEY';
    if (typeof reason !== 'string' || !isReasonCode(reason)) throw new InputError(`${at}: reason ${String(reason)} is not a reason code`);
    return { action: r.action, differentFrom: r.differentFrom as string[], reason };
  });
}

let cached: DualControlRule[] | undefined;
export function loadDualControl(dir = DEFAULT_CONFIG_DIR): DualControlRule[] {
  if (dir !== DEFAULT_CONFIG_DIR) return parseDualControl(JSON.parse(readFileSync(join(dir, 'dual-control.json'), 'utf8')));
  cached ??= parseDualControl(JSON.parse(readFileSync(join(dir, 'dual-control.json'), 'utf8')));
  return cached;
}
