// RA operators with keys: init --admin, key new, operator add/list/revoke, each change signed by --as.
import { strict as assert } from 'node:assert';
import { chmodSync, copyFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { passphraseFile, smki, tempDir } from '../support/cli.js';
import { personKey } from '../support/keys.js';
import { registryDigest } from '../support/scenario.js';

describe('cli: RA operators act with their keys', () => {
  const t = tempDir();
  const home = join(t.dir, 'home');
  const pass = passphraseFile(t.dir);
  const run = (args: string[]) => smki(['--home', home, ...args]);
  const ra1 = personKey(t.dir, 'ra1');
  const ra2 = personKey(t.dir, 'ra2');
  const stranger = personKey(t.dir, 'stranger');
  after(() => t.cleanup());

  it('init needs the first operator: --admin with --admin-public-key (or --admin-key-out)', async () => {
    const none = await run(['init', '--passphrase-file', pass]);
    assert.equal(none.code, 4);
    assert.match(none.stderr, /missing --admin/);
    const noKey = await run(['init', '--passphrase-file', pass, '--admin', 'ra1']);
    assert.equal(noKey.code, 4);
    assert.match(noKey.stderr, /--admin-public-key FILE .* or --admin-key-out FILE/);
    const r = await run(['init', '--passphrase-file', pass, '--admin', 'ra1', '--admin-public-key', ra1.pub, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.admin, 'ra1');
    const list = await run(['operator', 'list', '--json']);
    assert.deepEqual(list.json.items.map((o: { name: string; status: string }) => [o.name, o.status]), [['ra1', 'active']]);
  });

  it('init --admin-key-out makes an encrypted key (0600) whose public key is registered', async () => {
    const other = join(t.dir, 'other-home');
    const keyOut = join(t.dir, 'made-admin.key');
    const r = await smki(['--home', other, 'init', '--passphrase-file', pass, '--admin', 'boss', '--admin-key-out', keyOut, '--admin-passphrase-file', pass, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(keyOut).mode & 0o777, 0o600);
    assert.match(readFileSync(keyOut, 'utf8'), /BEGIN ENCRYPTED PRIVATE KEY/);
    process.env.SMKI_AS_PASSPHRASE_FILE = pass;
    try {
      const add = await smki(['--home', other, '--as', keyOut, 'operator', 'add', '--name', 'ra2', '--public-key', ra2.pub]);
      assert.equal(add.code, 0, add.stderr);
    } finally {
      delete process.env.SMKI_AS_PASSPHRASE_FILE;
    }
    const missing = await smki(['--home', other, '--as', keyOut, 'operator', 'add', '--name', 'ra3', '--public-key', ra2.pub]);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /missing SMKI_AS_PASSPHRASE_FILE/);
  });

  it('a change without --as, with an unregistered key or a world-readable key is refused and changes nothing', async () => {
    const before = registryDigest(home);
    const without = await run(['operator', 'add', '--name', 'ra2', '--public-key', ra2.pub]);
    assert.equal(without.code, 4);
    assert.match(without.stderr, /missing --as/);
    const unknown = await run(['--as', stranger.key, 'operator', 'add', '--name', 'ra2', '--public-key', ra2.pub]);
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /OPERATOR_KEY_UNKNOWN/);
    const open = join(t.dir, 'ra1-open.key');
    copyFileSync(ra1.key, open);
    chmodSync(open, 0o644);
    const readable = await run(['--as', open, 'operator', 'add', '--name', 'ra2', '--public-key', ra2.pub]);
    assert.equal(readable.code, 4);
    assert.match(readable.stderr, /others may read it/);
    assert.equal(registryDigest(home), before);
  });

  it('operator add signed by ra1; SMKI_AS names the key too; the same key under a second name', async () => {
    const r = await run(['--as', ra1.key, 'operator', 'add', '--name', 'ra2', '--public-key', ra2.pub, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.addedBy, 'ra1');
    process.env.SMKI_AS = ra2.key;
    try {
      const alias = await run(['operator', 'add', '--name', 'ra2-alias', '--public-key', ra2.pub, '--json']);
      assert.equal(alias.code, 0, alias.stderr);
      assert.equal(alias.json.addedBy, 'ra2');
    } finally {
      delete process.env.SMKI_AS;
    }
    const dup = await run(['--as', ra1.key, 'operator', 'add', '--name', 'RA2', '--public-key', stranger.pub]);
    assert.equal(dup.code, 4);
    assert.match(dup.stderr, /registered already/);
  });

  it('revoke: the key stops working at once under every name; the last active operator stays', async () => {
    const r = await run(['--as', ra1.key, 'operator', 'revoke', 'ra2', '--yes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.revoked.map((o: { name: string }) => o.name), ['ra2', 'ra2-alias']);
    const before = registryDigest(home);
    const revoked = await run(['--as', ra2.key, 'operator', 'add', '--name', 'ra3', '--public-key', stranger.pub]);
    assert.equal(revoked.code, 3);
    assert.match(revoked.stderr, /OPERATOR_REVOKED/);
    const last = await run(['--as', ra1.key, 'operator', 'revoke', 'ra1', '--yes']);
    assert.equal(last.code, 3);
    assert.match(last.stderr, /OPERATOR_LAST_ACTIVE/);
    assert.equal(registryDigest(home), before);
    const list = await run(['operator', 'list']);
    assert.match(list.stdout, /ra2 +SHA256:[0-9a-f]{16} +revoked/);
  });

  it('key new prints the public key; the key works as --as once registered', async () => {
    const out = join(t.dir, 'ra4.key');
    const r = await smki(['key', 'new', '--out', out, '--unencrypted', '--public-out', join(t.dir, 'ra4.pub')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^-----BEGIN PUBLIC KEY-----/);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.equal((await run(['--as', ra1.key, 'operator', 'add', '--name', 'ra4', '--public-key', join(t.dir, 'ra4.pub')])).code, 0);
    assert.equal((await run(['--as', out, 'operator', 'revoke', 'ra1', '--yes'])).code, 0);
    const noPass = await smki(['key', 'new', '--out', join(t.dir, 'ra5.key')]);
    assert.equal(noPass.code, 4);
    assert.match(noPass.stderr, /missing --passphrase-file \(or --unencrypted\)/);
  });
});
