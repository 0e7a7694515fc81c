// Registry state edited outside smki (issue 8 item 6), the tables test/registry/tamper.test.ts does not
// edit: open transforms, held alerts, RA operators, trust anchors, the CA's own certificates, CRLs,
// DSP certificates, quarantined requests, officers' history, ID counters and ADT minute counts. Each
// edit, insertion or deletion made with another client of the home's database is reported by `audit
// verify` (exit 5, naming table and row) and refused, with exit 5 and the registry unchanged, by the
// command that would rely on the row, before it acts.
import { strict as assert } from 'node:assert';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleCertificate } from '../../src/ca/ca-certificates.js';
import { buildOrganisationTbs, readCaCertificate, readOrganisationCertificate } from '../../src/ca/organisation-certificate.js';
import { toPem } from '../../src/ca/pem.js';
import { keyIdOf } from '../../src/ca/person-keys.js';
import { formatEuiDashed, parseEui64, type Eui64 } from '../../src/domain/eui.js';
import { formatRequestId } from '../../src/gate/duis-compose.js';
import { signEnveloped } from '../../src/gate/xml/dsig.js';
import { issue, makeTestCa, orgTemplate, type TestCa } from '../support/ca-chain.js';
import { smki } from '../support/cli.js';
import { makeCsr } from '../support/csr.js';
import { ESME, FIXTURES, setupGateScenario, type GateScenario } from '../support/gate-scenario.js';
import { copyHome } from '../support/home-copy.js';
import { actAs, testKey, withOfficerKeys } from '../support/keys.js';
import { openOutside, query } from '../support/query.js';
import { OTHER_SUPPLIER, registryDigest, SRP, SUPPLIER } from '../support/scenario.js';

const REQUEST = 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML';
const PRE = 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX';
const DCC = '90B3D51F30000002' as Eui64;
const UNKNOWN_DEVICE = '00DB1234567890FF';
const ALERT_PAYLOAD = Buffer.from(readFileSync(join(FIXTURES, 'gbcs', 'ECS02_1.6_8F66_FUTURE_DATED_TWIN_SUCCESS_ALERT_PAYMENT_MODE_GBCS.HEX'), 'utf8').replace(/\s+/g, ''), 'hex').toString('base64');
const sha256 = (der: Buffer) => createHash('sha256').update(der).digest('hex');

/** A DUIS DeviceAlertMessage about `device` for `addressee`. */
const deviceAlert = (device: Eui64, addressee: Eui64, n: number) =>
  '<?xml version="1.0" encoding="UTF-8"?><sr:Response xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway" schemaVersion="5.4"><sr:Header>'
  + `<sr:ResponseID>${formatEuiDashed(device)}:${formatEuiDashed(addressee)}:${n}</sr:ResponseID>`
  + '<sr:ResponseCode>I0</sr:ResponseCode><sr:ResponseDateTime>2026-12-01T10:00:00Z</sr:ResponseDateTime></sr:Header><sr:Body>'
  + `<sr:DeviceAlertMessage><sr:AlertCode>8F66</sr:AlertCode><sr:GBCSPayload>${ALERT_PAYLOAD}</sr:GBCSPayload></sr:DeviceAlertMessage></sr:Body></sr:Response>`;

/** An OU 89 (DSP xml-sign) certificate of `ca` for the DCC, and its key. */
function dspCertificate(ca: TestCa): { der: Buffer; key: KeyObject } {
  const t = orgTemplate(ca, { subject: { ou: '89', eui: DCC } });
  const tbs = buildOrganisationTbs(t);
  return { der: assembleCertificate(tbs, sign('sha256', tbs, ca.issuing.key)), key: t.privateKey };
}

