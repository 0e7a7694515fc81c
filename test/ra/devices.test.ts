import { strict as assert } from 'node:assert';
import type { Eui64 } from '../../src/domain/eui.js';
import { countDevicesBySupplier, findDevice, importDevices, validateDeviceRow, type DeviceImportResult } from '../../src/ra/devices.js';
import { listDevices } from '../../src/registry/devices.js';
import { IntegrityError } from '../../src/domain/errors.js';
import { buildFixture, DEVICE_HEADER, DISTRIBUTOR, OTHER_SUPPLIER, snapshot, SUPPLIER, SUPPLIER_GAS, type Fixture } from '../support/devices-adt.js';
import { operatorSigner } from '../support/keys.js';
import { outsideRun } from '../support/query.js';

const A0 = '00DB1234567890A0' as Eui64;
const A1 = '00DB1234567890A1' as Eui64;

function csv(...rows: string[]): string {
  return `${[DEVICE_HEADER, ...rows].join('\n')}\n`;
}

describe('ra/devices: device import', () => {
  let f: Fixture;
  beforeEach(() => { f = buildFixture(); });
  afterEach(() => f.cleanup());

  const run = (name: string, content: string | Buffer) => importDevices(f.reg, f.file(name, content), { operator: operatorSigner() });

  /** Imports a bad file and checks it was refused with nothing written. */
  async function refused(name: string, content: string | Buffer): Promise<DeviceImportResult> {
    await run('seed.csv', csv(`${A0},ESME,2,${SUPPLIER}`));
    const before = snapshot(f.reg);
    const r = await run(name, content);
    assert.equal(r.status, 'refused');
    assert.equal(snapshot(f.reg), before, 'the registry changed');
    assert.deepEqual(f.reg.audit.verify().problems, []);
    return r;
  }

  it('imports a clean file (EUIs in either form), and re-importing it changes nothing', async () => {
    const content = csv(
      `00-DB-12-34-56-78-90-A0,ESME,2,90-B3-D5-1F-30-01-00-00`,
      `00db1234567890a1,gsme,2,${SUPPLIER_GAS}`,
      `00DB1234567890B0,ESME,1,${SUPPLIER}`,
      ` 00DB1234567890A2 , PPMID , 2 , ${SUPPLIER} `,
    );
    const auditBefore = f.reg.audit.verify().records;
    const r = await run('devices.csv', content);
    assert.equal(r.status, 'imported');
    assert.equal(r.exitStatus, 0);
    assert.deepEqual([r.rows, r.imported, r.updated, r.unchanged, r.refusedCount], [4, 4, 0, 0, 0]);
    assert.equal(r.auditSeq, auditBefore + 1);
    assert.match(r.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(findDevice(f.reg, A0), { eui: A0, deviceType: 'ESME', smets: 2, supplierEui: SUPPLIER, updatedAt: findDevice(f.reg, A0)!.updatedAt });
    assert.equal(findDevice(f.reg, A1)!.deviceType, 'GSME');
    assert.equal(findDevice(f.reg, '00DB1234567890B0' as Eui64)!.smets, 1);
    assert.equal(countDevicesBySupplier(f.reg, SUPPLIER), 3);
    assert.equal(countDevicesBySupplier(f.reg, SUPPLIER_GAS), 1);
    const audit = f.reg.audit.tail(1)[0]!;
    assert.equal(audit.action, 'device.import');
    const details = JSON.parse(audit.details);
    assert.equal(details.sha256, r.sha256);
    assert.deepEqual([details.imported, details.updated, details.unchanged], [4, 0, 0]);
    assert.equal(f.reg.audit.verify().records, auditBefore + 1);

    const before = snapshot(f.reg);
    const again = await run('devices.csv', content);
    assert.equal(again.status, 'unchanged');
    assert.deepEqual([again.imported, again.updated, again.unchanged, again.auditSeq], [0, 0, 4, null]);
    assert.equal(snapshot(f.reg), before, 're-import changed the registry (or wrote an audit record)');
    assert.deepEqual(f.reg.audit.verify().problems, []);
  });

  it('updates a Device that moved to another Supplier or changed type; identical repeats in the file are harmless', async () => {
    await run('first.csv', csv(`${A0},ESME,2,${SUPPLIER}`, `${A1},GSME,2,${SUPPLIER_GAS}`));
    const r = await run('second.csv', csv(`${A0},ESME,2,${OTHER_SUPPLIER}`, `${A1},GSME,1,${SUPPLIER_GAS}`, `${A1},GSME,1,${SUPPLIER_GAS}`, `00DB1234567890C0,IHD,2,${SUPPLIER}`));
    assert.equal(r.status, 'imported');
    assert.deepEqual([r.imported, r.updated, r.unchanged, r.duplicates, r.supplierChanged], [1, 2, 0, 1, 1]);
    assert.equal(findDevice(f.reg, A0)!.supplierEui, OTHER_SUPPLIER);
    assert.equal(findDevice(f.reg, A1)!.smets, 1);
    const details = JSON.parse(f.reg.audit.tail(1)[0]!.details);
    assert.equal(details.supplierChanged, 1);
  });

  it('applies a large file in one transaction with one audit record, in EUI order', async () => {
    const rows: string[] = [];
    for (let i = 0; i < 2500; i++) rows.push(`00DB2000${i.toString(16).toUpperCase().padStart(8, '0')},ESME,2,${i % 2 ? SUPPLIER : OTHER_SUPPLIER}`);
    const auditBefore = f.reg.audit.verify().records;
    const progress: string[] = [];
    const r = await importDevices(f.reg, f.file('big.csv', csv(...rows.reverse())), { operator: operatorSigner(), applyStep: 1000, onProgress: (p) => progress.push(p.phase === 'import' ? `import ${p.rows}` : p.phase) });
    assert.equal(r.imported, 2500);
    assert.equal(f.reg.audit.verify().records, auditBefore + 1);
    const details = JSON.parse(f.reg.audit.tail(1)[0]!.details);
    assert.deepEqual([details.rows, details.imported, details.devices], [2500, 2500, ['00DB200000000000', '00DB2000000009C3']]);
    assert.ok(progress.includes('validate'));
    assert.deepEqual(progress.filter((p) => p.startsWith('import')), ['import 0', 'import 1000', 'import 2000', 'import 2500']);
    assert.equal(listDevices(f.reg, { supplier: SUPPLIER }).length, 1250);
    // One Device changed: one audit record; the unchanged ones are not touched.
    rows[0] = rows[0]!.replace(/,ESME,/, ',PPMID,');
    const r2 = await importDevices(f.reg, f.file('big2.csv', csv(...rows)), { operator: operatorSigner(), applyStep: 1000 });
    assert.deepEqual([r2.updated, r2.unchanged, r2.auditSeq], [1, 2499, auditBefore + 2]);
    assert.deepEqual(f.reg.audit.verify().problems, []);
    assert.deepEqual(f.reg.verify().problems, []);
  });

  it('a large file into an empty table: the key-hash index is built after the rows, every row and bucket verifies, and a Device deleted later is refused where looked up', async () => {
    const hex = (i: number) => `00DB4000${i.toString(16).toUpperCase().padStart(8, '0')}`;
    const rows = Array.from({ length: 12_000 }, (_, i) => `${hex(i)},ESME,2,${SUPPLIER}`);
    assert.equal((await importDevices(f.reg, f.file('bulk.csv', csv(...rows)), { operator: operatorSigner() })).imported, 12_000);
    if (f.reg.db.dialect === 'sqlite') assert.ok(f.reg.db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = 'devices_key_hash'").get(), 'the key-hash index is there again');
    assert.deepEqual(f.reg.verify().problems, []);
    outsideRun(f.home, `DELETE FROM devices WHERE eui = '${hex(77)}'`);
    assert.throws(() => findDevice(f.reg, hex(77) as Eui64), (e: unknown) => e instanceof IntegrityError && /table devices/.test(e.message));
    assert.equal(findDevice(f.reg, '00DB0000DEADBEEF' as Eui64), undefined);
  });

  it('imports over a registry that holds Devices: new ones after its last rows, changed ones updated, a sparse file looked up one by one; every row and bucket verifies', async () => {
    const hex = (i: number) => `00DB3000${i.toString(16).toUpperCase().padStart(8, '0')}`;
    const first: string[] = [];
    for (let i = 0; i < 3000; i += 2) first.push(`${hex(i)},ESME,2,${SUPPLIER}`);
    assert.equal((await importDevices(f.reg, f.file('first.csv', csv(...first)), { operator: operatorSigner(), applyStep: 700 })).imported, 1500);
    // Every EUI of the range: the odd ones new (between registered ones), every tenth even one moved.
    const second: string[] = [];
    for (let i = 0; i < 3000; i++) second.push(`${hex(i)},ESME,2,${i % 2 === 0 && i % 20 === 0 ? OTHER_SUPPLIER : SUPPLIER}`);
    const r = await importDevices(f.reg, f.file('second.csv', csv(...second.reverse())), { operator: operatorSigner(), applyStep: 700 });
    assert.deepEqual([r.imported, r.updated, r.unchanged, r.supplierChanged], [1500, 150, 1350, 150]);
    assert.equal(findDevice(f.reg, hex(20) as Eui64)!.supplierEui, OTHER_SUPPLIER);
    assert.equal(findDevice(f.reg, hex(2999) as Eui64)!.supplierEui, SUPPLIER);
    assert.deepEqual(f.reg.verify().problems, []);
    // Three Devices spread over the whole registry (a chunk whose EUI range holds far more rows than it).
    const sparse = await run('sparse.csv', csv(`${hex(1)},GSME,2,${SUPPLIER_GAS}`, `${hex(1500)},ESME,1,${SUPPLIER}`, `${hex(2998)},ESME,2,${OTHER_SUPPLIER}`, '00DB3FFF00000000,IHD,2,' + SUPPLIER));
    assert.deepEqual([sparse.imported, sparse.updated, sparse.unchanged], [1, 3, 0]);
    assert.equal(findDevice(f.reg, hex(1) as Eui64)!.deviceType, 'GSME');
    assert.deepEqual(f.reg.verify().problems, []);
    assert.equal(countDevicesBySupplier(f.reg, SUPPLIER) + countDevicesBySupplier(f.reg, OTHER_SUPPLIER) + countDevicesBySupplier(f.reg, SUPPLIER_GAS), 3001);
  });

  it('refuses (exit 5) to update a registered Device edited outside smki, writing nothing of the file', async function () {
    // Another SQLite client edits the row: no smki trigger runs (PostgreSQL's own case is in test/registry/postgres.test.ts).
    if (f.reg.db.dialect !== 'sqlite') this.skip();
    await run('seed.csv', csv(`${A0},ESME,2,${SUPPLIER}`, `${A1},ESME,2,${SUPPLIER}`));
    const other = new (await import('better-sqlite3')).default(f.reg.db.location);
    other.prepare('UPDATE devices SET smets = 1 WHERE eui = ?').run(A1);
    other.close();
    const before = snapshot(f.reg);
    await assert.rejects(run('moved.csv', csv(`00DB1234567890FF,IHD,2,${SUPPLIER}`, `${A1},ESME,2,${OTHER_SUPPLIER}`)), (e: Error) => e instanceof IntegrityError && /table devices/.test(e.message));
    assert.equal(snapshot(f.reg), before, 'part of the file was written');
  });

  it('a failure part-way through the import pass leaves nothing of the file (all or nothing)', async () => {
    const rows: string[] = [];
    for (let i = 0; i < 2500; i++) rows.push(`00DB2100${i.toString(16).toUpperCase().padStart(8, '0')},ESME,2,${SUPPLIER}`);
    const before = snapshot(f.reg);
    // Two of the three steps are applied inside the transaction when it fails.
    await assert.rejects(
      importDevices(f.reg, f.file('cut.csv', csv(...rows)), {
        operator: operatorSigner(),
        applyStep: 1000,
        onProgress: (p) => { if (p.phase === 'import' && p.rows === 2000) throw new Error('disk full'); },
      }),
      /disk full/,
    );
    assert.equal(snapshot(f.reg), before, 'part of the file stayed applied');
    assert.equal(countDevicesBySupplier(f.reg, SUPPLIER), 0);
    assert.deepEqual(f.reg.verify().problems, []);
    // Run again, it completes.
    const r = await run('cut.csv', csv(...rows));
    assert.deepEqual([r.status, r.imported], ['imported', 2500]);
  });

  it('refuses a malformed EUI (exit 4, line and reason)', async () => {
    const r = await refused('bad-eui.csv', csv(`00DB1234567890A5,ESME,2,${SUPPLIER}`, `00DB12345678ZZ,ESME,2,${SUPPLIER}`));
    assert.equal(r.exitStatus, 4);
    assert.deepEqual(r.refused, [{ line: 3, kind: 'malformed', reason: "device_eui '00DB12345678ZZ' is not an EUI-64" }]);
  });

  it("refuses a meter whose Supplier does not hold its fuel role: an ESME's is an Import Supplier, a GSME's a Gas Supplier (exit 3)", async () => {
    const r = await refused('fuel.csv', csv(`00DB1234567890D1,GSME,2,${SUPPLIER}`, `00DB1234567890D2,ESME,2,${SUPPLIER_GAS}`, `00DB1234567890D3,IHD,2,${SUPPLIER_GAS}`));
    assert.equal(r.exitStatus, 3);
    assert.deepEqual(r.refused.map((x) => [x.line, x.code]), [[2, 'DEVICE_FUEL_MISMATCH'], [3, 'DEVICE_FUEL_MISMATCH']]);
    assert.match(r.refused[0]!.reason, /a GSME is registered to its GasSupplier; supplier_eui 90B3D51F30010000 is ImportSupplier/);
  });

  it('validateDeviceRow: a dual-fuel User ID (IS and GS) takes both meters; other Device types any Supplier', () => {
    const dual = new Map([[SUPPLIER as string, ['IS', 'GS'] as const], [SUPPLIER_GAS as string, ['GS'] as const]]);
    assert.equal((validateDeviceRow([A0, 'ESME', '2', SUPPLIER], dual, 2) as { code?: string }).code, undefined);
    assert.equal((validateDeviceRow([A1, 'GSME', '2', SUPPLIER], dual, 3) as { code?: string }).code, undefined);
    assert.equal((validateDeviceRow([A1, 'GSME', '2', SUPPLIER_GAS], dual, 4) as { code?: string }).code, undefined);
    assert.equal((validateDeviceRow([A0, 'ESME', '2', SUPPLIER_GAS], dual, 5) as { code?: string }).code, 'DEVICE_FUEL_MISMATCH');
    for (const t of ['CHF', 'GPF', 'PPMID', 'IHD']) assert.equal((validateDeviceRow([A0, t, '2', SUPPLIER_GAS], dual, 6) as { code?: string }).code, undefined);
  });

  it('refuses an unknown Supplier and a non-Supplier User ID (exit 3: policy)', async () => {
    const r = await refused('unknown-supplier.csv', csv(`00DB1234567890A5,ESME,2,90B3D51F3FFF0000`, `00DB1234567890A6,ESME,2,${DISTRIBUTOR}`));
    assert.equal(r.exitStatus, 3);
    assert.deepEqual(r.refused.map((x) => [x.line, x.code]), [[2, 'DEVICE_SUPPLIER_UNKNOWN'], [3, 'DEVICE_SUPPLIER_UNKNOWN']]);
    assert.match(r.refused[0]!.reason, /90B3D51F3FFF0000 is not a registered User ID/);
    assert.match(r.refused[1]!.reason, /ElectricityDistributor User ID, not a Supplier's/);
  });

  it('refuses a Device given twice with different Suppliers (exit 4, the later line names the earlier)', async () => {
    const r = await refused('dup.csv', csv(`00DB1234567890A5,ESME,2,${SUPPLIER}`, `00DB1234567890A6,IHD,2,${SUPPLIER}`, `00-DB-12-34-56-78-90-A5,ESME,2,${OTHER_SUPPLIER}`));
    assert.equal(r.exitStatus, 4);
    assert.equal(r.refused.length, 1);
    assert.equal(r.refused[0]!.line, 4);
    assert.match(r.refused[0]!.reason, /00DB1234567890A5 is also at line 2 with another Supplier/);
  });

  it('refuses a wrong column count, a bad device type, a bad SMETS generation, broken quoting', async () => {
    const r = await refused('columns.csv', csv(
      `00DB1234567890A5,ESME,2`,
      `00DB1234567890A6,ESME,2,${SUPPLIER},extra`,
      `00DB1234567890A7,METER,2,${SUPPLIER}`,
      `00DB1234567890A8,ESME,3,${SUPPLIER}`,
      `"00DB1234567890A9,ESME,2,${SUPPLIER}`,
      `00DB1234567890AA,ESME,2,${SUPPLIER}`,
    ));
    assert.equal(r.exitStatus, 4);
    assert.deepEqual(r.refused.map((x) => x.line), [2, 3, 4, 5, 6]);
    assert.match(r.refused[0]!.reason, /expected 4 fields .* found 3/);
    assert.match(r.refused[1]!.reason, /found 5/);
    assert.match(r.refused[2]!.reason, /device_type 'METER' is not one of ESME, GSME, CHF, GPF, PPMID, IHD/);
    assert.match(r.refused[3]!.reason, /smets '3' is not 1 or 2/);
    assert.match(r.refused[4]!.reason, /quoted field is not closed/);
    assert.equal(r.rows, 6);
  });

  it('a malformed row and an unknown Supplier together: exit 4', async () => {
    const r = await refused('mixed.csv', csv(`00DB1234567890A5,ESME,2,90B3D51F3FFF0000`, `nope,ESME,2,${SUPPLIER}`));
    assert.equal(r.exitStatus, 4);
    assert.equal(r.refusedCount, 2);
  });

  it('refuses a non-UTF-8 file with the line, writing nothing', async () => {
    await run('seed.csv', csv(`${A0},ESME,2,${SUPPLIER}`));
    const before = snapshot(f.reg);
    const content = Buffer.concat([Buffer.from(csv(`00DB1234567890A5,ESME,2,${SUPPLIER}`)), Buffer.from('00DB1234567890A6,ESME,2,'), Buffer.from([0xe9]), Buffer.from('\n')]);
    await assert.rejects(run('latin1.csv', content), (e: Error & { exitStatus: number }) => e.exitStatus === 4 && /latin1\.csv line 3: not valid UTF-8/.test(e.message));
    assert.equal(snapshot(f.reg), before);
  });

  it('refuses a bad header or an empty file (exit 4)', async () => {
    await assert.rejects(run('header.csv', `device,type,smets,supplier\n${A0},ESME,2,${SUPPLIER}\n`),
      (e: Error & { exitStatus: number }) => e.exitStatus === 4 && /header\.csv line 1: the header must be 'device_eui,device_type,smets,supplier_eui'/.test(e.message));
    await assert.rejects(run('empty.csv', ''), /the file is empty/);
    assert.equal(listDevices(f.reg).length, 0);
  });

  it('lists every refused row, not just the first', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `bad${i},ESME,2,${SUPPLIER}`);
    const r = await refused('many.csv', csv(...rows));
    assert.equal(r.refusedCount, 30);
    assert.equal(r.refused.length, 30);
    assert.deepEqual(r.refused.map((x) => x.line), Array.from({ length: 30 }, (_, i) => i + 2));
  });

  it('validateDeviceRow is pure and reports every problem of a row', () => {
    const roles = new Map([[SUPPLIER as string, ['IS'] as const]]);
    const v = validateDeviceRow(['x', 'Y', '9', 'z'], roles, 7);
    assert.deepEqual(v, { line: 7, kind: 'malformed', reason: "device_eui 'x' is not an EUI-64; device_type 'Y' is not one of ESME, GSME, CHF, GPF, PPMID, IHD; smets '9' is not 1 or 2; supplier_eui 'z' is not an EUI-64" });
    assert.deepEqual(validateDeviceRow([A0, 'esme', '1', SUPPLIER], roles, 2), { eui: A0, deviceType: 'ESME', smets: 1, supplierEui: SUPPLIER, line: 2 });
  });
});
