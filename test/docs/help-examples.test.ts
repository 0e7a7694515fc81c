// Every command's --help examples run as written: in program order (`smki --help` order, a group's
// page before its subcommands), all in one temporary folder, so later examples may use what earlier
// ones made. The folder starts with ./ca-pass.txt (a CA passphrase) and ./fixtures; the rules are in
// test/support/examples.ts.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { Command } from 'commander';
import { buildProgram, main } from '../../src/cli/main.js';
import { exampleFolder, helpExampleLines, runLines, type ExampleLine } from '../support/examples.js';
import { tempDir } from '../support/cli.js';

async function helpText(path: string[]): Promise<string> {
  let text = '';
  const out = new Writable({ write(c, _e, cb) { text += c.toString(); cb(); } });
  const code = await main(['node', 'smki', ...path, '--help'], { stdout: out, stderr: out, stdin: new PassThrough(), interactive: false, progress: false });
  assert.equal(code, 0, `smki ${path.join(' ')} --help`);
  return text;
}

/** Every command path, depth-first in registration order: [], ['init'], ['party'], ['party','add'] ... */
export async function commandPaths(): Promise<string[][]> {
  const sink = new Writable({ write(_c, _e, cb) { cb(); } });
  const { program } = await buildProgram({ stdout: sink, stderr: sink, stdin: new PassThrough(), interactive: false, progress: false });
  const paths: string[][] = [];
  const walk = (c: Command, path: string[]) => {
    paths.push(path);
    for (const sub of c.commands) if (sub.name() !== 'help') walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return paths;
}

describe('docs: every --help example runs as written', function () {
  // Every command's examples, the demo three times among them: about 16 s of CPU, minutes of wall
  // time when the machine is shared.
  this.timeout(600_000);
  it('each command has examples, and they exit as expected', async () => {
    const lines: ExampleLine[] = [];
    const without: string[] = [];
    for (const path of await commandPaths()) {
      const found = helpExampleLines(await helpText(path), `smki ${[...path, '--help'].join(' ')}`);
      if (found.length === 0) without.push(`smki ${path.join(' ')}`);
      lines.push(...found);
    }
    assert.deepEqual(without, [], 'commands without examples in --help');
    const t = tempDir('smki-help-');
    try {
      exampleFolder(t.dir);
      writeFileSync(join(t.dir, 'ca-pass.txt'), 'correct horse battery staple\n', { mode: 0o600 });
      const failures = await runLines(lines, t.dir);
      assert.deepEqual(failures, [], `\n${failures.join('\n')}`);
    } finally {
      t.cleanup();
    }
  });
});
