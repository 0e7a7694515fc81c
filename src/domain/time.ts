// Times on the command line and in files: ISO 8601 with a zone (Z or +hh:mm), a bare date (midnight
// UTC), 'now', or 'now' plus or minus a whole number of seconds, minutes, hours or days ('now+20d',
// 'now-1h'), so that scripts and examples never go stale. Anything else is an error naming the flag.
import { InputError } from './errors.js';

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const RELATIVE = /^now(?:([+-])(\d{1,6})([smhd]))?$/i;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** JavaScript rolls 2026-02-30 over to 2 March and 24:00 to the next day: the written fields must exist. */
function fieldsExist(t: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(t)!;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return false;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59)) return false;
  const zone = /([+-])(\d{2}):(\d{2})$/.exec(t);
  return !zone || (Number(zone[2]) <= 23 && Number(zone[3]) <= 59);
}

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
  if (Number.isNaN(d.getTime()) || !fieldsExist(t)) throw new InputError(`${what}: '${t}' is not a valid date (no such day or time)`);
  return d;
}
