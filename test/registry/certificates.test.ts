// CRL Numbers from the registry's CRL table (src/registry/certificates.ts): the next number follows the
// newest CRL, so the newest CRLs deleted outside smki must be refused, never handed out again.
import { strict as assert } from 'node:assert';
import { IntegrityError } from '../../src/domain/errors.js';
import { insertCertificate, insertCrl, latestCrl, listedRevocations, markRevoked, nextCrlNumber, revokedIssuedBetween } from '../../src/registry/certificates.js';
import type { Eui64 } from '../../src/domain/eui.js';
import { insertParty, insertUserId } from '../../src/registry/parties.js';
import type { HomePaths } from '../../src/registry/home.js';
import { Registry } from '../../src/registry/registry.js';
import { registryHome, type RegistryHome } from '../support/registry-home.js';

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
        insertUserId(reg, { eui: SRP, partyId: insertParty(reg, 'Shared Resources Ltd', at), role: 'SC', actingFor: null }, at);
        for (let n = 1; n <= 64; n++) {
          insertCertificate(reg, {
            serial: n.toString(16).padStart(2, '0').toUpperCase(), userId: SRP, profile: 'xml-sign', roleOu: '87', keyUsage: 'digitalSignature', spkiSha256: n.toString(16).padStart(64, '0'),
            issuerDer: Buffer.from('issuer'), notBefore: at.toISOString(), notAfter: at.toISOString(), der: Buffer.from(`cert ${n}`),
            source: 'issued', officerId: null, createdAt: at.toISOString(),
          });
        }
        for (const serial of ['01', '40']) markRevoked(reg, serial, 'keyCompromise', at, null, 1);
        reg.audit.append(at, { name: 'test' } as never, 'cert.revoke', '01 40', {});
      });
    } finally {
      reg.close();
    }
  });
  afterEach(() => home.cleanup());

  function read<T>(fn: (reg: Registry) => T): T {
    const reg = Registry.open(home.paths.dir);
    try {
      return reg.tx(() => fn(reg));
    } finally {
      reg.close();
    }
  }
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
