import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { derivedAhead, derivationsSettled, encryptPrivateKey } from '../../src/ca/keystore.js';
import { deriveKeysAhead, UNLOCK_WORDS } from '../../src/cli/early-unlock.js';
import { EARLY_UNLOCK_WORDS } from '../../src/cli/main.js';
import { tempDir } from '../support/cli.js';

describe('cli/early-unlock: key derivations started from the command line, before the command loads', () => {
  const t = tempDir();
  after(() => t.cleanup());
  const key = (pass: string) => encryptPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, Buffer.from(pass));

  it('main.ts names the same command words as early-unlock.ts', () => {
    assert.deepEqual([...EARLY_UNLOCK_WORDS].sort(), [...UNLOCK_WORDS].sort());
  });

  it('cert issue: the Issuing OCA keys under --passphrase-file and the --officer-key under SMKI_OFFICER_PASSPHRASE_FILE; cert list: none', async () => {
    const home = join(t.dir, 'home');
    mkdirSync(join(home, 'keys'), { recursive: true });
    const issuing = key('ca passphrase');
    const retired = key('ca passphrase');
    writeFileSync(join(home, 'keys', 'issuing-oca.key.pem'), issuing);
    writeFileSync(join(home, 'keys', 'issuing-oca-20260101T000000Z.key.pem'), retired);
    const officer = key('officer passphrase');
    writeFileSync(join(t.dir, 'aro.key'), officer);
    writeFileSync(join(t.dir, 'ca-pass.txt'), 'ca passphrase\n');
    writeFileSync(join(t.dir, 'aro-pass.txt'), 'officer passphrase\n');
    const env = { SMKI_OFFICER_PASSPHRASE_FILE: join(t.dir, 'aro-pass.txt') };

    deriveKeysAhead('cert', ['--home', home, 'cert', 'list', '--passphrase-file', join(t.dir, 'ca-pass.txt'), '--officer-key', join(t.dir, 'aro.key')], env);
    await derivationsSettled();
    assert.equal(derivedAhead(issuing, Buffer.from('ca passphrase')), false, 'cert list decrypts nothing');
    assert.equal(derivedAhead(officer, Buffer.from('officer passphrase')), false);

    deriveKeysAhead('cert', ['--home', home, 'cert', 'issue', '--passphrase-file', join(t.dir, 'ca-pass.txt'), '--officer-key', join(t.dir, 'aro.key')], env);
    await derivationsSettled();
    assert.equal(derivedAhead(issuing, Buffer.from('ca passphrase')), true);
    assert.equal(derivedAhead(retired, Buffer.from('ca passphrase')), true);
    assert.equal(derivedAhead(officer, Buffer.from('officer passphrase')), true);
  });

  it('files that are missing or unreadable are left for the command to report (nothing thrown here)', () => {
    deriveKeysAhead('cert', ['--home', join(t.dir, 'none'), 'cert', 'issue', '--passphrase-file', join(t.dir, 'missing.txt'), '--officer-key', join(t.dir, 'missing.key')], { SMKI_OFFICER_PASSPHRASE_FILE: join(t.dir, 'missing.txt') });
  });
});
