// A progress line on stderr, only when stderr is a terminal (ctx.io.progress); otherwise it does
// nothing. Redrawn at most ten times a second and cleared at the end, so it never mixes with output.
import type { Io } from './context.js';

export interface Progress {
  /** `done` so far (bytes or rows); `total` when it becomes known. Cheap to call often. */
  update(done: number, total?: number): void;
  /** Starts a new phase with its own label and unit, on the same line. */
  phase(label: string, unit: ProgressUnit, total?: number): void;
  /** Clears the line. */
  end(): void;
}

export type ProgressUnit = 'bytes' | 'rows';

const NOOP: Progress = { update() {}, phase() {}, end() {} };
const REDRAW_MS = 100;
const BAR = 24;

function amount(n: number, unit: ProgressUnit): string {
  if (unit === 'rows') return n.toLocaleString('en-GB');
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

export function progress(io: Io, label: string, unit: ProgressUnit, total?: number): Progress {
  if (!io.progress) return NOOP;
  const out = io.stderr;
  let state = { label, unit, total, started: Date.now(), done: 0 };
  let last = 0;
  let drawn = false;

  const draw = () => {
    const { label: l, unit: u, total: t, done } = state;
    const secs = (Date.now() - state.started) / 1000;
    // A rate from the first instants of a phase means nothing: shown after half a second.
    const rate = secs >= 0.5 ? `  ${amount(Math.round(done / secs), u)}/s` : '';
    let text: string;
    if (t && t > 0) {
      const frac = Math.min(done / t, 1);
      const filled = Math.round(frac * BAR);
      text = `${l} [${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${amount(done, u)} of ${amount(t, u)}${rate}`;
    } else {
      text = `${l} ${amount(done, u)}${rate}`;
    }
    const cols = (out as NodeJS.WriteStream).columns;
    if (cols && text.length >= cols) text = text.slice(0, cols - 1);
    out.write(`\r\x1b[K${text}`);
    drawn = true;
  };

  return {
    update(done, t) {
      state.done = done;
      if (t !== undefined) state.total = t;
      const now = Date.now();
      if (now - last < REDRAW_MS) return;
      last = now;
      draw();
    },
    phase(l, u, t) {
      state = { label: l, unit: u, total: t, started: Date.now(), done: 0 };
      last = 0;
    },
    end() {
      if (drawn) out.write('\r\x1b[K');
      drawn = false;
    },
  };
}
