import { parseEui64 } from '../../domain/eui.js';
import { InputError } from '../../domain/errors.js';
import { DEVICE_CSV_HEADER, importDevices, REFUSED_ROWS_KEPT, type DeviceImportResult } from '../../ra/devices.js';
import { countDevices, findDevice, iterateDevices, countDevicesBySupplier, type DeviceRecord } from '../../registry/devices.js';
import type { CliContext } from '../context.js';
import { examples } from '../format.js';
import { progress } from '../progress.js';
import { readableFile, valueOrPrompt } from '../prompt.js';
import type { Register } from './index.js';

/** Refused rows printed on a terminal; --json lists up to REFUSED_ROWS_KEPT. */
const REFUSED_ROWS_PRINTED = 20;

function positiveInt(text: string, flag: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < 1 || !Number.isSafeInteger(Number(t))) throw new InputError(`${flag}: '${text}' is not a positive whole number`);
  return Number(t);
}

function deviceJson(d: DeviceRecord) {
  return { deviceId: d.eui, deviceType: d.deviceType, smets: d.smets, supplierUserId: d.supplierEui, updatedAt: d.updatedAt };
}

function n(x: number): string {
  return x.toLocaleString('en-GB');
}

function importJson(r: DeviceImportResult) {
  return {
    file: r.file,
    sha256: r.sha256,
    status: r.status,
    rows: r.rows,
    imported: r.imported,
    updated: r.updated,
    unchanged: r.unchanged,
    duplicates: r.duplicates,
    supplierChanged: r.supplierChanged,
    refused: r.refused.map((x) => ({ line: x.line, reason: x.reason, kind: x.kind, ...(x.code ? { code: x.code } : {}) })),
    refusedCount: r.refusedCount,
    auditSeq: r.auditSeq,
    exitStatus: r.exitStatus,
  };
}

