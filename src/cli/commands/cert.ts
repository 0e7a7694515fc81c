import { existsSync } from 'node:fs';
import { INPUT_LIMITS, readInputFile as readBoundedFile } from '../../util/read-input.js';
import { readOrganisationCertificate } from '../../ca/organisation-certificate.js';
import { toPem } from '../../ca/pem.js';
import { parseRevocationReason, revocationReasonName, ACCEPTED_REVOCATION_REASONS } from '../../ca/crl.js';
import { parseEui64, type Eui64 } from '../../domain/eui.js';
import { parseProfileName, PROFILE_NAMES, type ProfileName } from '../../domain/profiles.js';
import { issueCertificate } from '../../ra/issue.js';
import { requireUserId } from '../../ra/parties.js';
import { registerExternalCertificate } from '../../ra/external-certificates.js';
import { requireCertificate, revokeCertificates } from '../../ra/revocation.js';
import { iterateCertificates, listCertificates, type CertificateRecord } from '../../registry/certificates.js';
import { listOfficers } from '../../registry/officers.js';
import { listUserIds } from '../../registry/parties.js';
import type { CliContext } from '../context.js';
import { certificateShowJson, certificateShowText, findShownCertificate } from '../cert-show.js';
import { examples } from '../format.js';
import { unlockCa } from '../passphrase.js';
import { askYesNo, choiceOrPrompt, confirmStep, PromptCancelled, readableFile, valueOrPrompt } from '../prompt.js';
import { InputError } from '../../domain/errors.js';
import type { Register } from './index.js';
import { refuseProtectedOutput, writeOutput } from '../../util/output.js';

export function certificateJson(c: CertificateRecord) {
  return {
    serial: c.serial,
    userId: c.userId,
    profile: c.profile,
    ou: c.roleOu,
    keyUsage: c.keyUsage,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    source: c.source,
    officer: c.officerId,
    status: c.status,
    revokedAt: c.revokedAt,
    revocationReason: c.revocationReason,
    solrEvent: c.solrEventId,
    pem: toPem(c.der, 'CERTIFICATE'),
  };
}

/** A file named by a flag, read within its size limit (a certificate or CSR by default; src/util/read-input.ts). */
export function readInputFile(path: string, flag: string, limit: number = INPUT_LIMITS.pem): Buffer {
  return readBoundedFile(path, flag, limit);
}

/** A certificate named by its serial, or by its PEM/DER file (so scripts need not copy serials). */
export function serialOrFile(text: string): string {
  const t = text.trim();
  if (/^(0x)?[0-9a-f:\s]+$/i.test(t) && !existsSync(t)) return t;
  return readOrganisationCertificate(readInputFile(t, 'SERIAL'), t).serialHex;
}

/** A file to save a certificate to: not the CA's own files, not an existing file. */
function savePath(text: string, home: Parameters<typeof refuseProtectedOutput>[1]): string {
  const path = text.trim();
  if (!path) throw new InputError('a file name is needed');
  if (existsSync(path)) throw new InputError(`${path} exists; give another file name`);
  refuseProtectedOutput(path, home);
  return path;
}

