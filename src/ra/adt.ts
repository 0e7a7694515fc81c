// Anomaly Detection Threshold files (MP134B requirement 4): submitted by an active ARO of a
// SoLRContingency Party for one Supplier whose Devices the Party's SoLRContingency User ID acts for.
//
// The steps (README "ADT files"):
//  1. The file is read and checked line by line (exit 4, every problem with its line): UTF-8, the exact
//     header, 4 fields, one Supplier for every row, a Service Reference Variant defined in ca-config
//     given once, thresholds whole numbers with 0 < warning <= quarantine.
//  2. Policy (exit 3, every reason that applies): --party is a SoLRContingency User ID
//     (ADT_NOT_SOLR_PARTY); the officer is an active ARO of that Party (OFFICER_*); the Supplier is a
//     registered Supplier User ID (ADT_SUPPLIER_UNKNOWN) that a SoLRContingency User ID of the same
//     Party acts for (ADT_SUPPLIER_NOT_COVERED).
//  3. One transaction: the new file becomes the active one for that Party and Supplier; the one it
//     replaces is marked superseded (superseded_by the new ID); both are audited. A file with exactly
//     the thresholds already active changes nothing (created: false).
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { loadCatalogue, type Catalogue } from '../config/catalogue.js';
import { InputError, PolicyRefusal } from '../domain/errors.js';
import { isEui64Text, parseEui64, type Eui64 } from '../domain/eui.js';
import { reason, type Reason } from '../domain/reasons.js';
import { SOLR_CONTINGENCY, holdsSupplierRole, userRoleName, type UserRoleCode } from '../domain/roles.js';
import {
  findActiveAdt,
  findActiveThreshold,
  insertAdt,
  markAdtSuperseded,
  type AdtRecord,
  type AdtThreshold,
} from '../registry/adt.js';
import { findOfficer, type OfficerRecord } from '../registry/officers.js';
import { findUserId, listUserIds, type UserIdRecord } from '../registry/parties.js';
import type { Registry } from '../registry/registry.js';
import { CsvError, readCsv } from '../util/csv.js';
import { INPUT_LIMITS } from '../util/read-input.js';
import { checkActiveAro } from './officers.js';
import { requireUserId } from './parties.js';
import { actAsOfficer, type OfficerKey } from './credentials.js';

export { findAdt, listAdts, type AdtRecord, type AdtThreshold } from '../registry/adt.js';

export const ADT_CSV_HEADER = ['supplier_eui', 'service_reference_variant', 'warning_threshold', 'quarantine_threshold'] as const;
/** Largest threshold accepted (a count per window). */
export const MAX_THRESHOLD = 1_000_000_000;
const MAX_ROWS = 1000;

export interface AdtProblem {
  line: number;
  message: string;
}

/** The ADT file is malformed: exit 4, with every problem found and its line. */
export class AdtFileError extends InputError {
  constructor(
    readonly file: string,
    readonly problems: AdtProblem[],
  ) {
    const first = problems[0]!;
    super(`${file} line ${first.line}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : ''}`);
    this.name = 'AdtFileError';
  }
}

export interface ParsedAdtFile {
  fileName: string;
  sha256: string;
  supplierEui: Eui64;
  thresholds: (AdtThreshold & { line: number })[];
  /** Not errors: e.g. a Service Request the SoLRContingency role may not (yet) send. */
  warnings: string[];
}

function threshold(text: string, field: string): number | string {
  if (/^-\s*\d+(\.\d+)?$/.test(text)) return `${field} ${text} is negative; a threshold is a count above 0`;
  if (!/^\+?\d+$/.test(text)) return `${field} '${text}' is not a whole number`;
  const n = Number(text);
  if (n === 0) return `${field} 0 is not above 0`;
  if (n > MAX_THRESHOLD) return `${field} ${text} is above the largest accepted threshold (${MAX_THRESHOLD})`;
  return n;
}

