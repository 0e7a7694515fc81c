import { strict as assert } from 'node:assert';
import { AdtFileError, activeAdtThresholds, decideAdtSubmission, listAdts, findAdt, submitAdt } from '../../src/ra/adt.js';
import { loadCatalogue, type Catalogue } from '../../src/config/catalogue.js';
import { PolicyRefusal } from '../../src/domain/errors.js';
import type { Eui64 } from '../../src/domain/eui.js';
import { requireUserId } from '../../src/ra/parties.js';
import { ADT_HEADER, buildFixture, DISTRIBUTOR, OTHER_SRP, OTHER_SUPPLIER, snapshot, SRP, SRP_GAS, SUPPLIER, SUPPLIER_GAS, type Fixture } from '../support/devices-adt.js';
import { officerSignerOf } from '../support/keys.js';

function csv(...rows: string[]): string {
  return `${[ADT_HEADER, ...rows].join('\n')}\n`;
}

describe('ra/adt: ADT files', () => {
  let f: Fixture;
  let catalogue: Catalogue;
  before(() => { catalogue = loadCatalogue(); });
  beforeEach(() => { f = buildFixture(); });
  afterEach(() => f.cleanup());

  const submit = (content: string | Buffer, opts: { party?: Eui64; officer?: string; name?: string; claim?: string | null } = {}) =>
    submitAdt(f.reg, catalogue, { party: opts.party ?? SRP, ...(opts.claim === null ? {} : { officerId: opts.claim ?? opts.officer ?? f.aro }), officer: officerSignerOf(f.home, opts.officer ?? f.aro), file: f.file(opts.name ?? 'adt.csv', content) });

  /** Submits and expects a malformed-file error; the registry must be unchanged. */
  async function malformed(content: string | Buffer, name = 'adt.csv'): Promise<AdtFileError> {
    const before = snapshot(f.reg);
    try {
      await submit(content, { name });
    } catch (e) {
      assert.ok(e instanceof AdtFileError, `expected AdtFileError, got ${e}`);
      assert.equal(e.exitStatus, 4);
      assert.equal(snapshot(f.reg), before);
      return e;
    }
    assert.fail('expected the file to be refused');
  }

  async function refusedBy(opts: { party?: Eui64; officer?: string; claim?: string | null }, content = csv(`${SUPPLIER},1.6,500,1000`)): Promise<string[]> {
    const before = snapshot(f.reg);
    try {
      await submit(content, opts);
    } catch (e) {
      assert.ok(e instanceof PolicyRefusal, `expected PolicyRefusal, got ${e}`);
      assert.equal(e.exitStatus, 3);
      assert.equal(snapshot(f.reg), before);
      return e.reasons.map((r) => r.code);
    }
    assert.fail('expected a refusal');
  }

  it('records the example file from an active ARO and answers the gate', async () => {
    const r = await submit(csv(`90-B3-D5-1F-30-01-00-00,1.6,500,1000`));
    assert.equal(r.created, true);
    assert.equal(r.adt.id, 'ADT-1');
    assert.equal(r.adt.status, 'active');
    assert.equal(r.adt.supplierEui, SUPPLIER);
    assert.equal(r.adt.officerId, f.aro);
    assert.deepEqual(r.adt.thresholds, [{ serviceReferenceVariant: '1.6', warning: 500, quarantine: 1000 }]);
    assert.equal(r.windowHours, catalogue.solr.adtWindowHours);
    const partyId = requireUserId(f.reg, SRP).partyId;
    assert.deepEqual(activeAdtThresholds(f.reg, { partyId, supplierEui: SUPPLIER, srv: '1.6' }), { adtId: 'ADT-1', warning: 500, quarantine: 1000, windowHours: 24 });
    assert.deepEqual(activeAdtThresholds(f.reg, { userId: SRP, supplierEui: SUPPLIER, srv: '1.6' })?.adtId, 'ADT-1');
    assert.equal(activeAdtThresholds(f.reg, { partyId, supplierEui: SUPPLIER, srv: '2.5' }), undefined);
    assert.equal(activeAdtThresholds(f.reg, { partyId, supplierEui: OTHER_SUPPLIER, srv: '1.6' }), undefined);
    assert.equal(activeAdtThresholds(f.reg, { userId: OTHER_SRP, supplierEui: SUPPLIER, srv: '1.6' }), undefined);
    const audit = f.reg.audit.tail(1)[0]!;
    assert.equal(audit.action, 'adt.submit');
    assert.equal(audit.actor, f.aro);
    assert.equal(JSON.parse(audit.details).supersedes, null);
    assert.deepEqual(f.reg.audit.verify().problems, []);
  });

  it('a new file supersedes the active one in the same transaction, audited; the same thresholds again change nothing', async () => {
    await submit(csv(`${SUPPLIER},1.6,500,1000`));
    const second = await submit(csv(`${SUPPLIER},1.6,50,100`, `${SUPPLIER},2.5,5,10`), { name: 'adt-2.csv' });
    assert.equal(second.adt.id, 'ADT-2');
    assert.equal(second.supersedes, 'ADT-1');
    assert.match(second.warnings.join(), /2\.5 is not one the SoLRContingency role may send/);
    const old = findAdt(f.reg, 'ADT-1')!;
    assert.equal(old.status, 'superseded');
    assert.equal(old.supersededBy, 'ADT-2');
    assert.deepEqual(listAdts(f.reg).map((a) => a.id), ['ADT-2']);
    assert.deepEqual(listAdts(f.reg, { all: true }).map((a) => a.id), ['ADT-1', 'ADT-2']);
    const [submitRec, supersedeRec] = f.reg.audit.tail(2);
    assert.equal(submitRec!.action, 'adt.submit');
    assert.equal(JSON.parse(submitRec!.details).supersedes, 'ADT-1');
    assert.equal(supersedeRec!.action, 'adt.supersede');
    assert.equal(supersedeRec!.subject, 'ADT-1');
    assert.equal(submitRec!.at, supersedeRec!.at);
    assert.equal(activeAdtThresholds(f.reg, { userId: SRP, supplierEui: SUPPLIER, srv: '1.6' })!.warning, 50);

    const before = snapshot(f.reg);
    const again = await submit(csv(`${SUPPLIER},2.5,5,10`, `${SUPPLIER},1.6,50,100`), { name: 'reordered.csv' });
    assert.equal(again.created, false);
    assert.equal(again.adt.id, 'ADT-2');
    assert.equal(snapshot(f.reg), before);
    assert.deepEqual(f.reg.audit.verify().problems, []);
  });

  it("covers a Supplier that any of the Party's SoLRContingency User IDs acts for, one active file per Supplier", async () => {
    await submit(csv(`${SUPPLIER},1.6,500,1000`));
    // Submitted under the SRP's other User ID, for the Supplier that one acts for: a separate active file.
    const gas = await submit(csv(`${SUPPLIER_GAS},1.6,10,20`), { party: SRP_GAS });
    assert.equal(gas.supersedes, null);
    assert.deepEqual(listAdts(f.reg).map((a) => [a.id, a.supplierEui]), [['ADT-1', SUPPLIER], ['ADT-2', SUPPLIER_GAS]]);
    // The Party is what matters: submitted with --party SRP, still covers the gas Supplier.
    const viaSrp = await submit(csv(`${SUPPLIER_GAS},1.6,11,20`), { party: SRP });
    assert.equal(viaSrp.supersedes, 'ADT-2');
  });

  describe('malformed files (exit 4, every problem with its line)', () => {
    it('negative, zero and non-integer thresholds', async () => {
      const e = await malformed(csv(`${SUPPLIER},1.6,-5,10`, `${SUPPLIER},2.5,0,1.5`));
      assert.deepEqual(e.problems, [
        { line: 2, message: 'warning_threshold -5 is negative; a threshold is a count above 0' },
        { line: 3, message: 'warning_threshold 0 is not above 0' },
        { line: 3, message: "quarantine_threshold '1.5' is not a whole number" },
      ]);
      assert.match(e.message, /^adt\.csv line 2: warning_threshold -5 is negative/);
    });

    it('warning above quarantine', async () => {
      const e = await malformed(csv(`${SUPPLIER},2.5,1,2`, `${SUPPLIER},1.6,10,5`));
      assert.equal(e.message, 'adt.csv line 3: quarantine_threshold 5 is below warning_threshold 10');
    });

    it('an unknown Service Reference Variant, and one given twice', async () => {
      const e = await malformed(csv(`${SUPPLIER},1.6,1,2`, `${SUPPLIER},9.99,1,2`, `${SUPPLIER},1.6,3,4`));
      assert.equal(e.problems.length, 2);
      assert.match(e.problems[0]!.message, /service_reference_variant '9\.99' is not a DUIS 5.4 Service Reference Variant/);
      assert.equal(e.problems[0]!.line, 3);
      assert.deepEqual(e.problems[1], { line: 4, message: 'service_reference_variant 1.6 is given again (first at line 2); one row per Service Reference Variant' });
    });

    it('rows naming different Suppliers, a malformed EUI, a wrong column count', async () => {
      const e = await malformed(csv(`${SUPPLIER},1.6,1,2`, `${OTHER_SUPPLIER},2.5,1,2`, `nope,2.5,1,2`, `${SUPPLIER},2.5,1`));
      assert.deepEqual(e.problems.map((p) => p.line), [3, 4, 4, 5]);
      assert.match(e.problems[0]!.message, /differs from 90B3D51F30010000 at line 2; an ADT file covers one Supplier/);
      assert.match(e.problems[1]!.message, /supplier_eui 'nope' is not an EUI-64/);
      assert.match(e.problems[2]!.message, /2\.5 is given again \(first at line 3\)/);
      assert.match(e.problems[3]!.message, /expected 4 fields/);
    });

    it('a bad header, an empty file, no rows, a non-UTF-8 file', async () => {
      assert.match((await malformed(`supplier,srv,w,q\n${SUPPLIER},1.6,1,2\n`)).message, /adt\.csv line 1: the header must be/);
      assert.match((await malformed('')).message, /the file is empty/);
      assert.match((await malformed(csv())).message, /no threshold rows/);
      const e = await malformed(Buffer.concat([Buffer.from(csv(`${SUPPLIER},1.6,1,2`)), Buffer.from([0x80, 0x0a])]));
      assert.equal(e.message, 'adt.csv line 3: not valid UTF-8 (the file must be UTF-8 encoded)');
    });
  });

  describe('policy refusals (exit 3, reasons named)', () => {
    it('an SRO submitting (not an ARO)', async () => {
      assert.deepEqual(await refusedBy({ officer: f.sro }), ['OFFICER_NOT_ARO']);
    });
    it("another Party's ARO submitting", async () => {
      assert.deepEqual(await refusedBy({ officer: f.otherAro }), ['OFFICER_FOREIGN_PARTY']);
    });
    it('an ARO that is only nominated, or suspended', async () => {
      assert.deepEqual(await refusedBy({ officer: f.nominatedAro }), ['OFFICER_NOT_ACTIVE']);
      assert.deepEqual(await refusedBy({ officer: f.suspendedAro }), ['OFFICER_NOT_ACTIVE']);
    });
    it('an unknown officer: no registered officer holds the key that signed', async () => {
      assert.deepEqual(await refusedBy({ officer: 'OFC-999', claim: null }), ['OFFICER_KEY_UNKNOWN']);
    });
    it('an officer ID that names no officer is malformed input (exit 4), as an unknown Party is', async () => {
      const before = snapshot(f.reg);
      await assert.rejects(submit(csv(`${SUPPLIER},1.6,500,1000`), { officer: f.aro, claim: 'OFC-999' }), (e: Error & { exitStatus?: number }) => e.exitStatus === 4 && /no officer OFC-999/.test(e.message));
      assert.equal(snapshot(f.reg), before);
    });
    it('a Party that is not SoLRContingency (its own active ARO)', async () => {
      assert.deepEqual(await refusedBy({ party: SUPPLIER, officer: f.supplierAro }), ['ADT_NOT_SOLR_PARTY']);
    });
    it('a Supplier the Party does not act for', async () => {
      assert.deepEqual(await refusedBy({}, csv(`${OTHER_SUPPLIER},1.6,5,10`)), ['ADT_SUPPLIER_NOT_COVERED']);
    });
    it('a Supplier that is not registered, or not a Supplier', async () => {
      assert.deepEqual(await refusedBy({}, csv(`90B3D51F3FFF0000,1.6,5,10`)), ['ADT_SUPPLIER_UNKNOWN']);
      assert.deepEqual(await refusedBy({}, csv(`${DISTRIBUTOR},1.6,5,10`)), ['ADT_SUPPLIER_UNKNOWN']);
    });
    it('several reasons at once', async () => {
      assert.deepEqual(await refusedBy({ officer: f.otherAro }, csv(`${OTHER_SUPPLIER},1.6,5,10`)), ['OFFICER_FOREIGN_PARTY', 'ADT_SUPPLIER_NOT_COVERED']);
    });
  });

  it('decideAdtSubmission is pure', () => {
    const party = requireUserId(f.reg, SRP);
    const reasons = decideAdtSubmission({ party, partyUserIds: [party], officerId: 'OFC-9', officer: undefined, supplierEui: SUPPLIER_GAS, supplier: requireUserId(f.reg, SUPPLIER_GAS) });
    assert.deepEqual(reasons.map((r) => r.code), ['OFFICER_UNKNOWN', 'ADT_SUPPLIER_NOT_COVERED']);
  });
});
