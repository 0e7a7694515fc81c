// All or nothing, even when interrupted: `smki solr revoke-supplier` (a real process) over thousands
// of certificates, killed with kill -9 and stopped with a real Ctrl+C inside its transaction, revokes
// none of them (no CRL, the event not marked; stopped as it commits, all of them), `audit verify`
// passes, and run again it revokes all.
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { IssuingAuthority } from '../../src/ca/authority.js';
import { buildSmkiCsr } from '../../src/ca/csr-builder.js';
import { readPassphraseFile } from '../../src/ca/keystore.js';
import { loadCatalogue } from '../../src/config/catalogue.js';
import { parseEui64 } from '../../src/domain/eui.js';
import { issueCertificates } from '../../src/ra/issue.js';
import { Registry } from '../../src/registry/registry.js';
import { setupGateScenario, type GateScenario } from '../support/gate-scenario.js';
import { actAs, officerSignerOf } from '../support/keys.js';
import { ensureBuilt, startSmki } from '../support/process.js';
import { foldWal, query, walBytes } from '../support/query.js';
import { SUPPLIER } from '../support/scenario.js';

const CERTIFICATES = 6000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface State { revoked: number; valid: number; crls: number; marked: boolean; records: number }

function state(home: string, eventId: string): State {
  const [c] = query<{ revoked: number; valid: number }>(home,
    "SELECT sum(c.status = 'revoked') AS revoked, sum(c.status = 'valid') AS valid FROM certificates c JOIN user_ids u ON u.eui = c.user_id WHERE u.party_id = (SELECT party_id FROM user_ids WHERE eui = ?)", SUPPLIER);
  const [e] = query<{ marked: number }>(home, 'SELECT suppliers_revoked_at IS NOT NULL AS marked FROM solr_events WHERE id = ?', eventId);
  return {
    revoked: c!.revoked ?? 0,
    valid: c!.valid ?? 0,
    crls: query<{ n: number }>(home, 'SELECT count(*) AS n FROM crls')[0]!.n,
    marked: e!.marked === 1,
    records: query<{ n: number }>(home, "SELECT count(*) AS n FROM audit WHERE action IN ('cert.revoke', 'solr.revoke-supplier')")[0]!.n,
  };
}

describe('ra/solr: revoke-supplier interrupted (real processes)', function () {
  this.timeout(600_000);
  let g: GateScenario;
  let before0: State;
  before(async () => {
    ensureBuilt();
    g = await setupGateScenario();
    // Thousands of the failed Supplier's XML-signing certificates, issued through the library.
    const catalogue = loadCatalogue();
    const reg = Registry.open(g.home);
    try {
      const ca = IssuingAuthority.unlock(reg, readPassphraseFile(g.pass), catalogue);
      const supplier = parseEui64(SUPPLIER);
      for (let i = 0; i < CERTIFICATES; i += 500) {
        const reqs = Array.from({ length: Math.min(500, CERTIFICATES - i) }, () => {
          const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
          return { csr: buildSmkiCsr({ eui: supplier, ou: '87', ...kp }).der, profile: 'xml-sign' as const, party: supplier, officerId: g.supplierAro, officer: officerSignerOf(g.home, g.supplierAro) };
        });
        const out = issueCertificates(reg, ca, catalogue, reqs);
        assert.ok(out.every((o) => o.ok), JSON.stringify(out.find((o) => !o.ok)));
      }
    } finally {
      reg.close();
    }
    before0 = state(g.home, g.eventId);
    assert.ok(before0.valid > CERTIFICATES && before0.revoked === 0 && !before0.marked, JSON.stringify(before0));
  });
  after(() => g?.cleanup());

  const revoke = () => startSmki(['--home', g.home, 'solr', 'revoke-supplier', g.eventId, ...actAs('ra1'), '--passphrase-file', g.pass, '--json']);

  /** All of the Supplier revoked, the event marked, one more CRL: what a complete run leaves. */
  const complete = (): State => ({ revoked: before0.valid, valid: 0, crls: before0.crls + 1, marked: true, records: before0.records + before0.valid + 1 });
  let stoppedInside = 0;

  for (const [signal, bytes] of [['SIGKILL', 128 << 10], ['SIGINT', 512 << 10], ['SIGKILL', 1 << 20]] as const) {
    it(`${signal === 'SIGINT' ? 'Ctrl+C (SIGINT)' : 'kill -9'} with ${bytes >> 10} KiB of its transaction written: all or nothing, audit verify passes`, async function () {
      if (state(g.home, g.eventId).marked) this.skip();
      foldWal(g.home);
      const { child, done } = revoke();
      let sent = false;
      while (child.exitCode === null && child.signalCode === null) {
        if (!sent && walBytes(g.home) > bytes) {
          child.kill(signal);
          sent = true;
        }
        await sleep(2);
      }
      const r = await done;
      assert.ok(sent, `the revocation finished first (code ${r.code}): ${r.stderr}`);
      assert.equal(r.signal, signal, r.stderr);
      // Stopped inside the transaction: nothing. (Stopped as it committed: everything.)
      const now = state(g.home, g.eventId);
      if (now.marked) assert.deepEqual(now, complete());
      else {
        assert.deepEqual(now, before0);
        stoppedInside++;
      }
      const v = await startSmki(['--home', g.home, 'audit', 'verify']).done;
      assert.equal(v.code, 0, v.stdout + v.stderr);
    });
  }

  it('run again, it revokes every certificate of the Supplier, marks the event and publishes one CRL', async () => {
    assert.ok(stoppedInside >= 2, `only ${stoppedInside} of 3 runs were stopped inside their transaction`);
    const r = await revoke().done;
    if (stoppedInside === 3) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).revoked.length, before0.valid);
    }
    assert.deepEqual(state(g.home, g.eventId), complete());
    const v = await startSmki(['--home', g.home, 'audit', 'verify']).done;
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });
});
