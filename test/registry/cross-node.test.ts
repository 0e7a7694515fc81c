// Several nodes, one registry (issue 14): real processes at once, each a node of one registry (on
// SQLite several processes on one home; on PostgreSQL several homes on one database, test/support/nodes.ts).
// Every test hands each process its own documents for the same request, so a registry that let two
// processes decide without seeing each other's commits would accept twice, pass the threshold, reuse
// a serial or a CRL Number, or fork the audit chain; every one of these is counted afterwards.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCsr } from '../support/csr.js';
import { ESME, GSME, setupGateScenario, type GateScenario } from '../support/gate-scenario.js';
import { actAs, officerTestKey, testKey } from '../support/keys.js';
import { cluster, type Cluster } from '../support/nodes.js';
import { ensureBuilt, RAW_DB_ERROR, runConcurrently, type ProcessResult } from '../support/process.js';
import { OTHER_SRP, OTHER_SUPPLIER, SRP, SUPPLIER } from '../support/scenario.js';

const NODES = 4;
const CV4 = 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML';

interface Decided { counter: string; command_variant: number; decision: string; reasons: string }

function clean(results: ProcessResult[], okCodes = [0, 3]): void {
  for (const r of results) {
    assert.doesNotMatch(r.stderr + r.stdout, RAW_DB_ERROR, r.stderr);
    assert.ok(okCodes.includes(r.code ?? -1), `exit ${r.code}: ${r.stderr}`);
  }
}

/** Reason codes of a stored decision. */
const codesOf = (d: Decided) => (JSON.parse(d.reasons) as { code: string }[]).map((x) => x.code);

