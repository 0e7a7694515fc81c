import { caNameDer } from '../../ca/ca-certificates.js';
import { initCa, refuseExistingHome, type InitAdmin, type InitKeys } from '../../ca/init.js';
import { readPublicKeyFile } from '../../ca/person-keys.js';
import { parseOperatorName } from '../../ra/operators.js';
import { InputError } from '../../domain/errors.js';
import type { CliContext } from '../context.js';
import { examples } from '../format.js';
import { newKeyPassphrase, newSecret, passphrase, pkcs11Pin } from '../passphrase.js';
import { absentFile, choiceOrPrompt, valueOrPrompt } from '../prompt.js';
import type { Register } from './index.js';

interface InitOptions {
  caName?: string;
  passphraseFile?: string;
  admin?: string;
  adminPublicKey?: string;
  adminKeyOut?: string;
  adminPassphraseFile?: string;
  adminUnencrypted?: boolean;
  pkcs11Module?: string;
  token?: string;
  pinFile?: string;
  rootKeyOut?: string;
  rootPassphraseFile?: string;
}

/** A CA name both CA certificates can carry (the Root's is the name + " Root"). */
function parseCaName(text: string): string {
  const name = text.trim();
  if (!name) throw new InputError('--ca-name: a name is needed');
  caNameDer({ commonName: name, ou: '07' });
  caNameDer({ commonName: `${name} Root`, ou: '00' });
  return name;
}

async function initKeys(ctx: CliContext, o: InitOptions): Promise<{ keys: InitKeys; secret: Buffer }> {
  if (o.pkcs11Module || o.token) {
    if (!o.pkcs11Module || !o.token) throw new InputError('--pkcs11-module and --token go together');
    if (o.rootKeyOut) throw new InputError('--root-key-out is for file keys; with --pkcs11-module the Root OCA key stays in the token');
    const pin = await pkcs11Pin(ctx, o.pinFile);
    return { keys: { kind: 'pkcs11', module: o.pkcs11Module, token: o.token, pin: () => pin }, secret: Buffer.alloc(0) };
  }
  const secret = await passphrase(ctx, o.passphraseFile, true);
  if (!o.rootKeyOut) return { keys: { kind: 'file' }, secret };
  const rootPassphrase = await newSecret(ctx, { file: o.rootPassphraseFile, flag: '--root-passphrase-file', envFile: 'SMKI_ROOT_PASSPHRASE_FILE', message: 'Root OCA key passphrase (its own, not the CA passphrase)' });
  if (rootPassphrase.equals(secret)) throw new InputError('--root-passphrase-file: the offline Root OCA key needs a passphrase of its own, not the CA passphrase');
  return { keys: { kind: 'file', rootKeyOut: o.rootKeyOut, rootPassphrase }, secret };
}

/** The first RA operator: --admin with --admin-public-key, or --admin-key-out to have a key made. */
async function initAdmin(ctx: CliContext, given: InitOptions): Promise<InitAdmin> {
  let o = given;
  const name = await valueOrPrompt(ctx, o.admin, '--admin (the first RA operator)', 'First RA operator name', (t) => parseOperatorName(t, '--admin'));
  if (o.adminPublicKey && o.adminKeyOut) throw new InputError('--admin-public-key and --admin-key-out exclude each other');
  if (!o.adminPublicKey && !o.adminKeyOut) {
    const missing = "--admin-public-key FILE (the first operator's public key) or --admin-key-out FILE (to make one)";
    if (!ctx.interactive) throw new InputError(`missing ${missing}`);
    const how = await choiceOrPrompt<'new' | 'public'>(ctx, undefined, missing, `${name}'s key`, [
      { value: 'new', name: 'make a new key file now' },
      { value: 'public', name: "use an existing public key (PEM, from 'smki key new')" },
    ], (t) => t as 'new' | 'public');
    if (how === 'public') o = { ...o, adminPublicKey: await valueOrPrompt(ctx, undefined, '--admin-public-key', 'Public key file', (t) => { readPublicKeyFile(t.trim(), '--admin-public-key'); return t.trim(); }) };
    else o = { ...o, adminKeyOut: await valueOrPrompt(ctx, undefined, '--admin-key-out', 'Write the new key to', (t) => t.trim(), { default: `${name}.key`, check: absentFile('--admin-key-out') }) };
  }
  if (o.adminPublicKey) return { name, publicKey: readPublicKeyFile(o.adminPublicKey, '--admin-public-key') };
  if (!o.adminKeyOut) throw new InputError("missing --admin-public-key FILE (the first operator's public key) or --admin-key-out FILE (to make one)");
  if (o.adminUnencrypted && o.adminPassphraseFile) throw new InputError('--admin-unencrypted and --admin-passphrase-file exclude each other');
  const passphrase = o.adminUnencrypted ? undefined : await newKeyPassphrase(ctx, o.adminPassphraseFile, '--admin-passphrase-file', 'SMKI_AS_PASSPHRASE_FILE');
  return { name, keyOut: o.adminKeyOut, ...(passphrase ? { passphrase } : {}) };
}

