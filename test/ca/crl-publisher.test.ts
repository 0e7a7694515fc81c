// The CRL as revocations go on: each new CRL lists every revocation (the previous CRL's entries carried
// over, the new ones added), only the newest is stored whole, older ones by hash, entries and size.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { children, content, decodeSigned, readWhole, TAG } from '../../src/ca/asn1.js';
import { fromPem } from '../../src/ca/pem.js';
import { addBulkCertificates } from '../support/bulk.js';
import { setupScenario, SUPPLIER, type Scenario } from '../support/scenario.js';

/** The serials a DER CRL lists, in order. */
function serialsOf(der: Buffer): string[] {
  const tbs = decodeSigned(der, 'CRL').tbs;
  const list = children(tbs, readWhole(tbs, 'TBSCertList')).find((f, i) => i > 2 && f.tag === TAG.SEQUENCE);
  if (!list) return [];
  return children(tbs, list).map((e) => content(tbs, children(tbs, e)[0]!).toString('hex').toUpperCase());
}

describe('ca/crl-publisher: CRLs as revocations go on', () => {
  let s: Scenario;
  let serials: string[];
  before(async () => {
    s = await setupScenario();
    serials = addBulkCertificates(s.home, { userId: SUPPLIER, count: 6, revoked: 2 });
  });
  after(() => s.cleanup());

  const crlRows = () => {
    const db = new Database(join(s.home, 'registry.sqlite'), { readonly: true });
    try {
      return db.prepare('SELECT number, der, sha256, entries, bytes FROM crls ORDER BY number').all() as { number: number; der: Buffer | null; sha256: string | null; entries: number | null; bytes: number | null }[];
    } finally {
      db.close();
    }
  };
  const published = () => fromPem(readFileSync(join(s.home, 'ca', 'current.crl.pem'), 'utf8'), ['X509 CRL'], 'CRL');
  const revoke = async (serial: string) => {
    const r = await s.run(['cert', 'revoke', serial, '--reason', 'keyCompromise', '--passphrase-file', s.pass, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return r.json.crlNumber as number;
  };

  it('lists the earlier revocations with each new one, and keeps only the newest CRL whole', async () => {
    const n = await revoke(serials[2]!);
    const first = published();
    // The two revoked before this CRL, then this one.
    assert.deepEqual(serialsOf(first), [serials[0], serials[1], serials[2]]);
    assert.equal(await revoke(serials[3]!), n + 1);
    assert.equal(await revoke(serials[4]!), n + 2);
    const third = published();
    assert.deepEqual(serialsOf(third), [serials[0], serials[1], serials[2], serials[3], serials[4]]);
    const rows = crlRows();
    assert.deepEqual(rows.map((r) => [r.number, r.der === null]), rows.map((r) => [r.number, r.number !== n + 2]));
    const row = (k: number) => rows.find((r) => r.number === k)!;
    assert.equal(row(n).sha256, createHash('sha256').update(first).digest('hex'));
    assert.equal(row(n).bytes, first.length);
    assert.deepEqual([row(n).entries, row(n + 1).entries, row(n + 2).entries], [3, 4, null]);
    assert.deepEqual(row(n + 2).der, third);
  });

  it('audit verify passes over the trimmed CRLs; the crl command prints the newest', async () => {
    assert.equal((await s.run(['audit', 'verify'])).code, 0);
    const r = await s.run(['crl']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fromPem(r.stdout, ['X509 CRL'], 'CRL'), published());
  });
});
