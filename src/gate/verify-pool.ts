// The gate on more than one core: worker threads (src/gate/verify-worker.ts) parse the DUIS documents
// and check their signatures (XML parse, C14N, ECDSA), while every decision and every commit stays in
// this thread, one document after another in the order given, inside the registry's transaction
// (ServiceRequestGate.checkInput). A worker's answer binds each signature result to the certificate it
// used (SHA-256 of the DER); the gate uses it only for the certificate it looked up itself inside the
// transaction, and checks the signature here for any other. Two workers therefore cannot both pass a
// replay check or an ADT window: they never decide.
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CertificateRecord } from '../registry/certificates.js';
import type { Registry } from '../registry/registry.js';
import { parseDuisRequest, type DuisRequest, type ParsedDuisRequest } from './duis.js';
import type { GateInput, GateOutcome, ServiceRequestGate } from './gate.js';
import { verifyGbcsSignature } from './gbcs.js';
import { verifyEnveloped, type VerifyResult } from './xml/dsig.js';

export interface VerifyJob {
  id: number;
  docs: Uint8Array[];
}

/** A worker's reading of one document: malformed, or the request with its signature results. */
export type VerifyAnswer =
  | { malformed: string }
  | {
      request: DuisRequest;
      signer: { serialHex: string; issuerName: string };
      docSha256: string;
      /** [SHA-256 of the certificate's DER, result] for the certificate the XML signature names. */
      xml: [string, VerifyResult][];
      /** [SHA-256 of a DS certificate's DER, verified] for the General-Signing candidates tried. */
      gbcs: [string, boolean][];
    };

export const certificateDigest = (c: CertificateRecord): string => createHash('sha256').update(c.der).digest('hex');

/** Documents per message to a worker; documents in flight across the workers (more than a batch, so workers read on while decisions are committed). */
const CHUNK = 32;
const IN_FLIGHT_DOCS = 1536;

/** The default: one worker per core. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** A structured clone turns Buffers into Uint8Arrays: the request as parseDuisRequest returns it. */
function revive(r: DuisRequest): DuisRequest {
  if (r.body.kind !== 'SignedPreCommand') return r;
  const p = r.body.gbcsPayload as Uint8Array;
  return { ...r, body: { ...r.body, gbcsPayload: Buffer.from(p.buffer, p.byteOffset, p.byteLength) } };
}

/** The gate's input from a worker's answer; a certificate the worker did not use is checked here. */
export function inputFromAnswer(answer: Exclude<VerifyAnswer, { malformed: string }>, bytes: Buffer): GateInput {
  const xml = new Map(answer.xml);
  const gbcs = new Map(answer.gbcs);
  let parsed: ParsedDuisRequest | undefined;
  return {
    request: revive(answer.request),
    signer: answer.signer,
    docSha256: answer.docSha256,
    verifyXml: (cert, key) => xml.get(certificateDigest(cert)) ?? verifyEnveloped((parsed ??= parseDuisRequest(bytes)).doc, key()),
    verifyGbcs: (message, cert, key) => gbcs.get(certificateDigest(cert)) ?? verifyGbcsSignature(message, key()),
  };
}

/**
 * The worker module beside this one: as built (.js), or from source (.ts) when running under tsx, whose
 * loader a worker thread does not inherit and registers first.
 */
function startWorker(workerData: unknown): Worker {
  const ext = extname(fileURLToPath(import.meta.url));
  const url = new URL(`./verify-worker${ext}`, import.meta.url);
  if (ext !== '.ts') return new Worker(url, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData });
}

export class VerifyPool {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { resolve: (a: VerifyAnswer[]) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;

  /**
   * `home`: the CA home the workers read certificates from (read-only connections of their own).
   * `chunk`: documents per message to a worker (consecutive chunks go to different workers).
   */
  constructor(home: string, readonly size = defaultWorkers(), private readonly chunk = CHUNK) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`workers: ${size}`);
    this.workers = Array.from({ length: size }, () => {
      const w = startWorker({ home });
      w.on('message', (m: { id: number; answers?: VerifyAnswer[]; error?: string }) => {
        const p = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (m.answers) p?.resolve(m.answers);
        else p?.reject(new Error(`verification worker: ${m.error}`));
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`verification worker exited with code ${code}`));
      });
      return w;
    });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
  }

  private run(worker: Worker, docs: Buffer[]): Promise<VerifyAnswer[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, docs } satisfies VerifyJob);
    });
  }

  /** The answers for `docs`, chunk by chunk in their order, while later chunks are being read. */
  async *answers(docs: Buffer[]): AsyncGenerator<VerifyAnswer[]> {
    const chunks: Buffer[][] = [];
    for (let i = 0; i < docs.length; i += this.chunk) chunks.push(docs.slice(i, i + this.chunk));
    const pending = new Map<number, Promise<VerifyAnswer[]>>();
    let submitted = 0;
    const submit = () => {
      while (submitted < chunks.length && pending.size * this.chunk < IN_FLIGHT_DOCS) {
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
 * `gate.checkInput` for every document, in order, with the reading and signature checks done by
 * `pool`'s workers. Decisions that are ready share a transaction (a group commit of up to `batch`);
 * `onOutcome` sees each outcome as it is decided.
 */
export async function checkWithWorkers(
  reg: Registry,
  gate: ServiceRequestGate,
  pool: VerifyPool,
  docs: { file: string; bytes: Buffer }[],
  actor: string,
  opts: { batch?: number; onOutcome?: (o: GateOutcome, index: number) => void } = {},
): Promise<GateOutcome[]> {
  const outcomes: GateOutcome[] = [];
  const batch = opts.batch ?? 500;
  let pendingAnswers: VerifyAnswer[] = [];
  const decide = () => {
    const first = outcomes.length;
    // Reported only once committed: a failure rolls the whole group back.
    const decided = reg.tx(() => pendingAnswers.map((a, k) => {
      const { file, bytes } = docs[first + k]!;
      return 'malformed' in a
        ? { file, decision: 'malformed' as const, reasons: [], warnings: [], error: a.malformed, recorded: false }
        : gate.checkInput(file, inputFromAnswer(a, bytes), actor);
    }));
    pendingAnswers = [];
    decided.forEach((o, k) => {
      outcomes.push(o);
      opts.onOutcome?.(o, first + k);
    });
  };
  for await (const answers of pool.answers(docs.map((d) => d.bytes))) {
    pendingAnswers.push(...answers);
    if (pendingAnswers.length >= batch) decide();
  }
  if (pendingAnswers.length) decide();
  return outcomes;
}
