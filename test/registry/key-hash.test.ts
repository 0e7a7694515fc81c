// The key hash smki computes for its own writes is the one the database generates from the key
// (src/registry/key-hash.ts): a row's bucket is the same whoever computes it, on both back-ends.
import { strict as assert } from 'node:assert';
import { BUCKET_BITS, KEY_HASH_COLUMN, keyHash, keyHashSql } from '../../src/registry/key-hash.js';
import { findDevice } from '../../src/registry/devices.js';
import { registryHome } from '../support/registry-home.js';
import type { Eui64 } from '../../src/domain/eui.js';

const KEYS = ['', 'F', 'ab', '7', '00DB1234567890A0', '00db1234567890a0', '4A3F0000000000000000000000001A2B', 'ZZZZ', '0000FFFF'];

describe('registry/key-hash: the bucket a key names', () => {
  it('is the value of the last four hex digits, times 64, case-blind; missing digits count 0', () => {
    assert.equal(keyHash('00DB1234567890A0'), 0x90a0 << BUCKET_BITS);
    assert.equal(keyHash('00db1234567890a0'), keyHash('00DB1234567890A0'));
    assert.equal(keyHash('F'), 0xf << BUCKET_BITS);
    assert.equal(keyHash(''), 0);
    assert.equal(keyHash('0000FFFF'), 0xffff << BUCKET_BITS);
  });

  it("is what the test back-end's generated column holds, for every key", () => {
    const home = registryHome('smki-key-hash-');
    const reg = home.create();
    try {
      const dialect = reg.db.dialect === 'sqlite' ? 'sqlite' : 'postgres';
      reg.db.exec(dialect === 'sqlite'
        ? `CREATE TABLE hashed (k TEXT PRIMARY KEY, ${KEY_HASH_COLUMN} INTEGER GENERATED ALWAYS AS ${keyHashSql('k', 'sqlite')} VIRTUAL)`
        : `CREATE TABLE hashed (k text PRIMARY KEY, ${KEY_HASH_COLUMN} bigint GENERATED ALWAYS AS ${keyHashSql('k', 'postgres')} STORED)`);
      const ins = reg.db.prepare('INSERT INTO hashed (k) VALUES (?)');
      for (const k of KEYS) ins.run(k);
      for (const k of KEYS) assert.equal(Number((reg.db.prepare(`SELECT ${KEY_HASH_COLUMN} AS h FROM hashed WHERE k = ?`).get(k) as { h: number }).h), keyHash(k), `key ${JSON.stringify(k)}`);
      // The registry's own tables have it (migration 18), and a key never registered is simply absent.
      assert.equal(findDevice(reg, '00DB0000DEADBEEF' as Eui64), undefined);
    } finally {
      reg.close();
      home.cleanup();
    }
  });
});
