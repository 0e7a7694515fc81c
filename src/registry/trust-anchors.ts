// Trust anchors: CA certificates of other CAs (DCC's Organisation CA chain) that an RA operator
// registered, so that `cert register` can check what another CA issued.
import type { Registry } from './registry.js';

export type TrustAnchorPurpose = 'organisation-certificates';

export interface TrustAnchorRecord {
  sha256: string;
  subjectDer: Buffer;
  subject: string;
  der: Buffer;
  kind: 'root' | 'intermediate';
  purpose: TrustAnchorPurpose;
  registeredAt: string;
  registeredBy: string;
}

interface Row {
  sha256: string;
  subject_der: Buffer;
  subject: string;
  der: Buffer;
  kind: 'root' | 'intermediate';
  purpose: TrustAnchorPurpose;
  registered_at: string;
  registered_by: string;
}

const toRecord = (r: Row): TrustAnchorRecord => ({
  sha256: r.sha256,
  subjectDer: r.subject_der,
  subject: r.subject,
  der: r.der,
  kind: r.kind,
  purpose: r.purpose,
  registeredAt: r.registered_at,
  registeredBy: r.registered_by,
});

export function insertTrustAnchor(reg: Registry, a: TrustAnchorRecord): void {
  reg
    .stmt('INSERT INTO trust_anchors (sha256, subject_der, subject, der, kind, purpose, registered_at, registered_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(a.sha256, a.subjectDer, a.subject, a.der, a.kind, a.purpose, a.registeredAt, a.registeredBy);
}

export function findTrustAnchor(reg: Registry, sha256: string): TrustAnchorRecord | undefined {
  const r = reg.rows.check('trust_anchors', reg.stmt('SELECT * FROM trust_anchors WHERE sha256 = ?').get(sha256) as Row | undefined);
  return r && toRecord(r);
}

/** Trusted CA certificates with this subject name (DER), for a purpose. */
export function trustAnchorsNamed(reg: Registry, subjectDer: Buffer, purpose: TrustAnchorPurpose): TrustAnchorRecord[] {
  return reg.rows.checkAll('trust_anchors', reg.stmt('SELECT * FROM trust_anchors WHERE subject_der = ? AND purpose = ? ORDER BY registered_at, sha256').all(subjectDer, purpose) as Row[]).map(toRecord);
}

export function listTrustAnchors(reg: Registry): TrustAnchorRecord[] {
  return reg.rows.checkAll('trust_anchors', reg.stmt('SELECT * FROM trust_anchors ORDER BY registered_at, sha256').all() as Row[]).map(toRecord);
}
