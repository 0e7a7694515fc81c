// Signed statements (DESIGN.md "People act with keys"): every state change is a statement of the change,
// signed by the acting person's key and kept in the audit record that carries the change. Pure: the
// canonical form, and the check of a signature against a registered public key.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

export type SignerKind = 'operator' | 'officer';

export interface Statement {
  smki: 'statement/1';
  /** Who signs: an RA operator (--as) or an SRO/ARO (--officer-key). */
  signer: SignerKind;
  /** The signing key's ID (SHA-256 of its SubjectPublicKeyInfo, hex). */
  key: string;
  /** The audit action of the change (`solr.approve`), and what it is about (`SOLR-1`). */
  command: string;
  subject: string;
  /** The arguments that matter, as the command was given them. */
  args: Record<string, unknown>;
  /** When it was signed (ISO 8601). */
  at: string;
  /** The audit chain's head when it was signed: the change follows exactly this record. */
  after: { seq: number; hash: string };
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v as object).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => [k, sorted((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/** The canonical text that is signed: JSON with sorted keys and no whitespace, undefined members left out. */
export function canonicalStatement(s: Statement): string {
  return JSON.stringify(sorted(s));
}

/** A statement read back from an audit record; undefined when it is not one. */
export function parseStatement(text: string): Statement | undefined {
  try {
    const s = JSON.parse(text) as Partial<Statement>;
    if (s.smki !== 'statement/1' || (s.signer !== 'operator' && s.signer !== 'officer') || typeof s.key !== 'string' ||
        typeof s.command !== 'string' || typeof s.subject !== 'string' || typeof s.at !== 'string' ||
        typeof s.args !== 'object' || s.args === null || typeof s.after?.seq !== 'number' || typeof s.after?.hash !== 'string') return undefined;
    return canonicalStatement(s as Statement) === text ? (s as Statement) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Public keys already loaded, by their SPKI bytes (an officer signs a statement for every ten
 * requests of a batch; loading a key costs more than verifying with it). The SPKI given is always
 * the one the caller read, so a key edited in the registry is loaded as it now is.
 */
const loadedKeys = new Map<string, KeyObject>();
const KEYS_REMEMBERED = 64;

function publicKeyOf(spkiDer: Buffer): KeyObject {
  const id = spkiDer.toString('latin1');
  let key = loadedKeys.get(id);
  if (!key) {
    key = createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
    if (loadedKeys.size >= KEYS_REMEMBERED) loadedKeys.clear();
    loadedKeys.set(id, key);
  }
  return key;
}

/** Does `signature` (base64 DER ECDSA P-256/SHA-256) over `statement` verify with this SPKI? */
export function statementVerifies(spkiDer: Buffer, statement: string, signature: string): boolean {
  try {
    return verify('sha256', Buffer.from(statement, 'utf8'), { key: publicKeyOf(spkiDer), dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
