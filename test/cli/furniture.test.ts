// Standard command-line furniture: --version, shell completion, the man page, colours on a terminal
// only.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { buildProgram, main, version } from '../../src/cli/main.js';
import { manPage } from '../../src/cli/man.js';
import { colourOn } from '../../src/cli/format.js';
import { smki, tempDir } from '../support/cli.js';
import { ESME, setupGateScenario, type GateScenario } from '../support/gate-scenario.js';
import { startSmki } from '../support/process.js';

const PACKAGE = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version: string; man: string[] };

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY = false) { super(); }
  override _write(chunk: Buffer, _e: string, cb: () => void): void { this.text += chunk.toString(); cb(); }
}

/** Runs smki in-process with stdout and stderr that say they are terminals (or not). */
async function onTerminal(args: string[], tty: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture(tty);
  const stderr = new Capture(tty);
  const stdin = new PassThrough();
  stdin.end();
  const code = await main(['node', 'smki', ...args], { stdout, stderr, stdin, interactive: false, progress: false });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

async function withEnv<T>(name: string, value: string | undefined, f: () => Promise<T>): Promise<T> {
  const saved = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    return await f();
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
}

// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[/;

describe('cli: furniture', function () {
  this.timeout(120_000);

  describe('--version', () => {
    for (const flag of ['--version', '-V']) {
      it(`${flag} prints the package version and exits 0`, async () => {
        const r = await smki([flag]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), PACKAGE.version);
      });
    }
    it('is listed in smki --help', async () => {
      const r = await smki(['--help']);
      assert.match(r.stdout, /-V, --version/);
    });
  });

  describe('completion', () => {
    let dir: { dir: string; cleanup: () => void };
    let bashFile: string;
    before(async () => {
      dir = tempDir('smki-completion-');
      const r = await smki(['completion', 'bash']);
      assert.equal(r.code, 0, r.stderr);
      bashFile = join(dir.dir, 'smki.bash');
      writeFileSync(bashFile, r.stdout);
    });
    after(() => dir.cleanup());

    /** What bash offers for the words typed so far (the last one is being completed). */
    function complete(...words: string[]): string[] {
      const script = `source ${JSON.stringify(bashFile)}; COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${words.length - 1}; _smki; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return execFileSync('bash', ['-c', script], { encoding: 'utf8' }).split('\n').filter(Boolean);
    }

    it('bash: completes commands, subcommands and their options from the command tree', () => {
      assert.deepEqual(complete('smki', 'pa'), ['party']);
      assert.deepEqual(complete('smki', 'party', '').sort(), ['--help', '-h', 'add', 'list']);
      assert.ok(complete('smki', 'cert', 'issue', '--pro').includes('--profile'));
      assert.deepEqual(complete('smki', '--home', 'x', 'sr', 'si'), ['sign']);
      assert.ok(complete('smki', '--ver').includes('--version'));
    });

    it('bash: after an option that takes a value, offers nothing of its own (the shell completes file names)', () => {
      assert.deepEqual(complete('smki', 'cert', 'issue', '--csr', ''), []);
      // A value that happens to be a command word is not taken as the command.
      assert.ok(complete('smki', 'party', 'add', '--name', 'list', '--e').includes('--eui'));
    });

    it('zsh: one compdef script naming every command path and value option', async () => {
      const r = await smki(['completion', 'zsh']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^#compdef smki\n/);
      for (const p of ['party:add', 'cert:issue', 'sr:check', 'completion']) assert.match(r.stdout, new RegExp(`[( ]${p}[ )]`), p);
      assert.match(r.stdout, /values=\([^)]*--csr[^)]*\)/);
      // zsh's $path is the PATH array: the script must not assign it.
      assert.doesNotMatch(r.stdout, /\blocal[^\n]*\bpath=/);
    });

    it('an unknown shell is exit 4 naming the shells', async () => {
      const r = await smki(['completion', 'fish']);
      assert.equal(r.code, 4);
      assert.match(r.stderr, /bash or zsh/);
    });
  });

  describe('man page', () => {
    it('man/smki.1 is the page the help texts give (run npm run man after changing a command)', async () => {
      const sink = new Capture();
      const { program } = await buildProgram({ stdout: sink, stderr: sink, stdin: new PassThrough(), interactive: false, progress: false });
      const committed = readFileSync(join(process.cwd(), 'man', 'smki.1'), 'utf8');
      assert.ok(committed === manPage(program, version()), 'man/smki.1 is out of date: run npm run man and commit it');
    });

    it('names every command with its options and examples, renders without warnings, and npm installs it', async () => {
      const page = readFileSync(join(process.cwd(), 'man', 'smki.1'), 'utf8');
      for (const heading of ['.SS smki party add', '.SS smki sr check', '.SS smki completion', '.SH EXIT STATUS', '.SH ENVIRONMENT']) assert.ok(page.includes(heading), heading);
      assert.ok(page.includes('.B \\-\\-csr <file>'), 'cert issue --csr');
      assert.ok(page.includes('smki demo \\-\\-json > demo.json'), 'an example of smki demo');
      const warnings = execFileSync('groff', ['-man', '-Tutf8', '-ww', '-z', 'man/smki.1'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      assert.equal(warnings, '');
      assert.deepEqual(PACKAGE.man, ['./man/smki.1']);
    });
  });

  describe('colours', () => {
    let g: GateScenario;
    let files: string[];
    before(async () => {
      g = await setupGateScenario();
      files = [
        g.write('ok.xml', g.request('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', 100n, ESME)),
        g.write('prepay.xml', g.request('ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML', 101n, ESME)),
      ];
    });
    after(() => g.cleanup());

    it('on a terminal: ACCEPT green, REFUSE red, errors red', async () => {
      const r = await withEnv('NO_COLOR', undefined, () => onTerminal(['--home', g.home, 'sr', 'check', ...files, '--at', 'now'], true));
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stdout, /\x1b\[32mACCEPT/); // eslint-disable-line no-control-regex
      assert.match(r.stdout, /\x1b\[31mREFUSE/); // eslint-disable-line no-control-regex
      const e = await withEnv('NO_COLOR', undefined, () => onTerminal(['--home', join(g.dir, 'nowhere'), 'party', 'list'], true));
      assert.equal(e.code, 4);
      assert.match(e.stderr, /^\x1b\[31msmki:\x1b\[0m /); // eslint-disable-line no-control-regex
    });

    it('NO_COLOR: none, even on a terminal', async () => {
      const r = await withEnv('NO_COLOR', '1', () => onTerminal(['--home', g.home, 'sr', 'check', ...files, '--at', 'now'], true));
      assert.equal(r.code, 3);
      assert.match(r.stdout, /^ACCEPT/m);
      assert.doesNotMatch(r.stdout + r.stderr, ESCAPE);
    });

    it('piped (a real process writing to pipes): none', async () => {
      const env = { NO_COLOR: '' };
      const r = await startSmki(['--home', g.home, 'sr', 'check', ...files, '--at', 'now'], env).done;
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stdout, /^ACCEPT/m);
      assert.match(r.stdout, /^REFUSE/m);
      assert.doesNotMatch(r.stdout + r.stderr, ESCAPE);
      const e = await startSmki(['--home', join(g.dir, 'nowhere'), 'party', 'list'], env).done;
      assert.equal(e.code, 4);
      assert.match(e.stderr, /^smki: /);
    });

    it('the rule: a TTY, NO_COLOR unset or empty, TERM not dumb', () => {
      const tty = new Capture(true);
      assert.equal(colourOn(tty, {}), true);
      assert.equal(colourOn(tty, { NO_COLOR: '' }), true);
      assert.equal(colourOn(tty, { NO_COLOR: '1' }), false);
      assert.equal(colourOn(tty, { TERM: 'dumb' }), false);
      assert.equal(colourOn(new Capture(false), {}), false);
    });
  });
});
