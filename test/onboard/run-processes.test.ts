// Onboarding as real processes: the same plan run twice at once makes every officer, event and
// certificate once; a run interrupted (kill -9, Ctrl+C) at several points leaves whole steps only,
// and running the plan again completes it to the very state of an uninterrupted run.
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { passphraseFile, smki, tempDir } from '../support/cli.js';
import { actAs, adminFlags, testKey } from '../support/keys.js';
import { holdWriteLock, query } from '../support/query.js';
import { ensureBuilt, RAW_DB_ERROR, runConcurrently, startSmki, type ProcessResult } from '../support/process.js';

const FULL = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'onboard'), 'full-plan.yaml');
const KEYS = join(dirname(FULL), 'keys');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Home { dir: string; home: string; pass: string; cleanup: () => void }

async function freshHome(): Promise<Home> {
  const t = tempDir('smki-onboard-proc-');
  const home = join(t.dir, 'home');
  const pass = passphraseFile(t.dir);
  const r = await smki(['--home', home, 'init', '--passphrase-file', pass, '--ca-name', 'Onboard Process OCA', ...adminFlags(t.dir, 'ra0')]);
  assert.equal(r.code, 0, r.stderr);
  // The plans' second operator (approvedAs, activatedAs: fixtures/onboard/keys/ra2.key).
  const ra2 = await smki(['--home', home, ...actAs('ra0'), 'operator', 'add', '--name', 'RA Officer 2', '--public-key', join(KEYS, 'ra2.pub')]);
  assert.equal(ra2.code, 0, ra2.stderr);
  return { dir: t.dir, home, pass, cleanup: t.cleanup };
}


/** What a plan's run leaves, independent of IDs and times: one line per fact, sorted. */
function state(home: string): string[] {
  return [
    ...query<{ v: string }>(home, "SELECT 'user_id ' || eui AS v FROM user_ids"),
    ...query<{ v: string }>(home, "SELECT 'role ' || eui || ' ' || role AS v FROM user_id_roles"),
    ...query<{ v: string }>(home, "SELECT 'officer ' || party_id || ' ' || kind || ' ' || name || ' ' || status AS v FROM officers"),
    ...query<{ v: string }>(home, "SELECT 'event ' || failed_supplier || ' ' || instruction_ref || ' ' || status || ' ' || (suppliers_revoked_at IS NOT NULL) AS v FROM solr_events"),
    ...query<{ v: string }>(home, "SELECT 'cert ' || spki_sha256 || ' ' || user_id || ' ' || profile || ' ' || status AS v FROM certificates"),
    ...query<{ v: string }>(home, "SELECT 'adt ' || supplier_eui || ' ' || status AS v FROM adt_files"),
    ...query<{ v: string }>(home, "SELECT 'devices ' || count(*) AS v FROM devices"),
    ...query<{ v: string }>(home, "SELECT 'trust ' || sha256 AS v FROM trust_anchors"),
    ...query<{ v: string }>(home, "SELECT 'audit ' || action || ' x' || count(*) AS v FROM audit WHERE action NOT LIKE 'crl.%' GROUP BY action"),
  ].map((r) => r.v).sort();
}

/** CPU time used so far by a process (clock ticks), from /proc. */
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').slice(readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** Waits until every process has used no CPU for `quietMs` (blocked: here, waiting for the write lock). */
async function untilBlocked(pids: number[], quietMs = 600): Promise<void> {
  let last = pids.map(cpuTicks);
  let quietSince = Date.now();
  await sleep(1000);
  for (;;) {
    await sleep(100);
    const now = pids.map(cpuTicks);
    if (now.some((t, i) => t !== last[i])) {
      last = now;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) return;
  }
}

const auditRecords = (home: string) => query<{ n: number }>(home, 'SELECT count(*) AS n FROM audit')[0]!.n;

function noRawErrors(results: ProcessResult[]): void {
  for (const r of results) assert.doesNotMatch(r.stderr + r.stdout, RAW_DB_ERROR, r.stderr);
}

async function verified(home: string): Promise<void> {
  const v = await startSmki(['--home', home, 'audit', 'verify']).done;
  assert.equal(v.code, 0, v.stdout + v.stderr);
}

