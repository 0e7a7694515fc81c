// One verification worker of the gate (src/gate/verify-pool.ts): parses DUIS documents, finds the
// certificates a signature names in its own read-only connection to the registry, and checks the XML
// and General-Signing signatures against them. It decides nothing and writes nothing: each answer says
// which certificate (by the SHA-256 of its DER) a signature was checked with, and the gate uses an
// answer only for the very certificate it looked up itself.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { InputError } from '../domain/errors.js';
import type { Eui64 } from '../domain/eui.js';
import { findCertificate, listCertificates, type CertificateRecord } from '../registry/certificates.js';
import { Registry } from '../registry/registry.js';
import { readOrganisationCertificate } from '../ca/organisation-certificate.js';
import { parseDuisRequest } from './duis.js';
import { parseGeneralSigning, verifyGbcsSignature } from './gbcs.js';
import { certificateDigest, type VerifyAnswer, type VerifyJob } from './verify-pool.js';
import { verifyEnveloped } from './xml/dsig.js';

const { home } = workerData as { home: string };
let reg: Registry | undefined;
const keys = new Map<string, { digest: string; key: KeyObject }>();

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
  reg ??= Registry.open(home, { readonly: true });
  const answer: VerifyAnswer = {
    request: parsed.request,
    signer: { serialHex: parsed.signature.serialHex, issuerName: parsed.signature.issuerName },
    docSha256: createHash('sha256').update(bytes).digest('hex'),
    xml: [],
    gbcs: [],
  };
  const cert = findCertificate(reg, parsed.signature.serialHex);
  if (cert) {
    const k = keyOf(cert);
    answer.xml.push([k.digest, verifyEnveloped(parsed.doc, k.key)]);
  }
  const body = parsed.request.body;
  if (body.kind === 'SignedPreCommand') {
    try {
      const message = parseGeneralSigning(body.gbcsPayload);
      // The candidates the gate tries, in its order, up to the first that verifies.
      const ds = listCertificates(reg, { userIds: [message.originator as Eui64] }).filter((c) => c.keyUsage === 'digitalSignature' && c.roleOu !== '87');
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

parentPort!.on('message', (job: VerifyJob) => {
  try {
    parentPort!.postMessage({ id: job.id, answers: job.docs.map((d) => read(Buffer.from(d.buffer, d.byteOffset, d.byteLength))) });
  } catch (e) {
    parentPort!.postMessage({ id: job.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
});