export const registerDevice: Register = (program, wrap) => {
  const device = program.command('device').description('Devices and their registered Supplier')
    .addHelpText('after', examples(['smki device list', 'smki device import --help']));
  device
    .command('import')
    .description(`load Device -> registered Supplier records from a CSV (${DEVICE_CSV_HEADER.join(',')}); all or nothing per file`)
    .option('--file <file>', 'the device CSV (UTF-8; header device_eui,device_type,smets,supplier_eui)')
    .addHelpText('after', `
The whole file is checked first; if any row is refused nothing is imported (exit 4 for a malformed
row, 3 when every refused row names an unregistered Supplier). A valid file is then applied in one
transaction with one audit record: the whole file or nothing, also when interrupted (Ctrl+C,
kill -9); run it again to complete it. Identical Devices are left alone, so importing the same file
again changes nothing. A Device now given with another Supplier is updated.
${examples([
  'smki --as ra1.key device import --file fixtures/devices/example-devices.csv',
  'smki --as ra1.key device import --file fixtures/devices/example-devices.csv --json   # again: every Device unchanged',
])}`)
    .action(wrap(async (ctx: CliContext, opts: { file?: string; operator?: string }) => {
      const reg = ctx.open();
      const file = await valueOrPrompt(ctx, opts.file, '--file', 'Device CSV file', (t) => t.trim(), { check: readableFile('--file') });
      const bar = progress(ctx.io, 'checking', 'bytes');
      let phase = '';
      let r: DeviceImportResult;
      // Ctrl+C while the file is checked: nothing is written yet, so say so and stop. The handler is
      // removed as the import's one transaction begins: a JavaScript handler runs only between two
      // statements of JavaScript, so inside that synchronous transaction it would run after the commit;
      // there Ctrl+C keeps its default (the process ends, the transaction rolls back).
      const onSigint = () => {
        bar.end();
        ctx.note(`smki: interrupted while checking ${file}: nothing was imported; run the same command again`);
        process.exit(130);
      };
      process.on('SIGINT', onSigint);
      try {
        r = await importDevices(reg, file, {
          operator: await ctx.operatorKey(),
          onProgress: (p) => {
            if (p.phase !== phase) {
              phase = p.phase;
              if (p.phase === 'import') process.off('SIGINT', onSigint);
              if (p.phase === 'validate') bar.phase('checking', 'bytes', p.totalBytes);
              else bar.phase('importing', 'rows', p.totalRows);
            }
            if (p.phase === 'validate') bar.update(p.bytes, p.totalBytes);
            else bar.update(p.rows, p.totalRows);
          },
        });
      } finally {
        process.off('SIGINT', onSigint);
        bar.end();
      }
      if (r.status === 'refused') {
        if (ctx.json) ctx.emit('', importJson(r));
        ctx.note(`smki: refused: ${n(r.refusedCount)} of ${n(r.rows)} row(s) of ${r.file}; nothing was imported`);
        for (const x of r.refused.slice(0, REFUSED_ROWS_PRINTED)) ctx.note(`  line ${x.line}: ${x.code ? `${x.code}: ` : ''}${x.reason}`);
        if (r.refusedCount > REFUSED_ROWS_PRINTED) {
          ctx.note(`  ... and ${n(r.refusedCount - REFUSED_ROWS_PRINTED)} more (--json lists up to ${REFUSED_ROWS_KEPT})`);
        }
        return r.exitStatus;
      }
      const lines = [
        `${r.file}: ${n(r.rows)} row(s), sha256 ${r.sha256}`,
        `  imported    ${n(r.imported)} (new)`,
        `  updated     ${n(r.updated)}${r.supplierChanged ? ` (${n(r.supplierChanged)} now registered to another Supplier)` : ''}`,
        `  unchanged   ${n(r.unchanged)}`,
        ...(r.duplicates ? [`  duplicates  ${n(r.duplicates)} (rows repeating an earlier row exactly)`] : []),
        `  refused     0`,
        r.status === 'unchanged'
          ? 'nothing changed: every Device is already registered as the file says (no audit record written)'
          : `written in one transaction with one audit record (#${r.auditSeq})`,
      ];
      ctx.emit(lines, importJson(r));
    }));

  device
    .command('show [eui]')
    .description('show a Device and its registered Supplier')
    .addHelpText('after', examples(['smki device show 00-DB-12-34-56-78-90-A0', 'smki device show 00DB1234567890A0 --json']))
    .action(wrap(async (ctx: CliContext, eui: string | undefined) => {
      const reg = ctx.open();
      const e = await valueOrPrompt(ctx, eui, 'EUI', 'Device EUI-64', (t) => parseEui64(t, 'EUI'));
      const d = findDevice(reg, e);
      if (!d) throw new InputError(`no Device ${e} is registered (see 'smki device import')`);
      ctx.emit(
        [`Device ${d.eui}`, `  type      ${d.deviceType}`, `  SMETS     ${d.smets}`, `  Supplier  ${d.supplierEui}`, `  updated   ${d.updatedAt}`],
        deviceJson(d),
      );
    }));

  device
    .command('list')
    .description('list registered Devices in EUI order')
    .option('--supplier <eui>', "only this Supplier User ID's Devices")
    .option('--limit <n>', 'at most N Devices', '100')
    .addHelpText('after', examples(['smki device list --supplier 90B3D51F30010000', 'smki device list --limit 10 --json']))
    .action(wrap((ctx: CliContext, opts: { supplier?: string; limit: string }) => {
      const reg = ctx.open();
      const supplier = opts.supplier === undefined ? undefined : parseEui64(opts.supplier, '--supplier');
      const limit = positiveInt(opts.limit, '--limit');
      const total = supplier ? countDevicesBySupplier(reg, supplier) : countDevices(reg);
      ctx.emitRows(iterateDevices(reg, { supplier, limit }), {
        headers: ['Device', 'Type', 'SMETS', 'Supplier', 'Updated'],
        cells: (d) => [d.eui, d.deviceType, String(d.smets), d.supplierEui, d.updatedAt],
        json: deviceJson,
        footer: (shown) => (total > shown ? [`(${n(shown)} of ${n(total)}; --limit for more)`] : []),
      });
    }));
};
