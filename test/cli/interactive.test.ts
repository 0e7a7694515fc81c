import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listUserIds } from '../../src/registry/parties.js';
import { Registry } from '../../src/registry/registry.js';
import { makeCsr } from '../support/csr.js';
import { OTHER_SUPPLIER, registryDigest, setupScenario, SRP, SUPPLIER, type Scenario } from '../support/scenario.js';
import { holdsSupplierRole } from '../../src/domain/roles.js';
import { MENU } from '../../src/cli/menu.js';
import { DOWN, ENTER, interactive } from '../support/tty.js';
import { smki } from '../support/cli.js';
import { actAs, officerTestKey, testKey } from '../support/keys.js';
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
      { when: /What do you want to do\?/, keys: `${DOWN.repeat(MENU.findIndex((m) => m.name === 'Verify the audit chain'))}${ENTER}` },
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

  it('SoLRContingency comes first in the User Role list; the Supplier acted for is chosen from the registered Suppliers', async () => {
    const suppliers = listUserIds(Registry.open(s.home, { readonly: true })).filter((u) => holdsSupplierRole(u.roles)).map((u) => u.eui as string);
    const r = await interactive(['--home', s.home, ...actAs('ra1'), 'party', 'add', '--name', 'Role Order Ltd', '--eui', '90B3D51F300E0009'], [
      { when: /User Role/, keys: ENTER }, // the first choice
      { when: /Supplier User ID this SRP acts for[\s\S]*Healthy Energy/, keys: `${DOWN.repeat(suppliers.indexOf(SUPPLIER))}${ENTER}` },
    ]);
    assert.equal(r.unanswered, 0, r.stdout + r.stderr);
    assert.equal(r.code, 0, r.stderr);
    // Enter on the first choice of the list chose SoLRContingency (and it asked for the Supplier it acts for).
    assert.match(r.stdout, /registered: 90B3D51F300E0009 SoLRContingency for Role Order Ltd acting for 90B3D51F30010000/);
    // The list holds the Suppliers only (no SoLRContingency or other User ID), each once.
    assert.ok(suppliers.includes(OTHER_SUPPLIER) && !suppliers.includes(SRP), suppliers.join(' '));
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

  it('cert issue: a CSR file that is not there is asked again in place; after issuing the serial is printed and saving offered', async () => {
    const csr = join(s.dir, 'again.csr');
    writeFileSync(csr, (await makeCsr({ eui: SRP })).pem);
    const saved = join(s.dir, 'saved.pem');
    const r = await interactive(['--home', s.home, 'cert', 'issue', '--party', SRP, '--profile', 'xml-sign', '--officer-key', officerTestKey(s.home, s.aro)!.key, '--passphrase-file', s.pass], [
      { when: /CSR file/, keys: `${join(s.dir, 'no-such.csr')}${ENTER}` },
      { when: /--csr: cannot read .*no-such\.csr/, keys: `\x15${csr}${ENTER}` },
      { when: /Save the certificate to a file\?/, keys: ENTER }, // yes (the default)
      { when: /File/, keys: `\x15${saved}${ENTER}` },
    ]);
    assert.equal(r.unanswered, 0, r.transcript + r.stderr);
    assert.equal(r.code, 0, r.stderr);
    const serial = /issued ([0-9A-F]{32}) \(xml-sign, OU 87\) for 90B3D51F300C0001/.exec(r.transcript)?.[1];
    assert.ok(serial, r.transcript);
    assert.match(r.transcript, new RegExp(`saved ${serial} -> ${saved.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    assert.match(readFileSync(saved, 'utf8'), /^-----BEGIN CERTIFICATE-----/);
    // Declining prints the PEM instead (the certificate is issued either way).
    const csr2 = join(s.dir, 'again2.csr');
    writeFileSync(csr2, (await makeCsr({ eui: SRP })).pem);
    const printed = await interactive(['--home', s.home, 'cert', 'issue', '--csr', csr2, '--party', SRP, '--profile', 'xml-sign', '--officer-key', officerTestKey(s.home, s.aro)!.key, '--passphrase-file', s.pass], [
      { when: /Save the certificate to a file\?/, keys: `n${ENTER}` },
    ]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.transcript, /issued [0-9A-F]{32}[\s\S]*-----BEGIN CERTIFICATE-----/);
  });

  it('without a terminal, cert issue prints the PEM on stdout and the serial on stderr', async () => {
    const csr = join(s.dir, 'piped.csr');
    writeFileSync(csr, (await makeCsr({ eui: SRP })).pem);
    const r = await s.run(['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer', s.aro, '--passphrase-file', s.pass]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^-----BEGIN CERTIFICATE-----\n[\s\S]*-----END CERTIFICATE-----\n$/);
    assert.match(r.stderr, /^issued [0-9A-F]{32} \(xml-sign, OU 87\) for 90B3D51F300C0001\n$/);
  });

  it("solr record: a start or end outside the window's bounds is asked again with the reason, then recorded", async () => {
    const r = await interactive(['--home', s.home, ...actAs('ra1'), 'solr', 'record', '--failed-supplier', SUPPLIER, '--srp', SRP, '--instruction', 'OFGEM-PROMPT-1'], [
      { when: /Start \(/, keys: `now+40d${ENTER}` },
      { when: /SOLR_WINDOW_TOO_FAR_AHEAD/, keys: `\x15now${ENTER}` },
      { when: /End \(/, keys: `now+60d${ENTER}` },
      { when: /SOLR_WINDOW_TOO_LONG \[R6\][^\n]*at most 56\)/, keys: `\x15now-1h${ENTER}` },
      { when: /must be after --from/, keys: `\x15tomorrow-ish${ENTER}` },
      { when: /is not a time/, keys: `\x15now+20d${ENTER}` },
    ], 10_000, { columns: 200, rows: 50 });
    assert.equal(r.unanswered, 0, r.transcript + r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.transcript, /SOLR-\d+: recorded by ra1/);
    // The same window from flags is still the policy's refusal (exit 3), not a prompt.
    const flags = await s.run(['solr', 'record', '--failed-supplier', SUPPLIER, '--srp', SRP, '--instruction', 'OFGEM-PROMPT-2', '--from', 'now', '--until', 'now+60d']);
    assert.equal(flags.code, 3);
    assert.match(flags.stderr, /SOLR_WINDOW_TOO_LONG/);
  });

  it('file prompts (--as, --public-key, --file) ask again for a path that names no file', async () => {
    const pub = join(s.dir, 'prompted-op.pub');
    writeFileSync(pub, readFileSync(testKey('ra-prompted').pub));
    const r = await interactive(['--home', s.home, 'operator', 'add', '--name', 'ra-prompted'], [
      { when: /Public key file/, keys: `${join(s.dir, 'nope.pub')}${ENTER}` },
      { when: /cannot read/, keys: `\x15${s.dir}${ENTER}` },
      { when: /is a folder, not a file/, keys: `\x15${pub}${ENTER}` },
      { when: /RA operator key file \(--as\)/, keys: `${join(s.dir, 'nope.key')}${ENTER}` },
      { when: /--as: cannot read/, keys: `\x15${testKey('ra1').key}${ENTER}` },
    ], 10_000, { columns: 250, rows: 50 });
    assert.equal(r.unanswered, 0, r.transcript + r.stderr);
    assert.equal(r.code, 0, r.stderr);
  });

  it('the menu offers every common task in groups, asks the path a task needs, and fits the terminal', async () => {
    const names = MENU.map((m) => m.name);
    for (const task of ['Create a new CA home (init)', 'Issue a certificate from a CSR', 'Check Service Requests (DUIS files)', 'Report on a SoLR event (HTML)', 'End a SoLR event', 'Load a Device file (CSV)', 'Record an ADT file', 'Register an RA operator'])
      assert.ok(names.includes(task), task);
    assert.equal(names[names.length - 1], 'Quit');
    // Check Service Requests: the folder is asked first, then sr check runs over it (unsigned fixtures: exit 4).
    const check = MENU.findIndex((m) => m.name === 'Check Service Requests (DUIS files)');
    const r = await interactive(['--home', s.home], [
      { when: /What do you want to do\?/, keys: `${DOWN.repeat(check)}${ENTER}` },
      { when: /Request file or folder/, keys: `fixtures/no-such-folder${ENTER}` },
      { when: /does not exist/, keys: `\x15fixtures/public/duis/ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML${ENTER}` },
    ], 20_000, { columns: 120, rows: 50 });
    assert.equal(r.unanswered, 0, r.transcript + r.stderr);
    assert.equal(r.code, 4, r.stderr); // unsigned: malformed, as 'smki sr check FILE' says
    assert.match(r.transcript, /-- Set up --[\s\S]*-- Certificates --[\s\S]*-- SoLR events --[\s\S]*-- Lists and checks --/);
    assert.match(r.transcript, /SIGNATURE|unsigned|refuse|malformed/i);
  });

  it("prompts use the terminal's real width (not a fixed 80 columns)", async () => {
    const line = "Record Ofgem's instruction (SoLR event)";
    const quit = [{ when: /What do you want to do/, keys: `\x1b[A${ENTER}` }]; // up from the first choice: Quit
    const wide = await interactive(['--home', s.home], quit, 10_000, { columns: 120, rows: 60 });
    assert.equal(wide.code, 0);
    assert.ok(wide.transcript.includes(line), wide.transcript);
    const narrow = await interactive(['--home', s.home], quit, 10_000, { columns: 24, rows: 60 });
    assert.equal(narrow.code, 0);
    // Wrapped at 24 columns: the line is cut where the terminal ends, not at 80.
    assert.ok(!narrow.transcript.includes(line), narrow.transcript);
    assert.ok(narrow.transcript.includes("  Record Ofgem's instruc\ntion (SoLR event)"), narrow.transcript);
  });
  it('init on a terminal asks the CA name, the first operator and its key, and re-asks a passphrase under 12 characters in place', async function () {
    this.timeout(60_000);
    const dir = mkdtempSync(join(tmpdir(), 'smki-init-prompts-'));
    try {
      const home = join(dir, 'home');
      const key = join(dir, 'ra1.key');
      const r = await interactive(['--home', home, 'init'], [
        { when: /CA name/, keys: `Prompted OCA${ENTER}` },
        { when: /First RA operator name/, keys: `ra1${ENTER}` },
        { when: /ra1's key/, keys: ENTER }, // the first choice: make a new key file now
        { when: /Write the new key to/, keys: `\x15${key}${ENTER}` },
        { when: /Passphrase for the new key/, keys: `short${ENTER}` },
        { when: /the passphrase has 5 characters; at least 12 are needed/, keys: `\x15operator passphrase${ENTER}` },
        { when: /Repeat the passphrase/, keys: `operator passphrase${ENTER}` },
        { when: /CA key passphrase/, keys: `eleven char${ENTER}` },
        { when: /the passphrase has 11 characters; at least 12 are needed/, keys: `\x15the CA pass phrase${ENTER}` },
        { when: /Repeat the passphrase/, keys: `not the same one${ENTER}` },
        { when: /not the same passphrase; type it again/, keys: `\x15the CA pass phrase${ENTER}` },
      ], 40_000);
      assert.equal(r.unanswered, 0, r.transcript + r.stderr);
      assert.equal(r.code, 0, `${r.stderr}${r.transcript}`);
      assert.match(r.transcript, /Issuing OCA +.*CN=Prompted OCA/);
      assert.match(r.transcript, /operator +ra1 \(key .*ra1\.key\)/);
      assert.equal(statSync(key).mode & 0o777, 0o600);
      assert.doesNotMatch(r.transcript, /operator passphrase|the CA pass phrase/, 'passphrases are not echoed');
      // The CA key opens with the passphrase that was accepted, not with the short one.
      const pass = join(dir, 'pass');
      const operatorPass = join(dir, 'operator-pass');
      writeFileSync(operatorPass, 'operator passphrase\n', { mode: 0o600 });
      const savedAsPass = process.env.SMKI_AS_PASSPHRASE_FILE;
      process.env.SMKI_AS_PASSPHRASE_FILE = operatorPass;
      try {
        writeFileSync(pass, 'the CA pass phrase\n', { mode: 0o600 });
        const refreshed = await smki(['--home', home, '--as', key, 'crl', '--refresh', '--passphrase-file', pass]);
        assert.equal(refreshed.code, 0, refreshed.stderr);
        writeFileSync(pass, 'eleven char\n', { mode: 0o600 });
        const wrong = await smki(['--home', home, '--as', key, 'crl', '--refresh', '--passphrase-file', pass]);
        assert.equal(wrong.code, 2, wrong.stderr);
      } finally {
        if (savedAsPass === undefined) delete process.env.SMKI_AS_PASSPHRASE_FILE;
        else process.env.SMKI_AS_PASSPHRASE_FILE = savedAsPass;
      }
      // A home that exists is refused before anything is asked.
      const again = await interactive(['--home', home, 'init'], []);
      assert.equal(again.code, 4, again.stderr);
      assert.match(again.stderr, /exists/);
      assert.doesNotMatch(again.transcript, /\?/, 'no prompt was shown');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
