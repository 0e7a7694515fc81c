import { strict as assert } from 'node:assert';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../src/domain/errors.js';
import { parseDuisRequest } from '../../src/gate/duis.js';
import { signEnveloped, verifyEnveloped } from '../../src/gate/xml/dsig.js';
import { parseXml } from '../../src/gate/xml/parse.js';

const FIX = fileURLToPath(new URL('../../fixtures/public/', import.meta.url));
const DUIS = `${FIX}duis/`;
const CERTS = `${FIX}smki-certs/`;
const key = createPrivateKey({ key: readFileSync(`${CERTS}xml-sign-90B3D51F30010000-ds.key`), format: 'der', type: 'pkcs8' });
const cert = new X509Certificate(readFileSync(`${CERTS}xml-sign-90B3D51F30010000-ds.pem`));
const signOpts = { privateKey: key, issuerName: 'CN=Z1,OU=07', serialDecimal: BigInt(`0x${cert.serialNumber}`).toString() };
const template = (name: string) => readFileSync(`${DUIS}${name}_REQUEST_DUIS.XML`, 'utf8');
const signed = (xml: string) => signEnveloped(xml, signOpts);

/** Signed Pre-Command for GCS02 immediate (PRECOMMAND ‖ 40 ‖ r‖s by Z1-supplier-ds), from smki-domain. */
const GCS02_SIGNED_PRECOMMAND =
  '3wkBAAAAAAAAA+gIkLPVHzABAAAIANsSNFZ4kKEAAgBsHQEJAQEHBQAVAQAGAAAAAIBKNxwAAAAAlAz/////QG8rE4kGBYaM+AqsKSdCW4JsWpmKAdTOaIPBo6Mn7TLycEmSC9rIw5kbHP8TisxleJ9gJgRbJ78yo6uNPMWFPY0=';

function refused(input: string | Buffer, re: RegExp): void {
  assert.throws(
    () => parseDuisRequest(input),
    (e: unknown) => {
      assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
      assert.match(e.message, re);
      assert.ok(!e.message.includes('\n'));
      return true;
    },
  );
}

const EXPECTED: Record<string, { counter: bigint; target: string; mode: 'Credit' | 'Prepayment'; edt?: string }> = {
  ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS: { counter: 1002n, target: '00DB1234567890A0', mode: 'Credit' },
  ECS02_1_6_FUTURE_DATED_TWIN_SUCCESS: { counter: 1005n, target: '00DB1234567890A0', mode: 'Credit', edt: '2030-01-15T09:00:00.00Z' },
  ECS02_1_6_CANCELLATION_TWIN_SUCCESS: { counter: 1004n, target: '00DB1234567890A0', mode: 'Credit', edt: '3000-12-31T00:00:00.00Z' },
  ECS03_1_6_IMMEDIATE_SINGLE_SUCCESS: { counter: 1010n, target: '00DB1234567890A0', mode: 'Prepayment' },
  ECS03_1_6_FUTURE_DATED_TWIN_SUCCESS: { counter: 1011n, target: '00DB1234567890A0', mode: 'Prepayment', edt: '2030-01-15T09:00:00.00Z' },
  ECS03_1_6_CANCELLATION_TWIN_SUCCESS: { counter: 1012n, target: '00DB1234567890A0', mode: 'Prepayment', edt: '3000-12-31T00:00:00.00Z' },
  GCS02_1_6_IMMEDIATE_SUCCESS: { counter: 1000n, target: '00DB1234567890A1', mode: 'Credit' },
  GCS02_1_6_FUTURE_DATED_SUCCESS: { counter: 1001n, target: '00DB1234567890A1', mode: 'Credit', edt: '2030-01-15T09:00:00.00Z' },
  GCS02_1_6_CANCELLATION_SUCCESS: { counter: 1002n, target: '00DB1234567890A1', mode: 'Credit', edt: '3000-12-31T00:00:00.00Z' },
  GCS03_1_6_IMMEDIATE_SUCCESS: { counter: 1004n, target: '00DB1234567890A1', mode: 'Prepayment' },
  GCS03_1_6_FUTURE_DATED_SUCCESS: { counter: 1005n, target: '00DB1234567890A1', mode: 'Prepayment', edt: '2030-01-15T00:00:00.00Z' },
  GCS03_1_6_CANCELLATION_SUCCESS: { counter: 1006n, target: '00DB1234567890A1', mode: 'Prepayment', edt: '3000-12-31T00:00:00.00Z' },
};

