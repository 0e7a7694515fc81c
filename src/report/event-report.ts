// What happened during one SoLR event, as data: the event itself, the Service Requests the gate
// accepted, quarantined and refused (by reason and per Device type), ADT warnings and quarantines,
// alerts routed, certificates revoked, and one plain-language sentence per MP134B requirement.
// `smki report` renders it as JSON (this object) or as a self-contained HTML page (html.ts).
import type { Catalogue } from '../config/catalogue.js';
import { isReasonCode, reason as catalogueReason, REQUIREMENT_TITLES, type Requirement } from '../domain/reasons.js';
import { userRoleName } from '../domain/roles.js';
import { eventState, requireEvent } from '../ra/solr.js';
import { listSolrEvents, type SolrEventRecord } from '../registry/solr.js';
import { listAdts } from '../ra/adt.js';
import { findUserId } from '../registry/parties.js';
import { listQuarantine, type QuarantineRecord } from '../registry/quarantine.js';
import type { Registry } from '../registry/registry.js';
import {
  alertsForEvent,
  certificatesOf,
  certificatesRevokedUnder,
  decisionsForEvent,
  deviceTypeCounts,
  type ReportAlert,
  type ReportCertificate,
  type ReportDecision,
} from '../registry/reports.js';

export const REPORT_VERSION = 1;

/** A quarantine (AD1) record as JSON (the counter as a decimal string). */
export function quarantineJson(q: QuarantineRecord): Omit<QuarantineRecord, 'counter'> & { counter: string } {
  return { ...q, counter: q.counter.toString() };
}

export interface PartyRef {
  eui: string;
  party: string | null;
  role: string | null;
}

export interface ReasonCount {
  code: string;
  requirement: string;
  message: string;
  /** Requests refused (or quarantined) for this reason; one request may have several reasons. */
  requests: number;
}

export interface DeviceTypeRow {
  deviceType: string;
  /** Devices of this type registered to the failed Supplier now. */
  devices: number;
  accepted: number;
  /** Of accepted: passed with an ADT warning. */
  acceptedWithWarning: number;
  quarantined: number;
  refused: number;
}

/** A decision counted in the report: the gate's, with how it came to be counted here. */
export type EventDecision = Omit<ReportDecision, 'attributed'> & {
  /**
   * 'event': the gate tied it to the event. 'window': no event was active for it; it came from the
   * SRP within the window. 'outsideWindow': a refusal with no event active, from the SRP for a Device
   * of the failed Supplier, before or after the window (an R6 refusal of this failure).
   */
  attributed: ReportDecision['attributed'] | 'outsideWindow';
};

/** Another SoLR event for the same failed Supplier whose window overlaps this one's. */
export interface OverlappingEvent {
  id: string;
  instruction: string;
  srp: string;
  state: string;
  window: { from: string; until: string };
}

export interface RequirementSummary {
  requirement: Exclude<Requirement, 'CA' | 'GATE'>;
  title: string;
  summary: string;
}

