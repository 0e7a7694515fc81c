// Runs documented shell examples (README.md's ```sh blocks, each command's --help examples) as written,
// one command per line, in a temporary working folder, and reports every line whose exit status is
// not the expected one.
//
// The rules an example follows (README.md "Examples that run" says the same for writers):
// - One command per line; a trailing backslash continues the line.
// - `smki ...` (or `npx smki ...`) runs the CLI in-process (fast); words are split as sh would for
//   plain words, '...' and "..."; `> FILE` redirects its stdout; `cat FILE... | smki ...` feeds stdin;
//   `NAME=value smki ...` sets an environment variable for that command. Any other shell syntax in an
//   smki line ($, globs, ;, &&, backquotes, [optional] brackets) is refused, so an example never
//   depends on something the runner pretends to do.
// - Any other line (printf, cp, mkdir ...) runs through /bin/sh in the same folder.
// - The expected exit status is 0 unless the line ends with a comment starting `# exit N`; upper-case
//   reason codes written right after it (`# exit 3 ROLE_PROFILE_FORBIDDEN`) must appear in the output.
// - The folder holds `fixtures` (a link to the project's fixtures/), so fixture paths work both here
//   and in a clone; the default home ./.smki is inside the folder.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { exampleLinesOf } from '../../src/cli/format.js';

export interface ExampleLine {
  /** Where the line comes from, e.g. "README.md:123" or "smki cert issue --help". */
  where: string;
  text: string;
}

export interface LineResult {
  line: ExampleLine;
  code: number;
  expected: number;
  stdout: string;
  stderr: string;
  problem?: string;
}

const PROJECT = resolve(import.meta.dirname, '..', '..');

/** The ```sh blocks of a Markdown file as lines, continuation lines joined; ```sh norun blocks skipped. */
export function markdownShellLines(path: string): ExampleLine[] {
  const text = readFileSync(path, 'utf8').split('\n');
  const lines: ExampleLine[] = [];
  let inBlock: 'run' | 'skip' | 'other' | undefined;
  let pending: { start: number; text: string } | undefined;
  text.forEach((raw, i) => {
    const fence = /^```\s*(\S*)(?:\s+(\S+))?/.exec(raw);
    if (fence) {
      if (inBlock === undefined) inBlock = fence[1] === 'sh' ? (fence[2] === 'norun' ? 'skip' : 'run') : 'other';
      else inBlock = undefined;
      return;
    }
    if (inBlock !== 'run') return;
    const continued = raw.endsWith('\\');
    const part = continued ? raw.slice(0, -1) : raw;
    if (pending) pending.text += ` ${part.trim()}`;
    else pending = { start: i + 1, text: part };
    if (!continued) {
      if (pending.text.trim() !== '' && !pending.text.trim().startsWith('#')) lines.push({ where: `${path.split('/').pop()}:${pending.start}`, text: pending.text.trim() });
      pending = undefined;
    }
  });
  return lines;
}

/** The "Examples:" lines of a help text (`  $ smki ...`). */
export function helpExampleLines(help: string, where: string): ExampleLine[] {
  return exampleLinesOf(help).map((text) => ({ where, text }));
}

type Token = { word: string } | { op: '|' | '>' } | { comment: string };

/** Splits a line as sh would for the subset described above; throws on anything else. */
export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') { i++; continue; }
    if (c === '#') { tokens.push({ comment: line.slice(i + 1).trim() }); break; }
    if (c === '|' || c === '>') {
      if (line[i + 1] === c) throw new Error(`unsupported shell syntax '${c}${c}'`);
      tokens.push({ op: c }); i++; continue;
    }
    let word = '';
    while (i < line.length && !' \t|>'.includes(line[i]!)) {
      const ch = line[i]!;
      if (ch === "'") {
        const end = line.indexOf("'", i + 1);
        if (end < 0) throw new Error('unterminated quote');
        word += line.slice(i + 1, end); i = end + 1;
      } else if (ch === '"') {
        i++;
        while (i < line.length && line[i] !== '"') {
          if (line[i] === '\\' && '"\\$`'.includes(line[i + 1] ?? '')) { word += line[i + 1]; i += 2; continue; }
          if ('$`'.includes(line[i]!)) throw new Error(`unsupported shell syntax '${line[i]}' in quotes`);
          word += line[i++];
        }
        if (line[i] !== '"') throw new Error('unterminated quote');
        i++;
      } else if ('$`;&*?[]{}()<~\\'.includes(ch)) {
        throw new Error(`unsupported shell syntax '${ch}'`);
      } else {
        word += ch; i++;
      }
    }
    tokens.push({ word });
  }
  return tokens;
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void { this.text += chunk.toString(); cb(); }
}

function expectation(comment: string | undefined): { code: number; codes: string[] } {
  const m = comment ? /^exit (\d+)((?:\s+[A-Z][A-Z0-9_]+)*)/.exec(comment) : null;
  if (!m) return { code: 0, codes: [] };
  return { code: Number(m[1]), codes: m[2]!.trim().split(/\s+/).filter(Boolean) };
}

