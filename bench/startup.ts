// Start-up: the CPU time (user + system) of one `smki --help` and one `smki party list` process
// beside `node -e 0` in the same run, the mean of many runs each (children's CPU time from
// /proc/self/stat, so nothing else on the machine is counted), and the best wall time of each.
// Target: at most 1.5x node -e 0 (CPU time).
//
// NODE_EXTRA_CA_CERTS makes every node process parse those certificates as it starts (a whole
// system bundle: about 420M instructions, five times what `node -e 0` costs otherwise), so it would
// hide the cost of smki's own start: every process here runs without it (benchEnv()), and the
// figures say so.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from '../test/support/process.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'smki.js');
/** Linux reports the children's CPU time in clock ticks of 1/100 s (USER_HZ). */
const TICK_MS = 10;

/** CPU time (ms) of every waited-for child of this process so far: cutime + cstime. */
export function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, so cutime (16) and cstime (17) are at 13 and 14.
  return (Number(fields[13]) + Number(fields[14])) * TICK_MS;
}

/** The environment node processes are measured in: this one without NODE_EXTRA_CA_CERTS (see above). */
export function benchEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _extra, ...rest } = env;
  return rest;
}

/** What benchEnv() leaves out, as a note for the printed figures ('' when nothing). */
export function benchEnvNote(env: NodeJS.ProcessEnv = process.env): string {
  return env.NODE_EXTRA_CA_CERTS ? ' (every process without NODE_EXTRA_CA_CERTS)' : '';
}

interface Cost {
  /** Mean CPU ms. */
  cpu: number;
  /** Best wall ms. */
  wall: number;
}

/** `runs` processes of the command: mean CPU ms and best wall ms; each must exit 0. */
function cost(runs: number, args: string[], env: NodeJS.ProcessEnv): Cost {
  const before = childrenCpuMs();
  let wall = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
    wall = Math.min(wall, Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`start-up bench: node ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim().split('\n')[0]}`);
  }
  return { cpu: (childrenCpuMs() - before) / runs, wall };
}

export interface StartupRow {
  what: string;
  ours: string;
  peer: string;
  ratio: number;
  target: { text: string; met: boolean };
}

/** The two start-up lines for `npm run bench` (the rows bench/run.ts prints). */
export function startupRows(runs = 20): StartupRow[] {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'smki-bench-startup-'));
  try {
    const home = join(dir, 'home');
    const pass = join(dir, 'pass.txt');
    spawnSync('sh', ['-c', `umask 077 && printf '%s\\n' 'bench start-up passphrase' > ${JSON.stringify(pass)}`]);
    const init = spawnSync(process.execPath, [BIN, '--home', home, 'init', '--ca-name', 'Bench OCA', '--passphrase-file', pass, '--admin', 'bench', '--admin-key-out', join(dir, 'admin.key'), '--admin-unencrypted'], { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`start-up bench: smki init exited ${init.status}: ${init.stderr.trim()}`);
    const env = { ...benchEnv(), NO_COLOR: '1' };
    // Interleaved rounds, so a change in the machine's load touches all three alike.
    const rounds = 4;
    const per = Math.max(1, Math.round(runs / rounds));
    const commands = { node: ['-e', '0'], help: [BIN, '--help'], list: [BIN, '--home', home, 'party', 'list'] };
    const sum = { node: { cpu: 0, wall: Infinity }, help: { cpu: 0, wall: Infinity }, list: { cpu: 0, wall: Infinity } };
    for (let i = 0; i < rounds; i++) {
      for (const k of ['node', 'help', 'list'] as const) {
        const c = cost(per, commands[k], env);
        sum[k].cpu += c.cpu / rounds;
        sum[k].wall = Math.min(sum[k].wall, c.wall);
      }
    }
    const node = sum.node;
    const row = (what: string, c: Cost): StartupRow => ({
      what: `start-up: one \`${what}\` process, CPU time (mean of ${per * rounds}; wall time best)${benchEnvNote()}`,
      ours: `${c.cpu.toFixed(0)} ms CPU, ${c.wall.toFixed(0)} ms wall (${(c.wall / node.wall).toFixed(2)}x)`,
      peer: `\`node -e 0\` ${node.cpu.toFixed(0)} ms CPU, ${node.wall.toFixed(0)} ms wall`,
      ratio: c.cpu / node.cpu,
      target: { text: '≤ 1.5x node -e 0 (CPU time)', met: c.cpu <= 1.5 * node.cpu },
    });
    return [row('smki --help', sum.help), row('smki party list', sum.list)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) {
  for (const r of startupRows(Number(process.env.BENCH_STARTUP_RUNS ?? 20))) console.log(`${r.what}: ${r.ours}; ${r.peer}; ratio ${r.ratio.toFixed(2)}x (target ${r.target.text}: ${r.target.met ? 'met' : 'NOT MET'})`);
}
