// Flat costs as the registry grows (issue 15): the cost of one revocation with its CRL, of `cert list
// --json` (time and memory), of `audit verify` and of the gate's requests, against the registry's
// size. Each size is built fast (test/support/bulk.ts: rows with their row MACs, N certificates of
// which half revoked; N audit records appended through the audit log itself) and each measurement runs
// in a process of its own, so its peak memory is its own. Every home ends with the registry's checks.
// Sizes: BENCH_SCALE_SIZES (default 10000,100000,200000,1000000).
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { IssuingAuthority } from '../src/ca/authority.js';
import { writeCrlFile } from '../src/ca/crl-publisher.js';
import { RevocationReason } from '../src/ca/crl.js';
import { initCa } from '../src/ca/init.js';
import type { BenchRow } from './peers.js';
import { FileKeySigner, type Signer } from '../src/ca/signer.js';
import { main } from '../src/cli/main.js';
import { loadCatalogue, type Catalogue } from '../src/config/catalogue.js';
import { parseEui64 } from '../src/domain/eui.js';
import { revokeCertificates } from '../src/ra/revocation.js';
import { addUserId } from '../src/ra/parties.js';
import { Registry } from '../src/registry/registry.js';
import { addBulkCertificates, addBulkDevices } from '../test/support/bulk.js';
import { verifyRegistry } from './checks.js';

const PASS = Buffer.from('bench passphrase');
const SUPPLIER = '90B3D51F30010000';

export interface ScaleHome {
  dir: string;
  home: string;
  certificates: number;
  revoked: number;
  auditRecords: number;
  serials: string[];
}

/** Another Supplier with `n` certificates (half revoked) and `n` Devices, beside whatever the home holds. */
export function growRegistry(reg: Registry, catalogue: Catalogue, home: string, n: number, operator: Signer): void {
  const other = '90B3D51F30050000';
  addUserId(reg, catalogue, { partyName: 'Other Supplier', role: 'IS', eui: parseEui64(other), operator });
  addBulkCertificates(home, { userId: other, count: n, revoked: Math.floor(n / 2), tag: 7 });
  addBulkDevices(home, { supplier: other, count: n });
}

/** The bench home's RA operator (its key file beside the home). */
function operatorOf(dir: string): FileKeySigner {
  return new FileKeySigner(createPrivateKey(readFileSync(join(dir, 'operator.key'), 'utf8')), 'bench-operator');
}

/** A home with `n` certificates of one Supplier (half revoked and on the CRL) and `n` audit records. */
export function buildScaleHome(n: number): Omit<ScaleHome, 'serials'> & { valid: [string, string] } {
  const dir = mkdtempSync(join(tmpdir(), 'smki-bench-scale-'));
  const home = join(dir, 'home');
  const catalogue = loadCatalogue();
  // The RA operator's key, kept beside the home for the measurements' own processes.
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(dir, 'operator.key'), pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
  const admin = operatorOf(dir);
  initCa(home, PASS, 'Scale OCA', catalogue, { name: 'bench', publicKey: admin.spkiDer });
  {
    const reg = Registry.open(home);
    addUserId(reg, catalogue, { partyName: 'Supplier', role: 'IS', eui: parseEui64(SUPPLIER), operator: admin });
    reg.close();
  }
  const serials = addBulkCertificates(home, { userId: SUPPLIER, count: n, revoked: Math.floor(n / 2) });
  const reg = Registry.open(home);
  try {
    // The revocations made before any CRL listed them go on one now (not measured).
    const ca = IssuingAuthority.unlock(reg, PASS, catalogue);
    revokeCertificates(reg, ca, catalogue, [serials[n - 1]!], RevocationReason.superseded, admin);
    // Audit records up to n, through the audit log's own append (chained, MACed), 100,000 a commit.
    let records = reg.head().seq;
    const at = new Date();
    while (records < n) {
      const k = Math.min(100_000, n - records);
      reg.tx(() => {
        for (let i = 0; i < k; i++) reg.audit.append(at, 'bench', 'bench.record', `R-${records + i}`, { i: records + i });
      }, { durable: false });
      records += k;
    }
    reg.tx(() => reg.audit.append(at, 'bench', 'bench.records', 'scale', { records }));
    return { dir, home, certificates: n, revoked: Math.floor(n / 2) + 1, auditRecords: reg.head().seq, valid: [serials[n - 2]!, serials[n - 3]!] };
  } finally {
    reg.close();
  }
}

