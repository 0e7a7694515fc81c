import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../domain/errors.js';
import { formatReason } from '../../domain/reasons.js';
import { parseTime } from '../../domain/time.js';
import { ServiceRequestGate, type GateOutcome } from '../../gate/gate.js';
import { operatorName, type CliContext } from '../context.js';
import { decisionColour, examples, painter, type Painter } from '../format.js';
import { progress as progressLine } from '../progress.js';
import { readInputFile } from './cert.js';
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

async function readStdin(ctx: CliContext): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.io.stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

function outcomeLine(o: GateOutcome, paint: Painter): string {
  if (o.decision === 'malformed') return `${paint('red', 'MALFORMED')}  ${o.file}: ${o.error}`;
  const head = `${paint(decisionColour(o.decision), o.decision.toUpperCase().padEnd(10))} ${o.file}  ${o.requestId} CV${o.commandVariant} SRV ${o.serviceReferenceVariant}`;
  const lines = [head, ...o.reasons.map((r) => `    ${formatReason(r)}`), ...o.warnings.map((r) => `    warning ${formatReason(r)}`)];
  return lines.join('\n');
}

export const registerSr: Register = (program, wrap) => {
  const sr = program.command('sr').description('the Service Request gate for SoLRContingency DUIS requests')
    .addHelpText('after', examples(['smki sr check --help', 'smki sr new --help', 'smki sr sign --help', 'smki sr quarantine --help']));
  sr.command('check <files...>')
    .description('accept or refuse each DUIS request with every reason code that applies; exit 3 if any is refused, 4 if any is malformed')
    .option('--at <time>', 'only evaluate as of this time (ISO 8601): nothing is recorded; without it the registry decides at its own time and records')
    .option('--operator <name>', 'who runs the check (recorded in the audit)')
    .addHelpText('after', examples([
      'smki sr check fixtures/public/duis/ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML   # exit 4 (unsigned)',
      'smki sr check fixtures/public/duis/ --json   # exit 4',
      'cat fixtures/public/duis/GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML | smki sr check - --at now+1h   # exit 4',
    ]))
    .action(wrap(async (ctx: CliContext, files: string[], o: { at?: string; operator?: string }) => {
      const reg = ctx.open();
      const at = o.at ? parseTime(o.at, '--at', ctx.clock()) : undefined;
      const gate = new ServiceRequestGate(reg, ctx.catalogue());
      const inputs = expandInputs(files);
      const actor = operatorName(o.operator);
      const progress = progressLine(ctx.io, 'checking requests', 'rows', inputs.length);
      let done = 0;
      const outcomes: GateOutcome[] = [];
      const BATCH = 500;
      for (let i = 0; i < inputs.length; i += BATCH) {
        const slice = inputs.slice(i, i + BATCH);
        // A file that cannot be read is named in the report (exit 4); every other file is still decided.
        const bytes = await Promise.all(slice.map(async (f) => {
          try {
            return f === '-' ? await readStdin(ctx) : readInputFile(f, 'FILE');
          } catch (e) {
            if (e instanceof InputError) return e;
            throw e;
          }
        }));
        const name = (f: string) => (f === '-' ? '(stdin)' : f);
        const unreadable = (f: string, e: InputError): GateOutcome =>
          ({ file: name(f), decision: 'malformed', reasons: [], warnings: [], error: e.message.split('\n')[0], recorded: false });
        if (at) {
          // An evaluation: the caller's time never reaches the registry.
          slice.forEach((f, j) => {
            const b = bytes[j]!;
            outcomes.push(b instanceof InputError ? unreadable(f, b) : gate.evaluate(name(f), b, at));
            progress.update(++done);
          });
          continue;
        }
        // One transaction per batch: each decision still commits with its effects and audit record.
        reg.tx(() => {
          slice.forEach((f, j) => {
            const b = bytes[j]!;
            outcomes.push(b instanceof InputError ? unreadable(f, b) : gate.check(name(f), b, actor));
            progress.update(++done);
          });
        });
      }
      progress.end();
      const count = (d: GateOutcome['decision']) => outcomes.filter((x) => x.decision === d).length;
      const summary = { accepted: count('accept'), refused: count('refuse'), quarantined: count('quarantine'), malformed: count('malformed'), total: outcomes.length };
      if (ctx.json) ctx.emit('', outcomes.length === 1 && files.length === 1 && inputs.length === 1 ? [outcomes[0]] : outcomes);
      else {
        ctx.emit(outcomes.map((o) => outcomeLine(o, painter(ctx.io.stdout))), null);
        ctx.note(`${summary.total} checked: ${summary.accepted} accepted, ${summary.refused} refused, ${summary.quarantined} quarantined, ${summary.malformed} malformed`);
        if (at) ctx.note(`evaluated as of ${at.toISOString()}: nothing recorded (no decision, counter, ADT count or audit record)`);
      }
      if (summary.malformed) return 4;
      if (summary.refused || summary.quarantined) return 3;
      return 0;
    }));

  registerSrTools(sr, wrap);
  registerQuarantine(sr, wrap);
};
