import { strict as assert } from 'node:assert';
import { parseTime } from '../../src/domain/time.js';
import { InputError } from '../../src/domain/errors.js';

describe('domain: times on the command line', () => {
  const now = new Date('2026-12-01T10:00:00Z');
  it('reads ISO 8601, bare dates and now', () => {
    assert.equal(parseTime('2026-12-01T09:00:00Z', 'x', now).toISOString(), '2026-12-01T09:00:00.000Z');
    assert.equal(parseTime('2026-12-02', 'x', now).toISOString(), '2026-12-02T00:00:00.000Z');
    assert.equal(parseTime('now', 'x', now), now);
  });
  it('reads times relative to now', () => {
    assert.equal(parseTime('now+20d', 'x', now).toISOString(), '2026-12-21T10:00:00.000Z');
    assert.equal(parseTime('now-1h', 'x', now).toISOString(), '2026-12-01T09:00:00.000Z');
    assert.equal(parseTime('NOW+90s', 'x', now).toISOString(), '2026-12-01T10:01:30.000Z');
  });
  it('names the flag for anything else', () => {
    for (const bad of ['now+', 'now+2w', 'tomorrow', '2026-12-01T09:00', 'now + 1d']) {
      assert.throws(() => parseTime(bad, '--until', now), (e: unknown) => e instanceof InputError && /--until/.test((e as Error).message), bad);
    }
  });
});
