// CRL Numbers from the registry's CRL table (src/registry/certificates.ts): the next number follows the
// newest CRL, so the newest CRLs deleted outside smki must be refused, never handed out again.
import { strict as assert } from 'node:assert';
import { IntegrityError } from '../../src/domain/errors.js';
import { checkCertifiedKeysAhead, insertCertificate, insertCrl, latestCrl, listedRevocations, markRevoked, nextCrlNumber, revokedIssuedBetween, spkiCertified } from '../../src/registry/certificates.js';
import { bucketQueries } from '../support/bucket-queries.js';
import type { Eui64 } from '../../src/domain/eui.js';
import { insertParty, insertUserId } from '../../src/registry/parties.js';
import type { HomePaths } from '../../src/registry/home.js';
import { Registry } from '../../src/registry/registry.js';
import { registryHome, type RegistryHome } from '../support/registry-home.js';

/** A User ID for `userId` and `count` issued certificates of it, certificate n with serialOf(n) and spkiOf(n) (inside the caller's transaction). */
function addCertificates(reg: Registry, userId: Eui64, at: Date, count: number, serialOf: (n: number) => string, spkiOf: (n: number) => string): void {
  insertUserId(reg, { eui: userId, partyId: insertParty(reg, 'Shared Resources Ltd', at), role: 'SC', actingFor: null }, at);
  for (let n = 0; n < count; n++) {
    insertCertificate(reg, {
      serial: serialOf(n), userId, profile: 'xml-sign', roleOu: '87', keyUsage: 'digitalSignature', spkiSha256: spkiOf(n),
      issuerDer: Buffer.from('issuer'), notBefore: at.toISOString(), notAfter: at.toISOString(), der: Buffer.from(`cert ${n + 1}`),
      source: 'issued', officerId: null, createdAt: at.toISOString(),
    });
  }
}

/** `fn` in one transaction of the home's registry, opened afresh (nothing verified yet). */
function inTransaction<T>(home: RegistryHome, fn: (reg: Registry) => T): T {
  const reg = Registry.open(home.paths.dir);
  try {
    return reg.tx(() => fn(reg));
  } finally {
    reg.close();
  }
}

describe('registry/certificates: the next CRL Number', () => {
  let home: RegistryHome;
  let paths: HomePaths;

  beforeEach(() => {
    home = registryHome('smki-crl-number-');
    paths = home.paths;
    // CRLs 1 to 64: the 64th is the first of the second bucket of 64 rowids (the number is the rowid).
    const reg = home.create();
    try {
      for (let n = 1; n <= 64; n++) {
        const at = new Date(Date.UTC(2026, 11, 1, 0, n));
        reg.tx(() => {
          insertCrl(reg, n, at, new Date(at.getTime() + 86_400_000), Buffer.from(`crl ${n}`));
          reg.audit.append(at, { name: 'test' } as never, 'crl.generate', `CRL-${n}`, {});
        });
      }
    } finally {
      reg.close();
    }
  });
  afterEach(() => home.cleanup());

  function withRegistry<T>(fn: (reg: Registry) => T): T {
    const reg = Registry.open(paths.dir);
    try {
      return fn(reg);
    } finally {
      reg.close();
    }
  }

  it('follows the newest CRL', () => {
    assert.equal(withRegistry((reg) => nextCrlNumber(reg)), 65);
    assert.equal(withRegistry((reg) => latestCrl(reg)?.number), 64);
  });

  it('the newest CRL deleted outside smki (alone in its bucket): refused (IntegrityError), not number 64 again', () => {
    assert.equal(home.outside('DELETE FROM crls WHERE number = 64'), 1);
    const tampered = (e: unknown) => e instanceof IntegrityError && /table crls/.test(e.message);
    assert.throws(() => withRegistry((reg) => nextCrlNumber(reg)), tampered);
    assert.throws(() => withRegistry((reg) => latestCrl(reg)), tampered);
  });
});

