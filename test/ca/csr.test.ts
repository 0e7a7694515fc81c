import { strict as assert } from 'node:assert';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import { NULL, OID, bitString, children, oid, readWhole, sequence, whole } from '../../src/ca/asn1.js';
import { checkCsr, parseCsr, type ParsedCsr } from '../../src/ca/csr.js';
import { certificateToPem, toPem } from '../../src/ca/pem.js';
import { InputError } from '../../src/domain/errors.js';
import type { ReasonCode } from '../../src/domain/reasons.js';
import { makeCsr } from '../support/csr.js';
import { makeTestCa, openssl, opensslAvailable, tempDir } from '../support/ca-chain.js';

const codes = (csr: ParsedCsr): ReasonCode[] => checkCsr(csr).map((r) => r.code);
const isOneLineInputError = (e: unknown): boolean => e instanceof InputError && !e.message.includes('\n') && e.message.startsWith('CSR:');

/** Re-signs a CSR after `edit` changed its CertificationRequestInfo parts (version, subject, spki, attributes). */
function rebuild(der: Buffer, edit: (parts: Buffer[]) => void, signWith?: Parameters<typeof sign>[2], alg?: Buffer): Buffer {
  const top = children(der, readWhole(der, 'csr'));
  const info = whole(der, top[0]!);
  const parts = children(info, readWhole(info, 'info')).map((t) => whole(info, t));
  edit(parts);
  const newInfo = sequence(...parts);
  const sig = signWith ? sign('sha256', newInfo, signWith) : whole(der, top[2]!).subarray(3);
  return sequence(newInfo, alg ?? whole(der, top[1]!), bitString(sig));
}

