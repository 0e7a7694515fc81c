// RowGuard's padded reads: a list of n values is read by a statement of the smallest prepared size that
// holds it, so a short list does not pay for the longest one and few statements are prepared.
import { strict as assert } from 'node:assert';
import { BATCH_BUCKETS, paddedSize } from '../../src/registry/row-mac.js';

describe('registry/row-mac: the size of a padded IN read', () => {
  it('is the smallest of 1, 4, 16, 64 and 256 that holds the values', () => {
    const cases: [number, number][] = [[1, 1], [2, 4], [4, 4], [5, 16], [16, 16], [17, 64], [64, 64], [65, 256], [256, 256]];
    for (const [n, size] of cases) assert.equal(paddedSize(n), size, `${n} values`);
  });

  it('is the number of values itself above the largest size (callers chunk by BATCH_BUCKETS)', () => {
    assert.equal(paddedSize(BATCH_BUCKETS + 1), BATCH_BUCKETS + 1);
    assert.equal(paddedSize(1000), 1000);
  });
});
