// Configurable Service Requests stay safe (issue 8 item 5): SR 2.5 switched on by a test configuration.
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG_DIR } from '../../src/config/catalogue.js';
import type { Eui64 } from '../../src/domain/eui.js';
import { formatRequestId, withRequestId } from '../../src/gate/duis-compose.js';
import { tempDir } from '../support/cli.js';
import { ESME, GSME, setupGateScenario, template, type GateScenario } from '../support/gate-scenario.js';
import { SRP } from '../support/scenario.js';

const codes = (o: { reasons: { code: string }[] }) => o.reasons.map((r) => r.code);

/** ca-config with SR 2.5 eligible for SoLRContingency (and defined in service-requests.json). */
function configWith25(dir: string): string {
  const out = join(dir, 'ca-config');
  cpSync(DEFAULT_CONFIG_DIR, out, { recursive: true });
  const srFile = join(out, 'service-requests.json');
  const sr = JSON.parse(readFileSync(srFile, 'utf8'));
  if (!sr.serviceRequests.some((s: { serviceReferenceVariant: string }) => s.serviceReferenceVariant === '2.5')) {
    sr.serviceRequests.push({ serviceReferenceVariant: '2.5', serviceReference: '2.5', name: 'Activate Emergency Credit', critical: true, commandVariants: [4, 5, 6, 7] });
  }
  writeFileSync(srFile, JSON.stringify(sr));
  const rolesFile = join(out, 'roles.json');
  const roles = JSON.parse(readFileSync(rolesFile, 'utf8'));
  roles.roles.find((r: { code: string }) => r.code === 'SC').serviceRequests.push('2.5');
  writeFileSync(rolesFile, JSON.stringify(roles));
  return out;
}

const PREPAYMENT_AS_25 = () => template('ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML').replace(/>1\.6</g, '>2.5<');

describe('gate: SR 2.5 Activate Emergency Credit, switched on by configuration', function () {
  let g: GateScenario;
  let cfg: { dir: string; cleanup: () => void };
  const saved = process.env.SMKI_CONFIG_DIR;
  let counter = 9000n;
  const next = () => ++counter;
  const one = async (xml: string) => {
    const r = await g.check([g.write('req.xml', xml)]);
    assert.ok(Array.isArray(r.json), r.stdout + r.stderr);
    return { code: r.code, o: r.json[0] };
  };
  const cv4 = (name: string, c: bigint, target: Eui64) => g.sign(withRequestId(template(name), formatRequestId(SRP as Eui64, target, c)));

  before(async () => {
    cfg = tempDir();
    process.env.SMKI_CONFIG_DIR = configWith25(cfg.dir);
    g = await setupGateScenario(undefined, { adtServiceRequests: ['1.6', '2.5'] });
  });
  after(() => {
    if (saved === undefined) delete process.env.SMKI_CONFIG_DIR;
    else process.env.SMKI_CONFIG_DIR = saved;
    g.cleanup();
    cfg.cleanup();
  });

  for (const [name, pre, device] of [
    ['ECS09_2.5_SUCCESS_REQUEST_DUIS.XML', 'ECS09_2.5_SUCCESS_PRECOMMAND_GBCS.HEX', ESME],
    ['GCS06_2.5_SUCCESS_REQUEST_DUIS.XML', 'GCS06_2.5_SUCCESS_PRECOMMAND_GBCS.HEX', GSME],
  ] as const) {
    it(`accepts a valid ${name.slice(0, 5)} Emergency Credit request and its Signed Pre-Command`, async () => {
      const c = next();
      const r = await one(cv4(name, c, device));
      assert.equal(r.o.decision, 'accept', JSON.stringify(r.o));
      const spc = await one(g.signedPreCommand(pre, c, device, { srv: '2.5' }));
      assert.equal(spc.o.decision, 'accept', JSON.stringify(spc.o));
    });
  }

  it('refuses a Prepayment request mislabelled as 2.5 (the body is not ActivateEmergencyCredit)', async () => {
    const r = await one(g.sign(withRequestId(PREPAYMENT_AS_25(), formatRequestId(SRP as Eui64, ESME, next()))));
    assert.equal(r.code, 3);
    assert.deepEqual(codes(r.o), ['BODY_NOT_FOR_SR']);
  });

  it('refuses a 2.5 Signed Pre-Command of a Prepayment use case signed by a key on no record', async () => {
    const c = next();
    assert.equal((await one(cv4('ECS09_2.5_SUCCESS_REQUEST_DUIS.XML', c, ESME))).o.decision, 'accept');
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const r = await one(g.signedPreCommand('ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX', c, ESME, { srv: '2.5', gbcsKey: stranger }));
    assert.equal(r.code, 3);
    assert.deepEqual(codes(r.o), ['GBCS_MESSAGE_CODE', 'GBCS_SIGNATURE_INVALID']);
  });

  it('refuses a 1.6 Credit Signed Pre-Command presented as 2.5, and ECS09 presented as 1.6', async () => {
    const c = next();
    assert.equal((await one(cv4('ECS09_2.5_SUCCESS_REQUEST_DUIS.XML', c, ESME))).o.decision, 'accept');
    const credit = await one(g.signedPreCommand('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX', c, ESME, { srv: '2.5' }));
    assert.deepEqual(codes(credit.o), ['GBCS_MESSAGE_CODE']);
    const c2 = next();
    assert.equal((await one(cv4('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', c2, ESME))).o.decision, 'accept');
    const ec = await one(g.signedPreCommand('ECS09_2.5_SUCCESS_PRECOMMAND_GBCS.HEX', c2, ESME));
    assert.deepEqual(codes(ec.o), ['GBCS_MESSAGE_CODE']);
  });
});
