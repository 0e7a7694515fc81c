// People with credentials, end to end through the CLI: officers act with their keys (cert issue, adt
// submit, ARO nomination), dual control compares keys, and audit verify re-checks every statement.
import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordHash } from '../../src/registry/audit.js';
import { smki } from '../support/cli.js';
import { copyHome } from '../support/home-copy.js';
import { openOutside, query } from '../support/query.js';
import { makeCsr } from '../support/csr.js';
import { actAs, officerKey, officerTestKey, personKey, testKey } from '../support/keys.js';
import { registryDigest, setupScenario, SRP, SUPPLIER, type Scenario } from '../support/scenario.js';

describe('cli: officers and operators act with their keys', function () {
  this.timeout(120_000);
  let s: Scenario;
  let adt: string;
  const keyOf = (id: string) => officerTestKey(s.home, id)!.key;
  // Commands run with exactly the keys given (no officer key is filled in for them).
  const raw = (args: string[]) => smki(['--home', s.home, ...actAs('ra1'), ...args, '--json']);
  const issue = async (officerKeyFile: string, extra: string[] = []) => {
    const csr = join(s.dir, `c-${Math.random().toString(36).slice(2)}.csr`);
    writeFileSync(csr, (await makeCsr({ eui: SRP })).pem);
    return raw(['cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', SRP, '--officer-key', officerKeyFile, '--passphrase-file', s.pass, ...extra]);
  };
  const submit = (officerKeyFile: string, extra: string[] = []) =>
    raw(['adt', 'submit', '--party', SRP, '--file', adt, '--officer-key', officerKeyFile, ...extra]);
  const codes = (r: { json: { reasons?: { code: string }[] } }) => (r.json?.reasons ?? []).map((x) => x.code).sort();
  let suspended: string;

  before(async () => {
    s = await setupScenario();
    adt = join(s.dir, 'adt.csv');
    writeFileSync(adt, `supplier_eui,service_reference_variant,warning_threshold,quarantine_threshold\n${SUPPLIER},1.6,5,10\n`);
    // An ARO of the SRP's Party, activated, then suspended.
    const add = await s.run(['officer', 'add', '--party', SRP, '--kind', 'aro', '--name', 'Sus Pended', '--nominated-by', s.sro, '--json']);
    assert.equal(add.code, 0, add.stderr);
    suspended = add.json.id;
    assert.equal((await s.run(['officer', 'activate', suspended])).code, 0);
    assert.equal((await s.run(['officer', 'suspend', suspended])).code, 0);
  });
  after(() => s.cleanup());

  it("cert issue and adt submit: another Party's ARO key, an SRO's key, a suspended ARO's key are refused; nothing changes", async () => {
    const before = registryDigest(s.home);
    for (const [key, want] of [
      [keyOf(s.otherAro), ['OFFICER_FOREIGN_PARTY']],
      [keyOf(s.sro), ['OFFICER_NOT_ARO']],
      [keyOf(suspended), ['OFFICER_NOT_ACTIVE']],
      [keyOf(s.nominatedAro), ['OFFICER_NOT_ACTIVE']],
      [personKey(s.dir, 'nobody').key, ['OFFICER_KEY_UNKNOWN']],
    ] as const) {
      const c = await issue(key);
      assert.equal(c.code, 3, `cert issue: ${c.stderr}`);
      assert.deepEqual(codes(c), [...want].sort(), c.stdout);
      const a = await submit(key);
      assert.equal(a.code, 3, `adt submit: ${a.stderr}`);
      assert.ok(codes(a).includes(want[0]!), a.stdout);
    }
    // --officer, if given, must be the officer whose key signs.
    const mismatch = await issue(keyOf(s.aro), ['--officer', s.otherAro]);
    assert.deepEqual(codes(mismatch), ['OFFICER_KEY_MISMATCH']);
    assert.deepEqual(codes(await submit(keyOf(s.aro), ['--officer', s.nominatedAro])), ['OFFICER_KEY_MISMATCH']);
    assert.equal(registryDigest(s.home), before);
  });

  it("with the active ARO's key: accepted, and the ADT file's SHA-256 is in the signed statement", async () => {
    const c = await issue(keyOf(s.aro), ['--officer', s.aro]);
    assert.equal(c.code, 0, c.stderr);
    const a = await submit(keyOf(s.aro));
    assert.equal(a.code, 0, a.stderr);
    const log = (await raw(['audit', 'log', '--limit', '5'])).json.items as { action: string; actor: string; statement: string; signedBy: { signer: string; key: string } }[];
    const rec = log.find((r) => r.action === 'adt.submit')!;
    assert.equal(rec.actor, s.aro);
    assert.equal(rec.signedBy.signer, 'officer');
    const st = JSON.parse(rec.statement);
    assert.equal(st.args.sha256, (await import('node:crypto')).createHash('sha256').update(readFileSync(adt)).digest('hex'));
    assert.equal(log.find((r) => r.action === 'cert.issue')!.signedBy.signer, 'officer');
  });

  it("an ARO is nominated by an active SRO of the same Party, signing with its key: another Party's SRO or an ARO is refused", async () => {
    const pub = officerKey('Nominee Two').pub;
    const add = (key: string) => raw(['officer', 'add', '--party', SRP, '--kind', 'aro', '--name', 'Nominee Two', '--public-key', pub, '--officer-key', key]);
    assert.deepEqual(codes(await add(officerKey('Olga').key)), ['SRO_REQUIRED']); // the other SRP's SRO
    assert.deepEqual(codes(await add(keyOf(s.aro))), ['SRO_REQUIRED']);
    const ok = await add(keyOf(s.sro));
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.json.nominatedBy, s.sro);
    // One key per officer.
    const again = await raw(['officer', 'add', '--party', SRP, '--kind', 'aro', '--name', 'Nominee Three', '--public-key', pub, '--officer-key', keyOf(s.sro)]);
    assert.equal(again.code, 4);
    assert.match(again.stderr, /already registered for/);
  });

  it('dual control by key: the same key under two operator names may not approve its own event; a second key approves; revoke-supplier needs another key than the approver', async () => {
    assert.equal((await raw(['operator', 'add', '--name', 'ra1-other-name', '--public-key', testKey('ra1').pub])).code, 0);
    const now = Date.now();
    const rec = await raw(['solr', 'record', '--failed-supplier', SUPPLIER, '--srp', SRP, '--instruction', 'OFGEM-KEYS-1',
      '--from', new Date(now - 3600_000).toISOString(), '--until', new Date(now + 10 * 86_400_000).toISOString()]);
    assert.equal(rec.code, 0, rec.stderr);
    const before = registryDigest(s.home);
    const self = await raw(['solr', 'approve', rec.json.id, '--yes']);
    assert.equal(self.code, 3);
    assert.deepEqual(codes(self), ['SOLR_SELF_APPROVAL']);
    assert.equal(registryDigest(s.home), before);
    const ok = await smki(['--home', s.home, ...actAs('ra2'), 'solr', 'approve', rec.json.id, '--yes', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.json.approvedBy, 'ra2');
    const sameAsApprover = await smki(['--home', s.home, ...actAs('ra2'), 'solr', 'revoke-supplier', rec.json.id, '--passphrase-file', s.pass, '--yes', '--json']);
    assert.equal(sameAsApprover.code, 3);
    assert.deepEqual(codes(sameAsApprover), ['DUAL_CONTROL_SAME_KEY']);
  });

  describe('audit verify re-checks every signed statement', () => {
    const auditKey = () => Buffer.from(readFileSync(join(s.home, 'keys', 'audit-mac.key'), 'utf8').trim(), 'hex');
    /** Edits one record's column and re-seals its hash and MAC with the home's audit key (an insider with the key). */
    const edit = (home: string, seq: number, change: (r: Record<string, unknown>) => void) => {
      const db = openOutside(home);
      try {
        const r = db.prepare('SELECT * FROM audit WHERE seq = ?').get(seq) as Record<string, unknown>;
        change(r);
        const hash = recordHash(r as never);
        db.prepare('UPDATE audit SET statement = ?, signature = ?, hash = ?, mac = ? WHERE seq = ?')
          .run(r.statement, r.signature, hash, createHmac('sha256', auditKey()).update(hash).digest('hex'), seq);
      } finally {
        db.close();
      }
    };
    const copy = (name: string) => copyHome(s.home, join(s.dir, name));

    it('an intact home verifies; a statement or a signature edited (record re-sealed with the audit key): exit 5 naming the record', async () => {
      assert.equal((await raw(['audit', 'verify'])).code, 0);
      const seq = query<{ n: number }>(s.home, "SELECT max(seq) AS n FROM audit WHERE action = 'solr.record'")[0]!.n;
      for (const [name, change] of [
        ['statement', (r: Record<string, unknown>) => { r.statement = String(r.statement).replace('OFGEM-KEYS-1', 'OFGEM-KEYS-9'); }],
        ['signature', (r: Record<string, unknown>) => { const b = Buffer.from(String(r.signature), 'base64'); b[b.length - 1]! ^= 1; r.signature = b.toString('base64'); }],
      ] as const) {
        const home = copy(`edited-${name}`);
        edit(home, seq, change);
        const v = await smki(['--home', home, 'audit', 'verify', '--json']);
        assert.equal(v.code, 5, `${name}: ${v.stderr}`);
        const p = (v.json.problems as { seq: number; problem: string }[]).filter((x) => x.seq === seq);
        assert.ok(p.some((x) => /signature does not verify|not a statement smki wrote/.test(x.problem)), `${name}: ${JSON.stringify(v.json.problems)}`);
      }
    });
  });
});
