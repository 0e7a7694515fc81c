// Issuance benchmark: N certificates from pre-made CSRs through the full pipeline (CSR gate, RA
// policy, serial recorded, signer re-check + lint + sign, certificate and audit stored), one process.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IssuingAuthority } from '../src/ca/authority.js';
import { buildSmkiCsr } from '../src/ca/csr-builder.js';
import { initCa, type InitKeys } from '../src/ca/init.js';
import { generatePersonKey } from '../src/ca/person-keys.js';
import { loadCatalogue } from '../src/config/catalogue.js';
import { parseEui64 } from '../src/domain/eui.js';
import { CsrPool } from '../src/ca/csr-pool.js';
import { issueCertificate, issueCertificates, issueCertificatesWithWorkers } from '../src/ra/issue.js';
import { addOfficer, changeOfficerStatus } from '../src/ra/officers.js';
import { addUserId } from '../src/ra/parties.js';
import { Registry } from '../src/registry/registry.js';
import { toPem } from '../src/ca/pem.js';
import { FileKeySigner } from '../src/ca/signer.js';
import { ensureBuilt } from '../test/support/process.js';
import { countInstructions } from './callgrind.js';
import { verifyRegistry } from './checks.js';
import { cfsslSignCost, isSkipped, nodeNothingCost, processCost, startCfsslServe, type CfsslServe, type ProcessCost, type Skipped } from './peers.js';

/** The bench home's RA operator (a key in memory). */
const benchAdmin = generatePersonKey('bench-operator');

