// A CSR worker (src/ca/csr-pool.ts): steps 1-2 of docs/issuance.md, the CSR gate's parse and pure
// checks (proof of possession, algorithm, key), for a batch of CSRs on another core. It decides
// nothing and reads no registry.
import { InputError } from '../domain/errors.js';
import { asBuffer, serveChunks } from '../util/worker-pool.js';
import { checkedCsr, type CsrAnswer } from './csr-pool.js';
import { checkCsr, parseCsr } from './csr.js';

serveChunks((csr: Uint8Array | string): CsrAnswer => {
  try {
    const parsed = parseCsr(typeof csr === 'string' ? csr : asBuffer(csr));
    return checkedCsr(parsed, checkCsr(parsed));
  } catch (e) {
    if (e instanceof InputError) return { malformed: e.message };
    throw e;
  }
});
