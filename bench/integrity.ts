// Integrity checks' cost (issue 8 item 6): gate and issuance with row MACs sealed and checked, and
// with them switched off by the benchmark-only switch, in the same run, measured two ways.
//
// Instructions (load-independent): each side's gate (issuance) run of SMALL and of LARGE requests,
// each in a process of its own under callgrind counting the measured part alone; (I(LARGE) -
// I(SMALL)) / (LARGE - SMALL) is the cost of one more request once warm: the compile work and first
// look-ups that both runs do cancel out.
//
// CPU time per request of the measured part alone (process.cpuUsage: on a shared machine wall time is
// the neighbours' too): on and off in turns in one process over several rounds (the order swapped
// each round, so neither side always runs first). The first full round of each side warms it (its
// code compiled with the feedback of full-size runs) and is left out; the median of the other rounds
// is kept. The load average is returned beside the figures.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBenchmarkWithoutRowChecks } from '../src/registry/registry.js';
import { haveCallgrind, underCallgrind } from './callgrind.js';
import { benchGate } from './gate.js';
import { benchIssuance } from './issuance.js';
import { median } from './peers.js';

/** CPU milliseconds per request (median of the rounds) and the throughput those are worth on one core. */
export interface SideCost {
  cpuMsPerRequest: number;
  perCpuSecond: number;
  /** Every kept round's CPU ms per request, in the order measured. */
  rounds: number[];
  /** The warm-up round's (left out of the median). */
  warmUp: number;
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
  gate: { on: SideCost; off: SideCost; instructions?: Instructions };
  issuance: { on: SideCost; off: SideCost; instructions?: Instructions };
  requests: number;
  certificates: number;
  /** Rounds kept per side (one more was run to warm up). */
  rounds: number;
  /** The two run sizes under callgrind, or why they were not counted. */
  callgrind: { small: number; large: number } | { skipped: string };
  loadBefore: number[];
  loadAfter: number[];
}

function side(msPerRequest: number[]): SideCost {
  const [warmUp, ...kept] = msPerRequest;
  const m = median(kept);
  return { cpuMsPerRequest: m, perCpuSecond: 1000 / m, rounds: kept, warmUp: warmUp! };
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

export async function benchIntegrity(requests: number, certificates: number, rounds = 5, callgrind: { small: number; large: number } | null = { small: 500, large: 1500 }): Promise<IntegrityBench> {
  const loadBefore = loadavg();
  const ms = { gate: { on: [] as number[], off: [] as number[] }, issuance: { on: [] as number[], off: [] as number[] } };
  try {
    // Round 0 warms each side at full size and is left out of the medians.
    for (let i = 0; i <= rounds; i++) {
      for (const s of (i % 2 === 0 ? ['on', 'off'] : ['off', 'on']) as ('on' | 'off')[]) {
        setBenchmarkWithoutRowChecks(s === 'off');
        for (const [kind, n] of [['gate', requests], ['issuance', certificates]] as const) {
          const r = await measured(kind, n);
          ms[kind][s].push((r.cpuSeconds * 1000) / r.requests);
        }
      }
    }
  } finally {
    setBenchmarkWithoutRowChecks(false);
  }
  const loadAfter = loadavg();
  const counts = callgrind && haveCallgrind() ? { gate: countedInstructions('gate', callgrind.small, callgrind.large), issuance: countedInstructions('issuance', callgrind.small, callgrind.large) } : undefined;
  return {
    gate: { on: side(ms.gate.on), off: side(ms.gate.off), ...(counts ? { instructions: counts.gate } : {}) },
    issuance: { on: side(ms.issuance.on), off: side(ms.issuance.off), ...(counts ? { instructions: counts.issuance } : {}) },
    requests,
    certificates,
    rounds,
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
  } else {
    // REQUESTS CERTIFICATES ROUNDS [SMALL,LARGE | 0]: the callgrind run sizes, 0 for none.
    const cg = process.argv[5] ?? '500,1500';
    const [small, large] = cg.split(',').map(Number);
    console.log(JSON.stringify(await benchIntegrity(Number(process.argv[2] ?? 3000), Number(process.argv[3] ?? 1500), Number(process.argv[4] ?? 5), cg === '0' ? null : { small: small!, large: large! })));
  }
}
