import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG_DIR, loadCatalogue, validateCatalogue, type RawConfig } from '../../src/config/catalogue.js';
import { InputError } from '../../src/domain/errors.js';

function rawConfig(): RawConfig {
  const read = (f: string) => JSON.parse(readFileSync(join(DEFAULT_CONFIG_DIR, f), 'utf8'));
  return {
    roles: read('roles.json'),
    profiles: read('profiles.json'),
    serviceRequests: read('service-requests.json'),
    ca: read('ca.json'),
    solr: read('solr.json'),
  };
}

function scRole(raw: RawConfig): { profiles: string[]; serviceRequests: string[]; remotePartyRole: string | null } {
  return (raw.roles as { roles: { code: string }[] }).roles.find((r) => r.code === 'SC') as never;
}

/** Adds a Service Reference Variant to service-requests.json unless it is there already. */
function withServiceRequest(raw: RawConfig, srv: string, sr: string): void {
  const list = (raw.serviceRequests as { serviceRequests: { serviceReferenceVariant: string }[] }).serviceRequests;
  if (!list.some((s) => s.serviceReferenceVariant === srv)) {
    list.push({ serviceReferenceVariant: srv, serviceReference: sr, name: `SR ${srv}`, critical: true, commandVariants: [4, 5, 6, 7] } as never);
  }
}

describe('config/catalogue', () => {
  it('loads the shipped ca-config with every DUIS role and SoLRContingency', () => {
    const c = loadCatalogue();
    assert.deepEqual([...c.roles.keys()].sort(), ['ED', 'ES', 'GS', 'GT', 'IS', 'OU', 'RSA', 'SC']);
    assert.deepEqual(c.roles.get('SC')!.profiles, ['xml-sign']);
    assert.deepEqual(c.roles.get('SC')!.serviceRequests, ['1.6']);
    assert.deepEqual(c.serviceRequests.get('1.6')!.commandVariants, [4, 5, 6, 7]);
  });

  for (const profile of ['ds', 'ka']) {
    it(`refuses to load a configuration granting SoLRContingency the ${profile} profile`, () => {
      const raw = rawConfig();
      scRole(raw).profiles.push(profile);
      assert.throws(() => validateCatalogue(raw), (e: Error) =>
        e instanceof InputError && /SoLRContingency may hold XML-signing certificates only/.test(e.message));
    });
  }

  it('refuses a configuration that turns the xml-sign profile into key agreement', () => {
    const raw = rawConfig();
    const profs = (raw.profiles as { profiles: { name: string; keyUsage: string }[] }).profiles;
    profs.find((p) => p.name === 'xml-sign')!.keyUsage = 'keyAgreement';
    assert.throws(() => validateCatalogue(raw), /SoLRContingency may hold XML-signing certificates only/);
  });

  it('refuses a SoLRContingency Remote Party Role', () => {
    const raw = rawConfig();
    scRole(raw).remotePartyRole = '02';
    assert.throws(() => validateCatalogue(raw), /remotePartyRole must be null/);
  });

  it('lets configuration make SR 2.5 (Activate Emergency Credit, which has a content rule) eligible for SoLRContingency', () => {
    const raw = rawConfig();
    withServiceRequest(raw, '2.5', '2.5');
    scRole(raw).serviceRequests.push('2.5');
    const c = validateCatalogue(raw);
    assert.deepEqual(c.roles.get('SC')!.serviceRequests, ['1.6', '2.5']);
  });

  it('refuses to load a configuration making 1.1.1 eligible for SoLRContingency: the gate has no content rule for it', () => {
    const raw = rawConfig();
    withServiceRequest(raw, '1.1.1', '1.1');
    scRole(raw).serviceRequests.push('1.1.1');
    assert.throws(() => validateCatalogue(raw), (e: Error) =>
      e instanceof InputError && /SoLRContingency may send only Service Requests the gate has a content rule for \(1\.6, 2\.5\); '1\.1\.1' has none/.test(e.message));
  });

  it('refuses 2.5 for SoLRContingency where the code has no content rule for it', () => {
    const raw = rawConfig();
    withServiceRequest(raw, '2.5', '2.5');
    scRole(raw).serviceRequests.push('2.5');
    assert.throws(() => validateCatalogue(raw, new Map([['1.6', {}]])), /'2\.5' has none/);
  });

  it('names an unknown Service Reference Variant', () => {
    const raw = rawConfig();
    scRole(raw).serviceRequests.push('9.99');
    assert.throws(() => validateCatalogue(raw), /'9.99' is not defined in service-requests.json/);
  });
});
