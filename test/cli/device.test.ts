import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { progress } from '../../src/cli/progress.js';
import { setupScenario, OTHER_SUPPLIER, SUPPLIER, type Scenario } from '../support/scenario.js';
import { homeDigest as registryDigest } from '../support/devices-adt.js';
import { actAs } from '../support/keys.js';

const HEADER = 'device_eui,device_type,smets,supplier_eui';
const EXAMPLE = 'fixtures/devices/example-devices.csv';

describe('cli: smki device', function () {
  this.timeout(120_000);
  let s: Scenario;
  before(async () => {
    s = await setupScenario();
    // The example file's GSME belongs to the failed Supplier: a dual-fuel User ID (DEVICE_FUEL_MISMATCH otherwise).
    assert.equal((await s.run(['party', 'add', '--name', 'Failed Energy', '--role', 'GS', '--eui', SUPPLIER, ...actAs('ra1')])).code, 0);
  });
  after(() => s?.cleanup());

  const file = (name: string, content: string | Buffer) => {
    const p = join(s.dir, name);
    writeFileSync(p, content);
    return p;
  };

  /** Runs an import that must be refused with `code`, leaving the registry exactly as it was. */
  async function refused(name: string, content: string | Buffer, code: number) {
    const before = registryDigest(s.home);
    const r = await s.run(['device', 'import', '--file', file(name, content), ...actAs('ra1'), '--json']);
    assert.equal(r.code, code, r.stderr);
    assert.equal(registryDigest(s.home), before, 'the registry changed');
    return r;
  }

  it('imports the example file, then re-importing it changes nothing', async () => {
    const r = await s.run(['device', 'import', '--file', EXAMPLE, ...actAs('ra1'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.file, EXAMPLE);
    assert.deepEqual([r.json.imported, r.json.updated, r.json.unchanged, r.json.status], [6, 0, 0, 'imported']);
    assert.equal(typeof r.json.auditSeq, 'number');
    assert.deepEqual(r.json.refused, []);

    const before = registryDigest(s.home);
    const again = await s.run(['device', 'import', '--file', EXAMPLE, ...actAs('ra1')]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /unchanged\s+6/);
    assert.match(again.stdout, /nothing changed/);
    assert.equal(registryDigest(s.home), before);
  });

  it('shows and lists Devices', async () => {
    const show = await s.run(['device', 'show', '00-DB-12-34-56-78-90-A0', '--json']);
    assert.equal(show.code, 0, show.stderr);
    assert.deepEqual([show.json.deviceId, show.json.deviceType, show.json.smets, show.json.supplierUserId], ['00DB1234567890A0', 'ESME', 2, SUPPLIER]);
    const gas = await s.run(['device', 'show', '00db1234567890a1']);
    assert.match(gas.stdout, /GSME/);
    const missing = await s.run(['device', 'show', '00DB1234567890FF']);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /no Device 00DB1234567890FF is registered/);
    const list = await s.run(['device', 'list', '--supplier', SUPPLIER, '--limit', '2', '--json']);
    assert.equal(list.json.items.length, 2);
    const human = await s.run(['device', 'list', '--limit', '2']);
    assert.match(human.stdout, /\(2 of 6; --limit for more\)/);
    assert.equal((await s.run(['device', 'list', '--supplier', OTHER_SUPPLIER, '--json'])).json.items.length, 0);
  });

  it('moves a Device to another Supplier (an update, audited)', async () => {
    const r = await s.run(['device', 'import', '--file', file('switch.csv', `${HEADER}\n00DB1234567890A4,CHF,2,${OTHER_SUPPLIER}\n`), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([r.json.imported, r.json.updated, r.json.supplierChanged], [0, 1, 1]);
    assert.equal((await s.run(['device', 'show', '00DB1234567890A4', '--json'])).json.supplierUserId, OTHER_SUPPLIER);
  });

  it('a malformed EUI: exit 4 with the line and reason', async () => {
    const r = await refused('bad-eui.csv', `${HEADER}\n00DB1234567890C1,ESME,2,${SUPPLIER}\n00-DB-12-34,ESME,2,${SUPPLIER}\n`, 4);
    assert.deepEqual(r.json.refused, [{ line: 3, reason: "device_eui '00-DB-12-34' is not an EUI-64", kind: 'malformed' }]);
    assert.equal(r.json.status, 'refused');
    assert.match(r.stderr, /refused: 1 of 2 row\(s\) of \S*bad-eui\.csv; nothing was imported/);
    assert.match(r.stderr, /line 3: device_eui '00-DB-12-34' is not an EUI-64/);
  });

  it('an unknown Supplier: exit 3 with the line and reason code', async () => {
    const r = await refused('unknown.csv', `${HEADER}\n00DB1234567890C1,ESME,2,90B3D51F3FFF0000\n`, 3);
    assert.deepEqual(r.json.refused.map((x: { line: number; code: string }) => [x.line, x.code]), [[2, 'DEVICE_SUPPLIER_UNKNOWN']]);
    assert.match(r.stderr, /line 2: DEVICE_SUPPLIER_UNKNOWN: supplier_eui 90B3D51F3FFF0000 is not a registered User ID/);
  });

  it('a Device given twice with different Suppliers: exit 4', async () => {
    const r = await refused('dup.csv', `${HEADER}\n00DB1234567890C1,ESME,2,${SUPPLIER}\n00DB1234567890C1,ESME,2,${OTHER_SUPPLIER}\n`, 4);
    assert.equal(r.json.refused[0].line, 3);
    assert.match(r.json.refused[0].reason, /also at line 2 with another Supplier/);
  });

  it('a wrong column count: exit 4', async () => {
    const r = await refused('cols.csv', `${HEADER}\n00DB1234567890C1,ESME,${SUPPLIER}\n`, 4);
    assert.match(r.json.refused[0].reason, /expected 4 fields .* found 3/);
  });

  it('a non-UTF-8 file: exit 4 naming the line', async () => {
    const content = Buffer.concat([Buffer.from(`${HEADER}\n00DB1234567890C1,ESME,2,${SUPPLIER}\n# caf`), Buffer.from([0xe9]), Buffer.from('\n')]);
    const r = await refused('latin1.csv', content, 4);
    assert.match(r.json.error, /latin1\.csv line 3: not valid UTF-8/);
    const human = await s.run(['device', 'import', '--file', join(s.dir, 'latin1.csv')]);
    assert.match(human.stderr, /^smki: latin1\.csv line 3: not valid UTF-8/);
  });

  it('a bad header: exit 4', async () => {
    const r = await refused('header.csv', `eui,type,smets,supplier\n00DB1234567890C1,ESME,2,${SUPPLIER}\n`, 4);
    assert.match(r.json.error, /header\.csv line 1: the header must be 'device_eui,device_type,smets,supplier_eui'/);
  });

  it('prints at most 20 refused rows on a terminal; --json lists them all', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => `x${i},ESME,2,${SUPPLIER}`).join('\n');
    const r = await refused('many.csv', `${HEADER}\n${rows}\n`, 4);
    assert.equal(r.json.refused.length, 25);
    const human = await s.run(['device', 'import', '--file', join(s.dir, 'many.csv')]);
    assert.equal(human.stderr.split('\n').filter((l) => /^ {2}line \d+:/.test(l)).length, 20);
    assert.match(human.stderr, /\.\.\. and 5 more/);
  });

  it('flag errors: a missing --file, a missing file', async () => {
    const missing = await s.run(['device', 'import']);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /missing --file/);
    const nofile = await s.run(['device', 'import', '--file', join(s.dir, 'nope.csv')]);
    assert.equal(nofile.code, 4);
    assert.match(nofile.stderr, /cannot read .*nope\.csv \(ENOENT\)/);
  });

  it('a large file: one transaction and one audit record; the audit chain verifies', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => `00DB30000000${i.toString(16).padStart(4, '0')},IHD,2,${SUPPLIER}`).join('\n');
    const r = await s.run(['device', 'import', '--file', file('one-tx.csv', `${HEADER}\n${rows}\n`), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.imported, 25);
    const log = await s.run(['audit', 'log', '--limit', '2', '--json']);
    assert.deepEqual(log.json.items.map((a: { action: string }) => a.action).slice(-1), ['device.import']);
    assert.equal(log.json.items.at(-1).details.rows, 25);
    assert.equal(log.json.items.at(-1).seq, r.json.auditSeq);
    const v = await s.run(['audit', 'verify']);
    assert.equal(v.code, 0, v.stderr);
  });
});

