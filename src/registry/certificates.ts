// Issued and registered Organisation Certificates, serial reservations and CRLs.
import type { Eui64 } from '../domain/eui.js';
import type { ProfileName } from '../domain/profiles.js';
import type { Registry } from './registry.js';

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

export function reserveSerial(reg: Registry, serial: string, userId: Eui64, profile: ProfileName, at: Date): void {
  reg.stmt('INSERT INTO serials (serial, user_id, profile, reserved_at) VALUES (?, ?, ?, ?)').run(serial, userId, profile, at.toISOString());
}

export function serialExists(reg: Registry, serial: string): boolean {
  return reg.stmt('SELECT 1 FROM serials WHERE serial = ? UNION SELECT 1 FROM certificates WHERE serial = ?').get(serial, serial) !== undefined;
}

export function spkiCertified(reg: Registry, spkiSha256: string): string | undefined {
  return (reg.rows.check('certificates', reg.stmt('SELECT * FROM certificates WHERE spki_sha256 = ?').get(spkiSha256)) as { serial: string } | undefined)?.serial;
}

export function insertCertificate(reg: Registry, c: Omit<CertificateRecord, 'status' | 'revokedAt' | 'revocationReason' | 'solrEventId'>): void {
  reg
    .stmt(
      `INSERT INTO certificates (serial, user_id, profile, role_ou, key_usage, spki_sha256, issuer_der, not_before, not_after, der, source, officer_id, created_at, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'valid')`,
    )
    .run(c.serial, c.userId, c.profile, c.roleOu, c.keyUsage, c.spkiSha256, c.issuerDer, c.notBefore, c.notAfter, c.der, c.source, c.officerId, c.createdAt);
}

export function findCertificate(reg: Registry, serial: string): CertificateRecord | undefined {
  const r = reg.rows.check('certificates', reg.stmt('SELECT * FROM certificates WHERE serial = ?').get(serial) as Row | undefined);
  return r && toRecord(r);
}

export function listCertificates(reg: Registry, filter: { userIds?: Eui64[] } = {}): CertificateRecord[] {
  if (filter.userIds) {
    if (filter.userIds.length === 0) return [];
    const marks = filter.userIds.map(() => '?').join(',');
    return reg.rows.checkAll('certificates', reg.stmt(`SELECT * FROM certificates WHERE user_id IN (${marks}) ORDER BY created_at, serial`).all(...filter.userIds) as Row[]).map(toRecord);
  }
  return reg.rows.checkAll('certificates', reg.stmt('SELECT * FROM certificates ORDER BY created_at, serial').all() as Row[]).map(toRecord);
}

export function markRevoked(reg: Registry, serial: string, reason: string, at: Date, solrEventId: string | null): void {
  reg
    .stmt("UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ?, solr_event_id = ? WHERE serial = ?")
    .run(at.toISOString(), reason, solrEventId, serial);
}

/** Revoked certificates this CA issued (registered ones belong to another CA's CRL). */
export function listRevokedIssued(reg: Registry): { serial: string; revokedAt: string; reason: string }[] {
  const rows = reg.rows.checkAll('certificates', reg.stmt("SELECT * FROM certificates WHERE status = 'revoked' AND source = 'issued' ORDER BY revoked_at, serial").all() as Row[]);
  return rows.map((r) => ({ serial: r.serial, revokedAt: r.revoked_at!, reason: r.revocation_reason! }));
}

export function latestCrl(reg: Registry): { number: number; der: Buffer; thisUpdate: string; nextUpdate: string } | undefined {
  const r = reg.rows.check('crls', reg.stmt('SELECT * FROM crls ORDER BY number DESC LIMIT 1').get() as
    { number: number; der: Buffer; this_update: string; next_update: string } | undefined);
  return r && { number: r.number, der: r.der, thisUpdate: r.this_update, nextUpdate: r.next_update };
}

/** The newest CRL's number, without reading the CRL itself. */
export function latestCrlNumber(reg: Registry): number | undefined {
  return (reg.stmt('SELECT max(number) AS n FROM crls').get() as { n: number | null }).n ?? undefined;
}

export function insertCrl(reg: Registry, number: number, thisUpdate: Date, nextUpdate: Date, der: Buffer): void {
  reg.stmt('INSERT INTO crls (number, this_update, next_update, der) VALUES (?, ?, ?, ?)').run(number, thisUpdate.toISOString(), nextUpdate.toISOString(), der);
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
