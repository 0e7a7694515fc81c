// Worker threads for pure, CPU-bound reading and checking (DUIS signatures, CSR proof of possession):
// items go out in chunks, answers come back in the order the items were given, and every decision
// stays with the caller in its own thread. A worker answers one chunk with one message.
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parentPort, Worker } from 'node:worker_threads';

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
function startWorker(base: string, name: string, workerData: unknown): Worker {
  const ext = extname(fileURLToPath(base));
  const url = new URL(`./${name}${ext}`, base);
  const execArgv = workerExecArgv();
  if (ext !== '.ts') return new Worker(url, { workerData, execArgv });
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData, execArgv });
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
