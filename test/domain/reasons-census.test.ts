// Reason-code census (issue 8 item 2): every code of src/domain/reasons.ts is produced somewhere in src/
// and asserted somewhere in test/; a code nothing produces is removed from the catalogue.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REASON_CODES } from '../../src/domain/reasons.js';

function sources(dir: string, skip: (path: string) => boolean): string {
  let text = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) text += sources(p, skip);
    else if (p.endsWith('.ts') && !skip(p)) text += readFileSync(p, 'utf8');
  }
  return text;
}

describe('domain/reasons: census', () => {
  const src = sources(join(process.cwd(), 'src'), (p) => p.endsWith(join('domain', 'reasons.ts')));
  const tests = sources(join(process.cwd(), 'test'), (p) => p.endsWith('reasons-census.test.ts'));
  const quoted = (text: string, code: string) => new RegExp(`['"\`]${code}['"\`]`).test(text);
  // Tests assert a code as a string or inside a pattern (/CODE/).
  const named = (text: string, code: string) => new RegExp(`\\b${code}\\b`).test(text);

  it('every reason code is produced in src/', () => {
    assert.deepEqual(REASON_CODES.filter((c) => !quoted(src, c)), []);
  });

  it('every reason code is asserted in test/', () => {
    assert.deepEqual(REASON_CODES.filter((c) => !named(tests, c)), []);
  });
});
