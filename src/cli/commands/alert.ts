import { createHash } from 'node:crypto';
import { parseEui64 } from '../../domain/eui.js';
import { InputError } from '../../domain/errors.js';
import { releaseHeldAlerts, routeAlert } from '../../alerts/routing.js';
import { listAlerts, type AlertRecord } from '../../registry/alerts.js';
import { parseXml } from '../../gate/xml/parse.js';
import { operatorName, type CliContext } from '../context.js';
import { examples, table } from '../format.js';
import { valueOrPrompt } from '../prompt.js';
import { readInputFile } from './cert.js';
import type { Register } from './index.js';

function alertLine(a: AlertRecord): string {
  return a.destinationKind === 'held'
    ? `${a.id}: alert${a.alertCode ? ` ${a.alertCode}` : ''} for ${a.deviceEui} HELD (${a.reason}); 'smki alert release' once a destination is known`
    : `${a.id}: alert${a.alertCode ? ` ${a.alertCode}` : ''} for ${a.deviceEui} -> ${a.destinationKind === 'srp' ? 'SRP' : 'Supplier'} ${a.destination} (${a.reason}${a.solrEventId ? `, ${a.solrEventId}` : ''})`;
}

export const registerAlert: Register = (program, wrap) => {
  const alert = program.command('alert').description("alert routing: a revoked Supplier's alerts go to the SoLR event's SRP")
    .addHelpText('after', examples(['smki alert list', 'smki alert route --help']));
  alert
    .command('route')
    .description('say where an alert for a Device goes, and record it (held if there is nowhere to send it)')
    .option('--device <eui>', 'the Device the alert is about')
    .option('--code <hex>', 'the alert code, e.g. 8F66')
    .option('--file <alert.xml>', 'the DUIS alert document (checked to be well-formed XML; its SHA-256 is recorded)')
    .option('--operator <name>', 'who or what routes it')
    .addHelpText('after', examples(['smki alert route --device 00-DB-12-34-56-78-90-A0 --code 8F66 --json', 'smki alert route --device 00-DB-00-00-00-00-00-99 --code 8F66   # an unknown Device: held']))
    .action(wrap(async (ctx: CliContext, o: { device?: string; code?: string; file?: string; operator?: string }) => {
      const reg = ctx.open();
      const device = await valueOrPrompt(ctx, o.device, '--device', 'Device (EUI-64)', (t) => parseEui64(t, '--device'));
      let code: string | undefined;
      if (o.code !== undefined) {
        const c = o.code.trim().replace(/^0x/i, '');
        if (!/^[0-9a-fA-F]{1,8}$/.test(c)) throw new InputError(`--code: '${o.code}' is not a hex alert code`);
        code = c.toUpperCase().padStart(4, '0');
      }
      let fileSha256: string | undefined;
      if (o.file) {
        const bytes = readInputFile(o.file, '--file');
        parseXml(bytes);
        fileSha256 = createHash('sha256').update(bytes).digest('hex');
      }
      const a = routeAlert(reg, { device, code, fileSha256, actor: operatorName(o.operator) });
      ctx.emit(alertLine(a), a);
    }));
  alert
    .command('held')
    .description('list alerts held for want of a destination')
    .addHelpText('after', examples(['smki alert held --json']))
    .action(wrap((ctx: CliContext) => {
      const rows = listAlerts(ctx.open(), { status: 'held' });
      ctx.emit(table(['ID', 'Device', 'Code', 'Received', 'Reason'], rows.map((a) => [a.id, a.deviceEui, a.alertCode ?? '', a.receivedAt, a.reason])), rows);
    }));
  alert
    .command('release [ids...]')
    .description('re-route held alerts (all, or the IDs given); those with a destination now are released')
    .option('--operator <name>', 'who releases them')
    .addHelpText('after', examples(['smki alert release', 'smki alert release ALERT-2 --json']))
    .action(wrap((ctx: CliContext, ids: string[], o: { operator?: string }) => {
      const r = releaseHeldAlerts(ctx.open(), operatorName(o.operator), ids.length ? ids : undefined);
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
      ctx.emit(table(['ID', 'Device', 'Code', 'Status', 'To', 'Destination', 'Reason'], rows.map((a) => [a.id, a.deviceEui, a.alertCode ?? '', a.status, a.destinationKind, a.destination ?? '', a.reason])), rows);
    }));
};
