// The peers smki-ca is measured beside, in the same run: cfssl (Debian's golang-cfssl: `cfssl serve`
// with keep-alive clients on loopback, and one `cfssl sign` process), `node -e 0`, `openssl speed
// ecdsap256` and `xmlsec1 --verify`. Each returns its figure or the reason it was skipped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { childrenCpuMs } from './startup.js';

export type Skipped = { skipped: string };
export const isSkipped = (x: unknown): x is Skipped => typeof x === 'object' && x !== null && 'skipped' in x;

/** `cfssl` on PATH (Debian: apt-get install golang-cfssl), or why not. */
export function cfsslAbsent(): string | undefined {
  const r = spawnSync('cfssl', ['version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? 'cfssl is not installed (apt-get install golang-cfssl)' : undefined;
}

/** A P-256 CA for cfssl, made by cfssl itself, and a signing policy like smki-ca's (one year, digitalSignature). */
export function cfsslCa(dir: string): { cert: string; key: string; config: string } {
  const init = spawnSync('cfssl', ['gencert', '-initca', '-'], { input: JSON.stringify({ CN: 'Bench cfssl CA', key: { algo: 'ecdsa', size: 256 } }), encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`cfssl gencert -initca failed: ${init.stderr.trim().split('\n').pop()}`);
  const out = JSON.parse(init.stdout) as { cert: string; key: string };
  const cert = join(dir, 'cfssl-ca.pem');
  const key = join(dir, 'cfssl-ca-key.pem');
  const config = join(dir, 'cfssl-config.json');
  writeFileSync(cert, out.cert);
  writeFileSync(key, out.key, { mode: 0o600 });
  writeFileSync(config, JSON.stringify({ signing: { default: { expiry: '8760h', usages: ['digital signature'] } } }));
  return { cert, key, config };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function post(agent: Agent, port: number, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/cfssl/sign', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`cfssl serve answered ${res.statusCode}: ${text.slice(0, 200)}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function waitForServe(child: ChildProcess, port: number, agent: Agent, probe: string): Promise<void> {
  const until = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`cfssl serve exited (${child.exitCode})`);
    try {
      await post(agent, port, probe);
      return;
    } catch (e) {
      if (Date.now() > until) throw new Error(`cfssl serve did not answer on 127.0.0.1:${port}: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export interface CfsslServe {
  /** Signs the PEM CSRs over the keep-alive connections, one request after another on each: seconds from the first request to the last answer. */
  sign(csrPems: string[]): Promise<number>;
  /** Stops the server; resolves once it has exited (and been reaped, so its CPU time is counted now, not in a later measurement). */
  stop(): Promise<void>;
  /** The server's CPU time so far (user + system, all its threads), from /proc; undefined where there is no /proc. */
  cpuSeconds(): number | undefined;
}

/** A running process's CPU time (user + system, every thread) from /proc/PID/stat, or undefined. */
function processCpuSeconds(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Starts `cfssl serve` (no database) with its own P-256 CA, and `clients` keep-alive connections on
 * loopback (one warm-up request each, not counted).
 */
export async function startCfsslServe(dir: string, warmUpPem: string, clients = 8): Promise<CfsslServe | Skipped> {
  const absent = cfsslAbsent();
  if (absent) return { skipped: absent };
  const ca = cfsslCa(dir);
  const port = await freePort();
  const child = spawn('cfssl', ['serve', '-address', '127.0.0.1', '-port', String(port), '-ca', ca.cert, '-ca-key', ca.key, '-config', ca.config, '-loglevel', '5'], { stdio: 'ignore' });
  const agents = Array.from({ length: clients }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    for (const a of agents) a.destroy();
    child.kill('SIGTERM');
    await exited;
  };
  try {
    const warmUp = JSON.stringify({ certificate_request: warmUpPem });
    await waitForServe(child, port, agents[0]!, warmUp);
    await Promise.all(agents.map((a) => post(a, port, warmUp)));
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    stop,
    cpuSeconds: () => processCpuSeconds(child.pid),
    async sign(csrPems) {
      const bodies = csrPems.map((pem) => JSON.stringify({ certificate_request: pem }));
      let next = 0;
      const t0 = process.hrtime.bigint();
      await Promise.all(agents.map(async (a) => {
        while (next < bodies.length) {
          const answer = JSON.parse(await post(a, port, bodies[next++]!)) as { success: boolean; result?: { certificate?: string } };
          if (!answer.success || !answer.result?.certificate?.startsWith('-----BEGIN CERTIFICATE-----')) throw new Error('cfssl serve did not sign a benchmark CSR');
        }
      }));
      return Number(process.hrtime.bigint() - t0) / 1e9;
    },
  };
}

/** One process, measured: median wall seconds and mean CPU milliseconds (user + system, its own only: unaffected by the machine's load). */
export interface ProcessCost {
  seconds: number;
  cpuMs: number;
}

/** `runs` runs of one process (`make(i)` gives argv for run i), each checked by `check`. */
export function processCost(runs: number, make: (i: number) => { cmd: string; args: string[]; env?: NodeJS.ProcessEnv }, check: (status: number | null, stderr: string, i: number) => void): ProcessCost {
  const times: number[] = [];
  const cpu0 = childrenCpuMs();
  for (let i = 0; i < runs; i++) {
    const { cmd, args, env } = make(i);
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env });
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (r.error) throw r.error;
    check(r.status, r.stderr, i);
  }
  return { seconds: median(times), cpuMs: (childrenCpuMs() - cpu0) / runs };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One `cfssl sign` process per CSR file. */
export function cfsslSignCost(dir: string, csrFiles: string[]): ProcessCost | Skipped {
  const absent = cfsslAbsent();
  if (absent) return { skipped: absent };
  const ca = cfsslCa(dir);
  return processCost(csrFiles.length, (i) => ({ cmd: 'cfssl', args: ['sign', '-ca', ca.cert, '-ca-key', ca.key, '-config', ca.config, csrFiles[i]!] }), (status, stderr) => {
    if (status !== 0) throw new Error(`cfssl sign failed: ${stderr.trim().split('\n').pop()}`);
  });
}

export function nodeNothingCost(runs: number): ProcessCost {
  return processCost(runs, () => ({ cmd: process.execPath, args: ['-e', '0'] }), (status) => {
    if (status !== 0) throw new Error('node -e 0 failed');
  });
}

/**
 * `xmlsec1 --verify` over the given signed files (many files per process, as xmlsec1 takes them):
 * total seconds, and per file. Every file must verify.
 */
export function xmlsec1Verify(files: string[], certPem: string): { files: number; seconds: number; perFileMs: number; oneFileMs: number } | Skipped {
  const probe = spawnSync('xmlsec1', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { skipped: 'xmlsec1 is not installed (apt-get install xmlsec1)' };
  const args = ['--verify', '--pubkey-cert-pem', certPem, '--id-attr:Id', 'Request'];
  const run = (chunk: string[]): number => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('xmlsec1', [...args, ...chunk], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`xmlsec1 --verify refused a benchmark request: ${r.stderr.trim().split('\n').pop()}`);
    const ok = (r.stderr.match(/^OK$/gm) ?? []).length;
    if (ok !== chunk.length) throw new Error(`xmlsec1 --verify: ${ok} of ${chunk.length} files verified`);
    return s;
  };
  const oneFileMs = 1000 * run(files.slice(0, 1));
  let seconds = 0;
  for (let i = 0; i < files.length; i += 1000) seconds += run(files.slice(i, i + 1000));
  return { files: files.length, seconds, perFileMs: (1000 * seconds) / files.length, oneFileMs };
}

/** One line of the bench report: our figure, the peer's, their ratio, and the target when there is one. */
export interface BenchRow {
  what: string;
  ours: string;
  peer: string;
  ratio?: number;
  target?: { text: string; met: boolean };
  peakRssMb?: number;
}
