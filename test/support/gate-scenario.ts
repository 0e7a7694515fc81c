// A home where a SoLR event is under way: the SRP holds an XML-signing certificate, the failed
// Supplier's Digital Signing certificate (ZAZ1 Z1-supplier-ds) is registered, Devices and an ADT file
// are on record, and an event is approved. Builders make signed DUIS requests for it.
import { strict as assert } from 'node:assert';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readOrganisationCertificate, type OrganisationCertificateInfo } from '../../src/ca/organisation-certificate.js';
import { parseEui64, type Eui64 } from '../../src/domain/eui.js';
import { formatRequestId, signedPreCommandRequest, withRequestId } from '../../src/gate/duis-compose.js';
import { rewriteHeader, signPreCommand } from '../../src/gate/gbcs.js';
import { signEnveloped } from '../../src/gate/xml/dsig.js';
import { makeCsr } from './csr.js';
import { DCC_TEST_PKI } from './dcc-test-pki.js';
import { OTHER_SUPPLIER, setupScenario, SRP, SUPPLIER, type Scenario } from './scenario.js';
import { actAs } from './keys.js';

export const FIXTURES = join(process.cwd(), 'fixtures', 'public');
export const ESME = '00DB1234567890A0' as Eui64;
export const GSME = '00DB1234567890A1' as Eui64;
export const ESME_S1 = '00DB1234567890B0' as Eui64;
export const OTHER_ESME = '00DB1234567890C0' as Eui64;

export const template = (name: string) => readFileSync(join(FIXTURES, 'duis', name), 'utf8');
export const preCommand = (name: string) => Buffer.from(readFileSync(join(FIXTURES, 'gbcs', name), 'utf8').replace(/\s+/g, ''), 'hex');
/** The ZAZ1 test Supplier's published Digital Signing key (PKCS#8, DER or PEM). */
export function supplierDsKey(): KeyObject {
  const raw = readFileSync(join(FIXTURES, 'smki-certs', 'Z1-supplier-ds.key'));
  return raw.subarray(0, 5).toString() === '-----' ? createPrivateKey(raw) : createPrivateKey({ key: raw, format: 'der', type: 'pkcs8' });
}

export interface Signer {
  key: KeyObject;
  cert: OrganisationCertificateInfo;
  certPem: string;
}

