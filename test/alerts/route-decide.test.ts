// decideRoute over hand-built facts (issue 8 item 2): every route reason, and failing closed.
import { strict as assert } from 'node:assert';
import { decideRoute, type RouteFacts } from '../../src/alerts/routing.js';
import type { Eui64 } from '../../src/domain/eui.js';
import type { UserIdRecord } from '../../src/registry/parties.js';
import type { SolrEventRecord } from '../../src/registry/solr.js';

const SUPPLIER = '90B3D51F30010000' as Eui64;
const supplier = { eui: SUPPLIER, roles: ['IS'], role: 'IS' } as unknown as UserIdRecord;
const networkOperator = { eui: '90B3D51F30020000', roles: ['ED'], role: 'ED' } as unknown as UserIdRecord;
const event = { id: 'SOLR-1', failedSupplier: SUPPLIER, srpUserId: '90B3D51F300C0001', status: 'approved' } as unknown as SolrEventRecord;
const facts = (over: Partial<RouteFacts> = {}): RouteFacts => ({
  deviceKnown: true,
  addressee: supplier,
  revocationEvent: undefined,
  eventActive: false,
  supplierFullyRevoked: false,
  ...over,
});

describe('alerts/routing: decideRoute', () => {
  it('SUPPLIER_CERTIFICATES_VALID: to the Supplier', () => {
    assert.deepEqual(decideRoute(facts()), { destinationKind: 'supplier', destination: SUPPLIER, solrEventId: null, reason: 'SUPPLIER_CERTIFICATES_VALID' });
  });
  it('SUPPLIER_REVOKED_UNDER_SOLR: to the SRP of the active event', () => {
    assert.deepEqual(decideRoute(facts({ revocationEvent: event, eventActive: true, supplierFullyRevoked: true })), {
      destinationKind: 'srp',
      destination: event.srpUserId,
      solrEventId: 'SOLR-1',
      reason: 'SUPPLIER_REVOKED_UNDER_SOLR',
    });
  });
  it('an event of another Supplier never sends the alert to its SRP', () => {
    const other = { ...event, failedSupplier: '90B3D51F30030000' as Eui64 };
    assert.equal(decideRoute(facts({ revocationEvent: other, eventActive: true })).destinationKind, 'supplier');
    assert.equal(decideRoute(facts({ revocationEvent: other, eventActive: true, supplierFullyRevoked: true })).reason, 'SUPPLIER_REVOKED_NO_SRP');
  });
  it('SUPPLIER_REVOKED_HANDOVER: after the event, to the Supplier named at its end', () => {
    const ended = { ...event, status: 'ended', handoverTo: '90B3D51F30040000' } as unknown as SolrEventRecord;
    assert.deepEqual(decideRoute(facts({ revocationEvent: ended, supplierFullyRevoked: true })), {
      destinationKind: 'handover',
      destination: '90B3D51F30040000',
      solrEventId: 'SOLR-1',
      reason: 'SUPPLIER_REVOKED_HANDOVER',
    });
  });
  it('SUPPLIER_REVOKED_EVENT_OVER: after the event with no handover, held', () => {
    const ended = { ...event, status: 'ended' } as unknown as SolrEventRecord;
    assert.deepEqual(decideRoute(facts({ revocationEvent: ended, supplierFullyRevoked: true })), { destinationKind: 'held', destination: null, solrEventId: 'SOLR-1', reason: 'SUPPLIER_REVOKED_EVENT_OVER' });
  });
  it('SUPPLIER_REVOKED_NO_SRP: held', () => {
    assert.deepEqual(decideRoute(facts({ supplierFullyRevoked: true })), { destinationKind: 'held', destination: null, solrEventId: null, reason: 'SUPPLIER_REVOKED_NO_SRP' });
  });
  it('ADDRESSED_TO_OTHER_ROLE: to that addressee, never to the SRP', () => {
    const d = decideRoute(facts({ addressee: networkOperator, revocationEvent: event, eventActive: true, supplierFullyRevoked: true }));
    assert.deepEqual(d, { destinationKind: 'addressee', destination: networkOperator.eui, solrEventId: null, reason: 'ADDRESSED_TO_OTHER_ROLE' });
  });
  it('DEVICE_UNKNOWN and ADDRESSEE_UNKNOWN: held', () => {
    assert.equal(decideRoute(facts({ deviceKnown: false, revocationEvent: event, eventActive: true })).reason, 'DEVICE_UNKNOWN');
    assert.equal(decideRoute(facts({ addressee: undefined })).reason, 'ADDRESSEE_UNKNOWN');
  });
  it('an untrusted alert is held for its own reason, whatever else holds', () => {
    for (const r of ['ALERT_UNREADABLE', 'DSP_CERTIFICATE_UNKNOWN', 'DSP_SIGNATURE_INVALID'] as const) {
      assert.deepEqual(decideRoute(facts({ untrusted: r, revocationEvent: event, eventActive: true })), { destinationKind: 'held', destination: null, solrEventId: null, reason: r });
    }
  });
  it('an event that is over but not ended hands nothing over: held SUPPLIER_REVOKED_EVENT_OVER', () => {
    const expired = { ...event, status: 'approved', handoverTo: null } as unknown as SolrEventRecord;
    assert.deepEqual(decideRoute(facts({ revocationEvent: expired, eventActive: false, supplierFullyRevoked: true })),
      { destinationKind: 'held', destination: null, solrEventId: 'SOLR-1', reason: 'SUPPLIER_REVOKED_EVENT_OVER' });
    const notEnded = { ...event, status: 'approved', handoverTo: '90B3D51F30040000' } as unknown as SolrEventRecord;
    assert.equal(decideRoute(facts({ revocationEvent: notEnded, supplierFullyRevoked: true })).reason, 'SUPPLIER_REVOKED_EVENT_OVER');
    const endedWithout = { ...event, status: 'ended', handoverTo: null } as unknown as SolrEventRecord;
    assert.equal(decideRoute(facts({ revocationEvent: endedWithout, supplierFullyRevoked: true })).reason, 'SUPPLIER_REVOKED_EVENT_OVER');
  });
});
