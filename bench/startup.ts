// Start-up: the CPU time (user + system) of one `smki --help` and one `smki party list` process
// beside `node -e 0` in the same run, the mean of many runs each (children's CPU time from
// /proc/self/stat, so nothing else on the machine is counted). Target: at most 1.5x node -e 0.
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

/** Mean CPU ms of `runs` processes of the command; each must exit 0. */
function meanCpuMs(runs: number, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const before = childrenCpuMs();
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) throw new Error(`start-up bench: node ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim().split('\n')[0]}`);
  }
  return (childrenCpuMs() - before) / runs;
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
    const env = { ...process.env, NO_COLOR: '1' };
    // Interleaved rounds, so a change in the machine's load touches all three alike.
    const rounds = 4;
    const per = Math.max(1, Math.round(runs / rounds));
    let node = 0;
    let help = 0;
    let list = 0;
    for (let i = 0; i < rounds; i++) {
      node += meanCpuMs(per, ['-e', '0'], env) / rounds;
      help += meanCpuMs(per, [BIN, '--help'], env) / rounds;
      list += meanCpuMs(per, [BIN, '--home', home, 'party', 'list'], env) / rounds;
    }
    const row = (what: string, ms: number): StartupRow => ({
      what: `start-up: one \`${what}\` process, CPU time (mean of ${per * rounds})`,
      ours: `${ms.toFixed(0)} ms`,
      peer: `\`node -e 0\` ${node.toFixed(0)} ms`,
      ratio: ms / node,
      target: { text: '≤ 1.5x node -e 0', met: ms <= 1.5 * node },
    });
    return [row('smki --help', help), row('smki party list', list)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) {
  for (const r of startupRows(Number(process.env.BENCH_STARTUP_RUNS ?? 20))) console.log(`${r.what}: ${r.ours}; ${r.peer}; ratio ${r.ratio.toFixed(2)}x (target ${r.target.text}: ${r.target.met ? 'met' : 'NOT MET'})`);
}
