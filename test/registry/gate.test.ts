// The gate's ADT window count (src/registry/gate.ts countInWindow) over hand-written decisions: exact
// at the window's edge, and never lowered by rows deleted or edited outside smki.
import { strict as assert } from 'node:assert';
import { IntegrityError } from '../../src/domain/errors.js';
import { countAgainstAdt, countInWindow, insertDecision } from '../../src/registry/gate.js';
import type { HomePaths } from '../../src/registry/home.js';
import { Registry } from '../../src/registry/registry.js';
import { registryHome, type RegistryHome } from '../support/registry-home.js';

const SRP = '90B3D51F300C0001';
const SUPPLIER = '90B3D51F30010000';
const WINDOW_MS = 24 * 3600_000;
/** 10:00:30 on a day: the window's first minute is half before it, half in it. */
const AT = new Date('2026-12-02T10:00:30.000Z');
const SINCE = new Date(AT.getTime() - WINDOW_MS);

describe('registry/gate: the ADT window count', () => {
  let home: RegistryHome;
  let paths: HomePaths;
  let key: Buffer;

  beforeEach(() => {
    home = registryHome('smki-adt-window-');
    ({ paths, key } = home);
  });
  afterEach(() => home.cleanup());

  /** A registry whose gate accepted one request at each of `times` (ms before AT), as the gate records them. */
  function withAccepted(times: number[]): void {
    const reg = home.create();
    try {
      for (const ago of times) {
        const at = new Date(AT.getTime() - ago);
        reg.tx(() => {
          insertDecision(reg, {
            decidedAt: at.toISOString(), source: 'test', requestId: `r${ago}`, originator: SRP, target: null, counter: String(ago), commandVariant: 1,
            serviceReferenceVariant: '1.6', deviceType: 'ESME', supplierEui: SUPPLIER, solrEventId: null, decision: 'accept', reasons: [], warnings: [], docSha256: null,
          });
          countAgainstAdt(reg, SRP, SUPPLIER, '1.6', at);
          reg.audit.append(at, { name: 'test' } as never, 'sr.accept', `r${ago}`, {});
        });
      }
    } finally {
      reg.close();
    }
  }

  function count(): number {
    const reg = Registry.open(paths.dir);
    try {
      return countInWindow(reg, [SRP], SUPPLIER, '1.6', SINCE, AT);
    } finally {
      reg.close();
    }
  }

  function outside(sql: string): void {
    assert.ok(home.outside(sql) > 0, `no row changed: ${sql}`);
  }

  // 20 s and 40 s past 10:00 a day before AT (the first minute, one each side of SINCE), an hour before AT, and at AT.
  const ACCEPTED = [WINDOW_MS + 10_000, WINDOW_MS - 10_000, 3600_000, 0];

  it('counts exactly what lies in (since, at]: the first minute only from since on', () => {
    withAccepted(ACCEPTED);
    assert.equal(count(), 3);
  });

  it('a minute count deleted outside smki is refused (IntegrityError), not counted as none', () => {
    withAccepted(ACCEPTED);
    outside(`DELETE FROM adt_minute_counts WHERE minute = ${Math.floor((AT.getTime() - 3600_000) / 60_000)}`);
    assert.throws(() => count(), (e: unknown) => e instanceof IntegrityError && /table adt_minute_counts/.test(e.message));
  });

  it('a decision of the first minute before since deleted outside smki is refused or can only raise the count', () => {
    withAccepted(ACCEPTED);
    outside(`DELETE FROM sr_decisions WHERE request_id = 'r${WINDOW_MS + 10_000}'`);
    let n: number | undefined;
    try {
      n = count();
    } catch (e) {
      // Refused is as good: the deleted row's bucket of decisions no longer adds up.
      assert.ok(e instanceof IntegrityError && /table sr_decisions/.test(e.message), String(e));
    }
    if (n !== undefined) assert.ok(n >= 3, `counted ${n}`);
  });

  it('a decision of the first minute edited outside smki to fall before since is refused (IntegrityError)', () => {
    withAccepted(ACCEPTED);
    outside(`UPDATE sr_decisions SET decided_at = '${new Date(SINCE.getTime() - 5_000).toISOString()}' WHERE request_id = 'r${WINDOW_MS - 10_000}'`);
    assert.throws(() => count(), (e: unknown) => e instanceof IntegrityError && /table sr_decisions/.test(e.message));
  });

  it('a decision inserted outside smki into the first minute before since is refused (IntegrityError)', () => {
    withAccepted(ACCEPTED);
    outside(`INSERT INTO sr_decisions (id, decided_at, source, originator, command_variant, service_reference_variant, supplier_eui, decision, reasons, warnings)
      VALUES (99, '${new Date(SINCE.getTime() - 1_000).toISOString()}', 'x', '${SRP}', 1, '1.6', '${SUPPLIER}', 'accept', '[]', '[]')`);
    assert.throws(() => count(), (e: unknown) => e instanceof IntegrityError && /table sr_decisions/.test(e.message));
  });
});
