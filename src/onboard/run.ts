// Runs a validated onboarding plan, step by step, through the same library functions the commands
// call (no second code path). Each step first asks "is this already so?" and is skipped if it is, so
// running a plan twice changes nothing the second time. Each step is ONE registry transaction: its
// "already so?" check, its change and the change's audit record commit together (files a step writes,
// a certificate's `out:` or the published CRL, follow its commit). So a run interrupted anywhere
// (Ctrl+C, kill -9) leaves whole steps only, and runs again from where it stopped; and two runs of the
// same plan at once cannot both find a step missing and both do it (no duplicate officers or events):
// the second waits for the first's step and then finds it done. A refusal stops the run there and
// what was done before stays committed and audited. See docs/onboarding.md.
import { existsSync, readFileSync } from 'node:fs';
import { refuseProtectedOutput, writeFileAtomic } from '../util/output.js';
import { basename } from 'node:path';
import type { IssuingAuthority } from '../ca/authority.js';
import type { Signer } from '../ca/signer.js';
import { readPublicKeyFile } from '../ca/person-keys.js';
import { writeCrlFile } from '../ca/crl-publisher.js';
import { toPem } from '../ca/pem.js';
import type { Catalogue } from '../config/catalogue.js';
import { ExitStatus, InputError, IntegrityError, PolicyRefusal, SmkiError, type ExitStatusCode } from '../domain/errors.js';
import { INPUT_LIMITS, readInputFile } from '../util/read-input.js';
import type { Eui64 } from '../domain/eui.js';
import { reason } from '../domain/reasons.js';
import { importDevices, type DeviceImportProgress } from '../ra/devices.js';
import { registerExternalCertificate, trustCaChain } from '../ra/external-certificates.js';
import { issueCertificate } from '../ra/issue.js';
import { addOfficer, changeOfficerStatus } from '../ra/officers.js';
import { addUserId, requireUserId } from '../ra/parties.js';
import { approveEvent, recordEvent, requireEvent, revokeSupplier } from '../ra/solr.js';
import { findCertificate, spkiCertified } from '../registry/certificates.js';
import { findOfficer, listOfficers } from '../registry/officers.js';
import { findUserId } from '../registry/parties.js';
import type { Registry } from '../registry/registry.js';
import { listSolrEvents } from '../registry/solr.js';
import { readOrganisationCertificate } from '../ca/organisation-certificate.js';
import { adtAlreadyActive, submitAdtFile } from './adt-step.js';
import type { OfficerRef, Plan, PlanStep, StepKind, StepSpec } from './plan.js';

export type StepStatus = 'done' | 'skipped' | 'refused' | 'not-run';

/** A reason as reported: a catalogue Reason (code, message, requirement) or an input/run error. */
export interface StepReason {
  code: string;
  message: string;
  requirement?: string;
  detail?: string;
}

export interface StepReport {
  n: number;
  line: number;
  kind: StepKind;
  key: string;
  status: StepStatus;
  /** The registry ID the step made or found: EUI, OFC-n, serial, ADT-n, SOLR-n, file SHA-256. */
  id?: string;
  reasons?: StepReason[];
  /** One line on what was done or found. */
  note?: string;
}

export interface OnboardSummary {
  total: number;
  done: number;
  skipped: number;
  refused: number;
  notRun: number;
  /** The first refused step (the run stops there), or null. */
  stoppedAt: number | null;
  /** Whether anything was (or in a dry run, would be) written. */
  changed: boolean;
  exitStatus: ExitStatusCode;
}

export interface OnboardReport {
  plan: string;
  dryRun: boolean;
  steps: StepReport[];
  summary: OnboardSummary;
}

