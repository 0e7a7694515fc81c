import { strict as assert } from 'node:assert';
import { generateKeyPairSync, sign } from 'node:crypto';
import { statementVerifies } from '../../src/registry/statements.js';

describe('registry/statements: statementVerifies', () => {
  const spkiOf = (k: ReturnType<typeof generateKeyPairSync>['publicKey']) => k.export({ format: 'der', type: 'spki' });
  const a = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const b = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const text = '{"smki":"statement/1"}';
  const signed = sign('sha256', Buffer.from(text), a.privateKey).toString('base64');

  it('verifies with the key that signed, as often as asked, and with no other key or text', () => {
    for (let i = 0; i < 3; i++) assert.equal(statementVerifies(spkiOf(a.publicKey), text, signed), true);
    assert.equal(statementVerifies(spkiOf(b.publicKey), text, signed), false);
    assert.equal(statementVerifies(spkiOf(a.publicKey), `${text} `, signed), false);
    assert.equal(statementVerifies(spkiOf(a.publicKey), text, sign('sha256', Buffer.from(text), b.privateKey).toString('base64')), false);
  });

  it('answers false for a key that cannot be loaded, and still verifies with the right one after it and after many others', () => {
    const bad = Buffer.from(spkiOf(a.publicKey));
    bad[bad.length - 1]! ^= 1; // off the curve
    assert.equal(statementVerifies(bad, text, signed), false);
    assert.equal(statementVerifies(Buffer.from('3000', 'hex'), text, signed), false);
    for (let i = 0; i < 70; i++) statementVerifies(spkiOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey), text, signed);
    assert.equal(statementVerifies(spkiOf(a.publicKey), text, signed), true);
  });
});
