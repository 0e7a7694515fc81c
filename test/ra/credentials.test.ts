// The deciders of people's keys, on hand-built facts, and the in-transaction check of a statement.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { homePaths } from '../../src/registry/home.js';
import { generatePersonKey } from '../../src/ca/person-keys.js';
import type { Signer } from '../../src/ca/signer.js';
import { loadCatalogue } from '../../src/config/catalogue.js';
import { parseDualControl } from '../../src/config/dual-control.js';
import { PolicyRefusal } from '../../src/domain/errors.js';
import { actAsOperator, decideDualControl, decideOperatorKey } from '../../src/ra/credentials.js';
import { addOperator, decideRevokeOperator } from '../../src/ra/operators.js';
import { initCa } from '../../src/ca/init.js';
import type { OperatorRecord } from '../../src/registry/operators.js';
import { Registry } from '../../src/registry/registry.js';
import { parseStatement } from '../../src/registry/statements.js';
import { tempDir } from '../support/cli.js';

function op(name: string, keyId: string, status: 'active' | 'revoked' = 'active'): OperatorRecord {
  return { name, keyId, publicKey: Buffer.alloc(0), status, addedAt: 't', addedBy: 'x', addedSeq: 1, revokedAt: status === 'revoked' ? 't2' : null, revokedBy: null, revokedSeq: null };
}

const codes = (rs: { code: string }[]) => rs.map((r) => r.code);

describe('ra/credentials: deciders', () => {
  it('decideOperatorKey: unknown key, revoked key, active key (the first active name)', () => {
    assert.deepEqual(codes(decideOperatorKey('aa', []).reasons), ['OPERATOR_KEY_UNKNOWN']);
    assert.deepEqual(codes(decideOperatorKey('aa', [op('a', 'aa', 'revoked')]).reasons), ['OPERATOR_REVOKED']);
    const d = decideOperatorKey('aa', [op('a', 'aa', 'revoked'), op('b', 'aa'), op('c', 'aa')]);
    assert.deepEqual(d.reasons, []);
    assert.equal(d.operator?.name, 'b');
  });

  it('decideDualControl compares keys: two names on one key are one operator; a different key passes', () => {
    const rules = parseDualControl({ rules: [{ action: 'solr.approve', differentFrom: ['solr.record'], reason: 'SOLR_SELF_APPROVAL' }, { action: 'solr.revoke-supplier', differentFrom: ['solr.approve'] }] });
    const recorded = [{ action: 'solr.record', keyId: 'k1', name: 'ra1' }];
    assert.deepEqual(codes(decideDualControl(rules, 'solr.approve', 'SOLR-1', { keyId: 'k1', name: 'ra-other-name' }, recorded)), ['SOLR_SELF_APPROVAL']);
    assert.deepEqual(decideDualControl(rules, 'solr.approve', 'SOLR-1', { keyId: 'k2', name: 'ra1-alias' }, recorded), []);
    assert.deepEqual(codes(decideDualControl(rules, 'solr.revoke-supplier', 'SOLR-1', { keyId: 'k2', name: 'ra2' }, [{ action: 'solr.approve', keyId: 'k2', name: 'ra2' }])), ['DUAL_CONTROL_SAME_KEY']);
    // Actions no rule names are not held back; a step recorded before keys compares names.
    assert.deepEqual(decideDualControl(rules, 'solr.end', 'SOLR-1', { keyId: 'k1', name: 'ra1' }, recorded), []);
    assert.deepEqual(codes(decideDualControl(rules, 'solr.approve', 'SOLR-1', { keyId: 'k9', name: 'RA1' }, [{ action: 'solr.record', keyId: null, name: 'ra1' }])), ['SOLR_SELF_APPROVAL']);
  });

  it('ca-config/dual-control.json: unknown actions and reasons fail to load', () => {
    assert.throws(() => parseDualControl({ rules: [{ action: 'party.add', differentFrom: ['solr.record'] }] }), /action must be one of/);
    assert.throws(() => parseDualControl({ rules: [{ action: 'solr.approve', differentFrom: [] }] }), /differentFrom/);
    assert.throws(() => parseDualControl({ rules: [{ action: 'solr.approve', differentFrom: ['solr.record'], reason: 'NOPE' }] }), /not a reason code/);
  });

  it('decideRevokeOperator: not twice, and never the last active key (two names on one key count once)', () => {
    const all = [op('a', 'k1'), op('a2', 'k1'), op('b', 'k2', 'revoked')];
    assert.deepEqual(codes(decideRevokeOperator(all[0]!, all)), ['OPERATOR_LAST_ACTIVE']);
    assert.deepEqual(codes(decideRevokeOperator(all[2]!, all)), ['OPERATOR_REVOKED']);
    const more = [...all, op('c', 'k3')];
    assert.deepEqual(decideRevokeOperator(more[0]!, more), []);
  });
});

