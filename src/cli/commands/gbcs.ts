// GBCS messages on the Supplier's side: `gbcs sign` turns the Pre-Command that DCC returned for a
// CommandVariant 4 request into a Signed Pre-Command, with the failed Supplier's Digital Signing key
// (the key its meters trust). `sr new --pre-command` then wraps it in a DUIS request.
import { createPublicKey } from 'node:crypto';
import { readOrganisationCertificate } from '../../ca/organisation-certificate.js';
import { InputError } from '../../domain/errors.js';
import { formatEuiDashed } from '../../domain/eui.js';
import { GENERAL_SIGNING_TAG, parseGeneralSigning, signPreCommand } from '../../gate/gbcs.js';
import { homePaths } from '../../registry/home.js';
import { writeOutput } from '../../util/output.js';
import type { CliContext } from '../context.js';
import { examples, painter } from '../format.js';
import { loadPrivateKey, readKeyFileBytes } from '../key-file.js';
import type { Register } from './index.js';

/** A GBCS message from a file: hex text (white space allowed, as the RTDS .HEX files), base64 text or the octets themselves. */
export function readPayload(path: string, flag: string): Buffer {
  const bytes = readKeyFileBytes(path, flag);
  if (bytes[0] === GENERAL_SIGNING_TAG) return bytes;
  const text = bytes.toString('latin1').replace(/\s+/g, '');
  if (text.length > 0 && text.length % 2 === 0 && /^[0-9A-Fa-f]+$/.test(text)) return Buffer.from(text, 'hex');
  if (text.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    const b = Buffer.from(text, 'base64');
    if (b[0] === GENERAL_SIGNING_TAG) return b;
  }
  throw new InputError(`${flag}: ${path} is not a GBCS General-Signing message (hex, base64 or binary starting 0xDF)`);
}

export const registerGbcs: Register = (program, wrap) => {
  const gbcs = program.command('gbcs').description("GBCS messages: sign a Pre-Command with the failed Supplier's Digital Signing key")
    .addHelpText('after', examples(['smki gbcs sign --help']));
  gbcs.command('sign <precommand>')
    .description('make a Signed Pre-Command from a Pre-Command (hex, base64 or binary): the GBCS signature (0x40 + r||s) over it, with a Digital Signing key')
    .option('--key <file>', "the Supplier's Digital Signing private key: PKCS#8 or SEC1, PEM or DER (encrypted needs --passphrase-file)")
    .option('--passphrase-file <file>', 'passphrase for an encrypted key')
    .option('--cert <pem>', "the key's Digital Signing certificate: checks the key and warns if its User ID is not the Pre-Command's originator")
    .option('--format <format>', 'output: hex (as the RTDS .HEX files) or base64 (as DUIS GBCSPayload)', 'hex')
    .option('--out <file>', 'write the Signed Pre-Command here instead of stdout')
    .addHelpText('after', examples([
      'smki gbcs sign fixtures/public/gbcs/GCS02_1.6_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX --key fixtures/public/smki-certs/Z1-supplier-ds.key --cert fixtures/public/smki-certs/Z1-supplier-ds.pem --out signed-precommand.hex',
      'smki gbcs sign fixtures/public/gbcs/ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX --key fixtures/public/smki-certs/Z1-supplier-ds.key --format base64 --json',
    ]))
    .action(wrap(async (ctx: CliContext, file: string, o: { key?: string; passphraseFile?: string; cert?: string; format?: string; out?: string }) => {
      if (!o.key) throw new InputError('missing --key (the Supplier\'s Digital Signing key)');
      const format = (o.format ?? 'hex').toLowerCase();
      if (format !== 'hex' && format !== 'base64') throw new InputError(`--format: '${o.format}' is not hex or base64`);
      const preCommand = readPayload(file, 'PRECOMMAND');
      const key = loadPrivateKey(o.key, o.passphraseFile);
      const msg = parseGeneralSigning(preCommand);
      const warnings: string[] = [];
      if (o.cert) {
        const cert = readOrganisationCertificate(readKeyFileBytes(o.cert, '--cert'), '--cert');
        if (!createPublicKey(key).export({ format: 'der', type: 'spki' }).equals(cert.spkiDer)) throw new InputError('--key: the key does not belong to --cert');
        if (cert.eui !== msg.originator) warnings.push(`the Pre-Command's originator ${formatEuiDashed(msg.originator)} is not the certificate's User ID ${formatEuiDashed(cert.eui)}: the meter and the gate check the signature against the originator's certificate`);
        if (!(cert.keyUsage.length === 1 && cert.keyUsage[0] === 'digitalSignature') || cert.roleOu === '87') {
          warnings.push(`the certificate ${cert.serialHex} is not a GBCS Digital Signing certificate (OU ${cert.roleOu}, key usage ${cert.keyUsage.join('+')})`);
        }
      }
      const signed = signPreCommand(preCommand, key);
      const text = format === 'hex' ? signed.toString('hex').toUpperCase() : signed.toString('base64');
      const paint = painter(ctx.io.stderr);
      for (const w of warnings) ctx.note(`${paint('yellow', 'smki: warning:')} ${w}`);
      if (o.out) writeOutput(o.out, `${text}\n`, homePaths(ctx.home));
      const summary = {
        file, out: o.out ?? null, format, supplierUserId: msg.originator, deviceId: msg.recipient,
        counter: msg.originatorCounter.toString(), messageCode: `0x${msg.messageCode.toString(16).toUpperCase().padStart(4, '0')}`, warnings,
        ...(o.out ? {} : { signedPreCommand: text }),
      };
      if (ctx.json) ctx.emit('', summary);
      else if (o.out) ctx.emit(`signed ${file} (message ${summary.messageCode}, ${formatEuiDashed(msg.originator)} -> ${formatEuiDashed(msg.recipient)}, counter ${summary.counter}) -> ${o.out}`, null);
      else ctx.io.stdout.write(`${text}\n`);
    }));
};
