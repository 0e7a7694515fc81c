// Instruction counts (valgrind --tool=callgrind): load-independent, unlike time on a shared machine.
// A benchmark run under `valgrind --tool=callgrind --instr-atstart=no` with SMKI_BENCH_CALLGRIND=1
// switches counting on around its measured part alone (`countInstructions`); `callgrindTotal` reads
// the count from callgrind's output file.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Switches callgrind's counting on or off for this process (only under SMKI_BENCH_CALLGRIND=1). */
export function countInstructions(on: boolean): void {
  if (process.env.SMKI_BENCH_CALLGRIND === '1') spawnSync('callgrind_control', ['-i', on ? 'on' : 'off', String(process.pid)], { stdio: 'ignore' });
}

/** Whether valgrind is installed (the instruction counts are left out without it). */
export function haveCallgrind(): boolean {
  return spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs `node args` under callgrind (counting off at start, so only what the program switches on is
 * counted) and returns the instructions counted, with the program's stdout. V8 runs predictably
 * there (`--predictable --predictable-gc-schedule`: one thread, a fixed seed, collections at fixed
 * allocation points): callgrind counts every thread, and how much compiling and collecting V8 does
 * during the measured part otherwise depends on timing, which valgrind's slowness and a neighbour change
 * (runs of one gate side spread by 3.1 % with V8's threads and 1.4 % single-threaded on 2026-12-03, and
 * by 5.4 % single-threaded with two runs side by side on 2026-12-04; by 0.35 % so).
 */
export function underCallgrind(outFile: string, nodeArgs: string[], env: NodeJS.ProcessEnv): { instructions: number; stdout: string } {
  const r = spawnSync('valgrind', ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${outFile}`, process.execPath, '--single-threaded', '--predictable', '--predictable-gc-schedule', ...nodeArgs], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, SMKI_BENCH_CALLGRIND: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`callgrind run failed (exit ${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  return { instructions: callgrindTotal(outFile), stdout: r.stdout };
}

/** The instruction count of a callgrind output file (its `totals:` line; `summary:` stays 0 when counting starts off). */
export function callgrindTotal(outFile: string): number {
  const m = /^totals:\s*(\d+)/m.exec(readFileSync(outFile, 'utf8'));
  if (!m) throw new Error(`no instruction total in ${outFile}`);
  return Number(m[1]);
}