describe('registry/certificates: the revocations a CRL is rebuilt from', () => {
  let home: RegistryHome;
  const SRP = '90B3D51F300C0001' as Eui64;
  const at = new Date(Date.UTC(2026, 11, 1));

  beforeEach(() => {
    home = registryHome('smki-crl-revoked-');
    // 64 issued certificates, the 1st and the 64th revoked and listed on CRL 1: the 64th is alone in
    // the second bucket of 64 rowids, so no row read beside it would find it gone.
    const reg = home.create();
    try {
      reg.tx(() => {
        addCertificates(reg, SRP, at, 64, (n) => (n + 1).toString(16).padStart(2, '0').toUpperCase(), (n) => (n + 1).toString(16).padStart(64, '0'));
        for (const serial of ['01', '40']) markRevoked(reg, serial, 'keyCompromise', at, null, 1);
        reg.audit.append(at, { name: 'test' } as never, 'cert.revoke', '01 40', {});
      });
    } finally {
      reg.close();
    }
  });
  afterEach(() => home.cleanup());

  const read = <T>(fn: (reg: Registry) => T): T => inTransaction(home, fn);
  const all = (reg: Registry) => ({
    listed: listedRevocations(reg, 2).map((r) => r.serial),
    between: revokedIssuedBetween(reg, '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z').map((r) => r.serial),
  });

  it('lists every revoked certificate', () => {
    assert.deepEqual(read(all), { listed: ['01', '40'], between: ['01', '40'] });
  });

  it('a revoked certificate deleted outside smki: refused (IntegrityError), not left off the CRL', () => {
    assert.equal(home.outside("DELETE FROM certificates WHERE serial = '40'"), 1);
    const tampered = (e: unknown) => e instanceof IntegrityError && /table certificates/.test(e.message);
    assert.throws(() => read((reg) => listedRevocations(reg, 2)), tampered);
    assert.throws(() => read((reg) => revokedIssuedBetween(reg, '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z')), tampered);
  });
});

describe('registry/certificates: whether a key is certified (certified_keys)', () => {
  let home: RegistryHome;
  const SRP = '90B3D51F300C0001' as Eui64;
  const at = new Date(Date.UTC(2026, 11, 1));
  const CERTS = 300;
  // SPKI digests whose last four hex digits differ: each key in a key-hash bucket of its own.
  const spki = (n: number) => `ab${n.toString(16).padStart(62, '0')}`;
  const serial = (n: number) => `5E${n.toString(16).padStart(30, '0')}`.toUpperCase();

  beforeEach(() => {
    home = registryHome('smki-certified-keys-');
    const reg = home.create();
    try {
      reg.tx(() => {
        addCertificates(reg, SRP, at, CERTS, serial, spki);
        reg.audit.append(at, { name: 'test' } as never, 'cert.issue', 'many', {});
      });
    } finally {
      reg.close();
    }
  });
  afterEach(() => home.cleanup());

  const read = <T>(fn: (reg: Registry) => T): T => inTransaction(home, fn);
  const tampered = (e: unknown) => e instanceof IntegrityError && /table certified_keys/.test(e.message);

  it('names the certificate of a certified key, and none for a key never certified', () => {
    assert.equal(read((reg) => spkiCertified(reg, spki(7))), serial(7));
    assert.equal(read((reg) => spkiCertified(reg, `cd${'0'.repeat(58)}beef`)), undefined);
  });

  it("a key's row deleted outside smki (with its certificate): refused (IntegrityError), not taken for a key never certified", () => {
    assert.equal(home.outside(`DELETE FROM certified_keys WHERE spki_sha256 = '${spki(9)}'`), 1);
    assert.equal(home.outside(`DELETE FROM certificates WHERE serial = '${serial(9)}'`), 1);
    assert.throws(() => read((reg) => spkiCertified(reg, spki(9))), tampered);
    // Checked ahead, as a batch of issuance does, it is refused there already.
    assert.throws(() => read((reg) => checkCertifiedKeysAhead(reg, [spki(1), spki(9)])), tampered);
  });

  it("a key's row pointed at another certificate outside smki: refused (IntegrityError)", () => {
    assert.equal(home.outside(`UPDATE certified_keys SET serial = '${serial(2)}' WHERE spki_sha256 = '${spki(3)}'`), 1);
    assert.throws(() => read((reg) => spkiCertified(reg, spki(3))), tampered);
  });

  it('checked ahead, the buckets of many keys take a few queries, after which each look-up needs none', () => {
    const keys = Array.from({ length: CERTS }, (_, n) => spki(n));
    const alone = bucketQueries(() => read((reg) => { for (const k of keys) spkiCertified(reg, `${k.slice(0, -8)}ffff${k.slice(-4)}`); }));
    assert.equal(alone.single, CERTS);
    const ahead = bucketQueries(() => read((reg) => {
      const unknown = keys.map((k) => `${k.slice(0, -8)}ffff${k.slice(-4)}`);
      checkCertifiedKeysAhead(reg, unknown);
      for (const k of unknown) assert.equal(spkiCertified(reg, k), undefined);
    }));
    assert.equal(ahead.single, 0);
    assert.ok(ahead.sets >= 1 && ahead.sets <= 2, `${ahead.sets} bucket-set queries for ${CERTS} keys`);
  });
});