/** Reads and checks an ADT CSV (step 1). Throws AdtFileError or CsvError (exit 4) naming the lines. */
export async function parseAdtFile(file: string, catalogue: Catalogue): Promise<ParsedAdtFile> {
  const fileName = basename(file);
  const hash = createHash('sha256');
  const problems: AdtProblem[] = [];
  const thresholds: (AdtThreshold & { line: number })[] = [];
  const seen = new Map<string, number>();
  const warnings: string[] = [];
  const scRequests = catalogue.roles.get(SOLR_CONTINGENCY)?.serviceRequests ?? [];
  let supplier: { eui: Eui64; line: number } | undefined;
  let header = true;
  let rows = 0;
  for await (const { line, fields } of readCsv(file, {
    name: fileName,
    maxLineBytes: 64 * 1024,
    maxBytes: INPUT_LIMITS.adt,
    onChunk: (c) => hash.update(c),
    onMalformed: (l, problem) => {
      if (header) throw new AdtFileError(fileName, [{ line: l, message: `the header: ${problem}` }]);
      problems.push({ line: l, message: problem });
    },
  })) {
    if (header) {
      header = false;
      if (fields.map((f) => f.trim()).join(',') !== ADT_CSV_HEADER.join(',')) {
        throw new AdtFileError(fileName, [{ line, message: `the header must be '${ADT_CSV_HEADER.join(',')}', found '${fields.join(',')}'` }]);
      }
      continue;
    }
    if (++rows > MAX_ROWS) {
      problems.push({ line, message: `more than ${MAX_ROWS} rows; an ADT file has one row per Service Reference Variant` });
      break;
    }
    const p = (message: string) => problems.push({ line, message });
    if (fields.length !== ADT_CSV_HEADER.length) {
      p(`expected ${ADT_CSV_HEADER.length} fields (${ADT_CSV_HEADER.join(',')}), found ${fields.length}`);
      continue;
    }
    const [supplierText, srv, warningText, quarantineText] = fields.map((f) => f.trim()) as [string, string, string, string];
    if (!isEui64Text(supplierText)) p(`supplier_eui '${supplierText}' is not an EUI-64`);
    else {
      const eui = parseEui64(supplierText);
      if (!supplier) supplier = { eui, line };
      else if (eui !== supplier.eui) {
        p(`supplier_eui ${eui} differs from ${supplier.eui} at line ${supplier.line}; an ADT file covers one Supplier`);
      }
    }
    let srvOk = false;
    if (!catalogue.serviceRequests.has(srv)) {
      p(`service_reference_variant '${srv}' is not a DUIS 5.4 Service Reference Variant (ca-config/service-requests.json; e.g. 1.6, 1.1.1)`);
    } else if (seen.has(srv)) {
      p(`service_reference_variant ${srv} is given again (first at line ${seen.get(srv)}); one row per Service Reference Variant`);
    } else {
      seen.set(srv, line);
      srvOk = true;
    }
    const warning = threshold(warningText, 'warning_threshold');
    const quarantine = threshold(quarantineText, 'quarantine_threshold');
    if (typeof warning === 'string') p(warning);
    if (typeof quarantine === 'string') p(quarantine);
    if (typeof warning === 'number' && typeof quarantine === 'number') {
      if (quarantine < warning) p(`quarantine_threshold ${quarantine} is below warning_threshold ${warning}`);
      else if (srvOk) {
        thresholds.push({ serviceReferenceVariant: srv, warning, quarantine, line });
        if (!scRequests.includes(srv)) {
          warnings.push(`line ${line}: Service Reference Variant ${srv} is not one the SoLRContingency role may send (ca-config roles.json); its thresholds apply only once it is added`);
        }
      }
    }
  }
  if (header) throw new AdtFileError(fileName, [{ line: 1, message: `the file is empty (expected the header '${ADT_CSV_HEADER.join(',')}')` }]);
  if (problems.length) throw new AdtFileError(fileName, problems.sort((a, b) => a.line - b.line));
  if (!supplier || thresholds.length === 0) throw new AdtFileError(fileName, [{ line: 2, message: 'no threshold rows after the header' }]);
  return { fileName, sha256: hash.digest('hex'), supplierEui: supplier.eui, thresholds, warnings };
}

export interface AdtPolicyFacts {
  party: UserIdRecord;
  /** Every User ID of the same Party. */
  partyUserIds: UserIdRecord[];
  officerId: string;
  officer: OfficerRecord | undefined;
  supplierEui: Eui64;
  supplier: UserIdRecord | undefined;
}

/** Pure: may this Party's officer submit an ADT file for this Supplier (step 2)? */
export function decideAdtSubmission(f: AdtPolicyFacts): Reason[] {
  const reasons: Reason[] = [];
  if (f.party.role !== SOLR_CONTINGENCY) {
    reasons.push(reason('ADT_NOT_SOLR_PARTY', `${f.party.eui} is a ${userRoleName(f.party.role)} User ID`));
  }
  reasons.push(...checkActiveAro(f.officer, f.party, f.officerId));
  if (!f.supplier) {
    reasons.push(reason('ADT_SUPPLIER_UNKNOWN', `no User ID ${f.supplierEui} is registered`));
  } else if (!holdsSupplierRole(f.supplier.roles)) {
    reasons.push(reason('ADT_SUPPLIER_UNKNOWN', `${f.supplierEui} is a ${f.supplier.roles.map(userRoleName).join('/')} User ID`));
  } else if (f.party.role === SOLR_CONTINGENCY) {
    const covered = f.partyUserIds.filter((u) => u.role === SOLR_CONTINGENCY && u.actingFor).map((u) => u.actingFor!);
    if (!covered.includes(f.supplierEui)) {
      reasons.push(
        reason('ADT_SUPPLIER_NOT_COVERED', `${f.party.partyName}'s SoLRContingency User IDs act for ${covered.length ? [...new Set(covered)].join(', ') : 'no Supplier'}, not ${f.supplierEui}`),
      );
    }
  }
  return reasons;
}

