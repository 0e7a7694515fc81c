// officer list --history shows each officer's history in the text output too, as in --json.
import { strict as assert } from 'node:assert';
import { setupScenario, type Scenario } from '../support/scenario.js';

describe('cli: officer list --history', function () {
  this.timeout(120_000);
  let s: Scenario;
  before(async () => { s = await setupScenario(); });
  after(() => s.cleanup());

  it('prints every status change of every officer under the table, and the same in --json', async () => {
    const text = await s.run(['officer', 'list', '--history']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`\\n${s.aro} history:\\n  \\S+  nominated +by \\S+.*\\n  \\S+  active +by `));
    const json = await s.run(['officer', 'list', '--history', '--json']);
    const aro = json.json.items.find((o: { id: string }) => o.id === s.aro);
    assert.deepEqual(aro.history.map((h: { status: string }) => h.status), ['nominated', 'active']);
    const plain = await s.run(['officer', 'list']);
    assert.doesNotMatch(plain.stdout, /history:/);
  });
});

describe('cli: cert list shows expired certificates as expired', function () {
  this.timeout(120_000);
  let s: Scenario;
  before(async () => { s = await setupScenario(); });
  after(() => s.cleanup());

  it('a certificate past its notAfter is listed as expired (text) and expired: true (JSON); before, valid', async () => {
    const { smki } = await import('../support/cli.js');
    const { makeCsr } = await import('../support/csr.js');
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { SRP } = await import('../support/scenario.js');
    const csr = join(s.dir, 'exp.csr');
    writeFileSync(csr, (await makeCsr({ eui: SRP })).pem);
    const issued = await s.run(['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer', s.aro, '--passphrase-file', s.pass, '--json']);
    assert.equal(issued.code, 0, issued.stderr);
    const now = await s.run(['cert', 'list', '--json']);
    assert.equal(now.json.items.find((c: { serial: string }) => c.serial === issued.json.serial).expired, false);
    const later = new Date(Date.parse(issued.json.notAfter) + 86_400_000);
    const text = await smki(['--home', s.home, 'cert', 'list'], { clock: () => later });
    assert.match(text.stdout, new RegExp(`${issued.json.serial} .* expired `));
    const json = await smki(['--home', s.home, 'cert', 'list', '--json'], { clock: () => later });
    const c = json.json.items.find((x: { serial: string }) => x.serial === issued.json.serial);
    assert.deepEqual([c.status, c.expired], ['valid', true]);
  });
});
