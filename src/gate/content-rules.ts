// Content rules, one per Service Reference Variant the gate can ever accept for SoLRContingency
// (DESIGN.md "Configurable Service Requests"). Configuration may make an SRV eligible for the role
// only where this table has a rule for it (config/catalogue.ts refuses to load otherwise); the gate
// refuses any SRV without one. A rule names the DUIS 5.4 body element of its CommandVariant 4 request,
// the Device types GBCS defines it for and the GBCS use cases of its Signed Pre-Commands, and checks
// what they carry. Header and signature checks of a Signed Pre-Command are the same for every rule.
// Pure: facts in, reasons out.
import { reason, type Reason } from '../domain/reasons.js';
import { bodyElementName, type DuisBody } from './duis.js';
import {
  classifyPaymentMode,
  readEmergencyCreditActivation,
  SR_1_6_USE_CASES,
  SR_2_5_USE_CASES,
  type Fuel,
  type GbcsExecution,
  type GeneralSigningMessage,
} from './gbcs.js';
import type { GateFacts } from './rules.js';
import { CONTENT_RULE_SRVS } from './content-rule-names.js';

export interface SignedPreCommandUseCase {
  useCase: string;
  deviceType: 'ESME' | 'GSME';
}

export interface ContentRule {
  srv: string;
  name: string;
  /** The DUIS 5.4 body element of a CommandVariant 4 request for this SRV. */
  bodyElement: string;
  /** The Device types GBCS defines the Service Request for. */
  targets: readonly string[];
  /** Every GBCS use case GBCS defines for this SRV, by message code (a rule may still refuse some). */
  useCases: Readonly<Record<number, SignedPreCommandUseCase>>;
  /** The CommandVariant 4 body's own checks; the body element is already the right one. */
  body(body: DuisBody, f: GateFacts): Reason[];
  /** The Signed Pre-Command content's own checks, for a command of one of `useCases`. */
  content(m: GeneralSigningMessage, useCase: SignedPreCommandUseCase, f: GateFacts): Reason[];
}

const DEVICE_FOR_FUEL: Record<Fuel, 'ESME' | 'GSME'> = { electricity: 'ESME', gas: 'GSME' };
const FUEL_FOR_DEVICE: Record<'ESME' | 'GSME', Fuel> = { ESME: 'electricity', GSME: 'gas' };

function useCasesOf(table: Readonly<Record<number, { useCase: string; fuel: Fuel }>>): Record<number, SignedPreCommandUseCase> {
  const out: Record<number, SignedPreCommandUseCase> = {};
  for (const [code, u] of Object.entries(table)) out[Number(code)] = { useCase: u.useCase, deviceType: DEVICE_FOR_FUEL[u.fuel] };
  return out;
}

// DUIS marks the cancellation of a future-dated request with this ExecutionDateTime (DCC's 1.6 templates).
const DUIS_CANCELLATION = /^3000-12-31T00:00:00(?:\.0+)?(?:Z|[+-]00:00)?$/;
const HAS_ZONE = /(?:Z|[+-]\d\d:\d\d)$/;
const HOUR_MS = 3_600_000;

/** When a DUIS ExecutionDateTime executes; a time without a zone may be GMT or BST. Undefined: unreadable. */
export function duisExecution(text: string): GbcsExecution | undefined {
  if (DUIS_CANCELLATION.test(text)) return { kind: 'cancellation' };
  const zoned = HAS_ZONE.test(text);
  const t = Date.parse(zoned ? text : `${text}Z`);
  if (!Number.isFinite(t)) return undefined;
  const slack = zoned ? 0 : HOUR_MS;
  return { kind: 'at', earliest: new Date(t - slack), latest: new Date(t + slack) };
}

