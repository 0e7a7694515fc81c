import { strict as assert } from 'node:assert';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleCertificate, buildOrganisationTbs, encodeOrganisationSubject, readCaCertificate } from '../../src/ca/organisation-certificate.js';
import { certificateToPem } from '../../src/ca/pem.js';
import type { Eui64 } from '../../src/domain/eui.js';
import { decideRegistration, profileOfCertificate } from '../../src/ra/registration-policy.js';
import { loadCatalogue } from '../../src/config/catalogue.js';
import { issue, makeTestCa, orgTemplate } from '../support/ca-chain.js';
import { smki } from '../support/cli.js';
import { DCC_TEST_PKI } from '../support/dcc-test-pki.js';
import { registryDigest, setupScenario, SRP, SUPPLIER, type Scenario } from '../support/scenario.js';
import { actAs } from '../support/keys.js';

const ZAZ1_SUPPLIER_DS = join(process.cwd(), 'fixtures/public/smki-certs/Z1-supplier-ds.pem');

describe('ra/external-certificates: ca trust and vetted cert register', () => {
  let s: Scenario;
  const savedOperator = process.env.SMKI_OPERATOR;
  const other = makeTestCa('OTHERCA');
  const pem = (der: Buffer) => certificateToPem(der);
  const file = (name: string, text: string) => {
    const p = join(s.dir, name);
    writeFileSync(p, text);
    return p;
  };
  const certFor = (eui: string, ou: string, keyUsage: 'digitalSignature' | 'keyAgreement' = 'digitalSignature') =>
    file(`${eui}-${ou}-${keyUsage}.pem`, pem(issue(other, orgTemplate(other, { subject: { ou, eui: eui as Eui64 }, keyUsage }))));
  const codes = (r: { json: { reasons?: { code: string }[] } }) => (r.json?.reasons ?? []).map((x) => x.code);

  before(async () => {
    delete process.env.SMKI_OPERATOR;
    s = await setupScenario();
  });
  after(() => {
    if (savedOperator !== undefined) process.env.SMKI_OPERATOR = savedOperator;
    s.cleanup();
  });

  it('ca trust refuses a chain without an operator, and broken chains, leaving the registry unchanged', async () => {
    const before = registryDigest(s.home);
    const chain = join(DCC_TEST_PKI, 'chain.pem');
    // No acting operator's key (--as): an error naming the flag (was OPERATOR_REQUIRED for a missing --operator name).
    const noOperator = await smki(['--home', s.home, 'ca', 'trust', '--file', chain, '--json']);
    assert.equal(noOperator.code, 4, noOperator.stderr);
    assert.match(noOperator.stderr, /missing --as/);
    // A leaf is not a CA certificate; an Issuing OCA with another CA's Root does not chain; no root.
    const broken = [
      file('leaf.pem', pem(issue(other, orgTemplate(other)))),
      file('mixed.pem', pem(other.issuing.der) + pem(makeTestCa('THIRD').root.der)),
      file('no-root.pem', pem(other.issuing.der)),
      file('empty.pem', ''),
    ];
    for (const f of broken) {
      const r = await s.run(['ca', 'trust', '--file', f, ...actAs('ra1')]);
      assert.equal(r.code, 4, `${f}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.equal(registryDigest(s.home), before);
  });

  it('ca trust records the chain (either order) with an audit record; again, it keeps what is trusted', async () => {
    const r = await s.run(['ca', 'trust', '--file', join(DCC_TEST_PKI, 'chain.pem'), ...actAs('ra1'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.anchors.map((a: { kind: string; state: string }) => `${a.kind}:${a.state}`), ['intermediate:added', 'root:added']);
    const rootFirst = file('other-root-first.pem', pem(other.root.der) + pem(other.issuing.der));
    assert.equal((await s.run(['ca', 'trust', '--file', rootFirst, ...actAs('ra1')])).code, 0);
    const before = registryDigest(s.home);
    const again = await s.run(['ca', 'trust', '--file', join(DCC_TEST_PKI, 'chain.pem'), ...actAs('ra1'), '--json']);
    assert.deepEqual(again.json.anchors.map((a: { state: string }) => a.state), ['already trusted', 'already trusted']);
    assert.equal(registryDigest(s.home), before);
    const list = await s.run(['ca', 'anchors', '--json']);
    assert.equal(list.json.items.length, 4);
    const audit = await s.run(['audit', 'verify', '--json']);
    assert.equal(audit.code, 0, audit.stderr);
  });

  it('cert register refuses, registry unchanged: DS or KA for SoLRContingency, no anchor, a forged issuer, a wrong OU, no operator', async () => {
    const before = registryDigest(s.home);
    // A "Supplier DS certificate" that names itself as issuer and is signed by its own key.
    const selfSigned = (() => {
      const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const subject = { commonName: 'Supplier DS', ou: '02', eui: SUPPLIER as Eui64 };
      const t = orgTemplate(other, { subject, spkiDer: keys.publicKey.export({ format: 'der', type: 'spki' }), issuerNameDer: encodeOrganisationSubject(subject) });
      const tbs = buildOrganisationTbs(t);
      return file('self-signed.pem', pem(assembleCertificate(tbs, sign('sha256', tbs, keys.privateKey))));
    })();
    // Names Z1T, DCC's (stand-in) Issuing OCA, as issuer with its key identifier, but another key signed it.
    const forged = (() => {
      const z1t = readCaCertificate(readFileSync(join(DCC_TEST_PKI, 'chain.pem')));
      const tbs = buildOrganisationTbs(orgTemplate(other, { subject: { ou: '02', eui: SUPPLIER as Eui64 }, issuerNameDer: z1t.subjectNameDer, authorityKeyId: z1t.ski }));
      return file('forged.pem', pem(assembleCertificate(tbs, sign('sha256', tbs, other.issuing.key))));
    })();
    const cases: [string[], string[]][] = [
      [['--file', certFor(SRP, '02'), '--party', SRP, ...actAs('ra1')], ['SOLR_CONTINGENCY_XML_SIGN_ONLY', 'ROLE_PROFILE_FORBIDDEN']],
      [['--file', certFor(SRP, '02', 'keyAgreement'), '--party', SRP, ...actAs('ra1')], ['SOLR_CONTINGENCY_XML_SIGN_ONLY', 'ROLE_PROFILE_FORBIDDEN']],
      [['--file', certFor(SRP, '87', 'keyAgreement'), '--party', SRP, ...actAs('ra1')], ['SOLR_CONTINGENCY_XML_SIGN_ONLY', 'CERT_PROFILE_MISMATCH']],
      [['--file', selfSigned, '--party', SUPPLIER, ...actAs('ra1')], ['CERT_NOT_CHAINED']],
      [['--file', forged, '--party', SUPPLIER, ...actAs('ra1')], ['CERT_NOT_CHAINED']],
      [['--file', ZAZ1_SUPPLIER_DS, '--party', SUPPLIER, ...actAs('ra1')], ['CERT_NOT_CHAINED']],
      [['--file', certFor(SUPPLIER, '03'), '--party', SUPPLIER, ...actAs('ra1')], ['CERT_PROFILE_MISMATCH']],
    ];
    const noOperator = await smki(['--home', s.home, 'cert', 'register', '--file', join(DCC_TEST_PKI, 'supplier-ds.pem'), '--party', SUPPLIER]);
    assert.equal(noOperator.code, 4, noOperator.stderr);
    assert.match(noOperator.stderr, /missing --as/);
    for (const [args, want] of cases) {
      const r = await s.run(['cert', 'register', ...args, '--json']);
      assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
      assert.deepEqual(codes(r).sort(), [...want].sort(), `${args[1]}: ${r.stdout}`);
    }
    assert.equal(registryDigest(s.home), before);
  });

  it('cert register records a certificate that chains to an anchor and fits the role, audited with its anchor and operator', async () => {
    const r = await s.run(['cert', 'register', '--file', join(DCC_TEST_PKI, 'supplier-ds.pem'), '--party', SUPPLIER, ...actAs('ra1'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.source, 'registered');
    assert.equal(r.json.profile, 'ds');
    const xml = await s.run(['cert', 'register', '--file', certFor(SRP, '87'), '--party', SRP, ...actAs('ra1'), '--json']);
    assert.equal(xml.code, 0, xml.stderr);
    assert.equal(xml.json.profile, 'xml-sign');
    const audit = await s.run(['audit', 'verify', '--json']);
    assert.equal(audit.code, 0, audit.stderr);
  });

  it('decideRegistration is pure over its facts', () => {
    const catalogue = loadCatalogue();
    const is = catalogue.roles.get('IS')!;
    const sc = catalogue.roles.get('SC')!;
    const ok = { role: is, remotePartyRole: 0x02, keyUsage: 'digitalSignature', chainProblem: undefined, operator: 'ra1' };
    assert.deepEqual(decideRegistration(ok), []);
    assert.deepEqual(decideRegistration({ ...ok, keyUsage: 'keyAgreement' }), []);
    assert.deepEqual(decideRegistration({ ...ok, role: sc, remotePartyRole: 0x87 }), []);
    assert.deepEqual(decideRegistration({ ...ok, operator: undefined }).map((x) => x.code), ['OPERATOR_REQUIRED']);
    assert.deepEqual(decideRegistration({ ...ok, chainProblem: 'x' }).map((x) => x.code), ['CERT_NOT_CHAINED']);
    assert.deepEqual(decideRegistration({ ...ok, role: sc }).map((x) => x.code), ['SOLR_CONTINGENCY_XML_SIGN_ONLY', 'ROLE_PROFILE_FORBIDDEN']);
    // Configuration that opens SoLRContingency to ds does not open registration either.
    const opened = { ...sc, profiles: ['xml-sign', 'ds', 'ka'] as typeof sc.profiles, remotePartyRole: '02' };
    assert.deepEqual(decideRegistration({ ...ok, role: opened }).map((x) => x.code), ['SOLR_CONTINGENCY_XML_SIGN_ONLY']);
    assert.deepEqual(decideRegistration({ ...ok, keyUsage: 'keyCertSign' }).map((x) => x.code), ['CERT_PROFILE_MISMATCH']);
    assert.equal(profileOfCertificate(0x87, 'keyAgreement'), undefined);
    assert.equal(profileOfCertificate(0x02, 'keyAgreement'), 'ka');
  });
});
