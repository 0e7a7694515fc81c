import { parseEui64 } from '../../domain/eui.js';
import { parseTime } from '../../domain/time.js';
import { holdsSupplierRole } from '../../domain/roles.js';
import { approveEvent, decideWindow, endEvent, eventState, recordEvent, requireEvent, revokeSupplier } from '../../ra/solr.js';
import { formatReason, type Reason } from '../../domain/reasons.js';
import { listSolrEvents, type SolrEventRecord } from '../../registry/solr.js';
import { listUserIds } from '../../registry/parties.js';
import type { CliContext } from '../context.js';
import { examples, table } from '../format.js';
import { unlockCa } from '../passphrase.js';
import { choiceOrPrompt, confirmStep, valueOrPrompt } from '../prompt.js';
import type { Register } from './index.js';
import type { Registry } from '../../registry/registry.js';

export function eventJson(e: SolrEventRecord, at: Date) {
  return { ...e, state: eventState(e, at), active: eventState(e, at) === 'active' };
}

async function pickEvent(ctx: CliContext, reg: Registry, id: string | undefined, filter: (e: SolrEventRecord) => boolean, message: string): Promise<string> {
  return choiceOrPrompt(ctx, id, 'ID', message,
    listSolrEvents(reg).filter(filter).map((e) => ({ value: e.id, name: `${e.id}  ${e.failedSupplier} -> SRP ${e.srpUserId}  ${e.instructionRef} (${eventState(e, ctx.clock())})` })),
    (t) => t.trim());
}

