// Issued and registered Organisation Certificates, the keys they certify, and CRLs.
import { createHash } from 'node:crypto';
import type { Eui64 } from '../domain/eui.js';
import { IntegrityError } from '../domain/errors.js';
import type { ProfileName } from '../domain/profiles.js';
import type { Registry } from './registry.js';
import { BATCH_BUCKETS } from './row-mac.js';
import { inChunks } from '../util/chunks.js';
import { keyHash } from './key-hash.js';

export interface CertificateRecord {
  serial: string;
  userId: Eui64;
  profile: ProfileName;
  roleOu: string;
  keyUsage: string;
  spkiSha256: string;
  issuerDer: Buffer;
  notBefore: string;
  notAfter: string;
  der: Buffer;
  source: 'issued' | 'registered';
  officerId: string | null;
  createdAt: string;
  status: 'valid' | 'revoked';
  revokedAt: string | null;
  revocationReason: string | null;
  solrEventId: string | null;
}

interface Row {
  serial: string;
  user_id: string;
  profile: string;
  role_ou: string;
  key_usage: string;
  spki_sha256: string;
  issuer_der: Buffer;
  not_before: string;
  not_after: string;
  der: Buffer;
  source: 'issued' | 'registered';
  officer_id: string | null;
  created_at: string;
  status: 'valid' | 'revoked';
  revoked_at: string | null;
  revocation_reason: string | null;
  solr_event_id: string | null;
}

function toRecord(r: Row): CertificateRecord {
  return {
    serial: r.serial,
    userId: r.user_id as Eui64,
    profile: r.profile as ProfileName,
    roleOu: r.role_ou,
    keyUsage: r.key_usage,
    spkiSha256: r.spki_sha256,
    issuerDer: r.issuer_der,
    notBefore: r.not_before,
    notAfter: r.not_after,
    der: r.der,
    source: r.source,
    officerId: r.officer_id,
    createdAt: r.created_at,
    status: r.status,
    revokedAt: r.revoked_at,
    revocationReason: r.revocation_reason,
    solrEventId: r.solr_event_id,
  };
}

/**
 * The serial of the certificate that certified this key (SPKI SHA-256), if any. Looked up in
 * certified_keys, which is tallied by the key's hash: a certificate (and its key row) deleted outside
 * smki is refused here (exit 5), so its key cannot be certified a second time unnoticed.
 */
export function spkiCertified(reg: Registry, spkiSha256: string): string | undefined {
  const r = reg.rows.check('certified_keys', reg.stmt('SELECT * FROM certified_keys WHERE spki_sha256 = ?').get(spkiSha256) as { serial: string } | undefined);
  if (!r) reg.rows.checkAbsent('certified_keys', spkiSha256);
  return r?.serial;
}

/** For a batch that will ask spkiCertified of each of these keys: their buckets verified together (a query a chunk, not one a key). */
export function checkCertifiedKeysAhead(reg: Registry, spkiSha256s: Iterable<string>): void {
  reg.rows.checkKeysAhead('certified_keys', spkiSha256s);
}

