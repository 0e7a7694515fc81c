import { strict as assert } from 'node:assert';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Eui64 } from '../../src/domain/eui.js';
import {
  classifyPaymentMode,
  decodeDlmsDateTime,
  encodeGeneralSigning,
  encodeLength,
  gbcsSigningKeyFromCertificate,
  GbcsFormatError,
  generalSigningFromCommand,
  parseGeneralSigning,
  rewriteHeader,
  signPreCommand,
  verifyGbcsSignature,
  type GeneralSigningMessage,
} from '../../src/gate/gbcs.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/public/', import.meta.url));
const GBCS_DIR = `${FIXTURES}gbcs/`;
const CERTS_DIR = `${FIXTURES}smki-certs/`;

const hexFile = (name: string): Buffer => Buffer.from(readFileSync(`${GBCS_DIR}${name}`, 'utf8').trim(), 'hex');
const privateKey = (name: string): KeyObject => createPrivateKey({ key: readFileSync(`${CERTS_DIR}${name}`), format: 'der', type: 'pkcs8' });
const publicKey = (name: string): KeyObject => gbcsSigningKeyFromCertificate(readFileSync(`${CERTS_DIR}${name}`));

const SUPPLIER_KEY = privateKey('Z1-supplier-ds.key');
const SUPPLIER_CERT = publicKey('Z1-supplier-ds.pem');
const SUPPLIER2_KEY = privateKey('Z1-supplier2-ds.key');
const SUPPLIER2_CERT = publicKey('Z1-supplier2-ds.pem');

const SUPPLIER = '90B3D51F30010000' as Eui64;
const ESME = '00DB1234567890A0' as Eui64;
const GSME = '00DB1234567890A1' as Eui64;

/** Every RTDS SR 1.6 Pre-Command: originator counter and message code (smki-domain B.4, B.5). */
const PRECOMMANDS: Record<string, { counter: bigint; code: number }> = {
  ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS: { counter: 1002n, code: 0x001a },
  ECS02_1_6_CANCELLATION_TWIN_SUCCESS: { counter: 1004n, code: 0x001a },
  ECS02_1_6_FUTURE_DATED_TWIN_SUCCESS: { counter: 1005n, code: 0x001a },
  ECS02_1_6_IMMEDIATE_SINGLE_ERROR: { counter: 1006n, code: 0x001a },
  ECS03_1_6_IMMEDIATE_SINGLE_SUCCESS: { counter: 1010n, code: 0x001b },
  ECS03_1_6_FUTURE_DATED_TWIN_SUCCESS: { counter: 1011n, code: 0x001b },
  ECS03_1_6_CANCELLATION_TWIN_SUCCESS: { counter: 1012n, code: 0x001b },
  ECS03_1_6_IMMEDIATE_SINGLE_ERROR: { counter: 1013n, code: 0x001b },
  GCS02_1_6_IMMEDIATE_SUCCESS: { counter: 1000n, code: 0x006c },
  GCS02_1_6_FUTURE_DATED_SUCCESS: { counter: 1001n, code: 0x006c },
  GCS02_1_6_CANCELLATION_SUCCESS: { counter: 1002n, code: 0x006c },
  GCS02_1_6_IMMEDIATE_ERROR: { counter: 1004n, code: 0x006c },
  GCS03_1_6_IMMEDIATE_SUCCESS: { counter: 1004n, code: 0x006d },
  GCS03_1_6_FUTURE_DATED_SUCCESS: { counter: 1005n, code: 0x006d },
  GCS03_1_6_CANCELLATION_SUCCESS: { counter: 1006n, code: 0x006d },
  GCS03_1_6_IMMEDIATE_ERROR: { counter: 1008n, code: 0x006d },
};
const fileStem = (key: string): string => key.replace('_1_6_', '_1.6_');
const preCommand = (key: string): Buffer => hexFile(`${fileStem(key)}_PRECOMMAND_GBCS.HEX`);
const command = (key: string): Buffer => hexFile(`${fileStem(key)}_COMMAND_GBCS.HEX`);

/** Derived GCS02 immediate Signed Pre-Command (smki-domain.md, public test vectors): PRECOMMAND || 40 || sig. */
const DERIVED_GCS02_SIGNED_PRECOMMAND =
  '3wkBAAAAAAAAA+gIkLPVHzABAAAIANsSNFZ4kKEAAgBsHQEJAQEHBQAVAQAGAAAAAIBKNxwAAAAAlAz/////QG8rE4kGBYaM+AqsKSdCW4JsWpmKAdTOaIPBo6Mn7TLycEmSC9rIw5kbHP8TisxleJ9gJgRbJ78yo6uNPMWFPY0=';