/** `cert revoke SERIAL` as the command runs it after its prompts: the revocation, the new CRL, its file. */
export function benchRevoke(home: string, serial: string): { seconds: number; crlNumber: number } {
  const operator = operatorOf(join(home, '..'));
  const reg = Registry.open(home);
  try {
    const catalogue = loadCatalogue();
    const ca = IssuingAuthority.unlock(reg, PASS, catalogue);
    const t0 = process.hrtime.bigint();
    const r = revokeCertificates(reg, ca, catalogue, [serial], RevocationReason.keyCompromise, operator);
    if (!r.crlFile) throw new Error('the CRL file was not written');
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, crlNumber: r.crlNumber };
  } finally {
    reg.close();
  }
}

/** One smki command in this process with stdout counted, not kept; the seconds it took. */
async function timedCommand(args: string[]): Promise<{ seconds: number; bytes: number; code: number }> {
  let bytes = 0;
  const stdout = new Writable({ write(c: Buffer, _e, cb) { bytes += c.length; cb(); } });
  const stderr = new Writable({ write(c: Buffer, _e, cb) { process.stderr.write(c); cb(); } });
  const stdin = new PassThrough();
  stdin.end();
  const t0 = process.hrtime.bigint();
  const code = await main(['node', 'smki', ...args], { stdout, stderr, stdin, interactive: false, progress: false });
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, bytes, code };
}

/** `smki cert list --json` over the whole registry (run in a child: its peak memory is the list's). */
export async function benchList(home: string): Promise<{ seconds: number; bytes: number }> {
  const r = await timedCommand(['--home', home, 'cert', 'list', '--json']);
  if (r.code !== 0) throw new Error(`cert list exited ${r.code}`);
  return r;
}

/** `smki audit verify` (the chain, the checkpoint, every row MAC of every table). */
export async function benchVerify(home: string): Promise<{ seconds: number }> {
  const r = await timedCommand(['--home', home, 'audit', 'verify']);
  if (r.code !== 0) throw new Error(`audit verify exited ${r.code}`);
  return r;
}

/** The registry's own checks at the end (audit verify, SQLite integrity and foreign keys). */
export function checkScaleHome(home: string): { records: number } {
  const reg = Registry.open(home);
  try {
    return verifyRegistry(reg, 'scale');
  } finally {
    reg.close();
  }
}

