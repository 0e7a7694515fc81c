// Scale without a wall (issue 13): a CRL, a revocation, the lists and the audit log at 300,000 rows.
// The rows are put in fast (test/support/bulk.ts); everything under test runs through the CLI.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { children, decodeSigned, readWhole, TAG } from '../../src/ca/asn1.js';
import { fromPem } from '../../src/ca/pem.js';
import { main } from '../../src/cli/main.js';
import { addBulkCertificates, addBulkDevices } from '../support/bulk.js';
import { actAs } from '../support/keys.js';
import { setupScenario, SRP, SUPPLIER, type Scenario } from '../support/scenario.js';

const ROWS = 300_000;
const day = 86_400_000;

/** Runs smki in-process, counting stdout's lines and keeping only its first and last bytes. */
async function counted(args: string[], clock?: () => Date): Promise<{ code: number; lines: number; head: string; tail: string; stderr: string; bytes: number; writes: number }> {
  let lines = 0;
  let writes = 0;
  let head = '';
  let tail = '';
  let bytes = 0;
  let stderr = '';
  const stdout = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const s = chunk.toString();
      writes++;
      bytes += s.length;
      for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) lines++;
      if (head.length < 4096) head += s.slice(0, 4096 - head.length);
      tail = (tail + s).slice(-4096);
      cb();
    },
  });
  const err = new Writable({ write(chunk: Buffer, _enc, cb) { stderr += chunk.toString(); cb(); } });
  const { PassThrough } = await import('node:stream');
  const stdin = new PassThrough();
  stdin.end();
  const code = await main(['node', 'smki', ...args], { stdout, stderr: err, stdin, interactive: false, progress: false }, clock);
  return { code, lines, head, tail, stderr, bytes, writes };
}

/** The number of revokedCertificates entries in a DER CRL. */
function crlEntries(der: Buffer): number {
  const tbs = decodeSigned(der, 'CRL').tbs;
  const fields = children(tbs, readWhole(tbs, 'TBSCertList'));
  const list = fields.find((f, i) => i > 2 && f.tag === TAG.SEQUENCE);
  return list ? children(tbs, list).length : 0;
}

describe(`cli at scale: ${ROWS.toLocaleString('en-GB')} certificates, revocations, CRL entries, list rows and audit records`, function () {
  this.timeout(300_000);
  let s: Scenario;
  const t0 = Date.parse('2026-12-01T00:00:00Z');
  const at = (ms: number) => () => new Date(ms);

  before(async () => {
    s = await setupScenario();
    addBulkCertificates(s.home, { userId: SUPPLIER, count: ROWS });
  });
  after(() => s.cleanup());

  it(`solr revoke-supplier revokes ${ROWS.toLocaleString('en-GB')} certificates at once and signs a CRL listing every one`, async () => {
    const run = (args: string[], when: number) => counted(['--home', s.home, ...args, '--json'], at(when));
    const rec = await run(['solr', 'record', '--failed-supplier', SUPPLIER, '--srp', SRP, '--instruction', 'OFGEM-SCALE', '--from', '2026-12-01T00:00:00Z', '--until', '2026-12-21T00:00:00Z', ...actAs('ra1')], t0 - day);
    assert.equal(rec.code, 0, rec.stderr);
    const id = JSON.parse(rec.head).id as string;
    assert.equal((await run(['solr', 'approve', id, ...actAs('ra2')], t0 - day)).code, 0);
    const r = await run(['solr', 'revoke-supplier', id, ...actAs('ra1'), '--passphrase-file', s.pass], t0 + day);
    assert.equal(r.code, 0, r.stderr);
    const der = fromPem(readFileSync(join(s.home, 'ca', 'current.crl.pem'), 'utf8'), ['X509 CRL'], 'CRL');
    assert.equal(crlEntries(der), ROWS);
  });

  it('cert list streams every row, as text and as JSON', async () => {
    const text = await counted(['--home', s.home, 'cert', 'list']);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.lines, ROWS + 2); // header, rule, rows
    assert.match(text.head, /^Serial +User ID/);
    const json = await counted(['--home', s.home, 'cert', 'list', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.match(json.head, /^\{\n  "schemaVersion": 1,\n  "items": \[\n    \{\n      "serial": "/);
    assert.match(json.tail, /"status": "revoked",[\s\S]*\n    \}\n  \],\n  "total": \d+\n\}\n$/);
    assert.equal(json.lines, 6 + ROWS * 16); // {, schemaVersion, items: [ ... ], total, }; each certificate's 14 fields (expired too) between its braces
    // Streamed: written as it is read, in many pieces, never built whole first.
    assert.ok(json.writes > 100, `${json.writes} writes`);
  });

  it('audit log shows the last 300,000 records', async () => {
    const r = await counted(['--home', s.home, 'audit', 'log', '--limit', String(ROWS)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.lines, ROWS + 2);
    assert.match(r.tail, /solr\.revoke-supplier +SOLR-\d+\n$/);
  });

  it('device list shows 300,000 Devices', async () => {
    addBulkDevices(s.home, { supplier: SUPPLIER, count: ROWS });
    const text = await counted(['--home', s.home, 'device', 'list', '--limit', String(ROWS)]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.lines, ROWS + 2);
  });
});