describe('onboard/run: real processes', function () {
  this.timeout(600_000);
  let reference: string[];
  let referenceAudit: number;
  const homes: Home[] = [];
  const onboard = (h: Home) => ['--home', h.home, 'onboard', '--file', FULL, '--passphrase-file', h.pass, '--json'];
  before(async () => {
    // Every command (in-process or a child process) acts as ra0; the plan's own key files are encrypted.
    process.env.SMKI_AS = testKey('ra0').key;
    process.env.SMKI_AS_PASSPHRASE_FILE = join(KEYS, 'passphrase.txt');
    process.env.SMKI_OFFICER_PASSPHRASE_FILE = join(KEYS, 'passphrase.txt');
    ensureBuilt();
    const h = await freshHome();
    homes.push(h);
    const r = await startSmki(onboard(h)).done;
    assert.equal(r.code, 0, r.stderr);
    reference = state(h.home);
    referenceAudit = auditRecords(h.home);
    assert.ok(referenceAudit > 12, `${referenceAudit} audit records`);
  });
  after(() => {
    homes.forEach((h) => h.cleanup());
    delete process.env.SMKI_AS;
    delete process.env.SMKI_AS_PASSPHRASE_FILE;
    delete process.env.SMKI_OFFICER_PASSPHRASE_FILE;
  });

  it('the same plan run four times at once: every officer, event, certificate and ADT file made once, every run succeeds', async () => {
    const h = await freshHome();
    homes.push(h);
    const results = await runConcurrently([onboard(h), onboard(h), onboard(h), onboard(h)]);
    noRawErrors(results);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const reports = results.map((r) => JSON.parse(r.stdout) as { steps: { n: number; status: string; id?: string }[] });
    // Each step was done by one run and found done (skipped) by the others, with the same registry ID.
    for (const [i, st] of reports[0]!.steps.entries()) {
      const all = reports.map((rep) => rep.steps[i]!);
      assert.deepEqual(all.map((x) => x.status).sort(), ['done', 'skipped', 'skipped', 'skipped'], `step ${st.n}: ${JSON.stringify(all)}`);
      assert.equal(new Set(all.map((x) => x.id)).size, 1, `step ${st.n}: ${JSON.stringify(all)}`);
    }
    assert.deepEqual(state(h.home), reference);
    const officers = query<{ n: number }>(h.home, 'SELECT count(*) AS n FROM officers GROUP BY party_id, kind, name HAVING count(*) > 1');
    assert.deepEqual(officers, [], 'an officer registered twice');
    assert.equal(query<{ n: number }>(h.home, 'SELECT count(*) AS n FROM solr_events')[0]!.n, 1);
    await verified(h.home);
  });

  it('kill -9 and Ctrl+C at several points: whole steps only; run again, the plan completes to the same state', async () => {
    const h = await freshHome();
    homes.push(h);
    const start = auditRecords(h.home);
    // Stopped once 1, 3, 3 and 3 more audit records (each a step's, or part of a step's commit) are in.
    const points = [
      { signal: 'SIGKILL' as const, records: 1 },
      { signal: 'SIGKILL' as const, records: 3 },
      { signal: 'SIGINT' as const, records: 3 },
      { signal: 'SIGKILL' as const, records: 3 },
    ];
    let stopped = 0;
    for (const p of points) {
      const { child, done } = startSmki(onboard(h));
      const target = auditRecords(h.home) + p.records;
      let sent = false;
      while (child.exitCode === null && child.signalCode === null) {
        if (!sent && auditRecords(h.home) >= target) {
          child.kill(p.signal);
          sent = true;
        }
        await sleep(2);
      }
      const r = await done;
      noRawErrors([r]);
      if (sent && r.signal) stopped++;
      await verified(h.home);
    }
    assert.ok(stopped >= 2, `only ${stopped} run(s) were stopped part-way`);
    assert.ok(auditRecords(h.home) > start);
    const last = await startSmki(onboard(h)).done;
    assert.equal(last.code, 0, last.stderr);
    assert.deepEqual(state(h.home), reference);
    await verified(h.home);
  });

  it('two runs that both find an officer and an event to make, waiting for the same lock: each made once', async () => {
    const h = await freshHome();
    homes.push(h);
    const parties = {
      supplier: { name: 'Failing Energy Ltd', role: 'IS', eui: '90B3D51F30010000' },
      srp: { name: 'Shared Resources plc', role: 'SC', eui: '90B3D51F300C0001', actingFor: 'supplier' },
    };
    const day = 86_400_000;
    const plan = (extra: object) => {
      const f = join(h.dir, `plan-${Object.keys(extra).length}.json`);
      writeFileSync(f, JSON.stringify({ version: 1, parties, ...extra }));
      return f;
    };
    // The parties are registered already: the race plan's first writing step is an officer's.
    const first = await smki(['--home', h.home, 'onboard', '--file', plan({})]);
    assert.equal(first.code, 0, first.stderr);
    const race = plan({
      officers: {
        dana: { party: 'srp', kind: 'sro', name: 'Dana Director', evidence: 'RAPP-SRP-01', publicKey: join(KEYS, 'dana.pub'), key: join(KEYS, 'dana.key') },
        ari: { party: 'srp', kind: 'aro', name: 'Ari Officer', nominatedBy: 'dana', publicKey: join(KEYS, 'ari.pub'), activatedAs: join(KEYS, 'ra2.key') },
      },
      solrEvents: {
        lrsd: {
          failedSupplier: 'supplier', srp: 'srp', instruction: 'OFGEM-LRSD-RACE',
          from: new Date(Date.now() - day).toISOString(), until: new Date(Date.now() + 20 * day).toISOString(),
          approvedAs: join(KEYS, 'ra2.key'),
        },
      },
    });
    // Another connection holds the write lock while both runs start, read the registry and queue for it.
    const release = holdWriteLock(h.home);
    const runs = [0, 1].map(() => startSmki(['--home', h.home, 'onboard', '--file', race, '--json']));
    try {
      await untilBlocked(runs.map((r) => r.child.pid!));
    } finally {
      release();
    }
    const results = await Promise.all(runs.map((r) => r.done));
    noRawErrors(results);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const officers = query<{ name: string; n: number }>(h.home, 'SELECT name, count(*) AS n FROM officers GROUP BY name ORDER BY name');
    assert.deepEqual(officers, [{ name: 'Ari Officer', n: 1 }, { name: 'Dana Director', n: 1 }]);
    assert.deepEqual(query(h.home, 'SELECT status, approved_by FROM solr_events'), [{ status: 'approved', approved_by: 'RA Officer 2' }]);
    const audit = query<{ action: string; n: number }>(h.home, "SELECT action, count(*) AS n FROM audit WHERE action LIKE 'officer.%' OR action LIKE 'solr.%' GROUP BY action ORDER BY action");
    assert.ok(audit.every((a) => a.n === (a.action === 'officer.add' ? 2 : 1)), JSON.stringify(audit));
    await verified(h.home);
  });
});
