// Alert routing decisions: where each alert went, or that it is held until someone can take it.
import type { Registry } from './registry.js';

export type AlertStatus = 'routed' | 'held' | 'released';
/** supplier: the addressed Supplier; srp: the SoLR event's SRP; handover: the Supplier named when the event ended; addressee: a User ID of another role. */
export type DestinationKind = 'supplier' | 'srp' | 'handover' | 'addressee' | 'held';
/** device / dcc: a DUIS DeviceAlertMessage / DCCAlertMessage; unreadable: a file that could not be read as one; flags: --device/--code. */
export type AlertKind = 'device' | 'dcc' | 'unreadable' | 'flags';

export interface AlertRecord {
  id: string;
  deviceEui: string | null;
  alertCode: string | null;
  receivedAt: string;
  supplierEui: string | null;
  destination: string | null;
  destinationKind: DestinationKind;
  solrEventId: string | null;
  status: AlertStatus;
  reason: string;
  releasedAt: string | null;
  fileSha256: string | null;
  /** The User ID the alert is addressed to (the DUIS ResponseID's second EUI, or the Device's Supplier). */
  addressee: string | null;
  alertKind: AlertKind;
  /** Serial of the registered DSP certificate whose signature verified. */
  dspCertificate: string | null;
  /** Why a file could not be read or its signature not trusted. */
  problem: string | null;
}

interface Row {
  id: string;
  device_eui: string | null;
  alert_code: string | null;
  received_at: string;
  supplier_eui: string | null;
  destination: string | null;
  destination_kind: DestinationKind;
  solr_event_id: string | null;
  status: AlertStatus;
  reason: string;
  released_at: string | null;
  file_sha256: string | null;
  addressee: string | null;
  alert_kind: AlertKind;
  dsp_certificate: string | null;
  problem: string | null;
}

function toRecord(r: Row): AlertRecord {
  return {
    id: r.id,
    deviceEui: r.device_eui,
    alertCode: r.alert_code,
    receivedAt: r.received_at,
    supplierEui: r.supplier_eui,
    destination: r.destination,
    destinationKind: r.destination_kind,
    solrEventId: r.solr_event_id,
    status: r.status,
    reason: r.reason,
    releasedAt: r.released_at,
    fileSha256: r.file_sha256,
    addressee: r.addressee,
    alertKind: r.alert_kind,
    dspCertificate: r.dsp_certificate,
    problem: r.problem,
  };
}

export function insertAlert(reg: Registry, a: Omit<AlertRecord, 'releasedAt'>): void {
  reg
    .stmt(
      `INSERT INTO alerts (id, device_eui, alert_code, received_at, supplier_eui, destination, destination_kind, solr_event_id, status, reason, file_sha256, addressee, alert_kind, dsp_certificate, problem)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(a.id, a.deviceEui, a.alertCode, a.receivedAt, a.supplierEui, a.destination, a.destinationKind, a.solrEventId, a.status, a.reason, a.fileSha256,
      a.addressee, a.alertKind, a.dspCertificate, a.problem);
}

export function findAlert(reg: Registry, id: string): AlertRecord | undefined {
  const r = reg.rows.check('alerts', reg.stmt('SELECT * FROM alerts WHERE id = ? COLLATE NOCASE').get(id) as Row | undefined);
  // Not found: a held alert deleted outside smki is refused (exit 5), not reported as unknown.
  if (!r) reg.rows.checkTable('alerts');
  return r && toRecord(r);
}

/** The table is checked whole first: a held alert deleted outside smki would silently never be released. */
export function listAlerts(reg: Registry, filter: { status?: AlertStatus; solrEventId?: string } = {}): AlertRecord[] {
  reg.rows.checkTable('alerts');
  const where: string[] = [];
  const args: string[] = [];
  if (filter.status) { where.push('status = ?'); args.push(filter.status); }
  if (filter.solrEventId) { where.push('solr_event_id = ?'); args.push(filter.solrEventId); }
  return (reg.stmt(`SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY rowid`).all(...args) as Row[]).map((r) => toRecord(reg.rows.check('alerts', r)));
}

export function releaseAlert(
  reg: Registry,
  id: string,
  to: { destination: string; destinationKind: DestinationKind; solrEventId: string | null; reason: string; supplierEui: string | null },
  at: Date,
): void {
  reg
    .stmt("UPDATE alerts SET status = 'released', destination = ?, destination_kind = ?, solr_event_id = ?, reason = ?, supplier_eui = ?, released_at = ? WHERE id = ?")
    .run(to.destination, to.destinationKind, to.solrEventId, to.reason, to.supplierEui, at.toISOString(), id);
}

export interface DspCertificateRecord {
  serial: string;
  eui: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  der: Buffer;
  trustAnchorSha256: string;
  registeredAt: string;
  registeredBy: string;
}

export function insertDspCertificate(reg: Registry, c: DspCertificateRecord): void {
  reg
    .stmt('INSERT INTO dsp_certificates (serial, eui, issuer, not_before, not_after, der, trust_anchor_sha256, registered_at, registered_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(c.serial, c.eui, c.issuer, c.notBefore, c.notAfter, c.der, c.trustAnchorSha256, c.registeredAt, c.registeredBy);
}

export function findDspCertificate(reg: Registry, serialHex: string): DspCertificateRecord | undefined {
  // The key that verifies DSP signatures: a row edited outside smki (another key's DER, a later not-after) is refused.
  const r = reg.rows.check('dsp_certificates', reg.stmt('SELECT * FROM dsp_certificates WHERE serial = ?').get(serialHex) as Record<string, unknown> | undefined);
  return r && {
    serial: r.serial as string,
    eui: r.eui as string,
    issuer: r.issuer as string,
    notBefore: r.not_before as string,
    notAfter: r.not_after as string,
    der: r.der as Buffer,
    trustAnchorSha256: r.trust_anchor_sha256 as string,
    registeredAt: r.registered_at as string,
    registeredBy: r.registered_by as string,
  };
}
