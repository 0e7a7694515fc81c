// `smki` with no arguments on a terminal: a menu of the common tasks, grouped as a CA's day goes. Each
// choice runs the same command as typing it, which then prompts for whatever it needs (a task whose
// command takes a file or folder as an argument asks for it here first); Quit (the last) does nothing.
import { existsSync } from 'node:fs';
import type { Io } from './context.js';
import { inquirer, promptStreams } from './prompt.js';

export interface MenuTask {
  value: string[];
  name: string;
  /** A path the command needs before it runs: asked here, then given as `flag PATH` (or as an argument). */
  ask?: { message: string; flag?: string; default?: string; mustExist: boolean };
}

export const MENU_GROUPS: { title: string; tasks: MenuTask[] }[] = [
  {
    title: 'Set up',
    tasks: [
      { value: ['init'], name: 'Create a new CA home (init)' },
      { value: ['key', 'new'], name: 'Make a key for an operator or officer', ask: { message: 'Write the new private key to', flag: '--out', default: 'person.key', mustExist: false } },
      { value: ['operator', 'add'], name: 'Register an RA operator' },
      { value: ['party', 'add'], name: 'Register a User ID for a Party' },
      { value: ['officer', 'add'], name: 'Register an SRO or nominate an ARO' },
      { value: ['officer', 'activate'], name: 'Activate an officer' },
      { value: ['device', 'import'], name: 'Load a Device file (CSV)' },
      { value: ['adt', 'submit'], name: 'Record an ADT file' },
    ],
  },
  {
    title: 'Certificates',
    tasks: [
      { value: ['cert', 'issue'], name: 'Issue a certificate from a CSR' },
      { value: ['cert', 'show'], name: 'Show a certificate' },
      { value: ['cert', 'revoke'], name: 'Revoke a certificate' },
    ],
  },
  {
    title: 'SoLR events',
    tasks: [
      { value: ['solr', 'record'], name: "Record Ofgem's instruction (SoLR event)" },
      { value: ['solr', 'approve'], name: 'Approve a SoLR event (second operator)' },
      { value: ['solr', 'revoke-supplier'], name: "Revoke a failed Supplier's certificates" },
      { value: ['solr', 'end'], name: 'End a SoLR event' },
      { value: ['sr', 'check'], name: 'Check Service Requests (DUIS files)', ask: { message: 'Request file or folder of requests', mustExist: true } },
      { value: ['alert', 'route'], name: 'Route an alert' },
      { value: ['report'], name: 'Report on a SoLR event (HTML)', ask: { message: 'Write the report to', flag: '--out', default: 'solr-report.html', mustExist: false } },
    ],
  },
  {
    title: 'Lists and checks',
    tasks: [
      { value: ['party', 'list'], name: 'List Parties and their User IDs' },
      { value: ['officer', 'list'], name: 'List officers' },
      { value: ['cert', 'list'], name: 'List certificates' },
      { value: ['solr', 'list'], name: 'List SoLR events' },
      { value: ['alert', 'held'], name: 'Show held alerts' },
      { value: ['audit', 'verify'], name: 'Verify the audit chain' },
      { value: ['demo'], name: 'Run the demo scenario' },
    ],
  },
];

/** Every choice in menu order, Quit last (the tests count positions in this list). */
export const MENU: MenuTask[] = [...MENU_GROUPS.flatMap((g) => g.tasks), { value: [], name: 'Quit' }];

/** The command line the chosen task runs ([] for Quit). */
export async function chooseTask(io: Io): Promise<string[]> {
  const { select, input, Separator } = await inquirer();
  const choices = [
    ...MENU_GROUPS.flatMap((g) => [new Separator(`-- ${g.title} --`), ...g.tasks.map((t) => ({ value: t, name: t.name }))]),
    new Separator(' '),
    { value: MENU[MENU.length - 1]!, name: 'Quit' },
  ];
  // As many lines as the terminal has (less the question and the help line), all of them if it is tall enough.
  const rows = (io.stdout as { rows?: number }).rows;
  const pageSize = Math.max(7, Math.min(choices.length, (rows ?? 40) - 3));
  const task = await select<MenuTask>({ message: 'What do you want to do?', choices, pageSize }, promptStreams(io));
  if (!task.ask) return task.value;
  const ask = task.ask;
  const path = await input({
    message: ask.message,
    ...(ask.default ? { default: ask.default } : {}),
    validate: (t: string) => {
      const p = t.trim();
      if (!p) return 'a path is needed';
      if (ask.mustExist && !existsSync(p)) return `${p} does not exist`;
      if (!ask.mustExist && existsSync(p)) return `${p} exists; give another name`;
      return true;
    },
  }, promptStreams(io));
  return [...task.value, ...(ask.flag ? [ask.flag] : []), path.trim()];
}
