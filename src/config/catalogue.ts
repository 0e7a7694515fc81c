// Loads and validates ca-config/: User Roles, certificate profiles, Service Requests, CA and SoLR settings.
// Validation is strict: a configuration that could grant SoLRContingency a GBCS device key never loads.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../domain/errors.js';
import { PROFILE_NAMES, type CertificateProfile, type ProfileName } from '../domain/profiles.js';
import { USER_ROLES, SOLR_CONTINGENCY, type UserRoleCode } from '../domain/roles.js';
import { CONTENT_RULE_SRVS } from '../gate/content-rule-names.js';

export interface RoleEntry {
  code: UserRoleCode;
  name: string;
  /** Two upper-case hex digits, or null for a role that holds no GBCS certificate. */
  remotePartyRole: string | null;
  profiles: ProfileName[];
  serviceRequests: string[];
}

export interface ServiceRequestEntry {
  serviceReferenceVariant: string;
  serviceReference: string;
  name: string;
  critical: boolean;
  commandVariants: number[];
}

export interface CaSettings {
  policyOid: string;
  rootValidityYears: number;
  issuingValidityYears: number;
  organisationValidityYears: number;
  crlNextUpdateHours: number;
  defaultCaName: string;
}

export interface SolrSettings {
  maxEventDays: number;
  /** How far ahead of its recording an event may start (days). */
  maxStartAheadDays: number;
  adtWindowHours: number;
}

export interface Catalogue {
  roles: Map<UserRoleCode, RoleEntry>;
  profiles: Map<ProfileName, CertificateProfile>;
  serviceRequests: Map<string, ServiceRequestEntry>;
  ca: CaSettings;
  solr: SolrSettings;
}

export const DEFAULT_CONFIG_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ca-config');

export interface RawConfig {
  roles: unknown;
  profiles: unknown;
  serviceRequests: unknown;
  ca: unknown;
  solr: unknown;
}

