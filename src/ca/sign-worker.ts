// A CA signing worker (src/ca/sign-pool.ts): the Issuing OCA's file key, handed over by its
// FileKeySigner, signs Organisation Certificates the CA's thread has already checked from its own
// facts. For each order it builds the TBSCertificate, lints those exact bytes against the CA's
// expectations and signs them only if lint finds nothing (buildLintSign). It reads no registry and
// signs nothing else.
import type { KeyObject } from 'node:crypto';
import { workerData } from 'node:worker_threads';
import { serveSync } from '../util/worker-pool.js';
import { buildLintSign, reviveOrder, type SignOrder, type SignResult } from './organisation-signing.js';
import { FileKeySigner } from './signer.js';

const { key, label } = workerData as { key: KeyObject; label: string };
const signer = new FileKeySigner(key, label);

serveSync((order: SignOrder): SignResult => buildLintSign(reviveOrder(order), (tbs) => signer.sign(tbs, 'der')));
