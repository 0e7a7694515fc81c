// Times on the command line and in files: ISO 8601 with a zone (Z or +hh:mm), a bare date (midnight
// UTC), or 'now'. Anything else is an error naming the flag.
import { InputError } from './errors.js';

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

export function parseTime(text: string, what: string, now: Date = new Date()): Date {
  const t = String(text ?? '').trim();
  if (t.toLowerCase() === 'now') return now;
  if (!ISO.test(t)) throw new InputError(`${what}: '${t}' is not a time (use ISO 8601 with a zone, e.g. 2026-12-01T09:00:00Z, or a date)`);
  const d = new Date(/T/.test(t) ? t : `${t}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) throw new InputError(`${what}: '${t}' is not a valid date`);
  return d;
}
