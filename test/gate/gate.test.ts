import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { readOrganisationCertificate } from '../../src/ca/organisation-certificate.js';
import { makeCsr } from '../support/csr.js';
import { OTHER_SRP, registryDigest, SRP, SUPPLIER } from '../support/scenario.js';
import { ESME, ESME_S1, GSME, OTHER_ESME, setupGateScenario, template, type GateScenario, type Signer } from '../support/gate-scenario.js';
import type { Eui64 } from '../../src/domain/eui.js';
import { formatRequestId, withRequestId } from '../../src/gate/duis-compose.js';

const codes = (o: { reasons: { code: string }[] }) => o.reasons.map((r) => r.code);

describe('gate: Service Request 1.6 for SoLRContingency', function () {
  let g: GateScenario;
  let counter = 5000n;
  const next = () => ++counter;
  before(async () => { g = await setupGateScenario(); });
  after(() => g.cleanup());

  async function one(xml: string, extra: string[] = []) {
    const r = await g.check([g.write('req.xml', xml)], extra);
    assert.ok(Array.isArray(r.json), r.stdout + r.stderr);
    return { code: r.code, o: r.json[0], stderr: r.stderr };
  }

  it('accepts the public ECS02 and GCS02 Credit requests, re-signed by the SRP, in an active event', async () => {
    const e = await one(g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', next(), ESME));
    assert.equal(e.code, 0, JSON.stringify(e.o));
    assert.equal(e.o.decision, 'accept');
    assert.equal(e.o.solrEventId, g.eventId);
    const gas = await one(g.request('GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', next(), GSME));
    assert.equal(gas.o.decision, 'accept', JSON.stringify(gas.o));
  });

  describe('future-dated and cancellation requests (issue 10)', () => {
    const FUTURE = ['ECS02_1.6_FUTURE_DATED_TWIN_SUCCESS_REQUEST_DUIS.XML', 'GCS02_1.6_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML'];
    const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();
    const at = (xml: string, when: string) => xml.replace(/<sr:ExecutionDateTime>[^<]*</, `<sr:ExecutionDateTime>${when}<`);

    for (const t of FUTURE) {
      const device = t.startsWith('G') ? GSME : ESME;
      it(`${t.slice(0, 5)} future-dated: accepted inside the event window, refused at the template's 2030 date and after the end`, async () => {
        const inside = await one(at(g.sign(withRequestId(template(t), formatRequestId(SRP as Eui64, device, next()))), inDays(5)));
        assert.equal(inside.o.decision, 'refuse', 'the re-dated request was signed before the edit');
        const ok = await one(g.sign(withRequestId(at(template(t), inDays(5)), formatRequestId(SRP as Eui64, device, next()))));
        assert.equal(ok.o.decision, 'accept', JSON.stringify(ok.o));
        const late = await one(g.request(t, next(), device));
        assert.deepEqual(codes(late.o), ['EXECUTION_OUTSIDE_EVENT']);
        const afterEnd = await one(g.sign(withRequestId(at(template(t), inDays(31)), formatRequestId(SRP as Eui64, device, next()))));
        assert.deepEqual(codes(afterEnd.o), ['EXECUTION_OUTSIDE_EVENT']);
      });
    }

    for (const t of ['ECS02_1.6_CANCELLATION_TWIN_SUCCESS_REQUEST_DUIS.XML', 'GCS02_1.6_CANCELLATION_SUCCESS_REQUEST_DUIS.XML']) {
      it(`refuses the ${t.slice(0, 5)} CANCELLATION request (CV 4 body) with its own reason`, async () => {
        const r = await one(g.request(t, next(), t.startsWith('G') ? GSME : ESME));
        assert.equal(r.code, 3);
        assert.deepEqual(codes(r.o), ['SR_CANCELLATION']);
      });
    }

    for (const [cv4, pre, device] of [
      ['ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', 'ECS02_1.6_CANCELLATION_TWIN_SUCCESS_PRECOMMAND_GBCS.HEX', ESME],
      ['GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', 'GCS02_1.6_CANCELLATION_SUCCESS_PRECOMMAND_GBCS.HEX', GSME],
    ] as const) {
      it(`refuses the ${pre.slice(0, 5)} CANCELLATION Signed Pre-Command with its own reason`, async () => {
        const c = next();
        assert.equal((await one(g.request(cv4, c, device))).o.decision, 'accept');
        const r = await one(g.signedPreCommand(pre, c, device));
        assert.deepEqual(codes(r.o), ['SR_CANCELLATION']);
      });
    }

    for (const [cv4, pre, device] of [
      ['ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', 'ECS02_1.6_FUTURE_DATED_TWIN_SUCCESS_PRECOMMAND_GBCS.HEX', ESME],
      ['GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', 'GCS02_1.6_FUTURE_DATED_SUCCESS_PRECOMMAND_GBCS.HEX', GSME],
    ] as const) {
      it(`refuses the ${pre.slice(0, 5)} FUTURE_DATED Signed Pre-Command that executes in 2030, after the event`, async () => {
        const c = next();
        assert.equal((await one(g.request(cv4, c, device))).o.decision, 'accept');
        const r = await one(g.signedPreCommand(pre, c, device));
        assert.deepEqual(codes(r.o), ['EXECUTION_OUTSIDE_EVENT']);
      });
    }
  });

  it('refuses SR 1.6 to a PPMID and a CHF with its own reason (GBCS defines it for ESME and GSME only)', async () => {
    const PPMID = '00DB1234567890D0' as Eui64;
    const CHF = '00DB1234567890D1' as Eui64;
    const f = g.write('more-devices.csv', `device_eui,device_type,smets,supplier_eui\n${PPMID},PPMID,2,${SUPPLIER}\n${CHF},CHF,2,${SUPPLIER}\n`);
    assert.equal((await g.run(['device', 'import', '--file', f, '--json'])).code, 0);
    for (const target of [PPMID, CHF]) {
      const r = await one(g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', next(), target));
      assert.equal(r.code, 3);
      assert.deepEqual(codes(r.o), ['SR_TARGET_DEVICE_TYPE'], JSON.stringify(r.o));
    }
  });

  for (const t of ['ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', 'GCS03_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', 'ECS03_1.6_FUTURE_DATED_TWIN_SUCCESS_REQUEST_DUIS.XML']) {
    it(`refuses ${t.slice(0, 5)} (Prepayment) for payment mode`, async () => {
      const r = await one(g.request(t, next(), t.startsWith('G') ? GSME : ESME));
      assert.equal(r.code, 3);
      assert.deepEqual(codes(r.o), ['PAYMENT_MODE_NOT_CREDIT']);
    });
  }

  for (const [cv4, pre, device] of [
    ['ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX', ESME],
    ['GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', 'GCS02_1.6_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX', GSME],
  ] as const) {
    it(`accepts a Signed Pre-Command built from ${pre.slice(0, 5)} and signed with Z1-supplier-ds, once`, async () => {
      const c = next();
      assert.equal((await one(g.request(cv4, c, device))).o.decision, 'accept');
      const spc = g.signedPreCommand(pre, c, device);
      const r = await one(spc);
      assert.equal(r.o.decision, 'accept', JSON.stringify(r.o));
      // The very same document again: reported as already decided (not decided again, not a replay).
      const again = await one(spc);
      assert.deepEqual([again.o.decision, again.o.alreadyDecided, again.o.decisionId, again.o.decidedAt], ['accept', true, r.o.decisionId, r.o.decidedAt]);
      // Another document for the same RequestID: its Signed Pre-Command was accepted already.
      const other = await one(g.signedPreCommand(pre, c, device));
      assert.deepEqual(codes(other.o), ['PRECOMMAND_WITHOUT_TRANSFORM']);
    });
  }

  for (const [pre, device] of [['ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX', ESME], ['GCS03_1.6_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX', GSME]] as const) {
    it(`refuses a Signed Pre-Command from ${pre.slice(0, 5)} (Prepayment)`, async () => {
      const c = next();
      assert.equal((await one(g.request(device === GSME ? 'GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML' : 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', c, device))).o.decision, 'accept');
      const r = await one(g.signedPreCommand(pre, c, device));
      assert.ok(codes(r.o).includes('PAYMENT_MODE_NOT_CREDIT'), JSON.stringify(r.o));
    });
  }

  it('refuses a Signed Pre-Command with a flipped byte in its payload or its signature', async () => {
    const c = next();
    await one(g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', c, ESME));
    const good = g.signedPreCommand('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX', c, ESME);
    const payload = Buffer.from(/<sr:GBCSPayload>([^<]+)</.exec(good)![1]!, 'base64');
    for (const at of [40, payload.length - 70, payload.length - 3]) {
      const bad = Buffer.from(payload);
      bad[at]! ^= 0x04;
      const { signedPreCommandRequest } = await import('../../src/gate/duis-compose.js');
      const xml = g.sign(signedPreCommandRequest({ requestId: /<sr:RequestID>([^<]+)</.exec(good)![1]!, commandVariant: 5, gbcsPayload: bad }));
      const r = await one(xml);
      assert.equal(r.o.decision, 'refuse', `byte ${at}`);
      assert.ok(codes(r.o).some((x: string) => x.startsWith('GBCS_') || x === 'PAYMENT_MODE_NOT_CREDIT'), `byte ${at}: ${codes(r.o)}`);
    }
    assert.equal((await one(good)).o.decision, 'accept');
  });

  it('refuses a Signed Pre-Command signed with another key, or whose header does not match', async () => {
    const c = next();
    await one(g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', c, ESME));
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const r = await one(g.signedPreCommand('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX', c, ESME, { gbcsKey: other }));
    assert.deepEqual(codes(r.o), ['GBCS_SIGNATURE_INVALID']);
    const srpAsOriginator = await one(g.signedPreCommand('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX', c, ESME, { originator: '90B3D51F300C0001' as never }));
    assert.ok(codes(srpAsOriginator.o).includes('GBCS_HEADER_MISMATCH'));
  });

  it('refuses a Signed Pre-Command for a SMETS1 Device, and the GBCS use case of the other fuel', async () => {
    const c = next();
    await one(g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', c, ESME_S1));
    assert.deepEqual(codes((await one(g.signedPreCommand('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX', c, ESME_S1))).o), ['GBCS_DEVICE_TYPE']);
    const c2 = next();
    await one(g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', c2, GSME));
    assert.ok(codes((await one(g.signedPreCommand('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX', c2, GSME))).o).includes('GBCS_DEVICE_TYPE'));
  });

  it('refuses outside the event, a replayed counter, a 1.1.1 request and a Device of another Supplier', async () => {
    const before = await one(g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', next(), ESME), ['--at', new Date(Date.now() - 3 * 86_400_000).toISOString()]);
    assert.ok(codes(before.o).includes('SOLR_EVENT_NOT_ACTIVE'), JSON.stringify(before.o));
    const c = next();
    assert.equal((await one(g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', c, ESME))).o.decision, 'accept');
    assert.deepEqual(codes((await one(g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', c, ESME))).o), ['REPLAY']);
    assert.deepEqual(codes((await one(g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', c - 10n, ESME))).o), ['REPLAY']);
    const { withRequestId, withServiceReference, formatRequestId } = await import('../../src/gate/duis-compose.js');
    const t11 = withServiceReference(template('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML'), '1.1', '1.1.1');
    const r11 = await one(g.sign(withRequestId(t11, formatRequestId('90B3D51F300C0001' as never, ESME, next()))));
    assert.ok(codes(r11.o).includes('SR_NOT_ELIGIBLE'), JSON.stringify(r11.o));
    const other = await one(g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', next(), OTHER_ESME));
    assert.ok(codes(other.o).includes('DEVICE_NOT_FAILED_SUPPLIER'), JSON.stringify(other.o));
    assert.ok(codes(other.o).includes('ADT_MISSING'));
  });

  describe('attacks', () => {
    it('signature wrapping: a second Body, a moved signed Body, a Prepayment beside Credit: malformed, registry unchanged', async () => {
      const signed = g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', next(), ESME);
      const variants = [
        signed.replace('</sr:Body>', '</sr:Body><sr:Body><sr:UpdatePaymentMode><sr:Prepayment><sr:SuspendDebtDisabled>false</sr:SuspendDebtDisabled><sr:SuspendDebtEmergency>false</sr:SuspendDebtEmergency><sr:DisablementThreshold>0</sr:DisablementThreshold></sr:Prepayment></sr:UpdatePaymentMode></sr:Body>'),
        signed.replace(/<sr:Body>([\s\S]*?)<\/sr:Body>/, '<sr:Body><sr:UpdatePaymentMode><sr:Prepayment><sr:SuspendDebtDisabled>false</sr:SuspendDebtDisabled><sr:SuspendDebtEmergency>false</sr:SuspendDebtEmergency><sr:DisablementThreshold>0</sr:DisablementThreshold></sr:Prepayment></sr:UpdatePaymentMode><sr:Wrapper>$1</sr:Wrapper></sr:Body>'),
        signed.replace('<sr:Credit/>', '<sr:Credit/><sr:Prepayment><sr:SuspendDebtDisabled>false</sr:SuspendDebtDisabled><sr:SuspendDebtEmergency>false</sr:SuspendDebtEmergency><sr:DisablementThreshold>0</sr:DisablementThreshold></sr:Prepayment>'),
        signed.replace('</ds:Signature>', '</ds:Signature><ds:Signature/>'),
      ];
      for (const v of variants) {
        assert.notEqual(v, signed);
        const before = registryDigest(g.home);
        const r = await one(v);
        assert.ok(r.code === 4 || r.code === 3, `${r.code} ${JSON.stringify(r.o)}`);
        assert.notEqual(r.o.decision, 'accept');
        if (r.code === 4) assert.equal(registryDigest(g.home), before);
      }
    });

    it('a comment inside signed content is refused; a whitespace change breaks the digest', async () => {
      const signed = g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', next(), ESME);
      const comment = await one(signed.replace(/(<sr:RequestID>[^<]*?):/, '$1<!---->:'));
      assert.equal(comment.code, 4);
      const ws = await one(signed.replace('<sr:CommandVariant>4', '<sr:CommandVariant> 4'));
      assert.ok(codes(ws.o).includes('SIGNATURE_INVALID'), JSON.stringify(ws.o));
    });

    it("refuses another User ID's certificate, a revoked one, an expired one and a Digital Signing one", async () => {
      const issue = async (eui: string, profile: string, officer: string, ou = '87') => {
        const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const csr = await makeCsr({ eui, keyPair: kp, ou });
        const f = join(g.dir, `c-${eui}-${profile}-${Math.random()}.csr`);
        writeFileSync(f, csr.pem);
        const r = await g.run(['cert', 'issue', '--csr', f, '--profile', profile, '--party', eui, '--officer', officer, '--passphrase-file', g.pass, '--json']);
        assert.equal(r.code, 0, r.stderr);
        return { key: kp.privateKey, cert: readOrganisationCertificate(r.json.pem), certPem: r.json.pem } satisfies Signer;
      };
      const other = await issue(OTHER_SRP, 'xml-sign', g.otherAro);
      const r1 = await one(g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', next(), ESME, other));
      assert.ok(codes(r1.o).includes('SIGNING_CERT_NOT_ORIGINATOR'));
      const ds = await issue(SUPPLIER, 'ds', g.supplierAro, '02');
      const r2 = await one(g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', next(), ESME, ds));
      assert.ok(codes(r2.o).includes('SIGNING_CERT_NOT_XML_SIGN'), JSON.stringify(r2.o));
      const second = await issue('90B3D51F300C0001', 'xml-sign', g.aro);
      assert.equal((await one(g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', next(), ESME, second))).o.decision, 'accept');
      assert.equal((await g.run(['cert', 'revoke', second.cert.serialHex, '--reason', 'superseded', '--passphrase-file', g.pass])).code, 0);
      const again = await g.run(['cert', 'revoke', second.cert.serialHex, '--reason', 'superseded', '--passphrase-file', g.pass, '--json']);
      assert.equal(again.code, 3);
      assert.ok((again.stdout + again.stderr).includes('CERT_ALREADY_REVOKED'), again.stdout + again.stderr);
      const r3 = await one(g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', next(), ESME, second));
      assert.ok(codes(r3.o).includes('SIGNING_CERT_REVOKED'));
      const late = await one(g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', next(), ESME), ['--at', '2040-01-01T00:00:00Z']);
      assert.ok(codes(late.o).includes('SIGNING_CERT_EXPIRED'));
    });

    it('a DTD with entities is refused; a 50 MB document is refused without parsing it', async () => {
      const lol = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway">&lol3;</sr:Request>`;
      const r = await one(lol);
      assert.equal(r.code, 4);
      const big = `<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway">${'x'.repeat(50 * 1024 * 1024)}</sr:Request>`;
      const rb = await one(big);
      assert.equal(rb.code, 4);
      assert.match(rb.o.error, /size|large|bytes/i);
    });
  });

  it('the audit chain verifies after all of it', async () => {
    const v = await g.run(['audit', 'verify', '--json']);
    assert.equal(v.code, 0, v.stderr);
  });
});

describe('gate: ADT thresholds', function () {
  let g: GateScenario;
  before(async () => { g = await setupGateScenario({ warning: 5, quarantine: 8 }); });
  after(() => g.cleanup());

  it('warns over the warning threshold and quarantines over the quarantine threshold (5 and 8)', async () => {
    const files: string[] = [];
    for (let i = 1; i <= 9; i++) files.push(g.write(`adt-${i}.xml`, g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', BigInt(100 + i), ESME)));
    const r = await g.check(files);
    assert.equal(r.code, 3);
    const d = r.json.map((o: { decision: string }) => o.decision);
    assert.deepEqual(d, ['accept', 'accept', 'accept', 'accept', 'accept', 'accept', 'accept', 'accept', 'quarantine']);
    assert.deepEqual(r.json[5].warnings.map((w: { code: string }) => w.code), ['ADT_WARNING']);
    assert.deepEqual(codes(r.json[8]), ['ADT_QUARANTINE']);
  });
});
