// Every file and stdin input smki reads goes through here, with its size limit enforced while reading:
// a 500 MB file is refused from its size before a byte is read, /dev/zero and FIFOs are refused
// without blocking (opened non-blocking, then fstat: only regular files are read), a file growing
// while it is read stops at the limit, and stdin stops at the limit too. Each failure is one InputError
// line (exit 4) naming the flag and the path.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../domain/errors.js';

/** The largest input of each kind smki reads (bytes). */
export const INPUT_LIMITS = {
  /** A certificate, CSR, public or private key: PEM or DER (a few KB at most). */
  pem: 64 * 1024,
  /** A passphrase or PIN file (its first line is used). */
  secret: 4 * 1024,
  /** A PEM chain of CA certificates (trust anchors). */
  chain: 1024 * 1024,
  /** A DUIS request or alert: the XML parser's own bound (src/gate/xml/parse.ts DEFAULT_XML_LIMITS). */
  duis: 1024 * 1024,
  /** An onboarding plan (YAML or JSON). */
  plan: 4 * 1024 * 1024,
  /** An ADT file (one row per Service Reference Variant, at most 1,000 rows). */
  adt: 1024 * 1024,
  /** A device file: about 6 million rows (a million rows are about 42 MB). */
  devices: 256 * 1024 * 1024,
  /** An audit anchor (small JSON). */
  anchor: 64 * 1024,
} as const;

const CHUNK = 1024 * 1024;

function size(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toLocaleString('en-GB', { maximumFractionDigits: 1 })} MiB`;
  if (n >= 1024) return `${(n / 1024).toLocaleString('en-GB', { maximumFractionDigits: 1 })} KiB`;
  return `${n} bytes`;
}

function tooLarge(what: string, path: string, limit: number, actual?: number): InputError {
  return new InputError(`${what}: ${path} is ${actual === undefined ? '' : `${size(actual)}, `}larger than the limit of ${size(limit)} for this input`);
}

/** An input that could not be opened or read at all; `code` is the system's word for why (ENOENT, EACCES...). */
export class UnreadableInput extends InputError {
  constructor(what: string, path: string, readonly code: string) {
    super(`${what}: cannot read ${path} (${code})`);
  }
}

function cannotRead(what: string, path: string, e: unknown): InputError {
  return new UnreadableInput(what, path, (e as NodeJS.ErrnoException).code ?? (e as Error).message ?? 'error');
}

/**
 * Opens `path` as a regular file of at most `limit` bytes, or throws InputError. Opened non-blocking
 * (a FIFO with no writer does not hang the open) and checked on the open descriptor (no race with a
 * path swapped after a stat): a FIFO, socket, device or folder is refused, as is a file over the limit.
 */
export function openInputFile(path: string, what: string, limit: number): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw cannotRead(what, path, e);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new InputError(`${what}: ${path} is a folder, not a file`);
    if (!st.isFile()) throw new InputError(`${what}: ${path} is not a regular file (a FIFO, socket or device is not read)`);
    if (st.size > limit) throw tooLarge(what, path, limit, st.size);
    return { fd, size: st.size };
  } catch (e) {
    closeSync(fd);
    throw e instanceof InputError ? e : cannotRead(what, path, e);
  }
}

/** The whole of a regular file of at most `limit` bytes (enforced while reading too: it may grow). */
export function readInputFile(path: string, what: string, limit: number): Buffer {
  const { fd } = openInputFile(path, what, limit);
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // Never more than one byte past the limit is asked for.
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1 - total));
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        throw cannotRead(what, path, e);
      }
      if (n === 0) break;
      total += n;
      if (total > limit) throw tooLarge(what, path, limit);
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** A text file (UTF-8) of at most `limit` bytes. */
export function readInputText(path: string, what: string, limit: number): string {
  return readInputFile(path, what, limit).toString('utf8');
}

/**
 * All of a stream (stdin) up to `limit` bytes; past it the stream is destroyed (nothing more is
 * read) and an InputError names it. An endless stdin ends as soon as the limit is passed.
 */
export function readInputStream(stream: NodeJS.ReadableStream, what: string, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const finish = (e?: Error): void => {
      if (settled) return;
      settled = true;
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
      if (e) {
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        reject(e);
      } else resolve(Buffer.concat(chunks, total));
    };
    const onData = (c: Buffer | string): void => {
      const b = typeof c === 'string' ? Buffer.from(c) : c;
      total += b.length;
      if (total > limit) finish(new InputError(`${what}: more than the limit of ${size(limit)} for this input`));
      else chunks.push(b);
    };
    const onEnd = (): void => finish();
    const onError = (e: Error): void => finish(cannotRead(what, 'stdin', e));
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.resume();
  });
}
