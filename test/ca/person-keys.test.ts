import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyIdOf, loadKeyFile, parsePublicKey, readPublicKeyFile, writeNewKey } from '../../src/ca/person-keys.js';
import { InputError } from '../../src/domain/errors.js';
import { tempDir } from '../support/cli.js';

describe('ca/person-keys: the keys people act with', () => {
  const t = tempDir();
  after(() => t.cleanup());
  const never = async (): Promise<Buffer> => { throw new Error('no passphrase should be asked'); };

  it('writeNewKey: encrypted PKCS#8, mode 0600, never over a file; read back with its passphrase only', async () => {
    const out = join(t.dir, 'enc.key');
    const k = writeNewKey(out, Buffer.from('pass phrase'));
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.match(readFileSync(out, 'utf8'), /BEGIN ENCRYPTED PRIVATE KEY/);
    assert.throws(() => writeNewKey(out, undefined), (e: unknown) => e instanceof InputError && /exists/.test(e.message));
    const signer = await loadKeyFile(out, '--as', async () => Buffer.from('pass phrase'));
    assert.equal(keyIdOf(signer.spkiDer), k.keyId);
    assert.deepEqual(parsePublicKey(k.publicKeyPem), signer.spkiDer);
    await assert.rejects(loadKeyFile(out, '--as', async () => Buffer.from('wrong')), /wrong passphrase/);
  });

  it('a plain key must be 0600: a world-readable one is refused before it is read', async () => {
    const out = join(t.dir, 'plain.key');
    writeNewKey(out, undefined);
    assert.ok((await loadKeyFile(out, '--as', never)).spkiDer.length > 0);
    chmodSync(out, 0o644);
    await assert.rejects(loadKeyFile(out, '--as', never), (e: unknown) => e instanceof InputError && /not encrypted and others may read it \(mode 644\)/.test(e.message));
  });

  it('keys made by openssl are accepted (plain PKCS#8 and SEC1), other curves are not', async function () {
    const p8 = join(t.dir, 'openssl.key');
    const sec1 = join(t.dir, 'openssl-sec1.key');
    const p384 = join(t.dir, 'p384.key');
    try {
      execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', p8], { stdio: 'ignore' });
      execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', sec1], { stdio: 'ignore' });
      execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', p384], { stdio: 'ignore' });
    } catch {
      return this.skip();
    }
    for (const f of [p8, sec1, p384]) chmodSync(f, 0o600);
    const pub = join(t.dir, 'openssl.pub');
    execFileSync('openssl', ['pkey', '-in', p8, '-pubout', '-out', pub]);
    assert.deepEqual((await loadKeyFile(p8, '--as', never)).spkiDer, readPublicKeyFile(pub));
    assert.ok((await loadKeyFile(sec1, '--as', never)).spkiDer.length > 0);
    await assert.rejects(loadKeyFile(p384, '--as', never), /not an ECDSA P-256 key/);
  });

  it('a public key file: PEM PUBLIC KEY only; a private key or garbage is named', () => {
    const k = writeNewKey(join(t.dir, 'pub-src.key'), undefined);
    assert.equal(keyIdOf(parsePublicKey(k.publicKeyPem)), k.keyId);
    assert.throws(() => parsePublicKey(readFileSync(join(t.dir, 'pub-src.key'), 'utf8')), /this is a private key/);
    const junk = join(t.dir, 'junk.pub');
    writeFileSync(junk, 'hello');
    assert.throws(() => readPublicKeyFile(junk), /not a PEM public key/);
    assert.throws(() => readPublicKeyFile(join(t.dir, 'missing.pub')), /cannot read/);
  });
});
