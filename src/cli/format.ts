// Plain-text output helpers shared by the subcommands.
export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** The example command lines of a help text (the `  $ smki ...` lines after "Examples:"). */
export function exampleLinesOf(help: string): string[] {
  const at = help.indexOf('\nExamples:\n');
  if (at < 0) return [];
  const out: string[] = [];
  for (const l of help.slice(at + 11).split('\n')) {
    const m = /^\s+\$ (.+)$/.exec(l);
    if (m) out.push(m[1]!.trim());
    else if (l.trim() !== '' && !/^\s/.test(l)) break;
  }
  return out;
}

export function table(headers: string[], rows: string[][]): string {
  return [...tableLines(headers, rows)].join('\n');
}

/**
 * A table's lines, one at a time, for a list of any length: column widths come from the first
 * `sample` rows (all of them by default; a streamed list passes a bound, and a longer cell further
 * down pushes the rest of its line along). No spread or per-row array of the whole list: 300,000
 * rows are no stack or argument limit.
 */
export function* tableLines(headers: string[], rows: Iterable<string[]>, sample = Infinity): Generator<string> {
  const it = rows[Symbol.iterator]();
  const head: string[][] = [];
  let next = it.next();
  while (!next.done && head.length < sample) {
    head.push(next.value);
    next = it.next();
  }
  if (head.length === 0) {
    yield '(none)';
    return;
  }
  const widths = headers.map((h) => h.length);
  for (const r of head) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, (r[i] ?? '').length);
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  yield line(headers);
  yield line(widths.map((w) => '-'.repeat(w)));
  for (const r of head) yield line(r);
  for (; !next.done; next = it.next()) yield line(next.value);
}

const SGR = { red: 31, green: 32, yellow: 33, bold: 1 } as const;
export type Colour = keyof typeof SGR;

/**
 * Colours only for a terminal: a stream that is a TTY, with NO_COLOR unset or empty (no-color.org)
 * and TERM not "dumb". Piped output, files and test captures get plain text.
 */
export function colourOn(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** A painter for one stream: `paint('red', text)` is the text in red on a terminal, as is elsewhere. */
export type Painter = (colour: Colour, text: string) => string;
export function painter(stream: NodeJS.WritableStream): Painter {
  const on = colourOn(stream);
  return (colour, text) => (on ? `\x1b[${SGR[colour]}m${text}\x1b[0m` : text);
}

/** The colour of a gate or issuance decision word. */
export function decisionColour(decision: string): Colour {
  if (decision === 'accept') return 'green';
  if (decision === 'quarantine') return 'yellow';
  return 'red';
}
