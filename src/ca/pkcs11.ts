// The PKCS#11 Signer: an ECDSA P-256 key inside a token (an HSM, or SoftHSM2 in tests) through
// pkcs11js, which is synchronous, so the issuance pipeline keeps its shape. The token signs a SHA-256
// digest with CKM_ECDSA and returns raw r||s: converted to DER for X.509 and CRLs, kept raw for
// XMLDSig. Modules and sessions are opened once per process and reused for every signature.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Pkcs11Js from 'pkcs11js';
import { InputError, WrongSecretError } from '../domain/errors.js';
import { OID, bitString, oid, sequence } from './asn1.js';
import { parsePkcs11Uri, type Pkcs11Uri } from './pkcs11-uri.js';
import { rawSignatureToDer, type SignatureEncoding, type Signer } from './signer.js';
import { onClose } from '../util/close-hooks.js';

type Lib = typeof Pkcs11Js;
type Handle = Buffer;

let lib: Lib | undefined;
function pkcs11js(): Lib {
  lib ??= createRequire(import.meta.url)('pkcs11js') as Lib;
  return lib;
}

/** DER of the prime256v1 OID: CKA_EC_PARAMS of a P-256 key. */
const P256_PARAMS = oid(OID.prime256v1);

interface Module {
  path: string;
  p11: Pkcs11Js.PKCS11;
  sessions: Map<string, Handle>;
}
const modules = new Map<string, Module>();

/** One line for a PKCS#11 failure: the CKR name and what was being done. */
function p11Error(what: string, e: unknown): InputError | WrongSecretError {
  const code = e instanceof Error ? e.message.split(/[\s:]/)[0] : String(e);
  // A PIN the token rejects is a wrong secret (exit 2), like a wrong passphrase.
  if (code === 'CKR_PIN_INCORRECT' || code === 'CKR_PIN_LEN_RANGE') return new WrongSecretError(`PKCS#11: wrong PIN ${what.replace(/^logging in to /, 'for ')} (${code})`);
  const hint: Record<string, string> = {
    CKR_PIN_LOCKED: 'the PIN is locked',
    CKR_MECHANISM_INVALID: 'the token does not offer this mechanism',
    CKR_TOKEN_NOT_PRESENT: 'the token is not present',
  };
  return new InputError(`PKCS#11: ${what}: ${hint[code ?? ''] ? `${hint[code!]} (${code})` : code}`);
}

function openModule(path: string): Module {
  const hit = modules.get(path);
  if (hit) return hit;
  const p11 = new (pkcs11js().PKCS11)();
  try {
    p11.load(path);
  } catch {
    throw new InputError(`PKCS#11: cannot load the module ${path}`);
  }
  try {
    p11.C_Initialize();
  } catch (e) {
    if (!(e instanceof Error && e.message.startsWith('CKR_CRYPTOKI_ALREADY_INITIALIZED'))) throw p11Error(`initialising ${path}`, e);
  }
  const m = { path, p11, sessions: new Map<string, Handle>() };
  modules.set(path, m);
  return m;
}

/** Closes every session and finalises every module this process opened (end of a command). */
export function closePkcs11(): void {
  for (const m of modules.values()) {
    for (const s of m.sessions.values()) {
      try { m.p11.C_CloseSession(s); } catch { /* already closed */ }
    }
    try { m.p11.C_Finalize(); } catch { /* not initialised */ }
    try { m.p11.close(); } catch { /* not loaded */ }
  }
  modules.clear();
}
onClose(closePkcs11);

function findSlot(m: Module, uri: Pkcs11Uri): Handle {
  const slots = m.p11.C_GetSlotList(true);
  for (const slot of slots) {
    const info = m.p11.C_GetTokenInfo(slot);
    if (uri.token !== undefined && info.label.trim() !== uri.token) continue;
    if (uri.serial !== undefined && info.serialNumber.trim() !== uri.serial) continue;
    return slot;
  }
  throw new InputError(`PKCS#11: no token${uri.token !== undefined ? ` labelled '${uri.token}'` : ''} in ${m.path}`);
}

