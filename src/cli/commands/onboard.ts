import { formatReason, isReasonCode, type Reason } from '../../domain/reasons.js';
import { ExitStatus } from '../../domain/errors.js';
import type { DeviceImportProgress } from '../../ra/devices.js';
import { dryRunPlan } from '../../onboard/dry-run.js';
import { loadPlan, PlanError, type Plan, type PlanStep } from '../../onboard/plan.js';
import { needsCa, runPlan, type OnboardReport, type StepReason } from '../../onboard/run.js';
import type { CliContext } from '../context.js';
import type { Signer } from '../../ca/signer.js';
import { examples, table } from '../format.js';
import { loadPersonKey, unlockCa } from '../passphrase.js';
import { progress as progressLine } from '../progress.js';
import { readableFile, valueOrPrompt } from '../prompt.js';
import type { Register } from './index.js';

function reasonLine(r: StepReason): string {
  return isReasonCode(r.code) && r.requirement ? formatReason(r as Reason) : `${r.code}: ${r.message}${r.detail ? ` (${r.detail})` : ''}`;
}

/** The human report: one row per step, the reasons under a refused one, a summary line. */
export function onboardText(report: OnboardReport): string[] {
  const s = report.summary;
  const rows = report.steps.map((st) => [
    String(st.n),
    String(st.line),
    st.kind,
    st.key,
    st.status === 'refused' ? 'REFUSED' : st.status,
    st.status === 'done' || st.status === 'skipped' ? [st.id, st.note].filter(Boolean).join('  ') : '',
  ]);
  const lines = table(['#', 'Line', 'Step', 'Plan key', 'Status', 'Result'], rows).split('\n');
  // Reasons go right under their step's row (header and rule take two lines).
  const out: string[] = [report.dryRun ? `dry run of ${report.plan}: nothing was written` : `onboarding ${report.plan}`, lines[0]!, lines[1]!];
  report.steps.forEach((st, i) => {
    out.push(lines[i + 2]!);
    if (st.status === 'refused' || (st.status === 'not-run' && st.reasons)) for (const r of st.reasons ?? []) out.push(`      ${reasonLine(r)}`);
  });
  const counts = `${s.done} ${report.dryRun ? 'would be done' : 'done'}, ${s.skipped} skipped (already so), ${s.refused} refused, ${s.notRun} not run`;
  out.push('', `${s.total} step(s): ${counts}`);
  if (s.stoppedAt !== null) {
    const st = report.steps[s.stoppedAt - 1]!;
    out.push(report.dryRun
      ? `the run would stop at step ${st.n} (${st.kind} ${st.key}, plan line ${st.line})`
      : `stopped at step ${st.n} (${st.kind} ${st.key}, plan line ${st.line}); ${s.done ? 'the steps done before it are committed and audited' : 'nothing was written'}`);
  } else if (!s.changed) out.push(report.dryRun ? 'nothing to do: the registry already matches the plan' : 'nothing changed: the registry already matched the plan');
  return out;
}

