import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../domain/errors.js';
import { formatReason } from '../../domain/reasons.js';
import { parseTime } from '../../domain/time.js';
import { ServiceRequestGate, type GateOutcome } from '../../gate/gate.js';
import { answerInput, VerifyPool, type VerifyAnswer } from '../../gate/verify-pool.js';
import type { CliContext } from '../context.js';
import { decisionColour, examples, painter, type Painter } from '../format.js';
import { jsonListWriter } from '../json.js';
import { progress as progressLine } from '../progress.js';
import { readInputFile } from './cert.js';
import { INPUT_LIMITS, readInputStream } from '../../util/read-input.js';
import type { Register } from './index.js';
import { registerQuarantine } from './quarantine.js';
import { registerSrTools } from './sr-tools.js';

/** Files named on the command line; a directory gives its files (sorted), '-' reads stdin. */
function expandInputs(args: string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (a === '-') { out.push('-'); continue; }
    let st;
    try {
      st = statSync(a);
    } catch {
      // Reported as unreadable in its place; the files around it are still decided.
      out.push(a);
      continue;
    }
    if (st.isDirectory()) {
      for (const f of readdirSync(a).sort()) if (statSync(join(a, f)).isFile()) out.push(join(a, f));
    } else out.push(a);
  }
  return out;
}

/** stdin ('-'), within the DUIS size limit: an endless stdin ends at the limit (exit 4). */
function readStdin(ctx: CliContext): Promise<Buffer> {
  return readInputStream(ctx.io.stdin, 'stdin', INPUT_LIMITS.duis);
}

function outcomeLine(o: GateOutcome, paint: Painter): string {
  if (o.decision === 'malformed') return `${paint('red', 'MALFORMED')}  ${o.file}: ${o.error}`;
  const already = o.alreadyDecided ? `  (already decided at ${o.decidedAt}, decision ${o.decisionId}: not decided again)` : '';
  const head = `${paint(decisionColour(o.decision), o.decision.toUpperCase().padEnd(10))} ${o.file}  ${o.requestId} CV${o.commandVariant} SRV ${o.serviceReferenceVariant}${already}`;
  const lines = [head, ...o.reasons.map((r) => `    ${formatReason(r)}`), ...o.warnings.map((r) => `    warning ${formatReason(r)}`)];
  return lines.join('\n');
}

/** 4 if any file is malformed, 3 if any is refused or quarantined, 130 when interrupted, else 0. */
function exitStatusOf(s: { malformed: number; refused: number; quarantined: number }, interrupted: boolean): number {
  if (interrupted) return 130;
  if (s.malformed) return 4;
  return s.refused || s.quarantined ? 3 : 0;
}

/** Files decided per registry transaction (one durable commit, then their report). */
const GROUP = 200;

/** Regroups chunks of answers into groups of `size` (the last one shorter). */
async function* inGroups<T>(chunks: AsyncGenerator<T[]>, size: number): AsyncGenerator<T[]> {
  let group: T[] = [];
  for await (const chunk of chunks) {
    group.push(...chunk);
    while (group.length >= size) yield group.splice(0, size);
  }
  if (group.length) yield group;
}

/**
 * The report of a batch, written as it goes: each decision right after the commit that recorded it.
 * With --json the output is still one JSON document ({schemaVersion, items, total, summary, exitStatus},
 * closed at the end, also when the run is interrupted or fails part-way).
 */
function decisionReport(ctx: CliContext) {
  const out = ctx.io.stdout;
  const paint = painter(out);
  const list = jsonListWriter(out);
  const summary = { accepted: 0, refused: 0, quarantined: 0, malformed: 0, alreadyDecided: 0, total: 0 };
  const key = { accept: 'accepted', refuse: 'refused', quarantine: 'quarantined', malformed: 'malformed' } as const;
  return {
    summary,
    add(o: GateOutcome): void {
      summary[key[o.decision]]++;
      if (o.alreadyDecided) summary.alreadyDecided++;
      if (ctx.json) list.item(o);
      else out.write(`${outcomeLine(o, paint)}\n`);
      summary.total++;
    },
    end(extra: { exitStatus: number; interrupted: boolean; recorded: boolean }): void {
      if (ctx.json) list.end({ summary, ...extra });
    },
  };
}