/** A logged-in read-write session on the token the URI names, reused within the process. */
function session(m: Module, uri: Pkcs11Uri, pin: () => Buffer): { slot: Handle; session: Handle } {
  const slot = findSlot(m, uri);
  const key = slot.toString('hex');
  const open = m.sessions.get(key);
  if (open) return { slot, session: open };
  const p = pkcs11js();
  let s: Handle;
  try {
    s = m.p11.C_OpenSession(slot, p.CKF_SERIAL_SESSION | p.CKF_RW_SESSION);
  } catch (e) {
    throw p11Error('opening a session', e);
  }
  try {
    m.p11.C_Login(s, p.CKU_USER, pin().toString('utf8'));
  } catch (e) {
    if (!(e instanceof Error && e.message.startsWith('CKR_USER_ALREADY_LOGGED_IN'))) {
      m.p11.C_CloseSession(s);
      throw p11Error(`logging in to token '${uri.token ?? ''}'`, e);
    }
  }
  m.sessions.set(key, s);
  return { slot, session: s };
}

function findObjects(m: Module, s: Handle, template: Pkcs11Js.Template): Handle[] {
  m.p11.C_FindObjectsInit(s, template);
  try {
    return m.p11.C_FindObjects(s, 16);
  } finally {
    m.p11.C_FindObjectsFinal(s);
  }
}

function selector(uri: Pkcs11Uri, cls: number): Pkcs11Js.Template {
  const p = pkcs11js();
  const t: Pkcs11Js.Template = [{ type: p.CKA_CLASS, value: cls }];
  if (uri.object !== undefined) t.push({ type: p.CKA_LABEL, value: uri.object });
  if (uri.id !== undefined) t.push({ type: p.CKA_ID, value: uri.id });
  return t;
}

/** SubjectPublicKeyInfo of a P-256 public key from its CKA_EC_POINT (DER OCTET STRING or the raw point). */
function spkiFromEcPoint(ecPoint: Buffer): Buffer {
  const point = ecPoint[0] === 0x04 && ecPoint.length === 67 && ecPoint[1] === 65 ? ecPoint.subarray(2) : ecPoint;
  if (point.length !== 65 || point[0] !== 0x04) throw new InputError('PKCS#11: the public key is not an uncompressed P-256 point');
  return sequence(sequence(oid(OID.ecPublicKey), P256_PARAMS), bitString(point));
}

/** A CK_ULONG attribute value (8 octets on 64-bit platforms, 4 elsewhere), little-endian. */
function ulong(b: Buffer): number {
  return b.length >= 8 ? Number(b.readBigUInt64LE(0)) : b.readUInt32LE(0);
}

/** The names of the mechanisms a token lacks, from its C_GetMechanismList. Pure. */
export function missingMechanisms(available: readonly number[], needed: readonly ('CKM_ECDSA' | 'CKM_EC_KEY_PAIR_GEN')[]): string[] {
  const codes = { CKM_ECDSA: 0x1041, CKM_EC_KEY_PAIR_GEN: 0x1040 } as const;
  return needed.filter((n) => !available.includes(codes[n]));
}

function requireMechanisms(m: Module, slot: Handle, token: string | undefined, needed: readonly ('CKM_ECDSA' | 'CKM_EC_KEY_PAIR_GEN')[]): void {
  const missing = missingMechanisms(m.p11.C_GetMechanismList(slot), needed);
  if (missing.length) throw new InputError(`PKCS#11: token '${token ?? ''}' does not offer ${missing.join(' and ')}`);
}

export interface Pkcs11KeyRef {
  /** The module (shared library) path. */
  module: string;
  uri: string;
  /** Asked for only when the token needs a login in this process. */
  pin: () => Buffer;
}

/** A token key as a Signer. Fails with one line (exit 4) when the token, key or mechanism is missing or the PIN is wrong. */
export class Pkcs11Signer implements Signer {
  readonly spkiDer: Buffer;
  readonly label: string;
  private readonly m: Module;
  private readonly session: Handle;
  private readonly key: Handle;

