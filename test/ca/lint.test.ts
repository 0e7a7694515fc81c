import { strict as assert } from 'node:assert';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  DerError,
  NULL,
  OID,
  TAG,
  bitString,
  children,
  content,
  integer,
  oid,
  octetString,
  readWhole,
  sequence,
  tlv,
  whole,
} from '../../src/ca/asn1.js';
import { certificateToPem, derFromInput } from '../../src/ca/pem.js';
import { assembleCrl, buildCrlTbs, crlToPem, RevocationReason } from '../../src/ca/crl.js';
import { readCaCertificate } from '../../src/ca/ca-certificates.js';
import {
  DerCursor,
  LINT_RULES,
  hasExactExpectations,
  isExactOrganisationTbs,
  lintOrganisationCertificate,
  lintOrganisationTbs,
  lintOrganisationTbsRuleByRule,
  type ExactExpectations,
  type LintCode,
} from '../../src/ca/lint.js';
import {
  assembleCertificate,
  authorityKeyIdentifierValue,
  buildOrganisationTbs,
  certificatePoliciesValue,
  encodeTbs,
  keyUsageValue,
  organisationTbsFields,
  readOrganisationCertificate,
  type TbsFields,
} from '../../src/ca/organisation-certificate.js';
import { InputError } from '../../src/domain/errors.js';
import type { Eui64 } from '../../src/domain/eui.js';
import { POLICY_OID, issue, makeTestCa, openssl, opensslAvailable, orgTemplate, tempDir, wholeSecondsNow } from '../support/ca-chain.js';

const DIR = fileURLToPath(new URL('../../fixtures/public/smki-certs/', import.meta.url));
const throwaway = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const signed = (tbs: Buffer): Buffer => assembleCertificate(tbs, sign('sha256', tbs, throwaway));
const codes = (list: { code: string }[]): string[] => list.map((f) => f.code);

/** Replaces the i-th element of the TBSCertificate SEQUENCE (0 = version). */
function replaceTbsField(tbs: Buffer, i: number, der: Buffer): Buffer {
  const parts = children(tbs, readWhole(tbs, 'tbs')).map((t) => whole(tbs, t));
  parts[i] = der;
  return sequence(...parts);
}