/** A home with a Supplier, its SRP's SoLRContingency User ID and an active ARO; the CA unlocked. */
export async function prepareIssuanceHome(home: string, pass: Buffer, keys?: InitKeys, unlock?: (reg: Registry) => IssuingAuthority) {
  const catalogue = loadCatalogue();
  initCa(home, pass, 'Bench OCA', catalogue, { name: 'bench', publicKey: benchAdmin.spkiDer }, undefined, keys);
  const reg = Registry.open(home);
  const supplier = parseEui64('90B3D51F30010000');
  const srp = parseEui64('90B3D51F300C0001');
  addUserId(reg, catalogue, { partyName: 'Supplier', role: 'IS', eui: supplier, operator: benchAdmin.signer });
  addUserId(reg, catalogue, { partyName: 'SRP', role: 'SC', eui: srp, actingFor: supplier, operator: benchAdmin.signer });
  const party = (await import('../src/registry/parties.js')).findUserId(reg, srp)!;
  const sroKey = generatePersonKey('bench-sro');
  // The ARO's key also as a plain 0600 file beside the home (what `smki cert issue --officer-key` takes).
  const aroPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const aroKeyFile = `${home}-aro.key`;
  writeFileSync(aroKeyFile, aroPair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
  const aroKey = { signer: new FileKeySigner(aroPair.privateKey, aroKeyFile), spkiDer: aroPair.publicKey.export({ format: 'der', type: 'spki' }) };
  const sro = addOfficer(reg, { party, kind: 'sro', name: 'SRO', evidence: 'E', publicKey: sroKey.spkiDer, operator: benchAdmin.signer });
  const aro = addOfficer(reg, { party, kind: 'aro', name: 'ARO', nominatedBy: sro.id, publicKey: aroKey.spkiDer, nominator: sroKey.signer });
  changeOfficerStatus(reg, aro.id, 'activate', benchAdmin.signer);
  const ca = unlock ? unlock(reg) : IssuingAuthority.unlock(reg, pass, catalogue);
  return { reg, catalogue, srp, aroId: aro.id, aroKey: aroKey.signer, aroKeyFile, ca };
}

export function benchCsrs(srp: ReturnType<typeof parseEui64>, n: number): Buffer[] {
  return Array.from({ length: n }, () => {
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return buildSmkiCsr({ eui: srp, ou: '87', ...kp }).der;
  });
}

export interface IssuanceBench {
  /** Batches of 100, durable registry and audit, in this thread alone. */
  certificates: number;
  seconds: number;
  perSecond: number;
  /** The process's CPU time over those batches (no worker thread runs meanwhile). */
  cpuSeconds: number;
  /**
   * The same with the CSR gate's parse and checks in worker threads and building, linting and signing
   * in CA signing workers (with `workers`), and the process's CPU time over them (every thread).
   */
  withWorkers?: { threads: number; certificates: number; seconds: number; perSecond: number; cpuSeconds: number };
  /** One request per durable commit, in the same process. */
  single: { certificates: number; seconds: number; perSecond: number };
  /**
   * `cfssl serve` over the same CSRs, interleaved with smki-ca's batches (half each, twice): its own CPU
   * time over them (from /proc), and that of this process's HTTP clients (one thread: when it is near
   * `seconds`, the clients, not cfssl, set the pace).
   */
  cfsslServe?: { certificates: number; seconds: number; perSecond: number; cpuSeconds?: number; clientCpuSeconds: number } | Skipped;
  /** One whole process (median wall seconds, mean CPU ms): `smki cert issue`, `cfssl sign`, `node -e 0`. */
  process?: { runs: number; smkiCertIssue: ProcessCost; cfsslSign: ProcessCost | Skipped; nodeNothing: ProcessCost };
  auditRecords: number;
}

/**
 * N certificates: the first (up to 500) one at a time, the rest in batches of 100; with `peers`, the
 * rest also through `cfssl serve` (halves interleaved with ours, so both see the same load), then
 * `processes` single `smki cert issue` processes beside `cfssl sign` and `node -e 0`.
 */
export async function benchIssuance(n = 2000, opts: { peers?: boolean; processes?: number; workers?: number } = {}): Promise<IssuanceBench> {
  const dir = mkdtempSync(join(tmpdir(), 'smki-bench-issue-'));
  const peers = opts.peers ?? false;
  let serve: CfsslServe | Skipped | undefined;
  try {
    const pass = Buffer.from('bench passphrase');
    const home = join(dir, 'home');
    const { reg, catalogue, srp, aroId, aroKey, aroKeyFile, ca } = await prepareIssuanceHome(home, pass);
    const aro = { id: aroId };
    const csrs = benchCsrs(srp, n);
    // For the worker threads' first batches (their JIT warming up), not counted.
    const warmUp = opts.workers ? benchCsrs(srp, 300) : [];
    // One request at a time: a durable commit per certificate, as `smki cert issue` runs.
    const single = Math.min(500, Math.floor(csrs.length / 5));
    const t0 = process.hrtime.bigint();
    for (const csr of csrs.slice(0, single)) issueCertificate(reg, ca, catalogue, { csr, profile: 'xml-sign', party: srp, officerId: aro.id, officer: aroKey });
    const singleSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    // Batches of 100 through the same pipeline (group commit), as onboarding runs issue them.
    const rest = csrs.slice(single);
    const requests = (part: Buffer[]) => part.map((csr) => ({ csr, profile: 'xml-sign' as const, party: srp, officerId: aro.id, officer: aroKey }));
    let oursCpu = 0;
    const ours = (part: Buffer[]): number => {
      const t = process.hrtime.bigint();
      // Under callgrind (bench/callgrind.ts) instructions are counted over these batches alone.
      countInstructions(true);
      const c0 = process.cpuUsage();
      for (let i = 0; i < part.length; i += 100) {
        const out = issueCertificates(reg, ca, catalogue, requests(part.slice(i, i + 100)));
        if (!out.every((o) => o.ok)) throw new Error('a benchmark request was refused');
      }
      const c = process.cpuUsage(c0);
      countInstructions(false);
      oursCpu += (c.user + c.system) / 1e6;
      return Number(process.hrtime.bigint() - t) / 1e9;
    };
    const pool = opts.workers ? new CsrPool(opts.workers) : undefined;
    // With workers: CSR checks in the CSR pool's, building, linting and signing in the CA's signing
    // workers, started once and warmed up as a long-running issuer's are (start-up and warm-up not counted).
    let oursWithWorkersCpu = 0;
    const oursWithWorkers = async (part: Buffer[]): Promise<number> => {
      const t = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      const out = await issueCertificatesWithWorkers(reg, ca, catalogue, requests(part), pool!, 100);
      const c = process.cpuUsage(c0);
      oursWithWorkersCpu += (c.user + c.system) / 1e6;
      if (!out.every((o) => o.ok)) throw new Error('a benchmark request was refused');
      return Number(process.hrtime.bigint() - t) / 1e9;
    };
    if (pool) {
      await pool.ready();
      await ca.startSigningWorkers(opts.workers);
      await oursWithWorkers(warmUp);
      oursWithWorkersCpu = 0;
    }
    // Two rounds, so that all of them see the same load: this thread alone, with workers, cfssl serve.
    const halves = [rest.slice(0, Math.floor(rest.length / 2)), rest.slice(Math.floor(rest.length / 2))];
    if (peers) serve = await startCfsslServe(dir, toPem(csrs[0]!, 'CERTIFICATE REQUEST'));
    const alone = { certificates: 0, seconds: 0 };
    const both = { certificates: 0, seconds: 0 };
    let cfsslSeconds = 0;
    let cfsslCertificates = 0;
    let cfsslCpu: number | undefined = 0;
    let cfsslClientCpu = 0;
    try {
      for (const half of halves) {
        const mine = pool ? half.slice(0, Math.floor(half.length / 2)) : half;
        alone.seconds += ours(mine);
        alone.certificates += mine.length;
        if (pool) {
          const theirs = half.slice(mine.length);
          both.seconds += await oursWithWorkers(theirs);
          both.certificates += theirs.length;
        }
        if (serve && !isSkipped(serve)) {
          const pems = half.map((d) => toPem(d, 'CERTIFICATE REQUEST'));
          const c0 = serve.cpuSeconds();
          const client0 = process.cpuUsage();
          cfsslSeconds += await serve.sign(pems);
          const client = process.cpuUsage(client0);
          cfsslClientCpu += (client.user + client.system) / 1e6;
          const c1 = serve.cpuSeconds();
          cfsslCpu = cfsslCpu === undefined || c0 === undefined || c1 === undefined ? undefined : cfsslCpu + (c1 - c0);
          cfsslCertificates += half.length;
        }
      }
    } finally {
      await pool?.close();
      await ca.stopSigningWorkers();
    }
    if (serve && !isSkipped(serve)) await serve.stop();
    const cfsslServe = serve === undefined ? undefined : isSkipped(serve) ? serve : { certificates: cfsslCertificates, seconds: cfsslSeconds, perSecond: cfsslCertificates / cfsslSeconds, clientCpuSeconds: cfsslClientCpu, ...(cfsslCpu === undefined ? {} : { cpuSeconds: cfsslCpu }) };

    let processes: IssuanceBench['process'];
    if (peers) {
      const runs = opts.processes ?? 5;
      const files = benchCsrs(srp, runs).map((der, i) => {
        const f = join(dir, `one-${i}.csr`);
        writeFileSync(f, toPem(der, 'CERTIFICATE REQUEST'));
        return f;
      });
      const passFile = join(dir, 'ca-pass.txt');
      writeFileSync(passFile, `${pass.toString()}\n`, { mode: 0o600 });
      ensureBuilt();
      const smkiCertIssue = processCost(runs, (i) => ({
        cmd: process.execPath,
        args: [join(process.cwd(), 'bin', 'smki.js'), '--home', home, 'cert', 'issue', '--csr', files[i]!, '--profile', 'xml-sign', '--party', srp, '--officer', aro.id, '--officer-key', aroKeyFile, '--passphrase-file', passFile],
      }), (status, stderr) => {
        if (status !== 0) throw new Error(`smki cert issue failed (exit ${status}): ${stderr.trim().split('\n').pop()}`);
      });
      processes = { runs, smkiCertIssue, cfsslSign: cfsslSignCost(dir, files), nodeNothing: nodeNothingCost(runs) };
    }
    const { records } = verifyRegistry(reg, 'issuance');
    reg.close();
    return {
      ...alone,
      perSecond: alone.certificates / alone.seconds,
      cpuSeconds: oursCpu,
      ...(pool ? { withWorkers: { threads: pool.size, ...both, perSecond: both.certificates / both.seconds, cpuSeconds: oursWithWorkersCpu } } : {}),
      single: { certificates: single, seconds: singleSeconds, perSecond: single / singleSeconds },
      ...(cfsslServe ? { cfsslServe } : {}),
      ...(processes ? { process: processes } : {}),
      auditRecords: records,
    };
  } finally {
    if (serve && !isSkipped(serve)) await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchIssuance(Number(process.argv[2] ?? 2000), { peers: process.argv[3] === 'peers', workers: process.argv[4] ? Number(process.argv[4]) : undefined });
  console.log(JSON.stringify(r));
}
