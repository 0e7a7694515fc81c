import { strict as assert } from 'node:assert';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { decryptPrivateKey, deriveAhead, derivedAhead, derivationsSettled, encryptPrivateKey, SCRYPT } from '../../src/ca/keystore.js';
import { WrongSecretError } from '../../src/domain/errors.js';

const spki = (k: Parameters<typeof createPublicKey>[0]) => createPublicKey(k).export({ format: 'der', type: 'spki' });

describe('ca/keystore: encrypted keys and their scrypt derivation ahead of use', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pass = Buffer.from('keystore test passphrase');

  it('deriveAhead: the derivation is held afterwards and decryptPrivateKey gives the same key as OpenSSL reads', async () => {
    const pem = encryptPrivateKey(privateKey, pass);
    assert.equal(derivedAhead(pem, pass), false);
    const started = deriveAhead(pem, pass);
    assert.equal(deriveAhead(pem, pass), started, 'a second request joins the derivation under way');
    await derivationsSettled();
    assert.equal(derivedAhead(pem, pass), true);
    assert.equal(derivedAhead(pem, Buffer.from('another passphrase')), false);
    const openssl = createPrivateKey({ key: pem, format: 'pem', passphrase: pass });
    assert.deepEqual(spki(decryptPrivateKey(pem, pass)), spki(openssl));
    assert.deepEqual(spki(decryptPrivateKey(pem, pass)), spki(privateKey));
  });

  it('a wrong passphrase is the same one-line error with or without a derivation ahead', async () => {
    const pem = encryptPrivateKey(privateKey, pass);
    const wrong = Buffer.from('wrong passphrase');
    assert.throws(() => decryptPrivateKey(pem, wrong, 'Issuing OCA key'), (e: unknown) => e instanceof WrongSecretError && e.message === 'wrong passphrase for the Issuing OCA key (or its key file is damaged)');
    await deriveAhead(pem, wrong);
    assert.equal(derivedAhead(pem, wrong), true);
    assert.throws(() => decryptPrivateKey(pem, wrong, 'Issuing OCA key'), (e: unknown) => e instanceof WrongSecretError && e.message === 'wrong passphrase for the Issuing OCA key (or its key file is damaged)');
  });

  it('the strength at rest is unchanged: scrypt N=2^14, r=8, p=1 in the file', () => {
    assert.deepEqual(SCRYPT, { N: 16384, r: 8, p: 1 });
    const der = Buffer.from(encryptPrivateKey(privateKey, pass).replace(/-----[^-]+-----|\s/g, ''), 'base64');
    // INTEGER 16384, 8, 1 after the salt in the scrypt parameters.
    assert.ok(der.includes(Buffer.from([0x02, 0x02, 0x40, 0x00, 0x02, 0x01, 0x08, 0x02, 0x01, 0x01])));
  });

  it('a key in another form (PBKDF2, as OpenSSL writes by default) is left to OpenSSL and still decrypts', async () => {
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: pass }) as string;
    await deriveAhead(pem, pass);
    assert.equal(derivedAhead(pem, pass), false);
    assert.deepEqual(spki(decryptPrivateKey(pem, pass)), spki(privateKey));
    assert.throws(() => decryptPrivateKey(pem, Buffer.from('wrong')), WrongSecretError);
  });

  it('a damaged file is a one-line WrongSecretError (exit 2), not a crash, derived ahead or not', async () => {
    const pem = encryptPrivateKey(privateKey, pass);
    const lines = pem.split('\n');
    lines[3] = lines[3]!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    const damaged = lines.join('\n');
    await deriveAhead(damaged, pass);
    assert.throws(() => decryptPrivateKey(damaged, pass), WrongSecretError);
  });
});
