// `smki --help` to a pipe comes from dist/cli/help.txt, written at build time (src/cli/help-cache.ts):
// the cached text must be the live program's, and a terminal, forced colours or a stale cache must
// get the live program instead.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { liveHelpOnPipe } from '../../src/cli/help-cache.js';
import { tempDir } from '../support/cli.js';
import { ensureBuilt } from '../support/process.js';

const ROOT = process.cwd();
const BIN = join(ROOT, 'bin', 'smki.js');
const CACHE = join(ROOT, 'dist', 'cli', 'help.txt');

function smkiOnPipe(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const { FORCE_COLOR: _f, CLICOLOR_FORCE: _c, ...base } = process.env;
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...base, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('the cached smki --help', () => {
  before(() => ensureBuilt());

  it('is the live program\'s --help on a pipe, and bin/smki.js writes it for --help and -h', () => {
    const cached = readFileSync(CACHE, 'utf8');
    assert.match(cached, /^Usage: smki \[options\] \[command\]\n/);
    assert.equal(cached, liveHelpOnPipe(join(ROOT, 'dist', 'cli', 'main.js')));
    assert.equal(smkiOnPipe(BIN, ['--help']), cached);
    assert.equal(smkiOnPipe(BIN, ['-h']), cached);
  });

  describe('a copy of the built program whose cache says CACHED', () => {
    let bin: string;
    let cache: string;
    let cleanup: () => void;
    before(() => {
      const temp = tempDir('smki-help-cache-');
      const dir = temp.dir;
      cleanup = temp.cleanup;
      mkdirSync(join(dir, 'bin'));
      copyFileSync(BIN, join(dir, 'bin', 'smki.js'));
      copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
      cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      bin = join(dir, 'bin', 'smki.js');
      cache = join(dir, 'dist', 'cli', 'help.txt');
      writeFileSync(cache, 'CACHED\n');
    });
    after(() => cleanup());

    it('serves the cache only for --help or -h alone on a pipe', () => {
      assert.equal(smkiOnPipe(bin, ['--help']), 'CACHED\n');
      assert.equal(smkiOnPipe(bin, ['-h']), 'CACHED\n');
      assert.match(smkiOnPipe(bin, ['party', '--help']), /^Usage: smki party/);
      assert.match(smkiOnPipe(bin, ['--help', '--json']), /^Usage: smki \[options\]/);
    });

    it('runs the live program when colours are forced', () => {
      assert.match(smkiOnPipe(bin, ['--help'], { FORCE_COLOR: '1' }), /^Usage: smki \[options\]/);
      assert.match(smkiOnPipe(bin, ['--help'], { CLICOLOR_FORCE: '1' }), /^Usage: smki \[options\]/);
    });

    it('runs the live program when the cache is older than the top-level program, or missing', () => {
      const past = new Date(Date.now() - 3600_000);
      utimesSync(cache, past, past);
      assert.match(smkiOnPipe(bin, ['--help']), /^Usage: smki \[options\]/);
      writeFileSync(cache, 'CACHED\n');
      assert.equal(smkiOnPipe(bin, ['--help']), 'CACHED\n');
      execFileSync('rm', [cache]);
      assert.match(smkiOnPipe(bin, ['--help']), /^Usage: smki \[options\]/);
      writeFileSync(cache, 'CACHED\n');
    });

    it('runs the live program on a terminal, at the terminal\'s width', function () {
      if (!existsSync('/usr/bin/script')) this.skip(); // util-linux script(1) gives the child a pseudo-terminal
      const onTerminal = execFileSync('/usr/bin/script', ['-qec', `stty cols 200; ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} --help`, '/dev/null'], { encoding: 'utf8' }).replace(/\r\n/g, '\n');
      assert.match(onTerminal, /^Usage: smki \[options\]/);
      // At 200 columns the program's description fits on its line; the pipe's 80 columns wrap it.
      const description = 'SMKI certificate authority, registration authority and Service Request gate for the SoLRContingency User Role (SEC MP134B)';
      assert.ok(onTerminal.includes(description), onTerminal.slice(0, 400));
      assert.ok(!readFileSync(CACHE, 'utf8').includes(description));
    });
  });
});
