// README.md cannot drift: every ```sh block runs as written, in order, in a temporary folder
// (test/support/examples.ts has the rules; README.md "Examples that run" tells writers).
import { strict as assert } from 'node:assert';
import { resolve } from 'node:path';
import { exampleFolder, markdownShellLines, runLines } from '../support/examples.js';
import { tempDir } from '../support/cli.js';

describe('docs: README.md examples run as written', function () {
  it('every ```sh line exits as expected', async () => {
    const lines = markdownShellLines(resolve(import.meta.dirname, '..', '..', 'README.md'));
    assert.ok(lines.length > 20, 'the README has its examples');
    const t = tempDir('smki-readme-');
    try {
      exampleFolder(t.dir);
      const failures = await runLines(lines, t.dir);
      assert.deepEqual(failures, [], `\n${failures.join('\n')}`);
    } finally {
      t.cleanup();
    }
  });
});
