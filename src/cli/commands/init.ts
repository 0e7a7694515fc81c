import { initCa } from '../../ca/init.js';
import type { CliContext } from '../context.js';
import { operatorName } from '../context.js';
import { examples } from '../format.js';
import { passphrase } from '../passphrase.js';
import type { Register } from './index.js';

export const registerInit: Register = (program, wrap) => {
  program
    .command('init')
    .description('create the Root and Issuing OCA keys and certificates and the registry in a new home')
    .option('--ca-name <name>', 'the CA name (Issuing OCA CN; the Root is "<name> Root")')
    .option('--passphrase-file <file>', 'file whose first line is the passphrase for the CA keys (or SMKI_PASSPHRASE_FILE, or a prompt)')
    .option('--operator <name>', 'the RA operator creating the CA')
    .addHelpText('after', examples([
      'smki init --ca-name "SMKI Test OCA" --passphrase-file ca-pass.txt',
      'SMKI_HOME=./other-home smki init --ca-name "Other OCA" --passphrase-file ca-pass.txt --json',
      'smki init --passphrase-file ca-pass.txt   # exit 4 (the home exists)',
    ]))
    .action(wrap(async (ctx: CliContext, opts: { caName?: string; passphraseFile?: string; operator?: string }) => {
      const catalogue = ctx.catalogue();
      const secret = await passphrase(ctx, opts.passphraseFile, true);
      const r = initCa(ctx.home, secret, opts.caName || catalogue.ca.defaultCaName, catalogue, operatorName(opts.operator), ctx.clock);
      ctx.emit(
        [
          `created CA home ${r.home}`,
          `  Root OCA     ${r.root.subject}  serial ${r.root.serial}`,
          `  Issuing OCA  ${r.issuing.subject}  serial ${r.issuing.serial}`,
          `  chain        ${r.chainFile}`,
          `  CRL          ${r.crlFile}`,
        ],
        { id: r.issuing.serial, home: r.home, root: r.root, issuing: r.issuing, chainFile: r.chainFile, crlFile: r.crlFile },
      );
    }));
};
