// Integrity checks' cost (issue 8 item 6): gate and issuance with row MACs sealed and checked, and
// with them switched off by the benchmark-only switch, in the same run, measured two ways.
//
// Instructions (load-independent): each side's gate (issuance) run of SMALL and of LARGE requests,
// each in a process of its own under callgrind counting the measured part alone; (I(LARGE) -
// I(SMALL)) / (LARGE - SMALL) is the cost of one more request once warm: the compile work and first
// look-ups that both runs do cancel out.
//
// CPU time per request, each side in processes of its own (process.cpuUsage: on a shared machine
// wall time is the neighbours' too), on and off in turns over several pairs, the order swapped each
// pair. A process holds one side only, as a real one does: with both sides' homes in one process the
// shared code's compiled forms and the garbage of each side touch the other, and two homes with the
// checks off in one process came out 1.13x apart. In each process the first fifth of the requests warms
// the code and is left out; the bytes the process wrote over the measured part (/proc/self/io wchar:
// the registry's WAL and checkpoints) are counted too, as instructions leave the kernel's part out.
// The load average is returned beside the figures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBenchmarkWithoutRowChecks } from '../src/registry/registry.js';
import { haveCallgrind, underCallgrind } from './callgrind.js';
import { verifyRegistry } from './checks.js';
import { benchGate, checkOnOneCore, prepareGateHome } from './gate.js';
import { benchCsrs, benchIssuance, prepareIssuanceHome } from './issuance.js';
import { median } from './peers.js';
import { benchEnv } from './startup.js';
import { issueCertificates } from '../src/ra/issue.js';

/** One side over its processes: the medians of their figures. */
export interface SideCost {
  cpuMsPerRequest: number;
  wallMsPerRequest: number;
  /** Bytes written per request (the registry's WAL and checkpoints). */
  bytesPerRequest: number;
  /** The throughput the CPU time is worth on one core. */
  perCpuSecond: number;
  /** Each process's CPU ms per request, in the order run. */
  processes: number[];
}

/** Both sides over the same number of processes, and the spread of the pairs' own ratios. */
export interface PairedCost {
  on: SideCost;
  off: SideCost;
  /** on / off of the medians. */
  cpuRatio: number;
  wallRatio: number;
  /** Each pair's CPU-time ratio (on / off): lowest, median, highest. */
  pairCpuRatios: { min: number; median: number; max: number };
  pairs: number;
  /** Requests a process; the measured ones are the last four fifths. */
  requests: number;
}

/** Instructions of one more request, from two run sizes under callgrind. */
export interface SideInstructions {
  perRequest: number;
  small: { requests: number; instructions: number };
  large: { requests: number; instructions: number };
}

export interface Instructions {
  on: SideInstructions;
  off: SideInstructions;
  /** on.perRequest / off.perRequest */
  ratio: number;
}

export interface IntegrityBench {
  gate: PairedCost & { instructions?: Instructions };
  issuance: PairedCost & { instructions?: Instructions };
  /** Per side. */
  requests: number;
  certificates: number;
  /** The two run sizes under callgrind, or why they were not counted. */
  callgrind: { small: number; large: number } | { skipped: string };
  loadBefore: number[];
  loadAfter: number[];
}

type Kind = 'gate' | 'issuance';

/** One measured run of `kind` with `n` requests in this process: the requests measured and their CPU seconds. */
async function measured(kind: Kind, n: number): Promise<{ requests: number; cpuSeconds: number }> {
  if (kind === 'gate') {
    const g = (await benchGate(n)).oneCore;
    return { requests: g.requests, cpuSeconds: g.cpuSeconds };
  }
  const c = await benchIssuance(n);
  return { requests: c.certificates, cpuSeconds: c.cpuSeconds };
}

/** A side's home: `run(from, to)` takes its requests from..to and says how many went through. */
interface SideHome {
  run(from: number, to: number): number;
  verify(): void;
}

async function sideHome(kind: Kind, dir: string, n: number): Promise<SideHome> {
  if (kind === 'gate') {
    const g = await prepareGateHome(dir, n);
    return { run: (from, to) => checkOnOneCore(g, from, to), verify: () => void verifyRegistry(g.reg, 'gate').records };
  }
  const { reg, catalogue, srp, aroId, aroKey, ca } = await prepareIssuanceHome(join(dir, 'home'), Buffer.from('bench passphrase'));
  const csrs = benchCsrs(srp, n);
  return {
    run: (from, to) => {
      let ok = 0;
      for (let i = from; i < to; i += 100) {
        const part = csrs.slice(i, Math.min(to, i + 100)).map((csr) => ({ csr, profile: 'xml-sign' as const, party: srp, officerId: aroId, officer: aroKey }));
        ok += issueCertificates(reg, ca, catalogue, part).filter((o) => o.ok).length;
      }
      return ok;
    },
    verify: () => void verifyRegistry(reg, 'issuance').records,
  };
}

/** Bytes this process has written so far (every write call, files and pipes). */
function bytesWritten(): number {
  return Number(/^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? NaN);
}

interface ProcessFigures {
  requests: number;
  cpuMs: number;
  wallMs: number;
  bytes: number;
}

