// Gate benchmark: 20,000 signed SR 1.6 requests (half CommandVariant 4 Credit bodies, half Signed
// Pre-Commands) through the whole gate (parse, two ECDSA verifications, rules, decision recorded with
// its audit record), on one core, in batches of 500 per transaction as `smki sr check` runs them.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IssuingAuthority } from '../src/ca/authority.js';
import { buildSmkiCsr } from '../src/ca/csr-builder.js';
import { initCa } from '../src/ca/init.js';
import { generatePersonKey } from '../src/ca/person-keys.js';
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
import { opensslEcdsaP256, peakRssMb } from './openssl.js';

/** The bench home's RA operator (a key in memory). */
const benchAdmin = generatePersonKey('bench-operator');

const FIX = join(process.cwd(), 'fixtures', 'public');

export interface GateBench {
  requests: number;
  seconds: number;
  perSecond: number;
  accepted: number;
  peakRssMb: number;
  opensslVerify?: number;
  xmlsec1?: string;
}

export async function benchGate(n = 20000): Promise<GateBench> {
  const dir = mkdtempSync(join(tmpdir(), 'smki-bench-gate-'));
  try {
    const catalogue = loadCatalogue();
    const pass = Buffer.from('bench passphrase');
    const home = join(dir, 'home');
    initCa(home, pass, 'Bench OCA', catalogue, { name: 'bench', publicKey: benchAdmin.spkiDer });
    const reg = Registry.open(home);
    const supplier = parseEui64('90B3D51F30010000');
    const srp = parseEui64('90B3D51F300C0001');
    addUserId(reg, catalogue, { partyName: 'Supplier', role: 'IS', eui: supplier, operator: 'bench' });
    addUserId(reg, catalogue, { partyName: 'SRP', role: 'SC', eui: srp, actingFor: supplier, operator: 'bench' });
    const party = findUserId(reg, srp)!;
    const sro = addOfficer(reg, { party, kind: 'sro', name: 'SRO', evidence: 'E', operator: 'bench' });
    const aro = addOfficer(reg, { party, kind: 'aro', name: 'ARO', nominatedBy: sro.id, operator: 'bench' });
    changeOfficerStatus(reg, aro.id, 'activate', 'bench');
    const ca = IssuingAuthority.unlock(reg, pass, catalogue);
    // The Supplier's DS certificate and key (its meters' trust anchor), the SRP's XML-signing one.
    const supParty = findUserId(reg, supplier)!;
    const ssro = addOfficer(reg, { party: supParty, kind: 'sro', name: 'S', evidence: 'E', operator: 'bench' });
    const saro = addOfficer(reg, { party: supParty, kind: 'aro', name: 'A', nominatedBy: ssro.id, operator: 'bench' });
    changeOfficerStatus(reg, saro.id, 'activate', 'bench');
    const supKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    issueCertificate(reg, ca, catalogue, { csr: buildSmkiCsr({ eui: supplier, ou: '02', ...supKeys }).der, profile: 'ds', party: supplier, officerId: saro.id });
    const srpKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const xml = issueCertificate(reg, ca, catalogue, { csr: buildSmkiCsr({ eui: srp, ou: '87', ...srpKeys }).der, profile: 'xml-sign', party: srp, officerId: aro.id });
    const cert = readOrganisationCertificate(xml.der);
    // One ESME per pair of requests, all the Supplier's.
    const pairs = Math.ceil(n / 2);
    const devices = join(dir, 'devices.csv');
    const lines = ['device_eui,device_type,smets,supplier_eui'];
    const esme = (i: number) => (0x00db100000000000n + BigInt(i)).toString(16).toUpperCase().padStart(16, '0') as Eui64;
    for (let i = 0; i < pairs; i++) lines.push(`${esme(i)},ESME,2,${supplier}`);
    writeFileSync(devices, `${lines.join('\n')}\n`);
    await importDevices(reg, devices, { operator: 'bench' });
    const adt = join(dir, 'adt.csv');
    writeFileSync(adt, `supplier_eui,service_reference_variant,warning_threshold,quarantine_threshold\n${supplier},1.6,${n * 2},${n * 4}\n`);
    await submitAdt(reg, catalogue, { party: srp, officerId: aro.id, file: adt, operator: 'bench' });
    const now = new Date();
    const e = recordEvent(reg, catalogue, { failedSupplier: supplier, srp, instructionRef: 'BENCH', from: new Date(now.getTime() - 3600_000), until: new Date(now.getTime() + 86_400_000), operator: 'ra1' });
    approveEvent(reg, e.id, 'ra2');

    // The requests, made and signed before the clock starts.
    const tpl = readFileSync(join(FIX, 'duis', 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML'), 'utf8');
    const pre = Buffer.from(readFileSync(join(FIX, 'gbcs', 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX'), 'utf8').replace(/\s+/g, ''), 'hex');
    const sign = (x: string) => signEnveloped(x, { privateKey: srpKeys.privateKey, issuerName: cert.issuerText, serialDecimal: cert.serialDecimal });
    const docs: Buffer[] = [];
    for (let i = 0; i < pairs && docs.length < n; i++) {
      const counter = BigInt(1000 + i);
      const target = esme(i);
      docs.push(Buffer.from(sign(withRequestId(tpl, formatRequestId(srp, target, counter)))));
      if (docs.length >= n) break;
      const spc = signPreCommand(rewriteHeader(pre, { originator: supplier, recipient: target, counter }), supKeys.privateKey);
      docs.push(Buffer.from(sign(signedPreCommandRequest({ requestId: formatRequestId(srp, target, counter), commandVariant: 5, gbcsPayload: spc }))));
    }
    const sample = join(dir, 'sample.xml');
    writeFileSync(sample, docs[0]!);
    writeFileSync(join(dir, 'srp-xml.pem'), toPem(xml.der, 'CERTIFICATE'));

    const gate = new ServiceRequestGate(reg, catalogue);
    let accepted = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < docs.length; i += 500) {
      reg.tx(() => {
        for (let j = i; j < Math.min(i + 500, docs.length); j++) if (gate.check(`r${j}`, docs[j]!, 'bench').decision === 'accept') accepted++;
      });
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    reg.close();
    const ossl = opensslEcdsaP256();
    return {
      requests: docs.length,
      seconds,
      perSecond: docs.length / seconds,
      accepted,
      peakRssMb: peakRssMb(),
      opensslVerify: 'verify' in ossl ? ossl.verify : undefined,
      xmlsec1: xmlsec1Timing(sample, join(dir, 'srp-xml.pem')),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** xmlsec1 --verify of one file, for scale (it knows nothing of DUIS rules). */
function xmlsec1Timing(file: string, certPem: string): string {
  const probe = spawnSync('xmlsec1', ['--version'], { encoding: 'utf8' });
  if (probe.error) return 'xmlsec1 not installed (apt-get install xmlsec1)';
  const t0 = process.hrtime.bigint();
  const r = spawnSync('xmlsec1', ['--verify', '--pubkey-cert-pem', certPem, '--id-attr:Id', 'Request', file], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return `${r.status === 0 ? 'verified' : 'did not verify'} one file in ${ms.toFixed(1)} ms (process start included)`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchGate(Number(process.argv[2] ?? 20000))));
}
