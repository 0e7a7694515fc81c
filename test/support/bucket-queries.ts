// How many bucket queries the row guard makes (src/registry/row-mac.ts): the read-ahead tests count
// them to show that a group's buckets are verified together rather than one query a row.
import { RowGuard } from '../../src/registry/row-mac.js';

/** Counts the RowGuard's bucket queries (one bucket each, or a set of buckets at once) while `fn` runs. */
export function bucketQueries(fn: () => void): { single: number; sets: number } {
  const proto = RowGuard.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const single = proto.verifyBucket!;
  const sets = proto.verifyBucketSet!;
  const n = { single: 0, sets: 0 };
  proto.verifyBucket = function (this: unknown, ...a: unknown[]) { n.single++; return single.apply(this, a); };
  proto.verifyBucketSet = function (this: unknown, ...a: unknown[]) { n.sets++; return sets.apply(this, a); };
  try {
    fn();
  } finally {
    proto.verifyBucket = single;
    proto.verifyBucketSet = sets;
  }
  return n;
}
