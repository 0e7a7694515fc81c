// Interop with DCC's own XMLDSig signer and validator (dccboxed-signing-tool, shipped as dist/tool.jar
// in the npm package @smartdcc/duis-sign-wrap). Needs `java` on PATH; skipped with a message when
// either the JVM or the jar is missing. Three JVM runs in all.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDuisRequest } from '../../src/gate/duis.js';
import { signEnveloped, verifyEnveloped } from '../../src/gate/xml/dsig.js';
import { parseXml } from '../../src/gate/xml/parse.js';

const FIX = fileURLToPath(new URL('../../fixtures/public/', import.meta.url));
const CERT_PEM = `${FIX}smki-certs/xml-sign-90B3D51F30010000-ds.pem`;
const KEY_DER = `${FIX}smki-certs/xml-sign-90B3D51F30010000-ds.key`;
const PKG = 'uk.co.smartdcc.boxed.xmldsig';

function findJar(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('@smartdcc/duis-sign-wrap/package.json');
    const jar = join(dirname(pkg), 'dist', 'tool.jar');
    return existsSync(jar) ? jar : null;
  } catch {
    return null;
  }
}

function javaWorks(): boolean {
  const r = spawnSync('java', ['-version'], { stdio: 'ignore', timeout: 30_000 });
  return r.error === undefined && r.status === 0;
}

describe('gate/xml interop with DCC tool.jar (Java)', () => {
  let jar = '';
  let dir = '';
  const key = createPrivateKey({ key: readFileSync(KEY_DER), format: 'der', type: 'pkcs8' });
  const cert = new X509Certificate(readFileSync(CERT_PEM));

  const tool = (cls: 'Sign' | 'Validate', args: string[]) =>
    // C1-only JIT and the serial GC start the short-lived JVM about a third faster.
    spawnSync('java', ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', jar, `${PKG}.${cls}`, ...args], { encoding: 'utf8', timeout: 60_000 });

  before(function () {
    const found = findJar();
    if (!found) {
      console.log('    (skipped: @smartdcc/duis-sign-wrap dist/tool.jar is not installed)');
      this.skip();
    }
    if (!javaWorks()) {
      console.log('    (skipped: no working `java` on PATH to run DCC tool.jar)');
      this.skip();
    }
    jar = found!;
    dir = mkdtempSync(join(tmpdir(), 'smki-interop-'));
    // The tool reads PEM keys only; the fixture key is PKCS#8 DER.
    writeFileSync(join(dir, 'key.pem'), key.export({ type: 'pkcs8', format: 'pem' }));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a template signed by tool.jar verifies with verifyEnveloped and parses', () => {
    const r = tool('Sign', [`${FIX}duis/ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML`, CERT_PEM, join(dir, 'key.pem'), '--preserveCounter']);
    assert.equal(r.status, 0, `tool.jar Sign failed: ${r.stderr}`);
    const out = r.stdout;
    // What DCC's tool writes: indentation dropped, one enveloped transform, SignatureValue wrapped at
    // 76 characters with an escaped CR, issuer as CN=Z1,OU=07 and the serial in decimal.
    assert.ok(out.startsWith('<?xml version="1.0" encoding="UTF-8" standalone="no"?><sr:Request '));
    assert.ok(!/>\s+</.test(out));
    assert.match(out, /<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http:\/\/www.w3.org\/2000\/09\/xmldsig#enveloped-signature"\/><\/ds:Transforms>/);
    assert.match(out, /<ds:SignatureValue>[A-Za-z0-9+/]{76}&#13;\n[A-Za-z0-9+/=]+<\/ds:SignatureValue>/);
    assert.match(out, /<ds:X509IssuerName>CN=Z1,OU=07<\/ds:X509IssuerName><ds:X509SerialNumber>27572613927499351639968579586655397031</);

    const { doc, request, signature } = parseDuisRequest(Buffer.from(out, 'utf8'));
    assert.equal(request.requestId.counter, 1002n, '--preserveCounter kept the RequestID');
    assert.deepEqual(request.body, { kind: 'UpdatePaymentMode', mode: 'Credit' });
    assert.equal(signature.serial, BigInt(`0x${cert.serialNumber}`));
    assert.deepEqual(verifyEnveloped(doc, cert.publicKey), { ok: true });
  });

  it('a document signed by signEnveloped passes tool.jar Validate, and a tampered one fails it', () => {
    const signed = signEnveloped(readFileSync(`${FIX}duis/GCS02_1.6_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML`, 'utf8'), {
      privateKey: key,
      issuerName: 'CN=Z1,OU=07',
      serialDecimal: BigInt(`0x${cert.serialNumber}`).toString(),
    });
    assert.deepEqual(verifyEnveloped(parseXml(signed), cert.publicKey), { ok: true });
    writeFileSync(join(dir, 'ours.xml'), signed);
    const ok = tool('Validate', [join(dir, 'ours.xml'), CERT_PEM]);
    assert.equal(ok.status, 0, `tool.jar Validate refused our signature: ${ok.stderr}`);
    assert.match(ok.stderr, /passed signature check/);

    writeFileSync(join(dir, 'tampered.xml'), signed.replace('2030-01-15T09:00:00.00Z', '2030-01-15T09:00:01.00Z'));
    const bad = tool('Validate', [join(dir, 'tampered.xml'), CERT_PEM]);
    assert.equal(bad.status, 10, `tool.jar Validate should fail a tampered document: ${bad.stderr}`);
  });
});
