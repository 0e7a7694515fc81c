// The SRP's side of the gate: `sr new` writes an unsigned DUIS request from the SRP's own User ID,
// `sr sign` signs requests as DUIS requires. Neither opens the registry: an SRP runs them on its own
// machine with its own key.
import { createPublicKey } from 'node:crypto';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { readOrganisationCertificate, type OrganisationCertificateInfo } from '../../ca/organisation-certificate.js';
import { InputError } from '../../domain/errors.js';
import { formatEuiDashed, parseEui64, type Eui64 } from '../../domain/eui.js';
import { parseTime } from '../../domain/time.js';
import { activateEmergencyCreditRequest, creditPaymentModeRequest, formatRequestId, signedPreCommandRequest } from '../../gate/duis-compose.js';
import { parseRequestId, SR_NS } from '../../gate/duis.js';
import { parseGeneralSigning } from '../../gate/gbcs.js';
import { childElements, parseXml } from '../../gate/xml/parse.js';
import { signEnveloped } from '../../gate/xml/dsig.js';
import { homePaths } from '../../registry/home.js';
import { writeOutput } from '../../util/output.js';
import type { CliContext } from '../context.js';
import { examples, painter } from '../format.js';
import { loadSigningKey, readKeyFileBytes } from '../key-file.js';
import type { Wrap } from './index.js';
import { readPayload } from './gbcs.js';

const XML_SIGN_OU = '87';

/** Why a certificate would not do for signing a SoLRContingency request, or undefined if it does. */
export function notXmlSign(cert: OrganisationCertificateInfo): string | undefined {
  if (cert.roleOu === XML_SIGN_OU && cert.keyUsage.length === 1 && cert.keyUsage[0] === 'digitalSignature') return undefined;
  return `the certificate ${cert.serialHex} is not an XML-signing certificate (subject OU ${cert.roleOu}, key usage ${cert.keyUsage.join('+') || 'none'}; xml-sign is OU 87 with digitalSignature alone): the gate verifies SoLRContingency requests against xml-sign certificates only`;
}

/** The RequestID originator of a DUIS request (signed or not), or undefined if it has none to read. */
export function requestOriginator(xml: string): Eui64 | undefined {
  try {
    // A local file the operator signs: DCC's templates carry a comment in their placeholder signature.
    const doc = parseXml(xml, { allowComments: true });
    const header = childElements(doc.root).find((e) => e.namespaceURI === SR_NS && e.localName === 'Header');
    const id = header && childElements(header).find((e) => e.namespaceURI === SR_NS && e.localName === 'RequestID');
    return id ? parseRequestId(id).originator : undefined;
  } catch {
    return undefined;
  }
}

/** A counter that grows with time (microseconds since 1970), so later requests count higher. */
function timeCounter(): bigint {
  return BigInt(Math.floor((performance.timeOrigin + performance.now()) * 1000));
}

function parseCounter(text: string, flag: string): bigint {
  if (!/^\d{1,20}$/.test(text.trim())) throw new InputError(`${flag}: '${text}' is not a counter (a whole number 0 ... 18446744073709551615)`);
  const n = BigInt(text.trim());
  if (n > 0xffffffffffffffffn) throw new InputError(`${flag}: ${text} is above the DUIS counter's range (uint64)`);
  return n;
}

const SERVICES = ['1.6', '2.5'] as const;

interface NewOptions {
  service?: string; target?: string; credit?: boolean; executeAt?: string; counter?: string; cert?: string; from?: string;
  preCommand?: string; commandVariant?: string; out?: string;
}

interface SignOptions { cert?: string; key?: string; passphraseFile?: string; pinFile?: string; out?: string; outDir?: string }

