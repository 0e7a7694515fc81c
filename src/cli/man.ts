// The manual page man/smki.1, written from the help texts (the command tree, each option's
// description and each command's examples), so the page says what `smki ... --help` says.
// `npm run man` rewrites it; test/cli/man.test.ts fails when the committed page is behind.
import type { EventEmitter } from 'node:events';
import type { Command } from 'commander';
import { commandTree } from './completion.js';
import { exampleLinesOf } from './format.js';

/** The text a command's help prints after its usage (addHelpText('after', ...)): the examples. */
function afterHelp(c: Command): string {
  let text = '';
  (c as unknown as EventEmitter).emit('afterHelp', { error: false, command: c, write: (s: string) => { text += s; } });
  return text;
}

/** roff-escaped text: backslashes, leading dots and quotes, dashes in flags. */
function esc(text: string): string {
  const s = text.replace(/\\/g, '\\e').replace(/-/g, '\\-');
  return /^[.']/.test(s) ? `\\&${s}` : s;
}

function commandsByPath(program: Command): Map<string, Command> {
  const map = new Map<string, Command>();
  const walk = (c: Command, path: string[]) => {
    map.set(path.join(' '), c);
    for (const s of c.commands) walk(s, [...path, s.name()]);
  };
  walk(program, []);
  return map;
}

/** Notes after the commands: exit statuses, environment and files (as README.md states them). */
const TRAILER = `.SH EXIT STATUS
.TP
.B 0
done, or accepted
.TP
.B 1
anything else (including a cancelled prompt)
.TP
.B 3
refused by policy: the input was understood and refused; the reason codes are printed
.TP
.B 4
malformed or unreadable input (one line naming what is wrong)
.TP
.B 5
integrity failure: the audit chain or registry was tampered with
.SH ENVIRONMENT
.TP
.B SMKI_HOME
the CA home folder when \\-\\-home is not given (default ./.smki)
.TP
.B SMKI_PASSPHRASE_FILE
a file whose first line is the CA passphrase (never give a passphrase in argv)
.TP
.B SMKI_AS, SMKI_AS_PASSPHRASE_FILE
the acting RA operator's key file where \\-\\-as is not given, and the file holding its passphrase
.TP
.B SMKI_OFFICER_PASSPHRASE_FILE
the file holding the passphrase of the \\-\\-officer\\-key key (an SRO's or ARO's)
.TP
.B SMKI_PKCS11_PIN_FILE, SMKI_PKCS11_MODULE
the token PIN file and the PKCS#11 module for keys named by pkcs11: URIs
.TP
.B SMKI_CONFIG_DIR
a catalogue folder other than the shipped ca\\-config/
.TP
.B NO_COLOR
when set and not empty, no colours even on a terminal (colours are never written to a pipe or file)
.TP
.B SMKI_DEBUG
prints a stack trace for an unexpected error
.SH FILES
.TP
.I ./.smki/
the default home: registry.sqlite, keys/ (encrypted PKCS#8, mode 0600), ca/current.crl.pem, the audit key and checkpoint
.SH SEE ALSO
.BR openssl (1),
README.md of smki\\-ca
`;

export function manPage(program: Command, version: string): string {
  const byPath = commandsByPath(program);
  const nodes = commandTree(program);
  const out: string[] = [
    `.\\" Generated from smki's help texts by npm run man; do not edit.`,
    `.TH SMKI 1 "" "smki ${esc(version)}" "User Commands"`,
    '.SH NAME',
    `smki \\- ${esc(program.description())}`,
    '.SH SYNOPSIS',
    '.B smki',
    '[\\-\\-home \\fIDIR\\fR] [\\-\\-json] \\fICOMMAND\\fR [\\fIOPTIONS\\fR]',
    '.br',
    '.B smki',
    '\\-\\-version | \\-\\-help',
    '.SH DESCRIPTION',
    'Every command prints its usage and examples with \\-\\-help. With \\-\\-json a command writes one JSON document on stdout;',
    'otherwise it writes text, with colours only on a terminal. Prompts appear only when stdin and stdout are terminals;',
    'otherwise a missing value is an error naming its flag (exit 4).',
  ];
  for (const node of nodes) {
    const c = byPath.get(node.path.join(' '))!;
    if (node.path.length === 0) out.push('.SH GLOBAL OPTIONS');
    else {
      if (node.path.length === 1 && node.path[0] === nodes[1]?.path[0]) out.push('.SH COMMANDS');
      const args = c.registeredArguments.map((a) => `${a.required ? '<' : '['}${a.name()}${a.variadic ? '...' : ''}${a.required ? '>' : ']'}`);
      if (c.options.some((o) => !o.hidden)) args.push('[options]');
      out.push(`.SS smki ${esc(node.path.join(' '))}`, `.B smki ${esc(node.path.join(' '))}`);
      if (args.length) out.push(esc(args.join(' ')));
      out.push('.PP', esc(node.summary));
    }
    for (const o of c.options) {
      if (o.hidden) continue;
      out.push('.TP', `.B ${esc(o.flags)}`, esc(o.description));
    }
    const lines = exampleLinesOf(afterHelp(c));
    if (lines.length) {
      out.push('.PP', 'Examples:', '.RS', '.nf');
      for (const l of lines) out.push(esc(l));
      out.push('.fi', '.RE');
    }
  }
  return `${out.join('\n')}\n${TRAILER}`;
}