export const registerSolr: Register = (program, wrap) => {
  const solr = program.command('solr').description("SoLR events: the Authority's instruction, dual-control approval, end, Supplier revocation")
    .addHelpText('after', examples(['smki solr list', 'smki solr record --help']));
  solr
    .command('record')
    .description("record Ofgem's instruction for a Supplier failure (needs approval by a second operator)")
    .option('--failed-supplier <eui>', "the failed Supplier's User ID")
    .option('--srp <eui>', "the SRP's SoLRContingency User ID (registered as acting for that Supplier)")
    .option('--instruction <ref>', "Ofgem's instruction reference")
    .option('--from <time>', 'start (ISO 8601 with zone, a date, or now)')
    .option('--until <time>', 'end (bounded by ca-config solr.json maxEventDays)')
    .addHelpText('after', examples([
      'smki --as ra1.key solr record --failed-supplier 90B3D51F30010000 --srp 90B3D51F300C0001 --instruction OFGEM-LRSD-2026-017 --from now --until now+20d',
      'smki --as ra1.key solr record --failed-supplier 90B3D51F30010000 --srp 90B3D51F300C0001 --instruction OFGEM-LRSD-2026-018 --from now+7d --until now+17d --json',
    ]))
    .action(wrap(async (ctx: CliContext, o: { failedSupplier?: string; srp?: string; instruction?: string; from?: string; until?: string }) => {
      const reg = ctx.open();
      const now = ctx.clock();
      const failedSupplier = await choiceOrPrompt(ctx, o.failedSupplier, '--failed-supplier', 'Failed Supplier',
        listUserIds(reg).filter((u) => holdsSupplierRole(u.roles)).map((u) => ({ value: u.eui, name: `${u.eui}  ${u.roles.join(' ')}  ${u.partyName}` })),
        (t) => parseEui64(t, '--failed-supplier'));
      const srp = await choiceOrPrompt(ctx, o.srp, '--srp', "SRP's SoLRContingency User ID",
        listUserIds(reg).filter((u) => u.role === 'SC' && u.actingFor === failedSupplier).map((u) => ({ value: u.eui, name: `${u.eui}  ${u.partyName}` })),
        (t) => parseEui64(t, '--srp'));
      const instruction = await valueOrPrompt(ctx, o.instruction, '--instruction', "Ofgem's instruction reference", (t) => t.trim());
      // A prompted start or end that recording would refuse (the window's bounds in ca-config solr.json) is asked again.
      const bounds = ctx.catalogue().solr;
      const windowProblem = (reasons: Reason[]) => (reasons.length ? reasons.map(formatReason).join('; ') : undefined);
      const from = await valueOrPrompt(ctx, o.from, '--from', 'Start (ISO 8601 with zone, a date, now, now+2d)', (t) => parseTime(t, '--from', now),
        { check: (f) => windowProblem(decideWindow({ from: f }, bounds, now)) });
      const until = await valueOrPrompt(ctx, o.until, '--until', `End (ISO 8601, or now+Nd; at most ${bounds.maxEventDays} days after the start)`, (t) => parseTime(t, '--until', now),
        { check: (u) => (u.getTime() > from.getTime() ? windowProblem(decideWindow({ from, until: u }, bounds, now)) : '--until: must be after --from') });
      const operator = await ctx.operatorKey();
      const e = recordEvent(reg, ctx.catalogue(), { failedSupplier, srp, instructionRef: instruction, from, until, operator });
      ctx.emit(`${e.id}: recorded by ${e.recordedBy}; an operator with another key must approve it ('smki --as KEYFILE solr approve ${e.id}')`, eventJson(e, now));
    }));

  solr
    .command('approve [id]')
    .description('approve a recorded SoLR event (dual control: not by the operator who recorded it)')
    .option('--yes', 'do not ask for confirmation on a terminal')
    .addHelpText('after', examples(['SMKI_AS_PASSPHRASE_FILE=ca-pass.txt smki --as ra2.key solr approve SOLR-1', 'smki --as ra1.key solr approve SOLR-2   # exit 3 SOLR_SELF_APPROVAL (ra1 recorded SOLR-2)']))
    .action(wrap(async (ctx: CliContext, id: string | undefined, o: { yes?: boolean }) => {
      const reg = ctx.open();
      const eventId = await pickEvent(ctx, reg, id, (e) => e.status === 'recorded', 'Event to approve');
      const e0 = requireEvent(reg, eventId);
      await confirmStep(ctx, o.yes, `Approve ${e0.id} (${e0.instructionRef}): SoLRContingency requests for ${e0.failedSupplier}'s Devices become possible`);
      const e = approveEvent(reg, eventId, await ctx.operatorKey());
      ctx.emit(`${e.id}: approved by ${e.approvedBy} (${eventState(e, ctx.clock())})`, eventJson(e, ctx.clock()));
    }));

  solr
    .command('end [id]')
    .description('end a SoLR event now (requests are refused from then on)')
    .option('--handover-to <eui>', "the Supplier User ID (the SoLR) that the failed Supplier's alerts go to after the event")
    .option('--yes', 'do not ask for confirmation on a terminal')
    .addHelpText('after', examples(['smki --as ra1.key solr end SOLR-2', 'smki --as ra1.key solr end SOLR-2 --handover-to 90B3D51F30030000 --yes   # exit 3 SOLR_EVENT_STATE (SOLR-2 has ended; name the SoLR when ending)']))
    .action(wrap(async (ctx: CliContext, id: string | undefined, o: { handoverTo?: string; yes?: boolean }) => {
      const handoverTo = o.handoverTo === undefined ? undefined : parseEui64(o.handoverTo, '--handover-to');
      const reg = ctx.open();
      const eventId = await pickEvent(ctx, reg, id, (e) => e.status !== 'ended', 'Event to end');
      await confirmStep(ctx, o.yes, `End ${eventId} now? This cannot be undone`);
      const e = endEvent(reg, eventId, await ctx.operatorKey(), handoverTo);
      ctx.emit(`${e.id}: ended at ${e.endedAt}${e.handoverTo ? `; alerts for ${e.failedSupplier} now go to ${e.handoverTo}` : ''}`, eventJson(e, ctx.clock()));
    }));

  solr
    .command('revoke-supplier [id]')
    .description("revoke every certificate of the event's failed Supplier (cessationOfOperation) and regenerate the CRL")
    .option('--passphrase-file <file>', 'CA key passphrase file (the CRL is signed)')
    .option('--yes', 'do not ask for confirmation on a terminal')
    .addHelpText('after', examples(['smki --as ra1.key solr revoke-supplier SOLR-1 --passphrase-file ca-pass.txt --json']))
    .action(wrap(async (ctx: CliContext, id: string | undefined, o: { passphraseFile?: string; yes?: boolean }) => {
      const reg = ctx.open();
      const eventId = await pickEvent(ctx, reg, id, (e) => e.status === 'approved' && !e.suppliersRevokedAt, 'Event whose Supplier to revoke');
      const e0 = requireEvent(reg, eventId);
      await confirmStep(ctx, o.yes, `Revoke every certificate of ${e0.failedSupplier}'s Party under ${e0.id}? This cannot be undone`);
      const ca = await unlockCa(ctx, o.passphraseFile);
      const r = revokeSupplier(reg, ca, ctx.catalogue(), eventId, await ctx.operatorKey());
      ctx.emit(
        [`${r.event.id}: revoked ${r.revoked.length} certificate(s) of ${r.event.failedSupplier} (cessationOfOperation); CRL ${r.crlNumber} -> ${r.crlFile}`,
          ...r.revoked.map((c) => `  ${c.serial}  ${c.userId}  ${c.profile}  (${c.source})`)],
        { id: r.event.id, event: eventJson(r.event, ctx.clock()), revoked: r.revoked.map((c) => ({ serial: c.serial, userId: c.userId, profile: c.profile, source: c.source })), crlNumber: r.crlNumber, crlFile: r.crlFile },
      );
    }));

  solr
    .command('list')
    .description('list SoLR events')
    .addHelpText('after', examples(['smki solr list', 'smki solr list --json']))
    .action(wrap((ctx: CliContext) => {
      const now = ctx.clock();
      const rows = listSolrEvents(ctx.open());
      ctx.emit(
        table(['ID', 'Failed Supplier', 'SRP', 'Instruction', 'From', 'Until', 'State', 'Revoked'],
          rows.map((e) => [e.id, e.failedSupplier, e.srpUserId, e.instructionRef, e.startsAt, e.endsAt, eventState(e, now), e.suppliersRevokedAt ? 'yes' : ''])),
        rows.map((e) => eventJson(e, now)),
      );
    }));

  solr
    .command('show [id]')
    .description('show one SoLR event')
    .addHelpText('after', examples(['smki solr show SOLR-1 --json']))
    .action(wrap(async (ctx: CliContext, id: string | undefined) => {
      const reg = ctx.open();
      const e = requireEvent(reg, await pickEvent(ctx, reg, id, () => true, 'Event'));
      const now = ctx.clock();
      ctx.emit(
        [`${e.id}  ${eventState(e, now)}`, `failed Supplier  ${e.failedSupplier}`, `SRP              ${e.srpUserId}`, `instruction      ${e.instructionRef}`,
          `window           ${e.startsAt} .. ${e.endsAt}`, `recorded         ${e.recordedAt} by ${e.recordedBy}`,
          `approved         ${e.approvedAt ? `${e.approvedAt} by ${e.approvedBy}` : '-'}`, `ended            ${e.endedAt ? `${e.endedAt} by ${e.endedBy}` : '-'}`,
          `Supplier revoked ${e.suppliersRevokedAt ? `${e.suppliersRevokedAt} by ${e.suppliersRevokedBy}` : '-'}`],
        eventJson(e, now),
      );
    }));
};