function readJson(dir: string, file: string): unknown {
  const path = join(dir, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`configuration: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`configuration: ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

const cache = new Map<string, Catalogue>();

/** Loads ca-config/ (or SMKI_CONFIG_DIR, or `dir`) once per directory. */
export function loadCatalogue(dir = process.env.SMKI_CONFIG_DIR || DEFAULT_CONFIG_DIR): Catalogue {
  const key = resolve(dir);
  const hit = cache.get(key);
  if (hit) return hit;
  const catalogue = validateCatalogue({
    roles: readJson(key, 'roles.json'),
    profiles: readJson(key, 'profiles.json'),
    serviceRequests: readJson(key, 'service-requests.json'),
    ca: readJson(key, 'ca.json'),
    solr: readJson(key, 'solr.json'),
  });
  cache.set(key, catalogue);
  return catalogue;
}

function fail(where: string, what: string): never {
  throw new InputError(`configuration: ${where}: ${what}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function list(v: unknown, key: string, where: string): unknown[] {
  if (!isObject(v) || !Array.isArray(v[key])) fail(where, `expected an object with a "${key}" array`);
  return v[key] as unknown[];
}

function str(o: Record<string, unknown>, key: string, where: string): string {
  if (typeof o[key] !== 'string' || (o[key] as string).length === 0) fail(where, `"${key}" must be a non-empty string`);
  return o[key] as string;
}

function posNumber(o: Record<string, unknown>, key: string, where: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(where, `"${key}" must be a positive number`);
  return v;
}

const HEX2 = /^[0-9A-F]{2}$/;
const SRV = /^\d+\.\d+(\.\d+)?$/;
const OID = /^[0-2](\.(0|[1-9]\d*))+$/;

/** Pure validation of the five configuration documents. */
export function validateCatalogue(raw: RawConfig, contentRules: ReadonlyMap<string, unknown> = CONTENT_RULE_SRVS): Catalogue {
  const profiles = new Map<ProfileName, CertificateProfile>();
  list(raw.profiles, 'profiles', 'profiles.json').forEach((p, i) => {
    const where = `profiles.json profiles[${i}]`;
    if (!isObject(p)) fail(where, 'expected an object');
    const name = str(p, 'name', where);
    if (!(PROFILE_NAMES as readonly string[]).includes(name)) fail(where, `unknown profile name '${name}'`);
    const keyUsage = str(p, 'keyUsage', where);
    if (keyUsage !== 'digitalSignature' && keyUsage !== 'keyAgreement') {
      fail(where, `keyUsage must be digitalSignature or keyAgreement, got '${keyUsage}'`);
    }
    const subjectOu = str(p, 'subjectOu', where);
    if (subjectOu !== 'role' && !HEX2.test(subjectOu)) fail(where, `subjectOu must be 'role' or two upper-case hex digits`);
    if (typeof p.gbcsDeviceKey !== 'boolean') fail(where, '"gbcsDeviceKey" must be true or false');
    if (profiles.has(name as ProfileName)) fail(where, `profile '${name}' is defined twice`);
    profiles.set(name as ProfileName, {
      name: name as ProfileName,
      description: typeof p.description === 'string' ? p.description : name,
      keyUsage,
      subjectOu,
      gbcsDeviceKey: p.gbcsDeviceKey,
    });
  });

  const serviceRequests = new Map<string, ServiceRequestEntry>();
  list(raw.serviceRequests, 'serviceRequests', 'service-requests.json').forEach((s, i) => {
    const where = `service-requests.json serviceRequests[${i}]`;
    if (!isObject(s)) fail(where, 'expected an object');
    const srv = str(s, 'serviceReferenceVariant', where);
    const sr = str(s, 'serviceReference', where);
    if (!SRV.test(srv) || !SRV.test(sr)) fail(where, 'Service Reference (Variant) must look like 1.6');
    const cvs = s.commandVariants;
    if (!Array.isArray(cvs) || cvs.length === 0 || !cvs.every((c) => Number.isInteger(c) && c >= 1 && c <= 9)) {
      fail(where, 'commandVariants must be a non-empty list of integers 1 to 9');
    }
    if (serviceRequests.has(srv)) fail(where, `Service Reference Variant ${srv} is defined twice`);
    serviceRequests.set(srv, {
      serviceReferenceVariant: srv,
      serviceReference: sr,
      name: str(s, 'name', where),
      critical: s.critical === true,
      commandVariants: cvs as number[],
    });
  });

  const roles = new Map<UserRoleCode, RoleEntry>();
  list(raw.roles, 'roles', 'roles.json').forEach((r, i) => {
    const where = `roles.json roles[${i}]`;
    if (!isObject(r)) fail(where, 'expected an object');
    const code = str(r, 'code', where);
    const known = USER_ROLES.find((u) => u.code === code);
    if (!known) fail(where, `unknown User Role code '${code}'`);
    if (roles.has(known.code)) fail(where, `User Role ${code} is defined twice`);
    const rpr = r.remotePartyRole;
    if (rpr !== null && (typeof rpr !== 'string' || !HEX2.test(rpr))) {
      fail(where, 'remotePartyRole must be two upper-case hex digits or null');
    }
    if (!Array.isArray(r.profiles) || !r.profiles.every((p) => typeof p === 'string')) {
      fail(where, '"profiles" must be a list of profile names');
    }
    const roleProfiles = r.profiles as string[];
    for (const p of roleProfiles) {
      if (!profiles.has(p as ProfileName)) fail(where, `profile '${p}' is not defined in profiles.json`);
    }
    if (known.code === SOLR_CONTINGENCY) {
      // Checked before anything else so the error names requirement 2, whatever else is wrong.
      assertSolrContingencyHoldsNoDeviceKey(
        { code: known.code, name: known.name, remotePartyRole: rpr as string | null, profiles: roleProfiles as ProfileName[], serviceRequests: [] },
        profiles,
      );
    }
    for (const p of roleProfiles) {
      const prof = profiles.get(p as ProfileName)!;
      if (prof.subjectOu === 'role' && rpr === null) {
        fail(where, `profile '${p}' takes the role's Remote Party Role, but ${code} has none`);
      }
    }
    if (!Array.isArray(r.serviceRequests) || !r.serviceRequests.every((s) => typeof s === 'string')) {
      fail(where, '"serviceRequests" must be a list of Service Reference Variants');
    }
    for (const s of r.serviceRequests as string[]) {
      if (!serviceRequests.has(s)) fail(where, `Service Reference Variant '${s}' is not defined in service-requests.json`);
    }
    if (known.code === SOLR_CONTINGENCY) assertSolrContingencyServiceRequestsHaveContentRules(r.serviceRequests as string[], contentRules);
    roles.set(known.code, {
      code: known.code,
      name: known.name,
      remotePartyRole: rpr as string | null,
      profiles: roleProfiles as ProfileName[],
      serviceRequests: r.serviceRequests as string[],
    });
  });
  for (const u of USER_ROLES) {
    if (!roles.has(u.code)) fail('roles.json', `User Role ${u.code} (${u.name}) is missing`);
  }
  if (!isObject(raw.ca)) fail('ca.json', 'expected an object');
  const caRaw = raw.ca;
  const policyOid = str(caRaw, 'policyOid', 'ca.json');
  if (!OID.test(policyOid)) fail('ca.json', `policyOid '${policyOid}' is not a dotted OID`);
  const ca: CaSettings = {
    policyOid,
    rootValidityYears: posNumber(caRaw, 'rootValidityYears', 'ca.json'),
    issuingValidityYears: posNumber(caRaw, 'issuingValidityYears', 'ca.json'),
    organisationValidityYears: posNumber(caRaw, 'organisationValidityYears', 'ca.json'),
    crlNextUpdateHours: posNumber(caRaw, 'crlNextUpdateHours', 'ca.json'),
    defaultCaName: str(caRaw, 'defaultCaName', 'ca.json'),
  };
  if (!isObject(raw.solr)) fail('solr.json', 'expected an object');
  const solr: SolrSettings = {
    maxEventDays: posNumber(raw.solr, 'maxEventDays', 'solr.json'),
    maxStartAheadDays: raw.solr.maxStartAheadDays === undefined ? 14 : posNumber(raw.solr, 'maxStartAheadDays', 'solr.json'),
    adtWindowHours: posNumber(raw.solr, 'adtWindowHours', 'solr.json'),
  };
  return { roles, profiles, serviceRequests, ca, solr };
}

