// The CA's signing workers: the last step of issuance (build, lint, sign: src/ca/organisation-signing.ts)
// on other cores, for batches. The CA's thread makes every check from its own facts and keeps the
// one transaction; it hands each approved template with its lint expectations to a worker and takes
// the certificates back in order, waiting synchronously (inside the transaction) when it must.
import type { KeyObject } from 'node:crypto';
import { helperWorkers, SyncWorker } from '../util/worker-pool.js';
import { reviveResult, type SignOrder, type SignResult } from './organisation-signing.js';

export interface SigningTicket {
  worker: number;
  id: number;
}

export class CaSigningWorkers {
  private readonly workers: SyncWorker<SignOrder, SignResult>[] = [];
  private next = 0;

  /** Only FileKeySigner.signingWorkers calls this: the key stays inside the CA's code. */
  constructor(key: KeyObject, label: string, readonly size = helperWorkers()) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`signing workers: ${size}`);
    for (let i = 0; i < size; i++) this.workers.push(new SyncWorker(import.meta.url, 'sign-worker', { key, label }));
  }

  /** Orders go to the workers in turn. */
  submit(orders: SignOrder[]): SigningTicket {
    const worker = this.next++ % this.size;
    return { worker, id: this.workers[worker]!.send(orders) };
  }

  poll(t: SigningTicket): SignResult[] | undefined {
    return this.workers[t.worker]!.poll(t.id)?.map(reviveResult);
  }

  wait(t: SigningTicket): SignResult[] {
    return this.workers[t.worker]!.wait(t.id).map(reviveResult);
  }

  async ready(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.ready()));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
