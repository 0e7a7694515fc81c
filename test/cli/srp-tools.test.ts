// SRP tooling end to end: csr new -> cert issue -> sr new -> sr sign -> sr check accepts, and the
// Signed Pre-Command path: gbcs sign -> sr new --pre-command -> sr sign -> sr check accepts.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsr } from '../../src/ca/csr.js';
import { parseEui64 } from '../../src/domain/eui.js';
import { parseDuisRequest } from '../../src/gate/duis.js';
import { rewriteHeader } from '../../src/gate/gbcs.js';
import { ESME, FIXTURES, preCommand, setupGateScenario, type GateScenario } from '../support/gate-scenario.js';
import { SRP, SUPPLIER } from '../support/scenario.js';

const SUPPLIER_DS_KEY = join(FIXTURES, 'smki-certs', 'Z1-supplier-ds.key'); // DER PKCS#8
const SUPPLIER_DS_CERT = join(FIXTURES, 'smki-certs', 'Z1-supplier-ds.pem');

describe('cli: SRP tooling (csr new, sr new, sr sign, gbcs sign)', function () {
  this.timeout(180_000);
  let g: GateScenario;
  let keyPass: string;
  let srpKey: string;
  let srpCert: string;
  before(async () => {
    g = await setupGateScenario();
    keyPass = join(g.dir, 'key-pass.txt');
    writeFileSync(keyPass, 'srp key passphrase 1\n', { mode: 0o600 });
    srpKey = join(g.dir, 'srp-new.key');
    srpCert = join(g.dir, 'srp-new.pem');
  });
  after(() => g.cleanup());

  describe('csr new', () => {
    it('makes an encrypted 0600 P-256 key and a CSR that openssl verifies, with OU 87 and the EUI as a BIT STRING; cert issue accepts it', async () => {
      const csrFile = join(g.dir, 'srp-new.csr');
      const r = await g.run(['csr', 'new', '--eui', SRP, '--profile', 'xml-sign', '--key-out', srpKey, '--passphrase-file', keyPass, '--out', csrFile, '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.userId, SRP);
      assert.equal(r.json.ou, '87');
      assert.equal(statSync(srpKey).mode & 0o777, 0o600);
      assert.match(readFileSync(srpKey, 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      // openssl reads the key only with its passphrase.
      execFileSync('openssl', ['pkey', '-in', srpKey, '-passin', `file:${keyPass}`, '-noout']);
      assert.throws(() => execFileSync('openssl', ['pkey', '-in', srpKey, '-passin', 'pass:wrong', '-noout'], { stdio: 'pipe' }));
      const text = execFileSync('openssl', ['req', '-in', csrFile, '-noout', '-verify', '-text'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      assert.match(text, /Subject: OU = 87, x500UniqueIdentifier = #03090090B3D51F300C0001/);
      const types = execFileSync('openssl', ['req', '-in', csrFile, '-noout', '-subject', '-nameopt', 'show_type'], { encoding: 'latin1' });
      assert.match(types, /OU=UTF8STRING:87, x500UniqueIdentifier=BIT STRING:/);
      assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature/);
      assert.match(text, /ASN1 OID: prime256v1/);
      const parsed = parseCsr(readFileSync(csrFile));
      assert.deepEqual(parsed.requestedKeyUsage, ['digitalSignature']);
      const issued = await g.run(['cert', 'issue', '--csr', csrFile, '--profile', 'xml-sign', '--party', SRP, '--officer', g.aro, '--passphrase-file', g.pass, '--out', srpCert, '--json']);
      assert.equal(issued.code, 0, issued.stderr);
    });

    it('ds and ka take the OU from --role; SoLRContingency has none (exit 4)', async () => {
      const ds = await g.run(['csr', 'new', '--eui', SUPPLIER, '--profile', 'ds', '--role', 'IS', '--key-out', join(g.dir, 'sup-ds.key'), '--passphrase-file', keyPass, '--json']);
      assert.equal(ds.code, 0, ds.stderr);
      assert.equal(ds.json.ou, '02');
      assert.equal(parseCsr(ds.json.pem).subjectOu, '02');
      const ka = await g.run(['csr', 'new', '--eui', SUPPLIER, '--profile', 'ka', '--role', 'IS', '--key-out', join(g.dir, 'sup-ka.key'), '--passphrase-file', keyPass, '--json']);
      assert.deepEqual(parseCsr(ka.json.pem).requestedKeyUsage, ['keyAgreement']);
      const missing = await g.run(['csr', 'new', '--eui', SUPPLIER, '--profile', 'ds', '--key-out', join(g.dir, 'x1.key'), '--passphrase-file', keyPass]);
      assert.equal(missing.code, 4);
      assert.match(missing.stderr, /missing --role/);
      const sc = await g.run(['csr', 'new', '--eui', SRP, '--profile', 'ds', '--role', 'SC', '--key-out', join(g.dir, 'x2.key'), '--passphrase-file', keyPass]);
      assert.equal(sc.code, 4);
      assert.match(sc.stderr, /xml-sign only/);
      assert.equal(existsSync(join(g.dir, 'x2.key')), false);
    });

    it('never replaces a key file, refuses a passphrase under 12 characters, and makes a CSR for an existing key', async () => {
      const before = readFileSync(srpKey);
      const again = await g.run(['csr', 'new', '--eui', SRP, '--profile', 'xml-sign', '--key-out', srpKey, '--passphrase-file', keyPass]);
      assert.equal(again.code, 4);
      assert.match(again.stderr, /exists; smki never replaces a key file/);
      assert.ok(readFileSync(srpKey).equals(before));
      const short = join(g.dir, 'short-pass.txt');
      writeFileSync(short, 'short\n', { mode: 0o600 });
      const weak = await g.run(['csr', 'new', '--eui', SRP, '--profile', 'xml-sign', '--key-out', join(g.dir, 'weak.key'), '--passphrase-file', short]);
      assert.equal(weak.code, 4);
      assert.match(weak.stderr, /at least 12/);
      assert.equal(existsSync(join(g.dir, 'weak.key')), false);
      const existing = await g.run(['csr', 'new', '--eui', SRP, '--profile', 'xml-sign', '--key', srpKey, '--passphrase-file', keyPass, '--json']);
      assert.equal(existing.code, 0, existing.stderr);
      assert.equal(existing.json.keyCreated, false);
    });

    it('CSR_EUI_MISSING tells how to make a CSR that carries the User ID', async () => {
      const key = join(g.dir, 'plain.key');
      const csr = join(g.dir, 'no-eui.csr');
      execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
      execFileSync('openssl', ['req', '-new', '-key', key, '-subj', '/OU=87', '-out', csr]);
      const r = await g.run(['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer', g.aro, '--passphrase-file', g.pass]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /CSR_EUI_MISSING.*smki csr new --eui/);
      assert.match(r.stderr, /x500UniqueIdentifier=/);
    });
  });

  describe('sr new -> sr sign -> sr check', () => {
    it('a Credit request from the SRP, signed with its encrypted key, is accepted; then its Signed Pre-Command is too', async () => {
      const unsigned = join(g.dir, 'credit.xml');
      const made = await g.run(['sr', 'new', '--service', '1.6', '--target', ESME, '--credit', '--cert', srpCert, '--counter', '7001', '--out', unsigned, '--json']);
      assert.equal(made.code, 0, made.stderr);
      assert.equal(made.json.requestId, `90-B3-D5-1F-30-0C-00-01:00-DB-12-34-56-78-90-A0:7001`);
      const signedFile = join(g.dir, 'credit.signed.xml');
      const signed = await g.run(['sr', 'sign', unsigned, '--cert', srpCert, '--key', srpKey, '--passphrase-file', keyPass, '--out', signedFile]);
      assert.equal(signed.code, 0, signed.stderr);
      assert.doesNotMatch(signed.stderr, /warning/);
      const checked = await g.check([signedFile]);
      assert.equal(checked.code, 0, checked.stdout + checked.stderr);

      // DCC returns the Pre-Command for the accepted CV 4 request (same target and counter, from the
      // failed Supplier); the Supplier's key signs it; the SRP wraps and signs the CV 5 request.
      const pc = rewriteHeader(preCommand('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX'), { counter: 7001n, recipient: parseEui64(ESME), originator: parseEui64(SUPPLIER) });
      const pcFile = join(g.dir, 'precommand.hex');
      writeFileSync(pcFile, `${pc.toString('hex').toUpperCase()}\n`);
      const spcFile = join(g.dir, 'signed-precommand.hex');
      const gs = await g.run(['gbcs', 'sign', pcFile, '--key', SUPPLIER_DS_KEY, '--cert', SUPPLIER_DS_CERT, '--out', spcFile, '--json']);
      assert.equal(gs.code, 0, gs.stderr);
      assert.deepEqual(gs.json.warnings, []);
      assert.equal(gs.json.counter, '7001');
      const unsignedPc = join(g.dir, 'spc.xml');
      const wrapped = await g.run(['sr', 'new', '--pre-command', spcFile, '--from', SRP, '--out', unsignedPc, '--json']);
      assert.equal(wrapped.code, 0, wrapped.stderr);
      assert.equal(wrapped.json.commandVariant, 5);
      assert.equal(wrapped.json.counter, '7001');
      const signedPc = join(g.dir, 'spc.signed.xml');
      assert.equal((await g.run(['sr', 'sign', unsignedPc, '--cert', srpCert, '--key', srpKey, '--passphrase-file', keyPass, '--out', signedPc])).code, 0);
      const pcChecked = await g.check([signedPc]);
      assert.equal(pcChecked.code, 0, pcChecked.stdout + pcChecked.stderr);
    });

    it('a future-dated request carries its ExecutionDateTime; SR 2.5 has its own body', async () => {
      const r = await g.run(['sr', 'new', '--target', ESME, '--credit', '--from', SRP, '--execute-at', '2030-01-15T09:00:00Z', '--counter', '1']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /<sr:UpdatePaymentMode><sr:ExecutionDateTime>2030-01-15T09:00:00.000Z<\/sr:ExecutionDateTime><sr:Credit\/><\/sr:UpdatePaymentMode>/);
      const ec = await g.run(['sr', 'new', '--service', '2.5', '--target', ESME, '--from', SRP, '--counter', '2']);
      assert.match(ec.stdout, /<sr:ActivateEmergencyCredit\/>/);
      // What sr new writes is what the gate reads once signed.
      const parsed = parseDuisRequest(g.sign(r.stdout));
      assert.equal(parsed.request.body.kind, 'UpdatePaymentMode');
      assert.equal(parsed.request.requestId.counter, 1n);
    });

    it('says what is missing or inconsistent (exit 4)', async () => {
      const noCredit = await g.run(['sr', 'new', '--target', ESME, '--from', SRP]);
      assert.equal(noCredit.code, 4);
      assert.match(noCredit.stderr, /--credit/);
      const noFrom = await g.run(['sr', 'new', '--target', ESME, '--credit']);
      assert.equal(noFrom.code, 4);
      assert.match(noFrom.stderr, /--cert or --from/);
      const other = await g.run(['sr', 'new', '--service', '1.1.1', '--target', ESME, '--from', SRP]);
      assert.equal(other.code, 4);
      const pcFile = join(g.dir, 'unsigned-pc.hex');
      writeFileSync(pcFile, readFileSync(join(FIXTURES, 'gbcs', 'GCS02_1.6_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX')));
      const unsignedPc = await g.run(['sr', 'new', '--pre-command', pcFile, '--from', SRP]);
      assert.equal(unsignedPc.code, 4);
      assert.match(unsignedPc.stderr, /smki gbcs sign/);
      const spc = join(g.dir, 'spc2.hex');
      assert.equal((await g.run(['gbcs', 'sign', pcFile, '--key', SUPPLIER_DS_KEY, '--out', spc])).code, 0);
      const wrongCounter = await g.run(['sr', 'new', '--pre-command', spc, '--from', SRP, '--counter', '5']);
      assert.equal(wrongCounter.code, 4);
      assert.match(wrongCounter.stderr, /not the Signed Pre-Command's counter 1000/);
    });
  });

  describe('sr sign', () => {
    it('signs many files into --out-dir with a DER key; warns when the originator is not the certificate\'s User ID or the certificate is not xml-sign', async () => {
      const a = g.write('a.xml', (await g.run(['sr', 'new', '--target', ESME, '--credit', '--from', SRP, '--counter', '11'])).stdout);
      const b = g.write('b.xml', (await g.run(['sr', 'new', '--target', ESME, '--credit', '--from', SUPPLIER, '--counter', '12'])).stdout);
      const outDir = join(g.dir, 'signed-many');
      execFileSync('mkdir', ['-p', outDir]);
      const many = await g.run(['sr', 'sign', a, b, '--cert', SUPPLIER_DS_CERT, '--key', SUPPLIER_DS_KEY, '--out-dir', outDir, '--json']);
      assert.equal(many.code, 0, many.stderr);
      assert.equal(many.json.total, 2);
      assert.match(many.stderr, /warning: the certificate \S+ is not an XML-signing certificate/);
      assert.match(many.stderr, /a\.xml: the request's originator 90-B3-D5-1F-30-0C-00-01 is not the certificate's User ID 90-B3-D5-1F-30-01-00-00/);
      assert.doesNotMatch(many.stderr, /b\.xml: the request's originator/);
      assert.equal(many.json.items[1].warnings.length, 1);
      for (const f of [a, b]) assert.match(readFileSync(join(outDir, f.split('/').pop()!), 'utf8'), /<ds:SignatureValue>/);
    });

    it('several files need --out-dir; a bad file among them writes nothing (exit 4)', async () => {
      const a = g.write('c.xml', (await g.run(['sr', 'new', '--target', ESME, '--credit', '--from', SRP, '--counter', '13'])).stdout);
      const noDir = await g.run(['sr', 'sign', a, a, '--cert', srpCert, '--key', srpKey, '--passphrase-file', keyPass]);
      assert.equal(noDir.code, 4);
      assert.match(noDir.stderr, /--out-dir/);
      const outDir = join(g.dir, 'signed-none');
      execFileSync('mkdir', ['-p', outDir]);
      const bad = await g.run(['sr', 'sign', a, join(g.dir, 'missing.xml'), '--cert', srpCert, '--key', srpKey, '--passphrase-file', keyPass, '--out-dir', outDir]);
      assert.equal(bad.code, 4);
      assert.equal(existsSync(join(outDir, a.split('/').pop()!)), false);
    });
  });
});
