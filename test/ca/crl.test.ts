import { strict as assert } from 'node:assert';
import { sign, verify } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLReason, CRLReasons, CertificateList, id_ce_cRLNumber, id_ce_cRLReasons } from '@peculiar/asn1-x509';
import { OID, TAG, children, decodeExtensions, decodeSigned, readTlv, readWhole, tlvOf, whole } from '../../src/ca/asn1.js';
import {
  ACCEPTED_REVOCATION_REASONS,
  RevocationReason,
  assembleCrl,
  buildCrlTbs,
  crlEntriesOf,
  crlToPem,
  parseRevocationReason,
  revocationReasonName,
  type CrlTemplate,
} from '../../src/ca/crl.js';
import { certificateToPem, fromPem } from '../../src/ca/pem.js';
import { InputError } from '../../src/domain/errors.js';
import { makeTestCa, openssl, opensslAvailable, tempDir } from '../support/ca-chain.js';

describe('ca/crl', () => {
  it('the reason codes and extension OIDs are those of RFC 5280 (as @peculiar/asn1-x509 numbers them)', () => {
    for (const name of ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold', 'removeFromCRL', 'privilegeWithdrawn', 'aACompromise'] as const) {
      assert.equal(RevocationReason[name], CRLReasons[name], name);
    }
    assert.equal(OID.crlNumber, id_ce_cRLNumber);
    assert.equal(OID.crlReason, id_ce_cRLReasons);
  });

  const ca = makeTestCa('CRLCA');
  const template = (over: Partial<CrlTemplate> = {}): CrlTemplate => ({
    issuerNameDer: ca.issuing.nameDer,
    authorityKeyId: ca.issuing.keyId,
    crlNumber: 42n,
    thisUpdate: new Date('2026-03-01T10:00:00.750Z'),
    nextUpdate: new Date('2026-03-08T10:00:00Z'),
    revoked: [
      { serial: Buffer.from('4FBC525201A1D7586C1BC1C4734DEB9F', 'hex'), revokedAt: new Date('2026-02-28T09:30:15.999Z'), reason: RevocationReason.cessationOfOperation },
      { serial: Buffer.from('14BE4AD2EA1D0E4EC7F7156BD24624A7', 'hex'), revokedAt: new Date('2026-02-27T00:00:00Z'), reason: RevocationReason.unspecified },
      { serial: Buffer.from('9ECC6ED40F92A82835DB58174B4A666D', 'hex'), revokedAt: new Date('2026-02-26T00:00:00Z'), reason: RevocationReason.keyCompromise },
    ],
    ...over,
  });
  const signedCrl = (t: CrlTemplate): Buffer => {
    const tbs = buildCrlTbs(t);
    return assembleCrl(tbs, sign('sha256', tbs, ca.issuing.key));
  };

  describe('revocation reasons', () => {
    it('are the RFC 5280 codes, as @peculiar/asn1-x509 numbers them', () => {
      assert.equal(RevocationReason.keyCompromise, 1);
      assert.equal(RevocationReason.cessationOfOperation, 5);
      assert.equal(RevocationReason.privilegeWithdrawn, 9);
      for (const name of Object.keys(CRLReasons).filter((k) => Number.isNaN(Number(k)))) {
        assert.equal(RevocationReason[name as keyof typeof RevocationReason], CRLReasons[name as keyof typeof CRLReasons], name);
      }
    });

    it('parse by name, in any case, with dashes or underscores', () => {
      assert.equal(parseRevocationReason('keyCompromise'), RevocationReason.keyCompromise);
      assert.equal(parseRevocationReason('CESSATIONOFOPERATION'), RevocationReason.cessationOfOperation);
      assert.equal(parseRevocationReason('cessation-of-operation'), RevocationReason.cessationOfOperation);
      assert.equal(parseRevocationReason(' superseded '), RevocationReason.superseded);
      assert.equal(parseRevocationReason('affiliation_changed'), RevocationReason.affiliationChanged);
      assert.equal(parseRevocationReason('unspecified'), RevocationReason.unspecified);
      assert.equal(parseRevocationReason('cACompromise'), RevocationReason.cACompromise);
      assert.equal(parseRevocationReason('privilegeWithdrawn'), RevocationReason.privilegeWithdrawn);
      for (const n of ACCEPTED_REVOCATION_REASONS) assert.equal(revocationReasonName(parseRevocationReason(n)), n);
    });

    for (const bad of ['removeFromCRL', 'certificateHold', 'aACompromise', 'unknown', '', '1']) {
      it(`refuse '${bad}' with a one-line InputError listing the accepted names`, () => {
        assert.throws(
          () => parseRevocationReason(bad),
          (e: Error) => e instanceof InputError && e.message.startsWith('--reason:') && e.message.includes('keyCompromise, cACompromise') && !e.message.includes('\n'),
        );
      });
    }
  });

  describe('the CRL', () => {
    it('is a v2 CertificateList that @peculiar/asn1-x509 parses: CRL Number, AKI, entries and reasons', () => {
      const der = signedCrl(template({ crlNumber: (1n << 100n) + 5n }));
      const crl = AsnConvert.parse(der, CertificateList);
      const tbs = crl.tbsCertList;
      assert.equal(tbs.version, 1);
      assert.equal(tbs.signature.algorithm, OID.ecdsaWithSha256);
      assert.equal(tbs.signature.parameters, undefined);
      assert.equal(crl.signatureAlgorithm.parameters, undefined);
      assert.deepEqual(Buffer.from(AsnConvert.serialize(tbs.issuer)), ca.issuing.nameDer);
      assert.equal(tbs.thisUpdate.getTime().toISOString(), '2026-03-01T10:00:00.000Z');
      assert.equal(tbs.nextUpdate!.getTime().toISOString(), '2026-03-08T10:00:00.000Z');
      const crlNumber = tbs.crlExtensions!.find((e) => e.extnID === id_ce_cRLNumber)!;
      assert.equal(crlNumber.critical, false);
      assert.equal(Buffer.from(crlNumber.extnValue.buffer).toString('hex'), '020d' + '10000000000000000000000005');
      const aki = tbs.crlExtensions!.find((e) => e.extnID === '2.5.29.35')!;
      assert.equal(Buffer.from(aki.extnValue.buffer).toString('hex'), `300a8008${ca.issuing.keyId.toString('hex')}`);
      const entries = tbs.revokedCertificates!;
      assert.equal(entries.length, 3);
      assert.equal(Buffer.from(entries[0]!.userCertificate).toString('hex').toUpperCase(), '4FBC525201A1D7586C1BC1C4734DEB9F');
      assert.equal(entries[0]!.revocationDate.getTime().toISOString(), '2026-02-28T09:30:15.000Z');
      const reasonOf = (i: number) => {
        const e = entries[i]!.crlEntryExtensions?.find((x) => x.extnID === id_ce_cRLReasons);
        return e ? AsnConvert.parse(e.extnValue.buffer, CRLReason).reason : undefined;
      };
      assert.equal(reasonOf(0), CRLReasons.cessationOfOperation);
      assert.equal(entries[1]!.crlEntryExtensions, undefined, 'unspecified: no reasonCode');
      assert.equal(reasonOf(2), CRLReasons.keyCompromise);
      // Serial with the high bit set gets its 00 pad (a positive INTEGER).
      assert.equal(Buffer.from(entries[2]!.userCertificate).toString('hex').toUpperCase(), '009ECC6ED40F92A82835DB58174B4A666D');
      const s = decodeSigned(der, 'CertificateList');
      assert.ok(verify('sha256', s.tbs, { key: ca.issuing.spkiDer, format: 'der', type: 'spki' }, s.signature));
    });

    it('leaves revokedCertificates out when nothing is revoked; UTCTime dates', () => {
      const tbs = buildCrlTbs(template({ revoked: [] }));
      const f = children(tbs, readWhole(tbs, 'TBSCertList'));
      assert.deepEqual(f.map((t) => t.tag), [TAG.INTEGER, TAG.SEQUENCE, TAG.SEQUENCE, TAG.UTC_TIME, TAG.UTC_TIME, 0xa0]);
      const exts = decodeExtensions(tbs, f[5]!);
      assert.deepEqual(exts.map((e) => [e.oid, e.critical]), [[OID.authorityKeyIdentifier, false], [OID.crlNumber, false]]);
      assert.equal(whole(tbs, f[3]!).subarray(2).toString(), '260301100000Z');
      const late = buildCrlTbs(template({ thisUpdate: new Date('2050-01-01T00:00:00Z'), nextUpdate: new Date('2050-02-01T00:00:00Z') }));
      assert.ok(late.includes(Buffer.from('20500101000000Z')));
    });

    it('refuses nonsense templates', () => {
      assert.throws(() => buildCrlTbs(template({ nextUpdate: new Date('2026-03-01T10:00:00Z') })), RangeError);
      assert.throws(() => buildCrlTbs(template({ crlNumber: -1n })), RangeError);
      assert.throws(() => buildCrlTbs(template({ crlNumber: 1n << 160n })), RangeError);
    });

    it('PEM with the X509 CRL label', () => {
      const der = signedCrl(template());
      const pem = crlToPem(der);
      assert.match(pem, /^-----BEGIN X509 CRL-----\n/);
      assert.match(pem, /\n-----END X509 CRL-----\n$/);
      assert.deepEqual(fromPem(pem, ['X509 CRL'], 'crl'), der);
    });

    it('openssl parses it, verifies it against the Issuing OCA, shows the CRL Number and reasons', function () {
      if (!opensslAvailable()) this.skip();
      const tmp = tempDir();
      try {
        const file = tmp.write('crl.pem', crlToPem(signedCrl(template())));
        const issuing = tmp.write('issuing.pem', certificateToPem(ca.issuing.der));
        const r = openssl(['crl', '-in', file, '-noout', '-text', '-CAfile', issuing]);
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, /verify OK/);
        assert.match(r.out, /Version 2/);
        assert.match(r.out, /X509v3 CRL Number:\s*\n\s*42\b/);
        assert.match(r.out, /X509v3 Authority Key Identifier/);
        assert.match(r.out, /Cessation Of Operation/);
        assert.match(r.out, /Key Compromise/);
        assert.equal((r.out.match(/CRL Reason Code/g) ?? []).length, 2, 'no reasonCode on the unspecified entry');
        assert.match(r.out, /Issuer: OU = 07, CN = CRLCA/);
      } finally {
        tmp.cleanup();
      }
    });

    it('lists 300,000 entries (no stack or argument limit), and openssl verifies it', function () {
      this.timeout(120_000);
      const revoked = Array.from({ length: 300_000 }, (_, i) => ({
        serial: Buffer.from(`4${i.toString(16).padStart(31, '0')}`, 'hex'),
        revokedAt: new Date('2026-02-28T09:30:15Z'),
        reason: RevocationReason.cessationOfOperation,
      }));
      const tbs = buildCrlTbs(template({ revoked }));
      const der = assembleCrl(tbs, sign('sha256', tbs, ca.issuing.key));
      assert.equal(crlEntriesOf(der).entries.count, 300_000);
      const list = children(tbs, readWhole(tbs, 'TBSCertList')).find((t, i) => i > 2 && t.tag === TAG.SEQUENCE)!;
      assert.equal(children(tbs, list).length, 300_000);
      if (!opensslAvailable()) return;
      const tmp = tempDir();
      try {
        const r = openssl(['crl', '-inform', 'DER', '-in', tmp.write('big.crl', der), '-noout', '-CAfile', tmp.write('issuing.pem', certificateToPem(ca.issuing.der))]);
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, /verify OK/);
      } finally {
        tmp.cleanup();
      }
    });

    it('DER lengths past 16 MiB take 4 length octets, written and read back', () => {
      const big = tlvOf(TAG.OCTET_STRING, [Buffer.alloc(0x1000001, 1)]);
      assert.deepEqual([...big.subarray(0, 6)], [TAG.OCTET_STRING, 0x84, 0x01, 0x00, 0x00, 0x01]);
      const t = readTlv(big, 0);
      assert.equal(t.end - t.contentStart, 0x1000001);
      assert.equal(t.end, big.length);
    });

    it('carries the previous CRL\'s entries unchanged before the new ones, and crlEntriesOf reads them back', () => {
      const first = signedCrl(template());
      const prev = crlEntriesOf(first);
      assert.deepEqual(prev.issuerNameDer, ca.issuing.nameDer);
      assert.deepEqual(prev.authorityKeyId, ca.issuing.keyId);
      assert.equal(prev.entries.count, 3);
      const added = { serial: Buffer.from('0A', 'hex'), revokedAt: new Date('2026-03-01T09:00:00Z'), reason: RevocationReason.superseded };
      const next = signedCrl(template({ crlNumber: 43n, carried: prev.entries, revoked: [added] }));
      const all = signedCrl(template({ crlNumber: 43n, revoked: [...template().revoked, added] }));
      // The same TBSCertList as listing every entry afresh.
      assert.deepEqual(decodeSigned(next, 'CRL').tbs, decodeSigned(all, 'CRL').tbs);
      assert.equal(crlEntriesOf(next).entries.count, 4);
      assert.equal(crlEntriesOf(signedCrl(template({ revoked: [] }))).entries.count, 0);
    });
  });
});
