// The Signer: the one thing that touches a private key. It signs bytes with its one key (ECDSA P-256
// with SHA-256) and does nothing else; what may be signed is decided by the components that hold it
// (IssuingAuthority, RootAuthority), which never hand it out. The encrypted file key is the default;
// a PKCS#11 token key (src/ca/pkcs11.ts) is the other implementation.
import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { InputError } from '../domain/errors.js';
import { sequence, unsignedInteger } from './asn1.js';
import { CaSigningWorkers } from './sign-pool.js';

/** 'der': Ecdsa-Sig-Value (X.509, CRLs, GBCS-free uses). 'raw': r || s, 64 octets (XMLDSig, RFC 4050). */
export type SignatureEncoding = 'der' | 'raw';

export interface Signer {
  /** SubjectPublicKeyInfo DER of the key. */
  readonly spkiDer: Buffer;
  /** Where the key lives, for messages: a file path or a pkcs11: URI. Never key material. */
  readonly label: string;
  /** ECDSA P-256 / SHA-256 signature over `data`. */
  sign(data: Buffer, encoding: SignatureEncoding): Buffer;
  /** Signing workers for batches of Organisation Certificates, where the key can be used by other threads (a file key; not a token key). */
  signingWorkers?(size?: number): CaSigningWorkers;
}

/** A decrypted key held in memory (a KeyObject: parsed once per process, not per signature). */
export class FileKeySigner implements Signer {
  readonly spkiDer: Buffer;
  constructor(
    private readonly key: KeyObject,
    readonly label: string,
  ) {
    if (key.type !== 'private' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new InputError(`${label}: not an ECDSA P-256 private key`);
    }
    this.spkiDer = createPublicKey(key).export({ format: 'der', type: 'spki' });
  }

  sign(data: Buffer, encoding: SignatureEncoding): Buffer {
    return sign('sha256', data, { key: this.key, dsaEncoding: encoding === 'raw' ? 'ieee-p1363' : 'der' });
  }

  /**
   * Worker threads of this process that sign Organisation Certificates with this key, each only after
   * building and linting it (src/ca/sign-pool.ts). The key object is cloned into them; it never leaves
   * the process and is never written anywhere.
   */
  signingWorkers(size?: number): CaSigningWorkers {
    return new CaSigningWorkers(this.key, this.label, size);
  }
}

/** r || s (32 + 32 octets, as CKM_ECDSA returns it) → DER Ecdsa-Sig-Value (minimal INTEGERs). */
export function rawSignatureToDer(raw: Buffer): Buffer {
  if (raw.length !== 64) throw new RangeError(`an ECDSA P-256 signature is 64 octets, not ${raw.length}`);
  return sequence(unsignedInteger(raw.subarray(0, 32)), unsignedInteger(raw.subarray(32)));
}
