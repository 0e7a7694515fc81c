// Runs smki in-process with captured output and no terminal (as CI and scripts run it).
import { PassThrough, Writable } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { Clock } from '../../src/registry/registry.js';
import { withTestDatabase } from './database.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

export async function smki(args: string[], opts: { clock?: Clock; stdin?: string } = {}): Promise<RunResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = new PassThrough();
  stdin.end(opts.stdin ?? '');
  const code = await main(['node', 'smki', ...withTestDatabase(args)], { stdout, stderr, stdin, interactive: false, progress: false }, opts.clock);
  let json: unknown;
  try {
    json = JSON.parse(stdout.text);
  } catch {
    json = undefined;
  }
  return { code, stdout: stdout.text, stderr: stderr.text, json };
}

export function tempDir(prefix = 'smki-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function passphraseFile(dir: string, secret = 'correct horse battery staple'): string {
  const f = join(dir, 'passphrase.txt');
  writeFileSync(f, `${secret}\n`, { mode: 0o600 });
  return f;
}