describe('registry/tamper (more tables): state edited outside smki', function () {
  this.timeout(180_000);
  let g: GateScenario;
  let counter = 7000n;
  /** The accepted CommandVariant 4 request whose transform is open. */
  let openCounter: bigint;
  let heldAlert: string;
  let dsp: { der: Buffer; key: KeyObject; serialDecimal: string; issuerName: string };
  /** A copy of the scenario's home where the gate quarantined a request (QUA-1) over a low ADT. */
  let quarantined: string;
  /** A copy of the scenario's home after an Issuing OCA rollover, the retired OCA (`retiredSerial`) having signed a CRL. */
  let rolled: string;
  let retiredSerial: string;
  const rogue = makeTestCa('ROGUE');
  const copies: string[] = [];

  before(async () => {
    g = await setupGateScenario();
    // A stand-in DSP PKI: its chain trusted, its OU 89 certificate registered for alerts.
    const dspCa = makeTestCa('DSPCA');
    const chain = g.write('dsp-chain.pem', toPem(dspCa.issuing.der, 'CERTIFICATE') + toPem(dspCa.root.der, 'CERTIFICATE'));
    assert.equal((await g.run(['ca', 'trust', '--file', chain, ...actAs('ra1')])).code, 0);
    const d = dspCertificate(dspCa);
    const info = readOrganisationCertificate(d.der);
    dsp = { ...d, serialDecimal: info.serialDecimal, issuerName: info.issuerText };
    const registered = await g.run(['alert', 'dsp-register', '--file', g.write('dsp.pem', toPem(d.der, 'CERTIFICATE')), ...actAs('ra1')]);
    assert.equal(registered.code, 0, registered.stderr);
    // An accepted CommandVariant 4 request: its transform is open for the Signed Pre-Command.
    openCounter = ++counter;
    const accepted = await g.check([g.write('open.xml', g.request(REQUEST, openCounter))]);
    assert.equal(accepted.code, 0, accepted.stdout);
    // An alert for a Device nobody registered is held.
    const held = await g.run(['alert', 'route', '--device', UNKNOWN_DEVICE, '--code', '8F66', '--json']);
    assert.equal(held.json?.status, 'held', held.stdout + held.stderr);
    heldAlert = held.json.id;
    // A fresh CRL (the newest is kept whole, the one before it by hash).
    assert.equal((await g.run(['crl', '--refresh', '--passphrase-file', g.pass])).code, 0);
    // The quarantine home: an ADT of 1/2 submitted, then requests until one is quarantined.
    quarantined = fresh().home;
    const q = (args: string[]) => smki(['--home', quarantined, ...actAs('ra1'), ...withOfficerKeys(quarantined, args)]);
    const adt = g.write('low-adt.csv', `supplier_eui,service_reference_variant,warning_threshold,quarantine_threshold\n${SUPPLIER},1.6,1,2\n`);
    assert.equal((await q(['adt', 'submit', '--party', SRP, '--officer', g.aro, '--file', adt])).code, 0);
    const files = [1, 2, 3].map(() => g.write('q.xml', g.request(REQUEST, ++counter)));
    const r = await q(['sr', 'check', ...files, '--json']);
    assert.ok(r.json.items.some((x: { decision: string }) => x.decision === 'quarantine'), r.stdout);
    assert.equal(query(quarantined, "SELECT id FROM sr_quarantine WHERE id = 'QUA-1'").length, 1);
    // The rollover home: a new Issuing OCA, and a CRL signed by the retired one too.
    const r2 = fresh();
    rolled = r2.home;
    retiredSerial = (await r2.run(['ca', 'export', '--json'])).json.issuing.serial;
    const rollover = await r2.run(['ca', 'issue-issuing', '--root-passphrase-file', g.pass, '--passphrase-file', g.pass]);
    assert.equal(rollover.code, 0, rollover.stderr);
    assert.equal((await r2.run(['crl', '--refresh', '--passphrase-file', g.pass])).code, 0);
  });
  after(() => {
    for (const dir of copies) rmSync(dir, { recursive: true, force: true });
    g?.cleanup();
  });

  /** A copy of `from` (default: the scenario's home) with its own run, write and sr helpers. */
  function fresh(from = g.home) {
    const dir = mkdtempSync(join(tmpdir(), 'smki-tamper-more-'));
    copies.push(dir);
    const home = copyHome(from, join(dir, 'home'));
    const run = (args: string[]) => smki(['--home', home, ...actAs('ra1'), ...withOfficerKeys(home, args)]);
    const write = (name: string, text: string | Buffer) => {
      const file = join(dir, `${++counter}-${name}`);
      writeFileSync(file, text);
      return file;
    };
    return { home, run, write, sr: (text: string) => run(['sr', 'check', write('r.xml', text), '--json']) };
  }
  type Home = ReturnType<typeof fresh>;

  /** Runs statements on the home's database as any other client would (no smki, no sealing). */
  function outside(home: string, ...statements: [string, ...unknown[]][]): void {
    const db = openOutside(home);
    try {
      for (const [sql, ...args] of statements) assert.ok(db.prepare(sql).run(...args).changes > 0, `no row changed: ${sql}`);
    } finally {
      db.close();
    }
  }

  /** `fresh(from)` with `statements` applied outside smki. */
  function tampered(from: string | undefined, ...statements: [string, ...unknown[]][]): Home {
    const t = fresh(from);
    outside(t.home, ...statements);
    return t;
  }

  async function verifyNames(t: Home, table: string, row?: RegExp) {
    const v = await t.run(['audit', 'verify', '--json']);
    assert.equal(v.code, 5, `audit verify: ${v.stdout}${v.stderr}`);
    const problems = v.json.problems as { table?: string; row?: string | null; problem: string }[];
    assert.ok(problems.some((p) => p.table === table && (!row || row.test(p.row ?? ''))), `no problem named table ${table} ${row ?? ''}: ${JSON.stringify(problems)}`);
  }

  /** The command exits 5 naming the table, and the registry is as it was before it ran. */
  async function refused(t: Home, args: string[], table: string) {
    const before = registryDigest(t.home);
    const r = await t.run(args);
    assert.equal(r.code, 5, `${args.join(' ')}: expected exit 5: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr + r.stdout, new RegExp(`table ${table}`));
    assert.equal(registryDigest(t.home), before, `${args.join(' ')} changed the registry`);
  }
  const srArgs = (t: Home, text: string) => ['sr', 'check', t.write('r.xml', text), '--json'];

  it('untouched copies verify, and each command below acts on them (the tests differ by one edit)', async () => {
    const t = fresh();
    assert.equal((await t.run(['audit', 'verify'])).code, 0);
    const spc = await t.sr(g.signedPreCommand(PRE, openCounter));
    assert.equal(spc.code, 0, spc.stdout);
    assert.equal((await t.run(['crl', '--refresh', '--passphrase-file', g.pass])).code, 0);
    assert.equal((await t.run(['officer', 'list', '--history'])).code, 0);
    const alert = await t.run(['alert', 'route', '--file', t.write('a.xml', signEnveloped(deviceAlert(ESME, SUPPLIER as Eui64, 1), { privateKey: dsp.key, issuerName: dsp.issuerName, serialDecimal: dsp.serialDecimal })), '--json']);
    assert.equal(alert.code, 0, alert.stdout + alert.stderr);
    const q = fresh(quarantined);
    assert.equal((await q.run(['audit', 'verify'])).code, 0);
    assert.equal((await q.run(['sr', 'quarantine', 'release', 'QUA-1', '--officer', g.aro])).code, 0);
    const r = fresh(rolled);
    assert.equal((await r.run(['audit', 'verify'])).code, 0);
    assert.equal((await r.run(['crl', '--issuer', retiredSerial, '--out', r.write('old.crl', '')])).code, 0);
    assert.equal((await r.run(['crl', '--refresh', '--passphrase-file', g.pass])).code, 0);
    const roll = await fresh().run(['ca', 'issue-issuing', '--root-passphrase-file', g.pass, '--passphrase-file', g.pass]);
    assert.equal(roll.code, 0, roll.stderr);
  });

  describe('transforms', () => {
    it("an open transform's row edited: verify 5, the gate refuses its Signed Pre-Command (5)", async () => {
      const t = tampered(undefined, ["UPDATE transforms SET accepted_at = '2026-01-01T00:00:00.000Z' WHERE request_id LIKE ?", `%:${openCounter}`]);
      await verifyNames(t, 'transforms');
      await refused(t, srArgs(t, g.signedPreCommand(PRE, openCounter)), 'transforms');
    });

    it('a transform inserted for a request never accepted: verify 5, the gate refuses the Signed Pre-Command (5) instead of accepting it', async () => {
      const c = ++counter;
      const t = tampered(undefined, ["INSERT INTO transforms (request_id, originator, accepted_at) VALUES (?, ?, '2026-01-01T00:00:00.000Z')", formatRequestId(parseEui64(SRP), ESME, c), SRP]);
      await verifyNames(t, 'transforms');
      await refused(t, srArgs(t, g.signedPreCommand(PRE, c)), 'transforms');
    });

    it('an open transform deleted: verify 5', async () => {
      await verifyNames(tampered(undefined, ['DELETE FROM transforms WHERE request_id LIKE ?', `%:${openCounter}`]), 'transforms');
    });
  });

  describe('alerts', () => {
    it('a held alert edited to name a registered Device: verify 5, alert release refuses (5) instead of routing it', async () => {
      const t = tampered(undefined, ['UPDATE alerts SET device_eui = ? WHERE id = ?', ESME, heldAlert]);
      await verifyNames(t, 'alerts', new RegExp(heldAlert));
      await refused(t, ['alert', 'release'], 'alerts');
      await refused(t, ['alert', 'release', heldAlert], 'alerts');
    });

    it('a held alert deleted: verify 5', async () => {
      await verifyNames(tampered(undefined, ['DELETE FROM alerts WHERE id = ?', heldAlert]), 'alerts');
    });
  });

  describe('operators', () => {
    it("a revoked operator's row set back to active: verify 5, a command signed with its key refuses (5)", async () => {
      const t = fresh();
      assert.equal((await t.run(['operator', 'revoke', 'ra2', '--yes'])).code, 0);
      outside(t.home, ["UPDATE operators SET status = 'active', revoked_at = NULL, revoked_by = NULL, revoked_seq = NULL WHERE name = 'ra2'"]);
      await verifyNames(t, 'operators', /ra2/);
      await refused(t, ['party', 'add', '--name', 'Late Energy', '--role', 'IS', '--eui', '90B3D51F30070000', ...actAs('ra2')], 'operators');
    });

    it('an operator inserted for a key nobody registered: verify 5, a command signed with that key refuses (5)', async () => {
      const spki = testKey('mallory').signer.spkiDer;
      const t = tampered(undefined, [
        "INSERT INTO operators (name, key_id, public_key, status, added_at, added_by, added_seq) VALUES ('mallory', ?, ?, 'active', '2026-01-01T00:00:00.000Z', 'ra1', 1)",
        keyIdOf(spki), spki,
      ]);
      await verifyNames(t, 'operators', /mallory/);
      await refused(t, ['party', 'add', '--name', 'Late Energy', '--role', 'IS', '--eui', '90B3D51F30070000', ...actAs('mallory')], 'operators');
    });
  });

  describe('trust_anchors', () => {
    it("another CA's Issuing certificate inserted as a trust anchor: verify 5, cert register of a certificate it issued refuses (5)", async () => {
      const ca = readCaCertificate(rogue.issuing.der);
      const t = tampered(undefined, [
        "INSERT INTO trust_anchors (sha256, subject_der, subject, der, kind, purpose, registered_at, registered_by) VALUES (?, ?, ?, ?, 'intermediate', 'organisation-certificates', '2026-01-01T00:00:00.000Z', 'ra1')",
        sha256(rogue.issuing.der), ca.subjectNameDer, ca.subjectText, rogue.issuing.der,
      ]);
      await verifyNames(t, 'trust_anchors', new RegExp(sha256(rogue.issuing.der)));
      const cert = t.write('rogue-ds.pem', toPem(issue(rogue, orgTemplate(rogue, { subject: { ou: '02', eui: OTHER_SUPPLIER as Eui64 } })), 'CERTIFICATE'));
      await refused(t, ['cert', 'register', '--file', cert, '--party', OTHER_SUPPLIER], 'trust_anchors');
    });
  });

  describe('ca_certificates', () => {
    it("the Issuing OCA's certificate replaced by the Root's: verify 5, cert issue and the gate refuse (5)", async () => {
      const t = tampered(undefined, ["UPDATE ca_certificates SET der = (SELECT der FROM ca_certificates WHERE kind = 'root') WHERE kind = 'issuing'"]);
      await verifyNames(t, 'ca_certificates', /issuing/);
      const csr = t.write('x.csr', (await makeCsr({ eui: SRP, keyPair: generateKeyPairSync('ec', { namedCurve: 'P-256' }) })).pem);
      await refused(t, ['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer', g.aro, '--passphrase-file', g.pass], 'ca_certificates');
      await refused(t, srArgs(t, g.request(REQUEST, ++counter)), 'ca_certificates');
    });
  });

  describe('crls', () => {
    it("the newest CRL's row edited (a later next update): verify 5, writing it out and signing the next one refuse (5)", async () => {
      const t = tampered(undefined, ["UPDATE crls SET next_update = '2099-01-01T00:00:00.000Z' WHERE number = (SELECT max(number) FROM crls)"]);
      await verifyNames(t, 'crls');
      await refused(t, ['crl', '--out', t.write('out.crl', '')], 'crls');
      await refused(t, ['crl', '--refresh', '--passphrase-file', g.pass], 'crls');
    });

    it('a CRL row inserted with a higher number: verify 5, signing the next CRL refuses (5)', async () => {
      const t = tampered(undefined, [
        "INSERT INTO crls (number, this_update, next_update, der) SELECT number + 100, this_update, next_update, der FROM crls WHERE number = (SELECT max(number) FROM crls)",
      ]);
      await verifyNames(t, 'crls');
      await refused(t, ['crl', '--refresh', '--passphrase-file', g.pass], 'crls');
    });

    it('the newest CRL deleted: verify 5, signing the next CRL refuses (5) instead of giving its number out again', async () => {
      const t = tampered(undefined, ['DELETE FROM crls WHERE number = (SELECT max(number) FROM crls)']);
      await verifyNames(t, 'crls');
      await refused(t, ['crl', '--refresh', '--passphrase-file', g.pass], 'crls');
    });
  });

  describe('dsp_certificates', () => {
    it("a DSP certificate's DER swapped for another key's: verify 5, alert route refuses (5) instead of trusting that key's signature", async () => {
      const other = dspCertificate(rogue);
      const t = tampered(undefined, ['UPDATE dsp_certificates SET der = ?', other.der]);
      await verifyNames(t, 'dsp_certificates');
      const alert = signEnveloped(deviceAlert(ESME, SUPPLIER as Eui64, 2), { privateKey: other.key, issuerName: dsp.issuerName, serialDecimal: dsp.serialDecimal });
      await refused(t, ['alert', 'route', '--file', t.write('a.xml', alert), '--json'], 'dsp_certificates');
    });
  });

  describe('sr_quarantine', () => {
    it("a quarantined request's counter edited: verify 5, release refuses (5)", async () => {
      const t = tampered(quarantined, ["UPDATE sr_quarantine SET counter = '99999' WHERE id = 'QUA-1'"]);
      await verifyNames(t, 'sr_quarantine', /QUA-1/);
      await refused(t, ['sr', 'quarantine', 'release', 'QUA-1', '--officer', g.aro], 'sr_quarantine');
    });

    it('a deleted quarantined request set back to quarantined: verify 5, release refuses (5)', async () => {
      const t = fresh(quarantined);
      assert.equal((await t.run(['sr', 'quarantine', 'delete', 'QUA-1', '--officer', g.aro])).code, 0);
      outside(t.home, ["UPDATE sr_quarantine SET status = 'quarantined', acted_by_officer = NULL, acted_by = NULL, acted_at = NULL WHERE id = 'QUA-1'"]);
      await verifyNames(t, 'sr_quarantine', /QUA-1/);
      await refused(t, ['sr', 'quarantine', 'release', 'QUA-1', '--officer', g.aro], 'sr_quarantine');
    });
  });

  describe('officer_history', () => {
    it("an officer's history edited (another actor): verify 5, officer list --history refuses (5)", async () => {
      const t = tampered(undefined, ["UPDATE officer_history SET by = 'mallory' WHERE officer_id = ?", g.aro]);
      await verifyNames(t, 'officer_history');
      await refused(t, ['officer', 'list', '--history'], 'officer_history');
    });

    it("a step of an officer's history deleted: verify 5, officer list --history refuses (5)", async () => {
      const t = tampered(undefined, ['DELETE FROM officer_history WHERE rowid = (SELECT max(rowid) FROM officer_history WHERE officer_id = ?)', g.aro]);
      await verifyNames(t, 'officer_history');
      await refused(t, ['officer', 'list', '--history'], 'officer_history');
    });
  });

  describe('adt_minute_counts', () => {
    it('the ADT minute counts lowered (and moved out of the current minute): verify 5, the gate refuses (5) instead of accepting a request over the quarantine threshold', async () => {
      const t = tampered(quarantined, ['UPDATE adt_minute_counts SET n = 0, minute = minute - 5']);
      await verifyNames(t, 'adt_minute_counts');
      await refused(t, srArgs(t, g.request(REQUEST, ++counter)), 'adt_minute_counts');
    });

    it('the ADT minute counts deleted: verify 5, the gate refuses (5) instead of counting the window as empty', async () => {
      const t = tampered(quarantined, ['DELETE FROM adt_minute_counts']);
      await verifyNames(t, 'adt_minute_counts');
      await refused(t, srArgs(t, g.request(REQUEST, ++counter)), 'adt_minute_counts');
    });
  });

  describe('counters', () => {
    it('an ID counter lowered: verify 5, the command that takes the next ID refuses (5)', async () => {
      const t = tampered(undefined, ["UPDATE counters SET value = 0 WHERE name = 'ALERT'"]);
      await verifyNames(t, 'counters', /ALERT/);
      await refused(t, ['alert', 'route', '--device', ESME, '--code', '8F66'], 'counters');
    });

    it('an ID counter deleted: verify 5, the command that takes the next ID refuses (5) instead of reusing an ID', async () => {
      const t = tampered(undefined, ["DELETE FROM counters WHERE name = 'ALERT'"]);
      await verifyNames(t, 'counters');
      await refused(t, ['alert', 'route', '--device', ESME, '--code', '8F66'], 'counters');
    });
  });

  // Deletions where a look-up would otherwise read "none": each is refused (5), not taken as never there.
  describe('user_id_roles and user_ids', () => {
    it("the SRP's SoLRContingency role row deleted: verify 5, the gate and cert issue refuse (5) instead of reading a User ID with no role", async () => {
      const t = tampered(undefined, ['DELETE FROM user_id_roles WHERE eui = ?', SRP]);
      await verifyNames(t, 'user_id_roles');
      await refused(t, srArgs(t, g.request(REQUEST, ++counter)), 'user_id_roles');
      const csr = t.write('x.csr', (await makeCsr({ eui: SRP, keyPair: generateKeyPairSync('ec', { namedCurve: 'P-256' }) })).pem);
      await refused(t, ['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer', g.aro, '--passphrase-file', g.pass], 'user_id_roles');
    });

    it("the SRP's User ID deleted with its role: verify 5, the gate refuses (5) instead of refusing an unknown originator (3)", async () => {
      const t = fresh();
      // Another client need not enforce foreign keys (SQLite's default is off).
      const db = openOutside(t.home);
      try {
        db.exec(db.dialect === 'sqlite' ? 'PRAGMA foreign_keys = OFF' : 'SET session_replication_role = replica');
        for (const table of ['user_id_roles', 'user_ids']) assert.equal(db.prepare(`DELETE FROM ${table} WHERE eui = ?`).run(SRP).changes, 1);
      } finally {
        db.close();
      }
      await verifyNames(t, 'user_ids');
      await refused(t, srArgs(t, g.request(REQUEST, ++counter)), 'user_ids');
    });
  });

  describe('adt_files and adt_thresholds', () => {
    it("the active ADT file's 1.6 threshold deleted: verify 5, the gate refuses (5) instead of refusing for no ADT (3)", async () => {
      const t = tampered(undefined, ["DELETE FROM adt_thresholds WHERE service_reference_variant = '1.6'"]);
      await verifyNames(t, 'adt_thresholds');
      await refused(t, srArgs(t, g.request(REQUEST, ++counter)), 'adt_thresholds');
    });

    it('the active ADT file deleted with its thresholds: verify 5, the gate refuses (5)', async () => {
      const t = tampered(undefined, ['DELETE FROM adt_thresholds'], ["DELETE FROM adt_files WHERE status = 'active'"]);
      await verifyNames(t, 'adt_files');
      await refused(t, srArgs(t, g.request(REQUEST, ++counter)), 'adt_files');
    });
  });

  describe('held alerts and quarantined requests deleted', () => {
    it('a held alert deleted: alert held, alert release and alert release ID refuse (5) instead of reporting none held', async () => {
      const t = tampered(undefined, ['DELETE FROM alerts WHERE id = ?', heldAlert]);
      await refused(t, ['alert', 'held'], 'alerts');
      await refused(t, ['alert', 'list'], 'alerts');
      await refused(t, ['alert', 'release'], 'alerts');
      await refused(t, ['alert', 'release', heldAlert], 'alerts');
    });

    it('a quarantined request deleted: verify 5, quarantine list and release refuse (5) instead of reporting none', async () => {
      const t = tampered(quarantined, ["DELETE FROM sr_quarantine WHERE id = 'QUA-1'"]);
      await verifyNames(t, 'sr_quarantine');
      await refused(t, ['sr', 'quarantine', 'list'], 'sr_quarantine');
      await refused(t, ['sr', 'quarantine', 'release', 'QUA-1', '--officer', g.aro], 'sr_quarantine');
    });
  });

  describe('meta', () => {
    it("the CA's name edited: verify 5, a rollover (which names the new Issuing OCA by it) refuses (5)", async () => {
      const t = tampered(undefined, ["UPDATE meta SET value = 'Mallory OCA' WHERE key = 'ca_name'"]);
      await verifyNames(t, 'meta', /ca_name/);
      await refused(t, ['ca', 'issue-issuing', '--root-passphrase-file', g.pass, '--passphrase-file', g.pass], 'meta');
    });

    it("the CA's name deleted: verify 5, a rollover refuses (5) instead of naming the new Issuing OCA by the default", async () => {
      const t = tampered(undefined, ["DELETE FROM meta WHERE key = 'ca_name'"]);
      await verifyNames(t, 'meta');
      await refused(t, ['ca', 'issue-issuing', '--root-passphrase-file', g.pass, '--passphrase-file', g.pass], 'meta');
    });
  });

  describe('certified_keys (and serials, written before schema 19)', () => {
    // Issuance asks certified_keys whether a CSR's key is certified already: the SRP's own CSR again.
    const issueAgain = () => ['cert', 'issue', '--csr', join(g.dir, 'srp-xml.csr'), '--profile', 'xml-sign', '--party', SRP, '--officer', g.aro, '--passphrase-file', g.pass];

    it("the SRP's certificate deleted with its key's row: verify 5, issuing its CSR again refuses (5) instead of certifying the key a second time", async () => {
      const serial = g.srp.cert.serialHex;
      const t = tampered(undefined, ['DELETE FROM certified_keys WHERE serial = ?', serial], ['DELETE FROM certificates WHERE serial = ?', serial]);
      await verifyNames(t, 'certified_keys');
      await refused(t, issueAgain(), 'certified_keys');
    });

    it("a certified key's serial edited: verify 5 naming the row, issuing its CSR again refuses (5)", async () => {
      const t = tampered(undefined, ["UPDATE certified_keys SET serial = '00' WHERE serial = ?", g.srp.cert.serialHex]);
      await verifyNames(t, 'certified_keys', /spki_sha256=/);
      await refused(t, issueAgain(), 'certified_keys');
    });

    it('untouched, the same CSR is refused as already certified (3), not as tampering', async () => {
      const r = await fresh().run([...issueAgain(), '--json']);
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`CSR_KEY_REUSED[\\s\\S]*certified by serial ${g.srp.cert.serialHex}`));
    });

    it('a serial row put in outside smki (nothing writes serials now; its rows from before are verified): verify 5', async () => {
      await verifyNames(tampered(undefined, ["INSERT INTO serials (serial, user_id, profile, reserved_at) VALUES ('7F00', '90B3D51F30030000', 'xml-sign', '2026-11-01T00:00:00.000Z')"]), 'serials');
    });
  });

  describe('ca_certificate_history and retired_crls', () => {
    it("the retired Issuing OCA's retirement moved: verify 5, crl --refresh and crl --issuer refuse (5)", async () => {
      const t = tampered(rolled, ["UPDATE ca_certificate_history SET retired_at = '2020-01-01T00:00:00.000Z'"]);
      await verifyNames(t, 'ca_certificate_history');
      await refused(t, ['crl', '--refresh', '--passphrase-file', g.pass], 'ca_certificate_history');
      await refused(t, ['crl', '--issuer', retiredSerial, '--out', t.write('old.crl', '')], 'ca_certificate_history');
    });

    it('the retired Issuing OCA deleted from the history: verify 5, crl --refresh refuses (5) instead of no longer signing its CRL', async () => {
      const t = tampered(rolled, ['DELETE FROM ca_certificate_history']);
      await verifyNames(t, 'ca_certificate_history');
      await refused(t, ['crl', '--refresh', '--passphrase-file', g.pass], 'ca_certificate_history');
    });

    it("the retired OCA's newest CRL edited (a later next update): verify 5, crl --issuer refuses (5)", async () => {
      const t = tampered(rolled, ["UPDATE retired_crls SET next_update = '2099-01-01T00:00:00.000Z' WHERE number = (SELECT max(number) FROM retired_crls)"]);
      await verifyNames(t, 'retired_crls');
      await refused(t, ['crl', '--issuer', retiredSerial, '--out', t.write('old.crl', '')], 'retired_crls');
    });

    it("the retired OCA's newest CRL deleted: verify 5, crl --issuer refuses (5) instead of publishing the one before it", async () => {
      const t = tampered(rolled, ['DELETE FROM retired_crls WHERE number = (SELECT max(number) FROM retired_crls)']);
      await verifyNames(t, 'retired_crls');
      await refused(t, ['crl', '--issuer', retiredSerial, '--out', t.write('old.crl', '')], 'retired_crls');
    });
  });

  describe('parties', () => {
    it("the SRP's Party renamed: verify 5, party add under the new name refuses (5) instead of joining the SRP's Party", async () => {
      const t = tampered(undefined, ["UPDATE parties SET name = 'Mallory Ltd' WHERE name = 'Shared Resources Ltd'"]);
      await verifyNames(t, 'parties');
      await refused(t, ['party', 'add', '--name', 'Mallory Ltd', '--role', 'SC', '--eui', '90B3D51F300C0009', '--acting-for', SUPPLIER], 'parties');
    });

    // The name read beside a User ID, an officer or an ADT file (a join) is checked with the Party's own row.
    it("the SRP's Party renamed: its name is not shown or recorded beside its User ID, officers or ADT files (exit 5)", async () => {
      const t = tampered(undefined, ["UPDATE parties SET name = 'Mallory Ltd' WHERE name = 'Shared Resources Ltd'"]);
      const csr = t.write('srp.csr', (await makeCsr({ eui: SRP })).pem);
      await refused(t, ['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer', g.aro, '--passphrase-file', g.pass], 'parties');
      for (const args of [['party', 'list'], ['officer', 'list', '--party', SRP], ['adt', 'list']]) {
        const r = await t.run(args);
        assert.equal(r.code, 5, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /table parties/);
        assert.doesNotMatch(r.stdout, /Mallory/);
      }
    });
  });
});
