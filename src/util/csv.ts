// A streaming CSV reader over a file (RFC 4180 fields), for inputs too large to hold in memory.
//
// - Reads with an fs stream; only the current chunk and one unfinished line are ever held.
// - Strict UTF-8: every complete line is decoded with a fatal TextDecoder; the first byte that is not
//   UTF-8 stops the read with an error naming its line. (0x0A never occurs inside a multi-byte UTF-8
//   sequence, so cutting the byte stream at LF before decoding is exact.) A leading BOM is dropped.
// - Lines end in LF or CRLF; a last line without an end is read too.
// - Fields: comma-separated; a field may be quoted ("..."), with "" for a quote inside it. A quoted
//   field that spans lines is not supported (the formats read with this never need one): such a line,
//   like any other broken quoting, is malformed.
// - The header is a row like any other: the caller checks it.
import { createReadStream } from 'node:fs';
import { openInputFile, UnreadableInput } from './read-input.js';
import { InputError } from '../domain/errors.js';

export interface CsvRow {
  /** 1-based line number in the file. */
  line: number;
  fields: string[];
}

export interface CsvOptions {
  /** Called with every chunk of raw bytes as it is read (hashing, byte progress). */
  onChunk?: (bytes: Buffer) => void;
  /**
   * Called for a line whose quoting is broken; the line is then skipped and reading goes on. Without
   * it such a line ends the read with a CsvError. Invalid UTF-8 always ends the read.
   */
  onMalformed?: (line: number, problem: string) => void;
  /** Skip lines that are completely empty (default true); their numbers still count. */
  skipEmptyLines?: boolean;
  /** Longest line accepted, in bytes (default 1 MiB): bounds memory on a file without line ends. */
  maxLineBytes?: number;
  /** Read size (default 1 MiB). */
  chunkBytes?: number;
  /** Name used in error messages (default: the path). */
  name?: string;
  /** Largest file accepted, in bytes (src/util/read-input.ts INPUT_LIMITS): checked before reading and while reading. */
  maxBytes?: number;
}

/** Malformed CSV or non-UTF-8 content at a known line: exit 4. */
export class CsvError extends InputError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${file} line ${line}: ${problem}`);
    this.name = 'CsvError';
  }
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/** Splits one line (no line end) into fields; returns a string describing the problem if quoting is broken. */
export function parseCsvLine(text: string): string[] | string {
  if (text.indexOf('"') === -1) return text.split(',');
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (text.charCodeAt(i) === QUOTE) {
      // Quoted field: up to the closing quote, "" being a literal quote.
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) return `field ${fields.length + 1}: a quoted field is not closed on this line (quoted fields may not span lines)`;
        value += text.slice(j, q);
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === n) return fields;
      if (text[i] !== ',') return `field ${fields.length}: unexpected text after the closing quote`;
      i++;
    } else {
      const comma = text.indexOf(',', i);
      const end = comma === -1 ? n : comma;
      const value = text.slice(i, end);
      if (value.indexOf('"') !== -1) return `field ${fields.length + 1}: a quote inside an unquoted field (quote the whole field and double the quote)`;
      fields.push(value);
      if (comma === -1) return fields;
      i = comma + 1;
    }
    if (i === n) {
      fields.push('');
      return fields;
    }
  }
}

/** Reads `path` row by row. Errors: CsvError (line-precise), InputError (unreadable file). */
export async function* readCsv(path: string, opts: CsvOptions = {}): AsyncGenerator<CsvRow> {
  const name = opts.name ?? path;
  const maxLine = opts.maxLineBytes ?? 1024 * 1024;
  const skipEmpty = opts.skipEmptyLines ?? true;
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let lineNo = 0;
  let carry: Buffer | null = null;
  let first = true;

  function decode(bytes: Buffer, firstLine: number): string {
    try {
      return decoder.decode(bytes);
    } catch {
      // Find the line that holds the bad byte: decode the lines of this block one at a time.
      let start = 0;
      let line = firstLine;
      for (;;) {
        const lf = bytes.indexOf(LF, start);
        const end = lf === -1 ? bytes.length : lf;
        try {
          decoder.decode(bytes.subarray(start, end));
        } catch {
          throw new CsvError(name, line, 'not valid UTF-8 (the file must be UTF-8 encoded)');
        }
        if (lf === -1) break;
        start = lf + 1;
        line++;
      }
      throw new CsvError(name, firstLine, 'not valid UTF-8 (the file must be UTF-8 encoded)');
    }
  }

  function* rows(text: string): Generator<CsvRow> {
    // `text` holds whole lines, each ending in LF (the last one may not, at end of file).
    let start = 0;
    const n = text.length;
    while (start < n) {
      let lf = text.indexOf('\n', start);
      if (lf === -1) lf = n;
      let end = lf;
      if (end > start && text.charCodeAt(end - 1) === CR) end--;
      let lineText = text.slice(start, end);
      lineNo++;
      start = lf + 1;
      if (first) {
        first = false;
        if (lineText.charCodeAt(0) === 0xfeff) lineText = lineText.slice(1);
      }
      if (lineText.length === 0 && skipEmpty) continue;
      const parsed = parseCsvLine(lineText);
      if (typeof parsed === 'string') {
        if (!opts.onMalformed) throw new CsvError(name, lineNo, parsed);
        opts.onMalformed(lineNo, parsed);
        continue;
      }
      yield { line: lineNo, fields: parsed };
    }
  }

  let stream;
  const maxBytes = opts.maxBytes ?? Number.MAX_SAFE_INTEGER;
  let total = 0;
  try {
    // A regular file within the limit only: a FIFO, device or folder is refused without blocking.
    let fd: number;
    try {
      ({ fd } = openInputFile(path, name, maxBytes));
    } catch (e) {
      throw e instanceof UnreadableInput ? new InputError(`${name}: cannot read (${e.code})`) : e;
    }
    stream = createReadStream(path, { fd, highWaterMark: opts.chunkBytes ?? 1024 * 1024 });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw new InputError(`${name}: larger than the limit of ${maxBytes} bytes for this input`);
      opts.onChunk?.(chunk);
      const lastLf = chunk.lastIndexOf(LF);
      if (lastLf === -1) {
        carry = carry ? Buffer.concat([carry, chunk]) : chunk;
        if (carry.length > maxLine) throw new CsvError(name, lineNo + 1, `line longer than ${maxLine} bytes`);
        continue;
      }
      const head = chunk.subarray(0, lastLf + 1);
      const block: Buffer = carry ? Buffer.concat([carry, head]) : head;
      carry = lastLf + 1 < chunk.length ? Buffer.from(chunk.subarray(lastLf + 1)) : null;
      yield* rows(decode(block, lineNo + 1));
      if (carry && carry.length > maxLine) throw new CsvError(name, lineNo + 1, `line longer than ${maxLine} bytes`);
    }
    if (carry && carry.length) yield* rows(decode(carry, lineNo + 1));
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new InputError(`${name}: cannot read (${code})`);
    throw e;
  } finally {
    stream?.destroy();
  }
}