export function registerSrTools(sr: Command, wrap: Wrap): void {
  sr.command('new')
    .description("write an unsigned DUIS request from the SRP's own User ID (SR 1.6 to Credit, or a Signed Pre-Command for it); sign it with sr sign")
    .option('--service <srv>', `the Service Reference Variant: ${SERVICES.join(' or ')}`, '1.6')
    .option('--target <eui>', 'the Device (ESME or GSME) the request is for')
    .option('--credit', 'SR 1.6: change the payment mode to Credit (the only change SoLRContingency may ask for)')
    .option('--execute-at <time>', 'a future-dated change: DUIS ExecutionDateTime (ISO 8601, now+2h ...)')
    .option('--counter <n>', 'the RequestID counter (default: microseconds since 1970, so each new request counts higher)')
    .option('--cert <pem>', "the SRP's XML-signing certificate: its User ID is the originator")
    .option('--from <eui>', "the originator: the SRP's SoLRContingency User ID (instead of --cert)")
    .option('--pre-command <file>', 'wrap this Signed Pre-Command (hex, base64 or binary, from smki gbcs sign) as a CommandVariant 5 request; target and counter come from its GBCS header')
    .option('--command-variant <cv>', 'with --pre-command: 5 (SM WAN), 6 (local delivery) or 7 (both)', '5')
    .option('--out <file>', 'write the request here instead of stdout')
    .addHelpText('after', examples([
      'smki sr new --service 1.6 --target 00-DB-12-34-56-78-90-A0 --credit --from 90B3D51F300C0001 --counter 1001 --out request.xml',
      'smki sr new --target 00DB1234567890A1 --credit --execute-at now+2h --from 90B3D51F300C0001 --json',
      'smki sr new --target 00DB1234567890A0 --from 90B3D51F300C0001   # exit 4 (say --credit)',
    ]))
    .action(wrap(async (ctx: CliContext, o: NewOptions) => {
      if (o.cert && o.from) throw new InputError('give --cert or --from, not both');
      const originator = o.cert
        ? readOrganisationCertificate(readKeyFileBytes(o.cert, '--cert'), '--cert').eui
        : o.from ? parseEui64(o.from, '--from') : undefined;
      if (!originator) throw new InputError("missing --cert or --from (the originator: the SRP's own SoLRContingency User ID)");
      const service = o.service ?? '1.6';
      if (!(SERVICES as readonly string[]).includes(service)) throw new InputError(`--service: sr new writes ${SERVICES.join(' and ')} requests (the SoLRContingency content rules), not ${service}`);
      const executionDateTime = o.executeAt ? parseTime(o.executeAt, '--execute-at', ctx.clock()).toISOString() : undefined;
      let target = o.target ? parseEui64(o.target, '--target') : undefined;
      let counter = o.counter !== undefined ? parseCounter(o.counter, '--counter') : undefined;
      let xml: string;
      let commandVariant: number;
      if (o.preCommand) {
        if (o.credit) throw new InputError('--credit: a Signed Pre-Command says what it changes itself; leave --credit out with --pre-command');
        const cv = Number(o.commandVariant);
        if (cv !== 5 && cv !== 6 && cv !== 7) throw new InputError(`--command-variant: ${o.commandVariant} is not 5, 6 or 7 (the Signed Pre-Command CommandVariants)`);
        const payload = readPayload(o.preCommand, '--pre-command');
        const msg = parseGeneralSigning(payload);
        if (msg.signatureForm !== 'present') throw new InputError('--pre-command: the Pre-Command is not signed yet (the failed Supplier signs it: smki gbcs sign --key SUPPLIER_DS_KEY PRECOMMAND.hex)');
        if (target && target !== msg.recipient) throw new InputError(`--target: ${target} is not the Signed Pre-Command's recipient ${msg.recipient}`);
        if (counter !== undefined && counter !== msg.originatorCounter) throw new InputError(`--counter: ${counter} is not the Signed Pre-Command's counter ${msg.originatorCounter}`);
        target = msg.recipient;
        counter = msg.originatorCounter;
        commandVariant = cv;
        xml = signedPreCommandRequest({
          requestId: formatRequestId(originator, target, counter), commandVariant: cv, gbcsPayload: payload,
          serviceReference: service, serviceReferenceVariant: service, ...(executionDateTime ? { executionDateTime } : {}),
        });
      } else {
        if (!target) throw new InputError('missing --target (the Device)');
        counter ??= timeCounter();
        commandVariant = 4;
        const requestId = formatRequestId(originator, target, counter);
        if (service === '1.6') {
          if (!o.credit) throw new InputError('missing --credit: SR 1.6 for SoLRContingency changes the payment mode to Credit only (say --credit)');
          xml = creditPaymentModeRequest({ requestId, ...(executionDateTime ? { executionDateTime } : {}) });
        } else {
          if (o.credit || executionDateTime) throw new InputError('--credit and --execute-at are for SR 1.6');
          xml = activateEmergencyCreditRequest({ requestId });
        }
      }
      const requestId = formatRequestId(originator, target, counter);
      if (o.out) writeOutput(o.out, xml, homePaths(ctx.home));
      const json = {
        requestId, userId: originator, deviceId: target, counter: counter.toString(), commandVariant, serviceReferenceVariant: service,
        executionDateTime: executionDateTime ?? null, out: o.out ?? null, ...(o.out ? {} : { xml }),
      };
      if (ctx.json) ctx.emit('', json);
      else if (o.out) ctx.emit(`wrote ${requestId} CV${commandVariant} SRV ${service} (unsigned) -> ${o.out}; sign it with smki sr sign ${o.out} --cert CERT --key KEY`, null);
      else ctx.io.stdout.write(xml);
    }));

  sr.command('sign <files...>')
    .description('sign DUIS requests as DUIS requires (enveloped XMLDSig, ecdsa-sha256, X509IssuerSerial); warns when a request is not from the certificate\'s User ID or the certificate is not xml-sign')
    .option('--cert <pem>', 'the XML-signing certificate')
    .option('--key <file|uri>', 'its private key: PKCS#8 or SEC1, PEM or DER (encrypted needs --passphrase-file), or a pkcs11: URI of a token key')
    .option('--passphrase-file <file>', 'passphrase for an encrypted key')
    .option('--pin-file <file>', 'token PIN for a pkcs11: --key (or SMKI_PKCS11_PIN_FILE, or a prompt)')
    .option('--out <file>', 'one request: write the signed request here instead of stdout')
    .option('--out-dir <dir>', 'several requests: write each signed request under its own name into this folder')
    .addHelpText('after', examples([
      'smki sr sign fixtures/public/duis/ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML --cert fixtures/public/smki-certs/xml-sign-90B3D51F30010000-ds.pem --key fixtures/public/smki-certs/xml-sign-90B3D51F30010000-ds.key --out request.signed.xml',
      'mkdir -p signed',
      'smki sr sign fixtures/public/duis/ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML fixtures/public/duis/GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML --cert fixtures/public/smki-certs/xml-sign-90B3D51F30010000-ds.pem --key fixtures/public/smki-certs/xml-sign-90B3D51F30010000-ds.key --out-dir signed --json',
    ]))
    .action(wrap(async (ctx: CliContext, files: string[], o: SignOptions) => {
      if (!o.cert) throw new InputError('missing --cert');
      if (!o.key) throw new InputError('missing --key');
      if (o.out && o.outDir) throw new InputError('give --out (one request) or --out-dir (several), not both');
      if (files.length > 1 && !o.outDir) throw new InputError(`${files.length} requests: give --out-dir DIR (each is written there under its own name)`);
      const cert = readOrganisationCertificate(readKeyFileBytes(o.cert, '--cert'), '--cert');
      const key = await loadSigningKey(ctx, o.key, o);
      const pub = 'spkiDer' in key ? key.spkiDer : createPublicKey(key).export({ format: 'der', type: 'spki' });
      if (!pub.equals(cert.spkiDer)) throw new InputError('--key: the key does not belong to --cert');
      const paint = painter(ctx.io.stderr);
      const warn = (text: string) => ctx.note(`${paint('yellow', 'smki: warning:')} ${text}`);
      const certProblem = notXmlSign(cert);
      if (certProblem) warn(certProblem);
      // Every request is read and signed before any is written: a bad file among many writes nothing.
      const signed = files.map((file) => {
        const xml = readKeyFileBytes(file, 'FILE').toString('utf8');
        const originator = requestOriginator(xml);
        const warnings = [
          ...(certProblem ? [certProblem] : []),
          ...(originator === undefined
            ? [`${file}: no RequestID to read; the gate needs the originator to be the certificate's User ID ${formatEuiDashed(cert.eui)}`]
            : originator !== cert.eui
              ? [`${file}: the request's originator ${formatEuiDashed(originator)} is not the certificate's User ID ${formatEuiDashed(cert.eui)}: the gate will refuse it`]
              : []),
        ];
        for (const w of warnings.slice(certProblem ? 1 : 0)) warn(w);
        const out = o.outDir ? join(o.outDir, basename(file)) : o.out;
        return { file, out, warnings, text: signEnveloped(xml, { privateKey: key, issuerName: cert.issuerText, serialDecimal: cert.serialDecimal }) };
      });
      for (const s of signed) if (s.out) writeOutput(s.out, s.text, homePaths(ctx.home));
      if (ctx.json) {
        ctx.emit('', {
          items: signed.map((s) => ({ file: s.file, out: s.out ?? null, certificate: cert.serialHex, userId: cert.eui, warnings: s.warnings, ...(s.out ? {} : { signed: s.text }) })),
          total: signed.length,
        });
      } else {
        for (const s of signed) {
          if (s.out) ctx.emit(`signed ${s.file} with ${cert.serialHex} -> ${s.out}`, null);
          else ctx.io.stdout.write(s.text.endsWith('\n') ? s.text : `${s.text}\n`);
        }
      }
    }));
}