describe('ca/csr', () => {
  describe('parses', () => {
    it('a PEM and a DER CSR made with Node (EUI as BIT STRING, the SMKI form)', async () => {
      const made = await makeCsr({ eui: '90-b3-d5-1f-30-01-00-00', ou: '87', commonName: 'SRP LTD' });
      for (const input of [made.pem, Buffer.from(made.pem), made.der, made.der.toString('base64')]) {
        const csr = parseCsr(input);
        assert.equal(csr.subjectEui, '90B3D51F30010000');
        assert.equal(csr.subjectOu, '87');
        assert.equal(csr.subjectCommonName, 'SRP LTD');
        assert.equal(csr.signatureAlgorithmOid, OID.ecdsaWithSha256);
        assert.deepEqual(csr.keyAlgorithm, { oid: OID.ecPublicKey, curveOid: OID.prime256v1 });
        assert.deepEqual(csr.spkiDer, made.publicKey.export({ format: 'der', type: 'spki' }));
        assert.equal(csr.publicKey!.asymmetricKeyDetails!.namedCurve, 'prime256v1');
        assert.equal(csr.subjectText, '2.5.4.45=#03090090B3D51F30010000,OU=87,CN=SRP LTD');
        assert.deepEqual(codes(csr), []);
      }
    });

    it('a CSR with the EUI as UTF8String text (OpenSSL style)', async () => {
      const made = await makeCsr({ eui: '00DB123456780004', euiAs: 'utf8' });
      const csr = parseCsr(made.pem);
      assert.equal(csr.subjectEui, '00DB123456780004');
      assert.equal(csr.subjectCommonName, undefined);
      assert.deepEqual(codes(csr), []);
    });

    it('a CSR made with @peculiar/x509 on Node webcrypto', async () => {
      x509.cryptoProvider.set(globalThis.crypto);
      const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
      const keys = await globalThis.crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
      const req = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=PECULIAR, OU=87, 2.5.4.45=#03090090B3D51F30020000', keys, signingAlgorithm: alg });
      const csr = parseCsr(req.toString('pem'));
      assert.equal(csr.subjectEui, '90B3D51F30020000');
      assert.equal(csr.subjectOu, '87');
      assert.equal(csr.subjectCommonName, 'PECULIAR');
      assert.deepEqual(codes(csr), []);
      assert.deepEqual(codes(parseCsr(Buffer.from(req.rawData))), []);
    });

    it('CSRs made with openssl req, EUI as text (plain and dashed), PEM and DER', function () {
      if (!opensslAvailable()) this.skip();
      const tmp = tempDir();
      try {
        for (const [subj, form] of [
          ['/CN=OPENSSL SRP/OU=87/x500UniqueIdentifier=90B3D51F30010000', 'PEM'],
          ['/OU=87/x500UniqueIdentifier=90-B3-D5-1F-30-01-00-00', 'DER'],
        ] as const) {
          const out = `${tmp.dir}/req.${form}`;
          const r = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${tmp.dir}/k.pem`, '-subj', subj, '-outform', form, '-out', out]);
          assert.equal(r.status, 0, r.out);
          const csr = parseCsr(readFileSync(out));
          assert.equal(csr.subjectEui, '90B3D51F30010000', subj);
          assert.equal(csr.subjectOu, '87');
          assert.deepEqual(codes(csr), [], subj);
        }
      } finally {
        tmp.cleanup();
      }
    });

    it("an openssl CSR's requested Key Usage (extensionRequest) is read; none requested stays undefined", function () {
      if (!opensslAvailable()) this.skip();
      const tmp = tempDir();
      try {
        const key = `${tmp.dir}/k.pem`;
        assert.equal(openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]).status, 0);
        const req = (extra: string[]): ParsedCsr => {
          const out = `${tmp.dir}/r.csr`;
          const r = openssl(['req', '-new', '-key', key, '-subj', '/OU=87/x500UniqueIdentifier=90B3D51F300C0001', ...extra, '-out', out]);
          assert.equal(r.status, 0, r.out);
          return parseCsr(readFileSync(out));
        };
        const ka = req(['-addext', 'keyUsage=critical,keyAgreement']);
        assert.deepEqual(ka.requestedKeyUsage, ['keyAgreement']);
        assert.equal(ka.subjectOu, '87');
        assert.deepEqual(req(['-addext', 'keyUsage=digitalSignature,nonRepudiation']).requestedKeyUsage, ['digitalSignature', 'nonRepudiation']);
        assert.equal(req(['-addext', 'basicConstraints=CA:FALSE']).requestedKeyUsage, undefined);
        assert.equal(req([]).requestedKeyUsage, undefined);
      } finally {
        tmp.cleanup();
      }
    });

    it('a CSR without x500UniqueIdentifier: subjectEui undefined (the RA says CSR_EUI_MISSING)', async () => {
      const made = await makeCsr({ eui: '90B3D51F30010000' });
      const noEui = rebuild(made.der, (p) => (p[1] = sequence()), made.privateKey);
      const csr = parseCsr(noEui);
      assert.equal(csr.subjectEui, undefined);
      assert.equal(csr.subjectOu, undefined);
      assert.deepEqual(codes(csr), []);
    });
  });

  describe('checkCsr', () => {
    it('P-384 gives CSR_KEY_NOT_P256 (its own signature still verifies)', async () => {
      const csr = parseCsr((await makeCsr({ eui: '90B3D51F30010000', curve: 'P-384' })).pem);
      assert.deepEqual(csr.keyAlgorithm, { oid: OID.ecPublicKey, curveOid: OID.secp384r1 });
      assert.deepEqual(codes(csr), ['CSR_SIGNATURE_ALGORITHM', 'CSR_KEY_NOT_P256']);
    });

    it('RSA gives CSR_KEY_NOT_P256', async () => {
      const csr = parseCsr((await makeCsr({ eui: '90B3D51F30010000', curve: 'rsa' })).der);
      assert.deepEqual(csr.keyAlgorithm, { oid: OID.rsaEncryption });
      assert.deepEqual(codes(csr), ['CSR_SIGNATURE_ALGORITHM', 'CSR_KEY_NOT_P256']);
    });

    it('openssl P-384 (SHA-256) and RSA CSRs give CSR_KEY_NOT_P256', function () {
      if (!opensslAvailable()) this.skip();
      const tmp = tempDir();
      try {
        for (const keyArgs of [['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1'], ['-newkey', 'rsa:2048']]) {
          const out = `${tmp.dir}/req.pem`;
          const r = openssl(['req', '-new', ...keyArgs, '-sha256', '-nodes', '-keyout', `${tmp.dir}/k.pem`, '-subj', '/OU=87/x500UniqueIdentifier=90B3D51F30010000', '-out', out]);
          assert.equal(r.status, 0, r.out);
          const csr = parseCsr(readFileSync(out, 'utf8'));
          assert.deepEqual(codes(csr), csr.keyAlgorithm.oid === OID.ecPublicKey ? ['CSR_KEY_NOT_P256'] : ['CSR_SIGNATURE_ALGORITHM', 'CSR_KEY_NOT_P256']);
        }
      } finally {
        tmp.cleanup();
      }
    });

    it('a tampered CSR gives CSR_SIGNATURE_INVALID (subject changed, or signature changed)', async () => {
      const made = await makeCsr({ eui: '90B3D51F30010000', ou: '87' });
      const subjectChanged = Buffer.from(made.der);
      const at = subjectChanged.indexOf(Buffer.from('0c023837', 'hex')); // UTF8String '87'
      subjectChanged[at + 3] = 0x38; // '88'
      assert.deepEqual(codes(parseCsr(subjectChanged)), ['CSR_SIGNATURE_INVALID']);
      const sigChanged = Buffer.from(made.der);
      sigChanged[sigChanged.length - 1]! ^= 0x01;
      assert.deepEqual(codes(parseCsr(sigChanged)), ['CSR_SIGNATURE_INVALID']);
      // Signed by another key: no proof of possession.
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      assert.deepEqual(codes(parseCsr(rebuild(made.der, () => {}, other))), ['CSR_SIGNATURE_INVALID']);
    });

    it('ecdsa-with-SHA256 with NULL parameters gives CSR_SIGNATURE_ALGORITHM', async () => {
      const made = await makeCsr({ eui: '90B3D51F30010000' });
      const der = rebuild(made.der, () => {}, made.privateKey, sequence(oid(OID.ecdsaWithSha256), NULL));
      assert.deepEqual(codes(parseCsr(der)), ['CSR_SIGNATURE_ALGORITHM']);
    });

    it('a point off the curve, or compressed, gives CSR_KEY_INVALID_POINT', async () => {
      const made = await makeCsr({ eui: '90B3D51F30010000' });
      const spki = made.publicKey.export({ format: 'der', type: 'spki' });
      const off = Buffer.from(spki);
      off[off.length - 1]! ^= 0x01;
      const offCsr = parseCsr(rebuild(made.der, (p) => (p[2] = off), made.privateKey));
      assert.equal(offCsr.publicKey, undefined);
      assert.deepEqual(codes(offCsr), ['CSR_KEY_INVALID_POINT']);
      const jwk = made.publicKey.export({ format: 'jwk' });
      const x = Buffer.from(jwk.x!, 'base64url');
      const y = Buffer.from(jwk.y!, 'base64url');
      const compressed = sequence(sequence(oid(OID.ecPublicKey), oid(OID.prime256v1)), bitString(Buffer.concat([Buffer.from([2 + (y[31]! & 1)]), x])));
      const compCsr = parseCsr(rebuild(made.der, (p) => (p[2] = compressed), made.privateKey));
      assert.ok(compCsr.publicKey, 'Node loads a compressed point');
      assert.deepEqual(codes(compCsr), ['CSR_KEY_INVALID_POINT']);
    });
  });

  it('2,000 mutated CSRs: parseCsr succeeds or throws a one-line InputError; checkCsr never throws', async () => {
    const made = await makeCsr({ eui: '90B3D51F30010000', commonName: 'FUZZ', euiAs: 'utf8' });
    let seed = 777;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 2000; i++) {
      const m = Buffer.from(made.der);
      if (i % 3 === 0) m[rnd(m.length)] = rnd(256);
      else if (i % 3 === 1) m[rnd(m.length)]! ^= 1 << rnd(8);
      const input = i % 3 === 2 ? m.subarray(0, rnd(m.length)) : m;
      let csr: ParsedCsr | undefined;
      try {
        csr = parseCsr(input);
      } catch (e) {
        assert.ok(isOneLineInputError(e), `${(e as Error).name}: ${(e as Error).message}`);
      }
      if (csr) assert.ok(Array.isArray(checkCsr(csr)));
    }
  });

  describe('refuses malformed input with a one-line InputError', () => {
    it('truncated, garbage, empty, wrong PEM label, not a CSR, bad EUI text', async () => {
      const made = await makeCsr({ eui: '90B3D51F30010000', commonName: 'X' });
      const ca = makeTestCa('CSRCA');
      const badEui = (await makeCsr({ eui: '90B3D51F30010000', euiAs: 'utf8' })).der;
      const at = badEui.indexOf(Buffer.from('90B3D51F30010000'));
      badEui.write('ZZ', at);
      const cases: [string, Buffer | string][] = [
        ['empty string', ''],
        ['whitespace', '  \n'],
        ['empty buffer', Buffer.alloc(0)],
        ['garbage text', 'this is not a CSR'],
        ['garbage bytes', Buffer.from([0x30, 0x84, 1, 2, 3, 4, 5])],
        ['random DER-looking bytes', Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00])],
        ['truncated DER', made.der.subarray(0, made.der.length - 10)],
        ['truncated PEM', made.pem.slice(0, made.pem.length - 40)],
        ['PEM body not base64', '-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n'],
        ['a certificate PEM', certificateToPem(ca.root.der)],
        ['a certificate as DER', ca.root.der],
        ['a certificate under a CSR label', toPem(ca.root.der, 'CERTIFICATE REQUEST')],
        ['trailing bytes', Buffer.concat([made.der, Buffer.from([0, 0])])],
        ['EUI text that is not an EUI-64', badEui],
      ];
      for (const [name, input] of cases) {
        assert.throws(() => parseCsr(input), isOneLineInputError, name);
      }
    });
  });
});
