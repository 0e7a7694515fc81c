import { strict as assert } from 'node:assert';
import { copyHome } from '../support/home-copy.js';
import { join } from 'node:path';
import { smki } from '../support/cli.js';
import { ESME, setupGateScenario, type GateScenario } from '../support/gate-scenario.js';

const CV4 = 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML';
const SPC = 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX';

describe('cli: sr check --workers', function () {
  let g: GateScenario;
  before(async () => { g = await setupGateScenario({ warning: 2, quarantine: 3 }); });
  after(() => g.cleanup());

  it('decides and reports exactly as without workers (replays, ADT quarantine, Signed Pre-Commands, malformed input)', async () => {
    const files: string[] = [];
    for (let i = 1; i <= 5; i++) {
      files.push(g.write(`cv4-${i}.xml`, g.request(CV4, BigInt(700 + i), ESME)));
      files.push(g.write(`cv4-${i}-again.xml`, g.request(CV4, BigInt(700 + i), ESME)));
      if (i === 1) files.push(g.write('spc-1.xml', g.signedPreCommand(SPC, 701n, ESME)));
    }
    files.push(g.write('garbage.xml', '<not a request'));
    const copy = copyHome(g.home, join(g.dir, 'home-copy'));
    const alone = await smki(['--home', copy, 'sr', 'check', ...files, '--json']);
    const parallel = await g.run(['sr', 'check', ...files, '--json', '--workers', '2']);
    assert.equal(parallel.code, alone.code, parallel.stderr);
    const strip = (o: Record<string, unknown>) => ({ ...o, decidedAt: undefined, decisionId: undefined });
    assert.deepEqual(parallel.json.items.map(strip), alone.json.items.map(strip));
    const decisions = parallel.json.items.map((o: { decision: string }) => o.decision);
    assert.equal(decisions.filter((d: string) => d === 'accept').length, 4, JSON.stringify(decisions)); // 3 CV 4 under the threshold + the Signed Pre-Command
    assert.equal(decisions.at(-1), 'malformed');
    assert.equal((await g.run(['audit', 'verify', '--json'])).code, 0);
  });

  it('refuses --workers with --at, and a number of threads that is not one', async () => {
    const f = g.write('one.xml', g.request(CV4, 900n, ESME));
    assert.equal((await g.run(['sr', 'check', f, '--workers', '1', '--at', 'now'])).code, 4);
    assert.equal((await g.run(['sr', 'check', f, '--workers', 'two'])).code, 4);
  });
});
