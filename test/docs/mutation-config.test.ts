// stryker.config.json names the pure deciders inside files that also do I/O by line ranges, which
// drift as those files change: each range must still cover whole top-level declarations, and none of
// them may touch the registry (a range over I/O code mutates what the deciders' unit tests never run).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const config = JSON.parse(readFileSync(resolve(root, 'stryker.config.json'), 'utf8')) as { mutate: string[] };

describe('npm run mutate: the line ranges of stryker.config.json', () => {
  const ranges = config.mutate.filter((m) => /:\d+-\d+$/.test(m));

  it('names some ranges', () => assert.ok(ranges.length > 0));

  for (const m of ranges) {
    it(`${m} covers whole pure top-level declarations`, () => {
      const [, file, from, to] = /^(.*):(\d+)-(\d+)$/.exec(m)!;
      const lines = readFileSync(resolve(root, file!), 'utf8').split('\n').slice(Number(from) - 1, Number(to));
      assert.match(lines[0]!, /^(export )?(function|const) /, `${m} starts at "${lines[0]}"`);
      assert.match(lines[lines.length - 1]!, /^};?$/, `${m} ends at "${lines[lines.length - 1]}"`);
      const next = readFileSync(resolve(root, file!), 'utf8').split('\n')[Number(to)] ?? '';
      assert.ok(!/^\s/.test(next) || next.trim() === '', `${m} stops inside a declaration ("${next}")`);
      assert.ok(!lines.some((l) => /\breg\b|Registry/.test(l)), `${m} reaches registry code`);
    });
  }
});
