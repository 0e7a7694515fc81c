import { parseEui64 } from '../../domain/eui.js';
import { InputError } from '../../domain/errors.js';
import { registerDspCertificate } from '../../alerts/dsp-certificates.js';
import { releaseHeldAlerts, routeAlert, routeAlertFile, UNTRUSTED_REASONS } from '../../alerts/routing.js';
import { ExitStatus } from '../../domain/errors.js';
import { reason, type ReasonCode } from '../../domain/reasons.js';
import { listAlerts, type AlertRecord } from '../../registry/alerts.js';
import type { CliContext } from '../context.js';

/** The audit actor of alert routing (smki itself; routing needs no person's key). */
const ALERT_ROUTER = 'smki alert route';
import { examples, table } from '../format.js';
import { valueOrPrompt } from '../prompt.js';
import { readInputFile } from './cert.js';
import { INPUT_LIMITS } from '../../util/read-input.js';
import type { Register } from './index.js';

const DESTINATION_NAMES = { supplier: 'Supplier', srp: 'SRP', handover: 'handover Supplier', addressee: 'addressee', held: 'held' } as const;

function alertLine(a: AlertRecord): string {
  const what = `${a.id}: alert${a.alertCode ? ` ${a.alertCode}` : ''}${a.deviceEui ? ` for ${a.deviceEui}` : ''}${a.addressee ? ` addressed to ${a.addressee}` : ''}`;
  if (a.destinationKind !== 'held') return `${what} -> ${DESTINATION_NAMES[a.destinationKind]} ${a.destination} (${a.reason}${a.solrEventId ? `, ${a.solrEventId}` : ''})`;
  const untrusted = (UNTRUSTED_REASONS as readonly string[]).includes(a.reason);
  return `${what} HELD (${a.reason}${a.problem ? `: ${a.problem}` : ''}); ${untrusted ? 'kept for an RA operator to examine' : "'smki alert release' once a destination is known"}`;
}

export const registerAlert: Register = (program, wrap) => {
  const alert = program.command('alert').description("alert routing: a revoked Supplier's alerts go to the SoLR event's SRP")
    .addHelpText('after', examples(['smki alert list', 'smki alert route --help']));
  alert
    .command('route')
    .description('say where an alert for a Device goes, and record it (held if there is nowhere to send it)')
    .option('--file <alert.xml>', 'the DUIS alert (DeviceAlertMessage or DCCAlertMessage), signed by the DSP')
    .option('--device <eui>', 'instead of --file: the Device the alert is about (addressed to its registered Supplier)')
    .option('--code <hex>', 'with --device: the alert code, e.g. 8F66')
    .addHelpText('after', examples([
      'smki alert route --file fixtures/public/duis/readfw-version-response.DCC-SIGNED.xml   # exit 3 ALERT_UNREADABLE (a response, not an alert: held)',
      'smki alert route --device 00-DB-12-34-56-78-90-A0 --code 8F66 --json',
      'smki alert route --device 00-DB-00-00-00-00-00-99 --code 8F66   # an unknown Device: held',
    ]))
    .action(wrap(async (ctx: CliContext, o: { device?: string; code?: string; file?: string; operator?: string }) => {
      if (o.file !== undefined && (o.device !== undefined || o.code !== undefined)) throw new InputError('--file: give the alert file, or --device and --code, not both');
      const reg = ctx.open();
      if (o.file !== undefined) {
        const a = routeAlertFile(reg, readInputFile(o.file, '--file', INPUT_LIMITS.duis), ALERT_ROUTER);
        ctx.emit(alertLine(a), a);
        // Held because it could not be read or trusted: recorded, and reported as a refusal.
        if ((UNTRUSTED_REASONS as readonly string[]).includes(a.reason)) {
          if (!ctx.json) ctx.io.stderr.write(`smki: alert held: ${a.reason}: ${reason(a.reason as ReasonCode).message}\n`);
          return ExitStatus.refused;
        }
        return ExitStatus.ok;
      }
      const device = await valueOrPrompt(ctx, o.device, '--device', 'Device (EUI-64)', (t) => parseEui64(t, '--device'));
      let code: string | undefined;
      if (o.code !== undefined) {
        const c = o.code.trim().replace(/^0x/i, '');
        if (!/^[0-9a-fA-F]{1,8}$/.test(c)) throw new InputError(`--code: '${o.code}' is not a hex alert code`);
        code = c.toUpperCase().padStart(4, '0');
      }
      const a = routeAlert(reg, { device, code, actor: ALERT_ROUTER });
      ctx.emit(alertLine(a), a);
      return ExitStatus.ok;
    }));
  alert
    .command('dsp-register')
    .description("register the DSP's XML-signing certificate (OU 89) that DUIS alerts are checked against")
    .requiredOption('--file <cert.pem>', "the DSP xml-sign certificate (PEM or DER); it must chain to a trust anchor ('smki ca trust')")
    .addHelpText('after', examples(['smki --as ra1.key alert dsp-register --file fixtures/public/smki-certs/dsp-xml-sign-90B3D51F30000002-ds.pem   # exit 3 DSP_CERT_UNTRUSTED (until DCC\'s chain is trusted)']))
    .action(wrap(async (ctx: CliContext, o: { file: string }) => {
      const c = registerDspCertificate(ctx.open(), { der: readInputFile(o.file, '--file'), operator: await ctx.operatorKey() });
      ctx.emit(`${c.created ? 'registered' : 'already registered'}: DSP xml-sign certificate ${c.serial} (${c.eui}, issuer ${c.issuer})`,
        { id: c.serial, serial: c.serial, eui: c.eui, issuer: c.issuer, notBefore: c.notBefore, notAfter: c.notAfter, created: c.created });
    }));
  alert
    .command('held')
    .description('list alerts held for want of a destination')
    .addHelpText('after', examples(['smki alert held --json']))
    .action(wrap((ctx: CliContext) => {
      const rows = listAlerts(ctx.open(), { status: 'held' });
      ctx.emit(table(['ID', 'Device', 'Code', 'Received', 'Reason'], rows.map((a) => [a.id, a.deviceEui ?? '', a.alertCode ?? '', a.receivedAt, a.reason])), rows);
    }));
  alert
    .command('release [ids...]')
    .description('re-route held alerts (all, or the IDs given); those with a destination now are released')
    .addHelpText('after', examples(['smki --as ra1.key alert release', 'smki --as ra1.key alert release ALERT-2 --json']))
    .action(wrap(async (ctx: CliContext, ids: string[]) => {
      const r = releaseHeldAlerts(ctx.open(), await ctx.operatorKey(), ids.length ? ids : undefined);
      ctx.emit(
        [`released ${r.released.length}, still held ${r.stillHeld.length}`, ...r.released.map(alertLine)],
        { released: r.released, stillHeld: r.stillHeld },
      );
    }));
  alert
    .command('list')
    .description('list every routed, held and released alert')
    .addHelpText('after', examples(['smki alert list --json']))
    .action(wrap((ctx: CliContext) => {
      const rows = listAlerts(ctx.open());
      ctx.emit(table(['ID', 'Device', 'Code', 'Status', 'To', 'Destination', 'Reason'], rows.map((a) => [a.id, a.deviceEui ?? '', a.alertCode ?? '', a.status, a.destinationKind, a.destination ?? '', a.reason])), rows);
    }));
};