describe('registry: several nodes at once (issue 14)', function () {
  this.timeout(600_000);
  let s: GateScenario;
  let c: Cluster;
  let counter = 7000n;
  const nodeArgs = (i: number, args: string[]) => [...c.node(i), ...args];
  const lastDecision = () => Number(c.rows<{ id: number | null }>('SELECT max(id) AS id FROM sr_decisions')[0]!.id ?? 0);
  const decidedSince = (id: number) => c.rows<Decided>(`SELECT counter, command_variant, decision, reasons FROM sr_decisions WHERE id > ${id} ORDER BY id`);

  before(async () => {
    ensureBuilt();
    s = await setupGateScenario();
    c = cluster(s.home, NODES);
  });
  after(() => s?.cleanup());

  it(`${NODES} gates given their own documents for the same RequestIDs: each counter accepted once, every other one REPLAY`, async () => {
    const counters = Array.from({ length: 5 }, () => ++counter);
    // Every process walks the counters upwards with its own signed documents (a fresh signature each).
    const gates = Array.from({ length: NODES }, (_, i) =>
      nodeArgs(i, ['sr', 'check', ...counters.map((k) => s.write('rid.xml', s.request(CV4, k, ESME))), '--json']));
    const before = lastDecision();
    const results = await runConcurrently(gates);
    clean(results);
    const decided = decidedSince(before);
    assert.equal(decided.length, NODES * counters.length, 'every document decided once');
    for (const k of counters) {
      const mine = decided.filter((d) => BigInt(d.counter) === k);
      assert.equal(mine.filter((d) => d.decision === 'accept').length, 1, `counter ${k}: ${JSON.stringify(mine)}`);
      for (const d of mine.filter((x) => x.decision !== 'accept')) assert.deepEqual(codesOf(d), ['REPLAY']);
    }
    // In commit order the accepted counters rise: no node accepted below what another had accepted.
    const accepted = decided.filter((d) => d.decision === 'accept').map((d) => BigInt(d.counter));
    assert.deepEqual(accepted, counters);
  });

  it(`${NODES} gates given their own Signed Pre-Commands for the same accepted requests: each accepted once`, async () => {
    const counters = Array.from({ length: 3 }, () => ++counter);
    const cv4 = await s.check(counters.map((k) => s.write('cv4.xml', s.request(CV4, k, ESME))));
    assert.deepEqual(cv4.json.map((o: { decision: string }) => o.decision), counters.map(() => 'accept'), cv4.stdout + cv4.stderr);
    const gates = Array.from({ length: NODES }, (_, i) =>
      nodeArgs(i, ['sr', 'check', ...counters.map((k) => s.write('spc.xml', s.signedPreCommand('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX', k, ESME))), '--json']));
    const before = lastDecision();
    const results = await runConcurrently(gates);
    clean(results);
    const decided = decidedSince(before);
    assert.equal(decided.length, NODES * counters.length);
    for (const k of counters) {
      const mine = decided.filter((d) => BigInt(d.counter) === k);
      assert.ok(mine.every((d) => d.command_variant === 5), JSON.stringify(mine));
      assert.equal(mine.filter((d) => d.decision === 'accept').length, 1, `counter ${k}: ${JSON.stringify(mine)}`);
      for (const d of mine.filter((x) => x.decision !== 'accept')) assert.deepEqual(codesOf(d), ['PRECOMMAND_WITHOUT_TRANSFORM']);
    }
    assert.equal(c.count('transforms', `signed_precommand_at IS NOT NULL AND request_id IN (SELECT request_id FROM sr_decisions WHERE id > ${before})`), counters.length);
  });

  it(`${NODES} gates against an ADT quarantine threshold: exactly as many accepted as it allows, the rest quarantined or REPLAY`, async () => {
    // Requests of this SRP for the failed Supplier's Devices already in the window, then a new ADT
    // file that allows 3 more before quarantine.
    const counted = c.count('sr_decisions', `decision = 'accept' AND command_variant NOT IN (5, 6, 7) AND supplier_eui = '${SUPPLIER}'`);
    const allowed = 3;
    const adt = join(s.dir, 'adt-tight.csv');
    writeFileSync(adt, `supplier_eui,service_reference_variant,warning_threshold,quarantine_threshold\n${SUPPLIER},1.6,${counted + 1},${counted + allowed}\n`);
    const sub = await s.run(['adt', 'submit', '--party', SRP, '--officer', s.aro, '--file', adt, '--json']);
    assert.equal(sub.code, 0, sub.stderr);
    // Each process walks the same 8 counters upwards, over two Devices: 8 requests that are not replays.
    const counters = Array.from({ length: 8 }, () => ++counter);
    const gates = Array.from({ length: NODES }, (_, i) =>
      nodeArgs(i, ['sr', 'check', ...counters.map((k, j) => s.write('adt.xml', j % 2 ? s.request('GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', k, GSME) : s.request(CV4, k, ESME))), '--json']));
    const before = lastDecision();
    const results = await runConcurrently(gates);
    clean(results);
    const decided = decidedSince(before);
    assert.equal(decided.length, NODES * counters.length);
    const accepted = decided.filter((d) => d.decision === 'accept');
    assert.equal(accepted.length, allowed, JSON.stringify(decided.map((d) => [d.counter, d.decision, codesOf(d)])));
    assert.equal(new Set(accepted.map((d) => d.counter)).size, allowed);
    const quarantined = decided.filter((d) => d.decision === 'quarantine');
    assert.ok(quarantined.length >= counters.length - allowed, `${quarantined.length} quarantined`);
    for (const d of quarantined) assert.deepEqual(codesOf(d), ['ADT_QUARANTINE']);
    for (const d of decided.filter((x) => x.decision === 'refuse')) assert.deepEqual(codesOf(d), ['REPLAY']);
    assert.equal(c.count('sr_quarantine', `decision_id > ${before}`), quarantined.length);
  });

  it(`${NODES} issuers at once: no serial twice, and one key certified once (the same CSR twice: CSR_KEY_REUSED)`, async () => {
    const csrs: string[] = [];
    for (let i = 0; i < NODES; i++) {
      const f = join(s.dir, `cross-${i}.csr`);
      writeFileSync(f, (await makeCsr({ eui: SRP })).pem);
      csrs.push(f);
    }
    const key = officerTestKey(s.home, s.aro)!.key;
    const issue = (i: number, f: string) => nodeArgs(i, ['cert', 'issue', '--csr', f, '--profile', 'xml-sign', '--party', SRP, '--officer', s.aro, '--officer-key', key, '--passphrase-file', s.pass, '--json']);
    const certsBefore = c.count('certificates');
    // Every node issues its own CSR and then one more: node i repeats node i+1's CSR.
    const results = await runConcurrently([...csrs.map((f, i) => issue(i, f)), ...csrs.map((_, i) => issue(i, csrs[(i + 1) % NODES]!))]);
    clean(results);
    const issued = results.filter((r) => r.code === 0);
    const refused = results.filter((r) => r.code === 3);
    assert.equal(issued.length, NODES, results.map((r) => `${r.code} ${r.stderr}`).join('\n'));
    for (const r of refused) assert.match(r.stderr, /CSR_KEY_REUSED/);
    assert.equal(new Set(issued.map((r) => JSON.parse(r.stdout).serial as string)).size, NODES);
    assert.equal(c.count('certificates'), certsBefore + NODES);
    assert.equal(c.rows<{ n: number }>('SELECT COUNT(*) AS n FROM (SELECT serial FROM certificates GROUP BY serial HAVING COUNT(*) > 1) d')[0]!.n, 0);
  });

  it(`${NODES} approvals of one SoLR event at once: one approval stands, the others are refused`, async () => {
    const now = Date.now();
    const rec = await s.run(['solr', 'record', '--failed-supplier', OTHER_SUPPLIER, '--srp', OTHER_SRP, '--instruction', 'OFGEM-LRSD-CROSS-1',
      '--from', new Date(now - 3_600_000).toISOString(), '--until', new Date(now + 86_400_000).toISOString(), '--json', ...actAs('ra1')]);
    assert.equal(rec.code, 0, rec.stderr);
    const id = rec.json.id as string;
    // Other operators than the recorder (dual control), one per node.
    for (let i = 0; i < NODES; i++) {
      const add = await s.run(['operator', 'add', '--name', `approver${i}`, '--public-key', testKey(`approver${i}`).pub, '--json', ...actAs('ra1')]);
      assert.equal(add.code, 0, add.stderr);
    }
    const results = await runConcurrently(Array.from({ length: NODES }, (_, i) => nodeArgs(i, [...actAs(`approver${i}`), 'solr', 'approve', id, '--yes', '--json'])));
    clean(results);
    const ok = results.filter((r) => r.code === 0);
    assert.equal(ok.length, 1, results.map((r) => `${r.code} ${r.stderr}`).join('\n'));
    for (const r of results.filter((x) => x.code !== 0)) assert.match(r.stderr, /SOLR_EVENT_STATE/);
    assert.equal(c.count('audit', `action = 'solr.approve' AND subject = '${id}'`), 1);
    const row = c.rows<{ status: string; approved_by: string }>(`SELECT status, approved_by FROM solr_events WHERE id = '${id}'`)[0]!;
    assert.deepEqual([row.status, row.approved_by], ['approved', `approver${results.indexOf(ok[0]!)}`]);
  });

  it(`${NODES} CRL refreshes at once: every CRL Number once, rising in commit order`, async () => {
    const before = Number(c.rows<{ n: number | null }>('SELECT max(number) AS n FROM crls')[0]!.n ?? 0);
    const results = await runConcurrently(Array.from({ length: NODES }, (_, i) => nodeArgs(i, [...actAs('ra1'), 'crl', '--refresh', '--passphrase-file', s.pass, '--json'])));
    clean(results, [0]);
    const numbers = results.map((r) => JSON.parse(r.stdout).number as number).sort((a, b) => a - b);
    assert.deepEqual(numbers, Array.from({ length: NODES }, (_, i) => before + 1 + i));
    const stored = c.rows<{ number: number }>(`SELECT number FROM crls WHERE number > ${before} ORDER BY number`).map((r) => Number(r.number));
    assert.deepEqual(stored, numbers);
    // The audit records of these refreshes name the numbers in the order they were committed.
    const logged = c.rows<{ subject: string }>("SELECT subject FROM audit WHERE action = 'crl.generate' ORDER BY seq").map((r) => Number(r.subject.replace('CRL-', '')));
    assert.deepEqual(logged.slice(-NODES), numbers);
  });

  it('afterwards the audit chain is one line (no two records with one predecessor) and audit verify passes on every node', async () => {
    const forks = c.rows<{ prev_hash: string; n: number }>('SELECT prev_hash, COUNT(*) AS n FROM audit GROUP BY prev_hash HAVING COUNT(*) > 1');
    assert.deepEqual(forks, []);
    const seqs = c.rows<{ seq: number }>('SELECT seq FROM audit ORDER BY seq').map((r) => Number(r.seq));
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'seq runs 1..n without a gap');
    const linked = c.rows<{ n: number }>('SELECT COUNT(*) AS n FROM audit a JOIN audit b ON b.seq = a.seq + 1 WHERE b.prev_hash <> a.hash')[0]!;
    assert.equal(Number(linked.n), 0);
    const results = await runConcurrently(Array.from({ length: NODES }, (_, i) => nodeArgs(i, ['audit', 'verify', '--json'])));
    for (const r of results) assert.equal(r.code, 0, r.stdout + r.stderr);
  });
});