export interface EventReport {
  reportVersion: number;
  generatedAt: string;
  event: {
    id: string;
    instruction: string;
    state: string;
    failedSupplier: PartyRef;
    srp: PartyRef & { actingFor: string | null };
    window: { from: string; until: string };
    recorded: { by: string; at: string };
    approved: { by: string; at: string } | null;
    ended: { by: string; at: string } | null;
    suppliersRevoked: { by: string; at: string } | null;
    /** Other events for the same failed Supplier whose windows overlap this one (see `warnings`). */
    overlapping: OverlappingEvent[];
  };
  /** Things the reader should know before trusting the figures (overlapping events for the Supplier). */
  warnings: string[];
  requests: {
    total: number;
    accepted: number;
    acceptedWithWarning: number;
    quarantined: number;
    refused: number;
    /** Refused requests with no event recorded, counted here because they came from the SRP within the window. */
    attributedByWindow: number;
    /** Refusals with no event active, from the SRP for the failed Supplier's Devices, outside the window. */
    attributedOutsideWindow: number;
    byReason: ReasonCount[];
    byDeviceType: DeviceTypeRow[];
    byServiceRequest: { serviceReferenceVariant: string; accepted: number; quarantined: number; refused: number }[];
    list: EventDecision[];
  };
  adt: {
    files: { id: string; submittedAt: string; officer: string; status: string; supersededBy: string | null; fileName: string; thresholds: { serviceReferenceVariant: string; warning: number; quarantine: number }[] }[];
    warnings: number;
    quarantines: number;
    missing: number;
  };
  /** The AD1 records of requests quarantined under this event, and what an ARO did with each. */
  quarantine: {
    pending: number;
    released: number;
    deleted: number;
    list: ReturnType<typeof quarantineJson>[];
  };
  alerts: {
    total: number;
    toSrp: number;
    toSupplier: number;
    held: number;
    released: number;
    list: ReportAlert[];
  };
  certificates: {
    revoked: ReportCertificate[];
    /** Certificates the SRP's User ID holds now (unrevoked), and how many of its certificates are revoked. */
    srp: { xmlSign: number; other: number; revoked: number };
  };
  requirements: RequirementSummary[];
}

function partyRef(reg: Registry, eui: string): PartyRef & { actingFor: string | null } {
  const u = findUserId(reg, eui as never);
  return { eui, party: u?.partyName ?? null, role: u ? u.roles.map(userRoleName).join(', ') : null, actingFor: u?.actingFor ?? null };
}

function reasonInfo(r: { code: string; message?: string; requirement?: string }): { requirement: string; message: string } {
  if (isReasonCode(r.code)) {
    const c = catalogueReason(r.code);
    return { requirement: c.requirement, message: c.message };
  }
  return { requirement: r.requirement ?? '', message: r.message ?? '' };
}

