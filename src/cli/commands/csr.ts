// `smki csr new`: a subscriber's key and CSR as SMKI wants them (SEC Appendix M): P-256, subject OU =
// the profile's Remote Party Role and x500UniqueIdentifier = the User ID as an 8-octet BIT STRING, and
// the profile's single Key Usage bit requested (critical). The key is written encrypted, mode 0600.
// Runs on the SRP's machine: no registry is opened.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { buildSmkiCsr } from '../../ca/csr-builder.js';
import { encryptPrivateKey, generateP256KeyPair, writeSecretFile } from '../../ca/keystore.js';
import { InputError } from '../../domain/errors.js';
import { parseEui64 } from '../../domain/eui.js';
import { parseProfileName, PROFILE_NAMES } from '../../domain/profiles.js';
import { parseUserRole, USER_ROLES, userRoleName } from '../../domain/roles.js';
import { subjectOuFor } from '../../ra/issuance-policy.js';
import { homePaths } from '../../registry/home.js';
import { refuseProtectedOutput, writeOutput } from '../../util/output.js';
import type { CliContext } from '../context.js';
import { examples } from '../format.js';
import { loadSigningKey } from '../key-file.js';
import { MIN_PASSPHRASE_LENGTH, newKeyPassphrase } from '../passphrase.js';
import type { Signer } from '../../ca/signer.js';
import { choiceOrPrompt, valueOrPrompt } from '../prompt.js';
import type { Register } from './index.js';

interface CsrOptions { eui?: string; profile?: string; role?: string; commonName?: string; keyOut?: string; key?: string; passphraseFile?: string; pinFile?: string; out?: string }

