// CRL Numbers from the registry's CRL table (src/registry/certificates.ts): the next number follows the
// newest CRL, so the newest CRLs deleted outside smki must be refused, never handed out again.
import { strict as assert } from 'node:assert';
import Database from 'better-sqlite3';
import { IntegrityError } from '../../src/domain/errors.js';
import { insertCrl, latestCrl, nextCrlNumber } from '../../src/registry/certificates.js';
import type { HomePaths } from '../../src/registry/home.js';
import { Registry } from '../../src/registry/registry.js';
import { registryHome, type RegistryHome } from '../support/registry-home.js';

describe('registry/certificates: the next CRL Number', () => {
  let home: RegistryHome;
  let paths: HomePaths;

  beforeEach(() => {
    home = registryHome('smki-crl-number-');
    paths = home.paths;
    const key = home.key;
    // CRLs 1 to 64: the 64th is the first of the second bucket of 64 rowids (the number is the rowid).
    const reg = Registry.create(paths, key);
    try {
      for (let n = 1; n <= 64; n++) {
        const at = new Date(Date.UTC(2026, 11, 1, 0, n));
        reg.tx(() => {
          insertCrl(reg, n, at, new Date(at.getTime() + 86_400_000), Buffer.from(`crl ${n}`));
          reg.audit.append(at, { name: 'test' } as never, 'crl.generate', `CRL-${n}`, {});
        });
      }
    } finally {
      reg.close();
    }
  });
  afterEach(() => home.cleanup());

  function withRegistry<T>(fn: (reg: Registry) => T): T {
    const reg = Registry.open(paths.dir);
    try {
      return fn(reg);
    } finally {
      reg.close();
    }
  }

  it('follows the newest CRL', () => {
    assert.equal(withRegistry((reg) => nextCrlNumber(reg)), 65);
    assert.equal(withRegistry((reg) => latestCrl(reg)?.number), 64);
  });

  it('the newest CRL deleted outside smki (alone in its bucket): refused (IntegrityError), not number 64 again', () => {
    const db = new Database(paths.db);
    assert.equal(db.prepare('DELETE FROM crls WHERE number = 64').run().changes, 1);
    db.close();
    const tampered = (e: unknown) => e instanceof IntegrityError && /table crls/.test(e.message);
    assert.throws(() => withRegistry((reg) => nextCrlNumber(reg)), tampered);
    assert.throws(() => withRegistry((reg) => latestCrl(reg)), tampered);
  });
});
