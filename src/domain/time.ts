// Times on the command line and in files: ISO 8601 with a zone (Z or +hh:mm), a bare date (midnight
// UTC), 'now', or 'now' plus or minus a whole number of seconds, minutes, hours or days ('now+20d',
// 'now-1h'), so that scripts and examples never go stale. Anything else is an error naming the flag.
import { InputError } from './errors.js';

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const RELATIVE = /^now(?:([+-])(\d{1,6})([smhd]))?$/i;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseTime(text: string, what: string, now: Date = new Date()): Date {
  const t = String(text ?? '').trim();
  const rel = RELATIVE.exec(t);
  if (rel) {
    if (!rel[1]) return now;
    const ms = Number(rel[2]) * UNIT_MS[rel[3]!.toLowerCase()]!;
    return new Date(now.getTime() + (rel[1] === '-' ? -ms : ms));
  }
  if (!ISO.test(t)) throw new InputError(`${what}: '${t}' is not a time (use ISO 8601 with a zone, e.g. 2026-12-01T09:00:00Z, a date, now, or now+20d / now-1h)`);
  const d = new Date(/T/.test(t) ? t : `${t}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) throw new InputError(`${what}: '${t}' is not a valid date`);
  return d;
}
