// Back-ends benchmark (issue 14): the gate with one and with two `smki sr check` processes on one
// registry, and issuance, on SQLite and on PostgreSQL in the same run. Two gate processes are two
// nodes: on SQLite two processes on one home, on PostgreSQL two homes on one database. Each node
// serves its own SRP (its own RequestID counters), so neither refuses the other's requests as
// replays and both decide every request. Ends with `smki audit verify` on every registry.
import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { buildSmkiCsr } from '../src/ca/csr-builder.js';
import { readOrganisationCertificate } from '../src/ca/organisation-certificate.js';
import { main } from '../src/cli/main.js';
import { parseEui64, type Eui64 } from '../src/domain/eui.js';
import { formatRequestId, withRequestId } from '../src/gate/duis-compose.js';
import { signEnveloped } from '../src/gate/xml/dsig.js';
import { issueCertificates } from '../src/ra/issue.js';
import { ensureBuilt } from '../test/support/process.js';
import { benchCsrs } from './issuance.js';
import { IssuingAuthority } from '../src/ca/authority.js';
import { FileKeySigner } from '../src/ca/signer.js';
import { loadCatalogue } from '../src/config/catalogue.js';
import { Registry } from '../src/registry/registry.js';
import { isSkipped, type BenchRow, type Skipped } from './peers.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'smki.js');
const TEMPLATE = readFileSync(join(ROOT, 'fixtures', 'public', 'duis', 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML'), 'utf8');

export interface Rate {
  n: number;
  seconds: number;
  perSecond: number;
}

export interface BackendFigures {
  backend: 'sqlite' | 'postgres';
  /** One `smki sr check` process deciding every request (wall time from its start to its exit). */
  gateOne: Rate;
  /** Two `smki sr check` processes at once on one registry, half the requests each (wall time until both exit). */
  gateTwo: Rate;
  /** Issuance in batches of 100 a transaction, one process. */
  issuance: Rate;
  auditRecords: number;
}

export interface BackendsBench {
  sqlite: BackendFigures;
  postgres: BackendFigures | Skipped;
}

/** The PostgreSQL server the benchmark uses (BENCH_PG_URL, else the local test server). */
export const benchPgUrl = (): string => process.env.BENCH_PG_URL ?? process.env.SMKI_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why the PostgreSQL figures cannot be measured here, or undefined when they can. */
export function pgUnavailable(url = benchPgUrl()): string | undefined {
  if (!existsSync(join(ROOT, 'src', 'registry', 'pg-driver.ts'))) return 'this smki has no PostgreSQL back-end yet (src/registry/pg-driver.ts, issue 14)';
  const r = spawnSync('psql', [url, '-XAtc', 'SELECT 1'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return `psql is not installed (${(r.error as NodeJS.ErrnoException).code})`;
  if (r.status !== 0) return `PostgreSQL at ${url.replace(/:[^:@/]*@/, ':***@')} is unreachable: ${r.stderr.trim().split('\n')[0]}`;
  return undefined;
}

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _e: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** Runs one smki command in this process (set-up only: nothing here is timed) and returns its --json document. */
async function smki(args: string[]): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const stdout = new Sink();
  const stderr = new Sink();
  const stdin = new PassThrough();
  stdin.end('');
  const code = await main(['node', 'smki', ...args, '--json'], { stdout, stderr, stdin, interactive: false, progress: false });
  if (code !== 0) throw new Error(`bench set-up: smki ${args.join(' ')} -> exit ${code}: ${stderr.text.trim()}`);
  return JSON.parse(stdout.text);
}

function keyFiles(dir: string, name: string): { key: string; pub: string } {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = join(dir, `${name}.key`);
  const pub = join(dir, `${name}.pub`);
  writeFileSync(key, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
  writeFileSync(pub, pair.publicKey.export({ format: 'pem', type: 'spki' }) as string);
  return { key, pub };
}

interface Lane {
  srp: Eui64;
  sign(counter: bigint, target: Eui64): string;
  device(i: number): Eui64;
}

/**
 * A home where `lanes` SRPs each serve an approved SoLR event of their own failed Supplier, with
 * `devices` ESMEs each and ADT thresholds no benchmark reaches. `global`: the options every command
 * takes (the home, and on PostgreSQL the database).
 */
async function gateHome(dir: string, global: string[], lanes: number, devices: number): Promise<{ lanes: Lane[]; as: string[]; issuer: { srp: Eui64; aroId: string; aroKey: string } }> {
  const pass = join(dir, 'ca-pass.txt');
  writeFileSync(pass, 'bench passphrase\n', { mode: 0o600 });
  const ra1 = keyFiles(dir, 'ra1');
  const ra2 = keyFiles(dir, 'ra2');
  const as = ['--as', ra1.key];
  await smki([...global, 'init', '--passphrase-file', pass, '--ca-name', 'Bench OCA', '--admin', 'ra1', '--admin-public-key', ra1.pub]);
  await smki([...global, ...as, 'operator', 'add', '--name', 'ra2', '--public-key', ra2.pub]);
  const out: Lane[] = [];
  let issuer: { srp: Eui64; aroId: string; aroKey: string } | undefined;
  for (let k = 0; k < lanes; k++) {
    const supplier = `90B3D51F300${k + 1}0000`;
    const srp = parseEui64(`90B3D51F300C000${k + 1}`);
    await smki([...global, ...as, 'party', 'add', '--name', `Failed ${k}`, '--role', 'IS', '--eui', supplier]);
    await smki([...global, ...as, 'party', 'add', '--name', `SRP ${k}`, '--role', 'SC', '--eui', srp, '--acting-for', supplier]);
    const sroKey = keyFiles(dir, `sro${k}`);
    const aroKey = keyFiles(dir, `aro${k}`);
    const sro = (await smki([...global, ...as, 'officer', 'add', '--party', srp, '--kind', 'sro', '--name', `SRO ${k}`, '--evidence', 'BENCH', '--public-key', sroKey.pub])).id as string;
    const aro = (await smki([...global, ...as, 'officer', 'add', '--party', srp, '--kind', 'aro', '--name', `ARO ${k}`, '--nominated-by', sro, '--public-key', aroKey.pub, '--officer-key', sroKey.key])).id as string;
    await smki([...global, ...as, 'officer', 'activate', aro]);
    issuer ??= { srp, aroId: aro, aroKey: aroKey.key };
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const csr = join(dir, `srp${k}.csr`);
    writeFileSync(csr, buildSmkiCsr({ eui: srp, ou: '87', ...pair }).pem);
    const pem = (await smki([...global, 'cert', 'issue', '--csr', csr, '--profile', 'xml-sign', '--party', srp, '--officer', aro, '--officer-key', aroKey.key, '--passphrase-file', pass])).pem as string;
    const cert = readOrganisationCertificate(pem);
    const device = (i: number) => (0x00db100000000000n + BigInt(k) * 0x1000000n + BigInt(i)).toString(16).toUpperCase().padStart(16, '0') as Eui64;
    const csv = join(dir, `devices${k}.csv`);
    writeFileSync(csv, `device_eui,device_type,smets,supplier_eui\n${Array.from({ length: devices }, (_, i) => `${device(i)},ESME,2,${supplier}`).join('\n')}\n`);
    await smki([...global, ...as, 'device', 'import', '--file', csv]);
    const adt = join(dir, `adt${k}.csv`);
    writeFileSync(adt, `supplier_eui,service_reference_variant,warning_threshold,quarantine_threshold\n${supplier},1.6,1000000,2000000\n`);
    await smki([...global, 'adt', 'submit', '--party', srp, '--officer', aro, '--officer-key', aroKey.key, '--file', adt]);
    const now = Date.now();
    const event = (await smki([...global, ...as, 'solr', 'record', '--failed-supplier', supplier, '--srp', srp, '--instruction', `BENCH-${k}`,
      '--from', new Date(now - 3_600_000).toISOString(), '--until', new Date(now + 86_400_000).toISOString()])).id as string;
    await smki([...global, '--as', ra2.key, 'solr', 'approve', event, '--yes']);
    const key: KeyObject = pair.privateKey;
    out.push({
      srp,
      device,
      sign: (counter, target) => signEnveloped(withRequestId(TEMPLATE, formatRequestId(srp, target, counter)), { privateKey: key, issuerName: cert.issuerText, serialDecimal: cert.serialDecimal }),
    });
  }
  return { lanes: out, as, issuer: issuer! };
}

/** Signed requests of one lane as files, counters `from`, `from`+1, ... (one Device each). */
function requestFiles(dir: string, lane: Lane, from: number, n: number): string[] {
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: n }, (_, i) => {
    const f = join(dir, `r${from + i}.xml`);
    writeFileSync(f, lane.sign(BigInt(1000 + from + i), lane.device(from + i)));
    return f;
  });
}

interface Finished {
  seconds: number;
  accepted: number;
}

/** `smki sr check FILES --json` processes started together: wall time until the last exits, and accepts. */
async function gates(runs: { global: string[]; files: string[] }[]): Promise<Finished> {
  const t0 = process.hrtime.bigint();
  const outs = await Promise.all(runs.map((r) => new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...r.global, 'sr', 'check', ...r.files, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`smki sr check exited ${code}: ${err.trim().split('\n')[0]}`))));
  })));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const accepted = outs.reduce((n, o) => n + (JSON.parse(o).summary.accepted as number), 0);
  return { seconds, accepted };
}

