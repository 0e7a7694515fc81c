// Exit statuses that scripts tell apart (README "Exit statuses"): an unknown officer is malformed input
// (4) wherever an officer ID is taken, as an unknown Party is; a passphrase that does not unlock its
// key is exit 2 with one line naming the key, for every kind of key smki unlocks with a passphrase
// (the PKCS#11 PIN's exit 2 is in test/ca/pkcs11.test.ts, on SoftHSM2).
import { strict as assert } from 'node:assert';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNewKey } from '../../src/ca/person-keys.js';
import { smki } from '../support/cli.js';
import { makeCsr } from '../support/csr.js';
import { officerTestKey } from '../support/keys.js';
import { registryDigest, setupScenario, SRP, type Scenario } from '../support/scenario.js';

const WRONG = /^smki: .*wrong passphrase for .* \(or (its|the) key file is damaged\)\n$/;

describe('cli: exit statuses for an unknown officer and a wrong passphrase', function () {
  let s: Scenario;
  let wrong: string;
  let csr: string;
  before(async () => {
    s = await setupScenario();
    wrong = join(s.dir, 'wrong-pass.txt');
    writeFileSync(wrong, 'not the passphrase at all\n', { mode: 0o600 });
    csr = join(s.dir, 'srp.csr');
    writeFileSync(csr, (await makeCsr({ eui: SRP })).pem);
  });
  after(() => s.cleanup());

  it('an officer ID that names no officer is exit 4 with one line, for every command that takes one, and changes nothing', async () => {
    const aroKey = officerTestKey(s.home, s.aro)!.key;
    const sroKey = officerTestKey(s.home, s.sro)!.key;
    const adt = join(s.dir, 'adt.csv');
    writeFileSync(adt, readFileSync('fixtures/adt/example-adt.csv'));
    const before = registryDigest(s.home);
    for (const args of [
      ['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer-key', aroKey, '--officer', 'OFC-99', '--passphrase-file', s.pass],
      ['adt', 'submit', '--party', SRP, '--officer-key', aroKey, '--officer', 'OFC-99', '--file', adt],
      ['sr', 'quarantine', 'release', 'Q-1', '--officer-key', aroKey, '--officer', 'OFC-99'],
      ['sr', 'quarantine', 'delete', 'Q-1', '--officer-key', aroKey, '--officer', 'ofc-99'],
      ['officer', 'add', '--party', SRP, '--kind', 'aro', '--name', 'Nobody', '--officer-key', sroKey, '--nominated-by', 'OFC-99'],
      ['officer', 'activate', 'OFC-99'],
      ['officer', 'suspend', 'OFC-99'],
      ['officer', 'revoke', 'OFC-99', '--yes'],
    ]) {
      const r = await s.run(args);
      assert.equal(r.code, 4, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^smki: no officer (OFC|ofc)-99 \(see 'smki officer list'\)\n$/, args.join(' '));
      const j = await s.run([...args, '--json']);
      assert.equal(j.code, 4);
      assert.equal(j.json.exitStatus, 4);
    }
    assert.equal(registryDigest(s.home), before);
    // An officer that exists but is not the key's holder stays a refusal (the input was understood).
    const other = await s.run(['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer-key', aroKey, '--officer', s.sro, '--passphrase-file', s.pass]);
    assert.equal(other.code, 3, other.stderr);
    assert.match(other.stderr, /OFFICER_KEY_MISMATCH/);
  });

  it('a wrong CA passphrase (Issuing and Root OCA keys) is exit 2, one line, nothing changed', async () => {
    const before = registryDigest(s.home);
    const issuing = await s.run(['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer', s.aro, '--passphrase-file', wrong]);
    assert.equal(issuing.code, 2);
    assert.equal(issuing.stderr, 'smki: wrong passphrase for the Issuing OCA key (or its key file is damaged)\n');
    const crl = await s.run(['crl', '--refresh', '--passphrase-file', wrong, '--json']);
    assert.equal(crl.code, 2);
    assert.equal(crl.json.exitStatus, 2);
    assert.match(crl.json.error, /wrong passphrase for the Issuing OCA key/);
    const root = await s.run(['ca', 'issue-issuing', '--root-passphrase-file', wrong, '--passphrase-file', s.pass]);
    assert.equal(root.code, 2, root.stderr);
    assert.equal(root.stderr, 'smki: wrong passphrase for the Root OCA key (or its key file is damaged)\n');
    assert.equal(registryDigest(s.home), before);
  });

  it("a wrong passphrase for an encrypted --as or --officer-key file is exit 2, naming the flag and the file", async () => {
    const key = join(s.dir, 'person-enc.key');
    writeNewKey(key, Buffer.from('the right pass phrase'));
    const before = registryDigest(s.home);
    process.env.SMKI_AS_PASSPHRASE_FILE = wrong;
    process.env.SMKI_OFFICER_PASSPHRASE_FILE = wrong;
    try {
      const as = await smki(['--home', s.home, '--as', key, 'party', 'add', '--name', 'X', '--role', 'OU', '--eui', '90B3D51F300E0070']);
      assert.equal(as.code, 2);
      assert.match(as.stderr, WRONG);
      assert.ok(as.stderr.startsWith(`smki: --as: wrong passphrase for ${key}`), as.stderr);
      const officer = await s.run(['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer-key', key, '--passphrase-file', s.pass]);
      assert.equal(officer.code, 2);
      assert.ok(officer.stderr.startsWith(`smki: --officer-key: wrong passphrase for ${key}`), officer.stderr);
    } finally {
      delete process.env.SMKI_AS_PASSPHRASE_FILE;
      delete process.env.SMKI_OFFICER_PASSPHRASE_FILE;
    }
    assert.equal(registryDigest(s.home), before);
  });

  it('a wrong --passphrase-file for an encrypted signing key (csr new, sr sign, gbcs sign; PEM and DER) is exit 2', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = join(s.dir, 'signing-enc.pem');
    const der = join(s.dir, 'signing-enc.der');
    const plain = join(s.dir, 'signing-plain.pem');
    const secret = { cipher: 'aes-256-cbc', passphrase: 'the right pass phrase' } as const;
    writeFileSync(pem, pair.privateKey.export({ format: 'pem', type: 'pkcs8', ...secret }) as string, { mode: 0o600 });
    writeFileSync(der, pair.privateKey.export({ format: 'der', type: 'pkcs8', ...secret }) as Buffer, { mode: 0o600 });
    writeFileSync(plain, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
    assert.ok(createPrivateKey({ key: readFileSync(der), format: 'der', type: 'pkcs8', passphrase: 'the right pass phrase' }));
    const duis = 'fixtures/public/duis/ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML';
    for (const key of [pem, der]) {
      for (const args of [
        ['csr', 'new', '--eui', SRP, '--profile', 'xml-sign', '--key', key, '--passphrase-file', wrong],
        ['sr', 'sign', duis, '--cert', 'fixtures/public/smki-certs/xml-sign-90B3D51F30010000-ds.pem', '--key', key, '--passphrase-file', wrong],
        ['gbcs', 'sign', 'fixtures/public/gbcs/GCS02_1.6_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX', '--key', key, '--passphrase-file', wrong],
      ]) {
        const r = await smki(args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.equal(r.stderr, `smki: --key: wrong passphrase for ${key} (or the key file is damaged)\n`);
        assert.equal(r.stdout, '');
      }
    }
    // The right passphrase signs; a plain key is not a passphrase matter; garbage is malformed input (4).
    const right = join(s.dir, 'right-pass.txt');
    writeFileSync(right, 'the right pass phrase\n', { mode: 0o600 });
    assert.equal((await smki(['csr', 'new', '--eui', SRP, '--profile', 'xml-sign', '--key', der, '--passphrase-file', right])).code, 0);
    assert.equal((await smki(['csr', 'new', '--eui', SRP, '--profile', 'xml-sign', '--key', plain, '--passphrase-file', wrong])).code, 0);
    const garbage = join(s.dir, 'garbage.key');
    writeFileSync(garbage, 'not a key\n', { mode: 0o600 });
    const g = await smki(['csr', 'new', '--eui', SRP, '--profile', 'xml-sign', '--key', garbage, '--passphrase-file', wrong]);
    assert.equal(g.code, 4, g.stderr);
    assert.doesNotMatch(g.stderr, /wrong passphrase/);
  });
});