export const registerOnboard: Register = (program, wrap) => {
  program
    .command('onboard')
    .description('run a declarative onboarding plan (YAML or JSON): parties, officers, certificates, devices, ADT files, SoLR events; idempotent')
    .option('--file <plan>', 'the plan (YAML or JSON; see docs/onboarding.md)')
    .option('--dry-run', 'report every step and refusal on a throwaway copy of the home; write nothing')
    .option('--passphrase-file <file>', 'CA key passphrase file, if the plan issues certificates or revokes a Supplier (or SMKI_PASSPHRASE_FILE, or a prompt)')
    .addHelpText('after', examples([
      'smki --home onboarded init --ca-name "Onboarding OCA" --passphrase-file ca-pass.txt --admin ra1 --admin-public-key ra1.pub',
      'smki --home onboarded --as ra1.key operator add --name "RA Officer 2" --public-key fixtures/onboard/keys/ra2.pub   # the plan\'s second operator (approvedAs)',
      'SMKI_AS_PASSPHRASE_FILE=fixtures/onboard/keys/passphrase.txt SMKI_OFFICER_PASSPHRASE_FILE=fixtures/onboard/keys/passphrase.txt smki --home onboarded --as ra1.key onboard --file fixtures/onboard/full-plan.yaml --dry-run --passphrase-file ca-pass.txt',
      'SMKI_AS_PASSPHRASE_FILE=fixtures/onboard/keys/passphrase.txt SMKI_OFFICER_PASSPHRASE_FILE=fixtures/onboard/keys/passphrase.txt smki --home onboarded --as ra1.key onboard --file fixtures/onboard/full-plan.yaml --passphrase-file ca-pass.txt',
      'SMKI_AS_PASSPHRASE_FILE=fixtures/onboard/keys/passphrase.txt SMKI_OFFICER_PASSPHRASE_FILE=fixtures/onboard/keys/passphrase.txt smki --home onboarded --as ra1.key onboard --file fixtures/onboard/minimal.json --json --passphrase-file ca-pass.txt > report.json',
    ]))
    .action(wrap(async (ctx: CliContext, opts: { file?: string; dryRun?: boolean; passphraseFile?: string }) => {
      const reg = ctx.open();
      const catalogue = ctx.catalogue();
      const file = await valueOrPrompt(ctx, opts.file, '--file', 'Onboarding plan (YAML or JSON)', (t) => t.trim(), { check: readableFile('--file') });
      const dryRun = opts.dryRun === true;
      let plan: Plan;
      try {
        plan = await loadPlan(file, { reg, catalogue, now: ctx.clock() });
      } catch (e) {
        if (!(e instanceof PlanError)) throw e;
        if (ctx.json) ctx.emit('', { plan: file, dryRun, valid: false, errors: e.problems, exitStatus: ExitStatus.malformed });
        for (const line of e.message.split('\n')) ctx.note(`smki: ${line}`);
        ctx.note(`smki: the plan is not valid (${e.problems.length} problem(s)); nothing was written`);
        return ExitStatus.malformed;
      }
      const ca = needsCa(reg, plan) ? await unlockCa(ctx, opts.passphraseFile) : undefined;

      const bar = progressLine(ctx.io, 'onboarding', 'rows', plan.steps.length);
      let current: PlanStep | undefined;
      let phase = '';
      const label = (st: PlanStep) => `${dryRun ? 'dry run: ' : ''}step ${st.n}/${plan.steps.length} ${st.kind} ${st.key}`;
      const show = (text: string, unit: 'rows' | 'bytes', done: number, total: number) => {
        if (text !== phase) bar.phase((phase = text), unit, total);
        bar.update(done, total);
      };
      // Each key file the plan names is loaded once; '' is the command's own --as.
      const keys = new Map<string, Promise<Signer>>();
      const operatorKey = (f: string): Promise<Signer> => {
        let k = keys.get(f);
        if (!k) keys.set(f, (k = f === '' ? ctx.operatorKey() : loadPersonKey(ctx, f, 'as', 'SMKI_AS_PASSPHRASE_FILE')));
        return k;
      };
      const officerKeys = new Map<string, Promise<Signer>>();
      const officerKey = (f: string): Promise<Signer> => {
        let k = officerKeys.get(f);
        if (!k) officerKeys.set(f, (k = loadPersonKey(ctx, f, 'officerKey', 'SMKI_OFFICER_PASSPHRASE_FILE')));
        return k;
      };
      const runOpts = {
        catalogue,
        ca,
        operatorKey,
        officerKey,
        onStep: (st: PlanStep, total: number) => {
          current = st;
          show(label(st), 'rows', st.n - 1, total);
        },
        onDeviceProgress: (p: DeviceImportProgress) => {
          if (!current) return;
          if (p.phase === 'validate') show(`${label(current)}: checking rows`, 'bytes', p.bytes, p.totalBytes);
          else show(`${label(current)}: importing`, 'rows', p.rows, p.totalRows);
        },
      };
      let report: OnboardReport;
      try {
        report = dryRun ? await dryRunPlan(reg, plan, runOpts) : await runPlan(reg, plan, { ...runOpts, writeFiles: true });
      } finally {
        bar.end();
      }
      ctx.emit(onboardText(report), report);
      return report.summary.exitStatus;
    }));
};
