// `smki` with no arguments on a terminal: a short menu of the common tasks. Each choice runs the same
// command as typing it, which then prompts for whatever it needs; Quit (the last) does nothing.
import type { Io } from './context.js';
import { inquirer, promptStreams } from './prompt.js';

export const MENU: { value: string[]; name: string }[] = [
  { value: ['party', 'add'], name: 'Register a User ID for a Party' },
  { value: ['officer', 'add'], name: 'Register an SRO or nominate an ARO' },
  { value: ['officer', 'activate'], name: 'Activate an officer' },
  { value: ['cert', 'issue'], name: 'Issue a certificate from a CSR' },
  { value: ['cert', 'revoke'], name: 'Revoke a certificate' },
  { value: ['solr', 'record'], name: "Record Ofgem's instruction (SoLR event)" },
  { value: ['solr', 'approve'], name: 'Approve a SoLR event (second operator)' },
  { value: ['solr', 'revoke-supplier'], name: "Revoke a failed Supplier's certificates" },
  { value: ['alert', 'route'], name: 'Route an alert' },
  { value: ['audit', 'verify'], name: 'Verify the audit chain' },
  { value: ['party', 'list'], name: 'List Parties and their User IDs' },
  { value: ['officer', 'list'], name: 'List officers' },
  { value: ['cert', 'list'], name: 'List certificates' },
  { value: ['solr', 'list'], name: 'List SoLR events' },
  { value: ['alert', 'held'], name: 'Show held alerts' },
  { value: ['demo'], name: 'Run the demo scenario' },
  { value: [], name: 'Quit' },
];

export async function chooseTask(io: Io): Promise<string[]> {
  const { select } = await inquirer();
  return select({ message: 'What do you want to do?', choices: MENU.map((m) => ({ value: m.value, name: m.name })), pageSize: MENU.length },
    promptStreams(io));
}