export interface SubmitAdtInput {
  /** A SoLRContingency User ID of the submitting Party. */
  party: Eui64;
  /** The submitting ARO's ID (--officer), if given: it must be the officer whose key signs. */
  officerId?: string;
  /** The submitting ARO's key (--officer-key): it signs the submission, the file's SHA-256 in it. */
  officer: OfficerKey;
  file: string;
}

export interface SubmitAdtResult {
  adt: AdtRecord;
  /** false: the same thresholds were already active for this Party and Supplier; nothing changed. */
  created: boolean;
  /** The ADT file this one superseded. */
  supersedes: string | null;
  warnings: string[];
  windowHours: number;
}

function sameThresholds(a: AdtThreshold[], b: AdtThreshold[]): boolean {
  if (a.length !== b.length) return false;
  const m = new Map(a.map((t) => [t.serviceReferenceVariant, t]));
  return b.every((t) => {
    const x = m.get(t.serviceReferenceVariant);
    return x !== undefined && x.warning === t.warning && x.quarantine === t.quarantine;
  });
}

export async function submitAdt(reg: Registry, catalogue: Catalogue, input: SubmitAdtInput): Promise<SubmitAdtResult> {
  // 1. The file.
  let parsed: ParsedAdtFile;
  try {
    parsed = await parseAdtFile(input.file, catalogue);
  } catch (e) {
    if (e instanceof CsvError) throw new AdtFileError(e.file, [{ line: e.line, message: e.problem }]);
    throw e;
  }
  const windowHours = catalogue.solr.adtWindowHours;
  return reg.tx(() => {
    // 2. Policy, on the registry as it is inside this transaction.
    const party = requireUserId(reg, input.party);
    const acting = actAsOfficer(reg, input.officer, 'adt.submit', '', { party: input.party, file: parsed.fileName, sha256: parsed.sha256 }, input.officerId);
    const officer = findOfficer(reg, acting.officer.id);
    const reasons = decideAdtSubmission({
      party,
      partyUserIds: listUserIds(reg, party.partyId),
      officerId: acting.officer.id,
      officer,
      supplierEui: parsed.supplierEui,
      supplier: findUserId(reg, parsed.supplierEui),
    });
    if (reasons.length) throw new PolicyRefusal(reasons);
    // 3. Record it, superseding the active one.
    const thresholds = parsed.thresholds.map(({ serviceReferenceVariant, warning, quarantine }) => ({ serviceReferenceVariant, warning, quarantine }));
    const active = findActiveAdt(reg, party.partyId, parsed.supplierEui);
    if (active && sameThresholds(active.thresholds, thresholds)) {
      return { adt: active, created: false, supersedes: null, warnings: parsed.warnings, windowHours };
    }
    const at = reg.now();
    const id = reg.nextId('ADT');
    insertAdt(reg, { id, partyId: party.partyId, supplierEui: parsed.supplierEui, officerId: officer!.id, sha256: parsed.sha256, fileName: parsed.fileName, thresholds }, at);
    if (active) markAdtSuperseded(reg, active.id, id);
    reg.audit.append(at, acting, 'adt.submit', id, {
      party: party.partyName,
      partyUserId: party.eui,
      supplier: parsed.supplierEui,
      file: parsed.fileName,
      sha256: parsed.sha256,
      thresholds,
      windowHours,
      supersedes: active?.id ?? null,
    });
    if (active) reg.audit.append(at, acting, 'adt.supersede', active.id, { supersededBy: id, party: party.partyName, supplier: parsed.supplierEui });
    const adt = findActiveAdt(reg, party.partyId, parsed.supplierEui)!;
    return { adt, created: true, supersedes: active?.id ?? null, warnings: parsed.warnings, windowHours };
  });
}

export type AdtQuery = { supplierEui: Eui64; srv: string } & ({ partyId: number } | { userId: Eui64 });

export interface ActiveAdtThresholds {
  adtId: string;
  warning: number;
  quarantine: number;
  /** The rolling window the counts are over (ca-config solr.json adtWindowHours). */
  windowHours: number;
}

/**
 * For the Service Request gate: the thresholds of the active ADT file of a SoLRContingency Party (given
 * by its id, or by any of its User IDs, e.g. the RequestID originator) for a Supplier and a Service
 * Reference Variant; undefined when there is none (the request is then refused, ADT_MISSING).
 */
export function activeAdtThresholds(reg: Registry, q: AdtQuery, catalogue: Catalogue = loadCatalogue()): ActiveAdtThresholds | undefined {
  let partyId: number;
  if ('partyId' in q) partyId = q.partyId;
  else {
    const u = findUserId(reg, q.userId);
    if (!u) return undefined;
    partyId = u.partyId;
  }
  const t = findActiveThreshold(reg, partyId, q.supplierEui, q.srv);
  return t && { ...t, windowHours: catalogue.solr.adtWindowHours };
}
