// One verification worker of the gate (src/gate/verify-pool.ts): parses DUIS documents, finds the
// certificates a signature names in its own read-only connection to the registry, and checks the XML
// and General-Signing signatures against them. It decides nothing and writes nothing: each answer says
// which certificate (by the SHA-256 of its DER) a signature was checked with, and the gate uses an
// answer only for the very certificate it looked up itself.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { INPUT_LIMITS, readInputFile } from '../util/read-input.js';
import { workerData } from 'node:worker_threads';
import { InputError } from '../domain/errors.js';
import type { Eui64 } from '../domain/eui.js';
import { findCertificate, listCertificates, type CertificateRecord } from '../registry/certificates.js';
import { homePaths } from '../registry/home.js';
import { Registry } from '../registry/registry.js';
import { readOrganisationCertificate } from '../ca/organisation-certificate.js';
import { parseDuisRequest } from './duis.js';
import { parseGeneralSigning, verifyGbcsSignature } from './gbcs.js';
import { asBuffer, serveChunks } from '../util/worker-pool.js';
import { certificateDigest, STDIN, type VerifyAnswer } from './verify-pool.js';
import { verifyEnveloped } from './xml/dsig.js';

const { home } = workerData as { home: string };
let reg: Registry | undefined;
/**
 * A home on PostgreSQL: libpq's native binding loads in one thread of a process only (it is not
 * context-aware), and the deciding thread has it. Here the workers read and parse the documents, and
 * the deciding thread checks every signature against the certificate it looks up itself.
 */
const ON_POSTGRES = existsSync(homePaths(home).database);
const keys = new Map<string, { digest: string; key: KeyObject }>();

/**
 * Which certificates to try, remembered for a second: a stale answer costs only speed, since the
 * gate uses a result only for the certificate it finds itself and checks any other one itself.
 */
const recent = new Map<string, { at: number; value: unknown }>();
function remembered<T>(key: string, read: () => T): T {
  const now = Date.now();
  const hit = recent.get(key);
  if (hit && now - hit.at < 1000) return hit.value as T;
  const value = read();
  recent.set(key, { at: now, value });
  return value;
}

function keyOf(c: CertificateRecord): { digest: string; key: KeyObject } {
  const digest = certificateDigest(c);
  let k = keys.get(c.serial);
  if (!k || k.digest !== digest) {
    k = { digest, key: createPublicKey({ key: readOrganisationCertificate(c.der).spkiDer, format: 'der', type: 'spki' }) };
    keys.set(c.serial, k);
  }
  return k;
}

function read(bytes: Buffer): VerifyAnswer {
  let parsed;
  try {
    parsed = parseDuisRequest(bytes);
  } catch (e) {
    if (e instanceof InputError) return { malformed: e.message.split('\n')[0]! };
    throw e;
  }
  const answer: VerifyAnswer = {
    request: parsed.request,
    signer: { serialHex: parsed.signature.serialHex, issuerName: parsed.signature.issuerName },
    docSha256: createHash('sha256').update(bytes).digest('hex'),
    xml: [],
    gbcs: [],
  };
  // No certificate named: the deciding thread checks the signatures itself (see ON_POSTGRES).
  if (ON_POSTGRES) return answer;
  const db = (reg ??= Registry.open(home, { readonly: true }));
  const cert = remembered(`cert:${parsed.signature.serialHex}`, () => findCertificate(db, parsed.signature.serialHex));
  if (cert) {
    const k = keyOf(cert);
    answer.xml.push([k.digest, verifyEnveloped(parsed.doc, k.key, parsed.signature)]);
  }
  const body = parsed.request.body;
  if (body.kind === 'SignedPreCommand') {
    try {
      const message = parseGeneralSigning(body.gbcsPayload);
      // The candidates the gate tries, in its order, up to the first that verifies.
      const ds = remembered(`ds:${message.originator}`, () => listCertificates(db, { userIds: [message.originator as Eui64] }).filter((c) => c.keyUsage === 'digitalSignature' && c.roleOu !== '87'));
      for (const c of ds) {
        const k = keyOf(c);
        const ok = message.signatureForm === 'present' && verifyGbcsSignature(message, k.key);
        answer.gbcs.push([k.digest, ok]);
        if (ok) break;
      }
    } catch {
      // Unreadable General-Signing content: the gate reads it again and records why.
    }
  }
  return answer;
}

serveChunks((doc: Uint8Array | { path: string }) => {
  if (!('path' in doc)) return read(asBuffer(doc));
  // Never a file named '-': stdin is the deciding thread's (VerifyPool refuses it before sending).
  if (doc.path === STDIN) return { malformed: `'${STDIN}' (stdin) is not read by a verification worker` };
  let bytes: Buffer;
  try {
    // Within the DUIS size limit, a regular file only (src/util/read-input.ts), as sr check reads.
    bytes = readInputFile(doc.path, 'FILE', INPUT_LIMITS.duis);
  } catch (e) {
    return { malformed: (e as Error).message.split('\n')[0]! };
  }
  return read(bytes);
});
