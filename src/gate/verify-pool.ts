// The gate on more than one core: worker threads (src/gate/verify-worker.ts) parse the DUIS documents
// and check their signatures (XML parse, C14N, ECDSA), while every decision and every commit stays in
// this thread, one document after another in the order given, inside the registry's transaction
// (ServiceRequestGate.checkInput). A worker's answer binds each signature result to the certificate it
// used (SHA-256 of the DER); the gate uses it only for the certificate it looked up itself inside the
// transaction, and checks the signature here for any other. Two workers therefore cannot both pass a
// replay check or an ADT window: they never decide.
import { createHash } from 'node:crypto';
import { InputError } from '../domain/errors.js';
import { INPUT_LIMITS, readInputFile } from '../util/read-input.js';
import type { CertificateRecord } from '../registry/certificates.js';
import { parseDuisRequest, type DuisRequest, type ParsedDuisRequest } from './duis.js';
import type { GateInput, GateOutcome, ServiceRequestGate } from './gate.js';
import { verifyGbcsSignature } from './gbcs.js';
import { asBuffer, helperWorkers, WorkerPool } from '../util/worker-pool.js';
import { verifyEnveloped, type VerifyResult } from './xml/dsig.js';

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

const digests = new WeakMap<CertificateRecord, string>();
/** SHA-256 of a certificate's DER, hex (remembered for the record object the gate holds). */
export function certificateDigest(c: CertificateRecord): string {
  let d = digests.get(c);
  if (d === undefined) digests.set(c, (d = createHash('sha256').update(c.der).digest('hex')));
  return d;
}

/** A structured clone turns Buffers into Uint8Arrays: the request as parseDuisRequest returns it. */
function revive(r: DuisRequest): DuisRequest {
  if (r.body.kind !== 'SignedPreCommand') return r;
  return { ...r, body: { ...r.body, gbcsPayload: asBuffer(r.body.gbcsPayload) } };
}

/** What checkGroup reads for one worker's answer: its input, or the malformed outcome the worker found. */
export function answerInput(file: string, answer: VerifyAnswer, bytes: Buffer | (() => Buffer)): GateInput | GateOutcome {
  return 'malformed' in answer
    ? { file, decision: 'malformed', reasons: [], warnings: [], error: answer.malformed, recorded: false }
    : inputFromAnswer(answer, bytes);
}

/** The gate's input from a worker's answer; a certificate the worker did not use is checked here. */
export function inputFromAnswer(answer: Exclude<VerifyAnswer, { malformed: string }>, bytes: Buffer | (() => Buffer)): GateInput {
  const xml = new Map(answer.xml);
  const gbcs = new Map(answer.gbcs);
  let parsed: ParsedDuisRequest | undefined;
  return {
    request: revive(answer.request),
    signer: answer.signer,
    docSha256: answer.docSha256,
    verifyXml: (cert, key) => {
      const known = xml.get(certificateDigest(cert));
      if (known) return known;
      parsed ??= parseDuisRequest(typeof bytes === 'function' ? bytes() : bytes);
      return verifyEnveloped(parsed.doc, key(), parsed.signature);
    },
    verifyGbcs: (message, cert, key) => gbcs.get(certificateDigest(cert)) ?? verifyGbcsSignature(message, key()),
  };
}

/** Worker threads that read DUIS documents and check their signatures for the gate (src/gate/verify-worker.ts). */
/** A document to read: its bytes, or a file the worker reads itself (this thread then reads it only if it must check a signature itself). */
export type VerifyItem = { file: string; bytes: Buffer } | { file: string; path: string };

export class VerifyPool extends WorkerPool<Uint8Array | { path: string }, VerifyAnswer> {
  /**
   * `home`: the CA home the workers read certificates from (read-only connections of their own).
   * `chunk`: documents per message to a worker (consecutive chunks go to different workers).
   */
  constructor(home: string, size = helperWorkers(), chunk = 32) {
    super(import.meta.url, 'verify-worker', { home }, size, chunk);
  }

  /**
   * A worker reads a path as a file: `-` (stdin, which only this thread can read, and which `sr check`
   * reads itself) is refused here, before anything is sent, rather than read as a file named `-`.
   */
  override answers(items: (Uint8Array | { path: string })[]): AsyncGenerator<VerifyAnswer[]> {
    if (items.some((d) => !(d instanceof Uint8Array) && d.path === STDIN)) throw new InputError(`verification workers read files: '${STDIN}' (stdin) is read by the deciding thread, not by a worker`);
    return super.answers(items);
  }
}

/** What `sr check` takes for stdin. */
export const STDIN = '-';

/**
 * `gate.checkInput` for every document, in order, with the reading and signature checks done by
 * `pool`'s workers. Decisions that are ready share a transaction (a group commit of up to `batch`);
 * `onOutcome` sees each outcome as it is decided.
 */
export async function checkWithWorkers(
  gate: ServiceRequestGate,
  pool: VerifyPool,
  docs: VerifyItem[],
  actor: string,
  opts: { batch?: number; onOutcome?: (o: GateOutcome, index: number) => void } = {},
): Promise<GateOutcome[]> {
  const outcomes: GateOutcome[] = [];
  const batch = opts.batch ?? 500;
  let pendingAnswers: VerifyAnswer[] = [];
  const decide = () => {
    const first = outcomes.length;
    // Reported only once committed: a failure rolls the whole group back.
    const decided = gate.checkGroup(pendingAnswers.map((a, k) => {
      const d = docs[first + k]!;
      const file = d.file;
      const bytes = 'bytes' in d ? d.bytes : () => readInputFile(d.path, 'FILE', INPUT_LIMITS.duis);
      return { file, read: () => answerInput(file, a, bytes) };
    }), actor);
    pendingAnswers = [];
    decided.forEach((o, k) => {
      outcomes.push(o);
      opts.onOutcome?.(o, first + k);
    });
  };
  for await (const answers of pool.answers(docs.map((d) => ('bytes' in d ? d.bytes : { path: d.path })))) {
    pendingAnswers.push(...answers);
    if (pendingAnswers.length >= batch) decide();
  }
  if (pendingAnswers.length) decide();
  return outcomes;
}
