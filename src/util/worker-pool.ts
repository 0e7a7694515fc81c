// Worker threads for pure, CPU-bound reading and checking (DUIS signatures, CSR proof of possession):
// items go out in chunks, answers come back in the order the items were given, and every decision
// stays with the caller in its own thread. A worker answers one chunk with one message.
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, parentPort, receiveMessageOnPort, Worker, workerData as startData, type MessagePort, type Transferable } from 'node:worker_threads';

/**
 * The default: one worker for each core but the one the calling thread (which decides and commits)
 * runs on, and at least one. On 2 cores: the caller and one worker.
 */
export function helperWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

interface Job<I> {
  id: number;
  items: I[];
}

/**
 * The worker module `name` beside `base` (import.meta.url of the caller): as built (.js), or from
 * source (.ts) when running under tsx, whose loader a worker thread does not inherit and registers first.
 */
function startWorker(base: string, name: string, workerData: unknown, transferList: Transferable[] = []): Worker {
  const ext = extname(fileURLToPath(base));
  const url = new URL(`./${name}${ext}`, base);
  const execArgv = workerExecArgv();
  if (ext !== '.ts') return new Worker(url, { workerData, execArgv, transferList });
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData, execArgv, transferList });
}

/**
 * This process's Node options without the modules it preloaded (--require, --import, loaders) or the
 * code it ran: a worker would resolve those again from the current folder, which may be elsewhere.
 */
function workerExecArgv(): string[] {
  const withValue = new Set(['--require', '-r', '--import', '--loader', '--experimental-loader', '--eval', '-e', '--print', '-p']);
  const out: string[] = [];
  const a = process.execArgv;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (withValue.has(x)) i++;
    else if (!/^--(require|import|loader|experimental-loader|eval|print)=/.test(x)) out.push(x);
  }
  return out;
}

