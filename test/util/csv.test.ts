import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CsvError, parseCsvLine, readCsv, type CsvRow } from '../../src/util/csv.js';
import { tempDir } from '../support/cli.js';

async function rowsOf(path: string, opts: Parameters<typeof readCsv>[1] = {}): Promise<CsvRow[]> {
  const out: CsvRow[] = [];
  for await (const r of readCsv(path, opts)) out.push(r);
  return out;
}

async function failure(path: string, opts: Parameters<typeof readCsv>[1] = {}): Promise<CsvError> {
  try {
    await rowsOf(path, opts);
  } catch (e) {
    assert.ok(e instanceof CsvError, `expected a CsvError, got ${e}`);
    return e;
  }
  assert.fail('expected the read to fail');
}

describe('util/csv', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => { t = tempDir(); });
  afterEach(() => t.cleanup());
  const file = (name: string, content: string | Buffer) => {
    const p = join(t.dir, name);
    writeFileSync(p, content);
    return p;
  };

  describe('parseCsvLine', () => {
    it('splits plain fields, keeping empty ones', () => {
      assert.deepEqual(parseCsvLine('a,b,,d'), ['a', 'b', '', 'd']);
      assert.deepEqual(parseCsvLine('a,'), ['a', '']);
      assert.deepEqual(parseCsvLine(''), ['']);
    });
    it('reads quoted fields with commas and doubled quotes', () => {
      assert.deepEqual(parseCsvLine('"a,b","say ""hi""",c'), ['a,b', 'say "hi"', 'c']);
      assert.deepEqual(parseCsvLine('x,"",y'), ['x', '', 'y']);
      assert.deepEqual(parseCsvLine('"last",'), ['last', '']);
    });
    it('reports broken quoting', () => {
      assert.match(parseCsvLine('a,"open') as string, /not closed/);
      assert.match(parseCsvLine('a,b"c') as string, /quote inside an unquoted field/);
      assert.match(parseCsvLine('"a"b,c') as string, /after the closing quote/);
    });
  });

  it('reads LF and CRLF lines with their line numbers, skipping empty lines, and a last line without an end', async () => {
    const p = file('a.csv', 'h1,h2\r\n1,2\r\n\r\n3,4\n5,6');
    assert.deepEqual(await rowsOf(p), [
      { line: 1, fields: ['h1', 'h2'] },
      { line: 2, fields: ['1', '2'] },
      { line: 4, fields: ['3', '4'] },
      { line: 5, fields: ['5', '6'] },
    ]);
  });

  it('drops a leading BOM and reads UTF-8 text split across read chunks', async () => {
    const p = file('b.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name,town\nZoë,Llanfairpwllgwyngyll\nÅsa,Malmö\n')]));
    // Tiny chunks cut multi-byte characters and lines in half.
    const rows = await rowsOf(p, { chunkBytes: 3 });
    assert.deepEqual(rows.map((r) => r.fields), [['name', 'town'], ['Zoë', 'Llanfairpwllgwyngyll'], ['Åsa', 'Malmö']]);
  });

  it('names the line of a byte that is not UTF-8', async () => {
    const p = file('c.csv', Buffer.concat([Buffer.from('h\nok\nstill ok\nbad '), Buffer.from([0xff, 0xfe]), Buffer.from('\nafter\n')]));
    for (const chunkBytes of [2, 5, 1024]) {
      const e = await failure(p, { chunkBytes });
      assert.equal(e.line, 4);
      assert.match(e.message, /c\.csv line 4: not valid UTF-8/);
      assert.equal(e.exitStatus, 4);
    }
  });

  it('refuses a truncated multi-byte sequence at the end of the file', async () => {
    const p = file('d.csv', Buffer.concat([Buffer.from('h\nx'), Buffer.from([0xc3])]));
    assert.equal((await failure(p)).line, 2);
  });

  it('stops at broken quoting, or reports it and goes on with onMalformed', async () => {
    const p = file('e.csv', 'h\n"open,1\nok,2\n');
    assert.match((await failure(p)).message, /e\.csv line 2: field 1: a quoted field is not closed/);
    const seen: [number, string][] = [];
    const rows = await rowsOf(p, { onMalformed: (line, problem) => seen.push([line, problem]) });
    assert.deepEqual(rows.map((r) => r.line), [1, 3]);
    assert.equal(seen[0]![0], 2);
  });

  it('refuses a line longer than the limit (a file without line ends is never held whole)', async () => {
    const p = file('f.csv', `h\n${'x'.repeat(5000)}`);
    const e = await failure(p, { maxLineBytes: 1000, chunkBytes: 256 });
    assert.equal(e.line, 2);
    assert.match(e.message, /longer than 1000 bytes/);
  });

  it('passes every raw chunk to onChunk', async () => {
    const content = 'a,b\n1,2\n3,4\n';
    const p = file('g.csv', content);
    const chunks: Buffer[] = [];
    await rowsOf(p, { chunkBytes: 4, onChunk: (c) => chunks.push(c) });
    assert.equal(Buffer.concat(chunks).toString(), content);
  });

  it('an unreadable file is an input error, not a crash', async () => {
    await assert.rejects(rowsOf(join(t.dir, 'missing.csv')), (e: Error & { exitStatus?: number }) => e.exitStatus === 4 && /cannot read \(ENOENT\)/.test(e.message));
  });
});