export interface RunOptions {
  catalogue: Catalogue;
  /** The unlocked CA, for steps that sign (cert.issue, solr.revoke-supplier); see `needsCa`. */
  ca?: IssuingAuthority;
  /**
   * After a refusal, go on with the steps that do not depend on it (dry runs: show every refusal the
   * plan would meet). A real run stops at the first refusal.
   */
  keepGoing?: boolean;
  /** Write `out` files of issued certificates (not in a dry run). */
  writeFiles?: boolean;
  dryRun?: boolean;
  /** Called before each step (progress). */
  onStep?: (step: PlanStep, total: number) => void;
  /** Device import progress within a device.import step. */
  onDeviceProgress?: (p: DeviceImportProgress) => void;
  /**
   * The acting RA operator's key for a step: a key file the plan names, or '' for the key the command
   * was given (--as). Loaded before the step's transaction, once per file (its passphrase asked once).
   */
  operatorKey: (file: string) => Promise<Signer>;
  /** An SRO's or ARO's key file the plan names, loaded once (its passphrase asked once). */
  officerKey: (file: string) => Promise<Signer>;
}

interface Outcome {
  status: 'done' | 'skipped';
  id?: string;
  note?: string;
  /** What follows the step's commit outside the registry (an `out:` file, the published CRL). */
  after?: () => void;
}

/** What a step found or made, by plan key, for later steps' references. */
class Bindings {
  readonly officers = new Map<string, string>();
  readonly events = new Map<string, string>();

  officer(ref: OfficerRef): string {
    if ('id' in ref) return ref.id;
    const id = this.officers.get(ref.planKey);
    if (!id) throw new Error(`officer '${ref.planKey}' has no ID yet (its step has not run)`);
    return id;
  }

  event(key: string): string {
    const id = this.events.get(key);
    if (!id) throw new Error(`SoLR event '${key}' has no ID yet (its step has not run)`);
    return id;
  }
}

/** Whether the run will need the CA key: a certificate to issue or a Supplier to revoke not yet done. */
export function needsCa(reg: Registry, plan: Plan): boolean {
  return plan.steps.some((s) => {
    if (s.spec.kind === 'cert.issue') return !issuedAlready(reg, s.spec);
    if (s.spec.kind === 'solr.revoke-supplier') {
      const rec = plan.steps.find((x) => x.kind === 'solr.record' && x.key === s.key)?.spec;
      if (!rec || rec.kind !== 'solr.record') return true;
      const e = findRecordedEvent(reg, rec);
      return !e?.suppliersRevokedAt;
    }
    return false;
  });
}

function issuedAlready(reg: Registry, spec: Extract<StepSpec, { kind: 'cert.issue' }>) {
  const serial = spkiCertified(reg, spec.spkiSha256);
  const c = serial ? findCertificate(reg, serial) : undefined;
  return c && c.userId === spec.party && c.profile === spec.profile && c.source === 'issued' ? c : undefined;
}

function findRecordedEvent(reg: Registry, spec: Extract<StepSpec, { kind: 'solr.record' }>) {
  return listSolrEvents(reg, { srp: spec.srp, supplier: spec.failedSupplier })
    .filter((e) => e.instructionRef === spec.instruction)
    .pop();
}

function partyOf(reg: Registry, eui: Eui64) {
  return requireUserId(reg, eui, 'party');
}

/** One step, as one registry transaction (see the top of this file), then what follows its commit. */
async function runStep(reg: Registry, step: PlanStep, b: Bindings, opts: RunOptions): Promise<Outcome> {
  const s = step.spec;
  // These two stream their file first; their library function then decides and writes in one
  // transaction of its own, where a file already applied changes nothing.
  if (s.kind === 'device.import') return importDeviceFile(reg, s, opts);
  if (s.kind === 'adt.submit') {
    const party = partyOf(reg, s.party);
    const active = adtAlreadyActive(reg, party.partyId, s.file);
    if (active) return { status: 'skipped', id: active, note: 'this file is already the active ADT file' };
    return submitAdtFile(reg, opts.catalogue, { party: s.party, officerId: b.officer(s.officer), officer: await opts.officerKey(s.officerKey), file: s.file });
  }
  // The step's signing key is loaded (and its passphrase asked) before its transaction begins.
  const key = s.kind === 'cert.issue' ? await opts.officerKey(s.officerKey)
    : s.kind === 'officer.add' && s.officerKind === 'aro' ? await opts.officerKey(s.nominatorKey!)
      : 'operator' in s ? await opts.operatorKey(s.operator) : undefined;
  const o = reg.tx(() => stepInTransaction(reg, step, b, opts, key));
  o.after?.();
  return o;
}

