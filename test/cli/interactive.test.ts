import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listUserIds } from '../../src/registry/parties.js';
import { Registry } from '../../src/registry/registry.js';
import { makeCsr } from '../support/csr.js';
import { registryDigest, setupScenario, SRP, type Scenario } from '../support/scenario.js';
import { DOWN, ENTER, interactive } from '../support/tty.js';
import { smki } from '../support/cli.js';
import { actAs, officerTestKey } from '../support/keys.js';
import { writeNewKey } from '../../src/ca/person-keys.js';

describe('cli: prompts on a terminal', function () {
  let s: Scenario;
  before(async () => { s = await setupScenario(); });
  after(() => s.cleanup());

  it('a full interactive cert issue: every value prompted, same validation as the flags', async () => {
    const csr = join(s.dir, 'i.csr');
    writeFileSync(csr, (await makeCsr({ eui: SRP })).pem);
    const reg = Registry.open(s.home, { readonly: true });
    const position = listUserIds(reg).findIndex((u) => u.eui === SRP);
    reg.close();
    const secret = readFileSync(s.pass, 'utf8').trim();
    const r = await interactive(['--home', s.home, 'cert', 'issue', '--out', join(s.dir, 'i.pem')], [
      { when: /CSR file/, keys: `${csr}${ENTER}` },
      { when: /User ID/, keys: `${DOWN.repeat(position)}${ENTER}` },
      { when: /Certificate profile/, keys: ENTER },
      { when: /key file \(--officer-key\)/, keys: `${officerTestKey(s.home, s.aro)!.key}${ENTER}` },
      { when: /passphrase/i, keys: `${secret}${ENTER}` },
    ]);
    assert.equal(r.unanswered, 0, r.stdout + r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /issued [0-9A-F]{32} \(xml-sign, OU 87\)/);
    assert.match(readFileSync(join(s.dir, 'i.pem'), 'utf8'), /BEGIN CERTIFICATE/);
  });

  it('a prompted value goes through the same validation (a bad EUI is re-asked)', async () => {
    const r = await interactive(['--home', s.home, ...actAs('ra1'), 'party', 'add', '--name', 'Prompted Party', '--role', 'OU'], [
      { when: /User ID \(EUI-64\)/, keys: `not-an-eui${ENTER}` },
      { when: /is not an EUI-64/, keys: `\x15${'90B3D51F300E0001'}${ENTER}` },
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it("the --as key's passphrase is asked on a terminal (hidden), and the key file too when --as is missing", async () => {
    const key = join(s.dir, 'ra-enc.key');
    const pub = join(s.dir, 'ra-enc.pub');
    writeFileSync(pub, writeNewKey(key, Buffer.from('operator pass phrase')).publicKeyPem);
    assert.equal((await s.run(['operator', 'add', '--name', 'ra-enc', '--public-key', pub])).code, 0);
    const r = await interactive(['--home', s.home, '--as', key, 'party', 'add', '--name', 'Keyed Party', '--role', 'OU', '--eui', '90B3D51F300E0002'], [
      { when: /Passphrase of .*ra-enc\.key/, keys: `operator pass phrase${ENTER}` },
    ]);
    assert.equal(r.unanswered, 0, r.stdout + r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /operator pass phrase/);
    const prompted = await interactive(['--home', s.home, 'party', 'add', '--name', 'Keyed Party', '--role', 'OU', '--eui', '90B3D51F300E0003'], [
      { when: /RA operator key file \(--as\)/, keys: `${key}${ENTER}` },
      { when: /Passphrase of/, keys: `operator pass phrase${ENTER}` },
    ]);
    assert.equal(prompted.unanswered, 0, prompted.stdout + prompted.stderr);
    assert.equal(prompted.code, 0, prompted.stderr);
    // Without a terminal: no prompt, an error naming what is missing.
    const noTty = await smki(['--home', s.home, '--as', key, 'party', 'add', '--name', 'Keyed Party', '--role', 'OU', '--eui', '90B3D51F300E0004']);
    assert.equal(noTty.code, 4);
    assert.match(noTty.stderr, /missing SMKI_AS_PASSPHRASE_FILE/);
    const noAs = await smki(['--home', s.home, 'party', 'add', '--name', 'Keyed Party', '--role', 'OU', '--eui', '90B3D51F300E0004']);
    assert.equal(noAs.code, 4);
    assert.match(noAs.stderr, /missing --as/);
  });

  it('a refused confirmation changes nothing', async () => {
    const list = await s.run(['cert', 'list', '--party', SRP, '--json']);
    const serial = list.json.items.find((c: { status: string }) => c.status === 'valid').serial;
    const before = registryDigest(s.home);
    const r = await interactive(['--home', s.home, 'cert', 'revoke', serial, '--reason', 'superseded', '--passphrase-file', s.pass], [
      { when: /This cannot be undone/, keys: `n${ENTER}` },
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cancelled; nothing was changed/);
    assert.equal(registryDigest(s.home), before);
  });

  it('smki with no arguments on a terminal offers the menu of common tasks', async () => {
    const r = await interactive(['--home', s.home], [
      { when: /What do you want to do\?/, keys: `${DOWN.repeat(9)}${ENTER}` }, // Verify the audit chain
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /audit chain intact/);
  });

  it("the menu ends with Quit, which runs nothing and exits 0", async () => {
    const before = registryDigest(s.home);
    const r = await interactive(['--home', s.home], [
      { when: /What do you want to do\?/, keys: `\x1b[A${ENTER}` }, // up from the first choice: the last, Quit
    ]);
    assert.equal(r.unanswered, 0, r.stdout + r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Quit/);
    assert.equal(registryDigest(s.home), before);
  });

  it('SoLRContingency comes first in the User Role list', async () => {
    const r = await interactive(['--home', s.home, ...actAs('ra1'), 'party', 'add', '--name', 'Role Order Ltd', '--eui', '90B3D51F300E0009'], [
      { when: /User Role/, keys: ENTER }, // the first choice
      { when: /Supplier User ID this SRP acts for/, keys: `90B3D51F30010000${ENTER}` },
    ]);
    assert.equal(r.unanswered, 0, r.stdout + r.stderr);
    assert.equal(r.code, 0, r.stderr);
    // Enter on the first choice of the list chose SoLRContingency (and it asked for the Supplier it acts for).
    assert.match(r.stdout, /registered: 90B3D51F300E0009 SoLRContingency for Role Order Ltd/);
  });

  it('no prompt ever appears without a terminal: a missing value is an error naming its flag', async () => {
    const r = await s.run(['officer', 'add', '--party', SRP, '--kind', 'aro', '--name', 'X']);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /missing --officer-key/); // the nominating SRO's key (was --nominated-by before officers had keys)
    assert.doesNotMatch(r.stdout, /\?/);
    const none = await s.run([]);
    assert.equal(none.code, 4);
    assert.match(none.stderr, /missing command/);
  });
});
