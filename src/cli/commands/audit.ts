import { IntegrityError } from '../../domain/errors.js';
import type { CliContext } from '../context.js';
import { examples, table } from '../format.js';
import type { Register } from './index.js';

export const registerAudit: Register = (program, wrap) => {
  const audit = program.command('audit').description('the tamper-evident audit chain')
    .addHelpText('after', examples(['smki audit verify', 'smki audit log --limit 5']));
  audit
    .command('verify')
    .description('check every audit record, the hash chain, the MACs and the checkpoint; exit 5 on any tampering')
    .addHelpText('after', examples(['smki audit verify', 'smki audit verify --json']))
    .action(wrap((ctx: CliContext) => {
      const { records, problems } = ctx.open().audit.verify();
      if (problems.length) {
        if (!ctx.json) for (const p of problems) ctx.note(`record ${p.seq ?? '-'}: ${p.problem}`);
        throw new IntegrityError(`audit chain broken: ${problems.length} problem(s), first at record ${problems[0]!.seq ?? '-'}: ${problems[0]!.problem}`,
          { ok: false, records, problems });
      }
      ctx.emit(`audit chain intact: ${records} record(s)`, { ok: true, records, problems: [] });
    }));
  audit
    .command('log')
    .description('show the audit records, newest last')
    .option('--limit <n>', 'only the last N records', '50')
    .addHelpText('after', examples(['smki audit log --limit 20', 'smki audit log --json']))
    .action(wrap((ctx: CliContext, opts: { limit: string }) => {
      const n = Math.max(1, Number.parseInt(opts.limit, 10) || 50);
      const rows = ctx.open().audit.tail(n);
      ctx.emit(
        table(['#', 'At', 'Actor', 'Action', 'Subject'], rows.map((r) => [String(r.seq), r.at, r.actor, r.action, r.subject])),
        rows.map((r) => ({ ...r, details: JSON.parse(r.details) })),
      );
    }));
};
