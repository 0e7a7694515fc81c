// The bucket a row of a large keyed table (devices, certificates) is tallied in follows from its key,
// not from its rowid, so that a look-up that finds nothing can still check the one bucket the key
// would be in: a row deleted outside smki is then refused on read (src/registry/row-mac.ts), not
// taken for one that never existed. The key's last four hex digits name its bucket (65,536 buckets:
// about 15 rows each at a million Devices; serials are random and EUIs mostly sequential in their
// last digits, so both spread evenly). smki writes the value with each row (`key_hash`, covered by
// the row MAC, so it cannot be edited apart from the row), and every read checks it against the key.
// Migration 18 fills it in SQL (keyHashSql), which computes the same value.
/** A bucket is the rows whose bucket key (rowid, or a bucket column) >> BUCKET_BITS is the same (64 values). */
export const BUCKET_BITS = 6;

/** The column that names a keyed table's bucket (its value >> BUCKET_BITS). */
export const KEY_HASH_COLUMN = 'key_hash';

const HEX = '0123456789ABCDEF';
const DIGITS = 4;

/** key_hash of a row whose key is `key`: the value of its last four hex digits (upper-cased), times 64. */
export function keyHash(key: string): number {
  const k = key.toUpperCase();
  let v = 0;
  for (let i = 1; i <= DIGITS; i++) {
    // As SQL's instr/strpos: a missing digit (a shorter key) counts 0, a non-hex one -1.
    const c = k.length - i >= 0 ? HEX.indexOf(k[k.length - i]!) : 0;
    v += c * 16 ** (i - 1);
  }
  return v * (1 << BUCKET_BITS);
}

/** The SQL expression of keyHash over `column` (SQLite or PostgreSQL), for the migration that fills the column. */
export function keyHashSql(column: string, dialect: 'sqlite' | 'postgres'): string {
  const digit = (i: number) =>
    dialect === 'sqlite'
      ? `(instr('${HEX}', substr(upper(${column}), -${i}, 1)) - 1)`
      : `(strpos('${HEX}', substr(upper(${column}), length(${column}) - ${i - 1}, 1)) - 1)`;
  const terms = Array.from({ length: DIGITS }, (_, j) => `${16 ** j} * ${digit(j + 1)}`);
  return `(${1 << BUCKET_BITS} * (${terms.join(' + ')}))`;
}
