import { parseEui64 } from '../../domain/eui.js';
import { ExitStatus, InputError } from '../../domain/errors.js';
import { ADT_CSV_HEADER, AdtFileError, findAdt, listAdts, submitAdt, type AdtRecord } from '../../ra/adt.js';
import { requireUserId } from '../../ra/parties.js';
import { listOfficers } from '../../registry/officers.js';
import type { CliContext } from '../context.js';
import { examples, table } from '../format.js';
import { choiceOrPrompt, readableFile, valueOrPrompt } from '../prompt.js';
import type { Register } from './index.js';

function adtJson(a: AdtRecord) {
  return {
    id: a.id,
    party: a.partyName,
    supplier: a.supplierEui,
    officer: a.officerId,
    status: a.status,
    supersededBy: a.supersededBy,
    submittedAt: a.submittedAt,
    file: a.fileName,
    sha256: a.sha256,
    thresholds: a.thresholds,
  };
}

function thresholdsText(a: AdtRecord): string {
  return a.thresholds.map((t) => `${t.serviceReferenceVariant} ${t.warning}/${t.quarantine}`).join(', ');
}

export const registerAdt: Register = (program, wrap) => {
  const adt = program.command('adt').description('Anomaly Detection Threshold files of SoLRContingency Parties')
    .addHelpText('after', examples(['smki adt list', 'smki adt submit --help']));
  adt
    .command('submit')
    .description("record an ADT file from an active ARO of a SoLRContingency Party; it supersedes the Party's active file for that Supplier")
    .option('--party <eui>', "the Party's SoLRContingency User ID")
    .option('--officer-key <keyfile>', "the submitting ARO's key (an active ARO of that Party): it signs the submission and the file's SHA-256 (passphrase from SMKI_OFFICER_PASSPHRASE_FILE or a prompt)")
    .option('--officer <id>', "the submitting ARO's ID, if given: it must be the officer whose key signs")
    .option('--file <file>', `the ADT CSV (header ${ADT_CSV_HEADER.join(',')})`)
    .addHelpText('after', `
One row per Service Reference Variant, every row naming the same Supplier; thresholds are counts per
rolling window (ca-config solr.json adtWindowHours), 0 < warning <= quarantine.
${examples([
  'smki adt submit --party 90B3D51F300C0001 --officer-key ari.key --file fixtures/adt/example-adt.csv',
  'smki adt submit --party 90B3D51F300C0001 --officer-key ari.key --officer OFC-2 --file fixtures/adt/example-adt.csv --json   # the same thresholds again: nothing changes',
])}`)
    .action(wrap(async (ctx: CliContext, opts: { party?: string; officer?: string; officerKey?: string; file?: string }) => {
      const reg = ctx.open();
      const partyEui = await valueOrPrompt(ctx, opts.party, '--party', "Party's SoLRContingency User ID (EUI-64)", (t) => parseEui64(t, '--party'));
      const party = requireUserId(reg, partyEui);
      void party;
      const file = await valueOrPrompt(ctx, opts.file, '--file', 'ADT CSV file', (t) => t.trim(), { check: readableFile('--file') });
      let r;
      try {
        const officer = await ctx.officerKey(opts.officerKey, "the submitting ARO's");
        r = await submitAdt(reg, ctx.catalogue(), { party: partyEui, officer, file, ...(opts.officer ? { officerId: opts.officer } : {}) });
      } catch (e) {
        if (!(e instanceof AdtFileError)) throw e;
        if (ctx.json) ctx.emit('', { error: e.message, exitStatus: ExitStatus.malformed, file: e.file, problems: e.problems });
        ctx.note(`smki: ${e.file}: ${e.problems.length} problem(s); nothing was recorded`);
        for (const p of e.problems) ctx.note(`  ${e.file} line ${p.line}: ${p.message}`);
        return ExitStatus.malformed;
      }
      for (const w of r.warnings) ctx.note(`note: ${w}`);
      const a = r.adt;
      ctx.emit(
        r.created
          ? `${a.id}: active ADT file of ${a.partyName} for Supplier ${a.supplierEui} (${thresholdsText(a)} per ${r.windowHours} h)${r.supersedes ? `; supersedes ${r.supersedes}` : ''}`
          : `${a.id}: already the active ADT file of ${a.partyName} for Supplier ${a.supplierEui} with these thresholds; nothing changed`,
        { ...adtJson(a), created: r.created, supersedes: r.supersedes, windowHours: r.windowHours, warnings: r.warnings },
      );
    }));

  adt
    .command('list')
    .description('list ADT files (active ones unless --all)')
    .option('--party <eui>', 'a User ID of the Party')
    .option('--supplier <eui>', 'the Supplier User ID the files cover')
    .option('--all', 'include superseded files')
    .addHelpText('after', examples(['smki adt list', 'smki adt list --party 90B3D51F300C0001 --all --json']))
    .action(wrap((ctx: CliContext, opts: { party?: string; supplier?: string; all?: boolean }) => {
      const reg = ctx.open();
      const partyId = opts.party === undefined ? undefined : requireUserId(reg, parseEui64(opts.party, '--party')).partyId;
      const supplier = opts.supplier === undefined ? undefined : parseEui64(opts.supplier, '--supplier');
      const rows = listAdts(reg, { partyId, supplier, all: opts.all === true });
      ctx.emit(
        table(['ID', 'Party', 'Supplier', 'Status', 'Submitted', 'Officer', 'Thresholds (warning/quarantine)'],
          rows.map((a) => [a.id, a.partyName, a.supplierEui, a.status === 'superseded' ? `superseded by ${a.supersededBy}` : a.status, a.submittedAt, a.officerId, thresholdsText(a)])),
        rows.map(adtJson),
      );
    }));

  adt
    .command('show [id]')
    .description('show an ADT file and its thresholds')
    .addHelpText('after', examples(['smki adt show ADT-1', 'smki adt show ADT-1 --json']))
    .action(wrap(async (ctx: CliContext, id: string | undefined) => {
      const reg = ctx.open();
      const adtId = await choiceOrPrompt(ctx, id, 'ID', 'ADT file',
        listAdts(reg, { all: true }).map((a) => ({ value: a.id, name: `${a.id}  ${a.partyName} for ${a.supplierEui} (${a.status})` })), (t) => t.trim());
      const a = findAdt(reg, adtId);
      if (!a) throw new InputError(`no ADT file ${adtId} (see 'smki adt list --all')`);
      const windowHours = ctx.catalogue().solr.adtWindowHours;
      ctx.emit(
        [
          `${a.id}  ${a.status}${a.supersededBy ? ` (superseded by ${a.supersededBy})` : ''}`,
          `  Party      ${a.partyName}`,
          `  Supplier   ${a.supplierEui}`,
          `  officer    ${a.officerId}`,
          `  submitted  ${a.submittedAt}`,
          `  file       ${a.fileName}  sha256 ${a.sha256}`,
          '',
          table(['Service Reference Variant', `Warning (per ${windowHours} h)`, 'Quarantine'],
            a.thresholds.map((t) => [t.serviceReferenceVariant, String(t.warning), String(t.quarantine)])),
        ],
        { ...adtJson(a), windowHours },
      );
    }));
};
