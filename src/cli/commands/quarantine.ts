// smki sr quarantine list | release ID | delete ID: the requests the gate quarantined over an ADT
// quarantine threshold, each with its AD1-style record; an active ARO of the SRP's Party acts on them.
import type { Command } from 'commander';
import { InputError } from '../../domain/errors.js';
import { actOnQuarantined, type QuarantineAction } from '../../ra/quarantine.js';
import { listQuarantine, type QuarantineRecord, type QuarantineStatus } from '../../registry/quarantine.js';
import { quarantineJson } from '../../report/event-report.js';
import type { CliContext } from '../context.js';
import { examples, table } from '../format.js';
import type { Wrap } from './index.js';

const STATUSES: readonly QuarantineStatus[] = ['quarantined', 'released', 'deleted'];

function actionLine(q: QuarantineRecord): string {
  return `${q.id}: ${q.requestId} ${q.status} by ARO ${q.actedByOfficer} at ${q.actedAt}${q.status === 'released' ? ' (processed as accepted)' : ''}`;
}

export function registerQuarantine(sr: Command, wrap: Wrap): void {
  const quarantine = sr.command('quarantine').description('requests quarantined over an ADT quarantine threshold (AD1): list, release, delete')
    .addHelpText('after', examples(['smki sr quarantine list', 'smki sr quarantine release --help']));
  quarantine
    .command('list')
    .description('every quarantined request with its AD1 record (what the SRP is told), and what became of it')
    .option('--status <status>', `only these: ${STATUSES.join(', ')}`)
    .option('--event <id>', 'only those of this SoLR event')
    .addHelpText('after', examples(['smki sr quarantine list --status quarantined --json']))
    .action(wrap((ctx: CliContext, o: { status?: string; event?: string }) => {
      if (o.status !== undefined && !(STATUSES as readonly string[]).includes(o.status)) throw new InputError(`--status: '${o.status}' is not one of ${STATUSES.join(', ')}`);
      const rows = listQuarantine(ctx.open(), { status: o.status as QuarantineStatus | undefined, solrEventId: o.event?.trim() });
      ctx.emit(
        table(['ID', 'Alert', 'RequestID', 'SRV', 'Quarantined', 'Status', 'By', 'Detail'],
          rows.map((q) => [q.id, q.alertCode, q.requestId, q.serviceReferenceVariant, q.quarantinedAt, q.status, q.actedByOfficer ?? '', q.detail])),
        rows.map(quarantineJson),
      );
    }));
  const act = (action: QuarantineAction, what: string, example: string) =>
    quarantine
      .command(`${action} <id>`)
      .description(what)
      .option('--officer-key <keyfile>', "the acting ARO's key (an active ARO of the SRP's Party): it signs the action (passphrase from SMKI_OFFICER_PASSPHRASE_FILE or a prompt)")
      .option('--officer <id>', "the acting ARO's ID, if given: it must be the officer whose key signs")
      .addHelpText('after', examples([example]))
      .action(wrap(async (ctx: CliContext, id: string, o: { officer?: string; officerKey?: string }) => {
        const reg = ctx.open();
        const key = await ctx.officerKey(o.officerKey, "the acting ARO's");
        const q = actOnQuarantined(reg, action, id, key, o.officer);
        ctx.emit(actionLine(q), quarantineJson(q));
      }));
  act('release', 'release a quarantined request: it is processed as accepted (replay counter, transform, ADT count) while its SoLR event is active',
    'smki sr quarantine release QUA-1 --officer-key ari.key   # exit 4 (no such quarantined request here)');
  act('delete', 'delete a quarantined request: it is never processed; its record stays',
    'smki sr quarantine delete QUA-1 --officer-key ari.key --officer OFC-2 --json   # exit 4 (no such quarantined request here)');
}
