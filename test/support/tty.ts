// Drives the CLI's prompts through injected streams, as a person at a terminal would: waits for each
// prompt to appear on stdout, then types the answer.
import { PassThrough, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface Step {
  /** Text (regex) the prompt shows. */
  when: RegExp;
  /** Keys to type: text, '\r' Enter, '\x1b[B' arrow down. */
  keys: string;
}

export const ENTER = '\r';
export const DOWN = '\x1b[B';

/** A terminal's size as the CLI sees it on stdout (columns and rows, as a TTY WriteStream has them). */
export interface TerminalSize {
  columns?: number;
  rows?: number;
}

export async function interactive(args: string[], steps: Step[], timeoutMs = 10_000, size: TerminalSize = {}): Promise<{ code: number; stdout: string; stderr: string; unanswered: number; transcript: string }> {
  const stdin = new PassThrough();
  let seen = '';
  let transcript = '';
  let stderr = '';
  const queue = [...steps];
  const stdout = new Writable({
    write(chunk, _enc, cb) {
      seen += chunk.toString();
      transcript += chunk.toString();
      const next = queue[0];
      // eslint-disable-next-line no-control-regex
      const plain = seen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      if (next && next.when.test(plain)) {
        queue.shift();
        seen = '';
        setTimeout(() => stdin.write(next.keys), 20);
      }
      cb();
    },
  });
  const err = new Writable({ write(c, _e, cb) { stderr += c.toString(); cb(); } });
  Object.assign(stdout, size);
  const timer = setTimeout(() => stdin.end(), timeoutMs);
  const code = await main(['node', 'smki', ...args], { stdout, stderr: err, stdin, interactive: true, progress: false });
  clearTimeout(timer);
  stdin.end();
  // eslint-disable-next-line no-control-regex
  return { code, stdout: seen, stderr, unanswered: queue.length, transcript: transcript.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') };
}
