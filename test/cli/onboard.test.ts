import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { passphraseFile, smki, tempDir } from '../support/cli.js';
import { registryDigest } from '../support/scenario.js';
import { testDatabaseUrl } from '../support/database.js';
import { adminFlags, actAs } from '../support/keys.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'onboard');
const FULL = join(FIXTURES, 'full-plan.yaml');
const FAILS = join(FIXTURES, 'fails-at-step-7.yaml');
const MINIMAL = join(FIXTURES, 'minimal.json');

/** The 1-based line of the first line of `file` that starts with `prefix`. */
function lineOf(file: string, prefix: string): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.startsWith(prefix));
  assert.ok(i >= 0, `${prefix} in ${file}`);
  return i + 1;
}

function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

interface Home {
  dir: string;
  home: string;
  pass: string;
  run: (args: string[]) => ReturnType<typeof smki>;
  cleanup: () => void;
}

async function freshHome(): Promise<Home> {
  const t = tempDir('smki-onboard-');
  const home = join(t.dir, 'home');
  const pass = passphraseFile(t.dir);
  // Every command acts as ra0 (the plan's steps too, where they name no key of their own).
  const run = (args: string[]) => smki(['--home', home, ...actAs('ra0'), ...args]);
  const r = await run(['init', '--passphrase-file', pass, '--ca-name', 'Onboard Test OCA', ...adminFlags(t.dir, 'ra0')]);
  assert.equal(r.code, 0, r.stderr);
  // The plans' second operator (approvedAs, activatedAs: keys/ra2.key).
  const ra2 = await run(['operator', 'add', '--name', 'RA Officer 2', '--public-key', join(FIXTURES, 'keys', 'ra2.pub')]);
  assert.equal(ra2.code, 0, ra2.stderr);
  return { dir: t.dir, home, pass, run, cleanup: t.cleanup };
}

const STEP_KINDS = [
  'party.add', 'officer.add', 'officer.activate', 'ca.trust', 'cert.register', 'cert.issue',
  'device.import', 'adt.submit', 'solr.record', 'solr.approve', 'solr.revoke-supplier',
];

