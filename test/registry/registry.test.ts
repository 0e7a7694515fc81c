import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { homePaths } from '../../src/registry/home.js';
import { Registry } from '../../src/registry/registry.js';

describe('registry: readOnce (facts read once per transaction)', function () {
  let dir: string;
  let reg: Registry;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'smki-read-once-'));
    const paths = homePaths(join(dir, 'home'));
    mkdirSync(paths.keysDir, { recursive: true });
    const key = randomBytes(32);
    writeFileSync(paths.auditKey, key.toString('hex'), { mode: 0o600 });
    reg = Registry.create(paths, key);
  });
  after(() => {
    reg.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads once inside a transaction, again in the next one, and every time outside one', () => {
    let reads = 0;
    const read = () => ++reads;
    assert.deepEqual(reg.tx(() => [reg.readOnce('k', read), reg.readOnce('k', read), reg.tx(() => reg.readOnce('k', read))]), [1, 1, 1]);
    assert.equal(reg.tx(() => reg.readOnce('k', read)), 2);
    assert.equal(reg.readOnce('k', read), 3);
    assert.equal(reg.readOnce('k', read), 4);
  });

  it('forgets what it read when the transaction rolls back', () => {
    let reads = 0;
    const read = () => ++reads;
    assert.throws(() => reg.tx(() => {
      reg.readOnce('r', read);
      throw new Error('rolled back');
    }), /rolled back/);
    assert.equal(reg.tx(() => reg.readOnce('r', read)), 2);
  });
});
