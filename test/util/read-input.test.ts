import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, ftruncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InputError } from '../../src/domain/errors.js';
import { INPUT_LIMITS, readInputFile, readInputStream } from '../../src/util/read-input.js';
import { tempDir } from '../support/cli.js';

const oneLine = (e: unknown) => e instanceof InputError && !e.message.includes('\n');

describe('util/read-input: every input read within its limit', () => {
  const t = tempDir('smki-read-input-');
  after(() => t.cleanup());

  it('reads a regular file within its limit, whole', () => {
    const f = join(t.dir, 'small.pem');
    writeFileSync(f, 'x'.repeat(1000));
    assert.equal(readInputFile(f, '--csr', INPUT_LIMITS.pem).length, 1000);
    writeFileSync(f, 'y'.repeat(INPUT_LIMITS.pem));
    assert.equal(readInputFile(f, '--csr', INPUT_LIMITS.pem).length, INPUT_LIMITS.pem, 'exactly the limit is accepted');
  });

  it('refuses a 500 MB file from its size, before reading it', () => {
    const f = join(t.dir, 'big.pem');
    const fd = openSync(f, 'w');
    ftruncateSync(fd, 500 * 1024 * 1024); // sparse: no disk, no time
    closeSync(fd);
    assert.throws(() => readInputFile(f, '--csr', INPUT_LIMITS.pem), (e: Error) => oneLine(e) && /--csr: .*big\.pem is 500 MiB, larger than the limit of 64 KiB/.test(e.message));
  });

  it('refuses one byte over the limit', () => {
    const f = join(t.dir, 'over.pem');
    writeFileSync(f, 'z'.repeat(INPUT_LIMITS.pem + 1));
    assert.throws(() => readInputFile(f, '--csr', INPUT_LIMITS.pem), (e: Error) => oneLine(e) && /larger than the limit/.test(e.message));
  });

  it('refuses /dev/zero, a folder and a missing file, each with one line', () => {
    assert.throws(() => readInputFile('/dev/zero', '--csr', INPUT_LIMITS.pem), (e: Error) => oneLine(e) && /not a regular file/.test(e.message));
    const d = join(t.dir, 'folder');
    mkdirSync(d);
    assert.throws(() => readInputFile(d, '--file', INPUT_LIMITS.pem), (e: Error) => oneLine(e) && /is a folder/.test(e.message));
    assert.throws(() => readInputFile(join(t.dir, 'nothing'), '--file', INPUT_LIMITS.pem), (e: Error) => oneLine(e) && /cannot read .*ENOENT/.test(e.message));
  });

  it('refuses a FIFO without waiting for a writer', () => {
    const fifo = join(t.dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // A blocking open would hang here until mocha's timeout.
    assert.throws(() => readInputFile(fifo, '--file', INPUT_LIMITS.duis), (e: Error) => oneLine(e) && /not a regular file/.test(e.message));
  });

  it('stops an endless stream at the limit and destroys it', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 65536;
        this.push(Buffer.alloc(65536));
      },
    });
    await assert.rejects(readInputStream(endless, 'stdin', INPUT_LIMITS.duis), (e: Error) => oneLine(e) && /stdin: more than the limit of 1 MiB/.test(e.message));
    assert.ok(endless.destroyed, 'nothing more is read');
    assert.ok(produced < 4 * INPUT_LIMITS.duis, `${produced} bytes produced`);
  });

  it('reads a stream within its limit', async () => {
    const b = await readInputStream(Readable.from([Buffer.from('abc'), Buffer.from('def')]), 'stdin', 6);
    assert.equal(b.toString(), 'abcdef');
  });
});
