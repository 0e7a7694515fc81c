// CA keys, SRP keys and the offline Root in a PKCS#11 token (SoftHSM2 in a temporary SOFTHSM2_CONF).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSmkiCsr } from '../../src/ca/csr-builder.js';
import { generateTokenKey, missingMechanisms } from '../../src/ca/pkcs11.js';
import { parsePkcs11Uri, formatPkcs11Uri } from '../../src/ca/pkcs11-uri.js';
import type { Eui64 } from '../../src/domain/eui.js';
import { opensslAvailable } from '../support/ca-chain.js';
import { passphraseFile, smki, tempDir } from '../support/cli.js';
import { registryDigest } from '../support/scenario.js';
import { ESME, setupGateScenario, template } from '../support/gate-scenario.js';
import { formatRequestId, withRequestId } from '../../src/gate/duis-compose.js';
import { parseEui64 } from '../../src/domain/eui.js';
import { SOFTHSM_MODULE, softhsmAvailable, softToken, type SoftToken } from '../support/softhsm.js';
import { actAs, adminFlags, withOfficerKeys } from '../support/keys.js';
import { makeCsr } from '../support/csr.js';

const SUPPLIER = '90B3D51F30010000';
const SRP = '90B3D51F300C0001';

function openssl(args: string[], cwd: string): { status: number; out: string } {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('ca/pkcs11: mechanisms', () => {
  it('names what a token without CKM_ECDSA or key generation lacks (SoftHSM2 has both, so this is checked on the list)', () => {
    assert.deepEqual(missingMechanisms([0x1040, 0x1041, 0x250], ['CKM_EC_KEY_PAIR_GEN', 'CKM_ECDSA']), []);
    assert.deepEqual(missingMechanisms([0x1040, 0x250], ['CKM_EC_KEY_PAIR_GEN', 'CKM_ECDSA']), ['CKM_ECDSA']);
    assert.deepEqual(missingMechanisms([], ['CKM_EC_KEY_PAIR_GEN', 'CKM_ECDSA']), ['CKM_EC_KEY_PAIR_GEN', 'CKM_ECDSA']);
    const p11 = createRequire(import.meta.url)('pkcs11js') as typeof import('pkcs11js');
    assert.deepEqual([p11.CKM_EC_KEY_PAIR_GEN, p11.CKM_ECDSA], [0x1040, 0x1041]);
  });
});

describe('ca/pkcs11: RFC 7512 URIs', () => {
  it('parses token, object, id, module-path and pin-source; refuses pin-value and other types', () => {
    const u = parsePkcs11Uri('pkcs11:token=SMKI%20CA;object=smki-issuing-oca;id=%01%02;type=private?module-path=/usr/lib/x.so&pin-source=file:/run/pin');
    assert.equal(u.token, 'SMKI CA');
    assert.equal(u.object, 'smki-issuing-oca');
    assert.deepEqual(u.id, Buffer.from([1, 2]));
    assert.equal(u.modulePath, '/usr/lib/x.so');
    assert.equal(u.pinSource, '/run/pin');
    assert.throws(() => parsePkcs11Uri('pkcs11:token=a;object=b?pin-value=1234'), /pin-value is refused/);
    assert.throws(() => parsePkcs11Uri('pkcs11:token=a;object=b;type=cert'), /type=cert/);
    assert.throws(() => parsePkcs11Uri('pkcs11:token=a'), /object=LABEL or id/);
    assert.throws(() => parsePkcs11Uri('pkcs11:token=a;object=b;object=c'), /given twice/);
    assert.throws(() => parsePkcs11Uri('file:/x'), /not a pkcs11: URI/);
    assert.deepEqual(parsePkcs11Uri(formatPkcs11Uri('SMKI CA;1', 'k')).token, 'SMKI CA;1');
  });
});

(softhsmAvailable() && opensslAvailable() ? describe : describe.skip)('ca/pkcs11: SoftHSM2 token keys', function () {
  let tok: SoftToken;
  let t: ReturnType<typeof tempDir>;
  let home: string;
  const saved = { pin: process.env.SMKI_PKCS11_PIN_FILE, module: process.env.SMKI_PKCS11_MODULE };
  const run = (args: string[]) => smki(['--home', home, ...actAs('ra1'), ...withOfficerKeys(home, args)]);
  const ok = async (args: string[]) => {
    const r = await run([...args, '--json']);
    assert.equal(r.code, 0, `${args.join(' ')} -> ${r.code}: ${r.stderr}`);
    return r.json;
  };

  before(() => {
    tok = softToken('smki-ca');
    t = tempDir();
    home = join(t.dir, 'home');
  });
  after(() => {
    for (const [k, v] of [['SMKI_PKCS11_PIN_FILE', saved.pin], ['SMKI_PKCS11_MODULE', saved.module]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    tok.cleanup();
    t.cleanup();
  });

  it('init refuses a wrong PIN (exit 2), a missing token, half a flag pair (exit 4): one line, no home', async () => {
    const wrongPin = join(t.dir, 'wrong-pin.txt');
    writeFileSync(wrongPin, '000000\n');
    for (const [args, msg, code] of [
      [['--pkcs11-module', tok.module, '--token', tok.label, '--pin-file', wrongPin], /^smki: PKCS#11: wrong PIN for token '[^']+' \(CKR_PIN_INCORRECT\)$/m, 2],
      [['--pkcs11-module', tok.module, '--token', 'no-such-token', '--pin-file', tok.pinFile], /no token labelled 'no-such-token'/, 4],
      [['--pkcs11-module', join(t.dir, 'missing.so'), '--token', tok.label, '--pin-file', tok.pinFile], /cannot load the module/, 4],
      [['--token', tok.label, '--pin-file', tok.pinFile], /go together/, 4],
    ] as const) {
      const r = await run(['init', ...args, ...adminFlags(t.dir)]);
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(existsSync(home), false);
    }
  });

  it('init makes both CA keys inside the token, not extractable, and records only their URIs', async () => {
    const r = await ok(['init', '--ca-name', 'Token OCA', '--pkcs11-module', tok.module, '--token', tok.label, '--pin-file', tok.pinFile, ...adminFlags(t.dir)]);
    assert.match(r.rootKey, /^pkcs11:token=smki-ca;object=smki-root-oca;type=private$/);
    assert.match(r.issuingKey, /^pkcs11:token=smki-ca;object=smki-issuing-oca;type=private$/);
    assert.deepEqual(readdirSync(join(home, 'keys')), ['audit-mac.key'], 'no CA key material in the home');
    const list = spawnSync('pkcs11-tool', ['--module', tok.module, '--token-label', tok.label, '--login', '--pin', tok.pin, '--list-objects', '--type', 'privkey'], { encoding: 'utf8', env: process.env });
    assert.equal(list.status, 0, list.stderr);
    const objects = list.stdout.split('Private Key Object').slice(1);
    assert.equal(objects.length, 2, list.stdout);
    for (const o of objects) {
      assert.match(o, /Access:\s+.*\bsensitive\b/);
      assert.match(o, /never extractable/);
    }
    // Asking the token for the private value itself is refused (CKR_ATTRIBUTE_SENSITIVE).
    const p11 = createRequire(import.meta.url)('pkcs11js') as typeof import('pkcs11js');
    const m = new p11.PKCS11();
    m.load(tok.module);
    m.C_Initialize();
    try {
      const slot = m.C_GetSlotList(true).find((sl) => m.C_GetTokenInfo(sl).label.trim() === tok.label)!;
      const session = m.C_OpenSession(slot, p11.CKF_SERIAL_SESSION);
      m.C_Login(session, p11.CKU_USER, tok.pin);
      m.C_FindObjectsInit(session, [{ type: p11.CKA_CLASS, value: p11.CKO_PRIVATE_KEY }]);
      const keys = m.C_FindObjects(session, 10);
      m.C_FindObjectsFinal(session);
      assert.equal(keys.length, 2);
      for (const k of keys) {
        assert.throws(() => m.C_GetAttributeValue(session, k, [{ type: p11.CKA_VALUE }]), /CKR_ATTRIBUTE_SENSITIVE/);
        const [ext, sens, priv] = m.C_GetAttributeValue(session, k, [{ type: p11.CKA_EXTRACTABLE }, { type: p11.CKA_SENSITIVE }, { type: p11.CKA_PRIVATE }]);
        assert.deepEqual([ext!.value, sens!.value, priv!.value].map((v) => (v as Buffer)[0]), [0, 1, 1]);
      }
    } finally {
      m.C_Finalize();
    }
  });

  it('issues, revokes and publishes a CRL with the token key; openssl verifies the chain and the CRL', async () => {
    process.env.SMKI_PKCS11_PIN_FILE = tok.pinFile;
    await ok(['party', 'add', '--name', 'Failed Energy', '--role', 'IS', '--eui', SUPPLIER, ...actAs('ra1')]);
    await ok(['party', 'add', '--name', 'SRP Ltd', '--role', 'SC', '--eui', SRP, '--acting-for', SUPPLIER, ...actAs('ra1')]);
    const sro = (await ok(['officer', 'add', '--party', SRP, '--kind', 'sro', '--name', 'Dana', '--evidence', 'RAPP-1', ...actAs('ra1')])).id;
    const aro = (await ok(['officer', 'add', '--party', SRP, '--kind', 'aro', '--name', 'Ari', '--nominated-by', sro, ...actAs('ra1')])).id;
    await ok(['officer', 'activate', aro, ...actAs('ra1')]);
    // The SRP's XML-signing key is a token key too; its CSR is signed inside the token.
    const srpUri = `pkcs11:token=${tok.label};object=srp-xml-sign`;
    const srpKey = generateTokenKey({ module: tok.module, uri: srpUri, pin: () => Buffer.from(tok.pin) });
    const csr = join(t.dir, 'srp.csr');
    writeFileSync(csr, buildSmkiCsr({ eui: SRP as Eui64, ou: '87', privateKey: srpKey }).pem);
    const cert = await ok(['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer', aro, '--out', join(t.dir, 'srp.pem')]);
    await ok(['ca', 'export', '--out', join(t.dir, 'chain.pem')]);
    writeFileSync(join(t.dir, 'root.pem'), (await ok(['ca', 'export'])).root.pem);
    const v = openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'chain.pem', 'srp.pem'], t.dir);
    assert.equal(v.status, 0, v.out);

    // sr sign with the token key gives a signature the CA's gate and openssl-free verifier accept.
    const request = join(process.cwd(), 'fixtures/public/duis/ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML');
    delete process.env.SMKI_PKCS11_PIN_FILE; // the PIN comes from the URI's pin-source
    const signed = await run(['sr', 'sign', request, '--cert', join(t.dir, 'srp.pem'), '--key', `${srpUri}?module-path=${tok.module}&pin-source=file:${tok.pinFile}`, '--out', join(t.dir, 'signed.xml')]);
    assert.equal(signed.code, 0, signed.stderr);
    process.env.SMKI_PKCS11_PIN_FILE = tok.pinFile;
    const noKey = await run(['sr', 'sign', request, '--cert', join(t.dir, 'srp.pem'), '--key', `pkcs11:token=${tok.label};object=nothing-here?module-path=${tok.module}`, '--out', join(t.dir, 'x.xml')]);
    assert.equal(noKey.code, 4);
    assert.match(noKey.stderr, /no private key pkcs11:token=smki-ca;object=nothing-here/);
    assert.equal(existsSync(join(t.dir, 'x.xml')), false);

    await ok(['cert', 'revoke', cert.serial, '--reason', 'superseded', ...actAs('ra1')]);
    const crl = await ok(['crl', '--out', join(t.dir, 'current.crl')]);
    assert.ok(crl.number >= 2);
    const c = openssl(['crl', '-in', 'current.crl', '-CAfile', 'chain.pem', '-noout', '-text'], t.dir);
    assert.equal(c.status, 0, c.out);
    assert.match(c.out, /verify OK/);
    assert.match(c.out, new RegExp(`Serial Number: ${cert.serial}`));
  });

  it('the gate accepts a DUIS request that sr sign signed with an SRP key inside the token', async () => {
    const g = await setupGateScenario();
    try {
      const uri = `pkcs11:token=${tok.label};object=gate-srp-xml-sign`;
      const key = generateTokenKey({ module: tok.module, uri, pin: () => Buffer.from(tok.pin) });
      const csr = join(g.dir, 'token-srp.csr');
      writeFileSync(csr, buildSmkiCsr({ eui: SRP as Eui64, ou: '87', privateKey: key }).pem);
      const issued = await g.run(['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer', g.aro, '--passphrase-file', g.pass, '--out', join(g.dir, 'token-srp.pem')]);
      assert.equal(issued.code, 0, issued.stderr);
      const unsigned = g.write('unsigned.xml', withRequestId(template('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML'), formatRequestId(parseEui64(SRP), ESME, 900n)));
      const signedFile = join(g.dir, 'token-signed.xml');
      process.env.SMKI_PKCS11_MODULE = tok.module;
      const signed = await g.run(['sr', 'sign', unsigned, '--cert', join(g.dir, 'token-srp.pem'), '--key', uri, '--pin-file', tok.pinFile, '--out', signedFile]);
      assert.equal(signed.code, 0, signed.stderr);
      const r = await g.check([signedFile]);
      assert.equal(r.json[0].decision, 'accept', JSON.stringify(r.json[0].reasons));
    } finally {
      g.cleanup();
    }
  });

  it('a wrong (exit 2) or missing (exit 4) PIN for a daily command is one line and writes nothing', async () => {
    const wrongPin = join(t.dir, 'wrong-pin.txt');
    const before = registryDigest(home);
    delete process.env.SMKI_PKCS11_PIN_FILE;
    const none = await run(['crl', '--refresh', ...actAs('ra1')]);
    assert.equal(none.code, 4, none.stderr);
    assert.match(none.stderr, /missing SMKI_PKCS11_PIN_FILE/);
    process.env.SMKI_PKCS11_PIN_FILE = wrongPin;
    const r = await run(['crl', '--refresh', ...actAs('ra1')]);
    process.env.SMKI_PKCS11_PIN_FILE = tok.pinFile;
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /wrong PIN/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(registryDigest(home), before);
    assert.ok(SOFTHSM_MODULE);
  });

  it('ca issue-issuing makes a new Issuing OCA key in the token, signed by the token Root key', async () => {
    const old = (await ok(['ca', 'export'])).issuing.serial;
    const r = await ok(['ca', 'issue-issuing', '--pin-file', tok.pinFile, ...actAs('ra1')]);
    assert.match(r.issuingKey, /^pkcs11:token=smki-ca;object=smki-issuing-oca-\d{8}T\d{6};type=private$/);
    const chain = await ok(['ca', 'export', '--out', join(t.dir, 'chain2.pem')]);
    assert.notEqual(chain.issuing.serial, old);
    writeFileSync(join(t.dir, 'root2.pem'), chain.root.pem);
    writeFileSync(join(t.dir, 'issuing2.pem'), chain.issuing.pem);
    assert.equal(openssl(['verify', '-CAfile', 'root2.pem', 'issuing2.pem'], t.dir).status, 0);
    process.env.SMKI_PKCS11_PIN_FILE = tok.pinFile;
    const crl = await ok(['crl', '--refresh', ...actAs('ra1'), '--out', join(t.dir, 'new.crl')]);
    assert.ok(crl.number > 0);
    const c = openssl(['crl', '-in', 'new.crl', '-CAfile', 'chain2.pem', '-noout'], t.dir);
    assert.match(c.out, /verify OK/);
  });
});

(opensslAvailable() ? describe : describe.skip)('ca: the offline Root OCA key', function () {
  let t: ReturnType<typeof tempDir>;
  let home: string;
  let pass: string;
  let rootPass: string;
  let rootKey: string;
  const run = (args: string[]) => smki(['--home', home, ...actAs('ra1'), ...withOfficerKeys(home, args)]);

  before(() => {
    t = tempDir();
    home = join(t.dir, 'home');
    pass = passphraseFile(t.dir);
    rootPass = join(t.dir, 'root-pass.txt');
    writeFileSync(rootPass, 'a different root passphrase\n', { mode: 0o600 });
    rootKey = join(t.dir, 'root-oca.key.pem');
  });
  after(() => t.cleanup());

  it('init --root-key-out writes the Root key outside the home under its own passphrase and says to move it', async () => {
    const same = await run(['init', '--passphrase-file', pass, '--root-key-out', rootKey, '--root-passphrase-file', pass, ...adminFlags(t.dir)]);
    assert.equal(same.code, 4);
    assert.equal(existsSync(home), false);
    const r = await run(['init', '--passphrase-file', pass, '--root-key-out', rootKey, '--root-passphrase-file', rootPass, ...adminFlags(t.dir)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /move the Root OCA key .* offline/);
    assert.ok(existsSync(rootKey));
    assert.deepEqual(readdirSync(join(home, 'keys')).sort(), ['audit-mac.key', 'issuing-oca.key.pem']);
    const k = openssl(['pkey', '-in', rootKey, '-passin', `file:${rootPass}`, '-noout'], t.dir);
    assert.equal(k.status, 0, k.out);
  });

  it('daily commands work with the Root key file gone; ca issue-issuing refuses without it and works with it', async () => {
    const away = join(t.dir, 'offline-root.key.pem');
    renameSync(rootKey, away);
    await run(['party', 'add', '--name', 'Sup', '--role', 'IS', '--eui', SUPPLIER, ...actAs('ra1')]);
    const crl = await run(['crl', '--refresh', '--passphrase-file', pass, ...actAs('ra1')]);
    assert.equal(crl.code, 0, crl.stderr);
    const before = registryDigest(home);
    const refused = await run(['ca', 'issue-issuing', '--root-passphrase-file', rootPass, '--passphrase-file', pass]);
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /Root OCA key .* is not here/);
    const wrong = await run(['ca', 'issue-issuing', '--root-key', away, '--root-passphrase-file', pass, '--passphrase-file', pass]);
    assert.equal(wrong.code, 2, wrong.stderr); // the CA passphrase is not the offline Root key's
    assert.match(wrong.stderr, /wrong passphrase for the Root OCA key/);
    assert.equal(registryDigest(home), before);
    const old = (await run(['ca', 'export', '--json'])).json.issuing.serial;
    const r = await run(['ca', 'issue-issuing', '--root-key', away, '--root-passphrase-file', rootPass, '--passphrase-file', pass, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(r.json.issuing.serial, old);
    const chain = (await run(['ca', 'export', '--json'])).json;
    assert.equal(chain.issuing.serial, r.json.issuing.serial);
    writeFileSync(join(t.dir, 'root.pem'), chain.root.pem);
    writeFileSync(join(t.dir, 'issuing.pem'), chain.issuing.pem);
    assert.equal(openssl(['verify', '-CAfile', 'root.pem', 'issuing.pem'], t.dir).status, 0);
    assert.equal((await run(['crl', '--refresh', '--passphrase-file', pass, ...actAs('ra1')])).code, 0, 'the new Issuing OCA key signs');
    assert.equal((await run(['audit', 'verify'])).code, 0);
  });
});

(softhsmAvailable() ? describe : describe.skip)("ca/pkcs11: people's keys in a token (key new --pkcs11, --as pkcs11:, --officer-key pkcs11:)", function () {
  this.timeout(120_000);
  let tok: SoftToken;
  let t: ReturnType<typeof tempDir>;
  let home: string;
  let pass: string;
  const uri = (object: string) => `pkcs11:token=${tok.label};object=${object}?module-path=${tok.module}`;
  const run = (args: string[]) => smki(['--home', home, ...args]);
  before(async () => {
    tok = softToken('smki-people');
    t = tempDir();
    home = join(t.dir, 'home');
    pass = passphraseFile(t.dir);
    assert.equal((await run(['init', '--passphrase-file', pass, ...adminFlags(t.dir)])).code, 0);
    process.env.SMKI_PKCS11_PIN_FILE = tok.pinFile;
  });
  after(() => {
    delete process.env.SMKI_PKCS11_PIN_FILE;
    tok.cleanup();
    t.cleanup();
  });

  it('key new --pkcs11 makes the key inside the token and prints its public key; --as pkcs11: acts as the registered operator', async () => {
    const pub = join(t.dir, 'ra-token.pub');
    const made = await run(['key', 'new', '--pkcs11', uri('ra-token'), '--public-out', pub, '--json']);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.json.publicKey, /BEGIN PUBLIC KEY/);
    assert.equal((await run([...actAs('ra1'), 'operator', 'add', '--name', 'ra-token', '--public-key', pub])).code, 0);
    const r = await run(['--as', uri('ra-token'), 'party', 'add', '--name', 'Token Energy', '--role', 'IS', '--eui', SUPPLIER, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const log = (await run(['audit', 'log', '--limit', '1', '--json'])).json.items as { actor: string; signedBy: { signer: string } }[];
    assert.deepEqual([log[0]!.actor, log[0]!.signedBy.signer], ['ra-token', 'operator']);
    assert.equal((await run(['audit', 'verify'])).code, 0);
    // The same label twice is refused: smki never replaces a key.
    assert.equal((await run(['key', 'new', '--pkcs11', uri('ra-token')])).code, 4);
  });

  it('a wrong PIN (exit 2), a URI that names no key, no module named (exit 4): one line, nothing written', async () => {
    const before = registryDigest(home);
    const wrongPin = join(t.dir, 'wrong-pin.txt');
    writeFileSync(wrongPin, '000000\n', { mode: 0o600 });
    process.env.SMKI_PKCS11_PIN_FILE = wrongPin;
    try {
      const wrong = await run(['--as', uri('ra-token'), 'party', 'add', '--name', 'X', '--role', 'IS', '--eui', '90B3D51F30050000']);
      assert.equal(wrong.code, 2, wrong.stderr);
      assert.match(wrong.stderr, /wrong PIN/);
      assert.equal(wrong.stderr.trim().split('\n').length, 1, wrong.stderr);
    } finally {
      process.env.SMKI_PKCS11_PIN_FILE = tok.pinFile;
    }
    const none = await run(['--as', uri('no-such-key'), 'party', 'add', '--name', 'X', '--role', 'IS', '--eui', '90B3D51F30050000']);
    assert.equal(none.code, 4, none.stderr);
    assert.match(none.stderr, /no private key/);
    const noModule = await run(['--as', `pkcs11:token=${tok.label};object=ra-token`, 'party', 'add', '--name', 'X', '--role', 'IS', '--eui', '90B3D51F30050000']);
    assert.equal(noModule.code, 4);
    assert.match(noModule.stderr, /SMKI_PKCS11_MODULE/);
    for (const r of [none, noModule]) assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(registryDigest(home), before);
  });

  it("--officer-key pkcs11: an ARO's key in the token signs a certificate request", async () => {
    const as1 = actAs('ra1');
    assert.equal((await run([...as1, 'party', 'add', '--name', 'SRP Ltd', '--role', 'SC', '--eui', SRP, '--acting-for', SUPPLIER])).code, 0);
    const sro = (await run(withOfficerKeys(home, [...as1, 'officer', 'add', '--party', SRP, '--kind', 'sro', '--name', 'Token SRO', '--evidence', 'E-1', '--json']))).json.id;
    const aroPub = join(t.dir, 'aro-token.pub');
    assert.equal((await run(['key', 'new', '--pkcs11', uri('aro-token'), '--public-out', aroPub])).code, 0);
    const aro = await run(withOfficerKeys(home, ['officer', 'add', '--party', SRP, '--kind', 'aro', '--name', 'Token ARO', '--public-key', aroPub, '--nominated-by', sro, '--json']));
    assert.equal(aro.code, 0, aro.stderr);
    assert.equal((await run([...as1, 'officer', 'activate', aro.json.id])).code, 0);
    const csr = join(t.dir, 'srp.csr');
    writeFileSync(csr, (await makeCsr({ eui: SRP })).pem);
    const c = await run(['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer-key', uri('aro-token'), '--passphrase-file', pass, '--json']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal((await run(['audit', 'verify'])).code, 0);
  });

  it('csr new --key pkcs11: signs the SRP\'s CSR inside the token; openssl verifies it and the certificate carries the token key', async () => {
    const made = await run(['key', 'new', '--pkcs11', uri('srp-xml-token'), '--json']);
    assert.equal(made.code, 0, made.stderr);
    const csrFile = join(t.dir, 'srp-token.csr');
    const r = await run(['csr', 'new', '--eui', SRP, '--profile', 'xml-sign', '--key', uri('srp-xml-token'), '--out', csrFile, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.keyCreated, false);
    assert.equal(r.json.publicKey, made.json.publicKey);
    if (opensslAvailable()) {
      const v = openssl(['req', '-in', csrFile, '-noout', '-verify', '-pubkey'], t.dir);
      assert.equal(v.status, 0, v.out);
      assert.match(v.out, /verify OK/i);
      assert.ok(v.out.includes(made.json.publicKey.trim()), v.out);
    }
    const c = await run(['cert', 'issue', '--csr', csrFile, '--profile', 'xml-sign', '--party', SRP, '--officer-key', uri('aro-token'), '--passphrase-file', pass, '--json']);
    assert.equal(c.code, 0, c.stderr);
    // A URI naming no key: one line, exit 4, no CSR written.
    const missing = join(t.dir, 'none.csr');
    const none = await run(['csr', 'new', '--eui', SRP, '--profile', 'xml-sign', '--key', uri('no-such-key'), '--out', missing]);
    assert.equal(none.code, 4, none.stderr);
    assert.equal(none.stderr.trim().split('\n').length, 1, none.stderr);
    assert.equal(existsSync(missing), false);
  });
});

(softhsmAvailable() ? describe : describe.skip)('ca/pkcs11: a real token without the mechanism (SoftHSM2 with mechanisms switched off)', function () {
  for (const [off, named] of [[['CKM_ECDSA'], /does not offer CKM_ECDSA$/], [['CKM_EC_KEY_PAIR_GEN'], /does not offer CKM_EC_KEY_PAIR_GEN$/]] as const) {
    it(`init on a token without ${off.join(', ')}: one line naming it, exit 4, no home`, async () => {
      const tok = softToken('smki-no-mech', off);
      const t = tempDir();
      try {
        const home = join(t.dir, 'home');
        const r = await smki(['--home', home, 'init', '--pkcs11-module', tok.module, '--token', tok.label, '--pin-file', tok.pinFile, ...adminFlags(t.dir)]);
        assert.equal(r.code, 4, r.stderr);
        assert.match(r.stderr.trim(), named);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.equal(existsSync(home), false);
      } finally {
        tok.cleanup();
        t.cleanup();
      }
    });
  }
});
