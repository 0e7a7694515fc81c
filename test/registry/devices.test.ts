import { strict as assert } from 'node:assert';
import type { Eui64 } from '../../src/domain/eui.js';
import { IntegrityError } from '../../src/domain/errors.js';
import { importDevices } from '../../src/ra/devices.js';
import { checkDevicesAhead, findDevice } from '../../src/registry/devices.js';
import { Registry } from '../../src/registry/registry.js';
import { bucketQueries } from '../support/bucket-queries.js';
import { buildFixture, DEVICE_HEADER, SUPPLIER, SUPPLIER_GAS, type Fixture } from '../support/devices-adt.js';
import { operatorSigner } from '../support/keys.js';
import { outsideRun } from '../support/query.js';

// EUIs whose last four hex digits differ: each Device in a key-hash bucket of its own.
const eui = (i: number) => `00DB5000${i.toString(16).toUpperCase().padStart(8, '0')}` as Eui64;
const DEVICES = 600;

describe('registry/devices: Devices checked ahead of a group of gate decisions', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = buildFixture();
    const rows = Array.from({ length: DEVICES }, (_, i) => `${eui(i)},ESME,2,${SUPPLIER}`);
    await importDevices(f.reg, f.file('devices.csv', `${[DEVICE_HEADER, ...rows].join('\n')}\n`), { operator: operatorSigner() });
  });
  afterEach(() => f.cleanup());

  const all = Array.from({ length: DEVICES }, (_, i) => eui(i));

  it('verifies the buckets of many Devices in a few queries, after which each findDevice needs none', () => {
    // Each side in a registry opened afresh (nothing verified yet).
    const fresh = (fn: (reg: Registry) => void) => {
      const reg = Registry.open(f.home);
      try {
        return bucketQueries(() => reg.tx(() => fn(reg)));
      } finally {
        reg.close();
      }
    };
    // Without the read ahead: one bucket query a Device (the baseline the read ahead removes).
    const alone = fresh((reg) => { for (const e of all) assert.equal(findDevice(reg, e)!.eui, e); });
    assert.equal(alone.single, DEVICES);
    const ahead = fresh((reg) => {
      checkDevicesAhead(reg, [...all, ...all]);
      for (const e of all) assert.equal(findDevice(reg, e)!.supplierEui, SUPPLIER);
    });
    assert.equal(ahead.single, 0);
    assert.ok(ahead.sets >= 1 && ahead.sets <= 3, `${ahead.sets} bucket-set queries for ${DEVICES} Devices`);
  });

  it('reads a group of any size (each padded statement size and between them) as findDevice does, and refuses an edited one at each size', () => {
    for (const n of [1, 2, 3, 4, 5, 16, 17, 63, 64, 65, 256, 257, 600]) {
      const group = all.slice(0, n);
      const reg = Registry.open(f.home);
      try {
        const found = reg.tx(() => checkDevicesAhead(reg, group));
        assert.deepEqual([...found.keys()].sort(), [...group].sort(), `a group of ${n}`);
        for (const e of group) assert.deepEqual(found.get(e), findDevice(reg, e), `a group of ${n}: ${e}`);
      } finally {
        reg.close();
      }
    }
    // The last Device of each size's group edited: every size of statement refuses it.
    for (const n of [2, 5, 17, 65, 257]) {
      const edited = all[n - 1]!;
      outsideRun(f.home, `UPDATE devices SET smets = 1 WHERE eui = '${edited}'`);
      const reg = Registry.open(f.home);
      try {
        assert.throws(() => reg.tx(() => checkDevicesAhead(reg, all.slice(0, n))), (e: unknown) => e instanceof IntegrityError && e.message.includes(edited), `a group of ${n}`);
      } finally {
        reg.close();
      }
      outsideRun(f.home, `UPDATE devices SET smets = 2 WHERE eui = '${edited}'`);
    }
  });

  it('refuses (IntegrityError) a Device of the group edited outside smki, and leaves an unknown EUI to findDevice', () => {
    const found = f.reg.tx(() => checkDevicesAhead(f.reg, [eui(3), '00DB5FFFFFFFFFFF']));
    // The Devices found, as findDevice reads them; the unknown EUI is not among them.
    assert.deepEqual([...found.keys()], [eui(3)]);
    assert.deepEqual(found.get(eui(3)), findDevice(f.reg, eui(3) as Eui64));
    assert.equal(findDevice(f.reg, '00DB5FFFFFFFFFFF' as Eui64), undefined);
    outsideRun(f.home, `UPDATE devices SET supplier_eui = '${SUPPLIER_GAS}' WHERE eui = '${eui(400)}'`);
    assert.throws(() => f.reg.tx(() => checkDevicesAhead(f.reg, all)), (e: unknown) => e instanceof IntegrityError && /devices/.test(e.message));
  });

  it('refuses a Device of the group deleted outside smki (its bucket no longer adds up)', () => {
    outsideRun(f.home, `DELETE FROM devices WHERE eui = '${eui(5)}'`);
    // The deleted Device's bucket is among the group's (another Device in it is read ahead).
    assert.throws(() => f.reg.tx(() => { checkDevicesAhead(f.reg, all); findDevice(f.reg, eui(5)); }), (e: unknown) => e instanceof IntegrityError && /devices/.test(e.message));
  });
});
