// Device import (the Device -> registered Supplier records the gate and alert routing rely on).
//
// The contract (README "Device import"): a whole file or nothing, also when interrupted.
//  1. Validation pass. The file is streamed once: strict UTF-8, the exact header, then every row is
//     checked (4 fields; device_eui and supplier_eui EUI-64s; device_type ESME, GSME, CHF, GPF, PPMID
//     or IHD; smets 1 or 2; supplier_eui a registered Supplier User ID, IS, ES or GS, and for an ESME an
//     Import Supplier, for a GSME a Gas Supplier: DEVICE_FUEL_MISMATCH). Valid rows are kept in
//     typed arrays, 17 bytes a row (src/registry/devices.ts DeviceStage), sorted by EUI once read,
//     which also finds a Device given twice: twice identically is harmless (counted as a duplicate), with a
//     different Supplier or different details is refused. The file's SHA-256 is taken on the way.
//  2. If any row is refused, nothing is written (no Device, no audit record). The result lists the
//     refused rows (line and reason). Exit status 4 if any refusal is malformed input, 3 if every one
//     is a policy refusal (an unknown Supplier).
//  3. Import pass: ONE registry transaction with ONE audit record (`device.import`: file, SHA-256,
//     first and last EUI, counts). The staged Devices are applied in EUI order (steps of
//     APPLY_STEP consecutive EUIs inside that transaction, for progress; EUI order keeps the writes to
//     few pages of the registry's indexes), new ones in multi-row INSERTs with their row MACs. A new Device is imported; a registered one whose Supplier,
//     type or SMETS generation differs is updated (a change of Supplier is normal); an identical one is
//     unchanged and not touched. An import that changes nothing writes nothing, not even an audit
//     record, so re-importing a file changes nothing.
//  Interrupted (Ctrl+C, kill -9, a crash, a full disk) before the commit, nothing of the file is in the
//  registry (SQLite discards an uncommitted transaction); after it, all of it.
import { basename } from 'node:path';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { InputError, ExitStatus } from '../domain/errors.js';
import { isEui64Text, parseEui64, type Eui64 } from '../domain/eui.js';
import type { ReasonCode } from '../domain/reasons.js';
import { holdsSupplierRole, userRoleName, type UserRoleCode } from '../domain/roles.js';
import { DEVICE_TYPES, DeviceStage, type DeviceType, type Smets, type StagedDevice } from '../registry/devices.js';
import { listUserIds } from '../registry/parties.js';
import type { Registry } from '../registry/registry.js';
import { CsvError, readCsv } from '../util/csv.js';
import { operatorFor, type OperatorKey } from './credentials.js';
import { INPUT_LIMITS } from '../util/read-input.js';

export { findDevice, countDevicesBySupplier, listDevices, type DeviceRecord, type DeviceType, type Smets } from '../registry/devices.js';

export const DEVICE_CSV_HEADER = ['device_eui', 'device_type', 'smets', 'supplier_eui'] as const;
/** Devices applied per step inside the one import transaction (progress granularity only). */
export const APPLY_STEP = 50_000;
/** Refused rows kept in the result (all are counted). */
export const REFUSED_ROWS_KEPT = 1000;


export interface RefusedRow {
  line: number;
  reason: string;
  /** malformed: the row is not a valid Device record (exit 4); policy: understood and refused (exit 3). */
  kind: 'malformed' | 'policy';
  code?: ReasonCode;
}

export type DeviceImportProgress =
  | { phase: 'validate'; bytes: number; totalBytes: number }
  | { phase: 'import'; rows: number; totalRows: number };

export interface DeviceImportOptions {
  /** The importing RA operator's key (--as). */
  operator: OperatorKey;
  /** Devices applied per step inside the one transaction (default APPLY_STEP; progress only). */
  applyStep?: number;
  onProgress?: (p: DeviceImportProgress) => void;
}

