import { existsSync } from 'node:fs';
import { toPem } from '../../ca/pem.js';
import { InputError, IntegrityError } from '../../domain/errors.js';
import { caCertificate } from '../../registry/certificates.js';
import { trustCaChain } from '../../ra/external-certificates.js';
import { listTrustAnchors } from '../../registry/trust-anchors.js';
import type { CliContext } from '../context.js';
import { caKeyRef, homeKeySigner } from '../../ca/authority.js';
import { issueIssuingOca } from '../../ca/init.js';
import { readPassphraseFile } from '../../ca/keystore.js';
import { isPkcs11Uri } from '../../ca/pkcs11-uri.js';
import { passphrase, pkcs11Pin } from '../passphrase.js';
import { examples, table } from '../format.js';
import { readInputFile } from './cert.js';
import { INPUT_LIMITS } from '../../util/read-input.js';
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
    .addHelpText('after', examples(['smki --as ra1.key ca trust --file fixtures/dcc-test-pki/chain.pem', 'smki --as ra1.key ca trust --file fixtures/dcc-test-pki/chain.pem --json']))
    .action(wrap(async (ctx: CliContext, opts: { file?: string }) => {
      if (!opts.file) throw new InputError('missing --file (the CA chain, PEM)');
      const r = trustCaChain(ctx.open(), { pem: readInputFile(opts.file, '--file', INPUT_LIMITS.chain), operator: await ctx.operatorKey() });
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

  ca.command('issue-issuing')
    .description('a new Issuing OCA (rollover): a new key, its certificate signed by the offline Root OCA key (the only command that opens it), a fresh CRL')
    .option('--root-key <file|uri>', 'the Root OCA key: a key file or a pkcs11: URI (default: where smki init put it)')
    .option('--root-passphrase-file <file>', "the Root OCA key's passphrase (or SMKI_ROOT_PASSPHRASE_FILE; else the CA passphrase)")
    .option('--passphrase-file <file>', 'CA passphrase, for the new Issuing OCA key file')
    .option('--pin-file <file>', 'token PIN for token keys (or SMKI_PKCS11_PIN_FILE, or a prompt)')
    .addHelpText('after', examples([
      'smki --as ra1.key ca issue-issuing --root-key root-oca.key.pem --root-passphrase-file root-pass.txt --passphrase-file ca-pass.txt   # exit 4 (the offline Root key is not here)',
    ]))
    .action(wrap(async (ctx: CliContext, o: { rootKey?: string; rootPassphraseFile?: string; passphraseFile?: string; pinFile?: string }) => {
      const reg = ctx.open();
      const rootRef = o.rootKey ?? caKeyRef(reg, 'root').ref;
      const issuingOnToken = caKeyRef(reg, 'issuing').custody === 'pkcs11';
      const pin = isPkcs11Uri(rootRef) || issuingOnToken ? await pkcs11Pin(ctx, o.pinFile) : undefined;
      let rootSecret: Buffer;
      if (isPkcs11Uri(rootRef)) rootSecret = pin!;
      else {
        if (!existsSync(rootRef)) throw new InputError(`the Root OCA key ${rootRef} is not here (it is kept offline): give --root-key FILE`);
        const file = o.rootPassphraseFile ?? process.env.SMKI_ROOT_PASSPHRASE_FILE;
        rootSecret = file ? readPassphraseFile(file, '--root-passphrase-file') : await passphrase(ctx, o.passphraseFile);
      }
      const root = homeKeySigner(reg, 'root', rootSecret, rootRef);
      const issuingSecret = issuingOnToken ? { pin: pin! } : { passphrase: await passphrase(ctx, o.passphraseFile) };
      const r = issueIssuingOca(reg, ctx.catalogue(), root, issuingSecret, await ctx.operatorKey());
      ctx.emit([`new Issuing OCA ${r.issuing.subject} serial ${r.issuing.serial}`, `  key    ${r.issuingKey}`, `  chain  ${r.chainFile}`, `  CRL    ${r.crlFile}`],
        { id: r.issuing.serial, issuing: r.issuing, issuingKey: r.issuingKey, chainFile: r.chainFile, crlFile: r.crlFile ?? null });
    }));
};
