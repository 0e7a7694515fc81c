// The lazily loaded command table: summaries agree with the modules, and `smki --help` is the same
// whether the modules are loaded or not.
import { strict as assert } from 'node:assert';
import { PassThrough, Writable } from 'node:stream';
import { Command } from 'commander';
import { COMMANDS, commandWord } from '../../src/cli/commands/index.js';
import { buildProgram } from '../../src/cli/main.js';

function io() {
  let text = '';
  const out = new Writable({ write(c, _e, cb) { text += c.toString(); cb(); } });
  return { io: { stdout: out, stderr: out, stdin: new PassThrough(), interactive: false, progress: false }, text: () => text };
}

describe('cli: the command table', () => {
  it('each entry loads the module that registers that command, with the same summary', async () => {
    for (const entry of COMMANDS) {
      const program = new Command('smki');
      (await entry.load())(program, () => async () => {});
      assert.deepEqual(program.commands.map((c) => c.name()), [entry.name], entry.name);
      assert.equal(program.commands[0]!.description(), entry.summary, `${entry.name}: the summary in commands/index.ts`);
    }
  });

  it('smki --help lists the same whether or not the modules are loaded', async () => {
    const lazy = io();
    const full = io();
    const a = await buildProgram(lazy.io, undefined, []);
    const b = await buildProgram(full.io, undefined, 'all');
    assert.equal(a.program.helpInformation(), b.program.helpInformation());
  });

  it('finds the command word past global options', () => {
    assert.equal(commandWord(['--home', 'x', '--json', 'party', 'list']), 'party');
    assert.equal(commandWord(['help', 'cert']), 'cert');
    assert.equal(commandWord(['--help']), undefined);
    assert.equal(commandWord(['--home', 'party']), undefined);
  });
});
