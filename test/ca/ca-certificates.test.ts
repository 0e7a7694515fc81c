import { strict as assert } from 'node:assert';
import { verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OID, TAG, decodeName, decodeSigned, decodeTbs } from '../../src/ca/asn1.js';
import { buildCaTbs, caNameDer, encodeName, readCaCertificate } from '../../src/ca/ca-certificates.js';
import { readOrganisationCertificate, subjectKeyIdentifier } from '../../src/ca/organisation-certificate.js';
import { certificateToPem } from '../../src/ca/pem.js';
import { InputError } from '../../src/domain/errors.js';
import { POLICY_OID, issue, makeTestCa, openssl, opensslAvailable, orgTemplate, tempDir } from '../support/ca-chain.js';

const DIR = fileURLToPath(new URL('../../fixtures/public/smki-certs/', import.meta.url));

describe('ca/ca-certificates', () => {
  const ca = makeTestCa('SMKI-CA');
  const extensionsOf = (der: Buffer) => decodeTbs(decodeSigned(der, 'Certificate').tbs).extensions!;

  it('Root OCA: self-signed, subject OU=00 then CN (UTF8String), CA:TRUE critical, keyCertSign|cRLSign critical', () => {
    const tbs = decodeTbs(decodeSigned(ca.root.der, 'Certificate').tbs);
    assert.deepEqual(tbs.issuer, tbs.subject);
    const rdns = decodeName(tbs.subject);
    assert.deepEqual(
      rdns.map((r) => r.map((a) => [a.oid, a.tag, a.value.toString()])),
      [[[OID.organizationalUnitName, TAG.UTF8_STRING, '00']], [[OID.commonName, TAG.UTF8_STRING, 'SMKI-CA-ROOT']]],
    );
    const exts = extensionsOf(ca.root.der);
    assert.deepEqual(
      exts.map((e) => [e.oid, e.critical]),
      [
        [OID.basicConstraints, true],
        [OID.keyUsage, true],
        [OID.subjectKeyIdentifier, false],
        [OID.authorityKeyIdentifier, false],
      ],
    );
    assert.equal(exts[0]!.value.toString('hex'), '30030101ff'); // cA TRUE, no pathLen
    assert.equal(exts[1]!.value.toString('hex'), '03020106'); // keyCertSign | cRLSign
    const info = readCaCertificate(ca.root.der);
    assert.deepEqual(info.ski, subjectKeyIdentifier(ca.root.spkiDer));
    assert.deepEqual(info.aki, info.ski);
    assert.equal(info.pathLen, undefined);
    assert.deepEqual(info.keyUsage, ['keyCertSign', 'cRLSign']);
    assert.equal(info.subjectText, 'CN=SMKI-CA-ROOT,OU=00');
    const signed = decodeSigned(ca.root.der, 'Certificate');
    assert.ok(verify('sha256', signed.tbs, info.publicKey, signed.signature));
  });

  it('Issuing OCA: OU=07 then CN, pathLen 0, AKI = Root SKI, non-critical certificatePolicies', () => {
    const info = readCaCertificate(certificateToPem(ca.issuing.der));
    assert.deepEqual(info.subjectNameDer, ca.issuing.nameDer);
    assert.deepEqual(info.issuerNameDer, ca.root.nameDer);
    assert.equal(info.subjectText, 'CN=SMKI-CA,OU=07');
    assert.equal(info.issuerText, 'CN=SMKI-CA-ROOT,OU=00');
    assert.equal(info.pathLen, 0);
    assert.deepEqual(info.ski, ca.issuing.keyId);
    assert.deepEqual(info.aki, subjectKeyIdentifier(ca.root.spkiDer));
    const cp = extensionsOf(ca.issuing.der).find((e) => e.oid === OID.certificatePolicies)!;
    assert.equal(cp.critical, false);
    assert.ok(cp.value.toString('hex').includes('060d2a863a000184' + '8fb90f01020104'));
    const root = readCaCertificate(ca.root.der);
    const signed = decodeSigned(ca.issuing.der, 'Certificate');
    assert.ok(verify('sha256', signed.tbs, root.publicKey, signed.signature));
  });

  it('the Issuing OCA name has the exact shape of the ZAZ1 issuer OU=07, CN=Z1 (UTF8String)', () => {
    const xml = readOrganisationCertificate(readFileSync(`${DIR}xml-sign-90B3D51F30010000-ds.pem`, 'utf8'));
    assert.deepEqual(caNameDer({ commonName: 'Z1', ou: '07' }), xml.issuerNameDer);
  });

  it('encodeName keeps the order, one attribute per RDN, PrintableString for C', () => {
    const der = encodeName([
      { type: 'C', value: 'GB' },
      { type: 'O', value: 'Test' },
      { type: '2.5.4.97', value: 'X' },
    ]);
    const rdns = decodeName(der);
    assert.deepEqual(rdns.map((r) => [r.length, r[0]!.oid, r[0]!.tag]), [
      [1, OID.countryName, TAG.PRINTABLE_STRING],
      [1, OID.organizationName, TAG.UTF8_STRING],
      [1, '2.5.4.97', TAG.UTF8_STRING],
    ]);
  });

  it('refuses inconsistent templates and names', () => {
    const base = { serial: Buffer.alloc(16, 1), subject: { commonName: 'X', ou: '07' as const }, spkiDer: ca.issuing.spkiDer, notBefore: new Date(), notAfter: new Date(Date.now() + 1e10) };
    assert.throws(() => buildCaTbs({ ...base, issuerNameDer: ca.root.nameDer }), RangeError);
    assert.throws(() => buildCaTbs({ ...base, pathLen: -1 }), RangeError);
    assert.throws(() => caNameDer({ commonName: '', ou: '00' }), InputError);
    assert.throws(() => caNameDer({ commonName: ' padded ', ou: '00' }), InputError);
  });

  it('readCaCertificate refuses an Organisation Certificate with a one-line InputError', () => {
    assert.throws(
      () => readCaCertificate(issue(ca, orgTemplate(ca))),
      (e: Error) => e instanceof InputError && /not a CA certificate/.test(e.message) && !e.message.includes('\n'),
    );
  });

  it('openssl accepts the chain, also with -x509_strict and an explicit policy', function () {
    if (!opensslAvailable()) this.skip();
    const tmp = tempDir();
    try {
      const root = tmp.write('root.pem', certificateToPem(ca.root.der));
      const issuing = tmp.write('issuing.pem', certificateToPem(ca.issuing.der));
      const leaf = tmp.write('leaf.pem', certificateToPem(issue(ca, orgTemplate(ca))));
      for (const [args, file] of [
        [['-CAfile', root], root],
        [['-CAfile', root], issuing],
        [['-CAfile', root, '-untrusted', issuing], leaf],
        [['-x509_strict', '-CAfile', root, '-untrusted', issuing], leaf],
        [['-policy', POLICY_OID, '-explicit_policy', '-CAfile', root, '-untrusted', issuing], leaf],
      ] as [string[], string][]) {
        const r = openssl(['verify', ...args, file]);
        assert.equal(r.status, 0, `${args.join(' ')} ${file}: ${r.out}`);
      }
      const text = openssl(['x509', '-in', issuing, '-noout', '-text']).out;
      assert.match(text, /CA:TRUE, pathlen:0/);
      assert.match(text, /Certificate Sign, CRL Sign/);
      assert.match(text, /Subject: OU = 07, CN = SMKI-CA/);
    } finally {
      tmp.cleanup();
    }
  });
});
