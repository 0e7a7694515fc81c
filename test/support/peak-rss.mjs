// Preloaded into a child smki process by the bounded-input tests: at exit, its peak resident memory
// (KiB) on a line of its own on stderr, which the tests read and strip. VmHWM from /proc is this
// process's own peak (getrusage's maxRSS is inherited from a large parent across fork and exec).
import { readFileSync, writeSync } from 'node:fs';

process.on('exit', () => {
  let kib = process.resourceUsage().maxRSS;
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) kib = Number(m[1]);
  } catch {
    // not Linux: getrusage's figure
  }
  writeSync(2, `\npeak-rss-kib ${kib}\n`);
});
