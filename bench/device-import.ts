// Benchmark: import a generated 1,000,000-row device CSV into a fresh registry through the same library
// function `smki device import` uses. Target (issue 3): under 20 s. Prints rows/s, seconds, peak RSS.
//   npx tsx bench/device-import.ts [rows]
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadCatalogue } from '../src/config/catalogue.js';
import type { Eui64 } from '../src/domain/eui.js';
import { importDevices } from '../src/ra/devices.js';
import { addUserId } from '../src/ra/parties.js';
import { registerFirstOperator } from '../src/ra/operators.js';
import { generatePersonKey } from '../src/ca/person-keys.js';

/** The bench registry's RA operator (a key in memory). */
const bench = generatePersonKey('bench-operator');
import { homePaths } from '../src/registry/home.js';
import { Registry } from '../src/registry/registry.js';
import { verifyRegistry } from './checks.js';

export interface DeviceImportBench {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
  /** RSS just before the import started (the generated file is written by then). */
  baselineRssMb: number;
  fileMb: number;
  /** The import's one audit record (one transaction). */
  auditSeq: number | null;
  /** Importing the same file again (every row unchanged, nothing written). */
  reimportSeconds: number;
}

const SUPPLIERS = ['90B3D51F30010000', '90B3D51F30020000', '90B3D51F30030000', '90B3D51F30040000'] as Eui64[];
const TYPES = ['ESME', 'GSME', 'CHF', 'GPF', 'PPMID', 'IHD'];

async function writeDeviceCsv(path: string, rows: number): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  const write = async (s: string) => {
    bytes += s.length;
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('device_eui,device_type,smets,supplier_eui\n');
  let buf = '';
  for (let i = 0; i < rows; i++) {
    // A bijection of i onto 32 bits, so EUIs are unique but arrive in no particular order.
    const n = Math.imul(i, 0x9e3779b1) >>> 0;
    const hex = n.toString(16).toUpperCase().padStart(8, '0');
    const eui = i % 2 === 0 ? `00DB1234${hex}` : `00-DB-12-35-${hex.slice(0, 2)}-${hex.slice(2, 4)}-${hex.slice(4, 6)}-${hex.slice(6, 8)}`;
    buf += `${eui},${TYPES[i % TYPES.length]},${(i % 5) === 0 ? 1 : 2},${SUPPLIERS[i % SUPPLIERS.length]}\n`;
    if (buf.length > 1 << 20) {
      await write(buf);
      buf = '';
    }
  }
  await write(buf);
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return bytes;
}

export async function benchDeviceImport(rows = 1_000_000): Promise<DeviceImportBench> {
  const dir = mkdtempSync(join(tmpdir(), 'smki-bench-devices-'));
  try {
    const paths = homePaths(join(dir, 'home'));
    mkdirSync(paths.keysDir, { recursive: true });
    const key = randomBytes(32);
    writeFileSync(paths.auditKey, key.toString('hex'), { mode: 0o600 });
    const reg = Registry.create(paths, key);
    reg.tx(() => registerFirstOperator(reg, 'bench', bench.spkiDer));
    try {
      const catalogue = loadCatalogue();
      SUPPLIERS.forEach((eui, i) =>
        addUserId(reg, catalogue, { partyName: `Supplier ${i + 1}`, role: i % 2 ? 'GS' : 'IS', eui, operator: bench.signer }),
      );
      const file = join(dir, 'devices.csv');
      const fileBytes = await writeDeviceCsv(file, rows);

      (globalThis as { gc?: () => void }).gc?.();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 50);
      const t0 = process.hrtime.bigint();
      const r = await importDevices(reg, file, {
        operator: bench.signer,
        onProgress: () => {
          peak = Math.max(peak, process.memoryUsage().rss);
        },
      });
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      if (r.status !== 'imported' || r.imported !== rows) {
        throw new Error(`benchmark import did not import every row: ${JSON.stringify({ ...r, refused: r.refused.slice(0, 3) })}`);
      }
      const t1 = process.hrtime.bigint();
      const again = await importDevices(reg, file, { operator: bench.signer });
      const reimportSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
      if (again.status !== 'unchanged' || again.unchanged !== rows) throw new Error('benchmark re-import changed something');
      verifyRegistry(reg, 'device import');
      return {
        rows,
        seconds: Math.round(seconds * 100) / 100,
        rowsPerSecond: Math.round(rows / seconds),
        peakRssMb: Math.round((peak / 1024 / 1024) * 10) / 10,
        baselineRssMb: Math.round((baseline / 1024 / 1024) * 10) / 10,
        fileMb: Math.round((fileBytes / 1024 / 1024) * 10) / 10,
        auditSeq: r.auditSeq,
        reimportSeconds: Math.round(reimportSeconds * 100) / 100,
      };
    } finally {
      reg.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = process.argv[2] ? Number(process.argv[2]) : 1_000_000;
  benchDeviceImport(rows).then(
    (r) => {
      console.log(
        `device import: ${r.rows.toLocaleString('en-GB')} rows (${r.fileMb} MiB) in ${r.seconds} s = ` +
          `${r.rowsPerSecond.toLocaleString('en-GB')} rows/s, one transaction (audit #${r.auditSeq}), peak RSS ${r.peakRssMb} MiB ` +
          `(${r.baselineRssMb} MiB before the import; ` +
          `process max RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB); ` +
          `re-import (all unchanged) ${r.reimportSeconds} s` +
          `${r.rowsPerSecond < 50_000 ? '  SLOWER THAN THE TARGET (1,000,000 rows in 20 s)' : ''}`,
      );
    },
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
