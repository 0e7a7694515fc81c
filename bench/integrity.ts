// Integrity checks' cost (issue 8 item 6): gate and issuance throughput with row MACs sealed and
// checked, then with them switched off by the benchmark-only switch, in the same run.
import { setBenchmarkWithoutRowChecks } from '../src/registry/registry.js';
import { benchGate } from './gate.js';
import { benchIssuance } from './issuance.js';

export interface IntegrityBench {
  gate: { on: number; off: number };
  issuance: { on: number; off: number };
}

export async function benchIntegrity(requests: number, certificates: number): Promise<IntegrityBench> {
  const gateOn = await benchGate(requests);
  const issuanceOn = await benchIssuance(certificates);
  setBenchmarkWithoutRowChecks(true);
  try {
    const gateOff = await benchGate(requests);
    const issuanceOff = await benchIssuance(certificates);
    return { gate: { on: gateOn.oneCore.perSecond, off: gateOff.oneCore.perSecond }, issuance: { on: issuanceOn.perSecond, off: issuanceOff.perSecond } };
  } finally {
    setBenchmarkWithoutRowChecks(false);
  }
}