export interface DeviceImportResult {
  file: string;
  sha256: string;
  status: 'imported' | 'unchanged' | 'refused';
  exitStatus: 0 | 3 | 4;
  /** Data rows read (not the header or empty lines). */
  rows: number;
  imported: number;
  updated: number;
  unchanged: number;
  /** Rows repeating an earlier row of the file exactly (applied once). */
  duplicates: number;
  /** Of `updated`: Devices now registered to another Supplier. */
  supplierChanged: number;
  /** The first REFUSED_ROWS_KEPT refused rows, by line. */
  refused: RefusedRow[];
  refusedCount: number;
  /** The import's audit record (its one transaction), or null when nothing changed or was refused. */
  auditSeq: number | null;
}

type Suppliers = Map<string, readonly UserRoleCode[]>;

/** The Supplier role a meter's Supplier holds: an ESME's is the Import Supplier (electricity), a GSME's the Gas Supplier. */
export const FUEL_ROLE: Partial<Record<DeviceType, UserRoleCode>> = { ESME: 'IS', GSME: 'GS' };

/** Pure: one data row to a Device record, or every problem with it. */
export function validateDeviceRow(fields: string[], roles: Suppliers, line: number): StagedDevice | RefusedRow {
  if (fields.length !== DEVICE_CSV_HEADER.length) {
    return { line, kind: 'malformed', reason: `expected ${DEVICE_CSV_HEADER.length} fields (${DEVICE_CSV_HEADER.join(',')}), found ${fields.length}` };
  }
  const [euiText, typeText, smetsText, supplierText] = fields.map((f) => f.trim()) as [string, string, string, string];
  const problems: string[] = [];
  let policy: RefusedRow | undefined;
  if (!isEui64Text(euiText)) problems.push(`device_eui '${euiText}' is not an EUI-64`);
  const deviceType = typeText.toUpperCase() as DeviceType;
  if (!(DEVICE_TYPES as readonly string[]).includes(deviceType)) problems.push(`device_type '${typeText}' is not one of ${DEVICE_TYPES.join(', ')}`);
  if (smetsText !== '1' && smetsText !== '2') problems.push(`smets '${smetsText}' is not 1 or 2`);
  if (!isEui64Text(supplierText)) problems.push(`supplier_eui '${supplierText}' is not an EUI-64`);
  if (problems.length) return { line, kind: 'malformed', reason: problems.join('; ') };
  const supplierEui = parseEui64(supplierText);
  const held = roles.get(supplierEui);
  if (held === undefined) {
    policy = { line, kind: 'policy', code: 'DEVICE_SUPPLIER_UNKNOWN', reason: `supplier_eui ${supplierEui} is not a registered User ID` };
  } else if (!holdsSupplierRole(held)) {
    policy = { line, kind: 'policy', code: 'DEVICE_SUPPLIER_UNKNOWN', reason: `supplier_eui ${supplierEui} is a ${held.map(userRoleName).join("/")} User ID, not a Supplier's` };
  }
  else {
    const fuel = FUEL_ROLE[deviceType];
    if (fuel && !held.includes(fuel)) {
      policy = { line, kind: 'policy', code: 'DEVICE_FUEL_MISMATCH', reason: `a ${deviceType} is registered to its ${userRoleName(fuel)}; supplier_eui ${supplierEui} is ${held.map(userRoleName).join('/')}` };
    }
  }
  if (policy) return policy;
  return { eui: parseEui64(euiText), deviceType, smets: Number(smetsText) as Smets, supplierEui, line };
}

function isRefused(v: StagedDevice | RefusedRow): v is RefusedRow {
  return (v as RefusedRow).reason !== undefined;
}

function repeatReason(row: StagedDevice, earlier: StagedDevice): string | undefined {
  if (row.supplierEui !== earlier.supplierEui) {
    return `device_eui ${row.eui} is also at line ${earlier.line} with another Supplier (${earlier.supplierEui}, here ${row.supplierEui}); a Device has one Supplier`;
  }
  if (row.deviceType !== earlier.deviceType || row.smets !== earlier.smets) {
    return `device_eui ${row.eui} is also at line ${earlier.line} as ${earlier.deviceType} SMETS${earlier.smets}, here ${row.deviceType} SMETS${row.smets}`;
  }
  return undefined;
}

