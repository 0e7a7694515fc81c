import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { homePaths } from '../../registry/home.js';
import { writeOutput } from '../../util/output.js';
import { join } from 'node:path';
import { readPassphraseFile } from '../../ca/keystore.js';
import { Pkcs11Signer } from '../../ca/pkcs11.js';
import { isPkcs11Uri, parsePkcs11Uri } from '../../ca/pkcs11-uri.js';
import { pkcs11Pin } from '../passphrase.js';
import { readOrganisationCertificate } from '../../ca/organisation-certificate.js';
import { InputError } from '../../domain/errors.js';
import { formatReason } from '../../domain/reasons.js';
import { parseTime } from '../../domain/time.js';
import { ServiceRequestGate, type GateOutcome } from '../../gate/gate.js';
import { signEnveloped } from '../../gate/xml/dsig.js';
import { operatorName, type CliContext } from '../context.js';
import { decisionColour, examples, painter, type Painter } from '../format.js';
import { progress as progressLine } from '../progress.js';
import { readInputFile } from './cert.js';
import type { Register } from './index.js';
import { registerQuarantine } from './quarantine.js';

/** Files named on the command line; a directory gives its files (sorted), '-' reads stdin. */
function expandInputs(args: string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (a === '-') { out.push('-'); continue; }
    let st;
    try {
      st = statSync(a);
    } catch {
      // Reported as unreadable in its place; the files around it are still decided.
      out.push(a);
      continue;
    }
    if (st.isDirectory()) {
      for (const f of readdirSync(a).sort()) if (statSync(join(a, f)).isFile()) out.push(join(a, f));
    } else out.push(a);
  }
  return out;
}

async function readStdin(ctx: CliContext): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.io.stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

function outcomeLine(o: GateOutcome, paint: Painter): string {
  if (o.decision === 'malformed') return `${paint('red', 'MALFORMED')}  ${o.file}: ${o.error}`;
  const head = `${paint(decisionColour(o.decision), o.decision.toUpperCase().padEnd(10))} ${o.file}  ${o.requestId} CV${o.commandVariant} SRV ${o.serviceReferenceVariant}`;
  const lines = [head, ...o.reasons.map((r) => `    ${formatReason(r)}`), ...o.warnings.map((r) => `    warning ${formatReason(r)}`)];
  return lines.join('\n');
}

/** A private key in PEM (PKCS#8, SEC1, encrypted PKCS#8) or DER (PKCS#8, SEC1, encrypted PKCS#8). */
/** A token key named by a pkcs11: URI; the module from the URI's module-path or SMKI_PKCS11_MODULE. */
export function tokenSigner(uri: string, pin: Buffer): Pkcs11Signer {
  const module = parsePkcs11Uri(uri, '--key').modulePath ?? process.env.SMKI_PKCS11_MODULE;
  if (!module) throw new InputError('--key: a pkcs11: key needs module-path=... in the URI or SMKI_PKCS11_MODULE');
  return new Pkcs11Signer({ module, uri, pin: () => pin });
}

export function loadPrivateKey(path: string, passFile: string | undefined, flag = '--key'): KeyObject {
  const bytes = readInputFile(path, flag);
  const passphrase = passFile ? readPassphraseFile(passFile) : undefined;
  const isPem = bytes.subarray(0, 64).toString('latin1').includes('-----BEGIN');
  const attempts: Parameters<typeof createPrivateKey>[0][] = isPem
    ? [{ key: bytes, passphrase }]
    : [{ key: bytes, format: 'der', type: 'pkcs8' }, { key: bytes, format: 'der', type: 'sec1' }, { key: bytes, format: 'der', type: 'pkcs8', passphrase }];
  let last: unknown;
  for (const a of attempts) {
    try {
      return createPrivateKey(a);
    } catch (e) {
      last = e;
    }
  }
  throw new InputError(`${flag}: cannot read a private key from ${path}${passFile ? ' (wrong passphrase?)' : ' (encrypted? give --passphrase-file)'}: ${(last as Error).message.split('\n')[0]}`);
}