  constructor(ref: Pkcs11KeyRef) {
    const uri = parsePkcs11Uri(ref.uri);
    this.label = ref.uri;
    this.m = openModule(uri.modulePath ?? ref.module);
    const p = pkcs11js();
    const { slot, session: s } = session(this.m, uri, ref.pin);
    this.session = s;
    requireMechanisms(this.m, slot, uri.token, ['CKM_ECDSA']);
    const keys = findObjects(this.m, s, selector(uri, p.CKO_PRIVATE_KEY));
    if (keys.length === 0) throw new InputError(`PKCS#11: no private key ${ref.uri} in the token`);
    if (keys.length > 1) throw new InputError(`PKCS#11: ${ref.uri} names ${keys.length} private keys; add id= or a unique object=`);
    this.key = keys[0]!;
    const [type, params] = this.m.p11.C_GetAttributeValue(s, this.key, [{ type: p.CKA_KEY_TYPE }, { type: p.CKA_EC_PARAMS }]);
    if (ulong(type!.value as Buffer) !== p.CKK_EC || !P256_PARAMS.equals(params!.value as Buffer)) {
      throw new InputError(`PKCS#11: ${ref.uri} is not an ECDSA P-256 key`);
    }
    const pubs = findObjects(this.m, s, selector(uri, p.CKO_PUBLIC_KEY));
    if (pubs.length !== 1) throw new InputError(`PKCS#11: the public key of ${ref.uri} is not in the token (object with the same label/id)`);
    const [point] = this.m.p11.C_GetAttributeValue(s, pubs[0]!, [{ type: p.CKA_EC_POINT }]);
    this.spkiDer = spkiFromEcPoint(point!.value as Buffer);
  }

  sign(data: Buffer, encoding: SignatureEncoding): Buffer {
    const digest = createHash('sha256').update(data).digest();
    let raw: Buffer;
    try {
      this.m.p11.C_SignInit(this.session, { mechanism: pkcs11js().CKM_ECDSA }, this.key);
      raw = Buffer.from(this.m.p11.C_Sign(this.session, digest, Buffer.alloc(64)));
    } catch (e) {
      throw p11Error(`signing with ${this.label}`, e);
    }
    return encoding === 'raw' ? raw : rawSignatureToDer(raw);
  }
}

/**
 * Key ceremony: a P-256 key pair generated inside the token, the private key CKA_SENSITIVE,
 * !CKA_EXTRACTABLE, CKA_PRIVATE, CKA_TOKEN. Refuses a label already in use. Returns the key as a Signer.
 */
export function generateTokenKey(ref: Pkcs11KeyRef): Pkcs11Signer {
  const uri = parsePkcs11Uri(ref.uri);
  const m = openModule(uri.modulePath ?? ref.module);
  const p = pkcs11js();
  const { slot, session: s } = session(m, uri, ref.pin);
  requireMechanisms(m, slot, uri.token, ['CKM_EC_KEY_PAIR_GEN', 'CKM_ECDSA']);
  if (findObjects(m, s, selector(uri, p.CKO_PRIVATE_KEY)).length > 0) throw new InputError(`PKCS#11: the token already holds a key ${ref.uri}; smki never replaces a key`);
  const label = uri.object ?? uri.id!.toString('hex');
  const id = uri.id ?? createHash('sha256').update(label).digest().subarray(0, 8);
  try {
    m.p11.C_GenerateKeyPair(
      s,
      { mechanism: p.CKM_EC_KEY_PAIR_GEN },
      [
        { type: p.CKA_TOKEN, value: true },
        { type: p.CKA_VERIFY, value: true },
        { type: p.CKA_EC_PARAMS, value: P256_PARAMS },
        { type: p.CKA_LABEL, value: label },
        { type: p.CKA_ID, value: id },
      ],
      [
        { type: p.CKA_TOKEN, value: true },
        { type: p.CKA_PRIVATE, value: true },
        { type: p.CKA_SENSITIVE, value: true },
        { type: p.CKA_EXTRACTABLE, value: false },
        { type: p.CKA_SIGN, value: true },
        { type: p.CKA_DECRYPT, value: false },
        { type: p.CKA_UNWRAP, value: false },
        { type: p.CKA_DERIVE, value: false },
        { type: p.CKA_LABEL, value: label },
        { type: p.CKA_ID, value: id },
      ],
    );
  } catch (e) {
    throw p11Error(`generating ${ref.uri}`, e);
  }
  return new Pkcs11Signer(ref);
}