describe('ra/credentials: statements checked inside the transaction', () => {
  const t = tempDir();
  const admin = generatePersonKey('admin');
  let reg: Registry;
  before(() => {
    initCa(join(t.dir, 'home'), Buffer.from('pass'), 'Cred OCA', loadCatalogue(), { name: 'ra1', publicKey: admin.spkiDer });
    reg = Registry.open(join(t.dir, 'home'));
  });
  after(() => { reg.close(); t.cleanup(); });

  it('the statement names the command, subject, arguments, time and the audit head it follows', () => {
    const head = reg.head();
    const acting = reg.tx(() => actAsOperator(reg, admin.signer, 'party.add', 'X', { eui: 'X' }));
    const st = parseStatement(acting.statement)!;
    assert.equal(st.command, 'party.add');
    assert.deepEqual(st.args, { eui: 'X' });
    assert.deepEqual(st.after, head);
    assert.equal(st.key, admin.keyId);
    assert.equal(acting.name, 'ra1');
  });

  it('a signer whose signature does not match the registered key is refused (STATEMENT_SIGNATURE_INVALID)', () => {
    const other = generatePersonKey('other');
    const liar: Signer = { spkiDer: admin.spkiDer, label: 'liar.key', sign: (d, e) => other.signer.sign(d, e) };
    assert.throws(() => reg.tx(() => actAsOperator(reg, liar, 'party.add', 'X', {})), (e: unknown) => e instanceof PolicyRefusal && e.reasons[0]!.code === 'STATEMENT_SIGNATURE_INVALID');
  });

  it('an unregistered key is refused before anything is written', () => {
    const stranger = generatePersonKey('stranger');
    const before = reg.head();
    assert.throws(() => addOperator(reg, { name: 'mallory', publicKey: stranger.spkiDer }, stranger.signer), (e: unknown) => e instanceof PolicyRefusal && e.reasons[0]!.code === 'OPERATOR_KEY_UNKNOWN');
    assert.deepEqual(reg.head(), before);
  });
});

describe('ra/operators: a registry without any operator (a home made before keys existed)', () => {
  const t = tempDir();
  after(() => t.cleanup());

  it('takes its first operator without --as, once; every later one needs an operator key', () => {
    const paths = homePaths(join(t.dir, 'old-home'));
    mkdirSync(paths.keysDir, { recursive: true });
    const key = randomBytes(32);
    writeFileSync(paths.auditKey, key.toString('hex'), { mode: 0o600 });
    const reg = Registry.create(paths, key);
    try {
      const first = generatePersonKey('first');
      const second = generatePersonKey('second');
      assert.equal(addOperator(reg, { name: 'first', publicKey: first.spkiDer }, undefined).addedBy, 'first');
      assert.throws(() => addOperator(reg, { name: 'second', publicKey: second.spkiDer }, undefined), (e: unknown) => e instanceof PolicyRefusal && e.reasons[0]!.code === 'OPERATOR_REQUIRED');
      assert.equal(addOperator(reg, { name: 'second', publicKey: second.spkiDer }, first.signer).addedBy, 'first');
      assert.deepEqual(reg.verify().problems, []);
    } finally {
      reg.close();
    }
  });
});