/**
 * MP134B requirement 2: whatever the configuration says, SoLRContingency may hold only XML-signing
 * certificates (subject OU 87, digitalSignature alone, not a key devices trust).
 */
export function assertSolrContingencyHoldsNoDeviceKey(role: RoleEntry, profiles: Map<ProfileName, CertificateProfile>): void {
  for (const name of role.profiles) {
    const p = profiles.get(name)!;
    if (p.gbcsDeviceKey || p.keyUsage !== 'digitalSignature' || p.subjectOu !== '87') {
      fail(
        'roles.json',
        `SoLRContingency may hold XML-signing certificates only (MP134B requirement 2); profile '${name}' is ${p.description}`,
      );
    }
  }
  if (role.remotePartyRole !== null) {
    fail('roles.json', 'SoLRContingency has no GBCS Remote Party Role (MP134B requirement 2); remotePartyRole must be null');
  }
}

/**
 * MP134B requirements 3 and 5, held in code whatever ca-config says: SoLRContingency may be made
 * eligible only for a Service Reference Variant the gate has a content rule for (src/gate/content-rules.ts).
 */
export function assertSolrContingencyServiceRequestsHaveContentRules(srvs: readonly string[], contentRules: ReadonlyMap<string, unknown> = CONTENT_RULE_SRVS): void {
  for (const srv of srvs) {
    if (!contentRules.has(srv)) {
      fail(
        'roles.json',
        `SoLRContingency may send only Service Requests the gate has a content rule for (${[...contentRules.keys()].join(', ') || 'none'}); '${srv}' has none (MP134B requirements 3 and 5)`,
      );
    }
  }
}