export const registerSr: Register = (program, wrap) => {
  const sr = program.command('sr').description('the Service Request gate for SoLRContingency DUIS requests')
    .addHelpText('after', examples(['smki sr check --help', 'smki sr sign --help', 'smki sr quarantine --help']));
  sr.command('check <files...>')
    .description('accept or refuse each DUIS request with every reason code that applies; exit 3 if any is refused, 4 if any is malformed')
    .option('--at <time>', 'only evaluate as of this time (ISO 8601): nothing is recorded; without it the registry decides at its own time and records')
    .option('--operator <name>', 'who runs the check (recorded in the audit)')
    .addHelpText('after', examples([
      'smki sr check fixtures/public/duis/ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML   # exit 4 (unsigned)',
      'smki sr check fixtures/public/duis/ --json   # exit 4',
      'cat fixtures/public/duis/GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML | smki sr check - --at now+1h   # exit 4',
    ]))
    .action(wrap(async (ctx: CliContext, files: string[], o: { at?: string; operator?: string }) => {
      const reg = ctx.open();
      const at = o.at ? parseTime(o.at, '--at', ctx.clock()) : undefined;
      const gate = new ServiceRequestGate(reg, ctx.catalogue());
      const inputs = expandInputs(files);
      const actor = operatorName(o.operator);
      const progress = progressLine(ctx.io, 'checking requests', 'rows', inputs.length);
      let done = 0;
      const outcomes: GateOutcome[] = [];
      const BATCH = 500;
      for (let i = 0; i < inputs.length; i += BATCH) {
        const slice = inputs.slice(i, i + BATCH);
        // A file that cannot be read is named in the report (exit 4); every other file is still decided.
        const bytes = await Promise.all(slice.map(async (f) => {
          try {
            return f === '-' ? await readStdin(ctx) : readInputFile(f, 'FILE');
          } catch (e) {
            if (e instanceof InputError) return e;
            throw e;
          }
        }));
        const name = (f: string) => (f === '-' ? '(stdin)' : f);
        const unreadable = (f: string, e: InputError): GateOutcome =>
          ({ file: name(f), decision: 'malformed', reasons: [], warnings: [], error: e.message.split('\n')[0], recorded: false });
        if (at) {
          // An evaluation: the caller's time never reaches the registry.
          slice.forEach((f, j) => {
            const b = bytes[j]!;
            outcomes.push(b instanceof InputError ? unreadable(f, b) : gate.evaluate(name(f), b, at));
            progress.update(++done);
          });
          continue;
        }
        // One transaction per batch: each decision still commits with its effects and audit record.
        reg.tx(() => {
          slice.forEach((f, j) => {
            const b = bytes[j]!;
            outcomes.push(b instanceof InputError ? unreadable(f, b) : gate.check(name(f), b, actor));
            progress.update(++done);
          });
        });
      }
      progress.end();
      const count = (d: GateOutcome['decision']) => outcomes.filter((x) => x.decision === d).length;
      const summary = { accepted: count('accept'), refused: count('refuse'), quarantined: count('quarantine'), malformed: count('malformed'), total: outcomes.length };
      if (ctx.json) ctx.emit('', outcomes.length === 1 && files.length === 1 && inputs.length === 1 ? [outcomes[0]] : outcomes);
      else {
        ctx.emit(outcomes.map((o) => outcomeLine(o, painter(ctx.io.stdout))), null);
        ctx.note(`${summary.total} checked: ${summary.accepted} accepted, ${summary.refused} refused, ${summary.quarantined} quarantined, ${summary.malformed} malformed`);
        if (at) ctx.note(`evaluated as of ${at.toISOString()}: nothing recorded (no decision, counter, ADT count or audit record)`);
      }
      if (summary.malformed) return 4;
      if (summary.refused || summary.quarantined) return 3;
      return 0;
    }));

  sr.command('sign <file>')
    .description('sign a DUIS request as DUIS requires (enveloped XMLDSig, ecdsa-sha256, X509IssuerSerial)')
    .option('--cert <pem>', 'the XML-signing certificate')
    .option('--key <pem|uri>', 'its private key: PKCS#8 or SEC1 PEM/DER (encrypted needs --passphrase-file), or a pkcs11: URI of a token key')
    .option('--passphrase-file <file>', 'passphrase for an encrypted key')
    .option('--pin-file <file>', 'token PIN for a pkcs11: --key (or SMKI_PKCS11_PIN_FILE, or a prompt)')
    .option('--out <file>', 'write the signed request here instead of stdout')
    .addHelpText('after', examples(['smki sr sign fixtures/public/duis/ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML --cert fixtures/public/smki-certs/xml-sign-90B3D51F30010000-ds.pem --key fixtures/public/smki-certs/xml-sign-90B3D51F30010000-ds.key --out request.signed.xml']))
    .action(wrap(async (ctx: CliContext, file: string, o: { cert?: string; key?: string; passphraseFile?: string; pinFile?: string; out?: string }) => {
      if (!o.cert) throw new InputError('missing --cert');
      if (!o.key) throw new InputError('missing --key');
      const cert = readOrganisationCertificate(readInputFile(o.cert, '--cert'), '--cert');
      const pinSource = isPkcs11Uri(o.key) ? parsePkcs11Uri(o.key, '--key').pinSource : undefined;
      const key = isPkcs11Uri(o.key)
        ? tokenSigner(o.key, pinSource ? readPassphraseFile(pinSource, 'pin-source') : await pkcs11Pin(ctx, o.pinFile))
        : loadPrivateKey(o.key, o.passphraseFile);
      const pub = 'spkiDer' in key ? key.spkiDer : createPublicKey(key).export({ format: 'der', type: 'spki' });
      if (!pub.equals(cert.spkiDer)) throw new InputError('--key: the key does not belong to --cert');
      const xml = readInputFile(file, 'FILE').toString('utf8');
      const signed = signEnveloped(xml, { privateKey: key, issuerName: cert.issuerText, serialDecimal: cert.serialDecimal });
      if (o.out) writeOutput(o.out, signed, homePaths(ctx.home));
      if (ctx.json) ctx.emit('', { file, out: o.out ?? null, certificate: cert.serialHex, signed: o.out ? undefined : signed });
      else if (o.out) ctx.emit(`signed ${file} with ${cert.serialHex} -> ${o.out}`, null);
      else ctx.io.stdout.write(signed.endsWith('\n') ? signed : `${signed}\n`);
    }));

  registerQuarantine(sr, wrap);
};
