// Every subcommand module, in the order `smki --help` lists them. Each is loaded only when its command
// runs (start-up time: `smki party list` never loads the gate's XML code or the prompts); `smki --help`
// lists the summaries below without loading any. A new command: add one line here, with the same
// summary as its .description() (test/cli/commands.test.ts checks both agree).
import type { Command } from 'commander';
import type { Action } from '../main.js';

export type Wrap = (action: Action) => (...args: unknown[]) => Promise<void>;
export type Register = (program: Command, wrap: Wrap) => void;

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<Register>;
}

export const COMMANDS: CommandEntry[] = [
  { name: 'key', summary: "people's keys: RA operators (--as) and SROs/AROs (--officer-key)", load: async () => (await import('./key.js')).registerKey },
  { name: 'init', summary: 'create the Root and Issuing OCA keys and certificates and the registry in a new home', load: async () => (await import('./init.js')).registerInit },
  { name: 'operator', summary: 'RA operators: the people who change the registry, each with a registered key (--as)', load: async () => (await import('./operator.js')).registerOperator },
  { name: 'party', summary: 'Parties and their User IDs', load: async () => (await import('./party.js')).registerParty },
  { name: 'officer', summary: 'Senior and Authorised Responsible Officers (SRO, ARO)', load: async () => (await import('./officer.js')).registerOfficer },
  { name: 'cert', summary: 'SMKI Organisation Certificates', load: async () => (await import('./cert.js')).registerCert },
  { name: 'csr', summary: 'certificate signing requests as SMKI wants them (for SRPs and other subscribers)', load: async () => (await import('./csr.js')).registerCsr },
  { name: 'crl', summary: 'write the current CRL (PEM, label X509 CRL); --refresh signs a new one', load: async () => (await import('./crl.js')).registerCrl },
  { name: 'ca', summary: 'the CA itself', load: async () => (await import('./ca.js')).registerCa },
  { name: 'device', summary: 'Devices and their registered Supplier', load: async () => (await import('./device.js')).registerDevice },
  { name: 'adt', summary: 'Anomaly Detection Threshold files of SoLRContingency Parties', load: async () => (await import('./adt.js')).registerAdt },
  { name: 'solr', summary: "SoLR events: the Authority's instruction, dual-control approval, end, Supplier revocation", load: async () => (await import('./solr.js')).registerSolr },
  { name: 'sr', summary: 'the Service Request gate for SoLRContingency DUIS requests', load: async () => (await import('./sr.js')).registerSr },
  { name: 'gbcs', summary: "GBCS messages: sign a Pre-Command with the failed Supplier's Digital Signing key", load: async () => (await import('./gbcs.js')).registerGbcs },
  { name: 'alert', summary: "alert routing: a revoked Supplier's alerts go to the SoLR event's SRP", load: async () => (await import('./alert.js')).registerAlert },
  { name: 'registry', summary: 'the registry itself: copy it to another back-end', load: async () => (await import('./registry.js')).registerRegistry },
  { name: 'audit', summary: 'the tamper-evident audit chain', load: async () => (await import('./audit.js')).registerAudit },
  { name: 'demo', summary: 'the whole SoLR scenario end to end in a fresh temporary home (or --home), narrated', load: async () => (await import('./demo.js')).registerDemo },
  { name: 'onboard', summary: 'run a declarative onboarding plan (YAML or JSON): parties, officers, certificates, devices, ADT files, SoLR events; idempotent', load: async () => (await import('./onboard.js')).registerOnboard },
  { name: 'report', summary: 'what happened during one SoLR event: requests accepted and refused by reason and Device type, ADT warnings and quarantines, alerts, revocations', load: async () => (await import('./report.js')).registerReport },
  { name: 'completion', summary: 'print a shell completion script (bash or zsh) for every smki command and option', load: async () => (await import('./completion.js')).registerCompletion },
];

/** The command a command line names (its first word that is not an option), or undefined. */
export function commandWord(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--home' || a === '--as' || a === '--database') { i++; continue; }
    if (a.startsWith('-')) continue;
    if (a === 'help') return args.slice(i + 1).find((x) => !x.startsWith('-'));
    return a;
  }
  return undefined;
}