/** A change executes inside the event window: now, or at a time within [start, end) of the active event. */
export function executionInWindow(e: GbcsExecution | undefined, f: GateFacts, what: string): Reason[] {
  if (!e) return [reason('EXECUTION_OUTSIDE_EVENT', `${what} cannot be read as a time`)];
  if (e.kind === 'cancellation') return [reason('SR_CANCELLATION', what)];
  if (e.kind === 'immediate') return [];
  if (!f.event) return [reason('EXECUTION_OUTSIDE_EVENT', `${what}: no active event to execute in`)];
  const start = Date.parse(f.event.startsAt);
  const end = Date.parse(f.event.endsAt);
  if (e.earliest.getTime() >= start && e.latest.getTime() < end) return [];
  return [reason('EXECUTION_OUTSIDE_EVENT', `${what} is outside ${f.event.id} ${f.event.startsAt} .. ${f.event.endsAt}`)];
}

/** SR 1.6 Update Payment Mode: to Credit only, executing inside the event, never a cancellation. */
const updatePaymentMode: ContentRule = {
  srv: '1.6',
  name: 'Update Payment Mode to Credit',
  bodyElement: 'UpdatePaymentMode',
  targets: ['ESME', 'GSME'],
  useCases: useCasesOf(SR_1_6_USE_CASES),
  body: (b, f) => {
    if (b.kind !== 'UpdatePaymentMode') return [reason('BODY_NOT_FOR_SR', bodyElementName(b))];
    if (b.mode !== 'Credit') return [reason('PAYMENT_MODE_NOT_CREDIT', `UpdatePaymentMode/${b.mode}`)];
    return b.executionDateTime === undefined ? [] : executionInWindow(duisExecution(b.executionDateTime), f, `ExecutionDateTime ${b.executionDateTime}`);
  },
  content: (m, _useCase, f) => {
    const c = classifyPaymentMode(m);
    if (!c.credit) return [reason(c.reason ?? 'PAYMENT_MODE_NOT_CREDIT', c.why ?? c.useCase)];
    const when = c.execution?.kind === 'at' ? ` ${c.execution.earliest.toISOString()}` : '';
    return executionInWindow(c.execution, f, `${c.useCase} execution time${when}`);
  },
};

/** SR 2.5 Activate Emergency Credit (MP134B names Emergency Credit): on by configuration only. */
const activateEmergencyCredit: ContentRule = {
  srv: '2.5',
  name: 'Activate Emergency Credit',
  bodyElement: 'ActivateEmergencyCredit',
  targets: ['ESME', 'GSME'],
  useCases: useCasesOf(SR_2_5_USE_CASES),
  body: (b) => (b.kind === 'ActivateEmergencyCredit' ? [] : [reason('BODY_NOT_FOR_SR', bodyElementName(b))]),
  content: (m, useCase) => {
    const r = readEmergencyCreditActivation(m, FUEL_FOR_DEVICE[useCase.deviceType]);
    if (r.confirmed) return [];
    return [reason(r.malformed ? 'GBCS_MALFORMED' : 'GBCS_CONTENT_NOT_USE_CASE', r.why)];
  },
};

export const CONTENT_RULES: ReadonlyMap<string, ContentRule> = new Map([updatePaymentMode, activateEmergencyCredit].map((r) => [r.srv, r]));
if ([...CONTENT_RULES.keys()].sort().join() !== [...CONTENT_RULE_SRVS.keys()].sort().join()) {
  throw new Error(`content-rule-names.ts lists ${[...CONTENT_RULE_SRVS.keys()].join(', ')} but the content rules are for ${[...CONTENT_RULES.keys()].join(', ')}`);
}

export function contentRuleFor(srv: string): ContentRule | undefined {
  return CONTENT_RULES.get(srv);
}

function checkTarget(rule: ContentRule, f: GateFacts): Reason[] {
  if (!f.device) return [reason('SR_TARGET_DEVICE_TYPE', `no Device ${f.request.requestId.target} on record to check the target type`)];
  if (!rule.targets.includes(f.device.deviceType)) {
    return [reason('SR_TARGET_DEVICE_TYPE', `SR ${rule.srv} is for ${rule.targets.join(' or ')}; the target is a ${f.device.deviceType}`)];
  }
  return [];
}