export function removeScaleHome(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A line for bench/run.ts's report. */
export type ScaleRow = BenchRow;

/** A V8 heap far smaller than the data: 1,000,000 certificates' JSON is 420 MB, their hashes 91 MB. */
const SMALL_HEAP = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=64`.trim() };

interface SizePoint {
  n: number;
  revoke: { seconds: number };
  list: { seconds: number; bytes: number; peakRssMb: number };
  verify: { seconds: number; peakRssMb: number };
  gate: { perSecond: number; peakRssMb: number };
  records: number;
}

/**
 * Every measurement at every size, each in its own process, with small tables of cost against size
 * printed as it goes; returns the report lines (with the targets) for bench/run.ts.
 */
export async function runScale(sizes: number[], gateRequests: number): Promise<ScaleRow[]> {
  const { inChild } = await import('./child.js');
  const f0 = (x: number) => Math.round(x).toLocaleString('en-GB');
  const points: SizePoint[] = [];
  const empty = inChild<{ oneCore: { perSecond: number } }>('gate.ts', 'benchGate', [gateRequests, {}]);
  for (const n of sizes) {
    const h = inChild<ReturnType<typeof buildScaleHome>>('scale.ts', 'buildScaleHome', [n]);
    try {
      const revoke = inChild<{ seconds: number }>('scale.ts', 'benchRevoke', [h.home, h.valid[0]]);
      // With a small V8 heap: a list or a verify that kept rows or hashes would run out of it and fail the run.
      const list = inChild<{ seconds: number; bytes: number }>('scale.ts', 'benchList', [h.home], SMALL_HEAP);
      const verify = inChild<{ seconds: number }>('scale.ts', 'benchVerify', [h.home], SMALL_HEAP);
      const { records } = inChild<{ records: number }>('scale.ts', 'checkScaleHome', [h.home]);
      const gate = inChild<{ oneCore: { perSecond: number } }>('gate.ts', 'benchGate', [gateRequests, { grow: n }]);
      points.push({ n, revoke, list, verify, gate: { perSecond: gate.oneCore.perSecond, peakRssMb: gate.peakRssMb }, records });
      console.log(`scale ${f0(n)}: revoke+CRL ${(revoke.seconds * 1000).toFixed(0)} ms; cert list --json ${list.seconds.toFixed(2)} s, ${f0(list.bytes / 1e6)} MB out, peak RSS ${list.peakRssMb} MB; ` +
        `audit verify (${f0(records)} records) ${verify.seconds.toFixed(2)} s, peak RSS ${verify.peakRssMb} MB; gate ${(1000 / gate.oneCore.perSecond).toFixed(3)} ms a request (empty registry ${(1000 / empty.oneCore.perSecond).toFixed(3)} ms)`);
    } finally {
      removeScaleHome(h.dir);
    }
  }
  const header = `| registry: certificates (half revoked) = audit records = gate's extra Devices | ${points.map((p) => f0(p.n)).join(' | ')} |`;
  const rule = `|---|${points.map(() => '---').join('|')}|`;
  const line = (what: string, cell: (p: SizePoint) => string) => `| ${what} | ${points.map(cell).join(' | ')} |`;
  console.log(['', header, rule,
    line('cert revoke + CRL regeneration + CRL file', (p) => `${(p.revoke.seconds * 1000).toFixed(0)} ms`),
    line('cert list --json', (p) => `${p.list.seconds.toFixed(2)} s`),
    line('cert list --json peak RSS', (p) => `${p.list.peakRssMb} MB`),
    line('audit verify (chain and every row MAC)', (p) => `${p.verify.seconds.toFixed(2)} s`),
    line('audit verify peak RSS', (p) => `${p.verify.peakRssMb} MB`),
    line(`gate per request (empty registry: ${(1000 / empty.oneCore.perSecond).toFixed(3)} ms)`, (p) => `${(1000 / p.gate.perSecond).toFixed(3)} ms`),
    ''].join('\n'));

  const rows: ScaleRow[] = [];
  const first = points[0];
  const at = (n: number) => points.find((p) => p.n === n);
  const largest = points[points.length - 1];
  if (!first || !largest) return rows;
  const p200 = at(200_000) ?? largest;
  rows.push({
    what: `cert revoke + CRL regeneration with ${f0(p200.n)} certificates, ${f0(Math.floor(p200.n / 2) + 1)} revoked`,
    ours: `${(p200.revoke.seconds * 1000).toFixed(0)} ms`,
    peer: `the same with ${f0(first.n)} certificates: ${(first.revoke.seconds * 1000).toFixed(0)} ms`,
    ratio: p200.revoke.seconds / first.revoke.seconds,
    target: { text: '< 1 s', met: p200.revoke.seconds < 1 },
  });
  rows.push({
    what: `cert list --json of ${f0(largest.n)} certificates (${f0(largest.list.bytes / 1e6)} MB streamed)`,
    ours: `${largest.list.seconds.toFixed(2)} s, peak RSS ${largest.list.peakRssMb} MB`,
    peer: `${f0(first.n)} certificates: peak RSS ${first.list.peakRssMb} MB`,
    ratio: largest.list.peakRssMb / first.list.peakRssMb,
    target: { text: 'memory flat (≤ 1.5x)', met: largest.list.peakRssMb <= 1.5 * first.list.peakRssMb },
    peakRssMb: largest.list.peakRssMb,
  });
  const v = at(1_000_000) ?? largest;
  rows.push({
    what: `audit verify over ${f0(v.records)} audit records (and ${f0(v.n)} certificates' row MACs)`,
    ours: `${v.verify.seconds.toFixed(2)} s, peak RSS ${v.verify.peakRssMb} MB`,
    peer: `${f0(first.records)} records: ${first.verify.seconds.toFixed(2)} s, peak RSS ${first.verify.peakRssMb} MB`,
    ratio: v.verify.peakRssMb / first.verify.peakRssMb,
    target: v.n >= 1_000_000 ? { text: '< 10 s, memory flat', met: v.verify.seconds < 10 && v.verify.peakRssMb <= 1.5 * first.verify.peakRssMb } : undefined,
    peakRssMb: v.verify.peakRssMb,
  });
  rows.push({
    what: `gate per request with ${f0(largest.n)} more certificates and Devices in the registry`,
    ours: `${(1000 / largest.gate.perSecond).toFixed(3)} ms`,
    peer: `empty registry ${(1000 / empty.oneCore.perSecond).toFixed(3)} ms`,
    ratio: empty.oneCore.perSecond / largest.gate.perSecond,
    target: { text: 'unchanged (≤ 1.2x)', met: empty.oneCore.perSecond / largest.gate.perSecond <= 1.2 },
    peakRssMb: largest.gate.peakRssMb,
  });
  return rows;
}

/** BENCH_SCALE_SIZES, comma-separated (default 10,000, 100,000, 200,000 and 1,000,000). */
export function scaleSizes(): number[] {
  return (process.env.BENCH_SCALE_SIZES ?? '10000,100000,200000,1000000').split(',').map((x) => Number(x.trim())).filter((x) => Number.isInteger(x) && x > 0);
}