/** One side in this process: N requests, the first fifth warming up; the measured part's figures. */
async function measuredSide(kind: Kind, n: number, side: 'on' | 'off'): Promise<ProcessFigures> {
  const dir = mkdtempSync(join(tmpdir(), `smki-bench-integrity-${kind}-${side}-`));
  try {
    setBenchmarkWithoutRowChecks(side === 'off');
    const home = await sideHome(kind, dir, n);
    const warm = Math.floor(n / 5);
    if (home.run(0, warm) !== warm) throw new Error(`integrity bench: ${kind} with checks ${side} refused a warm-up request`);
    const w0 = bytesWritten();
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const through = home.run(warm, n);
    const c = process.cpuUsage(c0);
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const bytes = bytesWritten() - w0;
    if (through !== n - warm) throw new Error(`integrity bench: ${kind} with checks ${side} let ${through} of ${n - warm} requests through`);
    // Correctness first: the audit chain and the row MACs (none with the checks off) check out.
    home.verify();
    return { requests: n - warm, cpuMs: (c.user + c.system) / 1e3, wallMs, bytes };
  } finally {
    setBenchmarkWithoutRowChecks(false);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `pairs` pairs of processes, one a side, N requests each (see the top of this file). */
export function pairedCost(kind: Kind, n: number, pairs: number): PairedCost {
  const runs = { on: [] as ProcessFigures[], off: [] as ProcessFigures[] };
  const ratios: number[] = [];
  for (let p = 0; p < pairs; p++) {
    for (const side of (p % 2 === 0 ? ['on', 'off'] : ['off', 'on']) as ('on' | 'off')[]) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, 'side-child', kind, String(n), side], { encoding: 'utf8', env: benchEnv(), stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
      if (r.status !== 0) throw new Error(`integrity bench: the ${kind} process with checks ${side} exited ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
      runs[side].push(JSON.parse(r.stdout.trim().split('\n').pop()!) as ProcessFigures);
    }
    ratios.push(runs.on[p]!.cpuMs / runs.on[p]!.requests / (runs.off[p]!.cpuMs / runs.off[p]!.requests));
  }
  const cost = (rs: ProcessFigures[]): SideCost => {
    const cpu = median(rs.map((r) => r.cpuMs / r.requests));
    return { cpuMsPerRequest: cpu, wallMsPerRequest: median(rs.map((r) => r.wallMs / r.requests)), bytesPerRequest: median(rs.map((r) => r.bytes / r.requests)), perCpuSecond: 1000 / cpu, processes: rs.map((r) => r.cpuMs / r.requests) };
  };
  const on = cost(runs.on);
  const off = cost(runs.off);
  return {
    on,
    off,
    cpuRatio: on.cpuMsPerRequest / off.cpuMsPerRequest,
    wallRatio: on.wallMsPerRequest / off.wallMsPerRequest,
    pairCpuRatios: { min: Math.min(...ratios), median: median(ratios), max: Math.max(...ratios) },
    pairs,
    requests: n,
  };
}

/** Instructions per request of each side, from runs of `small` and `large` requests under callgrind. */
function countedInstructions(kind: Kind, small: number, large: number): Instructions {
  const dir = mkdtempSync(join(tmpdir(), 'smki-bench-callgrind-'));
  try {
    const count = (off: boolean, n: number) => {
      const r = underCallgrind(join(dir, `${kind}-${off ? 'off' : 'on'}-${n}.out`), ['--import', 'tsx', import.meta.filename, 'callgrind-child', kind, String(n), off ? 'off' : 'on'], {});
      const { requests } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { requests: number };
      return { requests, instructions: r.instructions };
    };
    const sideOf = (off: boolean): SideInstructions => {
      const s = count(off, small);
      const l = count(off, large);
      return { perRequest: (l.instructions - s.instructions) / (l.requests - s.requests), small: s, large: l };
    };
    const on = sideOf(false);
    const off = sideOf(true);
    return { on, off, ratio: on.perRequest / off.perRequest };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** N gate requests and M certificates a process, `pairs` pairs of processes each; callgrind's two sizes, or null for none. */
export async function benchIntegrity(requests: number, certificates: number, pairs = 5, callgrind: { small: number; large: number } | null = { small: 500, large: 1500 }): Promise<IntegrityBench> {
  const loadBefore = loadavg();
  const gate = pairedCost('gate', requests, pairs);
  const issuance = pairedCost('issuance', certificates, pairs);
  const loadAfter = loadavg();
  const counts = callgrind && haveCallgrind() ? { gate: countedInstructions('gate', callgrind.small, callgrind.large), issuance: countedInstructions('issuance', callgrind.small, callgrind.large) } : undefined;
  return {
    gate: { ...gate, ...(counts ? { instructions: counts.gate } : {}) },
    issuance: { ...issuance, ...(counts ? { instructions: counts.issuance } : {}) },
    requests,
    certificates,
    callgrind: counts && callgrind ? callgrind : { skipped: callgrind ? 'valgrind is not installed' : 'not asked for' },
    loadBefore,
    loadAfter,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === 'callgrind-child') {
    // One side's run under callgrind (countedInstructions): the requests it measured.
    const [kind, n, side] = process.argv.slice(3) as [Kind, string, 'on' | 'off'];
    setBenchmarkWithoutRowChecks(side === 'off');
    console.log(JSON.stringify({ requests: (await measured(kind, Number(n))).requests }));
  } else if (process.argv[2] === 'side-child') {
    // One side's process of pairedCost.
    const [kind, n, side] = process.argv.slice(3) as [Kind, string, 'on' | 'off'];
    console.log(JSON.stringify(await measuredSide(kind, Number(n), side)));
  } else {
    // REQUESTS CERTIFICATES PAIRS [SMALL,LARGE | 0]: a process's requests and certificates, pairs of processes, the callgrind run sizes (0 for none).
    const cg = process.argv[5] ?? '500,1500';
    const [small, large] = cg.split(',').map(Number);
    console.log(JSON.stringify(await benchIntegrity(Number(process.argv[2] ?? 8000), Number(process.argv[3] ?? 6000), Number(process.argv[4] ?? 5), cg === '0' ? null : { small: small!, large: large! })));
  }
}