export const registerInit: Register = (program, wrap) => {
  program
    .command('init')
    .description('create the Root and Issuing OCA keys and certificates and the registry in a new home')
    .option('--ca-name <name>', 'the CA name (Issuing OCA CN; the Root is "<name> Root")')
    .option('--passphrase-file <file>', 'file whose first line is the passphrase for the CA keys (or SMKI_PASSPHRASE_FILE, or a prompt)')
    .option('--admin <name>', 'the first RA operator (the one who creates the CA)')
    .option('--admin-public-key <file>', "the first operator's P-256 public key (PEM, from 'smki key new')")
    .option('--admin-key-out <file>', 'or: make the first operator a key, written here (encrypted, 0600)')
    .option('--admin-passphrase-file <file>', 'passphrase for the key --admin-key-out makes (or SMKI_AS_PASSPHRASE_FILE, or a prompt)')
    .option('--admin-unencrypted', 'write the --admin-key-out key unencrypted (mode 0600)')
    .option('--root-key-out <file>', 'write the Root OCA key here (outside the home, own passphrase) to move it offline')
    .option('--root-passphrase-file <file>', 'passphrase of the offline Root OCA key (or SMKI_ROOT_PASSPHRASE_FILE, or a prompt)')
    .option('--pkcs11-module <path>', 'generate both CA keys inside a PKCS#11 token with this module (e.g. /usr/lib/softhsm/libsofthsm2.so)')
    .option('--token <label>', 'the token label, with --pkcs11-module')
    .option('--pin-file <file>', 'the token PIN (or SMKI_PKCS11_PIN_FILE, or a prompt)')
    .addHelpText('after', examples([
      'smki init --ca-name "SMKI Test OCA" --passphrase-file ca-pass.txt --admin ra1 --admin-public-key ra1.pub',
      'SMKI_HOME=./other-home smki init --ca-name "Other OCA" --passphrase-file ca-pass.txt --admin other-ra1 --admin-key-out other-ra1.key --admin-passphrase-file ca-pass.txt --json',
      'smki init --passphrase-file ca-pass.txt --admin ra1 --admin-public-key ra1.pub   # exit 4 (the home exists)',
    ]))
    .action(wrap(async (ctx: CliContext, opts: InitOptions) => {
      const catalogue = ctx.catalogue();
      // Nothing is asked for a home that init would refuse anyway.
      refuseExistingHome(ctx.home);
      // On a terminal the CA name is asked (Enter keeps the default); a script without --ca-name gets the default.
      const caName = opts.caName || (ctx.interactive
        ? await valueOrPrompt(ctx, undefined, '--ca-name', 'CA name (the Issuing OCA; the Root is "<name> Root")', parseCaName, { default: catalogue.ca.defaultCaName })
        : catalogue.ca.defaultCaName);
      const admin = await initAdmin(ctx, opts);
      const { keys, secret } = await initKeys(ctx, opts);
      const r = initCa(ctx.home, secret, caName, catalogue, admin, ctx.clock, keys, { database: ctx.globals.database });
      const offline = keys.kind === 'file' && keys.rootKeyOut !== undefined;
      ctx.emit(
        [
          `created CA home ${r.home}`,
          `  Root OCA     ${r.root.subject}  serial ${r.root.serial}`,
          `  Issuing OCA  ${r.issuing.subject}  serial ${r.issuing.serial}`,
          `  keys         root ${r.rootKey}, issuing ${r.issuingKey}`,
          `  chain        ${r.chainFile}`,
          `  CRL          ${r.crlFile}`,
          `  operator     ${admin.name}${'keyOut' in admin ? ` (key ${admin.keyOut})` : ''}: act with --as KEYFILE`,
          ...(offline ? [`move the Root OCA key ${r.rootKey} offline now: only 'smki ca issue-issuing' needs it`] : []),
        ],
        { id: r.issuing.serial, home: r.home, root: r.root, issuing: r.issuing, chainFile: r.chainFile, crlFile: r.crlFile, rootKey: r.rootKey, issuingKey: r.issuingKey, rootOffline: offline, admin: admin.name, ...('keyOut' in admin ? { adminKey: admin.keyOut } : {}) },
      );
    }));
};
