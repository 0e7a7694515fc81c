// A registry with the Parties and officers the device-import and ADT tests need, built directly through
// the RA functions (no CA keys: these features never sign anything), plus helpers to see that a
// refused input left the registry exactly as it was.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalogue } from '../../src/config/catalogue.js';
import type { Eui64 } from '../../src/domain/eui.js';
import { addOfficer, changeOfficerStatus } from '../../src/ra/officers.js';
import { addUserId, requireUserId } from '../../src/ra/parties.js';
import { homePaths } from '../../src/registry/home.js';
import { Registry } from '../../src/registry/registry.js';
import { tempDir } from './cli.js';
import { officerKey, operatorSigner } from './keys.js';
import { registerFirstOperator } from '../../src/ra/operators.js';

export const SUPPLIER = '90B3D51F30010000' as Eui64; // the failed Supplier (electricity)
export const SUPPLIER_GAS = '90B3D51F30010001' as Eui64; // the same Party's Gas Supplier User ID
export const OTHER_SUPPLIER = '90B3D51F30030000' as Eui64;
export const DISTRIBUTOR = '90B3D51F300E0001' as Eui64; // not a Supplier
export const SRP = '90B3D51F300C0001' as Eui64; // SoLRContingency, acting for SUPPLIER
export const SRP_GAS = '90B3D51F300C0002' as Eui64; // same SRP Party, acting for SUPPLIER_GAS
export const OTHER_SRP = '90B3D51F300D0001' as Eui64; // another SRP, acting for OTHER_SUPPLIER

export interface Fixture {
  dir: string;
  home: string;
  reg: Registry;
  sro: string;
  aro: string;
  nominatedAro: string;
  suspendedAro: string;
  otherAro: string;
  supplierAro: string;
  file: (name: string, content: string | Buffer) => string;
  /** Closes the registry (for CLI runs against the same home). */
  close: () => void;
  cleanup: () => void;
}

export function buildFixture(clock?: () => Date): Fixture {
  const t = tempDir('smki-devadt-');
  const home = join(t.dir, 'home');
  const paths = homePaths(home);
  mkdirSync(paths.keysDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(paths.auditKey, key.toString('hex'), { mode: 0o600 });
  const reg = Registry.create(paths, key, clock);
  reg.tx(() => registerFirstOperator(reg, 'ra1', operatorSigner().spkiDer));
  const cat = loadCatalogue();
  const add = (partyName: string, role: 'IS' | 'GS' | 'ED' | 'SC', eui: Eui64, actingFor?: Eui64) =>
    addUserId(reg, cat, { partyName, role, eui, actingFor, operator: operatorSigner() });
  add('Failed Energy', 'IS', SUPPLIER);
  add('Failed Energy', 'GS', SUPPLIER_GAS);
  add('Healthy Energy', 'IS', OTHER_SUPPLIER);
  add('Distribution plc', 'ED', DISTRIBUTOR);
  add('Shared Resources Ltd', 'SC', SRP, SUPPLIER);
  add('Shared Resources Ltd', 'SC', SRP_GAS, SUPPLIER_GAS);
  add('Other SRP Ltd', 'SC', OTHER_SRP, OTHER_SUPPLIER);
  const party = (eui: Eui64) => requireUserId(reg, eui);
  const sro = addOfficer(reg, { party: party(SRP), kind: 'sro', name: 'Dana Director', evidence: 'RAPP-1', publicKey: officerKey('Dana Director').signer.spkiDer, operator: operatorSigner() }).id;
  const aro = addOfficer(reg, { party: party(SRP), kind: 'aro', name: 'Ari Officer', nominatedBy: sro, publicKey: officerKey('Ari Officer').signer.spkiDer, nominator: officerKey('Dana Director').signer }).id;
  changeOfficerStatus(reg, aro, 'activate', operatorSigner());
  const nominatedAro = addOfficer(reg, { party: party(SRP), kind: 'aro', name: 'Nia Nominee', nominatedBy: sro, publicKey: officerKey('Nia Nominee').signer.spkiDer, nominator: officerKey('Dana Director').signer }).id;
  const suspendedAro = addOfficer(reg, { party: party(SRP), kind: 'aro', name: 'Sus Pended', nominatedBy: sro, publicKey: officerKey('Sus Pended').signer.spkiDer, nominator: officerKey('Dana Director').signer }).id;
  changeOfficerStatus(reg, suspendedAro, 'activate', operatorSigner());
  changeOfficerStatus(reg, suspendedAro, 'suspend', operatorSigner());
  const otherSro = addOfficer(reg, { party: party(OTHER_SRP), kind: 'sro', name: 'Olga', evidence: 'RAPP-2', publicKey: officerKey('Olga').signer.spkiDer, operator: operatorSigner() }).id;
  const otherAro = addOfficer(reg, { party: party(OTHER_SRP), kind: 'aro', name: 'Otto', nominatedBy: otherSro, publicKey: officerKey('Otto').signer.spkiDer, nominator: officerKey('Olga').signer }).id;
  changeOfficerStatus(reg, otherAro, 'activate', operatorSigner());
  const supplierSro = addOfficer(reg, { party: party(SUPPLIER), kind: 'sro', name: 'Sam', evidence: 'RAPP-3', publicKey: officerKey('Sam').signer.spkiDer, operator: operatorSigner() }).id;
  const supplierAro = addOfficer(reg, { party: party(SUPPLIER), kind: 'aro', name: 'Sue', nominatedBy: supplierSro, publicKey: officerKey('Sue').signer.spkiDer, nominator: officerKey('Sam').signer }).id;
  changeOfficerStatus(reg, supplierAro, 'activate', operatorSigner());
  return {
    dir: t.dir,
    home,
    reg,
    sro,
    aro,
    nominatedAro,
    suspendedAro,
    otherAro,
    supplierAro,
    file: (name, content) => {
      const p = join(t.dir, name);
      writeFileSync(p, content);
      return p;
    },
    close: () => reg.close(),
    cleanup: () => {
      reg.close();
      t.cleanup();
    },
  };
}

/** Every row of the tables these features write, and the audit record count. */
export function snapshot(reg: Registry): string {
  const dump = (sql: string) => JSON.stringify(reg.db.prepare(sql).all());
  return [
    dump('SELECT * FROM devices ORDER BY eui'),
    dump('SELECT * FROM adt_files ORDER BY id'),
    dump('SELECT * FROM adt_thresholds ORDER BY adt_id, service_reference_variant'),
    dump('SELECT * FROM counters ORDER BY name'),
    dump('SELECT count(*) AS n, max(seq) AS last FROM audit'),
  ].join('\n');
}

export const DEVICE_HEADER = 'device_eui,device_type,smets,supplier_eui';
export const ADT_HEADER = 'supplier_eui,service_reference_variant,warning_threshold,quarantine_threshold';

/** A digest of every row of every table of a home's registry (any table shape): equal means unchanged. */
export { registryDigest as homeDigest } from './scenario.js';