async function importDeviceFile(reg: Registry, s: Extract<StepSpec, { kind: 'device.import' }>, opts: RunOptions): Promise<Outcome> {
  const r = await importDevices(reg, s.file, { operator: await opts.operatorKey(s.operator), onProgress: opts.onDeviceProgress });
  if (r.status === 'refused') {
    const name = basename(s.file);
    const reasons: StepReason[] = r.refused
      .slice(0, 20)
      .map((x) => (x.code ? reason(x.code, `${name} line ${x.line}: ${x.reason}`) : { code: 'INPUT_ERROR', message: `${name} line ${x.line}: ${x.reason}` }));
    if (r.refusedCount > reasons.length) reasons.push({ code: 'INPUT_ERROR', message: `${name}: ${r.refusedCount - reasons.length} more refused row(s)` });
    throw new StepFailure(reasons, r.exitStatus === ExitStatus.refused ? ExitStatus.refused : ExitStatus.malformed);
  }
  const counts = `${r.rows} row(s): ${r.imported} imported, ${r.updated} updated, ${r.unchanged} unchanged`;
  return { status: r.status === 'unchanged' ? 'skipped' : 'done', note: `${counts} (sha256 ${r.sha256.slice(0, 12)}…)` };
}

/** Inside the step's transaction: "already so?", then the change (the library's transactions join this one). */
function stepInTransaction(reg: Registry, step: PlanStep, b: Bindings, opts: RunOptions, key: Signer | undefined): Outcome {
  const s = step.spec;
  const as = (): Signer => {
    if (!key) throw new Error(`step ${step.n} has no operator key`);
    return key;
  };
  switch (s.kind) {
    case 'party.add': {
      const u = findUserId(reg, s.eui);
      if (u && u.partyName === s.partyName && u.roles.includes(s.role) && (u.actingFor ?? undefined) === s.actingFor) {
        return { status: 'skipped', id: u.eui, note: `already registered for ${u.partyName}` };
      }
      const r = addUserId(reg, opts.catalogue, { partyName: s.partyName, role: s.role, eui: s.eui, actingFor: s.actingFor, operator: as() });
      return { status: r.created || r.roleAdded ? 'done' : 'skipped', id: r.eui, note: `${r.roles.join('+')} User ID of ${r.partyName}` };
    }
    case 'officer.add': {
      const party = partyOf(reg, s.party);
      const same = listOfficers(reg, party.partyId).filter((o) => o.kind === s.officerKind && o.name === s.name.trim()).pop();
      if (same) {
        b.officers.set(step.key.slice('officers.'.length), same.id);
        return { status: 'skipped', id: same.id, note: `${same.kind.toUpperCase()} ${same.name} of ${same.partyName} is already registered (${same.status})` };
      }
      const o = addOfficer(reg, {
        party,
        kind: s.officerKind,
        name: s.name,
        nominatedBy: s.nominatedBy ? b.officer(s.nominatedBy) : undefined,
        evidence: s.evidence,
        publicKey: readPublicKeyFile(s.publicKey),
        ...(s.officerKind === 'sro' ? { operator: as() } : { nominator: as() }),
      });
      b.officers.set(step.key.slice('officers.'.length), o.id);
      return { status: 'done', id: o.id, note: `${o.kind.toUpperCase()} ${o.name} of ${o.partyName} (${o.status})` };
    }
    case 'officer.activate': {
      const id = b.officer({ planKey: s.officer });
      const o = findOfficer(reg, id);
      if (o?.status === 'active') return { status: 'skipped', id, note: 'already active' };
      if (o && o.status !== 'nominated') {
        // A suspension or revocation is an RA decision; a re-run plan does not undo it.
        throw new PolicyRefusal([reason('OFFICER_NOT_ACTIVE', `${o.id} is ${o.status}; onboarding activates nominated AROs only ('smki officer activate' reinstates)`)]);
      }
      const a = changeOfficerStatus(reg, id, 'activate', as());
      return { status: 'done', id: a.id, note: 'activated' };
    }
    case 'ca.trust': {
      const r = trustCaChain(reg, { pem: readInputFile(s.file, 'file', INPUT_LIMITS.chain), operator: as() });
      if (r.added.length === 0) return { status: 'skipped', id: r.kept[0]!.sha256, note: `${basename(s.file)}: already trusted` };
      return { status: 'done', id: r.added[0]!.sha256, note: `${basename(s.file)}: ${r.added.map((a) => a.subject).join(', ')} trusted by ${r.added[0]!.registeredBy}` };
    }
    case 'cert.register': {
      const existing = findCertificate(reg, s.serialHex);
      const der = readInputFile(s.file, 'register', INPUT_LIMITS.pem);
      if (existing && existing.der.equals(readOrganisationCertificate(der).der)) {
        return { status: 'skipped', id: existing.serial, note: `already recorded for ${existing.userId}` };
      }
      const c = registerExternalCertificate(reg, opts.catalogue, { der, party: s.party, operator: as() });
      return { status: 'done', id: c.serial, note: `${basename(s.file)} recorded for ${c.userId} (OU ${c.roleOu}, ${c.keyUsage})` };
    }
    case 'cert.issue': {
      const already = issuedAlready(reg, s);
      if (already) {
        return { status: 'skipped', id: already.serial, note: `already issued for this CSR's key (${already.status})`, after: () => writeOut(s.out, already.der, opts) };
      }
      if (!opts.ca) throw new Error('the CA key is needed to issue certificates');
      const c = issueCertificate(reg, opts.ca, opts.catalogue, { csr: readInputFile(s.csrFile, 'csr', INPUT_LIMITS.pem), profile: s.profile, party: s.party, officer: as(), officerId: b.officer(s.officer) });
      return {
        status: 'done',
        id: c.serial,
        note: `${c.profile} (OU ${c.roleOu}) for ${c.userId}${s.out && opts.writeFiles ? ` -> ${s.out}` : ''}`,
        after: () => writeOut(s.out, c.der, opts),
      };
    }
    case 'device.import':
    case 'adt.submit':
      throw new Error(`${s.kind} runs in a transaction of its own`);
    case 'solr.record': {
      const key = step.key.slice('solrEvents.'.length);
      const e = findRecordedEvent(reg, s);
      if (e) {
        b.events.set(key, e.id);
        const sameWindow = e.startsAt === s.from.toISOString() && e.endsAt === s.until.toISOString();
        return { status: 'skipped', id: e.id, note: `instruction ${e.instructionRef} already recorded (${e.status}${sameWindow ? '' : `; window ${e.startsAt} .. ${e.endsAt} kept`})` };
      }
      const r = recordEvent(reg, opts.catalogue, { failedSupplier: s.failedSupplier, srp: s.srp, instructionRef: s.instruction, from: s.from, until: s.until, operator: as() });
      b.events.set(key, r.id);
      return { status: 'done', id: r.id, note: `recorded by ${r.recordedBy}` };
    }
    case 'solr.approve': {
      const e = requireEvent(reg, b.event(s.event));
      if (e.approvedBy) return { status: 'skipped', id: e.id, note: `already approved by ${e.approvedBy}` };
      const r = approveEvent(reg, e.id, as());
      return { status: 'done', id: r.id, note: `approved by ${r.approvedBy}` };
    }
    case 'solr.revoke-supplier': {
      const e = requireEvent(reg, b.event(s.event));
      if (e.suppliersRevokedAt) return { status: 'skipped', id: e.id, note: `Supplier's certificates already revoked at ${e.suppliersRevokedAt}` };
      if (!opts.ca) throw new Error('the CA key is needed to revoke certificates (the CRL is signed)');
      const r = revokeSupplier(reg, opts.ca, opts.catalogue, e.id, as());
      return {
        status: 'done',
        id: r.event.id,
        note: `${r.revoked.length} certificate(s) of ${r.event.failedSupplier} revoked; CRL ${r.crlNumber}`,
        after: () => writeCrlFile(reg),
      };
    }
  }
}

