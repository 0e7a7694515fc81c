// Runs smki as real operating-system processes (concurrency and kill tests), through bin/smki.js
// and the built dist/ (built here when any source file is newer, once per run).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { withTestDatabase } from './database.js';

const ROOT = process.cwd();
const BIN = join(ROOT, 'bin', 'smki.js');
let built = false;

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist/ (as npm run build does) unless it is newer than every file of src/. */
export function ensureBuilt(): void {
  if (built) return;
  let distTime = 0;
  try {
    distTime = statSync(join(ROOT, 'dist', 'cli', 'main.js')).mtimeMs;
  } catch {
    distTime = 0;
  }
  if (distTime < newestMtime(join(ROOT, 'src'))) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    // What npm run build does next: the cached `smki --help` (src/cli/help-cache.ts).
    execFileSync(process.execPath, [join(ROOT, 'dist', 'cli', 'help-cache.js')], { cwd: ROOT, stdio: 'inherit' });
  }
  built = true;
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `smki ARGS` as a child process; `done` settles when it exits. */
export function startSmki(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<ProcessResult> } {
  ensureBuilt();
  const child = spawn(process.execPath, [BIN, ...withTestDatabase(args, { ...process.env, ...env })], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<ProcessResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs every command line at once, each as its own process. */
export function runConcurrently(commands: string[][], env: NodeJS.ProcessEnv = {}): Promise<ProcessResult[]> {
  return Promise.all(commands.map((args) => startSmki(args, env).done));
}

/** A raw database error in a command's output (smki names what went wrong instead): SQLite's, and PostgreSQL's (a unique violation, a deadlock, a lock or statement timeout). */
export const RAW_DB_ERROR = /SQLITE|UNIQUE constraint|database is locked|constraint failed|duplicate key value|deadlock detected|could not serialize|canceling statement|PgError/i;