/** A count for people: `12,345` (thousands separated by commas, whatever the locale). */
export function count(n: number): string {
  return Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : String(n);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

function codesOf(d: EventDecision[], pred: (code: string) => boolean): number {
  return d.filter((x) => x.reasons.some((r) => pred(r.code))).length;
}

/** `2026-12-01T09:30:00.000Z` -> `1 Dec 2026, 09:30 UTC` */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${p(d.getUTCHours())}:${p(d.getUTCMinutes())} UTC`;
}
const day = when;

/** The event's window as it ended: `until`, or the early end. */
function effectiveEnd(e: SolrEventRecord): string {
  return e.endedAt && e.endedAt < e.endsAt ? e.endedAt : e.endsAt;
}

/**
 * The decisions the report counts: the gate's under the event, those with no event from the SRP
 * within the window, and every refusal with no event from the SRP for a Device of the failed
 * Supplier before or after the window (SOLR_EVENT_NOT_ACTIVE and the like: R6 refusals of this
 * failure, which the SRP sent while no event let it).
 */
function eventDecisions(reg: Registry, e: SolrEventRecord): EventDecision[] {
  // One query: the event's own, and every decision of the SRP with no event, at any time.
  const all = decisionsForEvent(reg, { id: e.id, srpUserId: e.srpUserId, startsAt: '0000', endsAt: '9999' });
  const out: EventDecision[] = [];
  for (const d of all) {
    if (d.attributed === 'event') out.push(d);
    else if (d.decidedAt >= e.startsAt && d.decidedAt <= e.endsAt) out.push(d);
    else if (d.decision === 'refuse' && d.supplierEui === e.failedSupplier) out.push({ ...d, attributed: 'outsideWindow' });
  }
  return out;
}

/** Other events for the same failed Supplier whose windows (as they ended) overlap this one's. */
function overlappingEvents(reg: Registry, e: SolrEventRecord, now: Date): OverlappingEvent[] {
  const end = effectiveEnd(e);
  return listSolrEvents(reg, { supplier: e.failedSupplier })
    .filter((o) => o.id !== e.id && o.startsAt < end && e.startsAt < effectiveEnd(o))
    .map((o) => ({ id: o.id, instruction: o.instructionRef, srp: o.srpUserId, state: eventState(o, now), window: { from: o.startsAt, until: o.endsAt } }));
}

/** Builds the report of one SoLR event from the registry (read only). */
export function buildEventReport(reg: Registry, catalogue: Catalogue, eventId: string, now: Date): EventReport {
  const e = requireEvent(reg, eventId);
  const supplier = partyRef(reg, e.failedSupplier);
  const srp = partyRef(reg, e.srpUserId);
  const decisions = eventDecisions(reg, e);
  const accepted = decisions.filter((d) => d.decision === 'accept');
  const quarantined = decisions.filter((d) => d.decision === 'quarantine');
  const refused = decisions.filter((d) => d.decision === 'refuse');
  const warned = accepted.filter((d) => d.warnings.some((w) => w.code === 'ADT_WARNING'));

  const reasonCounts = new Map<string, ReasonCount>();
  for (const d of [...refused, ...quarantined]) {
    for (const code of new Set(d.reasons.map((r) => r.code))) {
      const r = d.reasons.find((x) => x.code === code)!;
      const c = reasonCounts.get(code) ?? { code, ...reasonInfo(r), requests: 0 };
      c.requests++;
      reasonCounts.set(code, c);
    }
  }
  const byReason = [...reasonCounts.values()].sort((a, b) => b.requests - a.requests || a.code.localeCompare(b.code));

  const devices = new Map(deviceTypeCounts(reg, e.failedSupplier).map((x) => [x.deviceType, x.devices]));
  const types = new Map<string, DeviceTypeRow>();
  const typeRow = (t: string) => {
    let r = types.get(t);
    if (!r) types.set(t, (r = { deviceType: t, devices: devices.get(t) ?? 0, accepted: 0, acceptedWithWarning: 0, quarantined: 0, refused: 0 }));
    return r;
  };
  for (const t of devices.keys()) typeRow(t);
  for (const d of decisions) {
    const r = typeRow(d.deviceType ?? 'unknown Device');
    if (d.decision === 'accept') {
      r.accepted++;
      if (d.warnings.some((w) => w.code === 'ADT_WARNING')) r.acceptedWithWarning++;
    } else if (d.decision === 'quarantine') r.quarantined++;
    else r.refused++;
  }
  const order = ['ESME', 'GSME', 'CHF', 'GPF', 'PPMID', 'IHD'];
  const byDeviceType = [...types.values()].sort((a, b) => (order.indexOf(a.deviceType) + 1 || 99) - (order.indexOf(b.deviceType) + 1 || 99) || a.deviceType.localeCompare(b.deviceType));

  const srvs = new Map<string, { serviceReferenceVariant: string; accepted: number; quarantined: number; refused: number }>();
  for (const d of decisions) {
    const k = d.serviceReferenceVariant ?? '?';
    const r = srvs.get(k) ?? { serviceReferenceVariant: k, accepted: 0, quarantined: 0, refused: 0 };
    if (d.decision === 'accept') r.accepted++;
    else if (d.decision === 'quarantine') r.quarantined++;
    else r.refused++;
    srvs.set(k, r);
  }

  const srpParty = findUserId(reg, e.srpUserId as never);
  const adtFiles = srpParty
    ? listAdts(reg, { partyId: srpParty.partyId, supplier: e.failedSupplier, all: true })
    : [];
  const alerts = alertsForEvent(reg, e);
  const held = listQuarantine(reg, { solrEventId: e.id });
  const revoked = certificatesRevokedUnder(reg, e.id);
  // Held means unrevoked: a revoked certificate is counted apart.
  const srpCerts = certificatesOf(reg, e.srpUserId);
  const srpHeld = srpCerts.filter((c) => c.status !== 'revoked');
  const overlapping = overlappingEvents(reg, e, now);

  const report: EventReport = {
    reportVersion: REPORT_VERSION,
    generatedAt: now.toISOString(),
    event: {
      id: e.id,
      instruction: e.instructionRef,
      state: eventState(e, now),
      failedSupplier: { eui: supplier.eui, party: supplier.party, role: supplier.role },
      srp,
      window: { from: e.startsAt, until: e.endsAt },
      recorded: { by: e.recordedBy, at: e.recordedAt },
      approved: e.approvedBy && e.approvedAt ? { by: e.approvedBy, at: e.approvedAt } : null,
      ended: e.endedBy && e.endedAt ? { by: e.endedBy, at: e.endedAt } : null,
      suppliersRevoked: e.suppliersRevokedBy && e.suppliersRevokedAt ? { by: e.suppliersRevokedBy, at: e.suppliersRevokedAt } : null,
      overlapping,
    },
    warnings: overlapping.map((o) =>
      `SoLR event ${o.id} (${o.instruction}, SRP ${o.srp}, ${o.state}) is also for ${supplier.party ?? supplier.eui} and its window (${when(o.window.from)} to ${when(o.window.until)}) overlaps this one's: a request in the overlap may be counted in either report`),
    requests: {
      total: decisions.length,
      accepted: accepted.length,
      acceptedWithWarning: warned.length,
      quarantined: quarantined.length,
      refused: refused.length,
      attributedByWindow: decisions.filter((d) => d.attributed === 'window').length,
      attributedOutsideWindow: decisions.filter((d) => d.attributed === 'outsideWindow').length,
      byReason,
      byDeviceType,
      byServiceRequest: [...srvs.values()].sort((a, b) => a.serviceReferenceVariant.localeCompare(b.serviceReferenceVariant)),
      list: decisions,
    },
    adt: {
      files: adtFiles.map((a) => ({ id: a.id, submittedAt: a.submittedAt, officer: a.officerId, status: a.status, supersededBy: a.supersededBy, fileName: a.fileName, thresholds: a.thresholds })),
      warnings: warned.length,
      quarantines: quarantined.length,
      missing: codesOf(decisions, (c) => c === 'ADT_MISSING'),
    },
    quarantine: {
      pending: held.filter((q) => q.status === 'quarantined').length,
      released: held.filter((q) => q.status === 'released').length,
      deleted: held.filter((q) => q.status === 'deleted').length,
      list: held.map(quarantineJson),
    },
    alerts: {
      total: alerts.length,
      toSrp: alerts.filter((a) => a.destinationKind === 'srp').length,
      toSupplier: alerts.filter((a) => a.destinationKind === 'supplier').length,
      held: alerts.filter((a) => a.status === 'held').length,
      released: alerts.filter((a) => a.status === 'released').length,
      list: alerts,
    },
    certificates: {
      revoked,
      srp: { xmlSign: srpHeld.filter((c) => c.profile === 'xml-sign').length, other: srpHeld.filter((c) => c.profile !== 'xml-sign').length, revoked: srpCerts.length - srpHeld.length },
    },
    requirements: [],
  };
  report.requirements = requirementSummaries(report, decisions, catalogue);
  return report;
}