/** `smki audit verify` on a node, which must pass: a benchmark whose registry does not verify measured nothing. */
function auditVerify(global: string[], what: string): number {
  const r = spawnSync(process.execPath, [BIN, ...global, 'audit', 'verify', '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${what}: smki audit verify exited ${r.status} after the benchmark: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout).records as number;
}

const rate = (n: number, seconds: number): Rate => ({ n, seconds, perSecond: n / seconds });

/**
 * One back-end: a home made by `smki init` (on PostgreSQL `--database URL?schema=...`), the gate with
 * one process and then two at once (on PostgreSQL the second node is a copy of the home folder on the
 * same schema), issuance through the library on the same registry, and `smki audit verify` on each node.
 */
async function benchOn(backend: 'sqlite' | 'postgres', dir: string, requests: number, certs: number, database?: string): Promise<BackendFigures> {
  const home = join(dir, `${backend}-home`);
  const half = Math.ceil(requests / 2);
  const { lanes, issuer } = await gateHome(dir, ['--home', home, ...(database ? ['--database', database] : [])], 2, requests + half);
  const second = backend === 'postgres' ? `${home}-node-2` : home;
  if (second !== home) cpSync(home, second, { recursive: true });
  const nodeA = ['--home', home];
  const nodeB = ['--home', second];
  // One process: lane 0's first `requests`; then two at once: lane 0's next half and lane 1's first half.
  const one = requestFiles(join(dir, `${backend}-one`), lanes[0]!, 0, requests);
  const twoA = requestFiles(join(dir, `${backend}-two-a`), lanes[0]!, requests, half);
  const twoB = requestFiles(join(dir, `${backend}-two-b`), lanes[1]!, 0, half);
  const g1 = await gates([{ global: nodeA, files: one }]);
  const g2 = await gates([{ global: nodeA, files: twoA }, { global: nodeB, files: twoB }]);
  if (g1.accepted !== one.length || g2.accepted !== twoA.length + twoB.length) throw new Error(`${backend}: the gate accepted ${g1.accepted}/${one.length} and ${g2.accepted}/${twoA.length + twoB.length}`);
  const issuance = issuanceRate(home, issuer, certs);
  const records = auditVerify(nodeA, `${backend} registry`);
  if (second !== home) auditVerify(nodeB, `${backend} registry, second node`);
  return { backend, gateOne: rate(one.length, g1.seconds), gateTwo: rate(twoA.length + twoB.length, g2.seconds), issuance, auditRecords: records };
}

/** Certificates for the SRP of lane 0 in batches of 100 a transaction, through the library (as onboarding issues them). */
function issuanceRate(home: string, issuer: { srp: Eui64; aroId: string; aroKey: string }, certs: number): Rate {
  const catalogue = loadCatalogue();
  const reg = Registry.open(home);
  try {
    const ca = IssuingAuthority.unlock(reg, Buffer.from('bench passphrase'), catalogue);
    const officer = new FileKeySigner(createPrivateKey(readFileSync(issuer.aroKey, 'utf8')), issuer.aroKey);
    const csrs = benchCsrs(issuer.srp, certs);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < csrs.length; i += 100) {
      const out = issueCertificates(reg, ca, catalogue, csrs.slice(i, i + 100).map((csr) => ({ csr, profile: 'xml-sign' as const, party: issuer.srp, officerId: issuer.aroId, officer })));
      if (!out.every((o) => o.ok)) throw new Error('a benchmark request was refused');
    }
    return rate(csrs.length, Number(process.hrtime.bigint() - t0) / 1e9);
  } finally {
    reg.close();
  }
}

export async function benchBackends(requests = 2000, certs = 1000): Promise<BackendsBench> {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'smki-bench-backends-'));
  const url = benchPgUrl();
  const schema = `bench_${process.pid}_${Date.now()}`;
  const why = pgUnavailable(url);
  try {
    const sqlite = await benchOn('sqlite', dir, requests, certs);
    if (why) return { sqlite, postgres: { skipped: why } };
    const u = new URL(url);
    u.searchParams.set('schema', schema);
    return { sqlite, postgres: await benchOn('postgres', dir, requests, certs, u.toString()) };
  } finally {
    if (!why) spawnSync('psql', [url, '-XAtqc', `DROP SCHEMA IF EXISTS ${schema} CASCADE`], { encoding: 'utf8', timeout: 60_000 });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rows `npm run bench` prints: each PostgreSQL figure beside SQLite's of the same run. */
export function backendRows(b: BackendsBench): BenchRow[] {
  const f0 = (x: number) => Math.round(x).toLocaleString('en-GB');
  const s = b.sqlite;
  const pg = b.postgres;
  const rows: BenchRow[] = [{
    what: `gate, two \`smki sr check\` processes at once on one SQLite home, ${f0(s.gateTwo.n)} requests (wall time, process start-up included)`,
    ours: `${f0(s.gateTwo.perSecond)}/s`,
    peer: `one process on SQLite, ${f0(s.gateOne.n)} requests: ${f0(s.gateOne.perSecond)}/s`,
    ratio: s.gateTwo.perSecond / s.gateOne.perSecond,
  }];
  const on = (what: string, ours: (p: BackendFigures) => Rate, peer: string, sq: Rate): BenchRow => (isSkipped(pg)
    ? { what, ours: `skipped: ${pg.skipped}`, peer: `${peer}: ${f0(sq.perSecond)}/s` }
    : { what, ours: `${f0(ours(pg).perSecond)}/s`, peer: `${peer}: ${f0(sq.perSecond)}/s`, ratio: ours(pg).perSecond / sq.perSecond });
  rows.push(on(`gate, one \`smki sr check\` process on PostgreSQL, ${f0(s.gateOne.n)} requests`, (p) => p.gateOne, 'the same on SQLite', s.gateOne));
  rows.push(on(`gate, two \`smki sr check\` processes at once, two homes on one PostgreSQL database, ${f0(s.gateTwo.n)} requests`, (p) => p.gateTwo, 'two processes on one SQLite home', s.gateTwo));
  rows.push(on(`issuance on PostgreSQL, ${f0(s.issuance.n)} certificates in batches of 100`, (p) => p.issuance, 'the same on SQLite', s.issuance));
  return rows;
}
