import { strict as assert } from 'node:assert';
import { createHash, createPrivateKey, generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../../src/domain/errors.js';
import { canonicalize } from '../../../src/gate/xml/c14n.js';
import { DSIG_NS, decodeBase64Strict, extractSignature, signEnveloped, verifyEnveloped } from '../../../src/gate/xml/dsig.js';
import { childElements, parseXml, type XmlElement } from '../../../src/gate/xml/parse.js';

const FIX = fileURLToPath(new URL('../../../fixtures/public/', import.meta.url));
const DUIS = `${FIX}duis/`;
const CERTS = `${FIX}smki-certs/`;

const signerKey = createPrivateKey({ key: readFileSync(`${CERTS}xml-sign-90B3D51F30010000-ds.key`), format: 'der', type: 'pkcs8' });
const signerCert = new X509Certificate(readFileSync(`${CERTS}xml-sign-90B3D51F30010000-ds.pem`));
const signerSerial = BigInt(`0x${signerCert.serialNumber}`).toString();
const dccCert = new X509Certificate(readFileSync(`${CERTS}dsp-xml-sign-90B3D51F30000002-ds-pre-1.4.1.pem`));
const DCC_RESPONSE = readFileSync(`${DUIS}readfw-version-response.DCC-SIGNED.xml`);

const signOpts = { privateKey: signerKey, issuerName: 'CN=Z1,OU=07', serialDecimal: signerSerial };
const templates = readdirSync(DUIS).filter((f) => f.endsWith('_REQUEST_DUIS.XML'));
const signedCredit = signEnveloped(readFileSync(`${DUIS}ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML`, 'utf8'), signOpts);

function findDs(el: XmlElement, localName: string): XmlElement {
  for (const c of childElements(el)) {
    if (c.namespaceURI === DSIG_NS && c.localName === localName) return c;
    try {
      return findDs(c, localName);
    } catch {
      /* keep looking */
    }
  }
  throw new Error(`no ds:${localName}`);
}

/** Re-signs SignedInfo as it now stands, so that only the rule under test can refuse the document. */
function resign(xml: string, key: KeyObject = signerKey): string {
  const si = findDs(parseXml(xml).root, 'SignedInfo');
  const value = sign('sha256', Buffer.from(canonicalize(si, 'exclusive'), 'utf8'), { key, dsaEncoding: 'ieee-p1363' }).toString('base64');
  return xml.replace(/<ds:SignatureValue>[^<]*(?:&#13;\n[^<]*)*<\/ds:SignatureValue>/, `<ds:SignatureValue>${value}</ds:SignatureValue>`);
}

function extractRefused(xml: string, re: RegExp): void {
  const doc = parseXml(xml);
  assert.throws(() => extractSignature(doc), (e: unknown) => e instanceof InputError && re.test(e.message) && !e.message.includes('\n'));
  const r = verifyEnveloped(doc, signerCert.publicKey);
  assert.equal(r.ok, false);
  assert.match((r as { why: string }).why, re);
}

describe('gate/xml/dsig', () => {
  describe('the real DCC-signed response', () => {
    it('verifies with dsp-xml-sign-90B3D51F30000002 (pre-1.4.1)', () => {
      assert.deepEqual(verifyEnveloped(parseXml(DCC_RESPONSE), dccCert.publicKey), { ok: true });
    });

    it('reads issuer, serial and reference without verifying', () => {
      const s = extractSignature(parseXml(DCC_RESPONSE));
      assert.equal(s.issuerName, 'CN=Z1,OU=07');
      assert.equal(s.issuerNameNormalized, 'CN=Z1,OU=07');
      assert.equal(s.serialDecimal, '50669612984035780968362471400449834504');
      assert.equal(s.serial, BigInt(`0x${dccCert.serialNumber}`));
      assert.equal(s.serialHex, dccCert.serialNumber);
      assert.equal(s.signatureValue.length, 64);
      assert.equal(s.reference.uri, '');
      assert.deepEqual(s.reference.transforms, ['http://www.w3.org/2000/09/xmldsig#enveloped-signature']);
      assert.equal(s.reference.digestValue.toString('base64'), '2IMXtdkUhPnqRff4FjVHWvJvZfPHOqAnxwoqTkhHoOs=');
      assert.equal(s.signedInfo.localName, 'SignedInfo');
    });

    it('does not verify with another key', () => {
      const r = verifyEnveloped(parseXml(DCC_RESPONSE), signerCert.publicKey);
      assert.deepEqual(r, { ok: false, why: 'the SignatureValue does not verify over SignedInfo with this key' });
      const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
      assert.match((verifyEnveloped(parseXml(DCC_RESPONSE), p384) as { why: string }).why, /not an ECDSA P-256 key/);
    });

    it('fails when any byte of signed content, SignedInfo or SignatureValue is flipped', () => {
      const text = DCC_RESPONSE.toString('latin1');
      const ranges: [number, number][] = [
        [text.indexOf('<sr:Response'), text.indexOf('<ds:Signature')],
        [text.indexOf('<ds:SignedInfo>'), text.indexOf('<ds:SignatureValue>')],
        [text.indexOf('<ds:SignatureValue>') + 19, text.indexOf('</ds:SignatureValue>')],
        [text.indexOf('</sr:Response>'), text.length],
      ];
      let flips = 0;
      for (const [from, to] of ranges) {
        assert.ok(from > 0 && to > from);
        for (let i = from; i < to; i++) {
          const bytes = Buffer.from(DCC_RESPONSE);
          bytes[i]! ^= 0x01;
          let result: string;
          try {
            const r = verifyEnveloped(parseXml(bytes), dccCert.publicKey);
            result = r.ok ? 'VERIFIED' : 'failed';
          } catch (e) {
            assert.ok(e instanceof InputError, String(e));
            result = 'refused';
          }
          assert.notEqual(result, 'VERIFIED', `flipping byte ${i} (${JSON.stringify(text[i])}) went unnoticed`);
          flips++;
        }
      }
      assert.ok(flips > 1400, `only ${flips} flips`);
    });
  });

  describe('decodeBase64Strict', () => {
    it('takes canonical base64 only: the bits left over by the padding must be zero', () => {
      assert.deepEqual(decodeBase64Strict('AQ==', 'v'), Buffer.from([1]));
      assert.deepEqual(decodeBase64Strict('AQI=', 'v'), Buffer.from([1, 2]));
      assert.deepEqual(decodeBase64Strict(' AQID\r\n BA== ', 'v'), Buffer.from([1, 2, 3, 4]));
      for (const t of ['AR==', 'AQ/=', 'AQJ=', 'AQIE====']) assert.throws(() => decodeBase64Strict(t, 'v'), /not (canonical|valid) base64/, t);
      for (const t of ['', 'AQ=', 'A===', 'AQ=A', 'AQ-_']) assert.throws(() => decodeBase64Strict(t, 'v'), /v is not valid base64/, t);
    });
  });

  describe('verifyEnveloped with the signature already extracted', () => {
    it('uses the extracted signature only for the document it was extracted from', () => {
      const good = parseXml(signedCredit);
      const sig = extractSignature(good);
      assert.deepEqual(verifyEnveloped(good, signerCert.publicKey, sig), { ok: true });
      // The same document with its content changed: another document, whose own signature is checked.
      const changed = parseXml(signedCredit.replace('<sr:Credit/>', '<sr:Prepayment/>'));
      assert.notEqual(changed.root, good.root);
      const r = verifyEnveloped(changed, signerCert.publicKey, sig);
      assert.equal(r.ok, false);
      assert.match((r as { why: string }).why, /digest does not match/);
      // A copy of the info, made outside the module, is not taken for an extracted one either.
      const forged = { ...extractSignature(changed), reference: sig.reference };
      assert.equal(verifyEnveloped(changed, signerCert.publicKey, forged).ok, false);
      // A malformed document is still refused with its own reason.
      const noSig = parseXml('<m:Msg xmlns:m="urn:m"/>');
      assert.match((verifyEnveloped(noSig, signerCert.publicKey, sig) as { why: string }).why, /exactly one ds:Signature/);
    });
  });

  describe('signEnveloped', () => {
    for (const file of templates) {
      it(`signs ${file} and the result verifies`, () => {
        const out = signEnveloped(readFileSync(`${DUIS}${file}`, 'utf8'), signOpts);
        const doc = parseXml(out);
        assert.deepEqual(verifyEnveloped(doc, signerCert.publicKey), { ok: true });
        const s = extractSignature(doc);
        assert.equal(s.issuerName, 'CN=Z1,OU=07');
        assert.equal(s.serialDecimal, signerSerial);
        assert.equal(s.serialHex, signerCert.serialNumber);
      });
    }

    it('writes the form DCC’s tool writes: no indentation, one signature appended last, wrapped SignatureValue', () => {
      assert.ok(signedCredit.startsWith('<?xml version="1.0" encoding="UTF-8" standalone="no"?><sr:Request xmlns:ds='));
      assert.ok(!/>\s+</.test(signedCredit), 'white space between elements is dropped');
      assert.ok(!signedCredit.includes('<!--'));
      assert.equal(signedCredit.match(/<ds:Signature[ >]/g)!.length, 1);
      assert.ok(signedCredit.endsWith('</ds:KeyInfo></ds:Signature></sr:Request>'));
      assert.match(signedCredit, /<ds:Signature><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http:\/\/www.w3.org\/2001\/10\/xml-exc-c14n#"\/>/);
      assert.match(signedCredit, /<ds:SignatureValue>[A-Za-z0-9+/]{76}&#13;\n[A-Za-z0-9+/]{10}==<\/ds:SignatureValue>/);
      assert.match(signedCredit, /<ds:X509IssuerName>CN=Z1,OU=07<\/ds:X509IssuerName><ds:X509SerialNumber>27572613927499351639968579586655397031</);
    });

    it('replaces an existing signature when re-signing, and declares ds when the root does not', () => {
      const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const again = signEnveloped(signedCredit, { privateKey: other.privateKey, issuerName: 'CN=X', serialDecimal: '7' });
      assert.equal(again.match(/<ds:Signature[ >]/g)!.length, 1);
      assert.deepEqual(verifyEnveloped(parseXml(again), other.publicKey), { ok: true });
      assert.equal(verifyEnveloped(parseXml(again), signerCert.publicKey).ok, false);

      const bare = signEnveloped('<m:Msg xmlns:m="urn:m">\n  <m:A x="1">t&amp;u</m:A>\n</m:Msg>\n', signOpts);
      assert.match(bare, /<m:Msg xmlns:m="urn:m"><m:A x="1">t&amp;u<\/m:A><ds:Signature xmlns:ds="http:\/\/www.w3.org\/2000\/09\/xmldsig#">/);
      assert.deepEqual(verifyEnveloped(parseXml(bare), signerCert.publicKey), { ok: true });
    });

    it('refuses keys other than P-256 and XMLDSig elements away from the root', () => {
      const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
      assert.throws(() => signEnveloped('<a/>', { ...signOpts, privateKey: p384 }), /not an ECDSA P-256 private key/);
      assert.throws(() => signEnveloped('<a/>', { ...signOpts, serialDecimal: '0x12' }), /decimal digits/);
      assert.throws(
        () => signEnveloped(`<a xmlns:ds="${DSIG_NS}"><b><ds:Signature/></b></a>`, signOpts),
        /XMLDSig element a\/b\/ds:Signature is not a child of the root/,
      );
    });
  });

  describe('refuses', () => {
    const sigText = signedCredit.slice(signedCredit.indexOf('<ds:Signature>'), signedCredit.indexOf('</sr:Request>'));

    it('a second ds:Signature, anywhere', () => {
      extractRefused(signedCredit.replace('</sr:Request>', `${sigText}</sr:Request>`), /exactly one ds:Signature, found 2/);
      extractRefused(signedCredit.replace('<sr:Credit/>', `<sr:Credit/>${sigText}`), /exactly one ds:Signature, found 2/);
    });

    it('a ds:Signature that is not the last element child of the root', () => {
      const moved = signedCredit.replace(sigText, '').replace('<sr:Header>', `${sigText}<sr:Header>`);
      extractRefused(moved, /must be the last element child of the root/);
      const nested = signedCredit.replace(sigText, '').replace('<sr:Credit/>', `<sr:Credit/>${sigText}`);
      extractRefused(nested, /must be the last element child of the root/);
    });

    it('XMLDSig elements outside the signature (a decoy SignedInfo)', () => {
      const si = sigText.slice(sigText.indexOf('<ds:SignedInfo>'), sigText.indexOf('<ds:SignatureValue>'));
      extractRefused(signedCredit.replace('<sr:Credit/>', `<sr:Credit/>${si}`), /XMLDSig element .*ds:SignedInfo outside ds:Signature/);
    });

    it('a Reference to an Id instead of the whole document, even validly signed', () => {
      let xml = signedCredit.replace('<sr:Body>', '<sr:Body Id="b">');
      const body = childElements(parseXml(xml).root)[1]!;
      const digest = createHash('sha256').update(canonicalize(body, 'inclusive'), 'utf8').digest('base64');
      xml = resign(xml.replace('URI=""', 'URI="#b"').replace(/<ds:DigestValue>[^<]*</, `<ds:DigestValue>${digest}<`));
      extractRefused(xml, /Reference URI must be "" \(the whole document\), not "#b"/);
      extractRefused(resign(signedCredit.replace(' URI=""', '')), /Reference URI must be ""/);
    });

    it('any transform list but exactly the enveloped one', () => {
      const env = '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>';
      const exc = '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>';
      extractRefused(resign(signedCredit.replace(env, env + exc)), /exactly one ds:Transform/);
      extractRefused(resign(signedCredit.replace(env, '')), /exactly one ds:Transform/);
      extractRefused(resign(signedCredit.replace(env, exc)), /Transform "http:\/\/www.w3.org\/2001\/10\/xml-exc-c14n#" is not accepted/);
    });

    const algorithms: [string, string, string][] = [
      ['SignatureMethod', 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'rsa-sha1'],
      ['SignatureMethod', 'http://www.w3.org/2000/09/xmldsig#hmac-sha1', 'hmac-sha1'],
      ['SignatureMethod', 'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256', 'hmac-sha256'],
      ['SignatureMethod', 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1', 'ecdsa-sha1'],
      ['DigestMethod', 'http://www.w3.org/2000/09/xmldsig#sha1', 'sha1 digest'],
      ['DigestMethod', 'http://www.w3.org/2001/04/xmlenc#sha512', 'sha512 digest'],
      ['CanonicalizationMethod', 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315', 'inclusive c14n for SignedInfo'],
      ['CanonicalizationMethod', 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments', 'exc-c14n with comments'],
    ];
    for (const [element, uri, label] of algorithms) {
      it(`${element} ${label}`, () => {
        const xml = signedCredit.replace(new RegExp(`<ds:${element} Algorithm="[^"]*"/>`), `<ds:${element} Algorithm="${uri}"/>`);
        assert.notEqual(xml, signedCredit);
        extractRefused(resign(xml), new RegExp(`${element} "${uri.replace(/[.#]/g, '\\$&')}" is not accepted`));
      });
    }

    it('parameters and extra content in the signature (HMACOutputLength, Object, X509Certificate, Id)', () => {
      extractRefused(
        resign(signedCredit.replace(/<ds:SignatureMethod Algorithm="([^"]*)"\/>/, '<ds:SignatureMethod Algorithm="$1"><ds:HMACOutputLength>8</ds:HMACOutputLength></ds:SignatureMethod>')),
        /must not contain elements|must be empty/,
      );
      extractRefused(signedCredit.replace('</ds:KeyInfo>', '</ds:KeyInfo><ds:Object>x</ds:Object>'), /must contain exactly ds:SignedInfo, ds:SignatureValue, ds:KeyInfo/);
      extractRefused(signedCredit.replace('</ds:X509IssuerSerial>', '</ds:X509IssuerSerial><ds:X509Certificate>AAAA</ds:X509Certificate>'), /must contain exactly ds:X509IssuerSerial/);
      extractRefused(signedCredit.replace('<ds:Signature>', '<ds:Signature Id="s">'), /attribute Id is not accepted on sr:Request\/ds:Signature/);
      extractRefused(resign(signedCredit.replace('<ds:Reference URI=""', '<ds:Reference Id="r" URI=""')), /attribute Id is not accepted/);
    });

    it('a SignatureValue that is not 64 raw bytes in canonical base64', () => {
      const der = sign('sha256', Buffer.from('x'), signerKey).toString('base64');
      extractRefused(signedCredit.replace(/<ds:SignatureValue>[^<]*(?:&#13;\n[^<]*)*</, `<ds:SignatureValue>${der}<`), /SignatureValue is 7[0-2] bytes, not 64/);
      const canonical = resign(signedCredit).match(/<ds:SignatureValue>([^<]*)</)![1]!;
      const nonCanonical = canonical.slice(0, -3) + String.fromCharCode(canonical.charCodeAt(canonical.length - 3) + 1) + '==';
      extractRefused(signedCredit.replace(/<ds:SignatureValue>[^<]*(?:&#13;\n[^<]*)*</, `<ds:SignatureValue>${nonCanonical}<`), /not canonical base64/);
    });

    it('a white-space change inside signed content (digest fails)', () => {
      for (const xml of [
        signedCredit.replace('<sr:CommandVariant>4<', '<sr:CommandVariant> 4<'),
        signedCredit.replace('</sr:Header><sr:Body>', '</sr:Header>\n<sr:Body>'),
      ]) {
        assert.deepEqual(verifyEnveloped(parseXml(xml), signerCert.publicKey), {
          ok: false,
          why: 'the Reference digest does not match the document (signed content was changed)',
        });
      }
    });

    it('a comment inserted inside signed text (it would be invisible to C14N and verify)', () => {
      const xml = signedCredit.replace('00-DB-12-34-56-78-90-A0:1002', '00-DB-12-34-56-78-90-A0:10<!--X-->02');
      assert.throws(() => parseXml(xml), (e: unknown) => e instanceof InputError && /comments are refused/.test(e.message));
      // Why: a parser that dropped the comment would see "1002" split in two text nodes, yet verify.
      assert.deepEqual(verifyEnveloped(parseXml(xml, { allowComments: true }), signerCert.publicKey), { ok: true });
    });

    it('a root element in the XMLDSig namespace, or no signature', () => {
      extractRefused(`<ds:Signature xmlns:ds="${DSIG_NS}"/>`, /root element is in the XMLDSig namespace/);
      extractRefused('<a><b/></a>', /exactly one ds:Signature, found 0/);
    });
  });
});