export interface GateScenario extends Scenario {
  srp: Signer;
  eventId: string;
  sign(xml: string, signer?: Signer): string;
  /** A CV 4 request from a public template, re-addressed from the SRP and signed. */
  request(templateName: string, counter: bigint, target?: Eui64, signer?: Signer): string;
  /** A CV 5 Signed Pre-Command request from a PRECOMMAND vector, signed by the failed Supplier's DS key. */
  signedPreCommand(vector: string, counter: bigint, target?: Eui64, opts?: { gbcsKey?: KeyObject; originator?: Eui64; cv?: 5 | 6 | 7; srv?: string; executionDateTime?: string }): string;
  write(name: string, text: string): string;
  check(files: string[], extra?: string[]): Promise<Awaited<ReturnType<Scenario['run']>> & { doc: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function setupGateScenario(
  adtThresholds: { warning: number; quarantine: number } = { warning: 500, quarantine: 1000 },
  /** dualFuelSupplier (default true): the failed Supplier's User ID is Gas Supplier too and its GSME is registered; false: IS alone, no GSME. */
  opts: { adtServiceRequests?: string[]; dualFuelSupplier?: boolean } = {},
): Promise<GateScenario> {
  const s = await setupScenario();
  const ok = async (args: string[]) => {
    const r = await s.run([...args, '--json']);
    assert.equal(r.code, 0, `${args.join(' ')} -> ${r.code}: ${r.stderr}`);
    return r.json;
  };
  // The SRP's XML-signing certificate.
  const keyPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const csr = await makeCsr({ eui: SRP, keyPair });
  const csrFile = join(s.dir, 'srp-xml.csr');
  writeFileSync(csrFile, csr.pem);
  const issued = await ok(['cert', 'issue', '--csr', csrFile, '--profile', 'xml-sign', '--party', SRP, '--officer', s.aro, '--passphrase-file', s.pass]);
  const srp: Signer = { key: keyPair.privateKey, cert: readOrganisationCertificate(issued.pem), certPem: issued.pem };
  // The failed Supplier's DCC-issued Digital Signing certificate, which meters trust.
  // It chains to DCC's Organisation CA, registered first as a trust anchor (a test stand-in for the
  // ZAZ1 chain, whose Issuing OCA certificate is not public); its key is ZAZ1's Z1-supplier-ds key.
  await ok(['ca', 'trust', '--file', join(DCC_TEST_PKI, 'chain.pem'), ...actAs('ra1')]);
  await ok(['cert', 'register', '--file', join(DCC_TEST_PKI, 'supplier-ds.pem'), '--party', SUPPLIER, ...actAs('ra1')]);
  // A GSME's Supplier is a Gas Supplier (DEVICE_FUEL_MISMATCH otherwise): the failed Supplier is dual-fuel.
  const dualFuel = opts.dualFuelSupplier ?? true;
  if (dualFuel) await ok(['party', 'add', '--name', 'Failed Energy', '--role', 'GS', '--eui', SUPPLIER, ...actAs('ra1')]);
  const devices = join(s.dir, 'devices.csv');
  writeFileSync(devices, [
    'device_eui,device_type,smets,supplier_eui',
    `${ESME},ESME,2,${SUPPLIER}`,
    ...(dualFuel ? [`${GSME},GSME,2,${SUPPLIER}`] : []),
    `${ESME_S1},ESME,1,${SUPPLIER}`,
    `${OTHER_ESME},ESME,2,${OTHER_SUPPLIER}`,
    '',
  ].join('\n'));
  await ok(['device', 'import', '--file', devices]);
  const adt = join(s.dir, 'adt.csv');
  const adtRows = (opts.adtServiceRequests ?? ['1.6']).map((srv) => `${SUPPLIER},${srv},${adtThresholds.warning},${adtThresholds.quarantine}\n`);
  writeFileSync(adt, `supplier_eui,service_reference_variant,warning_threshold,quarantine_threshold\n${adtRows.join('')}`);
  await ok(['adt', 'submit', '--party', SRP, '--officer', s.aro, '--file', adt]);
  const now = Date.now();
  const event = await ok(['solr', 'record', '--failed-supplier', SUPPLIER, '--srp', SRP, '--instruction', 'OFGEM-LRSD-TEST-1',
    '--from', new Date(now - 86_400_000).toISOString(), '--until', new Date(now + 30 * 86_400_000).toISOString(), ...actAs('ra1')]);
  await ok(['solr', 'approve', event.id, ...actAs('ra2')]);

  let n = 0;
  const sign = (xml: string, signer: Signer = srp) =>
    signEnveloped(xml, { privateKey: signer.key, issuerName: signer.cert.issuerText, serialDecimal: signer.cert.serialDecimal });
  const srpEui = parseEui64(SRP);
  return {
    ...s,
    srp,
    eventId: event.id,
    sign,
    request: (name, counter, target = ESME, signer = srp) => sign(withRequestId(template(name), formatRequestId(srpEui, target, counter)), signer),
    signedPreCommand: (vector, counter, target = ESME, opts = {}) => {
      const pc = rewriteHeader(preCommand(vector), { counter, recipient: target, originator: opts.originator ?? parseEui64(SUPPLIER) });
      const payload = signPreCommand(pc, opts.gbcsKey ?? supplierDsKey());
      const srv = opts.srv ?? '1.6';
      return sign(signedPreCommandRequest({
        requestId: formatRequestId(srpEui, target, counter), commandVariant: opts.cv ?? 5, gbcsPayload: payload, serviceReference: srv, serviceReferenceVariant: srv,
        ...(opts.executionDateTime ? { executionDateTime: opts.executionDateTime } : {}),
      }));
    },
    write: (name, text) => {
      const f = join(s.dir, `${++n}-${name}`);
      writeFileSync(f, text);
      return f;
    },
    // sr check --json is one document {schemaVersion, items, total, summary, exitStatus}; `json` is its
    // items (one decision per file), `doc` the whole document.
    check: async (files, extra = []) => {
      const r = await s.run(['sr', 'check', ...files, '--json', ...extra]);
      return { ...r, doc: r.json, json: r.json?.items };
    },
  };
}
