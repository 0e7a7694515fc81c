import { exportRegistry } from '../../ra/registry-export.js';
import type { CliContext } from '../context.js';
import { examples } from '../format.js';
import type { Register } from './index.js';

export const registerRegistry: Register = (program, wrap) => {
  const registry = program.command('registry').description('the registry itself: copy it to another back-end')
    .addHelpText('after', examples(['smki --as ra1.key registry export --to sqlite:registry-copy.sqlite']));
  registry
    .command('export')
    .description("copy this home's registry, audit chain and row MACs intact, into an empty registry on another back-end (one transaction there)")
    .requiredOption('--to <url>', 'the empty target: sqlite:FILE (a new registry file) or postgres://user@host:port/database (password from PGPASSWORD or ~/.pgpass)')
    .addHelpText('after', examples([
      'smki --as ra1.key registry export --to sqlite:copy.sqlite --json',
      'smki --as ra1.key registry export --to sqlite:copy.sqlite   # exit 4 (the target is not empty)',
    ]))
    .action(wrap(async (ctx: CliContext, opts: { to: string }) => {
      const reg = ctx.open();
      const r = exportRegistry(reg, opts.to, await ctx.operatorKey());
      const rows = r.tables.reduce((n, t) => n + t.rows, 0);
      ctx.emit(
        `exported ${r.tables.length} tables, ${rows} rows, audit records 1-${r.audit.seq} (${r.audit.records}) to ${r.target.kind} ${r.target.location}`,
        { to: r.target.location, backend: r.target.kind, registrySchemaVersion: r.schemaVersion, tables: r.tables, rows, auditRecords: r.audit.records, auditSeq: r.audit.seq, auditHash: r.audit.hash },
      );
    }));
};
