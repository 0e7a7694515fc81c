import { strict as assert } from 'node:assert';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalogue } from '../../src/config/catalogue.js';
import { parsePlan, PlanError, type Plan } from '../../src/onboard/plan.js';
import { Registry } from '../../src/registry/registry.js';
import { passphraseFile, smki, tempDir } from '../support/cli.js';
import { actAs, adminFlags, withOfficerKeys } from '../support/keys.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'onboard');

describe('onboard: plan validation and ordering', function () {
  this.timeout(30_000);
  let reg: Registry;
  let cleanup: () => void;
  let registeredOfficer: string;
  before(async () => {
    const t = tempDir('smki-plan-');
    cleanup = t.cleanup;
    const home = join(t.dir, 'home');
    const run = (a: string[]) => smki(['--home', home, ...actAs('ra0'), ...withOfficerKeys(home, a), '--json']);
    assert.equal((await run(['init', '--passphrase-file', passphraseFile(t.dir), ...adminFlags(t.dir, 'ra0')])).code, 0);
    assert.equal((await run(['party', 'add', '--name', 'Healthy Energy', '--role', 'IS', '--eui', '90B3D51F30030000', ...actAs('ra0')])).code, 0);
    registeredOfficer = (await run(['officer', 'add', '--party', '90B3D51F30030000', '--kind', 'sro', '--name', 'Hal', '--evidence', 'E-1', ...actAs('ra0')])).json.id;
    reg = Registry.open(home);
  });
  after(() => {
    reg.close();
    cleanup();
  });

  const parse = (text: string, file = join(FIXTURES, 'test-plan.yaml')): Plan =>
    parsePlan(text, file, { reg, catalogue: loadCatalogue(), now: new Date('2026-12-01T00:00:00Z') });
  const problems = (text: string): string[] => {
    try {
      parse(text);
    } catch (e) {
      assert.ok(e instanceof PlanError, String(e));
      return e.problems.map((p) => `${p.line} ${p.path}: ${p.message}`);
    }
    assert.fail('expected a PlanError');
  };

  it('orders steps by dependency: a Supplier before the SRP that acts for it, an SRO before its ARO', () => {
    const plan = parse(`
parties:
  srp: { name: SRP, role: SC, eui: 90B3D51F300C0001, actingFor: sup }
  sup: { name: Sup, role: IS, eui: 90-b3-d5-1f-30-01-00-00 }
officers:
  ari: { party: srp, kind: aro, name: Ari, nominatedBy: dana, activatedAs: keys/ra2.key, publicKey: keys/ari.pub }
  dana: { party: srp, kind: sro, name: Dana, evidence: RAPP-1, publicKey: keys/dana.pub, key: keys/dana.key }
`);
    assert.deepEqual(plan.steps.map((s) => `${s.n} ${s.kind} ${s.key}`), [
      '1 party.add parties.sup',
      '2 party.add parties.srp',
      '3 officer.add officers.dana',
      '4 officer.add officers.ari',
      '5 officer.activate officers.ari',
    ]);
    assert.deepEqual(plan.steps.map((s) => s.line), [4, 3, 7, 6, 6]);
    assert.deepEqual(plan.steps[1]!.deps, [1]);
    assert.deepEqual(plan.steps[3]!.deps, [2, 3]);
    assert.deepEqual(plan.steps[4]!.deps, [4]);
    const sup = plan.steps[0]!.spec;
    assert.ok(sup.kind === 'party.add' && sup.eui === '90B3D51F30010000' && sup.operator === ''); // '': the key of the command's --as
  });

  it('a dual-fuel User ID: role: [IS, GS] gives one step per role, the second after the first', () => {
    const plan = parse(`
parties:
  sup: { name: Sup, role: [ImportSupplier, gs], eui: 90B3D51F30010000 }
  srp: { name: SRP, role: SC, eui: 90B3D51F300C0001, actingFor: sup }
`);
    assert.deepEqual(plan.steps.map((s) => `${s.n} ${s.kind} ${s.key} ${s.spec.kind === 'party.add' ? s.spec.role : ''}`), [
      '1 party.add parties.sup IS',
      '2 party.add parties.sup GS',
      '3 party.add parties.srp SC',
    ]);
    assert.deepEqual(plan.steps.map((s) => s.deps), [[], [1], [2]]);
  });

  it('a role list: each role known, none twice, SoLRContingency alone', () => {
    assert.deepEqual(problems(`
parties:
  a: { name: A, role: [IS, IS], eui: 90B3D51F30010000 }
  b: { name: B, role: [SC, IS], eui: 90B3D51F300C0001, actingFor: a }
  c: { name: C, role: [IS, Baker], eui: 90B3D51F30010002 }
  d: { name: D, role: [], eui: 90B3D51F30010003 }
  e: { name: E, role: [[IS]], eui: 90B3D51F30010004 }
`), [
      "3 parties.a.role: IS is given twice",
      '4 parties.b.role: a SoLRContingency User ID holds that User Role alone',
      ...problems('parties:\n  c: { name: C, role: Baker, eui: 90B3D51F30010002 }\n').map((x) => x.replace(/^2 /, '5 ')),
      '6 parties.d.role: required',
      '7 parties.e.role: expected a list of single values',
    ]);
  });

  it('reads every scalar as text: an all-digit EUI stays an EUI, an instruction of digits stays text', () => {
    const plan = parse(`
as: keys/ra2.key
parties:
  a: { name: A, role: OU, eui: 0000000000000001 }
  sup: { name: Sup, role: IS, eui: 90B3D51F30010000 }
  srp: { name: SRP, role: SC, eui: 90B3D51F300C0001, actingFor: sup }
solrEvents:
  e: { failedSupplier: sup, srp: srp, instruction: 0042, from: 2026-12-01, until: 2026-12-20T00:00:00Z, approvedAs: keys/ra2.key }
`);
    const a = plan.steps[0]!.spec;
    assert.ok(a.kind === 'party.add' && a.eui === '0000000000000001' && a.operator === join(FIXTURES, 'keys', 'ra2.key'));
    const rec = plan.steps.find((s) => s.kind === 'solr.record')!.spec;
    assert.ok(rec.kind === 'solr.record' && rec.instruction === '0042' && rec.operator === join(FIXTURES, 'keys', 'ra2.key'));
    assert.equal(rec.from.toISOString(), '2026-12-01T00:00:00.000Z');
    const appr = plan.steps.find((s) => s.kind === 'solr.approve')!;
    assert.equal(appr.line, 8);
    assert.ok(appr.spec.kind === 'solr.approve' && appr.spec.operator === join(FIXTURES, 'keys', 'ra2.key'));
  });

  it('references what is already registered: a User ID by EUI, an officer by OFC-n', () => {
    const plan = parse(`
parties:
  srp: { name: SRP, role: SC, eui: 90B3D51F300D0001, actingFor: 90-B3-D5-1F-30-03-00-00 }
officers:
  ari: { party: 90B3D51F30030000, kind: aro, name: Ann, nominatedBy: ${registeredOfficer.toLowerCase()}, publicKey: keys/ari.pub, nominatorKey: keys/dana.key }
`);
    assert.deepEqual(plan.steps[0]!.deps, []);
    const ari = plan.steps[1]!.spec;
    assert.ok(ari.kind === 'officer.add');
    assert.deepEqual(ari.nominatedBy, { id: registeredOfficer });
  });

  it('collects every problem, each with its line, sorted', () => {
    assert.deepEqual(problems(`
version: 2
parties:
  srp: { name: SRP, role: SoLRContingency, eui: 90B3D51F300C0001 }
  sup: { name: Sup, role: IS, eui: 90B3D51F30010000, actingFor: srp }
officers:
  dana: { party: srp, kind: sro, name: Dana, evidence: E, activatedAs: keys/ra2.key, publicKey: keys/dana.pub }
  ari: { party: srp, kind: aro, name: Ari, nominatedBy: ari2, publicKey: keys/ari.pub }
  bob: { party: srp, kind: boss, name: Bob, publicKey: keys/sam.pub }
certificates:
  c: { csr: srp-xml-sign.csr, register: x.pem, party: srp }
  d: { csr: srp-xml-sign.csr, profile: xml-sign, party: srp, officer: dana, out: no/such/dir/x.pem }
solrEvents:
  e: { failedSupplier: sup, srp: srp, instruction: X, from: 2026-12-10, until: 2026-12-01, revokedAs: keys/ra2.key }
`), [
      "2 version: plan version '2' is not supported (this smki reads version 1)",
      '4 parties.srp.actingFor: required: a SoLRContingency User ID names the Supplier User ID it acts for',
      '5 parties.sup.actingFor: only a SoLRContingency User ID acts for a Supplier',
      '7 officers.dana.activatedAs: an SRO is active once registered; only an ARO is activated',
      "8 officers.ari.nominatedBy: no SRO 'ari2' in the plan",
      "9 officers.bob.kind: 'boss' is not sro or aro",
      "11 certificates.c: give either 'csr' (issue a certificate) or 'register' (record another CA's certificate), not both",
      "12 certificates.d.officer: 'dana' is an SRO in the plan; officer names an ARO",
      '12 certificates.d.out: no/such/dir/x.pem: its folder does not exist',
      "14 solrEvents.e.until: must be after 'from'",
      "14 solrEvents.e.revokedAs: only with 'revokeSupplier: true'",
    ]);
  });

  it('checks file content it can read cheaply: a CSR that is not a CSR, a certificate of another EUI', () => {
    const p = problems(`
parties:
  sup: { name: Sup, role: IS, eui: 90B3D51F30010000 }
  srp: { name: SRP, role: SC, eui: 90B3D51F300C0001, actingFor: sup }
certificates:
  a: { csr: devices.csv, profile: xml-sign, party: srp, officer: OFC-1, officerKey: keys/ari.key }
  b: { register: ../public/smki-certs/Z1-supplier-ds.pem, party: srp }
`);
    assert.equal(p.length, 2, p.join('\n'));
    assert.match(p[0]!, /^6 certificates\.a\.csr: devices\.csv: CSR: /);
    assert.equal(p[1], "7 certificates.b.register: the certificate's Entity Identifier is 90B3D51F30010000, not the party's 90B3D51F300C0001");
  });

  it('a plan with no steps, or not a map, is refused', () => {
    assert.deepEqual(problems('version: 1\n'), ['1 : the plan has no steps (sections: parties, officers, trustAnchors, certificates, devices, adtFiles, solrEvents)']);
    assert.match(problems('- a\n- b\n')[0]!, /^1 : expected a map with the sections/);
    assert.match(problems('parties: [a, b]\n')[0]!, /^1 parties: expected a map of plan keys/);
  });
});
