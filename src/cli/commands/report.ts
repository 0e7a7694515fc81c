import { writeOutput } from '../../util/output.js';
import { InputError } from '../../domain/errors.js';
import { eventState } from '../../ra/solr.js';
import { buildEventReport, count } from '../../report/event-report.js';
import { renderEventReportHtml } from '../../report/html.js';
import { listSolrEvents } from '../../registry/solr.js';
import type { CliContext } from '../context.js';
import { examples } from '../format.js';
import { choiceOrPrompt } from '../prompt.js';
import type { Register } from './index.js';
import { jsonDocument } from '../json.js';

type Format = 'html' | 'json';

function parseFormat(text: string): Format {
  const f = text.trim().toLowerCase();
  if (f !== 'html' && f !== 'json') throw new InputError(`--format: '${text}' is not html or json`);
  return f;
}

export const registerReport: Register = (program, wrap) => {
  program
    .command('report [id]')
    .description('what happened during one SoLR event: requests accepted and refused by reason and Device type, ADT warnings and quarantines, alerts, revocations')
    .option('--event <id>', 'the SoLR event, as the ID argument (kept for scripts written before the argument)')
    .option('--format <format>', 'html (a self-contained page, the default) or json (the same data; also with --json)')
    .option('--out <file>', 'write the report to this file instead of stdout')
    .addHelpText('after', examples([
      'smki report SOLR-1 --out solr-1.html',
      'smki report SOLR-1 --format json > solr-1.json',
      'smki report SOLR-1 --json',
      'smki report --event SOLR-1 --json   # the same, with the flag',
    ]))
    .action(wrap(async (ctx: CliContext, argId: string | undefined, opts: { event?: string; format?: string; out?: string }) => {
      if (argId !== undefined && opts.event !== undefined && argId.trim().toUpperCase() !== opts.event.trim().toUpperCase()) {
        throw new InputError(`two events given: ${argId} and --event ${opts.event} (give one)`);
      }
      const reg = ctx.open();
      const now = ctx.clock();
      const id = await choiceOrPrompt(ctx, argId ?? opts.event, 'ID', 'SoLR event',
        listSolrEvents(reg).map((e) => ({ value: e.id, name: `${e.id}  ${e.instructionRef}  ${e.failedSupplier} -> SRP ${e.srpUserId} (${eventState(e, now)})` })),
        (t) => t.trim());
      const format: Format = opts.format ? parseFormat(opts.format) : ctx.json || /\.json$/i.test(opts.out ?? '') ? 'json' : 'html';
      const report = buildEventReport(reg, ctx.catalogue(), id, now);
      // Said on stderr too (the JSON and the page carry them): overlapping events for the Supplier.
      if (!ctx.json) reg.warnings.push(...report.warnings);
      const content = format === 'json' ? `${JSON.stringify(jsonDocument(report), null, 2)}\n` : renderEventReportHtml(report);
      if (opts.out) {
        writeOutput(opts.out, content, reg.paths);
        const q = report.requests;
        ctx.emit(
          `${report.event.id}: ${count(q.total)} request(s): ${count(q.accepted)} accepted, ${count(q.quarantined)} quarantined, ${count(q.refused)} refused; ${count(report.alerts.total)} alert(s); ${count(report.certificates.revoked.length)} certificate(s) revoked -> ${opts.out} (${format})`,
          { id: report.event.id, format, out: opts.out, requests: { total: q.total, accepted: q.accepted, quarantined: q.quarantined, refused: q.refused }, alerts: report.alerts.total, certificatesRevoked: report.certificates.revoked.length },
        );
      } else if (format === 'json' && ctx.json) {
        ctx.emit('', report);
      } else {
        ctx.io.stdout.write(content);
      }
    }));
};
