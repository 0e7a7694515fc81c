// The gate against DCC's own tool (@smartdcc/duis-sign-wrap's tool.jar, Java): a request the tool
// signs with a certificate and key this CA issued is accepted by `smki sr check`, and what `smki sr
// sign` writes passes the tool's Validate. Skipped, with the reason printed, when Java or the jar is
// missing. Also `sr check` over a directory and stdin.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { formatRequestId, withRequestId } from '../../src/gate/duis-compose.js';
import { parseEui64 } from '../../src/domain/eui.js';
import { smki } from '../support/cli.js';
import { ESME, setupGateScenario, template, type GateScenario } from '../support/gate-scenario.js';
import { SRP } from '../support/scenario.js';

function toolJar(): string | null {
  try {
    const jar = join(dirname(createRequire(import.meta.url).resolve('@smartdcc/duis-sign-wrap/package.json')), 'dist', 'tool.jar');
    return existsSync(jar) ? jar : null;
  } catch {
    return null;
  }
}

describe('gate: interop with DCC tool.jar, and sr sign / sr check inputs', function () {
  let g: GateScenario;
  let certPem = '';
  let keyPem = '';
  before(async () => {
    g = await setupGateScenario();
    certPem = join(g.dir, 'srp-xml.pem');
    keyPem = join(g.dir, 'srp-xml.key');
    writeFileSync(certPem, g.srp.certPem);
    writeFileSync(keyPem, g.srp.key.export({ format: 'pem', type: 'pkcs8' }));
  });
  after(() => g.cleanup());

  const unsigned = (counter: bigint) => g.write('unsigned.xml', withRequestId(template('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML'), formatRequestId(parseEui64(SRP), ESME, counter)));

  it('smki sr sign writes a request the gate accepts; the wrong key is refused (exit 4)', async () => {
    const out = join(g.dir, 'signed-by-cli.xml');
    const r = await g.run(['sr', 'sign', unsigned(7001n), '--cert', certPem, '--key', keyPem, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const c = await g.check([out]);
    assert.equal(c.json[0].decision, 'accept', JSON.stringify(c.json));
    const wrongKey = join(g.dir, 'wrong.key');
    writeFileSync(wrongKey, readFileSync(join(process.cwd(), 'fixtures/public/smki-certs/Z1-supplier-ds.key')));
    const bad = await g.run(['sr', 'sign', unsigned(7002n), '--cert', certPem, '--key', wrongKey]);
    assert.equal(bad.code, 4);
  });

  it('sr check takes a directory and stdin', async () => {
    const dir = join(g.dir, 'inbox');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.xml'), g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', 7101n));
    writeFileSync(join(dir, 'b.xml'), g.request('ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', 7102n));
    const r = await g.check([dir]);
    assert.equal(r.code, 3);
    assert.deepEqual(r.json.map((o: { decision: string }) => o.decision), ['accept', 'refuse']);
    const s = await smki(['--home', g.home, 'sr', 'check', '-', '--json'], { stdin: g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', 7103n) });
    assert.equal(s.code, 0, s.stdout + s.stderr);
    assert.equal(s.json.items[0].file, '(stdin)');
  });

  describe('with DCC tool.jar', () => {
    let jar = '';
    const tool = (cls: 'Sign' | 'Validate', args: string[]) =>
      spawnSync('java', ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', jar, `uk.co.smartdcc.boxed.xmldsig.${cls}`, ...args], { encoding: 'utf8', timeout: 60_000 });
    before(function () {
      const found = toolJar();
      if (!found) {
        console.log('    (skipped: @smartdcc/duis-sign-wrap dist/tool.jar is not installed)');
        this.skip();
      }
      const java = spawnSync('java', ['-version'], { stdio: 'ignore', timeout: 30_000 });
      if (java.error || java.status !== 0) {
        console.log('    (skipped: no working `java` on PATH to run DCC tool.jar)');
        this.skip();
      }
      jar = found!;
    });

    it('a request tool.jar signs with the SRP certificate this CA issued is accepted by the gate', async () => {
      const r = tool('Sign', [unsigned(7201n), certPem, keyPem, '--preserveCounter']);
      assert.equal(r.status, 0, r.stderr);
      const c = await g.check([g.write('tool-signed.xml', r.stdout)]);
      assert.equal(c.json[0].decision, 'accept', JSON.stringify(c.json));
    });

    it("what smki sr sign writes passes tool.jar's Validate with the issued certificate", async () => {
      const out = join(g.dir, 'for-tool.xml');
      assert.equal((await g.run(['sr', 'sign', unsigned(7301n), '--cert', certPem, '--key', keyPem, '--out', out])).code, 0);
      const v = tool('Validate', [out, certPem]);
      assert.equal(v.status, 0, v.stderr);
    });
  });
});
