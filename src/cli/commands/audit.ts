import { IntegrityError } from '../../domain/errors.js';
import type { CliContext } from '../context.js';
import { examples, table } from '../format.js';
import type { Register } from './index.js';
import type { AuditProblem } from '../../registry/audit.js';

function describeProblem(p: AuditProblem): string {
  if (p.table) return `table ${p.table}${p.row ? `, row ${p.row}` : ''}: ${p.problem}`;
  return `record ${p.seq ?? '-'}: ${p.problem}`;
}

export const registerAudit: Register = (program, wrap) => {
  const audit = program.command('audit').description('the tamper-evident audit chain')
    .addHelpText('after', examples(['smki audit verify', 'smki audit log --limit 5']));
  audit
    .command('verify')
    .description('check every audit record, the hash chain, the MACs and the checkpoint; exit 5 on any tampering')
    .addHelpText('after', examples(['smki audit verify', 'smki audit verify --json']))
    .action(wrap((ctx: CliContext) => {
      const { records, problems } = ctx.open().verify();
      if (problems.length) {
        if (!ctx.json) for (const p of problems) ctx.note(describeProblem(p));
        throw new IntegrityError(`audit chain or registry tampered: ${problems.length} problem(s), first: ${describeProblem(problems[0]!)}`,
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