export const registerSr: Register = (program, wrap) => {
  const sr = program.command('sr').description('the Service Request gate for SoLRContingency DUIS requests')
    .addHelpText('after', examples(['smki sr check --help', 'smki sr new --help', 'smki sr sign --help', 'smki sr quarantine --help']));
  sr.command('check <files...>')
    .description('accept or refuse each DUIS request with every reason code that applies; exit 3 if any is refused, 4 if any is malformed')
    .option('--at <time>', 'only evaluate as of this time (ISO 8601): nothing is recorded; without it the registry decides at its own time and records')
    .option('--workers <n>', 'read the files and check their signatures in N worker threads beside the one thread that decides and commits (not with --at or -)')
    .addHelpText('after', examples([
      'smki sr check fixtures/public/duis/ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML   # exit 4 (unsigned)',
      'smki sr check fixtures/public/duis/ --workers 1   # exit 4',
      'smki sr check fixtures/public/duis/ --json   # exit 4',
      'cat fixtures/public/duis/GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML | smki sr check - --at now+1h   # exit 4',
    ]))
    .action(wrap(async (ctx: CliContext, files: string[], o: { at?: string; workers?: string }) => {
      const workers = o.workers === undefined ? undefined : Number(o.workers);
      if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1 && workers <= 64)) throw new InputError(`--workers: ${o.workers} is not a number of threads from 1 to 64`);
      if (workers !== undefined && (o.at || files.includes('-'))) throw new InputError('--workers: not with --at or - (stdin): worker threads read files for decisions that are recorded');
      const reg = ctx.open();
      const at = o.at ? parseTime(o.at, '--at', ctx.clock()) : undefined;
      const gate = new ServiceRequestGate(reg, ctx.catalogue());
      const inputs = expandInputs(files);
      const actor = 'smki sr check';
      const progress = progressLine(ctx.io, 'checking requests', 'rows', inputs.length);
      const report = decisionReport(ctx);
      // Ctrl+C stops the batch between two commits: every decision reported is committed, and every
      // one committed is reported. Run again, the same files report those as already decided.
      let interrupted = false;
      const onSigint = () => { interrupted = true; };
      process.on('SIGINT', onSigint);
      let done = 0;
      // With --workers: the files read and their signatures checked ahead, in order; decided here.
      const pool = workers ? new VerifyPool(reg.paths.dir, workers) : undefined;
      const read = pool ? inGroups(pool.answers(inputs.map((path) => ({ path }))), GROUP) : undefined;
      try {
        for (let i = 0; i < inputs.length && !interrupted; i += GROUP) {
          const slice = inputs.slice(i, i + GROUP);
          if (read) {
            const answers = (await read.next()).value as VerifyAnswer[];
            if (interrupted) break;
            const decided = gate.checkGroup(slice.map((f, j) => ({ file: f, read: () => answerInput(f, answers[j]!, () => readInputFile(f, 'FILE', INPUT_LIMITS.duis)) })), actor);
            for (const d of decided) report.add(d);
            progress.update((done += slice.length));
            await new Promise<void>((resolve) => setImmediate(resolve));
            continue;
          }
          // A file that cannot be read is named in the report (exit 4); every other file is still decided.
          const bytes = await Promise.all(slice.map(async (f) => {
            try {
              return f === '-' ? await readStdin(ctx) : readInputFile(f, 'FILE', INPUT_LIMITS.duis);
            } catch (e) {
              if (e instanceof InputError) return e;
              throw e;
            }
          }));
          if (interrupted) break;
          const name = (f: string) => (f === '-' ? '(stdin)' : f);
          const unreadable = (f: string, e: InputError): GateOutcome =>
            ({ file: name(f), decision: 'malformed', reasons: [], warnings: [], error: e.message.split('\n')[0], recorded: false });
          // An evaluation: the caller's time never reaches the registry. Otherwise the group is one
          // durable commit, each decision in it with its effects and audit record, reported right after.
          const decided = at
            ? slice.map((f, j) => { const b = bytes[j]!; return b instanceof InputError ? unreadable(f, b) : gate.evaluate(name(f), b, at); })
            : gate.checkGroup(slice.map((f, j) => { const b = bytes[j]!; return { file: name(f), read: () => (b instanceof InputError ? unreadable(f, b) : gate.read(name(f), b)) }; }), actor);
          for (const d of decided) report.add(d);
          progress.update((done += slice.length));
          // Lets a Ctrl+C in (and progress redraw) between commits.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      } finally {
        await pool?.close();
        process.off('SIGINT', onSigint);
        progress.end();
        report.end({ exitStatus: exitStatusOf(report.summary, interrupted), interrupted, recorded: !at });
      }
      const summary = report.summary;
      if (!ctx.json) {
        ctx.note(`${summary.total} checked: ${summary.accepted} accepted, ${summary.refused} refused, ${summary.quarantined} quarantined, ${summary.malformed} malformed${summary.alreadyDecided ? ` (${summary.alreadyDecided} of them already decided before: reported, not decided again)` : ''}`);
        if (at) ctx.note(`evaluated as of ${at.toISOString()}: nothing recorded (no decision, counter, ADT count or audit record)`);
      }
      if (interrupted) {
        ctx.note(`smki: interrupted after ${summary.total} of ${inputs.length} file(s): every decision above is committed, none other was taken; run the same command again to complete the batch`);
        return 130;
      }
      return exitStatusOf(summary, false);
    }));

  registerSrTools(sr, wrap);
  registerQuarantine(sr, wrap);
};
