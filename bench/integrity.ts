// Integrity checks' cost (issue 8 item 6): gate and issuance with row MACs sealed and checked, and
// with them switched off by the benchmark-only switch, in the same run. Measured in CPU time per
// request of the measured part alone (process.cpuUsage: on a shared machine wall time is the
// neighbours' too), on and off taken in turns over several rounds (the order swapped each round, so
// neither side always runs first), and the median of each side kept. The load average is returned
// beside the figures.
import { loadavg } from 'node:os';
import { setBenchmarkWithoutRowChecks } from '../src/registry/registry.js';
import { benchGate } from './gate.js';
import { benchIssuance } from './issuance.js';
import { median } from './peers.js';

/** CPU milliseconds per request (median of the rounds) and the throughput those are worth on one core. */
export interface SideCost {
  cpuMsPerRequest: number;
  perCpuSecond: number;
  /** Every round's CPU ms per request, in the order measured. */
  rounds: number[];
}

export interface IntegrityBench {
  gate: { on: SideCost; off: SideCost };
  issuance: { on: SideCost; off: SideCost };
  rounds: number;
  loadBefore: number[];
  loadAfter: number[];
}

function side(msPerRequest: number[]): SideCost {
  const m = median(msPerRequest);
  return { cpuMsPerRequest: m, perCpuSecond: 1000 / m, rounds: msPerRequest };
}

export async function benchIntegrity(requests: number, certificates: number, rounds = 5): Promise<IntegrityBench> {
  const loadBefore = loadavg();
  const ms = { gate: { on: [] as number[], off: [] as number[] }, issuance: { on: [] as number[], off: [] as number[] } };
  try {
    // Warm-up: a small run of each compiles the paths both sides share.
    for (const off of [false, true]) {
      setBenchmarkWithoutRowChecks(off);
      await benchGate(Math.min(requests, 500));
      await benchIssuance(Math.min(certificates, 200));
    }
    for (let i = 0; i < rounds; i++) {
      for (const s of (i % 2 === 0 ? ['on', 'off'] : ['off', 'on']) as ('on' | 'off')[]) {
        setBenchmarkWithoutRowChecks(s === 'off');
        const g = (await benchGate(requests)).oneCore;
        ms.gate[s].push((g.cpuSeconds * 1000) / g.requests);
        const c = await benchIssuance(certificates);
        ms.issuance[s].push((c.cpuSeconds * 1000) / c.certificates);
      }
    }
  } finally {
    setBenchmarkWithoutRowChecks(false);
  }
  return {
    gate: { on: side(ms.gate.on), off: side(ms.gate.off) },
    issuance: { on: side(ms.issuance.on), off: side(ms.issuance.off) },
    rounds,
    loadBefore,
    loadAfter: loadavg(),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchIntegrity(Number(process.argv[2] ?? 2000), Number(process.argv[3] ?? 1000), Number(process.argv[4] ?? 5))));
}