function r6Refusals(refused: number, notActive: number): string {
  if (refused === 0) return "No request was refused under this requirement's checks.";
  const tail = notActive === 0 ? '' : notActive === refused ? `, all because no event was active when they were sent` : `, ${count(notActive)} of them because no event was active when they were sent`;
  return `${plural(refused, 'request was', 'requests were')} refused under this requirement's checks (sender, signature, target Device, replay)${tail}.`.replace(/^1 request was refused(.*), all because/, '1 request was refused$1, because');
}

/** One plain-language sentence (or two) per MP134B requirement, from the report's numbers. */
function requirementSummaries(r: EventReport, d: EventDecision[], catalogue: Catalogue): RequirementSummary[] {
  const ev = r.event;
  const supplierName = ev.failedSupplier.party ?? ev.failedSupplier.eui;
  const srpName = r.event.srp.party ?? ev.srp.eui;
  const byReq = (req: string) => d.filter((x) => x.decision !== 'accept' && x.reasons.some((y) => reasonInfo(y).requirement === req)).length;
  const eligible = catalogue.roles.get('SC')?.serviceRequests ?? [];
  const acceptedSrvs = [...new Set(d.filter((x) => x.decision === 'accept').map((x) => x.serviceReferenceVariant ?? '?'))].sort();
  const activeFile = r.adt.files.find((f) => f.status === 'active');
  const req = r.requests;
  const alerts = r.alerts;

  return [
    {
      requirement: 'R1',
      title: REQUIREMENT_TITLES.R1,
      summary: `${srpName} acted through its SoLRContingency User ID ${ev.srp.eui}${ev.srp.actingFor ? `, registered as acting for ${supplierName} (${ev.srp.actingFor})` : ''}.`,
    },
    {
      requirement: 'R2',
      title: REQUIREMENT_TITLES.R2,
      summary: `The SoLRContingency User ID holds ${plural(r.certificates.srp.xmlSign, 'XML-signing certificate')} and ${r.certificates.srp.other === 0 ? 'no' : count(r.certificates.srp.other)} Digital Signing or Key Agreement certificate${r.certificates.srp.other === 1 ? '' : 's'} (unrevoked${r.certificates.srp.revoked ? `; ${count(r.certificates.srp.revoked)} more revoked` : ''}); this CA refuses to issue those to the role.`,
    },
    {
      requirement: 'R3',
      title: REQUIREMENT_TITLES.R3,
      summary: `Eligible Service Requests for the role: ${eligible.join(', ') || 'none'}. ${acceptedSrvs.length ? `Accepted requests were Service Request ${acceptedSrvs.join(', ')} only` : 'No request was accepted'}; ${plural(byReq('R3'), 'request was', 'requests were')} refused as not eligible.`,
    },
    {
      requirement: 'R4',
      title: REQUIREMENT_TITLES.R4,
      summary: `${activeFile ? `ADT file ${activeFile.id}, submitted by ARO ${activeFile.officer} on ${day(activeFile.submittedAt)}, set the thresholds for ${supplierName}'s Devices` : `No ADT file is active for ${supplierName}'s Devices`}. ${plural(r.adt.warnings, 'request')} passed over the warning threshold, ${plural(r.adt.quarantines, 'request was', 'requests were')} quarantined over the quarantine threshold, and ${plural(r.adt.missing, 'request was', 'requests were')} refused for want of an ADT file.`,
    },
    {
      requirement: 'R5',
      title: REQUIREMENT_TITLES.R5,
      summary: `${plural(req.accepted, 'request')} changing the Payment Mode to Credit ${req.accepted === 1 ? 'was' : 'were'} accepted; ${plural(byReq('R5'), 'request was', 'requests were')} refused because the request or its Signed Pre-Command did not change the Payment Mode to Credit, or did not check out against the failed Supplier's Digital Signing certificate.`,
    },
    {
      requirement: 'R6',
      title: REQUIREMENT_TITLES.R6,
      summary: `Ofgem's instruction ${ev.instruction} was recorded by ${ev.recorded.by} on ${day(ev.recorded.at)}${ev.approved ? ` and approved by ${ev.approved.by}, a different operator, on ${day(ev.approved.at)}` : ' and has not been approved'}; the window runs from ${day(ev.window.from)} to ${day(ev.window.until)}${ev.ended ? `, ended early by ${ev.ended.by} on ${day(ev.ended.at)}` : ''}. ${r6Refusals(byReq('R6'), codesOf(d, (c) => c === 'SOLR_EVENT_NOT_ACTIVE'))}`,
    },
    {
      requirement: 'R7',
      title: REQUIREMENT_TITLES.R7,
      summary: `${ev.suppliersRevoked ? `${supplierName}'s certificates were revoked on ${day(ev.suppliersRevoked.at)} by ${ev.suppliersRevoked.by} (${plural(r.certificates.revoked.length, 'certificate')}).` : `${supplierName}'s certificates have not been revoked under this event.`} ${plural(alerts.toSrp, 'alert')} for its Devices went to the SRP, ${count(alerts.toSupplier)} to the Supplier, and ${count(alerts.held)} ${alerts.held === 1 ? 'is' : 'are'} held for want of a destination (never dropped).`,
    },
  ];
}