export const registerCsr: Register = (program, wrap) => {
  const csr = program.command('csr').description('certificate signing requests as SMKI wants them (for SRPs and other subscribers)')
    .addHelpText('after', examples(['smki csr new --help']));
  csr.command('new')
    .description('make a P-256 key (encrypted, 0600) and a PKCS#10 CSR with the SMKI subject (OU, x500UniqueIdentifier) for a certificate profile')
    .option('--eui <eui>', 'the User ID the certificate is for (EUI-64)')
    .option('--profile <profile>', `the certificate profile: ${PROFILE_NAMES.join(', ')} (SoLRContingency: xml-sign only)`)
    .option('--role <role>', 'ds and ka: the User Role, whose Remote Party Role is the subject OU (e.g. IS for 02)')
    .option('--common-name <cn>', 'an optional subject CN (e.g. the Party\'s short name)')
    .option('--key-out <file>', 'write the new private key here (encrypted PKCS#8, mode 0600; never over an existing file)')
    .option('--key <file|uri>', 'use this existing key instead (PEM or DER; encrypted needs --passphrase-file), or a pkcs11: URI of a token key (the CSR is signed inside the token)')
    .option('--pin-file <file>', 'token PIN for a pkcs11: --key (or SMKI_PKCS11_PIN_FILE, or a prompt)')
    .option('--passphrase-file <file>', `the key's passphrase (first line; at least ${MIN_PASSPHRASE_LENGTH} characters for a new key), else a prompt`)
    .option('--out <file>', 'write the CSR (PEM) here instead of stdout')
    .addHelpText('after', examples([
      "(umask 077 && printf '%s\\n' 'srp key passphrase 1' > srp-key-pass.txt)",
      'smki csr new --eui 90B3D51F300C0001 --profile xml-sign --key-out srp-xml.key --passphrase-file srp-key-pass.txt --out srp-xml.csr',
      'openssl req -in srp-xml.csr -noout -verify -subject -nameopt show_type',
      'smki csr new --eui 90B3D51F30010000 --profile ds --role IS --key-out supplier-ds.key --passphrase-file srp-key-pass.txt --json',
    ]))
    .action(wrap(async (ctx: CliContext, o: CsrOptions) => {
      const catalogue = ctx.catalogue();
      const eui = await valueOrPrompt(ctx, o.eui, '--eui', 'User ID (EUI-64) the certificate is for', (t) => parseEui64(t, '--eui'));
      const profileName = await choiceOrPrompt(ctx, o.profile, '--profile', 'Certificate profile',
        PROFILE_NAMES.map((p) => ({ value: p, name: p, description: catalogue.profiles.get(p)?.description })), (t) => parseProfileName(t));
      const profile = catalogue.profiles.get(profileName)!;
      let ou: string | undefined = profile.subjectOu === 'role' ? undefined : profile.subjectOu;
      if (ou === undefined) {
        const roleCode = await choiceOrPrompt(ctx, o.role, '--role', 'User Role (its Remote Party Role is the subject OU)',
          USER_ROLES.filter((r) => catalogue.roles.get(r.code)?.remotePartyRole).map((r) => ({ value: r.code, name: `${r.code}  ${r.name}` })), (t) => parseUserRole(t));
        const role = catalogue.roles.get(roleCode)!;
        ou = subjectOuFor(profile, role);
        if (ou === undefined) throw new InputError(`--role: ${userRoleName(roleCode)} has no Remote Party Role, so it holds no ${profileName} certificate (xml-sign only)`);
      }
      if (o.key && o.keyOut) throw new InputError('give --key (an existing key) or --key-out (a new one), not both');
      if (!o.key && !o.keyOut) throw new InputError('missing --key-out FILE (where the new key goes) or --key FILE (an existing key)');
      const home = homePaths(ctx.home);
      let privateKey: KeyObject | Signer;
      let keyPem: string | undefined;
      if (o.keyOut) {
        if (existsSync(o.keyOut)) throw new InputError(`--key-out: ${o.keyOut} exists; smki never replaces a key file`);
        refuseProtectedOutput(o.keyOut, home, '--key-out');
        const secret = await newKeyPassphrase(ctx, o.passphraseFile, '--passphrase-file (the new key is always encrypted)');
        privateKey = generateP256KeyPair().privateKey;
        keyPem = encryptPrivateKey(privateKey, secret);
        secret.fill(0);
      } else {
        // A pkcs11: URI keeps the key in the SRP's token: the CSR is signed inside it.
        privateKey = await loadSigningKey(ctx, o.key!, o);
      }
      const built = buildSmkiCsr({ eui, ou, ...(o.commonName ? { commonName: o.commonName } : {}), keyUsage: profile.keyUsage, privateKey });
      // The key first (exclusively, 0600): a CSR is never written for a key that was not kept.
      if (o.keyOut && keyPem) {
        try {
          writeSecretFile(o.keyOut, keyPem);
        } catch (e) {
          throw new InputError(`--key-out: cannot write ${o.keyOut} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      }
      if (o.out) writeOutput(o.out, built.pem, home);
      const publicKey = ('spkiDer' in privateKey ? createPublicKey({ key: privateKey.spkiDer, format: 'der', type: 'spki' }) : createPublicKey(privateKey))
        .export({ format: 'pem', type: 'spki' }).toString();
      const json = {
        userId: eui, profile: profileName, ou, keyUsage: profile.keyUsage, commonName: o.commonName ?? null,
        keyFile: o.keyOut ?? o.key!, keyCreated: o.keyOut !== undefined, out: o.out ?? null, publicKey, pem: built.pem,
      };
      if (ctx.json) ctx.emit('', json);
      else {
        if (o.keyOut) ctx.note(`new P-256 key (encrypted, 0600) -> ${o.keyOut}`);
        if (o.out) ctx.emit(`CSR for ${eui} ${profileName} (OU ${ou}, ${profile.keyUsage}) -> ${o.out}; the ARO submits it with smki cert issue --csr ${o.out} --profile ${profileName} --party ${eui}`, null);
        else ctx.io.stdout.write(built.pem);
      }
    }));
};