describe('gate/duis', () => {
  const files = readdirSync(DUIS).filter((f) => f.includes('_1.6_') && f.endsWith('_REQUEST_DUIS.XML'));
  it('has the 12 public SR 1.6 templates', () => assert.equal(files.length, 12));

  describe('the public SR 1.6 templates, signed', () => {
    for (const file of files) {
      const name = file.replace('_REQUEST_DUIS.XML', '');
      const want = EXPECTED[name.replace(/\./g, '_')]!;
      it(`${name}: ${want.mode}`, () => {
        const { doc, request, signature } = parseDuisRequest(Buffer.from(signed(template(name))));
        assert.equal(request.schemaVersion, '5.4');
        assert.deepEqual(request.requestId, {
          originator: '90B3D51F30010000',
          target: want.target,
          counter: want.counter,
          text: `90-B3-D5-1F-30-01-00-00:${want.target.match(/../g)!.join('-')}:${want.counter}`,
        });
        assert.equal(request.commandVariant, 4);
        assert.equal(request.serviceReference, '1.6');
        assert.equal(request.serviceReferenceVariant, '1.6');
        assert.equal(request.firstInSequence, undefined);
        assert.deepEqual(request.body, want.edt ? { kind: 'UpdatePaymentMode', mode: want.mode, executionDateTime: want.edt } : { kind: 'UpdatePaymentMode', mode: want.mode });
        assert.equal(signature.serialHex, cert.serialNumber);
        assert.deepEqual(verifyEnveloped(doc, cert.publicKey), { ok: true });
      });
    }

    it('are refused as published: their placeholder signature holds a comment', () => {
      refused(template('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS'), /XML: comments are refused \(line 15, column 5\)/);
    });
  });

  it('reads a Signed Pre-Command (CV 5) and the optional header elements', () => {
    const xml = template('GCS02_1.6_IMMEDIATE_SUCCESS')
      .replace('<sr:CommandVariant>4', '<sr:FirstInSequence>true</sr:FirstInSequence><sr:PrecedingServiceRequestID>90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A1:999</sr:PrecedingServiceRequestID><sr:CommandVariant>5')
      .replace(/<sr:UpdatePaymentMode>[\s\S]*<\/sr:UpdatePaymentMode>/, `<sr:SignedPreCommand><sr:GBCSPayload>${GCS02_SIGNED_PRECOMMAND}</sr:GBCSPayload></sr:SignedPreCommand>`);
    const { request } = parseDuisRequest(signed(xml));
    assert.equal(request.commandVariant, 5);
    assert.equal(request.firstInSequence, true);
    assert.equal(request.precedingServiceRequestId?.counter, 999n);
    assert.equal(request.body.kind, 'SignedPreCommand');
    const payload = (request.body as { gbcsPayload: Buffer }).gbcsPayload;
    assert.equal(payload[0], 0xdf);
    assert.equal(payload.toString('base64'), GCS02_SIGNED_PRECOMMAND);
  });

  it('classifies other Service Requests by local name', () => {
    const xml = template('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS')
      .replace('<sr:CommandVariant>4', '<sr:CommandVariant>1')
      .replace(/<sr:UpdatePaymentMode>[\s\S]*<\/sr:UpdatePaymentMode>/, '<sr:ReadInventory><sr:Anything x="1">y</sr:Anything></sr:ReadInventory>');
    assert.deepEqual(parseDuisRequest(signed(xml)).request.body, { kind: 'Other', localName: 'ReadInventory' });
  });

  describe('refuses (each document correctly signed, so only the structure rule can refuse it)', () => {
    const credit = template('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS');
    const body = '<sr:Body>\n    <sr:UpdatePaymentMode>\n      <sr:Credit/>\n    </sr:UpdatePaymentMode>\n  </sr:Body>';
    const prepaymentBody = '<sr:Body><sr:UpdatePaymentMode><sr:Prepayment><sr:SuspendDebtDisabled>true</sr:SuspendDebtDisabled><sr:SuspendDebtEmergency>false</sr:SuspendDebtEmergency><sr:DisablementThreshold>1</sr:DisablementThreshold></sr:Prepayment></sr:UpdatePaymentMode></sr:Body>';
    const withBody = (b: string) => credit.replace(body, b);
    it('template shape is as expected', () => assert.ok(credit.includes(body)));

    const cases: [string, string, RegExp][] = [
      ['a second sr:Body', withBody(`${body}${prepaymentBody}`), /sr:Request must contain exactly sr:Header, sr:Body, ds:Signature; found sr:Header, sr:Body, sr:Body, ds:Signature/],
      ['a second sr:Header', credit.replace('<sr:Body>', '<sr:Header/><sr:Body>'), /found sr:Header, sr:Header, sr:Body/],
      ['the Body moved inside another element beside a new Body', withBody(`${prepaymentBody}<sr:Wrapper>${body}</sr:Wrapper>`), /found sr:Header, sr:Body, sr:Wrapper, ds:Signature/],
      ['a Prepayment beside a Credit', withBody('<sr:Body><sr:UpdatePaymentMode><sr:Credit/><sr:Prepayment/></sr:UpdatePaymentMode></sr:Body>'), /exactly one of sr:Credit or sr:Prepayment/],
      ['a Credit after a Prepayment', withBody(prepaymentBody.replace('</sr:Prepayment>', '</sr:Prepayment><sr:Credit/>')), /exactly one of sr:Credit or sr:Prepayment/],
      ['two Credits', withBody('<sr:Body><sr:UpdatePaymentMode><sr:Credit/><sr:Credit/></sr:UpdatePaymentMode></sr:Body>'), /exactly one of sr:Credit or sr:Prepayment/],
      ['neither Credit nor Prepayment', withBody('<sr:Body><sr:UpdatePaymentMode/></sr:Body>'), /exactly one of sr:Credit or sr:Prepayment/],
      ['content in Credit', withBody('<sr:Body><sr:UpdatePaymentMode><sr:Credit><sr:Prepayment/></sr:Credit></sr:UpdatePaymentMode></sr:Body>'), /sr:Credit must be empty/],
      ['an incomplete Prepayment', withBody('<sr:Body><sr:UpdatePaymentMode><sr:Prepayment/></sr:UpdatePaymentMode></sr:Body>'), /needs sr:SuspendDebtDisabled here, found nothing/],
      ['two Service Requests in the Body', withBody('<sr:Body><sr:UpdatePaymentMode><sr:Credit/></sr:UpdatePaymentMode><sr:ReadInventory/></sr:Body>'), /sr:Body must contain exactly one element, found 2/],
      ['an empty Body', withBody('<sr:Body> </sr:Body>'), /sr:Body must contain exactly one element, found 0/],
      ['a Body element from another namespace', withBody('<sr:Body><x:UpdatePaymentMode xmlns:x="urn:x"><x:Credit/></x:UpdatePaymentMode></sr:Body>'), /not a Service Request element/],
      ['text in the Body', withBody('<sr:Body>Credit<sr:UpdatePaymentMode><sr:Credit/></sr:UpdatePaymentMode></sr:Body>'), /unexpected text in sr:Request\/sr:Body/],
      ['an attribute on the Body', withBody(body.replace('<sr:Body>', '<sr:Body Id="x">')), /attribute Id is not accepted on sr:Request\/sr:Body/],
      ['xsi:type on the Service Request', withBody(body.replace('<sr:UpdatePaymentMode>', '<sr:UpdatePaymentMode xsi:type="sr:Other">')), /attribute xsi:type is not accepted/],
      ['an unknown Header element', credit.replace('<sr:CommandVariant>', '<sr:Extra/><sr:CommandVariant>'), /unexpected sr:Extra|needs sr:CommandVariant here, found sr:Extra/],
      ['a foreign Header element', credit.replace('</sr:Header>', '<x:Extra xmlns:x="urn:x"/></sr:Header>'), /unexpected \{urn:x\}Extra in sr:Request\/sr:Header/],
      ['Header elements out of order', credit.replace('<sr:CommandVariant>4</sr:CommandVariant>', '').replace('</sr:ServiceReferenceVariant>', '</sr:ServiceReferenceVariant><sr:CommandVariant>4</sr:CommandVariant>'), /needs sr:CommandVariant here, found sr:ServiceReference/],
      ['CommandVariant 10', credit.replace('<sr:CommandVariant>4', '<sr:CommandVariant>10'), /sr:CommandVariant '10' is not 1-9/],
      ['CommandVariant 0', credit.replace('<sr:CommandVariant>4', '<sr:CommandVariant>0'), /is not 1-9/],
      ['a RequestID with undashed EUIs', credit.replace('90-B3-D5-1F-30-01-00-00:', '90B3D51F30010000:'), /is not EUI-64:EUI-64:counter/],
      ['a RequestID counter over 2^64-1', credit.replace(':1002<', ':18446744073709551616<'), /counter is above 2\^64-1/],
      ['a malformed ServiceReference', credit.replace('<sr:ServiceReference>1.6', '<sr:ServiceReference>1.6x'), /sr:ServiceReference '1.6x' is malformed/],
      ['a malformed ExecutionDateTime', withBody('<sr:Body><sr:UpdatePaymentMode><sr:ExecutionDateTime>tomorrow</sr:ExecutionDateTime><sr:Credit/></sr:UpdatePaymentMode></sr:Body>'), /'tomorrow' is not an xs:dateTime/],
      ['a missing schemaVersion', credit.replace(' schemaVersion="5.4"', ''), /sr:Request has no schemaVersion/],
      ['an unknown root attribute', credit.replace(' schemaVersion="5.4"', ' schemaVersion="5.4" Id="r"'), /attribute Id is not accepted on sr:Request/],
      ['a root in another namespace', credit.replace('xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway"', 'xmlns:sr="urn:evil"'), /the root element is \{urn:evil\}Request, not sr:Request/],
    ];
    for (const [what, xml, re] of cases) {
      it(what, () => {
        assert.notEqual(xml, credit, 'the test changed something');
        const s = signed(xml);
        assert.deepEqual(verifyEnveloped(parseXml(s), cert.publicKey), { ok: true }, 'signature valid: only structure refuses');
        refused(s, re);
      });
    }

    it('a Prepayment slipped beside a signed Credit: refused, and the signature would fail too', () => {
      const s = signed(credit).replace('<sr:Credit/>', '<sr:Credit/><sr:Prepayment/>');
      refused(s, /exactly one of sr:Credit or sr:Prepayment/);
      assert.equal(verifyEnveloped(parseXml(s), cert.publicKey).ok, false);
    });

    it('the signed Body wrapped away behind a new unsigned Body: refused, and the signature fails', () => {
      const good = signed(credit);
      const signedBody = good.slice(good.indexOf('<sr:Body>'), good.indexOf('</sr:Body>') + 10);
      const s = good.replace(signedBody, `${prepaymentBody}<sr:Wrapper>${signedBody}</sr:Wrapper>`);
      refused(s, /found sr:Header, sr:Body, sr:Wrapper, ds:Signature/);
      assert.equal(verifyEnveloped(parseXml(s), cert.publicKey).ok, false);
    });

    it('no signature, a second signature, or a response instead of a request', () => {
      const good = signed(credit);
      const sig = good.slice(good.indexOf('<ds:Signature>'), good.indexOf('</sr:Request>'));
      refused(good.replace(sig, ''), /found sr:Header, sr:Body$/);
      refused(good.replace('</sr:Request>', `${sig}</sr:Request>`), /found sr:Header, sr:Body, ds:Signature, ds:Signature/);
      refused(good.replace('<sr:Credit/>', `<sr:Credit/>${sig}`), /unexpected ds:Signature in sr:Request\/sr:Body\/sr:UpdatePaymentMode/);
      refused(readFileSync(`${DUIS}readfw-version-response.DCC-SIGNED.xml`), /the root element is sr:Response, not sr:Request/);
    });

    it('a Signature signed by someone else still parses (the caller verifies with the sender’s certificate)', () => {
      const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const s = signEnveloped(credit, { privateKey: other.privateKey, issuerName: 'CN=Z1,OU=07', serialDecimal: '1' });
      const { doc, signature } = parseDuisRequest(s);
      assert.equal(signature.serialDecimal, '1');
      assert.equal(verifyEnveloped(doc, cert.publicKey).ok, false);
    });

    it('long white-space runs in values without slow regular expressions', () => {
      const xml = signed(credit.replace('<sr:CommandVariant>4', `<sr:CommandVariant>4${' '.repeat(300_000)}x`));
      refused(xml, /sr:CommandVariant '4 +' is not 1-9/);
    });

    it('input over the limits passed in', () => {
      const s = signed(credit);
      assert.equal(parseDuisRequest(s, { maxBytes: s.length, maxDepth: 6, maxAttributes: 4 }).request.commandVariant, 4);
      assert.throws(() => parseDuisRequest(s, { maxBytes: s.length - 1 }), /XML: the document is (at least )?\d+ bytes, over the \d+-byte limit/);
      assert.throws(() => parseDuisRequest(s, { maxDepth: 5 }), /nested deeper than 5/);
      assert.throws(() => parseDuisRequest(s, { maxAttributes: 3 }), /more than 3 attributes on <sr:Request>/);
    });
  });
});