export const registerCert: Register = (program, wrap) => {
  const cert = program.command('cert').description('SMKI Organisation Certificates')
    .addHelpText('after', examples(['smki cert list', 'smki cert issue --help']));
  cert
    .command('issue')
    .description('issue an Organisation Certificate from a PKCS#10 CSR, or refuse with reasons (exit 3)')
    .option('--csr <file>', 'the CSR, PEM or DER')
    .option('--profile <profile>', `certificate profile: ${PROFILE_NAMES.join(', ')}`)
    .option('--party <eui>', 'the User ID the certificate is for (must be the CSR subject\'s EUI)')
    .option('--officer-key <keyfile>', "the requesting ARO's key (active, of the same Party): it signs the request (passphrase from SMKI_OFFICER_PASSPHRASE_FILE or a prompt)")
    .option('--officer <id>', "the requesting ARO's ID, if given: it must be the officer whose key signs")
    .option('--out <file>', 'write the PEM certificate to this file')
    .option('--passphrase-file <file>', 'CA key passphrase file (or SMKI_PASSPHRASE_FILE, or a prompt)')
    .addHelpText('after', examples([
      'smki cert issue --csr fixtures/onboard/srp-xml-sign.csr --profile xml-sign --party 90B3D51F300C0001 --officer-key ari.key --passphrase-file ca-pass.txt --out srp-xml.pem',
      'smki cert issue --csr fixtures/onboard/srp-ds.csr --profile ds --party 90B3D51F300C0001 --officer-key ari.key --officer OFC-2 --passphrase-file ca-pass.txt --json   # exit 3 SOLR_CONTINGENCY_XML_SIGN_ONLY',
    ]))
    .action(wrap(async (ctx: CliContext, opts: { csr?: string; profile?: string; party?: string; officer?: string; officerKey?: string; out?: string; passphraseFile?: string }) => {
      const reg = ctx.open();
      const catalogue = ctx.catalogue();
      // A prompted path that cannot be read (missing, a folder, too big) is asked again.
      const csr = await valueOrPrompt(ctx, opts.csr, '--csr', 'CSR file (PEM or DER)', (t) => readInputFile(t.trim(), '--csr'));
      const party = await choiceOrPrompt(ctx, opts.party, '--party', 'User ID',
        listUserIds(reg).map((u) => ({ value: u.eui, name: `${u.eui}  ${u.roles.join(' ')}  ${u.partyName}` })), (t) => parseEui64(t, '--party'));
      const userId = requireUserId(reg, party);
      const allowed = catalogue.roles.get(userId.role)!.profiles;
      const profile = await choiceOrPrompt<ProfileName>(ctx, opts.profile, '--profile', 'Certificate profile',
        allowed.map((p) => ({ value: p, name: `${p}  ${catalogue.profiles.get(p)!.description}` })), (t) => parseProfileName(t));
      const officer = await ctx.officerKey(opts.officerKey, "the requesting ARO's");
      if (opts.out) refuseProtectedOutput(opts.out, reg.paths);
      const ca = await unlockCa(ctx, opts.passphraseFile);
      const c = issueCertificate(reg, ca, catalogue, { csr, profile, party, officer, ...(opts.officer ? { officerId: opts.officer } : {}) });
      const pem = toPem(c.der, 'CERTIFICATE');
      // The certificate is committed: a file that cannot be written is a warning, and the PEM is printed.
      let written = false;
      if (opts.out) {
        try {
          writeOutput(opts.out, pem, reg.paths);
          written = true;
        } catch (e) {
          reg.warnings.push(`issued ${c.serial}, but ${(e as Error).message}; the certificate is printed here and kept in the registry (smki cert show ${c.serial})`);
        }
      }
      const issued = `issued ${c.serial} (${c.profile}, OU ${c.roleOu}) for ${c.userId}`;
      if (ctx.json) ctx.emit('', { ...certificateJson(c), out: written ? opts.out : null, warnings: reg.warnings });
      else if (written) ctx.emit(`${issued} -> ${opts.out}`, null);
      else if (ctx.interactive && !opts.out) {
        // On a terminal: the serial first, then where to keep the certificate (Enter on an empty answer prints it).
        ctx.emit(issued, null);
        // The certificate is committed: a cancelled question prints it rather than lose it.
        const out = await (async () => {
          if (!(await askYesNo(ctx, 'Save the certificate to a file?', true))) return '';
          return valueOrPrompt(ctx, undefined, '--out', 'File', (t) => savePath(t, reg.paths), { default: `${c.userId}-${c.profile}.pem` });
        })().catch((e) => { if (e instanceof PromptCancelled) return ''; throw e; });
        if (out) {
          writeOutput(out, pem, reg.paths);
          ctx.emit(`saved ${c.serial} -> ${out}`, null);
        } else ctx.emit(pem.trimEnd(), null);
      } else {
        // Stdout is the PEM (a script redirects it); the serial goes to stderr beside it.
        ctx.note(issued);
        ctx.emit(pem.trimEnd(), null);
      }
    }));

  cert
    .command('register')
    .description("record another CA's certificate for a User ID (e.g. a Supplier's Digital Signing certificate that meters trust): it must chain to a trust anchor (smki ca trust) and fit the User ID's role")
    .option('--file <pem>', 'the certificate, PEM or DER')
    .option('--party <eui>', 'the User ID it belongs to (must be its subject EUI)')
    .addHelpText('after', examples([
      'smki --as ra1.key ca trust --file fixtures/dcc-test-pki/chain.pem',
      'smki --as ra1.key cert register --file fixtures/dcc-test-pki/supplier-ds.pem --party 90B3D51F30010000',
      'smki --as ra1.key cert register --file fixtures/public/smki-certs/Z1-supplier-ds.pem --party 90B3D51F30010000   # exit 3 CERT_NOT_CHAINED',
    ]))
    .action(wrap(async (ctx: CliContext, opts: { file?: string; party?: string }) => {
      const reg = ctx.open();
      const file = await valueOrPrompt(ctx, opts.file, '--file', 'Certificate file', (t) => t.trim(), { check: readableFile('--file') });
      const party = await valueOrPrompt(ctx, opts.party, '--party', 'User ID (EUI-64)', (t) => parseEui64(t, '--party'));
      const c = registerExternalCertificate(reg, ctx.catalogue(), { der: readInputFile(file, '--file'), party, operator: await ctx.operatorKey() });
      ctx.emit(`registered ${c.serial} (OU ${c.roleOu}, ${c.keyUsage}) for ${c.userId}`, { id: c.serial, ...certificateJson(c) });
    }));

  cert
    .command('list')
    .description('list certificates, optionally of one Party')
    .option('--party <eui>', 'a User ID: lists the certificates of every User ID of its Party')
    .addHelpText('after', examples(['smki cert list', 'smki cert list --party 90B3D51F30010000 --json']))
    .action(wrap((ctx: CliContext, opts: { party?: string }) => {
      const reg = ctx.open();
      let userIds: Eui64[] | undefined;
      if (opts.party) {
        const u = requireUserId(reg, parseEui64(opts.party, '--party'));
        userIds = listUserIds(reg, u.partyId).map((x) => x.eui);
      }
      // Streamed: a registry of any size lists in flat memory.
      const now = ctx.clock().getTime();
      // A certificate past its notAfter shows as expired (its stored status stays valid: nothing revoked it).
      const shown = (c: CertificateRecord) => (c.status === 'valid' && Date.parse(c.notAfter) < now ? 'expired' : c.status);
      ctx.emitRows(iterateCertificates(reg, { userIds }), {
        headers: ['Serial', 'User ID', 'Profile', 'OU', 'Status', 'Not after', 'Source'],
        cells: (c) => [c.serial, c.userId, c.profile, c.roleOu, shown(c), c.notAfter.slice(0, 10), c.source],
        json: (c) => { const { pem: _pem, ...rest } = certificateJson(c); return { ...rest, expired: Date.parse(c.notAfter) < now }; },
      });
    }));

  cert
    .command('show [serial]')
    .description("show one certificate, by serial or certificate file: what the registry knows, and the certificate decoded as 'openssl x509 -text' shows it (extensions, policies, key identifiers, public key, signature); a file not in the registry is decoded too")
    .addHelpText('after', examples(['smki cert show srp-xml.pem', 'smki cert show srp-xml.pem --json', 'smki cert show fixtures/public/smki-certs/Z1-supplier-ds.pem   # not in this registry: decoded only']))
    .action(wrap(async (ctx: CliContext, serial: string | undefined) => {
      const reg = ctx.open();
      const s = await choiceOrPrompt(ctx, serial, 'SERIAL', 'Certificate',
        () => listCertificates(reg).map((c) => ({ value: c.serial, name: `${c.serial}  ${c.userId} ${c.profile} ${c.status}` })), (t) => t.trim());
      const shown = findShownCertificate(reg, s);
      const now = ctx.clock();
      ctx.emit(certificateShowText(shown, now), certificateShowJson(shown, now, certificateJson));
    }));

  cert
    .command('revoke [serial]')
    .description('revoke a certificate (by serial or certificate file) and regenerate the CRL')
    .option('--reason <reason>', `RFC 5280 reason: ${ACCEPTED_REVOCATION_REASONS.join(', ')}`)
    .option('--passphrase-file <file>', 'CA key passphrase file (the CRL is signed)')
    .option('--yes', 'do not ask for confirmation on a terminal')
    .addHelpText('after', examples(['smki --as ra1.key cert revoke srp-xml.pem --reason superseded --passphrase-file ca-pass.txt', 'smki --as ra1.key cert revoke srp-xml.pem --reason keyCompromise --passphrase-file ca-pass.txt   # exit 3 CERT_ALREADY_REVOKED']))
    .action(wrap(async (ctx: CliContext, serial: string | undefined, opts: { reason?: string; passphraseFile?: string; yes?: boolean }) => {
      const reg = ctx.open();
      const s = await choiceOrPrompt(ctx, serial, 'SERIAL', 'Certificate to revoke',
        () => listCertificates(reg).filter((c) => c.status === 'valid' && c.source === 'issued').map((c) => ({ value: c.serial, name: `${c.serial}  ${c.userId} ${c.profile}` })), serialOrFile);
      const why = await choiceOrPrompt(ctx, opts.reason, '--reason', 'Revocation reason',
        ACCEPTED_REVOCATION_REASONS.map((r) => ({ value: r, name: r })), (t) => revocationReasonName(parseRevocationReason(t)));
      const c = requireCertificate(reg, s);
      await confirmStep(ctx, opts.yes, `Revoke ${c.serial} (${c.userId}, ${c.profile}) for ${why}? This cannot be undone`);
      const ca = await unlockCa(ctx, opts.passphraseFile);
      const r = revokeCertificates(reg, ca, ctx.catalogue(), [c.serial], parseRevocationReason(why), await ctx.operatorKey());
      ctx.emit(`revoked ${c.serial} (${why}); CRL ${r.crlNumber} written to ${r.crlFile}`,
        { serial: c.serial, status: 'revoked', reason: why, crlNumber: r.crlNumber, crlFile: r.crlFile });
    }));
};
