import { toPem } from '../../ca/pem.js';
import { InputError, IntegrityError } from '../../domain/errors.js';
import { caCertificate } from '../../registry/certificates.js';
import { trustCaChain } from '../../ra/external-certificates.js';
import { listTrustAnchors } from '../../registry/trust-anchors.js';
import { namedOperator, type CliContext } from '../context.js';
import { examples, table } from '../format.js';
import { readInputFile } from './cert.js';
import type { Register } from './index.js';
import { writeOutput } from '../../util/output.js';

export const registerCa: Register = (program, wrap) => {
  const ca = program.command('ca').description('the CA itself')
    .addHelpText('after', examples(['smki ca export --out chain.pem']));
  ca.command('export')
    .description('write the CA chain: Issuing OCA then Root OCA, PEM')
    .option('--out <file>', 'write to this file instead of stdout')
    .addHelpText('after', examples(['smki ca export --out chain.pem', 'smki ca export --json']))
    .action(wrap((ctx: CliContext, opts: { out?: string }) => {
      const reg = ctx.open();
      const issuing = caCertificate(reg, 'issuing');
      const root = caCertificate(reg, 'root');
      if (!issuing || !root) throw new IntegrityError('the registry holds no CA certificates');
      const pem = toPem(issuing.der, 'CERTIFICATE') + toPem(root.der, 'CERTIFICATE');
      if (opts.out) writeOutput(opts.out, pem, reg.paths);
      if (ctx.json) ctx.emit('', { issuing: { serial: issuing.serial, pem: toPem(issuing.der, 'CERTIFICATE') }, root: { serial: root.serial, pem: toPem(root.der, 'CERTIFICATE') }, out: opts.out ?? null });
      else if (opts.out) ctx.emit(`CA chain (Issuing OCA, Root OCA) -> ${opts.out}`, null);
      else ctx.emit(pem.trimEnd(), null);
    }));

  ca.command('trust')
    .description("register another CA's chain (DCC's Organisation CA: Issuing OCA up to its self-signed Root) as trust anchors for cert register")
    .option('--file <pem>', 'the chain, PEM certificates (either order)')
    .option('--operator <name>', 'the RA operator acting for it (or SMKI_OPERATOR; required)')
    .addHelpText('after', examples(['smki ca trust --file fixtures/dcc-test-pki/chain.pem --operator ra1', 'smki ca trust --file fixtures/dcc-test-pki/chain.pem --operator ra1 --json']))
    .action(wrap((ctx: CliContext, opts: { file?: string; operator?: string }) => {
      if (!opts.file) throw new InputError('missing --file (the CA chain, PEM)');
      const r = trustCaChain(ctx.open(), { pem: readInputFile(opts.file, '--file'), operator: namedOperator(opts.operator) });
      const row = (a: (typeof r.added)[number], state: string) => ({ subject: a.subject, kind: a.kind, sha256: a.sha256, state });
      const rows = [...r.added.map((a) => row(a, 'added')), ...r.kept.map((a) => row(a, 'already trusted'))];
      ctx.emit(rows.map((x) => `${x.state.padEnd(16)} ${x.kind.padEnd(12)} ${x.subject}  sha256 ${x.sha256.slice(0, 16)}...`), { id: r.added[0]?.sha256 ?? r.kept[0]!.sha256, anchors: rows });
    }));

  ca.command('anchors')
    .description('list the trust anchors registered with smki ca trust')
    .addHelpText('after', examples(['smki ca anchors', 'smki ca anchors --json']))
    .action(wrap((ctx: CliContext) => {
      const rows = listTrustAnchors(ctx.open());
      ctx.emit(
        table(['Kind', 'Subject', 'SHA-256', 'Registered', 'By'], rows.map((a) => [a.kind, a.subject, a.sha256.slice(0, 16), a.registeredAt.slice(0, 19), a.registeredBy])),
        rows.map((a) => ({ sha256: a.sha256, subject: a.subject, kind: a.kind, purpose: a.purpose, registeredAt: a.registeredAt, registeredBy: a.registeredBy, pem: toPem(a.der, 'CERTIFICATE') })),
      );
    }));
};
