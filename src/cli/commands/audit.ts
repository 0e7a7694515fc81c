import { INPUT_LIMITS, readInputText } from '../../util/read-input.js';
import { InputError, IntegrityError } from '../../domain/errors.js';
import { writeOutput } from '../../util/output.js';
import type { CliContext } from '../context.js';
import { examples } from '../format.js';
import type { Register } from './index.js';
import type { AuditProblem } from '../../registry/audit.js';
import { parseStatement } from '../../registry/statements.js';
import { shortKeyId } from '../../ca/person-keys.js';

/** An anchor file written by `smki audit anchor` (small JSON; anything else is exit 4). */
function readAnchor(file: string): unknown {
  try {
    return JSON.parse(readInputText(file, '--anchor', INPUT_LIMITS.anchor));
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`--anchor: cannot read ${file} as an anchor (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function describeProblem(p: AuditProblem): string {
  if (p.table) return `table ${p.table}${p.row ? `, row ${p.row}` : ''}: ${p.problem}`;
  return `record ${p.seq ?? '-'}: ${p.problem}`;
}

export const registerAudit: Register = (program, wrap) => {
  const audit = program.command('audit').description('the tamper-evident audit chain')
    .addHelpText('after', examples(['smki audit verify', 'smki audit log --limit 5']));
  audit
    .command('verify')
    .description('check every audit record, the hash chain, the MACs, the checkpoint and every row of the security tables; exit 5 on any tampering')
    .option('--anchor <file>', 'also refuse a home that is behind this anchor (written earlier by smki audit anchor)')
    .addHelpText('after', examples(['smki audit verify', 'smki audit anchor --out smki.anchor', 'smki audit verify --anchor smki.anchor --json']))
    .action(wrap((ctx: CliContext, opts: { anchor?: string }) => {
      const anchor = opts.anchor === undefined ? undefined : readAnchor(opts.anchor);
      const { records, problems } = ctx.open().verify(anchor);
      if (problems.length) {
        if (!ctx.json) for (const p of problems) ctx.note(describeProblem(p));
        throw new IntegrityError(`audit chain or registry tampered: ${problems.length} problem(s), first: ${describeProblem(problems[0]!)}`,
          { ok: false, records, problems });
      }
      ctx.emit(`audit chain intact: ${records} record(s)`, { ok: true, records, problems: [] });
    }));
  audit
    .command('anchor')
    .description('write a MACed anchor of the audit chain (last record, its hash, the count) to keep somewhere else; verify --anchor refuses a home behind it')
    .requiredOption('--out <file>', 'where to write the anchor (another disk, host or medium than the home)')
    .addHelpText('after', examples(['smki audit anchor --out smki.anchor', 'smki audit anchor --out smki.anchor --json']))
    .action(wrap((ctx: CliContext, opts: { out: string }) => {
      const reg = ctx.open();
      const { problems } = reg.verify();
      if (problems.length) throw new IntegrityError(`not anchoring a home that does not verify: ${describeProblem(problems[0]!)}`, { ok: false, problems });
      const anchor = reg.audit.anchor(reg.now());
      writeOutput(opts.out, `${JSON.stringify(anchor, null, 2)}\n`, reg.paths, '--out', 0o644);
      ctx.emit(`anchored audit record ${anchor.seq} (${anchor.records} record(s)) -> ${opts.out}`, { ...anchor, out: opts.out });
    }));
  audit
    .command('log')
    .description('show the audit records, newest last, with who signed each (the signer and key of its statement)')
    .option('--limit <n>', 'only the last N records', '50')
    .addHelpText('after', examples(['smki audit log --limit 20', 'smki audit log --json']))
    .action(wrap((ctx: CliContext, opts: { limit: string }) => {
      const n = Math.max(1, Number.parseInt(opts.limit, 10) || 50);
      // Who signed: the signer kind and key of the statement the record keeps (none: smki itself, the gate).
      const signedBy = (r: { statement: string | null }) => {
        const st = r.statement ? parseStatement(r.statement) : undefined;
        return st ? { signer: st.signer, key: st.key, command: st.command, at: st.at } : null;
      };
      ctx.emitRows(ctx.open().audit.iterateTail(n), {
        headers: ['#', 'At', 'Actor', 'Signed by', 'Action', 'Subject'],
        cells: (r) => {
          const by = signedBy(r);
          return [String(r.seq), r.at, r.actor, by ? `${by.signer} ${shortKeyId(by.key)}` : '-', r.action, r.subject];
        },
        json: (r) => ({ ...r, details: JSON.parse(r.details), signedBy: signedBy(r) }),
      });
    }));
};
