import { strict as assert } from 'node:assert';
import { generateKeyPairSync, createPrivateKey, sign, verify } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OID, TAG, children, decodeTbs, readWhole, sequence, oid, bitString, NULL } from '../../src/ca/asn1.js';
import {
  assembleCertificate,
  buildOrganisationTbs,
  encodeTbs,
  newSerial,
  organisationTbsFields,
  readOrganisationCertificate,
  subjectKeyIdentifier,
  type OrganisationCertificateTemplate,
} from '../../src/ca/organisation-certificate.js';
import { toPem } from '../../src/ca/pem.js';
import { InputError } from '../../src/domain/errors.js';
import type { Eui64 } from '../../src/domain/eui.js';
import { remotePartyRoleName } from '../../src/domain/roles.js';
import { makeCsr } from '../support/csr.js';
import { makeTestCa, orgTemplate, issue } from '../support/ca-chain.js';

const DIR = fileURLToPath(new URL('../../fixtures/public/smki-certs/', import.meta.url));
type Entry = { certificate: string; privateKey?: string; name: string; role: number };
const KEYSTORE = JSON.parse(readFileSync(`${DIR}dccboxed-keystore.json`, 'utf8')) as Record<string, Record<string, Record<string, Entry>>>;

function keystoreEntries(): { eui: string; usage: string; serial: string; entry: Entry }[] {
  const out = [];
  for (const [eui, byUsage] of Object.entries(KEYSTORE))
    for (const [usage, bySerial] of Object.entries(byUsage)) for (const [serial, entry] of Object.entries(bySerial)) out.push({ eui, usage, serial, entry });
  return out;
}

const byName = (name: string): Entry => keystoreEntries().find((e) => e.entry.name === name)!.entry;
const isOneLineInputError = (e: unknown): boolean => e instanceof InputError && !e.message.includes('\n') && e.message.length > 0;

