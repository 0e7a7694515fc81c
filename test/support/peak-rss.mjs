// Preloaded into a child smki process by the bounded-input tests: at exit, its peak resident memory
// (maxRSS, in KiB) on a line of its own on stderr, which the tests read and strip.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `\npeak-rss-kib ${process.resourceUsage().maxRSS}\n`);
});
