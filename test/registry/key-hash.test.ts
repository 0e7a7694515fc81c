// The key hash smki writes with each row is the one migration 18 computes in SQL for the rows it
// finds (src/registry/key-hash.ts): a row's bucket is the same whoever computed it, on both back-ends.
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

  it("is what the migration's SQL computes on the test back-end, for every key", () => {
    const home = registryHome('smki-key-hash-');
    const reg = home.create();
    try {
      const dialect = reg.db.dialect === 'sqlite' ? 'sqlite' : 'postgres';
      reg.db.exec(`CREATE TABLE hashed (k TEXT PRIMARY KEY, ${KEY_HASH_COLUMN} BIGINT)`);
      const ins = reg.db.prepare('INSERT INTO hashed (k) VALUES (?)');
      for (const k of KEYS) ins.run(k);
      reg.db.exec(`UPDATE hashed SET ${KEY_HASH_COLUMN} = ${keyHashSql('k', dialect)}`);
      for (const k of KEYS) assert.equal(Number((reg.db.prepare(`SELECT ${KEY_HASH_COLUMN} AS h FROM hashed WHERE k = ?`).get(k) as { h: number }).h), keyHash(k), `key ${JSON.stringify(k)}`);
      // The registry's own tables have it (migration 18), and a key never registered is simply absent.
      assert.equal(findDevice(reg, '00DB0000DEADBEEF' as Eui64), undefined);
    } finally {
      reg.close();
      home.cleanup();
    }
  });
});
