import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { certificateText, describeCertificate, opensslTime, type CertificateDescription } from '../../src/ca/certificate-text.js';
import { allFromPem } from '../../src/ca/pem.js';
import { issue, makeTestCa, orgTemplate, tempDir } from '../support/ca-chain.js';
import { textFields } from '../support/openssl-text.js';

function opensslText(der: Buffer): string {
  return execFileSync('openssl', ['x509', '-inform', 'DER', '-text', '-noout'], { input: der }).toString();
}

/** Every field openssl shows, as smki shows it; openssl's `<unsupported>` otherName is decoded by smki. */
function assertSameAsOpenssl(der: Buffer, what: string): CertificateDescription {
  const d = describeCertificate(der);
  const mine = textFields(certificateText(d).join('\n'));
  const theirs = textFields(opensslText(der));
  assert.deepEqual([...mine.keys()], [...theirs.keys()], `${what}: the same fields in the same order`);
  for (const [k, v] of theirs) {
    const m = mine.get(k)!;
    const unsupported = v.map((line) => line.replace(/(othername: [\d.]+::)<unsupported>/g, '$1'));
    assert.deepEqual(m.map((line) => line.replace(/(othername: [\d.]+::)[^,]*/g, '$1')), unsupported, `${what}: ${k}`);
  }
  return d;
}

const PUBLIC = join(process.cwd(), 'fixtures', 'public', 'smki-certs');
const DCC_TEST_PKI = join(process.cwd(), 'fixtures', 'dcc-test-pki');
const pemFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.pem')).map((f) => join(dir, f));