const isFormatError = (e: unknown): boolean => e instanceof GbcsFormatError && !String((e as Error).message).includes('\n');

/** The same message with its content replaced and its message code set. */
function withContent(msg: GeneralSigningMessage, messageCode: number, content: Buffer): GeneralSigningMessage {
  return parseGeneralSigning(
    encodeGeneralSigning({
      cra: msg.cra,
      originatorCounter: msg.originatorCounter,
      originator: msg.originator,
      recipient: msg.recipient,
      otherInformation: { messageCode },
      content,
    }),
  );
}

describe('gate/gbcs', () => {
  describe('parseGeneralSigning', () => {
    it('parses every GBCS vector (Pre-Commands, responses, alerts, and the General-Signing inside every Command)', () => {
      const files = readdirSync(GBCS_DIR).filter((f) => f.endsWith('_GBCS.HEX'));
      assert.ok(files.length >= 50);
      for (const f of files) {
        const bytes = hexFile(f);
        const msg = parseGeneralSigning(f.includes('_COMMAND_') ? generalSigningFromCommand(bytes) : bytes);
        assert.equal(msg.signatureForm, f.includes('_PRECOMMAND_') ? 'absent' : 'present', f);
        assert.equal(msg.cra, f.includes('_RESPONSE_') ? 'response' : f.includes('_ALERT_') ? 'alert' : 'command', f);
      }
    });

    for (const [key, want] of Object.entries(PRECOMMANDS)) {
      it(`${key} PRECOMMAND: header fields match the RequestID and use case`, () => {
        const msg = parseGeneralSigning(preCommand(key));
        assert.equal(msg.cra, 'command');
        assert.equal(msg.originatorCounter, want.counter);
        assert.equal(msg.originator, SUPPLIER);
        assert.equal(msg.recipient, key.startsWith('E') ? ESME : GSME);
        assert.equal(msg.messageCode, want.code);
        assert.deepEqual(msg.otherInformation, { messageCode: want.code });
        assert.equal(msg.dateTime, undefined);
        assert.equal(msg.signatureForm, 'absent');
        assert.equal(msg.signature, undefined);
      });
    }

    it('ECS02 immediate: header, content and signed part at the documented offsets', () => {
      const bytes = preCommand('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS');
      const msg = parseGeneralSigning(bytes);
      assert.equal(msg.originatorCounter, 1002n);
      assert.equal(msg.originator, '90B3D51F30010000');
      assert.equal(msg.recipient, '00DB1234567890A0');
      assert.equal(msg.messageCode, 0x001a);
      assert.equal(msg.contentOffset, 34);
      assert.equal(msg.content.length, 0x66);
      assert.equal(msg.content[0], 0xd9);
      assert.deepEqual(msg.signedPart, bytes.subarray(1));
    });

    it('accepts the DUIS null signature octet (00) after the content', () => {
      const bytes = Buffer.concat([preCommand('GCS02_1_6_IMMEDIATE_SUCCESS'), Buffer.from([0x00])]);
      const msg = parseGeneralSigning(bytes);
      assert.equal(msg.signatureForm, 'null');
      assert.equal(msg.signature, undefined);
      assert.deepEqual(msg.signedPart, bytes.subarray(1, bytes.length - 1));
    });

    it('reads a present date-time (a response carries 2015-01-01 00:00:00, deviation not specified)', () => {
      const msg = parseGeneralSigning(hexFile('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_RESPONSE_GBCS.HEX'));
      assert.equal(msg.dateTime?.bytes.toString('hex'), '07df0101ff000000008000ff');
      assert.equal(msg.dateTime?.year, 2015);
      assert.equal(msg.dateTime?.month, 1);
      assert.equal(msg.dateTime?.day, 1);
      assert.equal(msg.dateTime?.hour, 0);
      assert.equal(msg.dateTime?.deviation, undefined);
      const wild = decodeDlmsDateTime(Buffer.from('ffffffffffffffffff8000ff', 'hex'));
      assert.equal(wild.year, undefined);
      assert.equal(wild.month, undefined);
      assert.equal(wild.hour, undefined);
    });

    it('round-trips every other-information form, a date-time and multi-octet content lengths', () => {
      const cert = Buffer.from(
        readFileSync(`${CERTS_DIR}Z1-supplier-ds.pem`, 'utf8').replace(/-----[^-]+-----|\s/g, ''),
        'base64',
      );
      const forms = [
        { messageCode: 0x001a },
        { messageCode: 0x0008, supplementaryRemotePartyId: '90B3D51F30020000' as Eui64 },
        { messageCode: 0x0008, supplementaryRemotePartyId: '90B3D51F30020000' as Eui64, supplementaryRemotePartyCounter: 7n },
        {
          messageCode: 0x0008,
          supplementaryRemotePartyId: '90B3D51F30020000' as Eui64,
          supplementaryRemotePartyCounter: 7n,
          supplementaryOriginatorCounter: 0xffffffffffffffffn,
        },
        {
          messageCode: 0x0008,
          supplementaryRemotePartyId: '90B3D51F30020000' as Eui64,
          supplementaryRemotePartyCounter: 7n,
          supplementaryRemotePartyCertificate: cert,
        },
      ];
      const dateTime = Buffer.from('07ee010fff090000008000ff', 'hex');
      for (const otherInformation of forms) {
        for (const size of [1, 0x7f, 0x80, 0xff, 0x100, 0x1234, 0x10000]) {
          const content = Buffer.alloc(size, 0xa5);
          const bytes = encodeGeneralSigning({
            originatorCounter: 0x0102030405060708n,
            originator: SUPPLIER,
            recipient: ESME,
            dateTime,
            otherInformation,
            content,
            signature: Buffer.alloc(64, 1),
          });
          const msg = parseGeneralSigning(bytes);
          assert.deepEqual(msg.otherInformation, otherInformation);
          assert.equal(msg.originatorCounter, 0x0102030405060708n);
          assert.deepEqual(msg.dateTime?.bytes, dateTime);
          assert.equal(msg.dateTime?.year, 2030);
          assert.deepEqual(msg.content, content);
          assert.equal(msg.signatureForm, 'present');
          assert.equal(msg.contentOffset + size + 1 + 64, bytes.length);
        }
      }
      assert.deepEqual(encodeLength(0x7f), Buffer.from([0x7f]));
      assert.deepEqual(encodeLength(0x80), Buffer.from([0x81, 0x80]));
      assert.deepEqual(encodeLength(0x1234), Buffer.from([0x82, 0x12, 0x34]));
      assert.deepEqual(encodeLength(0x10000), Buffer.from([0x83, 0x01, 0x00, 0x00]));
    });

    it('refuses a truncation at every length with a GbcsFormatError (except the unsigned form at the end of the content)', () => {
      const signed = generalSigningFromCommand(command('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS'));
      const endOfContent = 1 + parseGeneralSigning(signed).signedPart.length;
      for (let len = 0; len < signed.length; len++) {
        const cut = signed.subarray(0, len);
        if (len === endOfContent) {
          assert.equal(parseGeneralSigning(cut).signatureForm, 'absent');
          continue;
        }
        assert.throws(() => parseGeneralSigning(cut), isFormatError, `length ${len}`);
      }
      // A Pre-Command carrying the DUIS null octet, cut anywhere before its content ends.
      const pre = Buffer.concat([preCommand('GCS02_1_6_IMMEDIATE_SUCCESS'), Buffer.from([0])]);
      for (let len = 0; len < pre.length - 1; len++) {
        assert.throws(() => parseGeneralSigning(pre.subarray(0, len)), isFormatError, `length ${len}`);
      }
    });

    it('never reads outside a sub-array it is given (the surrounding memory is not part of the message)', () => {
      const signed = generalSigningFromCommand(command('GCS02_1_6_IMMEDIATE_SUCCESS'));
      const backing = Buffer.concat([Buffer.alloc(7, 0xee), signed, Buffer.alloc(7, 0xee)]);
      const view = new Uint8Array(backing.buffer, backing.byteOffset + 7, signed.length);
      assert.deepEqual(parseGeneralSigning(view).signedPart, parseGeneralSigning(signed).signedPart);
      const shortView = new Uint8Array(backing.buffer, backing.byteOffset + 7, signed.length - 1);
      assert.throws(() => parseGeneralSigning(shortView), isFormatError);
    });

    it('refuses trailing garbage and wrong signature lengths', () => {
      const pre = preCommand('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS');
      const signed = generalSigningFromCommand(command('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS'));
      const cases: [string, Buffer][] = [
        ['signed + 00', Buffer.concat([signed, Buffer.from([0x00])])],
        ['signed + 40', Buffer.concat([signed, Buffer.from([0x40])])],
        ['null signature + 00', Buffer.concat([pre, Buffer.from([0x00, 0x00])])],
        ['null signature + garbage', Buffer.concat([pre, Buffer.from([0x00, 0x12, 0x34])])],
        ['signature length 0x41', Buffer.concat([pre, Buffer.from([0x41]), Buffer.alloc(0x41)])],
        ['signature length 0x20', Buffer.concat([pre, Buffer.from([0x20]), Buffer.alloc(0x20)])],
        ['63-octet signature', Buffer.concat([pre, Buffer.from([0x40]), Buffer.alloc(63)])],
      ];
      for (const [what, bytes] of cases) assert.throws(() => parseGeneralSigning(bytes), isFormatError, what);
    });

    it('names the field and the offset, and refuses each broken header field', () => {
      const pre = preCommand('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS');
      const patched = (offset: number, value: number) => {
        const b = Buffer.from(pre);
        b[offset] = value;
        return b;
      };
      const expect = (bytes: Buffer, field: string, offset: number) =>
        assert.throws(
          () => parseGeneralSigning(bytes),
          (e: unknown) => isFormatError(e) && (e as GbcsFormatError).field === field && (e as GbcsFormatError).offset === offset && (e as Error).message.includes(`offset ${offset}`),
          `${field} @${offset}`,
        );
      expect(Buffer.alloc(0), 'General-Signing tag', 0);
      expect(patched(0, 0xdd), 'General-Signing tag', 0);
      expect(patched(1, 0x08), 'transaction-id length', 1);
      expect(patched(2, 0x04), 'CRA flag', 2);
      expect(patched(2, 0x00), 'CRA flag', 2);
      expect(patched(11, 0x07), 'originator system title length', 11);
      expect(patched(20, 0x09), 'recipient system title length', 20);
      expect(patched(29, 0x05), 'date-time length', 29);
      expect(patched(29, 0x80), 'date-time length', 29);
      expect(patched(30, 0x03), 'other-information length', 30);
      expect(patched(30, 0x01), 'other-information length', 30);
      expect(patched(33, 0x00), 'content length', 33);
      expect(patched(33, 0x67), 'content', 34);
      expect(patched(33, 0x84), 'content length', 33);
      // Non-minimal length 81 66 for a 0x66-octet content.
      const nonMinimal = Buffer.concat([pre.subarray(0, 33), Buffer.from([0x81, 0x66]), pre.subarray(34)]);
      expect(nonMinimal, 'content length', 33);
      const longer = Buffer.concat([pre.subarray(0, 33), Buffer.from([0x82, 0x00, 0x66]), pre.subarray(34)]);
      expect(longer, 'content length', 33);
    });

    it('unwraps the General-Ciphering wrapper of a Command and refuses a damaged wrapper', () => {
      const cmd = command('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS');
      const gs = generalSigningFromCommand(cmd);
      assert.equal(gs[0], 0xdf);
      assert.equal(gs.length, cmd.length - 7 - 2 - 5 - 12);
      assert.throws(() => generalSigningFromCommand(gs), isFormatError);
      assert.throws(() => generalSigningFromCommand(cmd.subarray(0, cmd.length - 1)), isFormatError);
      assert.throws(() => generalSigningFromCommand(Buffer.concat([cmd, Buffer.from([0])])), isFormatError);
    });
  });

  describe('classifyPaymentMode', () => {
    for (const key of Object.keys(PRECOMMANDS)) {
      const useCase = key.slice(0, 5);
      const credit = useCase === 'ECS02' || useCase === 'GCS02';
      it(`${key}: ${useCase} is ${credit ? 'Credit' : 'Prepayment (not Credit)'}`, () => {
        for (const bytes of [preCommand(key), generalSigningFromCommand(command(key))]) {
          const c = classifyPaymentMode(parseGeneralSigning(bytes));
          assert.equal(c.useCase, useCase);
          assert.equal(c.fuel, useCase.startsWith('E') ? 'electricity' : 'gas');
          assert.equal(c.messageCode, PRECOMMANDS[key]!.code);
          assert.equal(c.credit, credit);
          assert.equal(c.payloadMode, credit ? 'credit' : 'prepayment');
          assert.equal(c.reason, credit ? undefined : 'PAYMENT_MODE_NOT_CREDIT');
        }
      });
    }

    it('a Credit message code over a prepayment payload is not Credit (ECS03 content under 0x001A, GCS03 under 0x006C)', () => {
      const ecs02 = parseGeneralSigning(preCommand('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS'));
      const ecs03 = parseGeneralSigning(preCommand('ECS03_1_6_IMMEDIATE_SINGLE_SUCCESS'));
      const e = classifyPaymentMode(withContent(ecs02, 0x001a, ecs03.content));
      assert.equal(e.useCase, 'ECS02');
      assert.equal(e.credit, false);
      assert.equal(e.payloadMode, 'prepayment');
      assert.equal(e.reason, 'PAYMENT_MODE_NOT_CREDIT');
      for (const key of ['GCS03_1_6_IMMEDIATE_SUCCESS', 'GCS03_1_6_FUTURE_DATED_SUCCESS', 'GCS03_1_6_CANCELLATION_SUCCESS']) {
        const gcs02 = parseGeneralSigning(preCommand('GCS02_1_6_IMMEDIATE_SUCCESS'));
        const g = classifyPaymentMode(withContent(gcs02, 0x006c, parseGeneralSigning(preCommand(key)).content));
        assert.equal(g.useCase, 'GCS02');
        assert.equal(g.credit, false, key);
        assert.equal(g.payloadMode, 'prepayment', key);
        assert.equal(g.reason, 'PAYMENT_MODE_NOT_CREDIT');
      }
    });

    it('a Prepayment message code over a Credit payload is still not Credit', () => {
      const ecs03 = parseGeneralSigning(preCommand('ECS03_1_6_IMMEDIATE_SINGLE_SUCCESS'));
      const ecs02 = parseGeneralSigning(preCommand('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS'));
      const c = classifyPaymentMode(withContent(ecs03, 0x001b, ecs02.content));
      assert.equal(c.useCase, 'ECS03');
      assert.equal(c.payloadMode, 'credit');
      assert.equal(c.credit, false);
      assert.equal(c.reason, 'PAYMENT_MODE_NOT_CREDIT');
    });

    it('content of the other fuel under a Credit code is malformed, not Credit', () => {
      const ecs02 = parseGeneralSigning(preCommand('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS'));
      const gcs02 = parseGeneralSigning(preCommand('GCS02_1_6_IMMEDIATE_SUCCESS'));
      const a = classifyPaymentMode(withContent(ecs02, 0x001a, gcs02.content));
      assert.equal(a.credit, false);
      assert.equal(a.reason, 'GBCS_MALFORMED');
      assert.match(a.why!, /Access-Request tag/);
      const b = classifyPaymentMode(withContent(gcs02, 0x006c, ecs02.content));
      assert.equal(b.credit, false);
      assert.equal(b.reason, 'GBCS_MALFORMED');
      assert.match(b.why!, /GBZ profile id/);
    });

    it('ECS02: payment_mode 2, a missing or doubled attribute 2, or an extra ACTION is not Credit', () => {
      const ecs02 = parseGeneralSigning(preCommand('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS'));
      const content = ecs02.content;
      const modeAt = content.indexOf(Buffer.from('020216011601', 'hex'));
      assert.ok(modeAt > 0);

      const prepay = Buffer.from(content);
      prepay[modeAt + 3] = 0x02;
      const p = classifyPaymentMode(withContent(ecs02, 0x001a, prepay));
      assert.equal(p.credit, false);
      assert.equal(p.payloadMode, 'prepayment');

      const odd = Buffer.from(content);
      odd[modeAt + 3] = 0x07;
      const o = classifyPaymentMode(withContent(ecs02, 0x001a, odd));
      assert.equal(o.credit, false);
      assert.equal(o.payloadMode, 'unconfirmed');
      assert.equal(o.reason, 'PAYMENT_MODE_NOT_CREDIT');

      // Attribute 2 turned into attribute 3 (spec[0] is at content offset 7: 02 006F 0001130000FF 02).
      assert.equal(content.subarray(7, 17).toString('hex'), '02006f0001130000ff02');
      const noMode = Buffer.from(content);
      noMode[16] = 0x03;
      assert.equal(classifyPaymentMode(withContent(ecs02, 0x001a, noMode)).credit, false);

      // Attribute 11 turned into a second SET of attribute 2: ambiguous.
      assert.equal(content.subarray(17, 27).toString('hex'), '02006f0001130000ff0b');
      const twice = Buffer.from(content);
      twice[26] = 0x02;
      const t = classifyPaymentMode(withContent(ecs02, 0x001a, twice));
      assert.equal(t.credit, false);
      assert.match(t.why!, /found 2/);

      // A piggy-backed ACTION (Disconnect Control, class 70, method 1) after the three SETs.
      const dataAt = 7 + 3 * 10;
      assert.equal(content[6], 0x03);
      assert.equal(content[dataAt], 0x03);
      const action = Buffer.concat([
        content.subarray(0, 6),
        Buffer.from([0x04]),
        content.subarray(7, dataAt),
        Buffer.from('0300460000600300ff01', 'hex'),
        Buffer.from([0x04]),
        content.subarray(dataAt + 1),
        Buffer.from('0f00', 'hex'),
      ]);
      const withAction = withContent(ecs02, 0x001a, action);
      const a = classifyPaymentMode(withAction);
      assert.equal(a.credit, false);
      assert.equal(a.payloadMode, 'unconfirmed');
      assert.match(a.why!, /ACTION class 70 0-0:96.3.0.255 method 1/);

      // Specification and data counts that disagree are malformed.
      const mismatch = Buffer.from(content);
      mismatch[dataAt] = 0x02;
      assert.equal(classifyPaymentMode(withContent(ecs02, 0x001a, mismatch)).reason, 'GBCS_MALFORMED');
    });

    it('GCS02: another configuration, cluster, command, direction, component count or encryption is not Credit', () => {
      const gcs02 = parseGeneralSigning(preCommand('GCS02_1_6_IMMEDIATE_SUCCESS'));
      const content = gcs02.content;
      // 01 09 | 01 | 01 0705 0015 | 01 00 06 | provider(4) issuer event(4) implementation(4) | 94 0C | cut off(4)
      assert.equal(content.subarray(0, 11).toString('hex'), '0109010107050015010006');
      const mutate = (offset: number, ...values: number[]) => {
        const b = Buffer.from(content);
        values.forEach((v, i) => (b[offset + i] = v));
        return classifyPaymentMode(withContent(gcs02, 0x006c, b));
      };
      const configAt = 11 + 12;
      assert.equal(content.readUInt16LE(configAt), 0x0c94);
      for (const [lo, hi] of [[0x97, 0x0c], [0x97, 0x08], [0x97, 0x04], [0x97, 0x00]] as const) {
        const c = mutate(configAt, lo, hi);
        assert.equal(c.credit, false);
        assert.equal(c.payloadMode, 'prepayment');
      }
      assert.equal(mutate(configAt, 0x95, 0x0c).payloadMode, 'unconfirmed');
      assert.equal(mutate(configAt, 0x95, 0x0c).credit, false);
      assert.match(mutate(5, 0x06).why!, /cluster 0x0706/);
      assert.match(mutate(10, 0x05).why!, /ZCL command 0x5/);
      assert.match(mutate(8, 0x09).why!, /frame control/);
      assert.match(mutate(8, 0x05).why!, /frame control/);
      assert.match(mutate(3, 0x03).why!, /encrypted/);
      assert.equal(mutate(3, 0x41).reason, 'GBCS_MALFORMED');
      assert.equal(mutate(2, 0x02).reason, 'GBCS_MALFORMED');

      const twoComponents = Buffer.concat([content.subarray(0, 2), Buffer.from([0x02]), content.subarray(3), content.subarray(3)]);
      const two = classifyPaymentMode(withContent(gcs02, 0x006c, twoComponents));
      assert.equal(two.credit, false);
      assert.match(two.why!, /found 2/);

      const shortPayload = Buffer.concat([content.subarray(0, 6), Buffer.from([0x00, 0x14]), content.subarray(8, content.length - 1)]);
      assert.equal(classifyPaymentMode(withContent(gcs02, 0x006c, shortPayload)).reason, 'GBCS_MALFORMED');

      // A From Date-Time in the extended header is skipped, and the mode is still read.
      const fromDateTime = Buffer.concat([
        content.subarray(0, 3),
        Buffer.from([0x11, 0x07, 0x05, 0x00, 0x19]),
        Buffer.from('38818890', 'hex'),
        content.subarray(8),
      ]);
      assert.equal(classifyPaymentMode(withContent(gcs02, 0x006c, fromDateTime)).credit, true);
    });

    it('truncated, damaged or over-nested content is refused without a crash', () => {
      for (const key of ['ECS02_1_6_CANCELLATION_TWIN_SUCCESS', 'GCS02_1_6_IMMEDIATE_SUCCESS']) {
        const msg = parseGeneralSigning(preCommand(key));
        const content = msg.content;
        for (let len = 1; len < content.length; len++) {
          const c = classifyPaymentMode(withContent(msg, msg.messageCode, content.subarray(0, len)));
          assert.equal(c.credit, false, `${key} content cut at ${len}`);
          assert.equal(c.reason, 'GBCS_MALFORMED', `${key} content cut at ${len}`);
          assert.match(c.why!, /^GBCS .+ at offset \d+: /);
        }
        const extra = classifyPaymentMode(withContent(msg, msg.messageCode, Buffer.concat([content, Buffer.from([0])])));
        assert.equal(extra.reason, 'GBCS_MALFORMED');
        for (let i = 0; i < content.length; i++) {
          for (let mask = 1; mask < 0x100; mask <<= 1) {
            const bad = Buffer.from(content);
            bad[i]! ^= mask;
            const c = classifyPaymentMode(withContent(msg, msg.messageCode, bad));
            assert.equal(c.credit, c.payloadMode === 'credit' && c.reason === undefined);
          }
        }
      }
      const ecs02 = parseGeneralSigning(preCommand('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS'));
      const nested = Buffer.concat([
        // one SET of Account attribute 2, then one datum: 40 nested one-element structures
        Buffer.from('d9200003ea' + '00' + '01' + '02006f0001130000ff02' + '01', 'hex'),
        Buffer.alloc(2 * 40, Buffer.from('0201', 'hex')),
        Buffer.from([0x00]),
      ]);
      const deep = classifyPaymentMode(withContent(ecs02, 0x001a, nested));
      assert.equal(deep.reason, 'GBCS_MALFORMED');
      assert.match(deep.why!, /nested deeper/);
    });

    it('an unknown message code or a non-command is never Credit', () => {
      const ecs02 = parseGeneralSigning(preCommand('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS'));
      const u = classifyPaymentMode(withContent(ecs02, 0x0019, ecs02.content));
      assert.equal(u.useCase, 'unknown');
      assert.equal(u.fuel, undefined);
      assert.equal(u.credit, false);
      assert.equal(u.reason, 'GBCS_MESSAGE_CODE');
      const alert = classifyPaymentMode(parseGeneralSigning(hexFile('ECS02_1.6_8F66_FUTURE_DATED_TWIN_SUCCESS_ALERT_PAYMENT_MODE_GBCS.HEX')));
      assert.equal(alert.credit, false);
      assert.equal(alert.reason, 'GBCS_MESSAGE_CODE');
      const response = classifyPaymentMode(parseGeneralSigning(hexFile('GCS02_1.6_IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX')));
      assert.equal(response.useCase, 'GCS02');
      assert.equal(response.credit, false);
      assert.equal(response.reason, 'GBCS_MALFORMED');
      const asResponse = Buffer.from(preCommand('GCS02_1_6_IMMEDIATE_SUCCESS'));
      asResponse[2] = 0x02;
      assert.equal(classifyPaymentMode(parseGeneralSigning(asResponse)).credit, false);
    });
  });

  describe('signPreCommand and verifyGbcsSignature', () => {
    for (const key of Object.keys(PRECOMMANDS)) {
      it(`${key}: signing the PRECOMMAND gives the signed part of the COMMAND, whose signature verifies with Z1-supplier-ds`, () => {
        const pre = preCommand(key);
        const inCommand = generalSigningFromCommand(command(key));
        const fromCommand = parseGeneralSigning(inCommand);
        assert.equal(verifyGbcsSignature(fromCommand, SUPPLIER_CERT), true);
        assert.deepEqual(inCommand.subarray(0, pre.length), pre);

        for (const input of [pre, Buffer.concat([pre, Buffer.from([0x00])])]) {
          const signed = signPreCommand(input, SUPPLIER_KEY);
          const msg = parseGeneralSigning(signed);
          assert.equal(msg.signatureForm, 'present');
          assert.deepEqual(msg.signedPart, fromCommand.signedPart);
          assert.equal(signed.length, inCommand.length);
          assert.equal(verifyGbcsSignature(msg, SUPPLIER_CERT), true);
        }
      });
    }

    it('the derived GCS02 Signed Pre-Command of smki-domain verifies and is the one inside the COMMAND', () => {
      const bytes = Buffer.from(DERIVED_GCS02_SIGNED_PRECOMMAND, 'base64');
      const msg = parseGeneralSigning(bytes);
      assert.equal(msg.originatorCounter, 1000n);
      assert.equal(msg.messageCode, 0x006c);
      assert.equal(verifyGbcsSignature(msg, SUPPLIER_CERT), true);
      assert.deepEqual(bytes, generalSigningFromCommand(command('GCS02_1_6_IMMEDIATE_SUCCESS')));
      assert.equal(classifyPaymentMode(msg).credit, true);
    });

    it('a signature by Z1-supplier2-ds does not verify with Z1-supplier-ds', () => {
      const signed = parseGeneralSigning(signPreCommand(preCommand('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS'), SUPPLIER2_KEY));
      assert.equal(verifyGbcsSignature(signed, SUPPLIER_CERT), false);
      assert.equal(verifyGbcsSignature(signed, SUPPLIER2_CERT), true);
      const original = parseGeneralSigning(generalSigningFromCommand(command('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS')));
      assert.equal(verifyGbcsSignature(original, SUPPLIER2_CERT), false);
    });

    it('an unsigned or null-signed message does not verify', () => {
      const pre = preCommand('GCS02_1_6_IMMEDIATE_SUCCESS');
      assert.equal(verifyGbcsSignature(parseGeneralSigning(pre), SUPPLIER_CERT), false);
      assert.equal(verifyGbcsSignature(parseGeneralSigning(Buffer.concat([pre, Buffer.from([0])])), SUPPLIER_CERT), false);
    });

    it('a flipped bit in any octet of a Signed Pre-Command fails to parse or fails to verify', () => {
      for (const key of ['ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS', 'GCS02_1_6_IMMEDIATE_SUCCESS']) {
        const signed = generalSigningFromCommand(command(key));
        assert.equal(verifyGbcsSignature(parseGeneralSigning(signed), SUPPLIER_CERT), true);
        let refusedByParser = 0;
        for (let i = 0; i < signed.length; i++) {
          for (const mask of [0x01, 0x80]) {
            const bad = Buffer.from(signed);
            bad[i]! ^= mask;
            let msg: GeneralSigningMessage;
            try {
              msg = parseGeneralSigning(bad);
            } catch (e) {
              assert.ok(isFormatError(e), `octet ${i} mask ${mask}: ${String(e)}`);
              refusedByParser++;
              continue;
            }
            assert.equal(verifyGbcsSignature(msg, SUPPLIER_CERT), false, `octet ${i} mask ${mask} still verifies`);
          }
        }
        assert.ok(refusedByParser > 0);
      }
    });

    it('refuses to sign a signed message, a response, or with a non-P-256 key', () => {
      const signed = generalSigningFromCommand(command('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS'));
      assert.throws(() => signPreCommand(signed, SUPPLIER_KEY), isFormatError);
      const response = Buffer.from(preCommand('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS'));
      response[2] = 0x02;
      assert.throws(() => signPreCommand(response, SUPPLIER_KEY), isFormatError);
      assert.throws(() => signPreCommand(preCommand('ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS'), SUPPLIER_CERT), /P-256 private key/);
    });
  });

  describe('rewriteHeader', () => {
    const NEW_SUPPLIER = '90B3D51F30030000' as Eui64;
    const NEW_DEVICE = '00DB1234567890FF' as Eui64;

    for (const key of ['ECS02_1_6_IMMEDIATE_SINGLE_SUCCESS', 'GCS02_1_6_IMMEDIATE_SUCCESS']) {
      it(`${key}: rewrites originator, recipient and counter, and back again`, () => {
        const pre = preCommand(key);
        const before = parseGeneralSigning(pre);
        const out = rewriteHeader(pre, { originator: NEW_SUPPLIER, recipient: NEW_DEVICE, counter: 0x123456789n });
        const after = parseGeneralSigning(out);
        assert.equal(after.originator, NEW_SUPPLIER);
        assert.equal(after.recipient, NEW_DEVICE);
        assert.equal(after.originatorCounter, 0x123456789n);
        assert.equal(after.messageCode, before.messageCode);
        assert.equal(after.signatureForm, 'absent');
        assert.equal(classifyPaymentMode(after).credit, true);
        if (before.content[0] === 0xd9) {
          // The DLMS invoke-id follows the counter's low 24 bits, as on the vectors.
          assert.equal(before.content.readUInt32BE(1), 0x200003ea);
          assert.equal(after.content.readUInt32BE(1), 0x20456789);
          assert.deepEqual(after.content.subarray(5), before.content.subarray(5));
        } else {
          assert.deepEqual(after.content, before.content);
        }
        const back = rewriteHeader(out, { originator: before.originator, recipient: before.recipient, counter: before.originatorCounter });
        assert.deepEqual(back, pre);

        const signed = parseGeneralSigning(signPreCommand(out, SUPPLIER2_KEY));
        assert.equal(verifyGbcsSignature(signed, SUPPLIER2_CERT), true);
      });
    }

    it('changes only what it is asked to, keeps the null octet, drops a signature', () => {
      const pre = Buffer.concat([preCommand('GCS02_1_6_IMMEDIATE_SUCCESS'), Buffer.from([0])]);
      const onlyCounter = rewriteHeader(pre, { counter: 5000n });
      const m = parseGeneralSigning(onlyCounter);
      assert.equal(m.originatorCounter, 5000n);
      assert.equal(m.originator, SUPPLIER);
      assert.equal(m.recipient, GSME);
      assert.equal(m.signatureForm, 'null');
      assert.deepEqual(rewriteHeader(pre, {}), pre);
      const signed = generalSigningFromCommand(command('GCS02_1_6_IMMEDIATE_SUCCESS'));
      assert.deepEqual(rewriteHeader(signed, {}), preCommand('GCS02_1_6_IMMEDIATE_SUCCESS'));
    });

    it('refuses a counter outside uint64 and a malformed EUI-64', () => {
      const pre = preCommand('GCS02_1_6_IMMEDIATE_SUCCESS');
      assert.throws(() => rewriteHeader(pre, { counter: -1n }), RangeError);
      assert.throws(() => rewriteHeader(pre, { counter: 1n << 64n }), RangeError);
      assert.equal(parseGeneralSigning(rewriteHeader(pre, { counter: (1n << 64n) - 1n })).originatorCounter, (1n << 64n) - 1n);
      assert.throws(() => rewriteHeader(pre, { recipient: '00DB' as Eui64 }), /EUI-64/);
    });
  });
});