describe('cli/progress', () => {
  class Capture extends Writable {
    text = '';
    override _write(chunk: Buffer, _e: string, cb: () => void) {
      this.text += chunk.toString();
      cb();
    }
  }
  const io = (tty: boolean) => {
    const stderr = new Capture();
    return { stderr, io: { stdout: new Capture(), stderr, stdin: new PassThrough(), interactive: false, progress: tty } };
  };

  it('draws nothing when stderr is not a terminal', () => {
    const { stderr, io: i } = io(false);
    const p = progress(i, 'importing', 'rows', 10);
    p.update(5);
    p.end();
    assert.equal(stderr.text, '');
  });

  it('draws a bar with a total, a count and rate without one, throttled, and clears the line at the end', async () => {
    const { stderr, io: i } = io(true);
    const p = progress(i, 'checking', 'bytes', 2048);
    p.update(1024);
    for (let k = 0; k < 1000; k++) p.update(1024 + k); // within 100 ms: not redrawn
    assert.equal(stderr.text.split('\r').length - 1, 1);
    assert.match(stderr.text, /checking \[#{12}-{12}\]  50%  1\.0 KiB of 2\.0 KiB/);
    p.phase('importing', 'rows');
    await new Promise((r) => setTimeout(r, 110));
    p.update(1234);
    assert.match(stderr.text, /\r\x1b\[Kimporting 1,234$/);
    await new Promise((r) => setTimeout(r, 450));
    p.update(5000);
    assert.match(stderr.text, /\r\x1b\[Kimporting 5,000 {2}[\d,]+\/s$/);
    p.end();
    assert.ok(stderr.text.endsWith('\r\x1b[K'));
  });
});
