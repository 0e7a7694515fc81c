// `npm run bench`: the three benchmarks, each with its figure and its yardstick from the same run.
// Sizes can be lowered for a quick look: BENCH_CERTS, BENCH_KEY_CERTS, BENCH_DEVICES, BENCH_REQUESTS.
import 'reflect-metadata';
import { benchDeviceImport } from './device-import.js';
import { benchGate } from './gate.js';
import { benchIntegrity } from './integrity.js';
import { benchIssuance } from './issuance.js';
import { benchKeyCustody } from './key-custody.js';

const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);

const issuance = await benchIssuance(num('BENCH_CERTS', 5000));
console.log(`issuance      ${issuance.certificates} certificates in batches of 100 in ${issuance.seconds.toFixed(2)} s: ${issuance.perSecond.toFixed(0)} certificates/s;` +
  ` one at a time (an fsynced commit each): ${issuance.single.perSecond.toFixed(0)}/s` +
  ` (full pipeline; openssl speed ecdsap256 sign: ${issuance.opensslSign?.toFixed(0) ?? 'n/a'}/s)`);

// Key custody: the Issuing OCA key as a file and in a SoftHSM2 token, same CSRs count, same run.
const keys = await benchKeyCustody(num('BENCH_KEY_CERTS', 1000));
console.log(`key custody   ${keys.certificates} certificates each, batches of 100: file key ${keys.file.toFixed(0)}/s, ` +
  (keys.softhsm !== undefined ? `SoftHSM2 token key ${keys.softhsm.toFixed(0)}/s` : `SoftHSM2 skipped (${keys.skipped})`));

const devices = await benchDeviceImport(num('BENCH_DEVICES', 1_000_000));
console.log(`device import ${devices.rows} rows in ${devices.seconds.toFixed(2)} s: ${devices.rowsPerSecond.toFixed(0)} rows/s, peak RSS ${devices.peakRssMb} MB`);

const gate = await benchGate(num('BENCH_REQUESTS', 20_000));
console.log(`gate          ${gate.requests} signed SR 1.6 requests (half CV 4, half Signed Pre-Commands) in ${gate.seconds.toFixed(2)} s: ` +
  `${gate.perSecond.toFixed(0)} requests/s, ${gate.accepted} accepted, peak RSS ${gate.peakRssMb} MB` +
  ` (openssl speed ecdsap256 verify: ${gate.opensslVerify?.toFixed(0) ?? 'n/a'}/s, each request needs 2; xmlsec1: ${gate.xmlsec1})`);

// Integrity checks (row MACs sealed and checked on read) on, then off by the benchmark-only switch.
const integrity = await benchIntegrity(num('BENCH_INTEGRITY_REQUESTS', 5000), num('BENCH_INTEGRITY_CERTS', 2000));
const drop = (x: { on: number; off: number }) => `${(100 * (1 - x.on / x.off)).toFixed(1)}%`;
console.log(`integrity     gate ${integrity.gate.on.toFixed(0)}/s with row checks, ${integrity.gate.off.toFixed(0)}/s without (cost ${drop(integrity.gate)}); ` +
  `issuance ${integrity.issuance.on.toFixed(0)}/s with, ${integrity.issuance.off.toFixed(0)}/s without (cost ${drop(integrity.issuance)})`);
