// `smki demo`: the whole MP134B story in a fresh home, step by step, through the same commands a user
// types (run in-process), each narrated with what it shows and checked against what should happen.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { InputError } from '../domain/errors.js';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { buildSmkiCsr } from '../ca/csr-builder.js';
import { readOrganisationCertificate } from '../ca/organisation-certificate.js';
import { parseEui64, type Eui64 } from '../domain/eui.js';
import { REQUIREMENT_TITLES } from '../domain/reasons.js';
import { formatRequestId, signedPreCommandRequest, withRequestId, withServiceReference } from '../gate/duis-compose.js';
import { rewriteHeader, signPreCommand } from '../gate/gbcs.js';
import { signEnveloped } from '../gate/xml/dsig.js';
import { writeNewKey } from '../ca/person-keys.js';
import type { Io } from '../cli/context.js';

export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'public');

const SUPPLIER = parseEui64('90-B3-D5-1F-30-01-00-00');
const SRP = parseEui64('90-B3-D5-1F-30-0C-00-01');
const ESME = parseEui64('00-DB-12-34-56-78-90-A0');
const GSME = parseEui64('00-DB-12-34-56-78-90-A1');

export type Requirement = 'setup' | 'R1' | 'R2' | 'R3' | 'R4' | 'R5' | 'R6' | 'R7';

export interface DemoStep {
  n: number;
  requirement: Requirement;
  title: string;
  /** The step's (first) command; `commands` has every command of the step (one, or two for a dual-fuel Supplier). */
  command: string;
  commands: string[];
  expected: 'ok' | 'refused';
  outcome: 'ok' | 'refused' | 'error';
  exitCode: number;
  pass: boolean;
  reasons: string[];
  note?: string;
}

export interface DemoResult {
  ok: boolean;
  home: string;
  /** The folder of CSRs, certificates, requests, CRL and chain, when kept (with --home, inside it); null when removed. */
  artefacts: string | null;
  /** Whether the CA home is kept (--home DIR); without it the home was temporary and is removed. */
  kept: boolean;
  seconds: number;
  steps: DemoStep[];
}

class Sink extends Writable {
  text = '';
  override _write(c: Buffer, _e: string, cb: () => void): void {
    this.text += c.toString();
    cb();
  }
}

class DemoStopped extends Error {
  constructor(readonly step: DemoStep) {
    super(`demo step ${step.n} did not go as expected`);
  }
}