/** A temporary working folder with `fixtures` linked in. */
export function exampleFolder(dir: string): void {
  symlinkSync(join(PROJECT, 'fixtures'), join(dir, 'fixtures'));
}

/** Runs one line in `cwd` (process.chdir for the in-process CLI, restored after). */
export async function runLine(line: ExampleLine, cwd: string): Promise<LineResult> {
  if (!/^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:npx\s+)?smki(?:\s|$)/.test(line.text) && !/\|\s*(?:npx\s+)?smki(?:\s|$)/.test(line.text)) {
    return runShell(line, cwd, expectation(/\s#\s*(exit \d+.*)$/.exec(line.text)?.[1]));
  }
  let tokens: Token[];
  try {
    tokens = tokenize(line.text);
  } catch (e) {
    return { line, code: -1, expected: 0, stdout: '', stderr: '', problem: (e as Error).message };
  }
  const commentToken = tokens.find((t): t is { comment: string } => 'comment' in t);
  const want = expectation(commentToken?.comment);
  const words = tokens.filter((t) => !('comment' in t));
  const pipeAt = words.findIndex((t) => 'op' in t && t.op === '|');
  const right = pipeAt >= 0 ? words.slice(pipeAt + 1) : words;
  const env: Record<string, string> = {};
  while (right[0] && 'word' in right[0] && /^[A-Z_][A-Z0-9_]*=/.test(right[0].word)) {
    const w = (right.shift() as { word: string }).word;
    env[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
  }
  if (right[0] && 'word' in right[0] && right[0].word === 'npx') right.shift();
  const isSmki = right[0] && 'word' in right[0] && right[0].word === 'smki';
  if (!isSmki) return runShell(line, cwd, want);

  let stdin = '';
  if (pipeAt >= 0) {
    const left = words.slice(0, pipeAt).map((t) => ('word' in t ? t.word : '?'));
    if (left[0] !== 'cat' || left.length < 2) return { line, code: -1, expected: want.code, stdout: '', stderr: '', problem: 'only `cat FILE... | smki` pipes are supported' };
    try {
      stdin = left.slice(1).map((f) => readFileSync(resolve(cwd, f), 'utf8')).join('');
    } catch (e) {
      return { line, code: -1, expected: want.code, stdout: '', stderr: '', problem: `cat: ${(e as Error).message}` };
    }
  }
  const args: string[] = [];
  let redirect: string | undefined;
  for (let k = 1; k < right.length; k++) {
    const t = right[k]!;
    if ('op' in t) {
      const target = right[k + 1];
      if (t.op !== '>' || !target || !('word' in target) || k + 2 !== right.length) return { line, code: -1, expected: want.code, stdout: '', stderr: '', problem: 'a redirect `> FILE` must end the command' };
      redirect = target.word;
      break;
    }
    if ('word' in t) args.push(t.word);
  }
  const stdout = new Capture();
  const stderr = new Capture();
  const input = new PassThrough();
  input.end(stdin);
  const before = process.cwd();
  const saved: Record<string, string | undefined> = { SMKI_HOME: process.env.SMKI_HOME, NO_COLOR: process.env.NO_COLOR };
  for (const k of Object.keys(env)) saved[k] = process.env[k];
  delete process.env.SMKI_HOME;
  Object.assign(process.env, env);
  process.chdir(cwd);
  let code: number;
  try {
    code = await main(['node', 'smki', ...args], { stdout, stderr, stdin: input, interactive: false, progress: false });
  } finally {
    process.chdir(before);
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  if (redirect) writeFileSync(resolve(cwd, redirect), stdout.text);
  return check({ line, code, expected: want.code, stdout: stdout.text, stderr: stderr.text }, want.codes);
}

function runShell(line: ExampleLine, cwd: string, want: { code: number; codes: string[] }): LineResult {
  let code = 0;
  let stdout = '';
  let stderr = '';
  try {
    stdout = execFileSync('/bin/sh', ['-c', line.text], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    code = err.status ?? -1;
    stdout = err.stdout ?? '';
    stderr = err.stderr ?? '';
  }
  return check({ line, code, expected: want.code, stdout, stderr }, want.codes);
}

function check(r: LineResult, codes: string[]): LineResult {
  if (r.code !== r.expected) r.problem = `exit ${r.code}, expected ${r.expected}`;
  else {
    const missing = codes.filter((c) => !r.stdout.includes(c) && !r.stderr.includes(c));
    if (missing.length) r.problem = `output does not name ${missing.join(', ')}`;
  }
  return r;
}

/** Runs lines in order; returns the failures, each described in one paragraph. */
export async function runLines(lines: ExampleLine[], cwd: string): Promise<string[]> {
  const failures: string[] = [];
  for (const line of lines) {
    const r = await runLine(line, cwd);
    if (r.problem) failures.push(`${line.where}: ${line.text}\n    ${r.problem}\n    ${(r.stderr || r.stdout).trim().split('\n').slice(0, 4).join('\n    ')}`);
  }
  return failures;
}