function headerMismatches(m: GeneralSigningMessage, f: GateFacts): string[] {
  const r = f.request;
  const out: string[] = [];
  if (m.recipient !== r.requestId.target) out.push(`recipient ${m.recipient} is not the target ${r.requestId.target}`);
  if (m.originatorCounter !== r.requestId.counter) out.push(`counter ${m.originatorCounter} is not the RequestID counter ${r.requestId.counter}`);
  if (!f.event) out.push('no active event names the failed Supplier the originator must be');
  else if (m.originator !== f.event.failedSupplier) out.push(`originator ${m.originator} is not the failed Supplier ${f.event.failedSupplier}`);
  return out;
}

function checkSignedPreCommand(rule: ContentRule, f: GateFacts): Reason[] {
  const body = f.request.body;
  if (f.device?.smets === 1) return [reason('GBCS_DEVICE_TYPE', 'a SMETS1 Device takes no Signed Pre-Command')];
  const g = f.gbcs;
  if (!g?.message) return [reason('GBCS_MALFORMED', g?.error ?? 'the GBCS payload was not read')];
  const m = g.message;
  const reasons: Reason[] = [];
  if (m.cra !== 'command') reasons.push(reason('GBCS_NOT_COMMAND', m.cra));
  if (m.otherInformationLength !== 2) reasons.push(reason('GBCS_OTHER_INFORMATION', `${m.otherInformationLength} octets`));
  const useCase = rule.useCases[m.messageCode];
  if (!useCase) {
    reasons.push(reason('GBCS_MESSAGE_CODE', `message code 0x${m.messageCode.toString(16).toUpperCase().padStart(4, '0')} is not a use case of SR ${rule.srv} (${Object.values(rule.useCases).map((u) => u.useCase).join(', ')})`));
  } else {
    if (f.device && f.device.deviceType !== useCase.deviceType) {
      reasons.push(reason('GBCS_DEVICE_TYPE', `${useCase.useCase} is for an ${useCase.deviceType}; the Device is a ${f.device.deviceType}`));
    }
    if (m.cra === 'command') reasons.push(...rule.content(m, useCase, f));
  }
  const mismatches = headerMismatches(m, f);
  if (mismatches.length) reasons.push(reason('GBCS_HEADER_MISMATCH', mismatches.join('; ')));
  if (m.signatureForm !== 'present') reasons.push(reason('GBCS_SIGNATURE_INVALID', 'the Pre-Command is not signed'));
  else if (g.dsCertificates === 0) reasons.push(reason('GBCS_SIGNATURE_INVALID', 'no Digital Signing certificate of the failed Supplier is on record'));
  else if (g.signatureVerified !== true) reasons.push(reason('GBCS_SIGNATURE_INVALID'));
  if (body.kind === 'SignedPreCommand' && body.executionDateTime !== undefined) {
    reasons.push(...executionInWindow(duisExecution(body.executionDateTime), f, `ExecutionDateTime ${body.executionDateTime}`));
  }
  return reasons;
}

/** Every content reason for the request under its SRV's rule. */
export function checkContent(f: GateFacts): Reason[] {
  const srv = f.request.serviceReferenceVariant;
  const rule = contentRuleFor(srv);
  if (!rule) return [reason('SR_NO_CONTENT_RULE', `Service Reference Variant ${srv}`)];
  const target = checkTarget(rule, f);
  const body = f.request.body;
  if (body.kind === 'SignedPreCommand') return [...target, ...checkSignedPreCommand(rule, f)];
  if (bodyElementName(body) !== rule.bodyElement) {
    return [...target, reason('BODY_NOT_FOR_SR', `${bodyElementName(body)} for SR ${srv}; DUIS defines ${rule.bodyElement}`)];
  }
  return [...target, ...rule.body(body, f)];
}