describe('ca/organisation-certificate: reader', () => {
  const entries = keystoreEntries();

  it('the keystore holds the 33 ZAZ1 Organisation Certificates', () => {
    assert.equal(entries.length, 33);
  });

  for (const { eui, usage, serial, entry } of entries) {
    it(`reads ${entry.name} as its keystore key /${eui}/${usage}/${serial} says`, () => {
      const info = readOrganisationCertificate(entry.certificate);
      assert.equal(info.eui, eui.toUpperCase());
      assert.deepEqual(info.keyUsage, [usage]);
      assert.equal(info.serialDecimal, serial);
      assert.equal(BigInt(`0x${info.serialHex}`).toString(), serial);
      assert.equal(info.remotePartyRole, entry.role);
      assert.equal(info.roleOu, entry.role.toString(16).toUpperCase().padStart(2, '0'));
      assert.ok(info.subjectText.includes(`OU=${info.roleOu}`));
      assert.ok(info.subjectText.startsWith(`2.5.4.45=#030900${eui.toUpperCase()}`));
      assert.ok(remotePartyRoleName(info.remotePartyRole), `role ${info.remotePartyRole} has a name`);
      assert.deepEqual(info.policyOids, ['1.2.826.0.1.8641679.1.2.1.4']);
      assert.equal(info.keyUsageCritical, true);
      // SKI is method (2) on every one of them (smki-domain.md A.3).
      assert.deepEqual(info.ski, subjectKeyIdentifier(info.spkiDer));
      // The key pair in the keystore belongs to the certificate.
      const key = createPrivateKey(entry.privateKey!);
      if (usage === 'digitalSignature') assert.ok(verify('sha256', Buffer.from('x'), info.publicKey, sign('sha256', Buffer.from('x'), key)));
      else assert.equal(info.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    });
  }

  it('reports the issuer as DCC writes X509IssuerName, whatever the string type', () => {
    const printable = readOrganisationCertificate(byName('Z1-supplier-ds').certificate);
    const utf8 = readOrganisationCertificate(byName('xml-sign-90B3D51F30010000-ds').certificate);
    assert.equal(printable.issuerText, 'CN=Z1,OU=07');
    assert.equal(utf8.issuerText, 'CN=Z1,OU=07');
    assert.notDeepEqual(printable.issuerNameDer, utf8.issuerNameDer); // PrintableString vs UTF8String
    assert.equal(readOrganisationCertificate(byName('mdr-ds').certificate).issuerText, 'CN=Z99,OU=07');
    assert.equal(readOrganisationCertificate(byName('otherUser-ds').certificate).issuerText, 'CN=OB,OU=07');
  });

  it('tolerates the quirks: no AKI and GeneralizedTime 2118, NULL signature parameters, basicConstraints', () => {
    const xml = readOrganisationCertificate(byName('xml-sign-90B3D51F30010000-ds').certificate);
    assert.equal(xml.aki, undefined);
    assert.equal(xml.notAfter.toISOString(), '2118-01-01T00:00:00.000Z');
    assert.equal(xml.roleOu, '87');
    const mdr = readOrganisationCertificate(byName('mdr-ds').certificate);
    assert.equal(mdr.signatureAlgorithmOid, OID.ecdsaWithSha256);
    assert.equal(mdr.commonName, 'MDR');
    assert.equal(mdr.roleOu, '7F');
    assert.equal(mdr.remotePartyRole, 127);
    const other = readOrganisationCertificate(byName('otherUser-ds').certificate);
    assert.ok(other.extensionOids.includes(OID.basicConstraints));
    const sup = readOrganisationCertificate(byName('Z1-supplier-ds').certificate);
    assert.equal(sup.commonName, 'GITTESTSUPPLIER');
    assert.equal(sup.aki!.toString('hex').toUpperCase(), '4F5688D7EC933BE2');
    assert.equal(sup.subjectText, '2.5.4.45=#03090090B3D51F30010000,OU=02,CN=GITTESTSUPPLIER');
    assert.equal(sup.notBefore.toISOString(), '2015-10-30T00:00:00.000Z');
    assert.equal(sup.notAfter.toISOString(), '2025-10-29T23:59:59.000Z');
  });

  it('reads the legacy dsp-xml-sign OU 137 as written (lint flags it)', () => {
    const legacy = readOrganisationCertificate(readFileSync(`${DIR}dsp-xml-sign-90B3D51F30000002-ds-pre-1.4.1.pem`, 'utf8'));
    assert.equal(legacy.roleOu, '137');
    assert.equal(legacy.remotePartyRole, 0x89);
    assert.equal(legacy.serialHex, '261E9CCC40A78FD13D83BCE07DACFE08');
    assert.equal(legacy.serialDecimal, '50669612984035780968362471400449834504');
  });

  it('reads every PEM fixture, from PEM text, PEM bytes, DER and bare base64', () => {
    for (const f of readdirSync(DIR).filter((n) => n.endsWith('.pem'))) {
      const pem = readFileSync(`${DIR}${f}`, 'utf8');
      const a = readOrganisationCertificate(pem);
      const b = readOrganisationCertificate(Buffer.from(pem));
      const c = readOrganisationCertificate(a.der);
      const d = readOrganisationCertificate(a.der.toString('base64'));
      for (const x of [b, c, d]) {
        assert.equal(x.serialHex, a.serialHex);
        assert.equal(x.eui, a.eui);
      }
      const m = /^(?:.*-)?([0-9A-F]{16})-/.exec(f);
      if (m) assert.equal(a.eui, m[1], f);
    }
    assert.equal(readOrganisationCertificate(readFileSync(`${DIR}Z1-supplier-ds.pem`, 'utf8')).serialHex, '4FBC525201A1D7586C1BC1C4734DEB9F');
  });

  it('throws a one-line InputError for what is not an Organisation Certificate', async () => {
    const ca = makeTestCa();
    const good = issue(ca, orgTemplate(ca)).toString('base64');
    const csr = await makeCsr({ eui: '90B3D51F30010000' });
    const rsaSigned = (() => {
      const tbs = buildOrganisationTbs(orgTemplate(ca));
      return sequence(tbs, sequence(oid(OID.sha256WithRsa), NULL), bitString(Buffer.alloc(256, 1)));
    })();
    const noEui = (() => {
      const f = organisationTbsFields(orgTemplate(ca));
      f.subjectNameDer = ca.issuing.nameDer;
      return assembleCertificate(encodeTbs(f), Buffer.alloc(70));
    })();
    const badOu = issue(ca, orgTemplate(ca, { subject: { ou: 'XYZ', eui: '90B3D51F30010000' as Eui64 } }));
    const shortEui = issue(ca, orgTemplate(ca, { subject: { ou: '87', eui: '90B3D51F300100' as Eui64 } }));
    const cases: [string, Buffer | string][] = [
      ['empty', ''],
      ['empty buffer', Buffer.alloc(0)],
      ['garbage text', 'hello world'],
      ['garbage bytes', Buffer.from([0x30, 0x82, 0xff, 0xff, 0x01])],
      ['truncated DER', Buffer.from(good, 'base64').subarray(0, 200)],
      ['truncated PEM', toPem(Buffer.from(good, 'base64'), 'CERTIFICATE').slice(0, 300)],
      ['a CSR', csr.pem],
      ['a CA certificate', ca.issuing.der],
      ['an RSA signature', rsaSigned],
      ['no OU/EUI', noEui],
      ['OU not a role', badOu],
      ['EUI of 7 octets', shortEui],
      ['trailing data', Buffer.concat([Buffer.from(good, 'base64'), Buffer.from([0])])],
    ];
    for (const [name, input] of cases) {
      assert.throws(() => readOrganisationCertificate(input), isOneLineInputError, name);
    }
  });
});

describe('ca/organisation-certificate: builder', () => {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spkiDer = keys.publicKey.export({ format: 'der', type: 'spki' });
  const aki = Buffer.from('4F5688D7EC933BE2', 'hex');
  const issuer = readOrganisationCertificate(byName('xml-sign-90B3D51F30010000-ds').certificate).issuerNameDer;
  const template = (over: Partial<OrganisationCertificateTemplate> = {}): OrganisationCertificateTemplate => ({
    serial: Buffer.from('14BE4AD2EA1D0E4EC7F7156BD24624A7', 'hex'),
    issuerNameDer: issuer,
    subject: { ou: '87', eui: '90B3D51F30010000' as Eui64 },
    spkiDer,
    keyUsage: 'digitalSignature',
    policyOid: '1.2.826.0.1.8641679.1.2.1.4',
    notBefore: new Date('2026-01-01T00:00:00.000Z'),
    notAfter: new Date('2036-01-01T00:00:00.000Z'),
    authorityKeyId: aki,
    ...over,
  });

  it('reproduces 25 real ZAZ1 TBSCertificates byte for byte from their facts', () => {
    let same = 0;
    for (const { entry } of keystoreEntries()) {
      const i = readOrganisationCertificate(entry.certificate);
      if (!i.aki || i.extensionOids.join() !== [OID.keyUsage, OID.subjectKeyIdentifier, OID.certificatePolicies, OID.authorityKeyIdentifier].join()) continue;
      const tbs = buildOrganisationTbs({
        serial: Buffer.from(i.serialHex, 'hex'),
        issuerNameDer: i.issuerNameDer,
        subject: { ...(i.commonName ? { commonName: i.commonName } : {}), ou: i.roleOu, eui: i.eui },
        spkiDer: i.spkiDer,
        keyUsage: i.keyUsage[0] as 'digitalSignature' | 'keyAgreement',
        policyOid: i.policyOids[0]!,
        notBefore: i.notBefore,
        notAfter: i.notAfter,
        authorityKeyId: i.aki,
      });
      assert.deepEqual(tbs, i.tbsDer, `${entry.name}`);
      same++;
    }
    assert.equal(same, 25);
  });

  it('writes the subject, extensions and algorithm bytes of smki-domain.md A', () => {
    const tbs = buildOrganisationTbs(template({ subject: { commonName: 'SRP', ou: '87', eui: '90B3D51F30010000' as Eui64 } }));
    const hex = tbs.toString('hex').toUpperCase();
    assert.ok(hex.includes('0309' + '00' + '90B3D51F30010000'), 'EUI BIT STRING 03 09 00 + 8 octets');
    assert.ok(hex.includes('300A06082A8648CE3D040302'), 'ecdsa-with-SHA256 without parameters');
    assert.ok(hex.includes('060D2A863A000184 8FB90F01020104'.replace(' ', '')), 'policy OID');
    assert.ok(hex.includes('0603551D0F0101FF040403020780'), 'keyUsage critical digitalSignature');
    const d = decodeTbs(tbs);
    assert.equal(d.version, 2);
    assert.equal(d.serial.length, 16);
    assert.equal(d.notBefore.tag, TAG.UTC_TIME);
    assert.deepEqual(d.issuer, issuer);
    assert.deepEqual(
      d.extensions!.map((e) => [e.oid, e.critical]),
      [
        [OID.keyUsage, true],
        [OID.subjectKeyIdentifier, false],
        [OID.certificatePolicies, true],
        [OID.authorityKeyIdentifier, false],
      ],
    );
    const akiExt = d.extensions![3]!.value;
    assert.equal(akiExt.toString('hex').toUpperCase(), '300A8008' + '4F5688D7EC933BE2');
    const ski = d.extensions![1]!.value;
    assert.equal(ski.length, 10);
    assert.equal(ski[2]! >> 4, 0b0100);
    // Subject RDNs in DER order CN, OU, x500UniqueIdentifier, all single-valued.
    const subj = d.subject;
    const rdns = children(subj, readWhole(subj, 'subject'));
    assert.equal(rdns.length, 3);
    const ka = buildOrganisationTbs(template({ keyUsage: 'keyAgreement' })).toString('hex').toUpperCase();
    assert.ok(ka.includes('0603551D0F0101FF040403020308'), 'keyUsage critical keyAgreement');
  });

  it('round-trips through the reader', () => {
    const t = template({ subject: { commonName: 'ÜNICODE SRP', ou: '87', eui: '00DB123456780004' as Eui64 } });
    const tbs = buildOrganisationTbs(t);
    const der = assembleCertificate(tbs, sign('sha256', tbs, keys.privateKey));
    const i = readOrganisationCertificate(der);
    assert.equal(i.serialHex, '14BE4AD2EA1D0E4EC7F7156BD24624A7');
    assert.equal(i.commonName, 'ÜNICODE SRP');
    assert.equal(i.eui, '00DB123456780004');
    assert.equal(i.roleOu, '87');
    assert.equal(i.remotePartyRole, 0x87);
    assert.deepEqual(i.keyUsage, ['digitalSignature']);
    assert.deepEqual(i.aki, aki);
    assert.deepEqual(i.ski, subjectKeyIdentifier(spkiDer));
    assert.equal(i.issuerText, 'CN=Z1,OU=07');
    assert.ok(verify('sha256', i.tbsDer, keys.publicKey, i.signatureDer));
    assert.deepEqual(i.der.subarray(-i.signatureDer.length), i.signatureDer);
  });

  it('encodes dates as UTCTime before 2050 and GeneralizedTime from 2050, in whole seconds', () => {
    const t = template({ notBefore: new Date('2049-12-31T23:59:59.999Z'), notAfter: new Date('2050-01-01T00:00:00.000Z') });
    const d = decodeTbs(buildOrganisationTbs(t));
    assert.equal(d.notBefore.tag, TAG.UTC_TIME);
    assert.equal(d.notBefore.text, '491231235959Z');
    assert.equal(d.notAfter.tag, TAG.GENERALIZED_TIME);
    assert.equal(d.notAfter.text, '20500101000000Z');
    const far = decodeTbs(buildOrganisationTbs(template({ notAfter: new Date('2118-01-01T00:00:00Z') })));
    assert.equal(far.notAfter.text, '21180101000000Z');
  });

  it('subjectKeyIdentifier is RFC 5280 method (2): 0100 + low 60 bits of SHA-1', () => {
    const ski = subjectKeyIdentifier(spkiDer);
    assert.equal(ski.length, 8);
    assert.equal(ski[0]! >> 4, 4);
    assert.throws(() => subjectKeyIdentifier(Buffer.from('3000', 'hex')), InputError);
  });

  it('writes what the generic encoder writes from the same fields, whichever CA, profile and validity came before', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'der', type: 'spki' });
    const variants: Partial<OrganisationCertificateTemplate>[] = [
      {},
      { subject: { commonName: 'SRP', ou: '87', eui: '90B3D51F30010000' as Eui64 } },
      { subject: { commonName: 'Ü'.repeat(80), ou: '87', eui: '90B3D51F30010000' as Eui64 } },
      { keyUsage: 'keyAgreement' },
      { policyOid: '1.2.826.0.1.8641679.1.2.1.5' },
      { authorityKeyId: Buffer.from('0102030405060708090A0B0C0D0E0F1011121314', 'hex') },
      { issuerNameDer: sequence() },
      { serial: Buffer.alloc(16, 0x81) },
      { serial: Buffer.from([0, 0, 5]) },
      { notBefore: new Date('2049-12-31T23:59:59.999Z'), notAfter: new Date('2118-01-01T00:00:00Z') },
      { spkiDer: other },
      {},
    ];
    for (const v of variants) {
      const t = template(v);
      assert.deepEqual(buildOrganisationTbs(t), encodeTbs(organisationTbsFields(t)), JSON.stringify(v));
    }
  });

  it('newSerial gives 16 octets, positive, high bit clear, no 00 pad', () => {
    for (let i = 0; i < 200; i++) {
      const s = newSerial();
      assert.equal(s.length, 16);
      assert.ok(s[0]! > 0 && s[0]! < 0x80);
    }
  });
});