/** The demo writes a whole CA: only into a folder that does not exist or is empty, never a real home. */
function refuseUsedHome(dir: string): void {
  let entries: string[];
  try {
      if (!statSync(dir).isDirectory()) throw new InputError(`--home: ${dir} exists and is not a folder; the demo runs only in a new or empty folder`);
      entries = readdirSync(dir);
  } catch (e) {
    if (e instanceof InputError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new InputError(`--home: cannot read ${dir} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (entries.length > 0) {
    throw new InputError(`--home: ${dir} exists and is not empty; the demo runs only in a new or empty folder (leave out --home for a temporary one)`);
  }
}

/** A fresh P-256 key and its SMKI CSR. */
function makeCsr(eui: Eui64, ou: string): { pem: string; key: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { pem: buildSmkiCsr({ eui, ou, privateKey, publicKey }).pem, key: privateKey };
}

/** What a step that went as expected did, in words: requests are accepted, certificates issued. */
function doneWord(args: readonly string[]): string {
  if (args[0] === 'sr' && args[1] === 'check') return 'accepted';
  if (args[0] === 'cert' && args[1] === 'issue') return 'issued';
  return 'done';
}

/** The signals after which the demo's temporary folder is removed before the process ends (kill -9 cannot be caught). */
const CLEANUP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export async function runDemo(opts: { home?: string; io: Io; json: boolean; main: (argv: string[], io: Io) => Promise<number> }): Promise<DemoResult> {
  const started = Date.now();
  if (opts.home) refuseUsedHome(resolve(opts.home));
  const out = opts.json ? opts.io.stderr : opts.io.stdout;
  const say = (t = '') => out.write(`${t}\n`);
  // The temporary folder holds the secrets (the CA passphrase, the people's private keys) and, without
  // --home, the home and artefacts too. It is removed however the demo ends: nothing is left behind.
  const work = mkdtempSync(join(tmpdir(), 'smki-demo-'));
  // Ctrl+C or a kill ends the process without running `finally`: the folder is removed first, then the
  // signal is raised again and takes its default course (the process ends as it would have).
  const removeOnSignal = (signal: NodeJS.Signals) => {
    rmSync(work, { recursive: true, force: true });
    for (const s of CLEANUP_SIGNALS) process.off(s, removeOnSignal);
    process.kill(process.pid, signal);
  };
  for (const s of CLEANUP_SIGNALS) process.on(s, removeOnSignal);
  const kept = opts.home !== undefined;
  const home = kept ? resolve(opts.home!) : join(work, 'home');
  // With --home the artefacts are kept beside the CA's own files (made after init, which wants an empty home).
  const art = kept ? join(home, 'demo-artefacts') : join(work, 'artefacts');
  const secret = (name: string, content: string | Buffer) => {
    const p = join(work, name);
    writeFileSync(p, content, { mode: 0o600 });
    return p;
  };
  const file = (name: string, content: string | Buffer) => {
    mkdirSync(art, { recursive: true });
    const p = join(art, name);
    writeFileSync(p, content, { mode: 0o600 });
    return p;
  };
  const steps: DemoStep[] = [];
  const shown = (cmd: string) => cmd.replaceAll(`${art}/`, './').replaceAll(`${work}/`, './').replaceAll(home, '$HOME');

  /** Runs one command; `part` makes it a further command of the step before (same number, said under it). */
  const run = async (requirement: Requirement, title: string, args: string[], expected: 'ok' | 'refused', note?: string, part = false) => {
    const stdout = new Sink();
    const stderr = new Sink();
    const stdin = new PassThrough();
    stdin.end();
    const code = await opts.main(['node', 'smki', '--home', home, ...args, '--json'], { stdout, stderr, stdin, interactive: false, progress: false });
    let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
    try {
      json = JSON.parse(stdout.text);
    } catch {
      json = undefined;
    }
    const arr = Array.isArray(json?.items) ? json.items : [json];
    const reasons: string[] = arr.flatMap((j: any) => // eslint-disable-line @typescript-eslint/no-explicit-any
      (j?.reasons ?? []).map((r: { code: string }) => r.code));
    const outcome = code === 0 ? 'ok' : code === 3 ? 'refused' : 'error';
    const command = `smki ${args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}`;
    const pass = outcome === expected;
    let step: DemoStep;
    if (part && steps.length > 0) {
      step = steps[steps.length - 1]!;
      step.commands.push(command);
      step.pass &&= pass;
      if (!pass) Object.assign(step, { outcome, exitCode: code, reasons });
    } else {
      step = { n: steps.length + 1, requirement, title, command, commands: [command], expected, outcome, exitCode: code, pass, reasons, ...(note ? { note } : {}) };
      steps.push(step);
      say(`${String(step.n).padStart(2)}. [${requirement}] ${title}`);
    }
    say(`    $ ${shown(command)}`);
    say(`    -> ${outcome === 'ok' ? doneWord(args) : outcome === 'refused' ? `refused: ${reasons.join(', ')}` : `error (exit ${code}): ${stderr.text.trim().split('\n')[0]}`}${pass ? '' : '   << NOT AS EXPECTED'}`);
    if (note) say(`    ${note}`);
    // Later steps build on this one: a step that did not go as expected ends the demo here.
    if (!pass) throw new DemoStopped(step);
    return json;
  };

  say('smki demo: a Supplier fails; its Shared Resource Provider keeps prepayment customers on supply (SEC MP134B)');
  say(`home ${kept ? home : '(a temporary folder, removed at the end; --home DIR keeps it)'}`);
  say();
  say('The seven MP134B requirements, as the steps are tagged:');
  for (const [r, t] of Object.entries(REQUIREMENT_TITLES)) say(`  ${r}  ${t}`);
  say('  (setup: the CA, the Supplier and the records the requirements need)');
  say();
  let eventId = 'SOLR-1';
  let stopped: DemoStep | undefined;
  let crashed = true;
  try {
  const pass = secret('ca-passphrase.txt', `${randomBytes(18).toString('base64url')}\n`);
  // Every person who acts has a P-256 key (as 'smki key new --unencrypted' makes them, 0600).
  const keyOf = (name: string) => {
    const k = { key: join(work, `${name}.key`), pub: join(work, `${name}.pub`) };
    writeFileSync(k.pub, writeNewKey(k.key, undefined).publicKeyPem);
    return k;
  };
  const ra1 = keyOf('ra-officer-1');
  const ra2 = keyOf('ra-officer-2');
  const [sam, sue, dana, ari] = ['sam-director', 'sue-officer', 'dana-director', 'ari-officer'].map(keyOf) as [typeof ra1, typeof ra1, typeof ra1, typeof ra1];
  await run('setup', 'Set up the CA: a Root OCA and an Issuing OCA (OU 07), keys encrypted at rest; RA Officer 1 (key ra-officer-1.key) is its first operator', ['init', '--ca-name', 'Demo OCA', '--passphrase-file', pass, '--admin', 'RA Officer 1', '--admin-public-key', ra1.pub], 'ok');
  await run('setup', "RA Officer 1 registers RA Officer 2's public key (every change is signed by the acting operator's key, --as)", ['operator', 'add', '--name', 'RA Officer 2', '--public-key', ra2.pub, '--as', ra1.key], 'ok');
  await run('setup', "RA Officer 1's key is registered under a second name too (one key, one operator: dual control compares keys)", ['operator', 'add', '--name', 'RA Officer 1 deputy', '--public-key', ra1.pub, '--as', ra1.key], 'ok');
  await run('setup', 'Register the dual-fuel Supplier (one User ID as Import Supplier and Gas Supplier)', ['party', 'add', '--name', 'Failing Energy Ltd', '--role', 'IS', '--eui', SUPPLIER, '--as', ra1.key], 'ok');
  await run('setup', '', ['party', 'add', '--name', 'Failing Energy Ltd', '--role', 'GS', '--eui', SUPPLIER, '--as', ra1.key], 'ok', undefined, true);
  const supSro = await run('setup', "Register the Supplier's SRO (with an evidence reference)", ['officer', 'add', '--party', SUPPLIER, '--kind', 'sro', '--name', 'Sam Director', '--evidence', 'RAPP-SUP-01', '--public-key', sam.pub, '--as', ra1.key], 'ok');
  const supAro = await run('setup', 'The Supplier SRO nominates its ARO, signing with its key', ['officer', 'add', '--party', SUPPLIER, '--kind', 'aro', '--name', 'Sue Officer', '--public-key', sue.pub, '--officer-key', sam.key], 'ok');
  await run('setup', 'Activate the Supplier ARO', ['officer', 'activate', supAro.id, '--as', ra1.key], 'ok');
  const supCsr = makeCsr(SUPPLIER, '02');
  const supDs = await run('setup', "Issue the Supplier's Digital Signing certificate (OU 02): the key its meters trust for Critical Commands",
    ['cert', 'issue', '--csr', file('supplier-ds.csr', supCsr.pem), '--profile', 'ds', '--party', SUPPLIER, '--officer-key', sue.key, '--passphrase-file', pass, '--out', join(art, 'supplier-ds.pem')], 'ok');

  await run('R1', 'Register the SRP in the new SoLRContingency User Role, acting for the Supplier', ['party', 'add', '--name', 'Shared Resources plc', '--role', 'SoLRContingency', '--eui', SRP, '--acting-for', SUPPLIER, '--as', ra1.key], 'ok');
  const sro = await run('R4', 'The SRP registers an SRO (with evidence)', ['officer', 'add', '--party', SRP, '--kind', 'sro', '--name', 'Dana Director', '--evidence', 'RAPP-SRP-01', '--public-key', dana.pub, '--as', ra1.key], 'ok');
  const aro = await run('R4', 'The SRO nominates an ARO, signing the nomination with its key', ['officer', 'add', '--party', SRP, '--kind', 'aro', '--name', 'Ari Officer', '--public-key', ari.pub, '--officer-key', dana.key, '--nominated-by', sro.id], 'ok');
  await run('R4', 'An RA operator activates the ARO', ['officer', 'activate', aro.id, '--as', ra1.key], 'ok');
  const srpCsr = makeCsr(SRP, '87');
  const xml = await run('R2', 'The ARO requests an XML-signing certificate (OU 87, digitalSignature), signing the request with its key: issued',
    ['cert', 'issue', '--csr', file('srp-xml.csr', srpCsr.pem), '--profile', 'xml-sign', '--party', SRP, '--officer-key', ari.key, '--passphrase-file', pass, '--out', join(art, 'srp-xml.pem')], 'ok');
  const dsCsr = makeCsr(SRP, '02');
  await run('R2', 'The ARO asks for a Digital Signing certificate for Critical Commands: refused',
    ['cert', 'issue', '--csr', file('srp-ds.csr', dsCsr.pem), '--profile', 'ds', '--party', SRP, '--officer-key', ari.key, '--passphrase-file', pass], 'refused');

  const devices = file('devices.csv', ['device_eui,device_type,smets,supplier_eui', `${ESME},ESME,2,${SUPPLIER}`, `${GSME},GSME,2,${SUPPLIER}`, `00-DB-12-34-56-78-90-B0,ESME,1,${SUPPLIER}`, `00-DB-12-34-56-78-90-B1,PPMID,2,${SUPPLIER}`, ''].join('\n'));
  await run('R4', "Load the Supplier's Devices", ['device', 'import', '--file', devices, '--as', ra1.key], 'ok');
  const adt = file('adt.csv', `supplier_eui,service_reference_variant,warning_threshold,quarantine_threshold\n${SUPPLIER},1.6,500,1000\n`);
  await run('R4', "The ARO submits an Anomaly Detection Threshold file for the Supplier's Devices", ['adt', 'submit', '--party', SRP, '--officer-key', ari.key, '--file', adt], 'ok');

  const now = Date.now();
  const from = new Date(now - 3600_000).toISOString();
  const until = new Date(now + 28 * 86_400_000).toISOString();
  const event = await run('R6', "Record Ofgem's instruction (Last Resort Supply Direction) as a SoLR event",
    ['solr', 'record', '--failed-supplier', SUPPLIER, '--srp', SRP, '--instruction', 'OFGEM-LRSD-2026-042', '--from', from, '--until', until, '--as', ra1.key], 'ok');
  await run('R6', 'The key that recorded it tries to approve it: refused, the same key signed both (dual control by key, whatever the name)', ['solr', 'approve', event.id, '--as', ra1.key], 'refused');
  await run('R6', "A second operator's key approves it: the event is active", ['solr', 'approve', event.id, '--as', ra2.key], 'ok');
  await run('R7', "Revoke the failed Supplier's certificates (cessationOfOperation); the CRL is regenerated",
    ['solr', 'revoke-supplier', event.id, '--as', ra1.key, '--passphrase-file', pass], 'ok');

  // The SRP's requests, signed with its XML-signing certificate.
  const cert = readOrganisationCertificate(xml.pem);
  const signXml = (text: string) => signEnveloped(text, { privateKey: srpCsr.key, issuerName: cert.issuerText, serialDecimal: cert.serialDecimal });
  const tpl = (n: string) => readFileSync(join(FIXTURES, 'duis', n), 'utf8');
  const request = (n: string, target: Eui64, counter: bigint) => signXml(withRequestId(tpl(n), formatRequestId(SRP, target, counter)));
  const credit = file('1-credit-cv4.xml', request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', ESME, 1002n));
  await run('R5', 'SR 1.6 to Credit (CommandVariant 4) for the ESME: accepted', ['sr', 'check', credit], 'ok');
  const pre = Buffer.from(readFileSync(join(FIXTURES, 'gbcs', 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX'), 'utf8').replace(/\s+/g, ''), 'hex');
  const signedPre = signPreCommand(rewriteHeader(pre, { originator: SUPPLIER, recipient: ESME, counter: 1002n }), supCsr.key);
  const spc = file('2-signed-precommand-cv5.xml', signXml(signedPreCommandRequest({ requestId: formatRequestId(SRP, ESME, 1002n), commandVariant: 5, gbcsPayload: signedPre })));
  await run('R5', "The Signed Pre-Command (ECS02, signed with the failed Supplier's Digital Signing key): accepted", ['sr', 'check', spc], 'ok',
    "checked against the Supplier's revoked certificate: the DCC revoked it, the meter still trusts it");
  const prepay = file('3-prepayment.xml', request('GCS03_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', GSME, 1003n));
  await run('R5', 'SR 1.6 to Prepayment for the GSME: refused', ['sr', 'check', prepay], 'refused');
  const sr11 = file('4-sr-1.1.1.xml', signXml(withRequestId(withServiceReference(tpl('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML'), '1.1', '1.1.1'), formatRequestId(SRP, ESME, 1004n))));
  await run('R3', 'SR 1.1.1 Update Import Tariff (not eligible for SoLRContingency): refused', ['sr', 'check', sr11], 'refused');
  const outside = file('5-outside-event.xml', request('GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML', GSME, 1005n));
  await run('R6', 'SR 1.6 to Credit after the event has ended: refused', ['sr', 'check', outside, '--at', new Date(Date.parse(until) + 86_400_000).toISOString()], 'refused');
  await run('R7', 'An alert for the ESME is routed to the SRP, not the revoked Supplier', ['alert', 'route', '--device', ESME, '--code', '8F66'], 'ok');
  await run('setup', 'Verify the audit chain', ['audit', 'verify'], 'ok');
  await run('setup', 'Export the CA chain', ['ca', 'export', '--out', join(art, 'ca-chain.pem')], 'ok');
  await run('setup', 'Write the CRL', ['crl', '--out', join(art, 'current.crl.pem')], 'ok');
  void supDs;
  eventId = event.id;
  crashed = false;
  } catch (e) {
    if (!(e instanceof DemoStopped)) throw e;
    crashed = false;
    stopped = e.step;
  } finally {
    // However the demo ends (as expected, stopped at a step, or an error), the temporary folder goes:
    // the passphrase and private keys with it, and without --home the home and artefacts too.
    for (const s of CLEANUP_SIGNALS) process.off(s, removeOnSignal);
    rmSync(work, { recursive: true, force: true });
    if (crashed && !kept) say('(the temporary folder was removed)');
  }

  const seconds = (Date.now() - started) / 1000;
  const ok = steps.every((s) => s.pass);
  say();
  say('What happened');
  const w = Math.max(...steps.map((s) => s.title.length));
  const words = (s: DemoStep) =>
    s.outcome === 'refused' ? `refused (${s.reasons.join(', ')})` : s.outcome === 'ok' ? doneWord(s.command.split(' ').slice(1)) : `error (exit ${s.exitCode})`;
  for (const s of steps) say(`  ${String(s.n).padStart(2)}  ${s.requirement.padEnd(5)} ${s.title.padEnd(w)}  ${words(s)}${s.pass ? '' : '  NOT AS EXPECTED'}`);
  say();
  const artefactsKept = kept && existsSync(art);
  if (kept) {
    say(`CA home:   ${home}`);
    if (artefactsKept) say(`Artefacts: ${art} (CSRs, certificates, DUIS requests, CRL, CA chain)`);
    say("The CA passphrase and the people's private keys were temporary and are removed: the home is there to read (report, cert list, audit verify), not to change.");
  } else {
    say('The CA home and the artefacts were in a temporary folder, now removed (smki --home DIR demo keeps them in DIR).');
  }
  if (stopped) say(`Stopped at step ${stopped.n} (${stopped.title || stopped.command}): it did not go as expected, so nothing after it ran.`);
  else if (kept) say(`Report:    smki --home ${home} report ${eventId} --format html --out report.html`);
  say(`${ok ? 'All steps as expected' : 'SOME STEPS NOT AS EXPECTED'} in ${seconds.toFixed(1)} s.`);
  return { ok, home, artefacts: artefactsKept ? art : null, kept, seconds, steps };
}
