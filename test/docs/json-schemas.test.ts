// Every command's --json output is one document of the shape its schema in docs/schema/ documents
// (validated with ajv), and the same key names hold everywhere: camelCase, lists as {items, total},
// schemaVersion on every document, no legacy names (eui, party, supplierEui, failedSupplier, ...).
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { STABLE_NAMES } from '../../src/cli/json.js';
import { smki, tempDir } from '../support/cli.js';
import { commandPaths } from './help-examples.test.js';
import { ESME, FIXTURES, preCommand, setupGateScenario, type GateScenario } from '../support/gate-scenario.js';
import { SRP, SUPPLIER } from '../support/scenario.js';
import { actAs, personKey } from '../support/keys.js';
import { parseEui64 } from '../../src/domain/eui.js';
import { rewriteHeader } from '../../src/gate/gbcs.js';
import { sign } from 'node:crypto';
import { assembleCertificate } from '../../src/ca/ca-certificates.js';
import { buildOrganisationTbs } from '../../src/ca/organisation-certificate.js';
import { toPem } from '../../src/ca/pem.js';
import { makeTestCa, orgTemplate } from '../support/ca-chain.js';

const SCHEMAS = join(process.cwd(), 'docs', 'schema');

/** The schema file of a command path: `party list` -> docs/schema/party-list.schema.json. */
const schemaFile = (path: string) => join(SCHEMAS, `${path.replace(/ /g, '-')}.schema.json`);

function loadAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const f of readdirSync(SCHEMAS).filter((x) => x.endsWith('.schema.json'))) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, f), 'utf8')), f);
  return ajv;
}

/** Every key of a document, with its path, for the naming rules. */
function keysOf(v: unknown, at = '$'): { key: string; at: string; value: unknown }[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => keysOf(x, `${at}[${i}]`));
  if (v === null || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => [{ key: k, at: `${at}.${k}`, value: x }, ...keysOf(x, `${at}.${k}`)]);
}

/** Keys that are data rather than field names (a map keyed by reason code, SRV, count ...). */
const DATA_KEYED = /\.(byReason|reasons?ByCode|byDeviceType|byServiceReferenceVariant|counts|byCode|byStatus|byKind|details)$/;

function namingProblems(doc: unknown): string[] {
  const problems: string[] = [];
  for (const { key, at, value } of keysOf(doc)) {
    const parent = at.slice(0, at.length - key.length - 1);
    if (DATA_KEYED.test(parent) || /\.details(\.|$)/.test(parent)) continue;
    if (!/^[a-z][A-Za-z0-9]*$/.test(key)) problems.push(`${at}: '${key}' is not camelCase`);
    if (key in STABLE_NAMES && (value === null || typeof value === 'string')) problems.push(`${at}: '${key}' is spelt ${STABLE_NAMES[key]} everywhere`);
  }
  return problems;
}

interface Run { path: string; args: string[]; code?: number; schema?: string; env?: Record<string, string> }

