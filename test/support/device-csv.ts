// Large device CSVs for the interruption and scale tests: unique EUIs in no particular order.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

const TYPES = ['ESME', 'GSME', 'CHF', 'GPF', 'PPMID', 'IHD'];

/** Writes a `device import` CSV of `rows` Devices spread over `suppliers`; returns its size in bytes. */
export async function writeDeviceCsv(path: string, rows: number, suppliers: readonly string[]): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  let buf = 'device_eui,device_type,smets,supplier_eui\n';
  for (let i = 0; i < rows; i++) {
    // A bijection of i onto 32 bits: unique EUIs in a scattered order.
    const hex = (Math.imul(i, 0x9e3779b1) >>> 0).toString(16).toUpperCase().padStart(8, '0');
    buf += `00DB1234${hex},${TYPES[i % TYPES.length]},${i % 5 === 0 ? 1 : 2},${suppliers[i % suppliers.length]}\n`;
    if (buf.length > 1 << 20) {
      bytes += buf.length;
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  bytes += buf.length;
  out.write(buf);
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return bytes;
}
