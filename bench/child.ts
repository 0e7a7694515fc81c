// Runs one benchmark function in a process of its own, so its peak memory (maxRSS, worker threads
// included) is its own: `node --import tsx bench/child.ts MODULE EXPORT ARGS_JSON` prints the result
// as one JSON line, with peakRssMb added.
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const MARK = 'BENCH_RESULT ';

export type WithPeak<T> = T & { peakRssMb: number };

/** Runs `exportName(...args)` of bench/`module` in a child process; its stderr passes through. */
export function inChild<T>(module: string, exportName: string, args: unknown[], env: NodeJS.ProcessEnv = {}): WithPeak<T> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'child.ts'), module, exportName, JSON.stringify(args)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith(MARK));
  if (r.status !== 0 || !line) throw new Error(`benchmark ${module} ${exportName} failed (exit ${r.status ?? r.signal})`);
  return JSON.parse(line.slice(MARK.length)) as WithPeak<T>;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [module, exportName, args] = process.argv.slice(2) as [string, string, string];
  const mod = (await import(pathToFileURL(join(import.meta.dirname, module)).href)) as Record<string, (...a: unknown[]) => unknown>;
  const result = await mod[exportName]!(...(JSON.parse(args) as unknown[]));
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`${MARK}${JSON.stringify({ ...(result as object), peakRssMb })}\n`);
  // Worker pools and servers the benchmark left behind must not keep the process.
  process.exit(0);
}
