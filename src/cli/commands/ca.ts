import { writeFileSync } from 'node:fs';
import { toPem } from '../../ca/pem.js';
import { IntegrityError } from '../../domain/errors.js';
import { caCertificate } from '../../registry/certificates.js';
import type { CliContext } from '../context.js';
import { examples } from '../format.js';
import type { Register } from './index.js';

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
      if (opts.out) writeFileSync(opts.out, pem);
      if (ctx.json) ctx.emit('', { issuing: { serial: issuing.serial, pem: toPem(issuing.der, 'CERTIFICATE') }, root: { serial: root.serial, pem: toPem(root.der, 'CERTIFICATE') }, out: opts.out ?? null });
      else if (opts.out) ctx.emit(`CA chain (Issuing OCA, Root OCA) -> ${opts.out}`, null);
      else ctx.emit(pem.trimEnd(), null);
    }));
};