/** In a worker module: answers each chunk of items with `answer` (which must not throw for bad input). */
export function serveChunks<I, A>(answer: (item: I) => A): void {
  parentPort!.on('message', (job: Job<I>) => {
    try {
      parentPort!.postMessage({ id: job.id, answers: job.items.map(answer) });
    } catch (e) {
      parentPort!.postMessage({ id: job.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
  });
}

/** A structured clone turns a Buffer into a Uint8Array: the same bytes as a Buffer again. */
export const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export class WorkerPool<I, A> {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { resolve: (a: A[]) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;

  /**
   * `base`, `name`: the worker module (see startWorker). `chunk`: items per message (consecutive chunks
   * go to different workers); `inFlight`: items sent ahead of the one the caller waits for.
   */
  constructor(
    base: string,
    name: string,
    workerData: unknown,
    readonly size = helperWorkers(),
    private readonly chunk = 32,
    private readonly inFlight = 1536,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`workers: ${size}`);
    this.workers = [];
    try {
      for (let i = 0; i < size; i++) this.workers.push(this.started(startWorker(base, name, workerData), name));
    } catch (e) {
      for (const w of this.workers) void w.terminate();
      throw e;
    }
  }

  /**
   * A worker keeps this process alive only while it owes an answer: an idle pool that was never
   * closed (a caller that threw, a test that timed out) does not keep a finished process running.
   */
  private started(w: Worker, name: string): Worker {
    w.unref();
    w.on('message', (m: { id: number; answers?: A[]; error?: string }) => {
      const p = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) this.holdProcess(false);
      if (m.answers) p?.resolve(m.answers);
      else p?.reject(new Error(`worker ${name}: ${m.error}`));
    });
    w.on('error', (e) => this.fail(e));
    w.on('exit', (code) => {
      // An exit before every answer came (code 0 included) fails what waits rather than leaving it pending.
      if (code !== 0 || this.waiting.size > 0) this.fail(new Error(`worker ${name} exited with code ${code}`));
    });
    return w;
  }

  private holdProcess(hold: boolean): void {
    for (const w of this.workers) {
      if (hold) w.ref();
      else w.unref();
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
    this.holdProcess(false);
  }

  private run(worker: Worker, items: I[]): Promise<A[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) this.holdProcess(true);
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, items } satisfies Job<I>);
    });
  }

  /** Resolves once every worker has started and answered (an empty chunk): start-up is then paid. */
  async ready(): Promise<void> {
    await Promise.all(this.workers.map((w) => this.run(w, [])));
  }

  /** The answers for `items`, chunk by chunk in their order, while later chunks are being worked on. */
  async *answers(items: I[]): AsyncGenerator<A[]> {
    const chunks: I[][] = [];
    for (let i = 0; i < items.length; i += this.chunk) chunks.push(items.slice(i, i + this.chunk));
    const pending = new Map<number, Promise<A[]>>();
    let submitted = 0;
    const submit = () => {
      while (submitted < chunks.length && pending.size * this.chunk < this.inFlight) {
        const p = this.run(this.workers[submitted % this.size]!, chunks[submitted]!);
        p.catch(() => undefined); // awaited in order below; no unhandled rejection meanwhile
        pending.set(submitted, p);
        submitted++;
      }
    };
    submit();
    for (let c = 0; c < chunks.length; c++) {
      const answers = await pending.get(c)!;
      pending.delete(c);
      submit();
      yield answers;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * A worker this thread can wait for without leaving the stack it is on: inside a registry transaction
 * (which is synchronous), the caller hands a chunk of items to the worker, goes on with its own work,
 * and takes the answers when it needs them (`poll` without waiting, `wait` blocking on a shared
 * counter the worker bumps after each answer). The worker module calls serveSync.
 */
export class SyncWorker<I, A> {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** [0]: answers posted so far (bumped by the worker after each postMessage); [1]: 1 once the worker is exiting. */
  private readonly posted: Int32Array;
  private readonly answered = new Map<number, { answers?: A[]; error?: string }>();
  private nextId = 0;
  private exited: string | undefined;

  constructor(base: string, name: string, workerData: Record<string, unknown>, private readonly timeoutMs = 60_000) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.posted = new Int32Array(new SharedArrayBuffer(8));
    this.worker = startWorker(base, name, { ...workerData, port: port2, posted: this.posted }, [port2]);
    // Never keeps the process alive: answers are taken synchronously, not by events.
    this.worker.unref();
    this.port.unref();
    this.worker.on('error', (e) => { this.exited ??= `${name}: ${e.message}`; });
    this.worker.on('exit', (code) => { this.exited ??= `${name} exited with code ${code}`; });
  }

  /** Hands `items` to the worker; the ticket is for poll and wait. */
  send(items: I[]): number {
    if (this.exited) throw new Error(`worker ${this.exited}`);
    const id = this.nextId++;
    this.port.postMessage({ id, items } satisfies Job<I>);
    return id;
  }

  private drain(): void {
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      const msg = m.message as { id: number; answers?: A[]; error?: string };
      this.answered.set(msg.id, msg);
    }
  }

  private take(id: number): A[] | undefined {
    const m = this.answered.get(id);
    if (!m) return undefined;
    this.answered.delete(id);
    if (m.error !== undefined) throw new Error(`worker: ${m.error}`);
    return m.answers!;
  }

  /** The answers for `ticket` if they have come, without waiting. */
  poll(ticket: number): A[] | undefined {
    this.drain();
    return this.take(ticket);
  }

  /** The answers for `ticket`, waiting for them (bounded: a worker that died fails this, after the bound). */
  wait(ticket: number): A[] {
    const until = Date.now() + this.timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.posted, 0);
      const a = this.poll(ticket);
      if (a) return a;
      // The exit event cannot come while this thread waits: the worker says so itself as it exits.
      if (Atomics.load(this.posted, 1) === 1) this.exited ??= 'exited';
      if (this.exited) throw new Error(`worker ${this.exited}`);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`worker gave no answer in ${this.timeoutMs / 1000} s`);
      Atomics.wait(this.posted, 0, seen, Math.min(left, 1000));
    }
  }

  /** Resolves once the worker has started and answered (start-up is then paid), letting events in meanwhile. */
  async ready(): Promise<void> {
    const t = this.send([]);
    const until = Date.now() + this.timeoutMs;
    while (!this.poll(t)) {
      if (this.exited) throw new Error(`worker ${this.exited}`);
      if (Date.now() > until) throw new Error(`worker did not start in ${this.timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async close(): Promise<void> {
    this.port.close();
    await this.worker.terminate();
  }
}

/** In a SyncWorker's module: answers each chunk with `answer`, then bumps the shared counter and wakes the waiter. */
export function serveSync<I, A>(answer: (item: I) => A): void {
  const { port, posted } = startData as { port: MessagePort; posted: Int32Array };
  // An exit (process.exit, an uncaught error) wakes a caller waiting for an answer that will not come.
  process.on('exit', () => {
    Atomics.store(posted, 1, 1);
    Atomics.notify(posted, 0);
  });
  port.on('message', (job: Job<I>) => {
    try {
      port.postMessage({ id: job.id, answers: job.items.map(answer) });
    } catch (e) {
      port.postMessage({ id: job.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
    Atomics.add(posted, 0, 1);
    Atomics.notify(posted, 0);
  });
}