export function insertCertificate(reg: Registry, c: Omit<CertificateRecord, 'status' | 'revokedAt' | 'revocationReason' | 'solrEventId'>): void {
  const row = {
    serial: c.serial, user_id: c.userId, profile: c.profile, role_ou: c.roleOu, key_usage: c.keyUsage, spki_sha256: c.spkiSha256, issuer_der: c.issuerDer,
    not_before: c.notBefore, not_after: c.notAfter, der: c.der, source: c.source, officer_id: c.officerId, created_at: c.createdAt, status: 'valid',
    key_hash: keyHash(c.serial),
  };
  // Sealed in the INSERT itself (no sealing UPDATE that writes the row, DER and all, a second time) and
  // its digest moved here (certificates and certified_keys are WRITER_NOTED: no trigger calls back).
  const mac = reg.rows.sealValue('certificates', row);
  reg
    .stmt(
      `INSERT INTO certificates (serial, user_id, profile, role_ou, key_usage, spki_sha256, issuer_der, not_before, not_after, der, source, officer_id, created_at, status, key_hash, row_mac)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(row.serial, row.user_id, row.profile, row.role_ou, row.key_usage, row.spki_sha256, row.issuer_der, row.not_before, row.not_after, row.der, row.source, row.officer_id, row.created_at, row.status, row.key_hash, mac);
  reg.rows.wrote('certificates', null, null, row.key_hash, mac);
  const key = { spki_sha256: c.spkiSha256, serial: c.serial, key_hash: keyHash(c.spkiSha256) };
  const keyMac = reg.rows.sealValue('certified_keys', key);
  reg.stmt('INSERT INTO certified_keys (spki_sha256, serial, key_hash, row_mac) VALUES (?, ?, ?, ?)').run(key.spki_sha256, key.serial, key.key_hash, keyMac);
  reg.rows.wrote('certified_keys', null, null, key.key_hash, keyMac);
}

export function findCertificate(reg: Registry, serial: string): CertificateRecord | undefined {
  const r = reg.rows.check('certificates', reg.stmt('SELECT * FROM certificates WHERE serial = ?').get(serial) as Row | undefined);
  // None: unless one was deleted outside smki (exit 5), the serial was never registered.
  if (!r) reg.rows.checkAbsent('certificates', serial);
  return r && toRecord(r);
}

export function listCertificates(reg: Registry, filter: { userIds?: Eui64[] } = {}): CertificateRecord[] {
  return [...iterateCertificates(reg, filter)];
}

/**
 * Certificates in issue order, one row at a time (each checked against its row MAC as it is read):
 * for lists of any length. The registry connection is busy until the iteration ends.
 */
export function iterateCertificates(reg: Registry, filter: { userIds?: Eui64[] } = {}): Generator<CertificateRecord> {
  return reg.inSnapshot(function* () {
    let rows: IterableIterator<Row>;
    if (filter.userIds) {
      if (filter.userIds.length === 0) return;
      const marks = filter.userIds.map(() => '?').join(',');
      rows = reg.stmt(`SELECT * FROM certificates WHERE user_id IN (${marks}) ORDER BY created_at, serial`).iterate(...filter.userIds) as IterableIterator<Row>;
    } else rows = reg.stmt('SELECT * FROM certificates ORDER BY created_at, serial').iterate() as IterableIterator<Row>;
    for (const chunk of inChunks(rows, BATCH_BUCKETS)) for (const r of reg.rows.checkBatch('certificates', chunk)) yield toRecord(r);
  });
}

/**
 * Marks a certificate revoked. `crlNumber` is the CRL signed in the same transaction, which lists it
 * first (issued certificates; registered ones belong to another CA's CRL and keep none).
 */
export function markRevoked(reg: Registry, serial: string, reason: string, at: Date, solrEventId: string | null, crlNumber: number | null = null): void {
  reg
    .stmt("UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ?, solr_event_id = ?, crl_number = CASE source WHEN 'issued' THEN CAST(? AS INTEGER) END WHERE serial = ?")
    .run(at.toISOString(), reason, solrEventId, crlNumber, serial);
}

/** What a revocation reports of each certificate it revoked (not the DER: revocations can be 300,000 long). */
export interface RevokedCertificate {
  serial: string;
  userId: Eui64;
  profile: ProfileName;
  source: 'issued' | 'registered';
  revokedAt: string;
  reason: string;
}

/**
 * Revokes every valid certificate of the given User IDs in one statement and returns them in serial
 * order. The sealing trigger checks each row's MAC before it changes (a row edited outside smki
 * stops the revocation with an integrity error) and seals the new row.
 */
export function revokeValidOf(reg: Registry, userIds: readonly Eui64[], reason: string, at: Date, solrEventId: string | null, crlNumber: number): RevokedCertificate[] {
  if (userIds.length === 0) return [];
  const marks = userIds.map(() => '?').join(',');
  const rows = reg.stmt(
    `UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ?, solr_event_id = ?, crl_number = CASE source WHEN 'issued' THEN CAST(? AS INTEGER) END
     WHERE user_id IN (${marks}) AND status = 'valid' RETURNING serial, user_id, profile, source, revoked_at, revocation_reason`,
  ).all(at.toISOString(), reason, solrEventId, crlNumber, ...userIds) as
    { serial: string; user_id: string; profile: string; source: 'issued' | 'registered'; revoked_at: string; revocation_reason: string }[];
  return rows
    .map((r) => ({ serial: r.serial, userId: r.user_id as Eui64, profile: r.profile as ProfileName, source: r.source, revokedAt: r.revoked_at, reason: r.revocation_reason }))
    .sort((a, b) => (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0));
}

/** A CRL entry's facts, as the registry holds them. */
export interface RevokedIssued {
  serial: string;
  revokedAt: string;
  reason: string;
}

const byRevocation = (a: RevokedIssued, b: RevokedIssued): number =>
  a.revokedAt < b.revokedAt ? -1 : a.revokedAt > b.revokedAt ? 1 : a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0;

/**
 * Revocations of certificates this CA issued that no CRL lists yet (made before CRLs noted them, or
 * by a revocation that named no CRL), marked as listed by CRL `crlNumber`, in revocation order. One
 * statement: the sealing trigger checks each row it marks against its MAC.
 */
export function takeUnlistedRevocations(reg: Registry, crlNumber: number): RevokedIssued[] {
  const rows = reg.stmt(
    `UPDATE certificates SET crl_number = ? WHERE status = 'revoked' AND source = 'issued' AND crl_number IS NULL
     RETURNING serial, revoked_at, revocation_reason`,
  ).all(crlNumber) as { serial: string; revoked_at: string; revocation_reason: string }[];
  return rows.map((r) => ({ serial: r.serial, revokedAt: r.revoked_at, reason: r.revocation_reason })).sort(byRevocation);
}

/**
 * Revocations of issued certificates that a CRL before `crlNumber` listed, in revocation order. The
 * table is checked whole first: a revoked certificate deleted outside smki would otherwise drop out
 * of the CRL. (Read only where no previous CRL can be carried: the first CRL of an Issuing key.)
 */
export function listedRevocations(reg: Registry, crlNumber: number): RevokedIssued[] {
  reg.rows.checkTable('certificates');
  const out: RevokedIssued[] = [];
  for (const r of reg.stmt("SELECT * FROM certificates WHERE status = 'revoked' AND source = 'issued' AND crl_number < ?").iterate(crlNumber) as IterableIterator<Row>) {
    reg.rows.check('certificates', r);
    out.push({ serial: r.serial, revokedAt: r.revoked_at!, reason: r.revocation_reason! });
  }
  return out.sort(byRevocation);
}

/** The newest CRL, whole (older ones keep only their hash, entries and size). */
export function latestCrl(reg: Registry): { number: number; der: Buffer; thisUpdate: string; nextUpdate: string } | undefined {
  const r = reg.rows.check('crls', reg.stmt('SELECT * FROM crls ORDER BY number DESC LIMIT 1').get() as
    { number: number; der: Buffer | null; this_update: string; next_update: string } | undefined);
  reg.rows.checkTail('crls', r?.number);
  if (!r) return undefined;
  if (!r.der) throw new IntegrityError(`the newest CRL (${r.number}) is not kept whole in the registry`, { table: 'crls' });
  return { number: r.number, der: r.der, thisUpdate: r.this_update, nextUpdate: r.next_update };
}

/** The newest CRL's number, without reading the CRL itself. */
export function latestCrlNumber(reg: Registry): number | undefined {
  return (reg.stmt('SELECT max(number) AS n FROM crls').get() as { n: number | null }).n ?? undefined;
}

/** The row MAC a stored CRL was sealed with (a few bytes: the CRL itself is not read). */
export function crlRowMac(reg: Registry, number: number): Buffer | undefined {
  return (reg.stmt('SELECT row_mac FROM crls WHERE number = ?').pluck().get(number) as Buffer | null | undefined) ?? undefined;
}

/** The number the next CRL gets (inside a transaction: the one that transaction signs). */
export function nextCrlNumber(reg: Registry): number {
  const newest = latestCrlNumber(reg);
  // The newest CRL deleted outside smki would hand its number out again: the table's tail must add up.
  reg.rows.checkTail('crls', newest);
  return (newest ?? 0) + 1;
}

export function insertCrl(reg: Registry, number: number, thisUpdate: Date, nextUpdate: Date, der: Buffer): void {
  reg.stmt('INSERT INTO crls (number, this_update, next_update, der) VALUES (?, ?, ?, ?)').run(number, thisUpdate.toISOString(), nextUpdate.toISOString(), der);
}

/**
 * Keeps CRLs older than `number` by their SHA-256, entry count and size only (the newest is whole):
 * a registry with thousands of CRLs of 100,000 entries does not hold each one whole.
 */
export function trimCrlsBefore(reg: Registry, number: number, countEntries: (der: Buffer) => number, checked?: { number: number; der: Buffer }): void {
  const numbers = reg.stmt('SELECT number FROM crls WHERE der IS NOT NULL AND number < ?').pluck().all(number) as number[];
  for (const n of numbers) {
    // A CRL the caller read (and checked) in this transaction is not read again.
    const r = checked?.number === n ? checked : reg.rows.check('crls', reg.stmt('SELECT * FROM crls WHERE number = ?').get(n) as { number: number; der: Buffer });
    reg.stmt('UPDATE crls SET der = NULL, sha256 = ?, entries = ?, bytes = ? WHERE number = ?')
      .run(createHash('sha256').update(r.der).digest('hex'), countEntries(r.der), r.der.length, r.number);
  }
}

export function caCertificate(reg: Registry, kind: 'root' | 'issuing'): { serial: string; der: Buffer; keyFile: string } | undefined {
  const r = reg.rows.check('ca_certificates', reg.stmt('SELECT * FROM ca_certificates WHERE kind = ?').get(kind) as { serial: string; der: Buffer; key_file: string } | undefined);
  return r && { serial: r.serial, der: r.der, keyFile: r.key_file };
}

export function insertCaCertificate(reg: Registry, kind: 'root' | 'issuing', serial: string, der: Buffer, keyFile: string): void {
  reg.stmt('INSERT INTO ca_certificates (kind, serial, der, key_file) VALUES (?, ?, ?, ?)').run(kind, serial, der, keyFile);
}

/** Makes a new Issuing OCA certificate current; the one it replaces is kept in ca_certificate_history. */
export function replaceIssuingCertificate(reg: Registry, serial: string, der: Buffer, keyFile: string, at: Date): void {
  reg.stmt("INSERT INTO ca_certificate_history (serial, kind, der, key_file, retired_at) SELECT serial, kind, der, key_file, ? FROM ca_certificates WHERE kind = 'issuing'").run(at.toISOString());
  reg.stmt("UPDATE ca_certificates SET serial = ?, der = ?, key_file = ? WHERE kind = 'issuing'").run(serial, der, keyFile);
}

/** Issuing OCA certificates replaced by `smki ca issue-issuing`, oldest first. */
export function retiredIssuingCertificates(reg: Registry): { serial: string; der: Buffer; keyFile: string; retiredAt: string }[] {
  // Whole: a retired Issuing OCA deleted outside smki would stop signing the CRL of what it issued.
  reg.rows.checkTable('ca_certificate_history');
  const rows = reg.rows.checkAll('ca_certificate_history', reg.stmt("SELECT * FROM ca_certificate_history WHERE kind = 'issuing' ORDER BY retired_at, serial").all() as
    { serial: string; der: Buffer; key_file: string; retired_at: string }[]);
  return rows.map((r) => ({ serial: r.serial, der: r.der, keyFile: r.key_file, retiredAt: r.retired_at }));
}

export function insertRetiredCrl(reg: Registry, issuerSerial: string, number: number, thisUpdate: Date, nextUpdate: Date, der: Buffer): void {
  reg.stmt('INSERT INTO retired_crls (issuer_serial, number, this_update, next_update, der) VALUES (?, ?, ?, ?, ?)')
    .run(issuerSerial, number, thisUpdate.toISOString(), nextUpdate.toISOString(), der);
}

/** The newest CRL a retired Issuing OCA signed (after its rollover). */
export function latestRetiredCrl(reg: Registry, issuerSerial: string): { number: number; der: Buffer; thisUpdate: string; nextUpdate: string } | undefined {
  const r = reg.rows.check('retired_crls', reg.stmt('SELECT rowid AS __rowid, * FROM retired_crls WHERE issuer_serial = ? ORDER BY number DESC LIMIT 1').get(issuerSerial) as
    { __rowid: number; number: number; der: Buffer; this_update: string; next_update: string } | undefined);
  // As for the current CRL: the newest deleted outside smki is refused, not an older one published.
  reg.rows.checkTail('retired_crls', r === undefined ? undefined : Number(r.__rowid));
  return r && { number: r.number, der: r.der, thisUpdate: r.this_update, nextUpdate: r.next_update };
}

/**
 * Revoked certificates this CA issued created in [from, until) (each row checked), in revocation order,
 * with their creation time: the candidates for one Issuing OCA's own CRL.
 */
export function revokedIssuedBetween(reg: Registry, from: string, until: string): (RevokedIssued & { createdAt: string })[] {
  // Checked whole, as in listedRevocations: a retired Issuing OCA's CRL must not lose a deleted revocation.
  reg.rows.checkTable('certificates');
  const out: (RevokedIssued & { createdAt: string })[] = [];
  for (const r of reg.stmt("SELECT * FROM certificates WHERE status = 'revoked' AND source = 'issued' AND created_at >= ? AND created_at < ?").iterate(from, until) as IterableIterator<Row>) {
    reg.rows.check('certificates', r);
    out.push({ serial: r.serial, revokedAt: r.revoked_at!, reason: r.revocation_reason!, createdAt: r.created_at });
  }
  return out.sort(byRevocation);
}