describe('cli: onboard', function () {
  this.timeout(30_000);
  let h: Home;
  before(async () => {
    process.env.SMKI_AS_PASSPHRASE_FILE = join(FIXTURES, 'keys', 'passphrase.txt');
    process.env.SMKI_OFFICER_PASSPHRASE_FILE = join(FIXTURES, 'keys', 'passphrase.txt');
    h = await freshHome();
  });
  after(() => {
    delete process.env.SMKI_AS_PASSPHRASE_FILE;
    delete process.env.SMKI_OFFICER_PASSPHRASE_FILE;
    h.cleanup();
  });

  // SQLite: the registry file's bytes unchanged; PostgreSQL: every row of the home's schema (registryDigest).
  it(`--dry-run on a new home reports every step as it would be done and writes nothing (${testDatabaseUrl() ? 'every row of the schema' : 'registry bytes'} unchanged)`, async () => {
    const db = testDatabaseUrl() ? undefined : join(h.home, 'registry.sqlite');
    const bytes = db && fileSha256(db);
    const digest = registryDigest(h.home);
    const r = await h.run(['onboard', '--file', FULL, '--dry-run', '--passphrase-file', h.pass, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.dryRun, true);
    assert.equal(r.json.summary.done, r.json.steps.length);
    assert.deepEqual([...new Set(r.json.steps.map((s: { kind: string }) => s.kind))].sort(), [...STEP_KINDS].sort());
    if (db) assert.equal(fileSha256(db), bytes);
    assert.equal(registryDigest(h.home), digest);
    const parties = await h.run(['party', 'list', '--json']);
    assert.deepEqual(parties.json.items, []);
  });

  let firstRun: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  it('runs a plan covering every step type, in dependency order, reporting the registry IDs', async () => {
    const r = await h.run(['onboard', '--file', FULL, '--passphrase-file', h.pass, '--json']);
    assert.equal(r.code, 0, r.stderr);
    firstRun = r.json;
    const steps = r.json.steps as { n: number; kind: string; key: string; status: string; id?: string; line: number }[];
    assert.ok(steps.every((s) => s.status === 'done'), JSON.stringify(steps.filter((s) => s.status !== 'done')));
    assert.deepEqual([...new Set(steps.map((s) => s.kind))].sort(), [...STEP_KINDS].sort());
    const byKey = (kind: string, key: string) => steps.find((s) => s.kind === kind && s.key === key)!;
    assert.match(byKey('officer.add', 'officers.ari').id!, /^OFC-\d+$/);
    assert.match(byKey('adt.submit', 'adtFiles.srp-thresholds').id!, /^ADT-\d+$/);
    assert.match(byKey('solr.record', 'solrEvents.lrsd-042').id!, /^SOLR-\d+$/);
    assert.equal(byKey('party.add', 'parties.srp').line, lineOf(FULL, '  srp:'));
    // Dependency order: the SRO before the ARO it nominates, the ARO's activation before its CSR.
    assert.ok(byKey('officer.add', 'officers.dana').n < byKey('officer.add', 'officers.ari').n);
    assert.ok(byKey('officer.activate', 'officers.ari').n < byKey('cert.issue', 'certificates.srp-xml').n);
    assert.ok(byKey('solr.approve', 'solrEvents.lrsd-042').n < byKey('solr.revoke-supplier', 'solrEvents.lrsd-042').n);
    // What the registry now holds, through the ordinary commands.
    const e = await h.run(['solr', 'show', byKey('solr.record', 'solrEvents.lrsd-042').id!, '--json']);
    assert.equal(e.json.status, 'approved');
    assert.equal(e.json.approvedBy, 'RA Officer 2');
    assert.ok(e.json.suppliersRevokedAt);
    const certs = await h.run(['cert', 'list', '--party', '90B3D51F30010000', '--json']);
    assert.equal(certs.json.items.length, 2);
    assert.ok(certs.json.items.every((c: { status: string; solrEventId: string }) => c.status === 'revoked' && c.solrEventId === e.json.id));
    const v = await h.run(['audit', 'verify', '--json']);
    assert.equal(v.code, 0, v.stderr);
  });

  it('runs the same plan again: every step skipped, the registry unchanged', async () => {
    const before = registryDigest(h.home);
    // No passphrase needed: nothing is left to sign.
    const r = await h.run(['onboard', '--file', FULL, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.json.steps.every((s: { status: string }) => s.status === 'skipped'), JSON.stringify(r.json.steps));
    assert.equal(r.json.summary.changed, false);
    assert.deepEqual(r.json.steps.map((s: { id?: string }) => s.id), firstRun.steps.map((s: { id?: string }) => s.id));
    assert.equal(registryDigest(h.home), before);
    const text = await h.run(['onboard', '--file', FULL]);
    assert.match(text.stdout, /nothing changed/);
    // And a dry run of it says the same.
    const d = await h.run(['onboard', '--file', FULL, '--dry-run', '--json']);
    assert.ok(d.json.steps.every((s: { status: string }) => s.status === 'skipped'));
    assert.equal(registryDigest(h.home), before);
  });

  it('a re-run does not reinstate a suspended ARO: the activation step is refused (OFFICER_NOT_ACTIVE), exit 3', async () => {
    const ari = firstRun.steps.find((x: { kind: string; key: string }) => x.kind === 'officer.add' && x.key === 'officers.ari').id;
    assert.equal((await h.run(['officer', 'suspend', ari])).code, 0);
    const before = registryDigest(h.home);
    const r = await h.run(['onboard', '--file', FULL, '--json']);
    assert.equal(r.code, 3, r.stderr);
    const st = r.json.steps.find((x: { status: string }) => x.status === 'refused');
    assert.equal(st.kind, 'officer.activate');
    assert.equal(st.key, 'officers.ari');
    assert.deepEqual(st.reasons.map((x: { code: string }) => x.code), ['OFFICER_NOT_ACTIVE']);
    assert.ok(r.json.steps.slice(st.n).every((x: { status: string }) => x.status === 'not-run'));
    assert.equal(registryDigest(h.home), before);
  });

  it('a minimal JSON plan runs without the CA passphrase (nothing to sign)', async () => {
    const t = await freshHome();
    try {
      const r = await t.run(['onboard', '--file', MINIMAL, '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.json.steps.map((s: { kind: string; status: string }) => `${s.kind}:${s.status}`), ['party.add:done', 'party.add:done', 'officer.add:done']);
      assert.equal(r.json.steps[1].line, lineOf(MINIMAL, '    "srp"'));
    } finally {
      t.cleanup();
    }
  });

  it('stops at a refused step 7 (SoLRContingency ds request) with its line; steps 1-6 stay done and audited', async () => {
    const t = await freshHome();
    try {
      const before = registryDigest(t.home);
      const dry = await t.run(['onboard', '--file', FAILS, '--dry-run', '--passphrase-file', t.pass, '--json']);
      assert.equal(dry.code, 3);
      assert.equal(dry.json.summary.stoppedAt, 7);
      assert.equal(registryDigest(t.home), before);

      const r = await t.run(['onboard', '--file', FAILS, '--passphrase-file', t.pass, '--json']);
      assert.equal(r.code, 3, r.stderr);
      const steps = r.json.steps;
      assert.deepEqual(steps.map((s: { status: string }) => s.status), ['done', 'done', 'done', 'done', 'done', 'done', 'refused', 'not-run', 'not-run']);
      assert.equal(steps[6].n, 7);
      assert.equal(steps[6].kind, 'cert.issue');
      assert.equal(steps[6].key, 'certificates.srp-ds');
      assert.equal(steps[6].line, lineOf(FAILS, '  srp-ds:'));
      const codes = steps[6].reasons.map((x: { code: string }) => x.code);
      assert.ok(codes.includes('SOLR_CONTINGENCY_XML_SIGN_ONLY'), codes.join());
      assert.equal(r.json.summary.stoppedAt, 7);
      const text = await t.run(['onboard', '--file', FAILS, '--passphrase-file', t.pass]);
      assert.equal(text.code, 3);
      assert.match(text.stdout, /stopped at step 7 \(cert\.issue certificates\.srp-ds, plan line \d+\)/);
      assert.match(text.stdout, /SOLR_CONTINGENCY_XML_SIGN_ONLY \[R2\]/);

      // Steps 1-6 are in the registry and in the audit chain.
      const audit = await t.run(['audit', 'log', '--limit', '100', '--json']);
      const actions = audit.json.items.map((a: { action: string }) => a.action);
      for (const a of ['party.add', 'officer.add', 'officer.activate', 'cert.issue']) assert.ok(actions.includes(a), a);
      assert.ok(!actions.includes('solr.record'));
      const v = await t.run(['audit', 'verify', '--json']);
      assert.equal(v.code, 0, v.stderr);
      const certs = await t.run(['cert', 'list', '--party', '90B3D51F300C0001', '--json']);
      assert.deepEqual(certs.json.items.map((c: { profile: string }) => c.profile), ['xml-sign']);
    } finally {
      t.cleanup();
    }
  });

  it('adds a second User Role to a User ID already registered (a dual-fuel Supplier), once; role lists too', async () => {
    const t = await freshHome();
    try {
      assert.equal((await t.run(['party', 'add', '--name', 'Failing Energy Ltd', '--role', 'IS', '--eui', '90B3D51F30010000', ...actAs('ra0')])).code, 0);
      const plan = join(t.dir, 'dual.yaml');
      writeFileSync(plan, [
        'parties:',
        '  sup: { name: Failing Energy Ltd, role: GasSupplier, eui: 90B3D51F30010000 }',
        '  other: { name: Other Energy, role: [IS, GS], eui: 90B3D51F30030000 }',
        '',
      ].join('\n'));
      const r = await t.run(['onboard', '--file', plan, '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.json.steps.map((s: { key: string; status: string }) => `${s.key} ${s.status}`),
        ['parties.sup done', 'parties.other done', 'parties.other done']);
      const parties = (await t.run(['party', 'list', '--json'])).json.items as { userId: string; roles: string[] }[];
      assert.deepEqual(parties.filter((u) => u.userId !== undefined).map((u) => `${u.userId} ${u.roles.join('+')}`).sort(),
        ['90B3D51F30010000 IS+GS', '90B3D51F30030000 IS+GS']);
      const again = await t.run(['onboard', '--file', plan, '--json']);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(again.json.steps.map((s: { status: string }) => s.status), ['skipped', 'skipped', 'skipped']);
      const log = (await t.run(['audit', 'log', '--limit', '50', '--json'])).json.items as { action: string; subject: string }[];
      assert.deepEqual(log.filter((a) => a.action === 'party.add-role').map((a) => a.subject), ['90B3D51F30010000', '90B3D51F30030000']);
    } finally {
      t.cleanup();
    }
  });

  describe('validation', () => {
    let t: Home;
    before(async () => { t = await freshHome(); });
    after(() => t.cleanup());

    const bad = `version: 1
# every problem below is reported with its line
parties:
  sup:
    name: Failing Energy Ltd
    role: IS
    eui: 90B3D51F3001000Z
  srp:
    name: Shared Resources plc
    role: SC
    eui: 90B3D51F300C0001
    actingFor: 90B3D51F30010000
officers:
  dana:
    party: srp
    kind: sro
    name: Dana Director
    evidence: RAPP-1
  ari:
    party: srp
    kind: aro
    name: Ari Officer
    nominatedBy: dana2
certificates:
  xml:
    csr: missing.csr
    profile: xml-sign
    party: srp
    officer: ari
`;

    it('reports every problem with its plan line (bad EUI, unknown reference, missing file): exit 4, registry unchanged', async () => {
      const plan = join(t.dir, 'plan.yaml');
      writeFileSync(plan, bad);
      const before = registryDigest(t.home);
      const r = await t.run(['onboard', '--file', plan, '--passphrase-file', t.pass]);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /plan\.yaml line 7: parties\.sup\.eui: '90B3D51F3001000Z' is not an EUI-64/);
      assert.match(r.stderr, /plan\.yaml line 12: parties\.srp\.actingFor: no party with User ID 90B3D51F30010000 in the plan, and none is registered/);
      assert.match(r.stderr, /plan\.yaml line 23: officers\.ari\.nominatedBy: no SRO 'dana2' in the plan/);
      assert.match(r.stderr, /plan\.yaml line 26: certificates\.xml\.csr: missing\.csr: no such file/);
      assert.match(r.stderr, /nothing was written/);
      assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
      assert.equal(registryDigest(t.home), before);
      const j = await t.run(['onboard', '--file', plan, '--json']);
      assert.equal(j.code, 4);
      assert.equal(j.json.valid, false);
      // 14, 19: the officers name no publicKey; 25: the certificate's ARO has no key file (plans name key files).
      assert.deepEqual(j.json.errors.map((e: { line: number }) => e.line), [7, 12, 14, 19, 23, 25, 26]);
      assert.equal(j.json.errors[4].path, 'officers.ari.nominatedBy');
      assert.equal(registryDigest(t.home), before);
    });

    it('reports YAML syntax, JSON syntax, unknown fields and a bad ADT row with lines', async () => {
      const cases: [string, string, RegExp][] = [
        ['syntax.yaml', 'parties:\n  a: [1,\n  b: 2\n', /syntax\.yaml line 3: not valid YAML/],
        ['syntax.json', '{\n  "parties": {\n    "a": { "name": "x" ]\n  }\n}\n', /syntax\.json line 3: not valid JSON\/YAML/],
        ['unknown.yaml', 'parties:\n  a:\n    name: A\n    role: IS\n    eui: 90B3D51F30010000\n    colour: blue\n', /unknown\.yaml line 6: parties\.a\.colour: unknown field/],
        ['section.yaml', 'partys:\n  a: {}\n', /section\.yaml line 1: partys: unknown field/],
        ['dup.yaml', 'parties:\n  a:\n    name: A\n  a:\n    name: B\n', /dup\.yaml line 4: not valid YAML: a key appears twice/],
      ];
      for (const [name, text, re] of cases) {
        const f = join(t.dir, name);
        writeFileSync(f, text);
        const r = await t.run(['onboard', '--file', f]);
        assert.equal(r.code, 4, `${name}: ${r.stderr}`);
        assert.match(r.stderr, re, name);
      }
      // An ADT file with a bad row: its own line and the plan line of the step.
      copyFileSync(join(FIXTURES, 'adt.csv'), join(t.dir, 'adt-ok.csv'));
      writeFileSync(join(t.dir, 'adt-bad.csv'), 'supplier_eui,service_reference_variant,warning_threshold,quarantine_threshold\n90B3D51F30010000,1.6,10,5\n');
      const plan = join(t.dir, 'adt-plan.yaml');
      writeFileSync(plan, 'parties:\n  sup: { name: S, role: IS, eui: 90B3D51F30010000 }\n  srp: { name: P, role: SC, eui: 90B3D51F300C0001, actingFor: sup }\nadtFiles:\n  a:\n    file: adt-bad.csv\n    party: srp\n    officer: OFC-99\n');
      const r = await t.run(['onboard', '--file', plan]);
      assert.equal(r.code, 4);
      assert.match(r.stderr, /adt-plan\.yaml line 8: adtFiles\.a\.officer: no ARO 'OFC-99' in the plan, and no officer OFC-99 is registered/);
      writeFileSync(plan, `parties:\n  sup: { name: S, role: IS, eui: 90B3D51F30010000 }\n  srp: { name: P, role: SC, eui: 90B3D51F300C0001, actingFor: sup }\nofficers:\n  d: { party: srp, kind: sro, name: D, evidence: E, publicKey: ${join(FIXTURES, 'keys', 'dana.pub')}, key: ${join(FIXTURES, 'keys', 'dana.key')} }\n  a: { party: srp, kind: aro, name: A, nominatedBy: d, activatedAs: ${join(FIXTURES, 'keys', 'ra2.key')}, publicKey: ${join(FIXTURES, 'keys', 'ari.pub')}, key: ${join(FIXTURES, 'keys', 'ari.key')} }\nadtFiles:\n  a:\n    file: adt-bad.csv\n    party: srp\n    officer: a\n`);
      const r2 = await t.run(['onboard', '--file', plan]);
      assert.equal(r2.code, 4);
      assert.match(r2.stderr, /adt-plan\.yaml line 8: adtFiles\.a\.file: adt-bad\.csv line 2: quarantine_threshold 5 is below warning_threshold 10/);
      assert.deepEqual((await t.run(['party', 'list', '--json'])).json.items, []);
    });

    it('a plan that signs needs the passphrase: without one (and no terminal) it is an error naming the flag, nothing written', async () => {
      const before = registryDigest(t.home);
      const r = await t.run(['onboard', '--file', FULL]);
      assert.equal(r.code, 4);
      assert.match(r.stderr, /missing --passphrase-file/);
      assert.equal(registryDigest(t.home), before);
    });

    it('a missing --file without a terminal is an error naming the flag', async () => {
      const r = await t.run(['onboard']);
      assert.equal(r.code, 4);
      assert.match(r.stderr, /missing --file/);
    });
  });

  it('shows a progress line on a terminal stderr only', async () => {
    const t = await freshHome();
    try {
      class Sink extends Writable {
        text = '';
        override _write(c: Buffer, _e: string, cb: () => void): void { this.text += c.toString(); cb(); }
      }
      const stdout = new Sink();
      const stderr = new Sink();
      const stdin = new PassThrough();
      stdin.end();
      const code = await main(['node', 'smki', '--home', t.home, ...actAs('ra0'), 'onboard', '--file', MINIMAL], { stdout, stderr, stdin, interactive: false, progress: true });
      assert.equal(code, 0, stderr.text);
      assert.match(stderr.text, /step 1\/3 party\.add parties\.supplier/);
      assert.match(stderr.text, /\r\x1b\[K$/); // cleared at the end
      assert.doesNotMatch(stdout.text, /\x1b/);
    } finally {
      t.cleanup();
    }
  });
});
