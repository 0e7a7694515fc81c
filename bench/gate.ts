// Gate benchmark: 20,000 signed SR 1.6 requests (half CommandVariant 4 Credit bodies, half Signed
// Pre-Commands) through the whole gate (parse, two ECDSA verifications, rules, decision recorded with
// its audit record), on one core, in batches of 500 per transaction as `smki sr check` runs them.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IssuingAuthority } from '../src/ca/authority.js';
import { buildSmkiCsr } from '../src/ca/csr-builder.js';
import { initCa } from '../src/ca/init.js';
import { generatePersonKey } from '../src/ca/person-keys.js';
import { addOperator } from '../src/ra/operators.js';
import { toPem } from '../src/ca/pem.js';
import { readOrganisationCertificate } from '../src/ca/organisation-certificate.js';
import { loadCatalogue } from '../src/config/catalogue.js';
import { parseEui64, type Eui64 } from '../src/domain/eui.js';
import { formatRequestId, signedPreCommandRequest, withRequestId } from '../src/gate/duis-compose.js';
import { ServiceRequestGate } from '../src/gate/gate.js';
import { rewriteHeader, signPreCommand } from '../src/gate/gbcs.js';
import { signEnveloped } from '../src/gate/xml/dsig.js';
import { submitAdt } from '../src/ra/adt.js';
import { importDevices } from '../src/ra/devices.js';
import { issueCertificate } from '../src/ra/issue.js';
import { addOfficer, changeOfficerStatus } from '../src/ra/officers.js';
import { addUserId } from '../src/ra/parties.js';
import { approveEvent, recordEvent } from '../src/ra/solr.js';
import { findUserId } from '../src/registry/parties.js';
import { Registry } from '../src/registry/registry.js';
import { readFileSync } from 'node:fs';
import { checkWithWorkers, VerifyPool } from '../src/gate/verify-pool.js';
import { verifyRegistry } from './checks.js';
import { growRegistry } from './scale.js';
import { xmlsec1Verify } from './peers.js';
import { countInstructions } from './callgrind.js';


/** The bench home's RA operator (a key in memory). */
const benchAdmin = generatePersonKey('bench-operator');

const FIX = join(process.cwd(), 'fixtures', 'public');

export interface GateBench {
  requests: number;
  /** One core: this thread reads, verifies, decides and commits (batches of 500 per transaction). */
  oneCore: { requests: number; seconds: number; perSecond: number; cpuSeconds: number };
  /** Worker threads read and verify, this thread decides and commits; undefined when not asked for. */
  workers?: { threads: number; requests: number; seconds: number; perSecond: number };
  accepted: number;
  /** `xmlsec1 --verify` over the same signed requests (undefined when not asked for). */
  xmlsec1?: ReturnType<typeof xmlsec1Verify>;
  auditRecords: number;
}

/**
 * N signed requests through the gate. With `workers`, the requests are taken in four quarters, one
 * core and worker threads in turn (so both see the same load); with `xmlsec1`, every request is
 * also verified by `xmlsec1 --verify`.
 */
/** A gate home in `dir` with N requests signed and written, each a file, before any clock starts. */
export interface GateHome {
  reg: Registry;
  home: string;
  gate: ServiceRequestGate;
  docs: string[];
  /** The SRP's XML-signing certificate (for xmlsec1). */
  certPem: string;
}

/**
 * Requests docs[from..to) through the gate on this thread, in groups of 500 per transaction as
 * `smki sr check` runs them: how many were accepted.
 */
export function checkOnOneCore(g: GateHome, from: number, to: number): number {
  let accepted = 0;
  for (let i = from; i < to; i += 500) {
    const group = [];
    for (let j = i; j < Math.min(i + 500, to); j++) group.push({ file: `r${j}`, read: () => g.gate.read(`r${j}`, readFileSync(g.docs[j]!)) });
    for (const o of g.gate.checkGroup(group, 'bench')) if (o.decision === 'accept') accepted++;
  }
  return accepted;
}

