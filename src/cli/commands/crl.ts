import { crlToPem } from '../../ca/crl.js';
import { generateCrl, writeCrlFile } from '../../ca/crl-publisher.js';
import { InputError } from '../../domain/errors.js';
import { latestCrl, latestRetiredCrl, retiredIssuingCertificates } from '../../registry/certificates.js';
import type { CliContext } from '../context.js';
import { refreshCrl } from '../../ra/revocation.js';
import { examples } from '../format.js';
import { unlockCa } from '../passphrase.js';
import type { Register } from './index.js';
import { refuseProtectedOutput, writeOutput } from '../../util/output.js';

export const registerCrl: Register = (program, wrap) => {
  program
    .command('crl')
    .description('write the current CRL (PEM, label X509 CRL); --refresh signs a new one')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--refresh', 'sign a fresh CRL now (needs the CA passphrase)')
    .option('--passphrase-file <file>', 'CA key passphrase file, for --refresh')
    .option('--issuer <serial>', "a retired Issuing OCA's CRL (serial from 'smki ca export --json' before its rollover): the CRL its own key signs for the certificates it issued")
    .addHelpText('after', examples([
      'smki crl --out current.crl',
      'smki --as ra1.key crl --refresh --passphrase-file ca-pass.txt --json',
      'smki crl --issuer 0123456789ABCDEF   # exit 4 (no retired Issuing OCA with that serial)',
    ]))
    .action(wrap(async (ctx: CliContext, opts: { out?: string; refresh?: boolean; passphraseFile?: string; issuer?: string }) => {
      const reg = ctx.open();
      if (opts.out) refuseProtectedOutput(opts.out, reg.paths);
      let crl: { number: number; der: Buffer; thisUpdate: string; nextUpdate: string } | undefined;
      if (opts.refresh) {
        const ca = await unlockCa(ctx, opts.passphraseFile);
        // The CRL this command signed, not the newest one: another node may have signed one since.
        crl = refreshCrl(reg, ca, ctx.catalogue(), await ctx.operatorKey());
      } else crl = latestCrl(reg);
      if (opts.issuer !== undefined) {
        const serial = opts.issuer.trim().toUpperCase();
        const retired = retiredIssuingCertificates(reg).find((c) => c.serial.toUpperCase() === serial);
        if (!retired) throw new InputError(`--issuer: no retired Issuing OCA has serial ${opts.issuer}`);
        crl = latestRetiredCrl(reg, retired.serial);
        if (!crl) throw new InputError(`--issuer: the retired Issuing OCA ${serial} has signed no CRL yet (smki crl --refresh)`);
      }
      if (!crl) throw new Error('the registry holds no CRL');
      const pem = crlToPem(crl.der);
      if (opts.out) writeOutput(opts.out, pem, reg.paths);
      if (ctx.json) ctx.emit('', { number: crl.number, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, out: opts.out ?? null, pem });
      else if (opts.out) ctx.emit(`CRL ${crl.number} (next update ${crl.nextUpdate}) -> ${opts.out}`, null);
      else ctx.emit(pem.trimEnd(), null);
    }));
};
