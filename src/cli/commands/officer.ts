import { parseEui64 } from '../../domain/eui.js';
import { InputError } from '../../domain/errors.js';
import { addOfficer, changeOfficerStatus } from '../../ra/officers.js';
import { requireUserId } from '../../ra/parties.js';
import { listOfficers, officerHistory, findOfficer, type OfficerRecord } from '../../registry/officers.js';
import type { CliContext } from '../context.js';
import { examples, table } from '../format.js';
import { readPublicKeyFile } from '../../ca/person-keys.js';
import { choiceOrPrompt, confirmStep, failsWith, valueOrPrompt } from '../prompt.js';
import type { Register } from './index.js';

function officerJson(o: OfficerRecord) {
  return { id: o.id, party: o.partyName, kind: o.kind, name: o.name, status: o.status, nominatedBy: o.nominatedBy, evidence: o.evidence, createdAt: o.createdAt, updatedAt: o.updatedAt };
}

export const registerOfficer: Register = (program, wrap) => {
  const officer = program.command('officer').description('Senior and Authorised Responsible Officers (SRO, ARO)')
    .addHelpText('after', examples(['smki officer list', 'smki officer add --help']));
  officer
    .command('add')
    .description('register an SRO (with evidence) or nominate an ARO (by an active SRO of the same Party)')
    .option('--party <eui>', 'a User ID of the Party the officer acts for')
    .option('--kind <kind>', 'sro or aro')
    .option('--name <name>', "the officer's name")
    .option('--public-key <file>', "the new officer's P-256 public key (PEM, from 'smki key new')")
    .option('--officer-key <keyfile>', "for an ARO: the nominating SRO's key, which signs the nomination (passphrase from SMKI_OFFICER_PASSPHRASE_FILE or a prompt)")
    .option('--nominated-by <id>', "for an ARO: the nominating SRO's ID, if given: it must be the officer whose key signs")
    .option('--evidence <ref>', 'for an SRO: the evidence reference (identity checks, RAPP forms)')
    .addHelpText('after', examples([
      'smki key new --out dana.key --unencrypted --public-out dana.pub',
      'smki --as ra1.key officer add --party 90B3D51F300C0001 --kind sro --name "Dana Director" --evidence RAPP-2026-0042 --public-key dana.pub',
      'smki key new --out ari.key --unencrypted --public-out ari.pub',
      'smki officer add --party 90B3D51F300C0001 --kind aro --name "Ari Officer" --public-key ari.pub --officer-key dana.key --json   # the SRO signs the nomination',
      'smki key new --out eve.key --unencrypted --public-out eve.pub',
      'smki officer add --party 90B3D51F300C0001 --kind aro --name "Eve Temp" --public-key eve.pub --officer-key dana.key --nominated-by OFC-1',
    ]))
    .action(wrap(async (ctx: CliContext, opts: { party?: string; kind?: string; name?: string; nominatedBy?: string; evidence?: string; publicKey?: string; officerKey?: string }) => {
      const reg = ctx.open();
      const partyEui = await valueOrPrompt(ctx, opts.party, '--party', 'Party User ID (EUI-64)', (t) => parseEui64(t, '--party'));
      const party = requireUserId(reg, partyEui);
      const kind = await choiceOrPrompt<'sro' | 'aro'>(ctx, opts.kind, '--kind', 'Officer kind',
        [{ value: 'sro', name: 'SRO  Senior Responsible Officer' }, { value: 'aro', name: 'ARO  Authorised Responsible Officer' }],
        (t) => {
          const k = t.trim().toLowerCase();
          if (k !== 'sro' && k !== 'aro') throw new InputError(`--kind: '${t}' is not sro or aro`);
          return k;
        });
      const name = await valueOrPrompt(ctx, opts.name, '--name', 'Officer name', (t) => t);
      let evidence = opts.evidence;
      if (kind === 'sro' && !evidence) evidence = await valueOrPrompt(ctx, undefined, '--evidence', 'Evidence reference', (t) => t);
      const keyFile = await valueOrPrompt(ctx, opts.publicKey, '--public-key', "The officer's public key file (PEM)", (t) => t.trim(), { check: failsWith((f: string) => readPublicKeyFile(f)) });
      const publicKey = readPublicKeyFile(keyFile);
      // An SRO is registered by an RA operator (--as); an ARO is nominated by an SRO (--officer-key).
      const signer = kind === 'sro' ? { operator: await ctx.operatorKey() } : { nominator: await ctx.officerKey(opts.officerKey, "the nominating SRO's") };
      const o = addOfficer(reg, { party, kind, name, nominatedBy: opts.nominatedBy, evidence, publicKey, ...signer });
      ctx.emit(`${o.id}: ${o.kind.toUpperCase()} ${o.name} for ${o.partyName} (${o.status})`, officerJson(o));
    }));

  const transition = (action: 'activate' | 'suspend' | 'revoke', description: string, irreversible: boolean, exampleLines: string[]) =>
    officer
      .command(`${action} [id]`)
      .description(description)
      .option('--note <text>', 'why (kept in the history)')
      .option('--yes', 'do not ask for confirmation on a terminal')
      .addHelpText('after', examples(exampleLines))
      .action(wrap(async (ctx: CliContext, id: string | undefined, opts: { note?: string; yes?: boolean }) => {
        const reg = ctx.open();
        const officerId = await choiceOrPrompt(ctx, id, 'officer ID', `Officer to ${action}`,
          listOfficers(reg).map((o) => ({ value: o.id, name: `${o.id}  ${o.kind.toUpperCase()} ${o.name} (${o.partyName}, ${o.status})` })), (t) => t.trim());
        if (irreversible) {
          const o = findOfficer(reg, officerId);
          await confirmStep(ctx, opts.yes, `${action} ${officerId}${o ? ` (${o.name})` : ''}? This cannot be undone`);
        }
        const o = changeOfficerStatus(reg, officerId, action, await ctx.operatorKey(), opts.note);
        ctx.emit(`${o.id}: ${o.status}`, officerJson(o));
      }));
  transition('activate', 'activate a nominated (or suspended) officer', false, ['smki --as ra1.key officer activate OFC-2', 'smki --as ra1.key officer activate OFC-3 --note "identity checked"']);
  transition('suspend', 'suspend an officer', false, ['smki --as ra1.key officer suspend OFC-3 --note "on leave"']);
  transition('revoke', 'revoke an officer (final)', true, ['smki --as ra1.key officer revoke OFC-3 --note "left the company" --yes']);

  officer
    .command('list')
    .description('list officers, optionally for one Party')
    .option('--party <eui>', 'a User ID of the Party')
    .option('--history', 'include each officer\'s status history')
    .addHelpText('after', examples(['smki officer list', 'smki officer list --party 90B3D51F300C0001 --json']))
    .action(wrap((ctx: CliContext, opts: { party?: string; history?: boolean }) => {
      const reg = ctx.open();
      let partyId: number | undefined;
      if (opts.party) partyId = requireUserId(reg, parseEui64(opts.party, '--party')).partyId;
      const rows = listOfficers(reg, partyId);
      const histories = new Map(opts.history ? rows.map((o) => [o.id, officerHistory(reg, o.id)]) : []);
      // --history in text too: each officer's changes under the table.
      const historyText = [...histories].flatMap(([id, h]) => ['', `${id} history:`, ...h.map((x) => `  ${x.at}  ${x.status.padEnd(9)} by ${x.by}${x.note ? `  (${x.note})` : ''}`)]);
      ctx.emit(
        [table(['ID', 'Kind', 'Name', 'Party', 'Status', 'Nominated by'], rows.map((o) => [o.id, o.kind.toUpperCase(), o.name, o.partyName, o.status, o.nominatedBy ?? ''])), ...historyText],
        rows.map((o) => ({ ...officerJson(o), ...(opts.history ? { history: histories.get(o.id) } : {}) })),
      );
    }));
};
