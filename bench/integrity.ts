// Integrity checks' cost (issue 8 item 6): gate and issuance throughput with row MACs sealed and
// checked, and with them switched off by the benchmark-only switch, in the same run. The two are
// taken in turns (on, off, on, off, ...) after a warm-up, and the best of each is kept: on a loaded
// machine the first run of a process pays for compilation and every run for its neighbours, and
// taking them in turns spreads both over the two sides.
import { setBenchmarkWithoutRowChecks } from '../src/registry/registry.js';
import { benchGate } from './gate.js';
import { benchIssuance } from './issuance.js';

export interface IntegrityBench {
  gate: { on: number; off: number };
  issuance: { on: number; off: number };
  rounds: number;
}

export async function benchIntegrity(requests: number, certificates: number, rounds = 3): Promise<IntegrityBench> {
  const best = { gate: { on: 0, off: 0 }, issuance: { on: 0, off: 0 }, rounds };
  try {
    // Warm-up: a small run of each compiles the paths both sides share.
    await benchGate(Math.min(requests, 500));
    await benchIssuance(Math.min(certificates, 200));
    for (let i = 0; i < rounds; i++) {
      for (const side of ['on', 'off'] as const) {
        setBenchmarkWithoutRowChecks(side === 'off');
        best.gate[side] = Math.max(best.gate[side], (await benchGate(requests)).oneCore.perSecond);
        best.issuance[side] = Math.max(best.issuance[side], (await benchIssuance(certificates)).perSecond);
      }
    }
    return best;
  } finally {
    setBenchmarkWithoutRowChecks(false);
  }
}