describe('ca/lint', () => {
  const ca = makeTestCa('LINTCA');
  const issuing = readCaCertificate(ca.issuing.der);
  /** Everything the CA expects of a template it signs, from its own certificate. */
  const expectFor = (t: { subject: { eui: Eui64; ou: string }; keyUsage: 'digitalSignature' | 'keyAgreement' }) => ({
    keyUsage: t.keyUsage,
    ou: t.subject.ou,
    eui: t.subject.eui,
    policyOid: POLICY_OID,
    issuerNameDer: issuing.subjectNameDer,
    authorityKeyId: issuing.ski,
    issuerNotBefore: issuing.notBefore,
    issuerNotAfter: issuing.notAfter,
  });

  it('a certificate from the builder, signed by the test Issuing OCA, lints clean against every expectation', () => {
    const t = orgTemplate(ca, { subject: { commonName: 'SRP LTD', ou: '87', eui: '90B3D51F30010000' as Eui64 } });
    const tbs = buildOrganisationTbs(t);
    const expect = expectFor(t);
    assert.deepEqual(lintOrganisationTbs(tbs, expect), []);
    assert.deepEqual(lintOrganisationCertificate(issue(ca, t), expect), []);
    assert.deepEqual(lintOrganisationCertificate(issue(ca, orgTemplate(ca, { keyUsage: 'keyAgreement', subject: { ou: '02', eui: '90B3D51F30010000' as Eui64 } }))), []);
  });

  it('passes openssl verify as a chain, and is revoked under -crl_check with a CRL from crl.ts', function () {
    if (!opensslAvailable()) this.skip();
    const t = orgTemplate(ca);
    const leaf = issue(ca, t);
    const other = issue(ca, orgTemplate(ca));
    const tmp = tempDir();
    try {
      const root = tmp.write('root.pem', certificateToPem(ca.root.der));
      const issuing = tmp.write('issuing.pem', certificateToPem(ca.issuing.der));
      const leafPem = tmp.write('leaf.pem', certificateToPem(leaf));
      const ok = openssl(['verify', '-CAfile', root, '-untrusted', issuing, leafPem]);
      assert.equal(ok.status, 0, ok.out);
      assert.match(ok.out, /leaf\.pem: OK/);

      const crl = (revoked: { serial: Buffer; reason: RevocationReason }[], n: bigint): string => {
        const tbs = buildCrlTbs({
          issuerNameDer: ca.issuing.nameDer,
          authorityKeyId: ca.issuing.keyId,
          crlNumber: n,
          thisUpdate: wholeSecondsNow(-60_000),
          nextUpdate: wholeSecondsNow(7 * 86_400_000),
          revoked: revoked.map((r) => ({ ...r, revokedAt: wholeSecondsNow(-30_000) })),
        });
        return crlToPem(assembleCrl(tbs, sign('sha256', tbs, ca.issuing.key)));
      };
      const cleanCrl = tmp.write('clean.crl.pem', crl([{ serial: Buffer.from(readOrganisationCertificate(other).serialHex, 'hex'), reason: RevocationReason.superseded }], 6n));
      const notRevoked = openssl(['verify', '-crl_check', '-CAfile', root, '-untrusted', issuing, '-CRLfile', cleanCrl, leafPem]);
      assert.equal(notRevoked.status, 0, notRevoked.out);

      const crlFile = tmp.write('crl.pem', crl([{ serial: t.serial, reason: RevocationReason.keyCompromise }], 7n));
      const revoked = openssl(['verify', '-crl_check', '-CAfile', root, '-untrusted', issuing, '-CRLfile', crlFile, leafPem]);
      assert.notEqual(revoked.status, 0, revoked.out);
      assert.match(revoked.out, /certificate revoked/);

      const text = openssl(['crl', '-in', crlFile, '-noout', '-text']);
      assert.equal(text.status, 0, text.out);
      assert.match(text.out, /X509v3 CRL Number:\s*\n\s*7\b/);
      assert.match(text.out, /Key Compromise/);
      assert.match(text.out, new RegExp(`Serial Number: ${t.serial.toString('hex').toUpperCase()}`));
    } finally {
      tmp.cleanup();
    }
  });

  describe('the one-pass check of the exact bytes', () => {
    const withCn = orgTemplate(ca, { subject: { commonName: 'SRP LTD', ou: '87', eui: '90B3D51F30010000' as Eui64 } });
    const agreement = orgTemplate(ca, { keyUsage: 'keyAgreement', subject: { ou: '02', eui: '90B3D51F30010000' as Eui64 } });

    it('takes what the builder writes, with or without a CN, for either key usage', () => {
      for (const t of [withCn, agreement, orgTemplate(ca, { subject: { commonName: 'Ü'.repeat(64), ou: '87', eui: '90B3D51F30010000' as Eui64 } })]) {
        assert.equal(isExactOrganisationTbs(buildOrganisationTbs(t), expectFor(t)), true, t.subject.commonName ?? t.keyUsage);
      }
    });

    it('leaves to the rule-by-rule lint a TBS whose expectations are not all given, or not met', () => {
      const tbs = buildOrganisationTbs(withCn);
      const expect = expectFor(withCn);
      assert.equal(hasExactExpectations(expect), true);
      assert.equal(hasExactExpectations({ ...expect, issuerNotBefore: undefined, issuerNotAfter: undefined }), true, 'the issuer validity may be absent');
      for (const k of ['keyUsage', 'ou', 'eui', 'policyOid', 'issuerNameDer', 'authorityKeyId'] as const) {
        assert.equal(hasExactExpectations({ ...expect, [k]: undefined }), false, k);
        // A caller without the types still gets false: the comparison with the missing one fails.
        assert.equal(isExactOrganisationTbs(tbs, { ...expect, [k]: undefined } as ExactExpectations), false, k);
        assert.deepEqual(lintOrganisationTbs(tbs, { ...expect, [k]: undefined }), [], k);
      }
      const unmet: [Partial<typeof expect>, string][] = [
        [{ ou: '88' }, 'OU_MISMATCH'],
        [{ eui: '90B3D51F30010001' as Eui64 }, 'EUI_MISMATCH'],
        [{ keyUsage: 'keyAgreement' }, 'KEY_USAGE_MISMATCH'],
        [{ policyOid: '1.2.3.4' }, 'POLICY_MISMATCH'],
        [{ authorityKeyId: Buffer.alloc(8) }, 'AKI_MISMATCH'],
        [{ issuerNameDer: sequence() }, 'ISSUER_MISMATCH'],
        [{ issuerNotAfter: new Date(withCn.notAfter.getTime() - 1000) }, 'VALIDITY_BEYOND_ISSUER'],
        [{ issuerNotBefore: new Date(withCn.notBefore.getTime() + 1000) }, 'VALIDITY_BEYOND_ISSUER'],
      ];
      for (const [over, code] of unmet) {
        assert.equal(isExactOrganisationTbs(tbs, { ...expect, ...over }), false, code);
        assert.deepEqual(codes(lintOrganisationTbs(tbs, { ...expect, ...over })), [code]);
      }
    });

    it('takes a validity that meets the issuer validity exactly, a serial with zero octets inside, and says a plain false for what it cannot read', () => {
      const expect = expectFor(withCn);
      const tbs = buildOrganisationTbs(withCn);
      assert.equal(isExactOrganisationTbs(tbs, { ...expect, issuerNotBefore: withCn.notBefore, issuerNotAfter: withCn.notAfter }), true);
      const serial = Buffer.from('0100000000000000000000000000007f', 'hex');
      const zeros = orgTemplate(ca, { serial, subject: withCn.subject });
      assert.equal(isExactOrganisationTbs(buildOrganisationTbs(zeros), expectFor(zeros)), true);
      assert.equal(isExactOrganisationTbs(tbs.subarray(0, tbs.length - 3), expect), false);
    });

    it('leaves to the rule-by-rule lint every TBS in another form than the one it writes', () => {
      const expect = expectFor(withCn);
      const fields = () => organisationTbsFields(withCn);
      const subjectRdns = (f: TbsFields) => {
        const name = f.subjectNameDer;
        return children(name, readWhole(name, 'Name')).map((t) => whole(name, t));
      };
      const cnRdn = (value: Buffer) => tlv(TAG.SET, sequence(oid(OID.commonName), value));
      const other: [string, () => Buffer][] = [
        ['an extension after the authorityKeyIdentifier', () => {
          const f = fields();
          f.extensions.push({ oid: '2.5.29.19', critical: false, value: sequence() });
          return encodeTbs(f);
        }],
        ['the extensions in another order', () => {
          const f = fields();
          f.extensions = [f.extensions[1]!, f.extensions[0]!, ...f.extensions.slice(2)];
          return encodeTbs(f);
        }],
        ['notAfter equal to notBefore', () => {
          const f = fields();
          f.notAfter = f.notBefore;
          return encodeTbs(f);
        }],
        ['a CN as a PrintableString', () => {
          const f = fields();
          const [, ou, eui] = subjectRdns(f);
          f.subjectNameDer = sequence(cnRdn(tlv(TAG.PRINTABLE_STRING, Buffer.from('SRP LTD'))), ou!, eui!);
          return encodeTbs(f);
        }],
        ['a CN of no characters', () => {
          const f = fields();
          const [, ou, eui] = subjectRdns(f);
          f.subjectNameDer = sequence(cnRdn(tlv(TAG.UTF8_STRING, Buffer.alloc(0))), ou!, eui!);
          return encodeTbs(f);
        }],
        ['a second attribute in the CN RDN', () => {
          const f = fields();
          const [, ou, eui] = subjectRdns(f);
          f.subjectNameDer = sequence(tlv(TAG.SET, Buffer.concat([sequence(oid(OID.commonName), tlv(TAG.UTF8_STRING, Buffer.from('A'))), sequence(oid(OID.commonName), tlv(TAG.UTF8_STRING, Buffer.from('B')))])), ou!, eui!);
          return encodeTbs(f);
        }],
        ['an RDN after the x500UniqueIdentifier', () => {
          const f = fields();
          const rdns = subjectRdns(f);
          f.subjectNameDer = sequence(...rdns, rdns[0]!);
          return encodeTbs(f);
        }],
        ['a serial of 16 octets with a leading zero octet it does not need', () => {
          const f = fields();
          f.serial = Buffer.concat([Buffer.from([0, 0x7f]), Buffer.alloc(14, 1)]);
          return replaceTbsField(encodeTbs(f), 1, tlv(TAG.INTEGER, f.serial));
        }],
        ['an octet after the TBS', () => Buffer.concat([buildOrganisationTbs(withCn), Buffer.from([0])])],
        ['a third time in the validity', () => {
          const tbs = buildOrganisationTbs(withCn);
          const validity = children(tbs, readWhole(tbs, 'tbs'))[4]!;
          const times = children(tbs, validity).map((t) => whole(tbs, t));
          return replaceTbsField(tbs, 4, sequence(...times, times[1]!));
        }],
        ['the extensions under [2] instead of [3]', () => {
          const tbs = buildOrganisationTbs(withCn);
          const wrapper = children(tbs, readWhole(tbs, 'tbs'))[7]!;
          return replaceTbsField(tbs, 7, tlv(0xa2, tbs.subarray(wrapper.contentStart, wrapper.end)));
        }],
        ['an extension list that is not a SEQUENCE', () => {
          const tbs = buildOrganisationTbs(withCn);
          const wrapper = children(tbs, readWhole(tbs, 'tbs'))[7]!;
          const list = children(tbs, wrapper)[0]!;
          return replaceTbsField(tbs, 7, tlv(0xa3, tlv(TAG.SET, tbs.subarray(list.contentStart, list.end))));
        }],

      ];
      for (const [what, make] of other) assert.equal(isExactOrganisationTbs(make(), expect), false, what);
      // An OU in lower-case hex, even as expected, and not as the upper-case one either.
      for (const [ou, asked] of [['8a', '8a'], ['8a', '8A'], ['a8', 'a8'], ['g8', 'g8'], ['8g', '8g'], ['/8', '/8'], ['8:', '8:']]) {
        const t = orgTemplate(ca, { subject: { ou: ou!, eui: '90B3D51F30010000' as Eui64 } });
        assert.equal(isExactOrganisationTbs(buildOrganisationTbs(t), { ...expectFor(t), ou: asked! }), false, `${ou} as ${asked}`);
      }
      // An issuer that is not a SEQUENCE, or is empty, is never the form, even where it is what was expected.
      const tbs = buildOrganisationTbs(withCn);
      const issuer = children(tbs, readWhole(tbs, 'tbs'))[3]!;
      const asSet = tlv(TAG.SET, tbs.subarray(issuer.contentStart, issuer.end));
      assert.equal(isExactOrganisationTbs(replaceTbsField(tbs, 3, asSet), { ...expect, issuerNameDer: asSet }), false);
      const f = fields();
      f.issuerNameDer = sequence();
      assert.equal(isExactOrganisationTbs(encodeTbs(f), { ...expect, issuerNameDer: sequence() }), false);
    });

    it('reads through a DerCursor that never reads past its end, and throws a DerError where it would', () => {
      // Octets 1 to 3 of five: the octets on either side exist in the buffer but lie outside the cursor.
      const h = (x: string): Buffer => Buffer.from(x, 'hex');
      const buf = h('aa010203bb');
      const at = () => new DerCursor(buf, 1, 4);
      let c = at();
      assert.deepEqual(c.take(3), h('010203'));
      c.done();
      assert.throws(() => c.take(1), DerError);
      assert.throws(() => at().take(4), DerError);
      c = at();
      assert.deepEqual(c.take(1), h('01'));
      assert.throws(() => c.done(), DerError);
      assert.deepEqual(c.take(2), h('0203'));

      c = at();
      assert.equal(c.skip(h('010203bb')), false, 'the octets past the end are not read');
      assert.equal(c.skip(h('0102ff')), false);
      assert.equal(c.skip(h('0102')), true);
      assert.deepEqual(c.take(1), h('03'), 'skip moves past what it matched, and only then');
      assert.equal(c.skip(h('bb')), false);
      c.done();

      // TLVs: within the end only, and enter() gives a cursor bounded by the TLV.
      // SEQUENCE { aa bb }, INTEGER 5, an OCTET STRING of one octet: the cursor ends before its content.
      const tlvs = h('3002aabb020105040100');
      c = new DerCursor(tlvs, 0, 8);
      const inner = c.enter(TAG.SEQUENCE);
      assert.deepEqual(inner.take(2), h('aabb'));
      assert.throws(() => inner.take(1), DerError, 'the content of the SEQUENCE ends there');
      inner.done();
      assert.deepEqual(c.next(), { tag: TAG.INTEGER, start: 4, contentStart: 6, end: 7 });
      assert.throws(() => c.next(), DerError, 'the OCTET STRING runs past the end of the cursor');
      assert.throws(() => new DerCursor(tlvs, 0, 10).enter(TAG.SET), DerError);
      assert.throws(() => new DerCursor(tlvs, 4, 10).enter(TAG.INTEGER).done(), DerError, 'entered content not read');
      new DerCursor(tlvs, 4, 10).enter(TAG.INTEGER).take(1);
    });

    it('leaves to the rule-by-rule lint octets after the extension list, inside the [3] or the TBS, and extensions outside the [3]', () => {
      const expect = expectFor(withCn);
      const tbs = buildOrganisationTbs(withCn);
      const fieldTlvs = children(tbs, readWhole(tbs, 'tbs'));
      const parts = fieldTlvs.map((t) => whole(tbs, t));
      const list = children(tbs, fieldTlvs[7]!)[0]!;
      const trailing = Buffer.from([5, 0]);
      assert.equal(isExactOrganisationTbs(replaceTbsField(tbs, 7, tlv(0xa3, Buffer.concat([whole(tbs, list), trailing]))), expect), false, 'inside [3]');
      assert.equal(isExactOrganisationTbs(sequence(...parts, trailing), expect), false, 'inside the TBS');
      const outside = sequence(...parts.slice(0, 7), tlv(0xa3, sequence()), content(tbs, list));
      assert.equal(isExactOrganisationTbs(outside, expect), false, 'the extensions after an empty list in [3]');
      // The CN attribute with a second value after its UTF8String.
      const rdns = children(tbs, fieldTlvs[5]!).map((t) => whole(tbs, t));
      const twoValues = tlv(TAG.SET, sequence(oid(OID.commonName), tlv(TAG.UTF8_STRING, Buffer.from('A')), tlv(TAG.UTF8_STRING, Buffer.from('B'))));
      assert.equal(isExactOrganisationTbs(replaceTbsField(tbs, 5, sequence(twoValues, ...rdns.slice(1))), expect), false, 'a second value in the CN attribute');
      assert.equal(isExactOrganisationTbs(replaceTbsField(tbs, 5, sequence(...rdns)), expect), true, 'the subject rebuilt as it was');
    });

    it('takes a serial whose leading zero octet is needed (the next has its high bit set), and no serial that is negative or not 16 octets', () => {
      const needed = orgTemplate(ca, { serial: Buffer.concat([Buffer.from([0x80]), Buffer.alloc(14, 1)]), subject: withCn.subject });
      const tbs = buildOrganisationTbs(needed);
      assert.equal(children(tbs, readWhole(tbs, 'tbs'))[1]!.end - children(tbs, readWhole(tbs, 'tbs'))[1]!.contentStart, 16);
      assert.equal(isExactOrganisationTbs(tbs, expectFor(needed)), true);
      const negative = replaceTbsField(tbs, 1, tlv(TAG.INTEGER, Buffer.concat([Buffer.from([0x80]), Buffer.alloc(15, 1)])));
      assert.equal(isExactOrganisationTbs(negative, expectFor(needed)), false);
      assert.deepEqual(codes(lintOrganisationTbs(negative, expectFor(needed))), ['SERIAL_NOT_POSITIVE']);
      // Positive and minimal, but not 16 octets: 8, 15, and 17 (16 with the high bit set, padded).
      for (const [serial, code] of [[Buffer.alloc(8, 0x11), 'SERIAL_TOO_SHORT'], [Buffer.alloc(15, 0x11), 'SERIAL_TOO_SHORT'], [Buffer.alloc(16, 0x81), 'SERIAL_TOO_LONG']] as const) {
        const t = orgTemplate(ca, { serial, subject: withCn.subject });
        assert.equal(isExactOrganisationTbs(buildOrganisationTbs(t), expectFor(t)), false, code);
        assert.deepEqual(codes(lintOrganisationTbs(buildOrganisationTbs(t), expectFor(t))), [code]);
      }
    });

    it('leaves a CN of 65 characters to the rule-by-rule lint', () => {
      const long = orgTemplate(ca, { subject: { commonName: 'A'.repeat(65), ou: '87', eui: '90B3D51F30010000' as Eui64 } });
      assert.equal(isExactOrganisationTbs(buildOrganisationTbs(long), expectFor(long)), false);
    });

    it('takes no TBS that the rule-by-rule lint finds fault with: every octet changed, removed or doubled', () => {
      let taken = 0;
      let tried = 0;
      for (const t of [withCn, agreement]) {
        const tbs = buildOrganisationTbs(t);
        const expect = expectFor(t);
        for (let i = 0; i < tbs.length; i++) {
          const b = tbs[i]!;
          const mutants = [0x00, 0xff, b ^ 0x01, b ^ 0x80, (b + 1) & 0xff].map((v) => {
            const m = Buffer.from(tbs);
            m[i] = v;
            return m;
          });
          mutants.push(Buffer.concat([tbs.subarray(0, i), tbs.subarray(i + 1)]), Buffer.concat([tbs.subarray(0, i + 1), tbs.subarray(i)]));
          for (const m of mutants) {
            if (m.equals(tbs)) continue;
            tried++;
            if (!isExactOrganisationTbs(m, expect)) continue;
            taken++;
            assert.deepEqual(lintOrganisationTbsRuleByRule(m, expect), [], `octet ${i}: ${m.toString('hex')}`);
          }
        }
      }
      // Serial, date digits, CN letters and the key's point may change and stay clean; most changes may not.
      assert.ok(taken > 0 && taken < tried / 2, `${taken} of ${tried}`);
    });
  });

  describe('flags each deliberately broken certificate with its code', () => {
    const base = (): TbsFields => organisationTbsFields(orgTemplate(ca));
    const ext = (f: TbsFields, o: string) => f.extensions.find((e) => e.oid === o)!;
    const cases: [LintCode, () => Buffer][] = [
      ['OU_NOT_TWO_HEX', () => buildOrganisationTbs(orgTemplate(ca, { subject: { ou: '137', eui: '90B3D51F30010000' as Eui64 } }))],
      ['OU_NOT_TWO_HEX', () => buildOrganisationTbs(orgTemplate(ca, { subject: { ou: '8', eui: '90B3D51F30010000' as Eui64 } }))],
      ['OU_NOT_TWO_HEX', () => buildOrganisationTbs(orgTemplate(ca, { subject: { ou: '7f', eui: '90B3D51F30010000' as Eui64 } }))],
      ['KEY_USAGE_NOT_SINGLE_BIT', () => {
        const f = base();
        ext(f, OID.keyUsage).value = keyUsageValue(['digitalSignature', 'keyAgreement']);
        return encodeTbs(f);
      }],
      ['KEY_USAGE_NOT_CRITICAL', () => {
        const f = base();
        ext(f, OID.keyUsage).critical = false;
        return encodeTbs(f);
      }],
      ['POLICIES_NOT_CRITICAL', () => {
        const f = base();
        ext(f, OID.certificatePolicies).critical = false;
        return encodeTbs(f);
      }],
      ['EUI_NOT_8_BYTES', () => buildOrganisationTbs(orgTemplate(ca, { subject: { ou: '87', eui: '90B3D51F300100' as Eui64 } }))],
      ['SERIAL_TOO_LONG', () => buildOrganisationTbs(orgTemplate(ca, { serial: Buffer.alloc(17, 0x11) }))],
      ['SERIAL_TOO_LONG', () => buildOrganisationTbs(orgTemplate(ca, { serial: Buffer.alloc(16, 0x81) }))], // high bit set: 00 pad
      ['SERIAL_TOO_SHORT', () => buildOrganisationTbs(orgTemplate(ca, { serial: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]) }))],
      ['SERIAL_NOT_POSITIVE', () => replaceTbsField(buildOrganisationTbs(orgTemplate(ca)), 1, tlv(TAG.INTEGER, Buffer.alloc(16, 0xf0)))],
      ['KEY_ENCIPHERMENT_ON_EC', () => {
        const f = base();
        ext(f, OID.keyUsage).value = keyUsageValue(['keyEncipherment']);
        return encodeTbs(f);
      }],
      ['KEY_USAGE_NOT_DS_OR_KA', () => {
        const f = base();
        ext(f, OID.keyUsage).value = keyUsageValue(['nonRepudiation']);
        return encodeTbs(f);
      }],
      ['KEY_USAGE_MISSING', () => {
        const f = base();
        f.extensions = f.extensions.filter((e) => e.oid !== OID.keyUsage);
        return encodeTbs(f);
      }],
      ['POLICIES_NOT_SINGLE', () => {
        const f = base();
        ext(f, OID.certificatePolicies).value = certificatePoliciesValue([POLICY_OID, '1.2.826.0.1.1800000.1.2.1.4']);
        return encodeTbs(f);
      }],
      ['POLICY_HAS_QUALIFIERS', () => {
        const f = base();
        ext(f, OID.certificatePolicies).value = sequence(sequence(oid(POLICY_OID), sequence(sequence(oid('1.3.6.1.5.5.7.2.1'), tlv(TAG.IA5_STRING, Buffer.from('https://x'))))));
        return encodeTbs(f);
      }],
      ['SIG_ALG_NOT_ECDSA_SHA256', () => encodeTbs({ ...base(), signatureAlgorithmDer: sequence(oid(OID.ecdsaWithSha384)) })],
      ['SIG_ALG_HAS_PARAMS', () => encodeTbs({ ...base(), signatureAlgorithmDer: sequence(oid(OID.ecdsaWithSha256), NULL) })],
      ['KEY_NOT_P256', () => {
        const f = base();
        f.spkiDer = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'der', type: 'spki' });
        return encodeTbs(f);
      }],
      ['SKI_NOT_METHOD_2', () => {
        const f = base();
        ext(f, OID.subjectKeyIdentifier).value = octetString(Buffer.alloc(20, 7));
        return encodeTbs(f);
      }],
      ['SKI_CRITICAL', () => {
        const f = base();
        ext(f, OID.subjectKeyIdentifier).critical = true;
        return encodeTbs(f);
      }],
      ['AKI_MISSING', () => {
        const f = base();
        f.extensions = f.extensions.filter((e) => e.oid !== OID.authorityKeyIdentifier);
        return encodeTbs(f);
      }],
      ['AKI_NOT_KEY_ID_ONLY', () => {
        const f = base();
        ext(f, OID.authorityKeyIdentifier).value = sequence(tlv(0x80, ca.issuing.keyId), tlv(0x82, Buffer.from([1])));
        return encodeTbs(f);
      }],
      ['BASIC_CONSTRAINTS_PRESENT', () => {
        const f = base();
        f.extensions.push({ oid: OID.basicConstraints, critical: true, value: sequence() });
        return encodeTbs(f);
      }],
      ['UNEXPECTED_EXTENSION', () => {
        const f = base();
        f.extensions.push({ oid: OID.extKeyUsage, critical: false, value: sequence(oid('1.3.6.1.5.5.7.3.2')) });
        return encodeTbs(f);
      }],
      ['EXTENSION_DUPLICATE', () => {
        const f = base();
        f.extensions.push({ ...ext(f, OID.keyUsage) });
        return encodeTbs(f);
      }],
      ['EXTENSION_MALFORMED', () => {
        const f = base();
        ext(f, OID.certificatePolicies).value = Buffer.from([0x30, 0x05, 0x01]);
        return encodeTbs(f);
      }],
      ['VALIDITY_INVERTED', () => buildOrganisationTbs(orgTemplate(ca, { notBefore: new Date('2030-01-01T00:00:00Z'), notAfter: new Date('2029-01-01T00:00:00Z') }))],
      ['DATE_ENCODING', () => {
        const gen2030 = tlv(TAG.GENERALIZED_TIME, Buffer.from('20300101000000Z'));
        return replaceTbsField(buildOrganisationTbs(orgTemplate(ca)), 4, sequence(gen2030, tlv(TAG.GENERALIZED_TIME, Buffer.from('20400101000000Z'))));
      }],
      ['DATE_ENCODING', () => {
        const utc = tlv(TAG.UTC_TIME, Buffer.from('3001010000Z')); // no seconds
        return replaceTbsField(buildOrganisationTbs(orgTemplate(ca)), 4, sequence(utc, tlv(TAG.UTC_TIME, Buffer.from('360101000000Z'))));
      }],
      ['VERSION_NOT_V3', () => replaceTbsField(buildOrganisationTbs(orgTemplate(ca)), 0, tlv(0xa0, integer(1)))],
      ['SUBJECT_ORDER', () => {
        const f = base();
        const rdns = children(f.subjectNameDer, readWhole(f.subjectNameDer, 's')).map((t) => whole(f.subjectNameDer, t));
        f.subjectNameDer = sequence(...rdns.reverse());
        return encodeTbs(f);
      }],
      ['EUI_NOT_BIT_STRING', () => {
        const f = base();
        f.subjectNameDer = sequence(
          tlv(TAG.SET, sequence(oid(OID.organizationalUnitName), tlv(TAG.UTF8_STRING, Buffer.from('87')))),
          tlv(TAG.SET, sequence(oid(OID.x500UniqueIdentifier), tlv(TAG.UTF8_STRING, Buffer.from('90B3D51F30010000')))),
        );
        return encodeTbs(f);
      }],
      ['OU_NOT_UTF8', () => {
        const f = base();
        f.subjectNameDer = sequence(
          tlv(TAG.SET, sequence(oid(OID.organizationalUnitName), tlv(TAG.PRINTABLE_STRING, Buffer.from('87')))),
          tlv(TAG.SET, sequence(oid(OID.x500UniqueIdentifier), bitString(Buffer.from('90B3D51F30010000', 'hex')))),
        );
        return encodeTbs(f);
      }],
      ['EUI_MISSING', () => {
        const f = base();
        f.subjectNameDer = sequence(tlv(TAG.SET, sequence(oid(OID.organizationalUnitName), tlv(TAG.UTF8_STRING, Buffer.from('87')))));
        return encodeTbs(f);
      }],
      ['SUBJECT_UNEXPECTED_ATTRIBUTE', () => {
        const f = base();
        const rdns = children(f.subjectNameDer, readWhole(f.subjectNameDer, 's')).map((t) => whole(f.subjectNameDer, t));
        f.subjectNameDer = sequence(tlv(TAG.SET, sequence(oid(OID.organizationName), tlv(TAG.UTF8_STRING, Buffer.from('ACME')))), ...rdns);
        return encodeTbs(f);
      }],
      ['AKI_MISMATCH', () => buildOrganisationTbs(orgTemplate(ca, { authorityKeyId: Buffer.alloc(8, 1) }))],
      ['ISSUER_MISMATCH', () => buildOrganisationTbs(orgTemplate(ca, { issuerNameDer: ca.root.nameDer }))],
      ['VALIDITY_BEYOND_ISSUER', () => buildOrganisationTbs(orgTemplate(ca, { notAfter: new Date('2046-01-01T00:00:00Z') }))],
      ['CN_TOO_LONG', () => buildOrganisationTbs(orgTemplate(ca, { subject: { commonName: 'X'.repeat(65), ou: '87', eui: '90B3D51F30010000' as Eui64 } }))],
    ];
    const issuingInfo = readCaCertificate(ca.issuing.der);
    const expect = { issuerNameDer: ca.issuing.nameDer, authorityKeyId: ca.issuing.keyId, issuerNotBefore: issuingInfo.notBefore, issuerNotAfter: issuingInfo.notAfter };
    // Findings besides the one under test, where the tweak necessarily causes them.
    const ALSO: Partial<Record<LintCode, LintCode[]>> = { KEY_NOT_P256: ['SKI_NOT_METHOD_2'] };
    const ALSO_ON_CERT: Partial<Record<LintCode, LintCode[]>> = { SIG_ALG_NOT_ECDSA_SHA256: ['SIG_ALG_MISMATCH'], SIG_ALG_HAS_PARAMS: ['SIG_ALG_MISMATCH'] };
    cases.forEach(([code, make], i) => {
      it(`${code} (${i})`, () => {
        const tbs = make();
        const onTbs = codes(lintOrganisationTbs(tbs, expect));
        assert.deepEqual([...new Set(onTbs)], [code, ...(ALSO[code] ?? [])], `TBS lint: ${onTbs.join(', ')}`);
        const onCert = codes(lintOrganisationCertificate(signed(tbs), expect));
        assert.deepEqual([...new Set(onCert)], [code, ...(ALSO[code] ?? []), ...(ALSO_ON_CERT[code] ?? [])], `certificate lint: ${onCert.join(', ')}`);
      });
    });

    it('expectation mismatches: OU, EUI, keyUsage, policy', () => {
      const tbs = buildOrganisationTbs(orgTemplate(ca));
      const got = codes(lintOrganisationTbs(tbs, { ou: '02', eui: '90B3D51F30020000' as Eui64, keyUsage: 'keyAgreement', policyOid: '1.2.3.4' }));
      assert.deepEqual(got.sort(), ['EUI_MISMATCH', 'KEY_USAGE_MISMATCH', 'OU_MISMATCH', 'POLICY_MISMATCH']);
    });

    it('findings carry a rule message and a detail', () => {
      const f = lintOrganisationTbs(buildOrganisationTbs(orgTemplate(ca, { subject: { ou: '137', eui: '90B3D51F30010000' as Eui64 } })));
      assert.deepEqual(f, [{ code: 'OU_NOT_TWO_HEX', message: `${LINT_RULES.OU_NOT_TWO_HEX} ('137')` }]);
    });
  });

  describe('certificate-level checks and robustness', () => {
    it('SIG_ALG_MISMATCH and SIGNATURE_NOT_ECDSA_DER', () => {
      const tbs = buildOrganisationTbs(orgTemplate(ca));
      const mismatched = sequence(tbs, sequence(oid(OID.ecdsaWithSha384)), bitString(sign('sha256', tbs, throwaway)));
      assert.ok(codes(lintOrganisationCertificate(mismatched)).includes('SIG_ALG_MISMATCH'));
      const rawSig = assembleCertificate(tbs, Buffer.alloc(64, 1));
      assert.deepEqual(codes(lintOrganisationCertificate(rawSig)), ['SIGNATURE_NOT_ECDSA_DER']);
    });

    it('never throws: garbage is CERT_MALFORMED or TBS_MALFORMED', () => {
      for (const junk of [Buffer.alloc(0), Buffer.from('hello'), Buffer.from([0x30, 0x03, 0x02, 0x01]), Buffer.from([0x30, 0x80, 0, 0])]) {
        assert.deepEqual(codes(lintOrganisationCertificate(junk)), ['CERT_MALFORMED']);
        assert.deepEqual(codes(lintOrganisationTbs(junk)), ['TBS_MALFORMED']);
      }
      const inner = assembleCertificate(Buffer.from([0x30, 0x00]), sign('sha256', Buffer.alloc(1), throwaway));
      assert.ok(codes(lintOrganisationCertificate(inner)).includes('TBS_MALFORMED'));
      // A truncated extension value deep inside is a finding, not an exception.
      const f = organisationTbsFields(orgTemplate(ca));
      f.extensions[3]!.value = authorityKeyIdentifierValue(ca.issuing.keyId).subarray(0, 5);
      assert.ok(codes(lintOrganisationTbs(encodeTbs(f))).includes('EXTENSION_MALFORMED'));
    });
  });

  it('never throws on 2,000 mutated certificates, and the reader throws only InputError', () => {
    const der = issue(ca, orgTemplate(ca, { subject: { commonName: 'FUZZ', ou: '87', eui: '90B3D51F30010000' as Eui64 } }));
    let seed = 12345;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 2000; i++) {
      const m = Buffer.from(der);
      if (i % 4 === 0) m[rnd(m.length)] = rnd(256);
      else if (i % 4 === 1) m[rnd(m.length)]! ^= 1 << rnd(8);
      else if (i % 4 === 2) m[rnd(m.length)] = 0x80 | rnd(4);
      const input = i % 4 === 3 ? m.subarray(0, rnd(m.length)) : m;
      assert.ok(Array.isArray(lintOrganisationCertificate(input)));
      assert.ok(Array.isArray(lintOrganisationTbs(input)));
      try {
        readOrganisationCertificate(input);
      } catch (e) {
        assert.ok(e instanceof InputError && !e.message.includes('\n'), `${(e as Error).name}: ${(e as Error).message}`);
      }
    }
  });

  describe('the real ZAZ1 certificates', () => {
    // smki-domain.md A.3: the deviations a reader tolerates and an issuer must not copy, and no others.
    const EXPECTED: Record<string, LintCode[]> = {
      'xml-sign-00DB123456780004-ds': ['AKI_MISSING'],
      'xml-sign-90B3D51F30010000-ds': ['AKI_MISSING'],
      'xml-sign-90B3D51F30020000-ds': ['AKI_MISSING'],
      'dsp-xml-sign-90B3D51F30000002-ds': ['AKI_MISSING'],
      'otherUser-ds': ['BASIC_CONSTRAINTS_PRESENT'],
      'otherUser-ka': ['BASIC_CONSTRAINTS_PRESENT'],
      'mdr-ds': ['SIG_ALG_HAS_PARAMS'],
      'mdr-ka': ['SIG_ALG_HAS_PARAMS'],
    };
    const ks = JSON.parse(readFileSync(`${DIR}dccboxed-keystore.json`, 'utf8')) as Record<string, Record<string, Record<string, { certificate: string; name: string }>>>;

    it('all 33 lint clean except the documented deviations', () => {
      let n = 0;
      for (const byUsage of Object.values(ks))
        for (const bySerial of Object.values(byUsage))
          for (const e of Object.values(bySerial)) {
            const der = derFromInput(e.certificate, ['CERTIFICATE'], e.name);
            assert.deepEqual(codes(lintOrganisationCertificate(der)), EXPECTED[e.name] ?? [], e.name);
            n++;
          }
      assert.equal(n, 33);
    });

    it('flags the legacy OU 137 of dsp-xml-sign pre-1.4.1', () => {
      const der = derFromInput(readFileSync(`${DIR}dsp-xml-sign-90B3D51F30000002-ds-pre-1.4.1.pem`, 'utf8'), ['CERTIFICATE'], 'legacy');
      assert.deepEqual(codes(lintOrganisationCertificate(der)), ['OU_NOT_TWO_HEX', 'AKI_MISSING']);
      for (const f of readdirSync(DIR).filter((x) => /^Z1-.*\.pem$/.test(x))) {
        const d = derFromInput(readFileSync(`${DIR}${f}`, 'utf8'), ['CERTIFICATE'], f);
        assert.deepEqual(lintOrganisationCertificate(d), [], f);
      }
    });
  });
});