describe('docs: every command\'s --json output has its documented shape (docs/schema/)', function () {
  this.timeout(300_000);
  let g: GateScenario;
  let ajv: Ajv;
  const seen = new Map<string, number>();
  const failures: string[] = [];
  before(async () => {
    g = await setupGateScenario();
    ajv = loadAjv();
  });
  after(() => g?.cleanup());

  async function check(r: Run, run: (args: string[]) => ReturnType<typeof smki> = g.run): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const saved: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(r.env ?? {})) { saved[k] = process.env[k]; process.env[k] = v; }
    let out;
    try {
      out = await run([...r.args, '--json']);
    } finally {
      for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
    }
    const where = `smki ${r.args.join(' ')}`;
    if (out.code !== (r.code ?? 0)) { failures.push(`${where}: exit ${out.code}, expected ${r.code ?? 0}: ${out.stderr.split('\n')[0]}`); return out.json; }
    if (out.json === undefined) { failures.push(`${where}: stdout is not one JSON document: ${out.stdout.slice(0, 200)}`); return undefined; }
    const schema = r.schema ?? `${r.path.replace(/ /g, '-')}.schema.json`;
    const validate: ValidateFunction | undefined = ajv.getSchema(schema);
    if (!validate) failures.push(`${where}: no schema ${schema}`);
    else if (!validate(out.json)) failures.push(`${where}: not as ${schema}: ${ajv.errorsText(validate.errors, { separator: '; ' })}`);
    for (const p of namingProblems(out.json)) failures.push(`${where}: ${p}`);
    if (process.env.SMKI_DUMP_JSON) {
      mkdirSync(process.env.SMKI_DUMP_JSON, { recursive: true });
      writeFileSync(join(process.env.SMKI_DUMP_JSON, `${r.path.replace(/ /g, '-')}${r.schema ? `.${r.schema}` : ''}.json`), `${JSON.stringify(out.json, null, 2)}\n`);
    }
    if (!r.schema) seen.set(r.path, (seen.get(r.path) ?? 0) + 1);
    return out.json;
  }

  it('each command, run in a home with a SoLR event under way, prints one document its schema accepts', async () => {
    const d = g.dir;
    const as = actAs('ra1');
    const ra3 = personKey(d, 'ra3');
    const keyPass = join(d, 'k-pass.txt');
    writeFileSync(keyPass, 'schema test passphrase\n', { mode: 0o600 });
    const runs: Run[] = [
      { path: 'key new', args: ['key', 'new', '--out', join(d, 'new-person.key'), '--unencrypted'] },
      { path: 'operator add', args: [...as, 'operator', 'add', '--name', 'ra3', '--public-key', ra3.pub] },
      { path: 'operator list', args: ['operator', 'list'] },
      { path: 'operator revoke', args: [...as, 'operator', 'revoke', 'ra3', '--yes'] },
      { path: 'party add', args: ['party', 'add', '--name', 'Third Energy', '--role', 'IS', '--eui', '90B3D51F30050000'] },
      { path: 'party list', args: ['party', 'list'] },
      { path: 'officer add', args: ['officer', 'add', '--party', SRP, '--kind', 'aro', '--name', 'Tess Temp', '--nominated-by', g.sro] },
      { path: 'officer list', args: ['officer', 'list', '--history'] },
      { path: 'csr new', args: ['csr', 'new', '--eui', SRP, '--profile', 'xml-sign', '--key-out', join(d, 'schema-srp.key'), '--passphrase-file', keyPass, '--out', join(d, 'schema-srp.csr')] },
      { path: 'cert issue', args: ['cert', 'issue', '--csr', join(d, 'schema-srp.csr'), '--profile', 'xml-sign', '--party', SRP, '--officer', g.aro, '--passphrase-file', g.pass, '--out', join(d, 'schema-srp.pem')] },
      { path: 'cert issue', args: ['cert', 'issue', '--csr', join(process.cwd(), 'fixtures', 'onboard', 'srp-ds.csr'), '--profile', 'ds', '--party', SRP, '--officer', g.aro, '--passphrase-file', g.pass], code: 3, schema: 'refusal.schema.json' },
      { path: 'cert list', args: ['cert', 'list'] },
      { path: 'cert show', args: ['cert', 'show', join(d, 'schema-srp.pem')] },
      { path: 'crl', args: ['crl'] },
      { path: 'ca export', args: ['ca', 'export'] },
      { path: 'ca anchors', args: ['ca', 'anchors'] },
      { path: 'device show', args: ['device', 'show', ESME] },
      { path: 'device list', args: ['device', 'list'] },
      { path: 'adt list', args: ['adt', 'list', '--all'] },
      { path: 'adt show', args: ['adt', 'show', 'ADT-1'] },
      { path: 'solr list', args: ['solr', 'list'] },
      { path: 'solr show', args: ['solr', 'show', g.eventId] },
      { path: 'sr new', args: ['sr', 'new', '--target', ESME, '--credit', '--cert', join(d, 'schema-srp.pem'), '--counter', '5001', '--out', join(d, 'schema-cv4.xml')] },
      { path: 'sr sign', args: ['sr', 'sign', join(d, 'schema-cv4.xml'), '--cert', join(d, 'schema-srp.pem'), '--key', join(d, 'schema-srp.key'), '--passphrase-file', keyPass, '--out', join(d, 'schema-cv4.signed.xml')] },
      { path: 'sr check', args: ['sr', 'check', join(d, 'schema-cv4.signed.xml')] },
      { path: 'sr check', args: ['sr', 'check', join(FIXTURES, 'duis', 'ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML')], code: 4 },
      { path: 'sr quarantine list', args: ['sr', 'quarantine', 'list'] },
      { path: 'alert route', args: ['alert', 'route', '--device', ESME, '--code', '8F66'] },
      { path: 'alert route', args: ['alert', 'route', '--device', '00DB0000000000FF', '--code', '8F66'] },
      { path: 'alert held', args: ['alert', 'held'] },
      { path: 'alert release', args: ['alert', 'release'] },
      { path: 'alert list', args: ['alert', 'list'] },
      { path: 'audit verify', args: ['audit', 'verify'] },
      { path: 'audit anchor', args: ['audit', 'anchor', '--out', join(d, 'schema.anchor')] },
      { path: 'audit log', args: ['audit', 'log', '--limit', '5'] },
      { path: 'registry export', args: ['registry', 'export', '--to', `sqlite:${join(d, 'schema-copy.sqlite')}`] },
      { path: 'report', args: ['report', '--event', g.eventId] },
      { path: 'completion', args: ['completion', 'bash'] },
      { path: 'party list', args: ['--home', join(d, 'nowhere'), 'party', 'list'], code: 4, schema: 'error.schema.json' },
    ];
    for (const r of runs) await check(r);

    // The Signed Pre-Command path: gbcs sign, sr new --pre-command.
    const pc = rewriteHeader(preCommand('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX'), { counter: 5001n, recipient: parseEui64(ESME), originator: parseEui64(SUPPLIER) });
    writeFileSync(join(d, 'schema-pc.hex'), pc.toString('hex'));
    await check({ path: 'gbcs sign', args: ['gbcs', 'sign', join(d, 'schema-pc.hex'), '--key', join(FIXTURES, 'smki-certs', 'Z1-supplier-ds.key'), '--out', join(d, 'schema-spc.hex')] });
    await check({ path: 'sr new', args: ['sr', 'new', '--pre-command', join(d, 'schema-spc.hex'), '--from', SRP] });

    // Officer transitions on the ARO added above.
    const list = (await g.run(['officer', 'list', '--json'])).json as { items: { id: string; name: string }[] };
    const tess = list.items.find((o) => o.name === 'Tess Temp')!.id;
    await check({ path: 'officer activate', args: ['officer', 'activate', tess] });
    await check({ path: 'officer suspend', args: ['officer', 'suspend', tess, '--note', 'leave'] });
    await check({ path: 'officer revoke', args: ['officer', 'revoke', tess, '--yes'] });
    const serial = (await g.run(['cert', 'show', join(d, 'schema-srp.pem'), '--json'])).json.serial as string;
    await check({ path: 'cert revoke', args: ['cert', 'revoke', serial, '--reason', 'superseded', '--passphrase-file', g.pass, '--yes'] });

    // ADT, devices, trust, registration in the same home.
    const adt = join(d, 'schema-adt.csv');
    writeFileSync(adt, `supplier_eui,service_reference_variant,warning_threshold,quarantine_threshold\n${SUPPLIER},1.6,400,900\n`);
    await check({ path: 'adt submit', args: ['adt', 'submit', '--party', SRP, '--officer', g.aro, '--file', adt] });
    const devices = join(d, 'schema-devices.csv');
    writeFileSync(devices, `device_eui,device_type,smets,supplier_eui\n00DB1234567890D0,ESME,2,${SUPPLIER}\n`);
    await check({ path: 'device import', args: ['device', 'import', '--file', devices] });
    await check({ path: 'ca trust', args: ['ca', 'trust', '--file', join(process.cwd(), 'fixtures', 'dcc-test-pki', 'chain.pem')] });
    await check({ path: 'cert register', args: ['cert', 'register', '--file', join(process.cwd(), 'fixtures', 'dcc-test-pki', 'supplier-ds.pem'), '--party', SUPPLIER] });
    await check({ path: 'alert dsp-register', args: ['alert', 'dsp-register', '--file', join(FIXTURES, 'smki-certs', 'dsp-xml-sign-90B3D51F30000002-ds.pem')], code: 3, schema: 'refusal.schema.json' });
    // A DSP certificate (OU 89) that chains to a trusted anchor registers.
    const dspCa = makeTestCa('SCHEMADSP');
    const dspChain = join(d, 'schema-dsp-chain.pem');
    writeFileSync(dspChain, toPem(dspCa.issuing.der, 'CERTIFICATE') + toPem(dspCa.root.der, 'CERTIFICATE'));
    const dspTbs = buildOrganisationTbs(orgTemplate(dspCa, { subject: { ou: '89', eui: parseEui64('90B3D51F30000002') } }));
    const dspPem = join(d, 'schema-dsp.pem');
    writeFileSync(dspPem, toPem(assembleCertificate(dspTbs, sign('sha256', dspTbs, dspCa.issuing.key)), 'CERTIFICATE'));
    await check({ path: 'ca trust', args: ['ca', 'trust', '--file', dspChain] });
    assert.equal((await check({ path: 'alert dsp-register', args: ['alert', 'dsp-register', '--file', dspPem] }))?.created, true);

    // Quarantine: an ADT file whose quarantine threshold the next requests cross; one released, one deleted.
    const tight = join(d, 'schema-adt-tight.csv');
    writeFileSync(tight, `supplier_eui,service_reference_variant,warning_threshold,quarantine_threshold\n${SUPPLIER},1.6,1,1\n`);
    await check({ path: 'adt submit', args: ['adt', 'submit', '--party', SRP, '--officer', g.aro, '--file', tight] });
    const over = [7001n, 7002n, 7003n].map((c) => g.write(`schema-q-${c}.xml`, g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', c, ESME)));
    await g.check(over);
    const held = (await g.run(['sr', 'quarantine', 'list', '--status', 'quarantined', '--json'])).json.items as { id: string; counter: string }[];
    assert.ok(held.length >= 2, JSON.stringify(held));
    // Release the highest counter (no higher one accepted since), delete another.
    const [highest, other] = [...held].sort((a, b) => Number(BigInt(b.counter) - BigInt(a.counter)));
    assert.equal((await check({ path: 'sr quarantine release', args: ['sr', 'quarantine', 'release', highest!.id, '--officer', g.aro] }))?.status, 'released');
    assert.equal((await check({ path: 'sr quarantine delete', args: ['sr', 'quarantine', 'delete', other!.id, '--officer', g.aro] }))?.status, 'deleted');
    await check({ path: 'adt submit', args: ['adt', 'submit', '--party', SRP, '--officer', g.aro, '--file', adt] });

    // The event lifecycle on a second event.
    const now = Date.now();
    await check({ path: 'party add', args: ['party', 'add', '--name', 'Third SRP Ltd', '--role', 'SC', '--eui', '90B3D51F300E0001', '--acting-for', '90B3D51F30050000'] });
    const ev = await check({ path: 'solr record', args: ['solr', 'record', '--failed-supplier', '90B3D51F30050000', '--srp', '90B3D51F300E0001', '--instruction', 'OFGEM-SCHEMA-1', '--from', new Date(now).toISOString(), '--until', new Date(now + 5 * 86_400_000).toISOString()] });
    await check({ path: 'solr approve', args: ['solr', 'approve', ev?.id ?? 'SOLR-2', '--yes'], code: 3, schema: 'refusal.schema.json' });
    await check({ path: 'solr approve', args: ['solr', 'approve', ev?.id ?? 'SOLR-2', ...actAs('ra2'), '--yes'] });
    await check({ path: 'solr revoke-supplier', args: ['solr', 'revoke-supplier', g.eventId, '--passphrase-file', g.pass, '--yes'] });
    await check({ path: 'solr end', args: ['solr', 'end', g.eventId, '--yes'] });
    await check({ path: 'ca issue-issuing', args: ['ca', 'issue-issuing', '--passphrase-file', g.pass] });
    await check({ path: 'sr quarantine release', args: ['sr', 'quarantine', 'release', 'QUA-99', '--officer', g.aro], code: 4, schema: 'error.schema.json' });
    await check({ path: 'sr quarantine delete', args: ['sr', 'quarantine', 'delete', 'QUA-99', '--officer', g.aro], code: 4, schema: 'error.schema.json' });

    // Commands that make a home of their own.
    const t = tempDir('smki-schema-');
    try {
      const home = join(t.dir, 'home');
      const admin = personKey(t.dir, 'admin');
      const onboardFixtures = join(process.cwd(), 'fixtures', 'onboard');
      await check({ path: 'init', args: ['--home', home, 'init', '--ca-name', 'Schema OCA', '--passphrase-file', g.pass, '--admin', 'ra1', '--admin-public-key', admin.pub] }, smki);
      // The plan's second operator (keys/ra2.key, passphrase keys/passphrase.txt), as test/cli/onboard.test.ts sets it up.
      assert.equal((await smki(['--home', home, '--as', admin.key, 'operator', 'add', '--name', 'RA Officer 2', '--public-key', join(onboardFixtures, 'keys', 'ra2.pub')])).code, 0);
      await check({ path: 'onboard', args: ['--home', home, '--as', admin.key, 'onboard', '--file', join(onboardFixtures, 'full-plan.yaml'), '--dry-run', '--passphrase-file', g.pass], env: { SMKI_AS_PASSPHRASE_FILE: join(onboardFixtures, 'keys', 'passphrase.txt'), SMKI_OFFICER_PASSPHRASE_FILE: join(onboardFixtures, 'keys', 'passphrase.txt') } }, smki);
      await check({ path: 'demo', args: ['--home', join(t.dir, 'demo-home'), 'demo'] }, smki);
    } finally {
      t.cleanup();
    }

    assert.deepEqual(failures, [], `\n${failures.join('\n')}`);
    // Every command has a schema and was run here with its own output validated.
    const leaves = (await commandPaths()).filter((p, i, all) => p.length > 0 && !all.some((q) => q.length > p.length && p.every((w, j) => q[j] === w))).map((p) => p.join(' '));
    assert.deepEqual(leaves.filter((p) => !existsSync(schemaFile(p))), [], 'commands without docs/schema/<command>.schema.json');
    assert.deepEqual(leaves.filter((p) => !seen.has(p)), [], 'commands whose --json output this test does not validate');
  });

  it('the naming rule itself finds legacy and snake_case names', () => {
    assert.deepEqual(namingProblems({ schemaVersion: 1, items: [{ eui: '90B3D51F30010000', party_name: 'x' }], total: 1 }), [
      "$.items[0].eui: 'eui' is spelt userId everywhere",
      "$.items[0].party_name: 'party_name' is not camelCase",
    ]);
  });
});