describe('ca: certificates decoded as openssl x509 -text shows them', function () {
  this.timeout(60_000);

  it('every real ZAZ1 certificate in fixtures/public and the DCC test PKI: field by field the same as openssl', () => {
    const files = [...pemFiles(PUBLIC), ...pemFiles(DCC_TEST_PKI)];
    assert.ok(files.length >= 15, `${files.length} files`);
    let n = 0;
    for (const f of files) {
      for (const der of allFromPem(readFileSync(f, 'utf8'), ['CERTIFICATE'], f)) {
        assertSameAsOpenssl(der, f);
        n++;
      }
    }
    assert.ok(n >= 16, `${n} certificates`);
  });

  it("certificates this CA issues (Root OCA, Issuing OCA, XML signing, Digital Signing, Key Agreement): the same as openssl", () => {
    const ca = makeTestCa();
    assertSameAsOpenssl(ca.root.der, 'Root OCA');
    const iss = assertSameAsOpenssl(ca.issuing.der, 'Issuing OCA');
    const bc = iss.extensions.find((e) => e.name === 'X509v3 Basic Constraints')!;
    assert.deepEqual([bc.critical, bc.value], [true, { ca: true, pathLength: 0 }]);
    for (const [ou, keyUsage] of [['87', 'digitalSignature'], ['02', 'digitalSignature'], ['02', 'keyAgreement']] as const) {
      const d = assertSameAsOpenssl(issue(ca, orgTemplate(ca, { subject: { ou, eui: '90B3D51F300C0001' as never }, keyUsage })), `OU ${ou} ${keyUsage}`);
      assert.deepEqual(d.extensions.find((e) => e.name === 'X509v3 Key Usage')!.value, { keyUsage: [keyUsage] });
      assert.deepEqual(d.subject.entries.map((e) => [e.type, e.entityId ?? e.value]), [['OU', ou], ['x500UniqueIdentifier', '90B3D51F300C0001']]);
    }
  });

  it('a certificate with every extension it decodes (EKU, SAN with hardwareModuleName, AKI with issuer and serial, CPS qualifier, a small serial)', () => {
    const t = tempDir();
    try {
      writeFileSync(join(t.dir, 'ext.cnf'), [
        '[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', 'CN = Synthetic, Ltd', 'OU = 02',
        '[ext]', 'basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature, keyAgreement',
        'extendedKeyUsage = serverAuth, clientAuth, 1.2.3.4.5', 'subjectAltName = @alt',
        'certificatePolicies = 1.2.826.0.1.1800000.1.2.1.4, @pol', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid:always, issuer:always',
        '[alt]', 'DNS.1 = meter.example', 'email.1 = ops@example.org', 'IP.1 = 10.0.0.1', 'IP.2 = 2001:db8::1', 'URI.1 = http://example.org/x',
        'otherName.1 = 1.3.6.1.5.5.7.8.4;SEQUENCE:hmn',
        '[hmn]', 'type = OID:1.2.826.0.1.1800000.1.1', 'serial = FORMAT:HEX,OCTETSTRING:0011223344556677',
        '[pol]', 'policyIdentifier = 1.2.826.0.1.8641679.1.2.1.4', 'CPS.1 = http://example.org/cps', '',
      ].join('\n'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(t.dir, 'k.pem'), '-out', join(t.dir, 'c.der'),
        '-outform', 'DER', '-config', join(t.dir, 'ext.cnf'), '-extensions', 'ext', '-set_serial', '4660', '-days', '30'], { stdio: 'pipe' });
      const der = readFileSync(join(t.dir, 'c.der'));
      const d = assertSameAsOpenssl(der, 'synthetic');
      assert.match(certificateText(d).join('\n'), /\n {8}Serial Number: 4660 \(0x1234\)\n/);
      const ext = (name: string) => d.extensions.find((e) => e.name === name)!.value;
      assert.deepEqual(ext('X509v3 Extended Key Usage'), { extendedKeyUsage: [
        { oid: '1.3.6.1.5.5.7.3.1', name: 'TLS Web Server Authentication' }, { oid: '1.3.6.1.5.5.7.3.2', name: 'TLS Web Client Authentication' }, { oid: '1.2.3.4.5', name: null }] });
      assert.deepEqual(ext('X509v3 Subject Alternative Name'), { names: [
        { type: 'dns', value: 'meter.example' }, { type: 'email', value: 'ops@example.org' }, { type: 'ip', value: '10.0.0.1' }, { type: 'ip', value: '2001:DB8:0:0:0:0:0:1' },
        { type: 'uri', value: 'http://example.org/x' },
        { type: 'otherName', oid: '1.3.6.1.5.5.7.8.4', value: '3016060A2A863A0001EDEE40010104080011223344556677', hardwareModule: { type: '1.2.826.0.1.1800000.1.1', serial: '0011223344556677' } }] });
      assert.deepEqual(ext('X509v3 Certificate Policies'), { policies: [
        { oid: '1.2.826.0.1.1800000.1.2.1.4', name: 'SMKI Device Certificate Policy (RTDS test PKI)', qualifiers: [] },
        { oid: '1.2.826.0.1.8641679.1.2.1.4', name: 'SMKI Organisation Certificate Policy (ZAZ1 test PKI)', qualifiers: ['CPS: http://example.org/cps'] }] });
      assert.deepEqual(ext('X509v3 Basic Constraints'), { ca: false, pathLength: null });
      const aki = ext('X509v3 Authority Key Identifier') as { authorityCertIssuer: string[]; authorityCertSerialNumber: string };
      assert.deepEqual([aki.authorityCertIssuer, aki.authorityCertSerialNumber], [['DirName:/CN=Synthetic, Ltd/OU=02'], '1234']);

      // @peculiar/x509 as an oracle for the decoded values.
      const p = new x509.X509Certificate(der);
      assert.equal(d.serialNumber, p.serialNumber.toUpperCase().replace(/^0+/, ''));
      assert.equal(d.subject.entries[0]!.value, 'Synthetic, Ltd');
      const ski = p.getExtension(x509.SubjectKeyIdentifierExtension)!;
      assert.equal((ext('X509v3 Subject Key Identifier') as { keyIdentifier: string }).keyIdentifier, ski.keyId.toUpperCase());
      const ku = p.getExtension(x509.KeyUsagesExtension)!;
      assert.equal(ku.usages, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement);
      const eku = p.getExtension(x509.ExtendedKeyUsageExtension)!;
      assert.deepEqual([...eku.usages], (ext('X509v3 Extended Key Usage') as { extendedKeyUsage: { oid: string }[] }).extendedKeyUsage.map((u) => u.oid));
      const san = p.getExtension(x509.SubjectAlternativeNameExtension)!;
      assert.deepEqual(san.names.items.filter((n) => n.type === 'dns' || n.type === 'email' || n.type === 'url').map((n) => n.value), ['meter.example', 'ops@example.org', 'http://example.org/x']);
      assert.deepEqual([...p.getExtension(x509.CertificatePolicyExtension)!.policies], ['1.2.826.0.1.1800000.1.2.1.4', '1.2.826.0.1.8641679.1.2.1.4']);
      assert.equal(d.validity.notAfter, p.notAfter.toISOString());
    } finally {
      t.cleanup();
    }
  });

  it('names with characters openssl quotes or escapes (a space first, a double quote, a comma, UTF-8) read the same', () => {
    const t = tempDir();
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(t.dir, 'k.pem'), '-out', join(t.dir, 'c.der'),
        '-outform', 'DER', '-utf8', '-subj', '/CN= lead/O=say "hi"/OU=café, bar/L=#1/ST=end ', '-days', '1'], { stdio: 'pipe' });
      const d = assertSameAsOpenssl(readFileSync(join(t.dir, 'c.der')), 'quoted names');
      assert.equal(d.subject.text, 'CN = " lead", O = say \\"hi\\", OU = "caf\\C3\\A9, bar", L = "#1", ST = "end "');
      assert.deepEqual(d.subject.entries.map((e) => e.value), [' lead', 'say "hi"', 'café, bar', '#1', 'end ']);
    } finally {
      t.cleanup();
    }
  });

  it('times are written as openssl writes them, and a damaged certificate is a DerError, not a wrong text', () => {
    assert.equal(opensslTime(new Date('2118-01-01T00:00:00Z')), 'Jan  1 00:00:00 2118 GMT');
    assert.equal(opensslTime(new Date('2026-12-22T09:05:07Z')), 'Dec 22 09:05:07 2026 GMT');
    const der = allFromPem(readFileSync(join(PUBLIC, 'Z1-supplier-ds.pem'), 'utf8'), ['CERTIFICATE'], 'x')[0]!;
    assert.throws(() => describeCertificate(der.subarray(0, der.length - 3)), { name: 'DerError' });
    // An extension value smki cannot decode is shown as its hex, never dropped.
    const broken = Buffer.from(der);
    const at = broken.indexOf(Buffer.from('0603551d0f', 'hex')); // keyUsage OID
    broken[at + 5 + 3 + 2] = 0x04; // its BIT STRING tag becomes an OCTET STRING
    const d = describeCertificate(broken);
    assert.deepEqual(d.extensions.find((e) => e.oid === '2.5.29.15')!.value, { der: '04020780' });
  });
});
