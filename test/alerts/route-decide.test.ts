// decideRoute over hand-built facts (issue 8 item 2): every route reason.
import { strict as assert } from 'node:assert';
import { decideRoute, type RouteFacts } from '../../src/alerts/routing.js';
import type { Eui64 } from '../../src/domain/eui.js';
import type { SolrEventRecord } from '../../src/registry/solr.js';

const SUPPLIER = '90B3D51F30010000' as Eui64;
const event = { id: 'SOLR-1', failedSupplier: SUPPLIER, srpUserId: '90B3D51F300C0001' } as SolrEventRecord;
const facts = (over: Partial<RouteFacts> = {}): RouteFacts => ({ deviceKnown: true, supplier: SUPPLIER, revocationEvent: undefined, supplierFullyRevoked: false, ...over });

describe('alerts/routing: decideRoute', () => {
  it('SUPPLIER_CERTIFICATES_VALID: to the Supplier', () => {
    assert.deepEqual(decideRoute(facts()), { destinationKind: 'supplier', destination: SUPPLIER, solrEventId: null, reason: 'SUPPLIER_CERTIFICATES_VALID' });
  });
  it('SUPPLIER_REVOKED_UNDER_SOLR: to the SRP of the event', () => {
    assert.deepEqual(decideRoute(facts({ revocationEvent: event, supplierFullyRevoked: true })), { destinationKind: 'srp', destination: event.srpUserId, solrEventId: 'SOLR-1', reason: 'SUPPLIER_REVOKED_UNDER_SOLR' });
  });
  it('an event of another Supplier never sends the alert to its SRP', () => {
    const other = { ...event, failedSupplier: '90B3D51F30030000' as Eui64 };
    assert.equal(decideRoute(facts({ revocationEvent: other })).destinationKind, 'supplier');
    assert.equal(decideRoute(facts({ revocationEvent: other, supplierFullyRevoked: true })).reason, 'SUPPLIER_REVOKED_NO_SRP');
  });
  it('SUPPLIER_REVOKED_NO_SRP: held', () => {
    assert.deepEqual(decideRoute(facts({ supplierFullyRevoked: true })), { destinationKind: 'held', destination: null, solrEventId: null, reason: 'SUPPLIER_REVOKED_NO_SRP' });
  });
  it('DEVICE_UNKNOWN: held, whether the Device or its Supplier is missing', () => {
    const held = { destinationKind: 'held', destination: null, solrEventId: null, reason: 'DEVICE_UNKNOWN' };
    assert.deepEqual(decideRoute(facts({ deviceKnown: false, revocationEvent: event })), held);
    assert.deepEqual(decideRoute(facts({ supplier: null })), held);
  });
});