function writeOut(out: string | undefined, der: Buffer, opts: RunOptions): void {
  if (!out || !opts.writeFiles) return;
  const pem = toPem(der, 'CERTIFICATE');
  if (existsSync(out) && readFileSync(out, 'utf8') === pem) return;
  try {
    writeFileAtomic(out, pem);
  } catch (e) {
    throw new InputError(`out: cannot write ${out} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** A step refused with reasons that are not catalogue Reasons (device rows), with its exit status. */
export class StepFailure extends Error {
  constructor(
    readonly reasons: StepReason[],
    readonly exitStatus: ExitStatusCode,
  ) {
    super(reasons.map((r) => r.message).join('; '));
  }
}

function failure(e: unknown): { reasons: StepReason[]; exitStatus: ExitStatusCode } {
  if (e instanceof StepFailure) return { reasons: e.reasons, exitStatus: e.exitStatus };
  if (e instanceof PolicyRefusal) return { reasons: e.reasons.map((r) => ({ ...r })), exitStatus: e.exitStatus };
  if (e instanceof IntegrityError) return { reasons: [{ code: 'INTEGRITY', message: e.message.split('\n')[0]! }], exitStatus: e.exitStatus };
  if (e instanceof SmkiError) return { reasons: [{ code: 'INPUT_ERROR', message: e.message.split('\n')[0]! }], exitStatus: e.exitStatus };
  return { reasons: [{ code: 'ERROR', message: e instanceof Error ? e.message.split('\n')[0]! : String(e) }], exitStatus: ExitStatus.other };
}

/** Runs the plan against `reg`. Never throws for a step's refusal: it is in the report. */
export async function runPlan(reg: Registry, plan: Plan, opts: RunOptions): Promise<OnboardReport> {
  const b = new Bindings();
  const reports: StepReport[] = [];
  const failed = new Set<number>();
  let stoppedAt: number | null = null;
  let exitStatus: ExitStatusCode = ExitStatus.ok;
  // No `out:` may land on the CA's own files: refused before any step runs.
  for (const step of plan.steps) if (step.spec.kind === 'cert.issue' && step.spec.out) refuseProtectedOutput(step.spec.out, reg.paths, `line ${step.line}: out`);
  for (const step of plan.steps) {
    const base = { n: step.n, line: step.line, kind: step.kind, key: step.key };
    if (stoppedAt !== null && !opts.keepGoing) {
      reports.push({ ...base, status: 'not-run' });
      continue;
    }
    const blocked = step.deps.find((d) => failed.has(d));
    if (blocked !== undefined) {
      const dep = plan.steps[blocked - 1]!;
      failed.add(step.n);
      reports.push({ ...base, status: 'not-run', reasons: [{ code: 'NEEDS_STEP', message: `needs step ${dep.n} (${dep.kind} ${dep.key}), which did not complete` }] });
      continue;
    }
    opts.onStep?.(step, plan.steps.length);
    try {
      const o = await runStep(reg, step, b, opts);
      reports.push({ ...base, status: o.status, ...(o.id ? { id: o.id } : {}), ...(o.note ? { note: o.note } : {}) });
    } catch (e) {
      const f = failure(e);
      failed.add(step.n);
      reports.push({ ...base, status: 'refused', reasons: f.reasons });
      if (stoppedAt === null) {
        stoppedAt = step.n;
        exitStatus = f.exitStatus;
      }
    }
  }
  const count = (st: StepStatus) => reports.filter((r) => r.status === st).length;
  return {
    plan: plan.file,
    dryRun: opts.dryRun === true,
    steps: reports,
    summary: {
      total: reports.length,
      done: count('done'),
      skipped: count('skipped'),
      refused: count('refused'),
      notRun: count('not-run'),
      stoppedAt,
      changed: count('done') > 0,
      exitStatus,
    },
  };
}
