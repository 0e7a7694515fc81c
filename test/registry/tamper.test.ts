// Registry state edited outside smki (issue 8 item 6): every edit, insertion or deletion of a row a
// decision relies on is reported by `audit verify` (exit 5, naming table and row) and refused, with
// exit 5, by the command that would rely on it, before it acts.
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOrganisationCertificate } from '../../src/ca/organisation-certificate.js';
import { IntegrityError } from '../../src/domain/errors.js';
import { listDecisions } from '../../src/registry/gate.js';
import { Registry } from '../../src/registry/registry.js';
import { smki } from '../support/cli.js';
import { copyHome } from '../support/home-copy.js';
import { openOutside } from '../support/query.js';
import { makeCsr } from '../support/csr.js';
import { ESME, OTHER_ESME, setupGateScenario, type GateScenario, type Signer } from '../support/gate-scenario.js';
import { OTHER_SUPPLIER, SRP, SUPPLIER } from '../support/scenario.js';
import { actAs, withOfficerKeys } from '../support/keys.js';

const REQUEST = 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML';

describe('registry/tamper: state edited outside smki', function () {
  this.timeout(120_000);
  let g: GateScenario;
  let revoked: Signer;
  let counter = 5000n;
  const copies: string[] = [];

  before(async () => {
    g = await setupGateScenario({ warning: 2, quarantine: 3 });
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const csr = await makeCsr({ eui: SRP, keyPair: kp });
    const f = join(g.dir, 'second.csr');
    writeFileSync(f, csr.pem);
    const r = await g.run(['cert', 'issue', '--csr', f, '--profile', 'xml-sign', '--party', SRP, '--officer', g.aro, '--passphrase-file', g.pass, '--json']);
    assert.equal(r.code, 0, r.stderr);
    revoked = { key: kp.privateKey, cert: readOrganisationCertificate(r.json.pem), certPem: r.json.pem };
    assert.equal((await g.run(['cert', 'revoke', revoked.cert.serialHex, '--reason', 'keyCompromise', '--passphrase-file', g.pass])).code, 0);
    const accepted = await g.check([g.write('first.xml', g.request(REQUEST, counter))]);
    assert.equal(accepted.code, 0, accepted.stdout);
  });
  after(() => {
    for (const d of copies) rmSync(d, { recursive: true, force: true });
    g.cleanup();
  });

  /** A copy of the scenario's home with `sql` applied by another client of its database (SQLite or PostgreSQL; no smki involved). */
  function tampered(...sql: string[]) {
    const dir = mkdtempSync(join(tmpdir(), 'smki-tamper-'));
    copies.push(dir);
    const home = join(dir, 'home');
    copyHome(g.home, home);
    outside(home, (db) => {
      for (const s of sql) db.exec(s);
    });
    const run = (args: string[]) => smki(['--home', home, ...actAs('ra1'), ...withOfficerKeys(home, args)]);
    const write = (name: string, text: string) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    };
    return { home, run, write, sr: (text: string) => run(['sr', 'check', write(`r${++counter}.xml`, text), '--json']) };
  }

  async function verifyNames(t: ReturnType<typeof tampered>, table: string, row?: RegExp) {
    const v = await t.run(['audit', 'verify', '--json']);
    assert.equal(v.code, 5, `audit verify: ${v.stdout}${v.stderr}`);
    const problems = v.json.problems as { table?: string; row?: string | null; problem: string }[];
    const hit = problems.find((p) => p.table === table && (!row || row.test(p.row ?? '')));
    assert.ok(hit, `no problem named table ${table} ${row ?? ''}: ${JSON.stringify(problems)}`);
    return problems;
  }

  /** `fn` on the home's database opened as any other client would open it (outside smki). */
  function outside<T>(home: string, fn: (db: ReturnType<typeof openOutside>) => T): T {
    const db = openOutside(home);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }
  const rowOf = (home: string, table: string, key: string, value: string) =>
    outside(home, (db) => db.prepare(`SELECT * FROM ${table} WHERE ${key} = ?`).get(value) as Record<string, unknown>);

  /** Every column of the row keyed `key` set back to `old` (an older copy of the whole row, row_mac included). */
  function restoreRow(home: string, table: string, key: string, old: Record<string, unknown>) {
    // PostgreSQL's rowid stands for SQLite's implicit one: not a column an UPDATE sets (it may be generated).
    const cols = Object.keys(old).filter((c) => c !== key && c !== 'rowid');
    const changes = outside(home, (db) => db.prepare(`UPDATE ${table} SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE ${key} = ?`).run(...cols.map((c) => old[c]), old[key]).changes);
    assert.equal(changes, 1);
  }

  function refusedWithIntegrity(r: { code: number; stdout: string; stderr: string }, table: string) {
    assert.equal(r.code, 5, `expected exit 5: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr + r.stdout, new RegExp(`table ${table}`));
  }

  it('an untouched copy verifies and accepts (the tests below differ by one edit)', async () => {
    const t = tampered();
    assert.equal((await t.run(['audit', 'verify'])).code, 0);
    const r = await t.sr(g.request(REQUEST, ++counter));
    assert.equal(r.code, 0, r.stdout);
  });

  it('a gate decision edited outside smki: listDecisions refuses it (IntegrityError), as the untouched copy lists it', () => {
    const clean = Registry.open(tampered().home);
    try {
      assert.ok(listDecisions(clean).some((d) => d.decision === 'accept'));
    } finally {
      clean.close();
    }
    const t = tampered("UPDATE sr_decisions SET decision = 'refuse' WHERE id = (SELECT MIN(id) FROM sr_decisions)");
    const reg = Registry.open(t.home);
    try {
      assert.throws(() => listDecisions(reg), (e: unknown) => e instanceof IntegrityError && /table sr_decisions, row id=\d+: row MAC does not verify/.test(e.message));
    } finally {
      reg.close();
    }
  });

  it("a revoked certificate's status set back to valid: verify 5, the gate refuses to act (5)", async () => {
    const t = tampered(`UPDATE certificates SET status = 'valid', revoked_at = NULL, revocation_reason = NULL WHERE serial = '${revoked.cert.serialHex}'`);
    await verifyNames(t, 'certificates', new RegExp(revoked.cert.serialHex));
    refusedWithIntegrity(await t.sr(g.request(REQUEST, ++counter, ESME, revoked)), 'certificates');
    // Revocation relies on the row too.
    refusedWithIntegrity(await t.run(['cert', 'revoke', revoked.cert.serialHex, '--reason', 'superseded', '--passphrase-file', g.pass]), 'certificates');
  });

  it('a revoked certificate row put back whole from an older copy (old MAC and all): verify 5', async () => {
    const before = tampered();
    const serial = g.srp.cert.serialHex;
    const old = rowOf(before.home, 'certificates', 'serial', serial);
    assert.equal((await before.run(['cert', 'revoke', serial, '--reason', 'superseded', '--passphrase-file', g.pass])).code, 0);
    restoreRow(before.home, 'certificates', 'serial', old);
    await verifyNames(before, 'certificates');
    // On read too, with no scan of the table: the row's bucket no longer adds up. The gate refuses a
    // request signed with the revoked (restored: valid) certificate, and cert show refuses to show it.
    refusedWithIntegrity(await before.sr(g.request(REQUEST, ++counter)), 'certificates');
    refusedWithIntegrity(await before.run(['cert', 'show', serial, '--json']), 'certificates');
  });

  it("a Device row put back whole from an older copy (its old Supplier, old MAC and all): the gate and device show exit 5", async () => {
    const t = tampered();
    const old = rowOf(t.home, 'devices', 'eui', ESME);
    // smki moves the Device to another Supplier: the gate must no longer accept requests for it.
    const csv = t.write('moved.csv', `device_eui,device_type,smets,supplier_eui\n${ESME},ESME,2,${OTHER_SUPPLIER}\n`);
    assert.equal((await t.run(['device', 'import', '--file', csv])).code, 0);
    const untouched = await t.sr(g.request(REQUEST, ++counter, ESME));
    assert.equal(untouched.code, 3, untouched.stdout);
    restoreRow(t.home, 'devices', 'eui', old);
    refusedWithIntegrity(await t.sr(g.request(REQUEST, ++counter, ESME)), 'devices');
    refusedWithIntegrity(await t.run(['device', 'show', ESME, '--json']), 'devices');
    await verifyNames(t, 'devices');
  });

  it('a replay-counter row put back whole from an older copy (a lower counter, its old MAC): the gate refuses (5)', async () => {
    const t = tampered();
    const old = rowOf(t.home, 'replay_counters', 'originator', SRP);
    const sent = g.request(REQUEST, ++counter);
    assert.equal((await t.sr(sent)).code, 0);
    restoreRow(t.home, 'replay_counters', 'originator', old);
    // The same counter again (a replay, in a new document) would pass a lowered counter.
    refusedWithIntegrity(await t.sr(g.request(REQUEST, counter, OTHER_ESME)), 'replay_counters');
    await verifyNames(t, 'replay_counters');
  });

  it('a lowered replay counter: verify 5, the gate refuses (5) instead of accepting a replay', async () => {
    const t = tampered(`UPDATE replay_counters SET counter = '00000000000000000001' WHERE originator = '${SRP}'`);
    await verifyNames(t, 'replay_counters');
    refusedWithIntegrity(await t.sr(g.request(REQUEST, 10n)), 'replay_counters');
  });

  it('a deleted replay-counter row: verify 5, the gate refuses (5)', async () => {
    const t = tampered('DELETE FROM replay_counters');
    await verifyNames(t, 'replay_counters');
    refusedWithIntegrity(await t.sr(g.request(REQUEST, 10n)), 'replay_counters');
  });

  it('an ended event reopened: verify 5, the gate refuses (5)', async () => {
    const base = tampered();
    assert.equal((await base.run(['solr', 'end', g.eventId, ...actAs('ra1')])).code, 0);
    outside(base.home, (db) => db.exec(`UPDATE solr_events SET status = 'approved', ended_by = NULL, ended_at = NULL WHERE id = '${g.eventId}'`));
    await verifyNames(base, 'solr_events', new RegExp(g.eventId));
    refusedWithIntegrity(await base.sr(g.request(REQUEST, ++counter)), 'solr_events');
  });

  it("a certificate's DER swapped for another key's: verify 5, the gate refuses (5)", async () => {
    const t = tampered(`UPDATE certificates SET der = (SELECT der FROM certificates WHERE serial = '${revoked.cert.serialHex}') WHERE serial = '${g.srp.cert.serialHex}'`);
    await verifyNames(t, 'certificates', new RegExp(g.srp.cert.serialHex));
    refusedWithIntegrity(await t.sr(g.request(REQUEST, ++counter)), 'certificates');
  });

  it('ADT thresholds edited: verify 5, the gate refuses (5)', async () => {
    const t = tampered('UPDATE adt_thresholds SET warning_threshold = 100000, quarantine_threshold = 100000');
    await verifyNames(t, 'adt_thresholds');
    refusedWithIntegrity(await t.sr(g.request(REQUEST, ++counter)), 'adt_thresholds');
  });

  it('an ADT file row edited (another officer named as its submitter): verify 5, the gate refuses (5)', async () => {
    const t = tampered("UPDATE adt_files SET officer_id = 'OFC-1'");
    await verifyNames(t, 'adt_files');
    refusedWithIntegrity(await t.sr(g.request(REQUEST, ++counter)), 'adt_files');
  });

  it("a Device's Supplier edited: verify 5, the gate refuses (5)", async () => {
    const t = tampered(`UPDATE devices SET supplier_eui = '${SUPPLIER}' WHERE eui = '${OTHER_ESME}'`);
    await verifyNames(t, 'devices', new RegExp(OTHER_ESME));
    refusedWithIntegrity(await t.sr(g.request(REQUEST, ++counter, OTHER_ESME)), 'devices');
  });

  it("a User ID's role and acting-for edited: verify 5, issuance refuses (5)", async () => {
    const t = tampered(`UPDATE user_id_roles SET role = 'IS', acting_for = NULL WHERE eui = '${SRP}'`);
    await verifyNames(t, 'user_id_roles', new RegExp(SRP));
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const csr = t.write('ds.csr', (await makeCsr({ eui: SRP, keyPair: kp, ou: '02' })).pem);
    refusedWithIntegrity(await t.run(['cert', 'issue', '--csr', csr, '--profile', 'ds', '--party', SRP, '--officer', g.aro, '--passphrase-file', g.pass]), 'user_id_roles');
  });

  it('a nominated officer made active: verify 5, issuance refuses (5)', async () => {
    const t = tampered(`UPDATE officers SET status = 'active' WHERE id = '${g.nominatedAro}'`);
    await verifyNames(t, 'officers', new RegExp(g.nominatedAro));
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const csr = t.write('x.csr', (await makeCsr({ eui: SRP, keyPair: kp })).pem);
    refusedWithIntegrity(await t.run(['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer', g.nominatedAro, '--passphrase-file', g.pass]), 'officers');
  });

  it('an inserted User ID and a deleted Device: verify 5 names both tables', async () => {
    const t = tampered(
      "INSERT INTO user_ids (eui, party_id, created_at) VALUES ('90B3D51F300C0009', 1, '2026-01-01T00:00:00.000Z')",
      `INSERT INTO user_id_roles (eui, role, acting_for, created_at) VALUES ('90B3D51F300C0009', 'SC', '${OTHER_SUPPLIER}', '2026-01-01T00:00:00.000Z')`,
      `DELETE FROM devices WHERE eui = '${OTHER_ESME}'`,
    );
    await verifyNames(t, 'user_ids', /90B3D51F300C0009/);
    await verifyNames(t, 'user_id_roles', /90B3D51F300C0009/);
    await verifyNames(t, 'devices');
  });

  it('a Device deleted: verify 5, the gate and device show refuse (5) instead of reading an unknown Device', async () => {
    // Untouched, OTHER_ESME is a Device of another Supplier: the gate refuses the SRP (3), and a Device never registered is exit 4 in device show.
    const clean = tampered();
    assert.equal((await clean.sr(g.request(REQUEST, ++counter, OTHER_ESME))).code, 3);
    assert.equal((await clean.run(['device', 'show', '00DB0000DEADBEEF'])).code, 4);
    const t = tampered(`DELETE FROM devices WHERE eui = '${ESME}'`);
    await verifyNames(t, 'devices');
    refusedWithIntegrity(await t.sr(g.request(REQUEST, ++counter, ESME)), 'devices');
    refusedWithIntegrity(await t.run(['device', 'show', ESME, '--json']), 'devices');
  });

  it('a Device deleted and a row put in its place with its MAC (same bucket, other EUI): the gate refuses (5)', async () => {
    // The EUI ends in the same four hex digits, so the row falls in the deleted one's bucket with its MAC: the bucket adds up, the row does not.
    const other = `${'00DB00000000'}${ESME.slice(-4)}`;
    const t = tampered(
      `CREATE TABLE gone AS SELECT * FROM devices WHERE eui = '${ESME}'`,
      `DELETE FROM devices WHERE eui = '${ESME}'`,
      `INSERT INTO devices (eui, device_type, smets, supplier_eui, updated_at, key_hash, row_mac) SELECT '${other}', device_type, smets, supplier_eui, updated_at, key_hash, row_mac FROM gone`,
      'DROP TABLE gone',
    );
    refusedWithIntegrity(await t.sr(g.request(REQUEST, ++counter, ESME)), 'devices');
    await verifyNames(t, 'devices', new RegExp(other));
  });

  it("the SRP's certificate deleted: verify 5, the gate refuses its requests (5) instead of an unknown certificate (3), cert revoke refuses (5)", async () => {
    const serial = g.srp.cert.serialHex;
    const t = tampered(`DELETE FROM certificates WHERE serial = '${serial}'`);
    await verifyNames(t, 'certificates');
    refusedWithIntegrity(await t.sr(g.request(REQUEST, ++counter)), 'certificates');
    refusedWithIntegrity(await t.run(['cert', 'revoke', serial, '--reason', 'superseded', '--passphrase-file', g.pass]), 'certificates');
  });

  it('a table rolled back together with its digest row: verify 5 (the state binds digests to the audit head)', async () => {
    const t = tampered(
      `UPDATE replay_counters SET counter = '00000000000000000001', row_mac = NULL WHERE originator = '${SRP}'`,
    );
    // Even a row re-MACed and a digest fixed by someone with no key cannot match: here the digest row is dropped.
    outside(t.home, (db) => db.exec("DELETE FROM integrity_digests WHERE name = 'replay_counters'"));
    await verifyNames(t, 'replay_counters');
    assert.equal((await t.sr(g.request(REQUEST, 10n))).code, 5);
  });
});