/** A home with a Supplier, its SRP, an ARO, one ESME per pair of requests, an ADT file and an approved event; N signed requests. */
export async function prepareGateHome(dir: string, n: number, opts: { grow?: number } = {}): Promise<GateHome> {
  const catalogue = loadCatalogue();
  const pass = Buffer.from('bench passphrase');
  const home = join(dir, 'home');
  initCa(home, pass, 'Bench OCA', catalogue, { name: 'bench', publicKey: benchAdmin.spkiDer });
  const reg = Registry.open(home);
  const supplier = parseEui64('90B3D51F30010000');
  const srp = parseEui64('90B3D51F300C0001');
  addUserId(reg, catalogue, { partyName: 'Supplier', role: 'IS', eui: supplier, operator: benchAdmin.signer });
  addUserId(reg, catalogue, { partyName: 'SRP', role: 'SC', eui: srp, actingFor: supplier, operator: benchAdmin.signer });
  const party = findUserId(reg, srp)!;
  const sroKey = generatePersonKey('bench-sro');
  const aroKey = generatePersonKey('bench-aro');
  const sro = addOfficer(reg, { party, kind: 'sro', name: 'SRO', evidence: 'E', publicKey: sroKey.spkiDer, operator: benchAdmin.signer });
  const aro = addOfficer(reg, { party, kind: 'aro', name: 'ARO', nominatedBy: sro.id, publicKey: aroKey.spkiDer, nominator: sroKey.signer });
  changeOfficerStatus(reg, aro.id, 'activate', benchAdmin.signer);
  const ca = IssuingAuthority.unlock(reg, pass, catalogue);
  // The Supplier's DS certificate and key (its meters' trust anchor), the SRP's XML-signing one.
  const supParty = findUserId(reg, supplier)!;
  const ssroKey = generatePersonKey('bench-supplier-sro');
  const saroKey = generatePersonKey('bench-supplier-aro');
  const ssro = addOfficer(reg, { party: supParty, kind: 'sro', name: 'S', evidence: 'E', publicKey: ssroKey.spkiDer, operator: benchAdmin.signer });
  const saro = addOfficer(reg, { party: supParty, kind: 'aro', name: 'A', nominatedBy: ssro.id, publicKey: saroKey.spkiDer, nominator: ssroKey.signer });
  changeOfficerStatus(reg, saro.id, 'activate', benchAdmin.signer);
  const supKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  issueCertificate(reg, ca, catalogue, { csr: buildSmkiCsr({ eui: supplier, ou: '02', ...supKeys }).der, profile: 'ds', party: supplier, officerId: saro.id, officer: saroKey.signer });
  const srpKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const xml = issueCertificate(reg, ca, catalogue, { csr: buildSmkiCsr({ eui: srp, ou: '87', ...srpKeys }).der, profile: 'xml-sign', party: srp, officerId: aro.id, officer: aroKey.signer });
  const cert = readOrganisationCertificate(xml.der);
  // One ESME per pair of requests, all the Supplier's.
  const pairs = Math.ceil(n / 2);
  const devices = join(dir, 'devices.csv');
  const lines = ['device_eui,device_type,smets,supplier_eui'];
  const esme = (i: number) => (0x00db100000000000n + BigInt(i)).toString(16).toUpperCase().padStart(16, '0') as Eui64;
  for (let i = 0; i < pairs; i++) lines.push(`${esme(i)},ESME,2,${supplier}`);
  writeFileSync(devices, `${lines.join('\n')}\n`);
  await importDevices(reg, devices, { operator: benchAdmin.signer });
  const adt = join(dir, 'adt.csv');
  writeFileSync(adt, `supplier_eui,service_reference_variant,warning_threshold,quarantine_threshold\n${supplier},1.6,${n * 2},${n * 4}\n`);
  await submitAdt(reg, catalogue, { party: srp, officerId: aro.id, officer: aroKey.signer, file: adt });
  const now = new Date();
  const e = recordEvent(reg, catalogue, { failedSupplier: supplier, srp, instructionRef: 'BENCH', from: new Date(now.getTime() - 3600_000), until: new Date(now.getTime() + 86_400_000), operator: benchAdmin.signer });
  // Dual control: a second operator's key approves.
  const second = generatePersonKey('bench-operator-2');
  addOperator(reg, { name: 'bench2', publicKey: second.spkiDer }, benchAdmin.signer);
  approveEvent(reg, e.id, second.signer);
  // bench/scale.ts: the same requests in a registry that also holds `grow` certificates and Devices of another Supplier.
  if (opts.grow) growRegistry(reg, catalogue, home, opts.grow, benchAdmin.signer);

  // The requests, made and signed before the clock starts.
  const tpl = readFileSync(join(FIX, 'duis', 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML'), 'utf8');
  const pre = Buffer.from(readFileSync(join(FIX, 'gbcs', 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX'), 'utf8').replace(/\s+/g, ''), 'hex');
  const sign = (x: string) => signEnveloped(x, { privateKey: srpKeys.privateKey, issuerName: cert.issuerText, serialDecimal: cert.serialDecimal });
  // Each request a file, as `smki sr check` reads them (the documents are not all held in memory).
  const docs: string[] = [];
  const put = (xml: string) => {
    const f = join(dir, `sr-${docs.length}.xml`);
    writeFileSync(f, xml);
    docs.push(f);
  };
  for (let i = 0; i < pairs && docs.length < n; i++) {
    const counter = BigInt(1000 + i);
    const target = esme(i);
    put(sign(withRequestId(tpl, formatRequestId(srp, target, counter))));
    if (docs.length >= n) break;
    const spc = signPreCommand(rewriteHeader(pre, { originator: supplier, recipient: target, counter }), supKeys.privateKey);
    put(sign(signedPreCommandRequest({ requestId: formatRequestId(srp, target, counter), commandVariant: 5, gbcsPayload: spc })));
  }
  const certPem = join(dir, 'srp-xml.pem');
  writeFileSync(certPem, toPem(xml.der, 'CERTIFICATE'));
  return { reg, home, gate: new ServiceRequestGate(reg, catalogue), docs, certPem };
}

export async function benchGate(n = 20000, opts: { workers?: number; xmlsec1?: boolean; grow?: number } = {}): Promise<GateBench> {
  const dir = mkdtempSync(join(tmpdir(), 'smki-bench-gate-'));
  try {
    const g = await prepareGateHome(dir, n, opts);
    const { reg, home, gate, docs, certPem } = g;
    let accepted = 0;
    // This thread's CPU time over the one-core runs (bench/integrity.ts compares it: wall time on a shared machine is its neighbours' too).
    let oneCoreCpu = 0;
    const oneCore = (from: number, to: number): number => {
      const t0 = process.hrtime.bigint();
      // Under callgrind (bench/callgrind.ts) instructions are counted over the one-core runs alone.
      countInstructions(true);
      const c0 = process.cpuUsage();
      accepted += checkOnOneCore(g, from, to);
      const c = process.cpuUsage(c0);
      countInstructions(false);
      oneCoreCpu += (c.user + c.system) / 1e6;
      return Number(process.hrtime.bigint() - t0) / 1e9;
    };
    const pool = opts.workers ? new VerifyPool(home, opts.workers) : undefined;
    await pool?.ready(); // worker start-up is not counted
    const withWorkers = async (from: number, to: number): Promise<number> => {
      const t0 = process.hrtime.bigint();
      const out = await checkWithWorkers(gate, pool!, docs.slice(from, to).map((path, k) => ({ file: `r${from + k}`, path })), 'bench');
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      accepted += out.filter((o) => o.decision === 'accept').length;
      return seconds;
    };
    let one = { requests: 0, seconds: 0 };
    let many = { requests: 0, seconds: 0 };
    try {
      if (!pool) one = { requests: docs.length, seconds: oneCore(0, docs.length) };
      else {
        const q = Math.ceil(docs.length / 4);
        for (let k = 0; k < 4; k++) {
          const from = k * q;
          const to = Math.min(docs.length, from + q);
          if (k % 2 === 0) one = { requests: one.requests + to - from, seconds: one.seconds + oneCore(from, to) };
          else many = { requests: many.requests + to - from, seconds: many.seconds + (await withWorkers(from, to)) };
        }
      }
    } finally {
      await pool?.close();
    }
    if (accepted !== docs.length) throw new Error(`the gate accepted ${accepted} of ${docs.length} benchmark requests`);
    const { records } = verifyRegistry(reg, 'gate');
    reg.close();
    let xmlsec: GateBench['xmlsec1'];
    if (opts.xmlsec1) {
      xmlsec = xmlsec1Verify(docs, certPem);
    }
    return {
      requests: docs.length,
      oneCore: { ...one, perSecond: one.requests / one.seconds, cpuSeconds: oneCoreCpu },
      ...(pool ? { workers: { threads: pool.size, ...many, perSecond: many.requests / many.seconds } } : {}),
      accepted,
      ...(xmlsec ? { xmlsec1: xmlsec } : {}),
      auditRecords: records,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchGate(Number(process.argv[2] ?? 20000), { workers: process.argv[3] ? Number(process.argv[3]) : undefined, xmlsec1: process.argv[4] === 'xmlsec1' })));
}
