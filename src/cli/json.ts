// The stable shape of every --json document (docs/schema/README.md): one object with schemaVersion;
// a list is {schemaVersion, items, total}; the same key for the same thing everywhere. Command
// modules build their objects; this module gives every one the shared names, so a name is decided
// in one place and a new field cannot bring back an old spelling (test/docs/json-schemas.test.ts).
export const SCHEMA_VERSION = 1;

/**
 * Field names that earlier releases used, and the stable name for the same thing. Applied to fields
 * whose value is a string or null (an identifier), at any depth.
 */
export const STABLE_NAMES: Readonly<Record<string, string>> = {
  eui: 'userId',
  party: 'partyName',
  supplierEui: 'supplierUserId',
  failedSupplier: 'supplierUserId',
  deviceEui: 'deviceId',
  srp: 'srpUserId',
  supplier: 'supplierUserId',
  officer: 'officerId',
  solrEvent: 'solrEventId',
};

/** Fields copied as they are: an audit record's details are evidence, shown as recorded. */
const VERBATIM = new Set(['details']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The value with every legacy field name replaced by its stable name (an existing stable field wins). */
export function stableKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stableKeys);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(v)) {
    if (VERBATIM.has(k)) {
      out[k] = value;
      continue;
    }
    const to = STABLE_NAMES[k];
    // camelCase throughout: a snake_case column name (prev_hash) is written prevHash.
    const camel = k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    const renamed = to !== undefined && (value === null || typeof value === 'string') && !(to in v) ? to : camel;
    out[renamed] = stableKeys(value);
  }
  return out;
}

/** The document a command prints: a list becomes {items, total}; every document carries schemaVersion. */
export function jsonDocument(value: unknown): Record<string, unknown> {
  const v = stableKeys(value);
  if (Array.isArray(v)) return { schemaVersion: SCHEMA_VERSION, items: v, total: v.length };
  if (isPlainObject(v)) return { schemaVersion: SCHEMA_VERSION, ...v };
  return { schemaVersion: SCHEMA_VERSION, value: v };
}

/**
 * A list written item by item as it is produced (a streamed list, or a batch reported as it commits):
 * `{"schemaVersion": 1, "items": [ ... ], "total": N, ...end}`, one JSON document however it ends.
 */
export function jsonListWriter(out: NodeJS.WritableStream) {
  let total = 0;
  return {
    item(value: unknown): void {
      out.write(`${total === 0 ? `{\n  "schemaVersion": ${SCHEMA_VERSION},\n  "items": [\n` : ',\n'}${JSON.stringify(stableKeys(value), null, 2).replace(/^/gm, '    ')}`);
      total++;
    },
    end(extra: Record<string, unknown> = {}): void {
      const tail = JSON.stringify({ total, ...(stableKeys(extra) as object) }, null, 2).slice(2);
      out.write(`${total === 0 ? `{\n  "schemaVersion": ${SCHEMA_VERSION},\n  "items": [` : '\n  '}],\n${tail}\n`);
    },
  };
}
