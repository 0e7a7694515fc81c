// PEM (RFC 7468) in and out, and the "DER or PEM or bare base64" input rule of every reader in src/ca.
import { InputError } from '../domain/errors.js';

/** RFC 7468 text: the label lines and base64 in 64-character lines, ending with a line break. */
export function toPem(der: Buffer, label: string): string {
  const b64 = der.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export const certificateToPem = (der: Buffer): string => toPem(der, 'CERTIFICATE');

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const LABEL = /^[A-Z0-9 ]+$/;

interface PemBlock {
  begin: string;
  body: string;
  end: string;
}

/**
 * The PEM blocks of `text`, in order: each BEGIN line's label, the body up to the first END line after
 * it, and that END's label. Linear in the text (every search starts where the last one ended), so
 * 80,000 BEGIN lines without an END cost one pass, not 80,000.
 */
function* pemBlocks(text: string): Generator<PemBlock> {
  let pos = 0;
  for (;;) {
    const b = text.indexOf('-----BEGIN ', pos);
    if (b < 0) return;
    const labelEnd = text.indexOf('-----', b + 11);
    if (labelEnd < 0) return;
    const begin = text.slice(b + 11, labelEnd);
    if (!LABEL.test(begin)) {
      pos = b + 11;
      continue;
    }
    // The first END line with a well-formed label closes the block; none at all: no block follows.
    let e = labelEnd + 5;
    for (;;) {
      e = text.indexOf('-----END ', e);
      if (e < 0) return;
      const endLabelEnd = text.indexOf('-----', e + 9);
      if (endLabelEnd < 0) return;
      const end = text.slice(e + 9, endLabelEnd);
      if (LABEL.test(end)) {
        yield { begin, body: text.slice(labelEnd + 5, e), end };
        pos = endLabelEnd + 5;
        break;
      }
      e += 9;
    }
  }
}

function decodeBase64(body: string, what: string): Buffer {
  const compact = body.replace(/\s+/g, '');
  if (compact.length === 0) throw new InputError(`${what}: empty PEM body`);
  if (!B64.test(compact) || compact.length % 4 === 1) throw new InputError(`${what}: PEM body is not base64`);
  return Buffer.from(compact, 'base64');
}

/** The DER of the first PEM block whose label is one of `labels`; InputError naming what was found. */
export function fromPem(text: string, labels: readonly string[], what: string): Buffer {
  const found: string[] = [];
  for (const { begin, body, end } of pemBlocks(text)) {
    if (begin !== end) throw new InputError(`${what}: PEM BEGIN '${begin}' does not match END '${end}'`);
    if (labels.includes(begin)) {
      if (/^[A-Za-z-]+:/m.test(body)) throw new InputError(`${what}: PEM with headers (encrypted?) is not supported`);
      return decodeBase64(body, what);
    }
    found.push(begin);
  }
  if (found.length > 0) throw new InputError(`${what}: expected PEM '${labels[0]}', found '${found[0]}'`);
  if (text.includes('-----BEGIN')) throw new InputError(`${what}: truncated PEM (no matching END line)`);
  throw new InputError(`${what}: not PEM`);
}

/** The DER of every PEM block with one of `labels`, in file order (a certificate chain); at least one. */
export function allFromPem(text: string, labels: readonly string[], what: string): Buffer[] {
  const out: Buffer[] = [];
  for (const { begin, body, end } of pemBlocks(text)) {
    if (begin !== end) throw new InputError(`${what}: PEM BEGIN '${begin}' does not match END '${end}'`);
    if (!labels.includes(begin)) throw new InputError(`${what}: expected PEM '${labels[0]}' blocks only, found '${begin}'`);
    if (/^[A-Za-z-]+:/m.test(body)) throw new InputError(`${what}: PEM with headers is not supported`);
    out.push(decodeBase64(body, what));
  }
  if (out.length === 0) return [fromPem(text, labels, what)];
  return out;
}

/**
 * Accepts DER (a Buffer starting with a SEQUENCE), PEM with one of `labels`, or bare base64 (as
 * in SMKI CertificateBody or XMLDSig X509Certificate). Only the framing is checked here.
 */
export function derFromInput(input: Buffer | string, labels: readonly string[], what: string): Buffer {
  if (Buffer.isBuffer(input)) {
    if (input.length === 0) throw new InputError(`${what}: empty input`);
    if (input[0] === 0x30) return input;
    input = input.toString('latin1');
  }
  if (typeof input !== 'string') throw new InputError(`${what}: expected DER or PEM`);
  const text = input.trim();
  if (text.length === 0) throw new InputError(`${what}: empty input`);
  if (text.includes('-----')) return fromPem(text, labels, what);
  const compact = text.replace(/\s+/g, '');
  if (B64.test(compact) && compact.length % 4 !== 1) {
    const der = Buffer.from(compact, 'base64');
    if (der[0] === 0x30) return der;
  }
  throw new InputError(`${what}: neither DER, PEM nor base64 DER`);
}
