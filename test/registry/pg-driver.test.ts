// libpq is an optional dependency (src/registry/pg-driver.ts): an installation without it runs every
// SQLite home as before, and a PostgreSQL registry is refused in one line that says what to install,
// before anything is written.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { passphraseFile, tempDir } from '../support/cli.js';
import { ensureBuilt } from '../support/process.js';

const BIN = join(process.cwd(), 'bin', 'smki.js');

// Loaded with -r: resolving 'libpq' fails as it does where npm could not build the optional module.
const WITHOUT_LIBPQ = `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'libpq') { const e = new Error("Cannot find module 'libpq'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
  return resolve.call(this, request, ...rest);
};
`;

describe('registry/pg-driver: libpq is optional', function () {
  this.timeout(60_000);

  it('without libpq, a PostgreSQL registry is exit 1 naming the package to install, and no home is made; SQLite homes work', () => {
    ensureBuilt();
    const { dir, cleanup } = tempDir();
    try {
      const hook = join(dir, 'without-libpq.cjs');
      writeFileSync(hook, WITHOUT_LIBPQ);
      const pass = passphraseFile(dir);
      const run = (home: string, extra: string[]) => spawnSync(process.execPath, ['-r', hook, BIN, '--home', home, ...extra,
        'init', '--ca-name', 'Optional libpq OCA', '--passphrase-file', pass, '--admin', 'ra1', '--admin-key-out', join(dir, `${extra.length}.key`), '--admin-passphrase-file', pass],
      { encoding: 'utf8', env: { ...process.env, SMKI_DATABASE_URL: '' } });
      const pg = run(join(dir, 'pg-home'), ['--database', 'postgres://postgres@127.0.0.1:5432/test?schema=t_no_libpq']);
      assert.equal(pg.status, 1, pg.stderr);
      assert.match(pg.stderr, /^smki: the PostgreSQL back-end needs the optional libpq module.*apt-get install libpq-dev/);
      assert.equal(pg.stderr.trim().split('\n').length, 1, pg.stderr);
      assert.equal(existsSync(join(dir, 'pg-home')), false, 'nothing written');
      const sqlite = run(join(dir, 'sqlite-home'), []);
      assert.equal(sqlite.status, 0, sqlite.stderr);
    } finally {
      cleanup();
    }
  });
});