/** Streams and imports a device CSV (see the contract above). File-level problems throw InputError. */
export async function importDevices(reg: Registry, file: string, opts: DeviceImportOptions): Promise<DeviceImportResult> {
  const name = basename(file);
  let totalBytes: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new InputError(`--file: ${file} is not a file`);
    totalBytes = st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`--file: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? e})`);
  }

  const roles: Suppliers = new Map(listUserIds(reg).map((u) => [u.eui, u.roles]));
  const result: DeviceImportResult = {
    file,
    sha256: '',
    status: 'unchanged',
    exitStatus: ExitStatus.ok,
    rows: 0,
    imported: 0,
    updated: 0,
    unchanged: 0,
    duplicates: 0,
    supplierChanged: 0,
    refused: [],
    refusedCount: 0,
    auditSeq: null,
  };
  let anyMalformed = false;
  const refuse = (r: RefusedRow) => {
    result.refusedCount++;
    if (r.kind === 'malformed') anyMalformed = true;
    if (result.refused.length < REFUSED_ROWS_KEPT) result.refused.push(r);
  };

  const stage = new DeviceStage(reg, totalBytes);
  try {
    // 1. Validation pass: stream, check, stage.
    const hash = createHash('sha256');
    let bytes = 0;
    let header = true;
    const rows = readCsv(file, {
      name,
      maxBytes: INPUT_LIMITS.devices,
      onChunk: (chunk) => {
        hash.update(chunk);
        bytes += chunk.length;
        opts.onProgress?.({ phase: 'validate', bytes, totalBytes });
      },
      onMalformed: (line, problem) => {
        if (header) throw new CsvError(name, line, `the header: ${problem}`);
        result.rows++;
        refuse({ line, kind: 'malformed', reason: problem });
      },
    });
    for await (const { line, fields } of rows) {
      if (header) {
        header = false;
        const got = fields.map((f) => f.trim());
        if (got.join(',') !== DEVICE_CSV_HEADER.join(',')) {
          throw new CsvError(name, line, `the header must be '${DEVICE_CSV_HEADER.join(',')}', found '${fields.join(',')}'`);
        }
        continue;
      }
      result.rows++;
      const v = validateDeviceRow(fields, roles, line);
      if (isRefused(v)) refuse(v);
      else stage.push(v);
    }
    if (header) throw new InputError(`${name}: the file is empty (expected the header '${DEVICE_CSV_HEADER.join(',')}')`);
    result.sha256 = hash.digest('hex');
    // A Device given twice: identically is harmless (applied once); otherwise the later row is refused.
    for (const { row, earlier } of stage.repeats()) {
      const why = repeatReason(row, earlier);
      if (why) refuse({ line: row.line, kind: 'malformed', reason: why });
      else result.duplicates++;
    }

    // 2. Any refused row: nothing is written.
    if (result.refusedCount > 0) {
      result.refused.sort((a, b) => a.line - b.line);
      result.status = 'refused';
      result.exitStatus = anyMalformed ? ExitStatus.malformed : ExitStatus.refused;
      return result;
    }

    // 3. Import pass: one transaction, one audit record (or none when nothing changes).
    if (result.duplicates > 0) stage.dropRepeats();
    const total = stage.size;
    opts.onProgress?.({ phase: 'import', rows: 0, totalRows: total });
    const o = reg.tx(() => {
      const acting = operatorFor(reg, opts.operator, 'device.import', name, { file: name, sha256: result.sha256 });
      const at = reg.now();
      const out = stage.applyAll(at, opts.applyStep ?? APPLY_STEP, (rows) => opts.onProgress?.({ phase: 'import', rows, totalRows: total }));
      if (out.imported + out.updated > 0) {
        reg.audit.append(at, acting, 'device.import', name, {
          file: name,
          sha256: result.sha256,
          devices: [out.firstEui, out.lastEui],
          rows: out.rows,
          imported: out.imported,
          updated: out.updated,
          unchanged: out.unchanged,
          supplierChanged: out.supplierChanged,
        });
      }
      return { ...out, auditSeq: reg.audit.pendingHead()?.seq ?? null };
    });
    result.imported = o.imported;
    result.updated = o.updated;
    result.unchanged = o.unchanged;
    result.supplierChanged = o.supplierChanged;
    result.auditSeq = o.imported + o.updated > 0 ? o.auditSeq : null;
    result.status = result.imported + result.updated > 0 ? 'imported' : 'unchanged';
    return result;
  } finally {
    stage.drop();
  }
}
