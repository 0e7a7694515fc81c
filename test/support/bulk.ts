// Large registries for the scale tests and benchmarks, built fast: rows go in on smki's own connection
// with the row MAC smki computes for them (so the table digests add up and `audit verify` passes), in
// one transaction with one audit record per batch, without the cost of signing each certificate. What
// is under test (revocation, CRLs, lists, verify) then runs through the real code.
import { createHash } from 'node:crypto';
import { Registry } from '../../src/registry/registry.js';
import { WRITER_NOTED_TABLES, KEY_HASHED_TABLES } from '../../src/registry/row-mac.js';
import { keyHash } from '../../src/registry/key-hash.js';

/** The key column of each KEY_HASHED_TABLES table. */
const KEY_OF: Record<string, string> = { devices: 'eui', certificates: 'serial', certified_keys: 'spki_sha256' };

/** A 16-octet serial for certificate `i` of a bulk batch (top bit clear, like issued serials). */
export function bulkSerial(tag: number, i: number): string {
  return `${(0x40 + tag).toString(16).padStart(2, '0')}${i.toString(16).padStart(30, '0')}`.toUpperCase();
}

/**
 * Adds `count` certificate rows for `userId` (the first `revoked` of them already revoked), in one
 * transaction. The DER stored is a stand-in (a SEQUENCE holding the serial): nothing here parses it.
 */
export function addBulkCertificates(home: string, opts: { userId: string; count: number; revoked?: number; tag?: number; at?: Date }): string[] {
  const at = opts.at ?? new Date('2026-11-01T00:00:00Z');
  const tag = opts.tag ?? 0;
  const serials: string[] = [];
  const iso = at.toISOString();
  bulkInsert(home, 'certificates', (function* () {
    for (let i = 0; i < opts.count; i++) {
      const serial = bulkSerial(tag, i);
      const revoked = i < (opts.revoked ?? 0);
      serials.push(serial);
      yield {
        serial,
        user_id: opts.userId,
        profile: 'xml-sign',
        role_ou: '87',
        key_usage: 'digitalSignature',
        spki_sha256: bulkSpki(serial),
        issuer_der: Buffer.from([0x30, 0x00]),
        not_before: iso,
        not_after: '2027-11-01T00:00:00.000Z',
        der: Buffer.concat([Buffer.from([0x30, 0x12, 0x02, 0x10]), Buffer.from(serial, 'hex')]),
        source: 'issued',
        created_at: iso,
        status: revoked ? 'revoked' : 'valid',
        revoked_at: revoked ? iso : null,
        revocation_reason: revoked ? 'superseded' : null,
        crl_number: null,
      };
    }
  })(), { at, subject: opts.userId });
  // Each certificate's key, as insertCertificate records it with the certificate.
  bulkInsert(home, 'certified_keys', (function* () {
    for (const serial of serials) yield { spki_sha256: bulkSpki(serial), serial };
  })(), { at, subject: opts.userId });
  return serials;
}

/** The stand-in SPKI SHA-256 of a bulk certificate. */
function bulkSpki(serial: string): string {
  return createHash('sha256').update(serial).digest('hex');
}

/** Adds `count` Devices (ESME, SMETS2) registered to `supplier`, EUIs 00DB000000000000 upwards. */
export function addBulkDevices(home: string, opts: { supplier: string; count: number; at?: Date }): void {
  const at = (opts.at ?? new Date('2026-11-01T00:00:00Z')).toISOString();
  bulkInsert(home, 'devices', (function* () {
    for (let i = 0; i < opts.count; i++) {
      yield { eui: `00DB${i.toString(16).padStart(12, '0').toUpperCase()}`, device_type: 'ESME', smets: 2, supplier_eui: opts.supplier, updated_at: at };
    }
  })(), { at: new Date(at), subject: opts.supplier });
}

/**
 * Inserts rows into a protected table in one transaction with one audit record, each with the row MAC
 * smki's sealing trigger would give it (one row write instead of two). Columns left out are NULL.
 */
function bulkInsert(home: string, table: string, rows: Iterable<Record<string, unknown>>, audit: { at: Date; subject: string }): void {
  const reg = Registry.open(home);
  try {
    // PostgreSQL's rowid column stands for SQLite's implicit rowid: left to the database, as there.
    const columns = reg.db.tableColumns(table).map((c) => c.name).filter((c) => c !== 'row_mac' && !(reg.db.dialect === 'postgres' && c === 'rowid'));
    const insert = reg.db.prepare(`INSERT INTO ${table} (${columns.join(', ')}, row_mac) VALUES (${columns.map(() => '?').join(', ')}, ?)`);
    reg.tx(() => {
      let count = 0;
      for (const row of rows) {
        // Devices, certificates and certified keys are tallied by their key's hash (which their rows carry), the other tables by rowid.
        const keyed = KEY_HASHED_TABLES.has(table) ? { key_hash: keyHash(String(row[KEY_OF[table]!])) } : {};
        const full: Record<string, unknown> = { ...row, ...keyed };
        const values = columns.map((c) => full[c] ?? null);
        const mac = reg.rows.mac(table, values);
        const { lastInsertRowid } = insert.run(...values, mac);
        // A table whose writers report their own changes (devices) runs no digest trigger for a sealed row.
        if (WRITER_NOTED_TABLES.has(table)) reg.rows.wrote(table, null, null, keyed.key_hash ?? lastInsertRowid, mac);
        count++;
      }
      reg.audit.append(audit.at, 'test-bulk', `test.bulk-${table}`, audit.subject, { count });
    });
  } finally {
    reg.close();
  }
}
