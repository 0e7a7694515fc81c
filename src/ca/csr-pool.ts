// The CSR gate's parse and pure checks on other cores (src/ca/csr-worker.ts), for batches of
// issuance: the answers come back in order and the issuance pipeline decides, signs and stores each
// request in its own thread and transaction as it does for a CSR read there (src/ra/issue.ts).
import type { Reason } from '../domain/reasons.js';
import { asBuffer, helperWorkers, WorkerPool } from '../util/worker-pool.js';
import type { ParsedCsr } from './csr.js';

/** What the issuance pipeline reads from a CSR after the CSR gate. */
export type CsrFacts = Pick<ParsedCsr, 'spkiDer' | 'subjectEui' | 'subjectOu' | 'subjectCommonName' | 'requestedKeyUsage'>;

/** A CSR read and checked: its facts and the CSR gate's reasons, or why it could not be read (exit 4). */
export type CsrAnswer = { facts: CsrFacts; reasons: Reason[] } | { malformed: string };

export function checkedCsr(csr: ParsedCsr, reasons: Reason[]): { facts: CsrFacts; reasons: Reason[] } {
  const { spkiDer, subjectEui, subjectOu, subjectCommonName, requestedKeyUsage } = csr;
  return { facts: { spkiDer, subjectEui, subjectOu, subjectCommonName, requestedKeyUsage }, reasons };
}

/** A worker's answer with its Buffers back (a structured clone makes them Uint8Arrays). */
export function reviveCsrAnswer(a: CsrAnswer): CsrAnswer {
  return 'malformed' in a ? a : { ...a, facts: { ...a.facts, spkiDer: asBuffer(a.facts.spkiDer) } };
}

export class CsrPool extends WorkerPool<Uint8Array | string, CsrAnswer> {
  /** `chunk`: CSRs per message to a worker. */
  constructor(size = helperWorkers(), chunk = 25) {
    super(import.meta.url, 'csr-worker', {}, size, chunk, 1000);
  }
}
