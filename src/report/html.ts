// The SoLR event report as one self-contained HTML page: inline CSS, inline SVG charts drawn here, no
// scripts, fonts, images or network (a Content-Security-Policy forbids them), written for a reader at
// Ofgem rather than for an engineer: plain headings, one sentence per MP134B requirement.
import { count, when, type EventReport } from './event-report.js';

export function escapeHtml(text: unknown): string {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const esc = escapeHtml;

export interface BarSegment {
  label: string;
  color: string;
}

export interface BarRow {
  label: string;
  values: number[];
}

/**
 * A horizontal stacked bar chart as inline SVG: one bar per row, one coloured segment per series,
 * the total at the end of each bar, a legend above. Sizes are fixed; the viewBox lets it scale.
 */
export function barChart(title: string, series: BarSegment[], rows: BarRow[], opts: { labelWidth?: number; width?: number } = {}): string {
  const width = opts.width ?? 760;
  const labelW = opts.labelWidth ?? 130;
  const barH = 24;
  const gap = 12;
  const legendH = series.length > 1 ? 30 : 0;
  const top = legendH + 8;
  const plotW = width - labelW - 60;
  const max = Math.max(1, ...rows.map((r) => r.values.reduce((a, b) => a + b, 0)));
  const height = top + rows.length * (barH + gap) + 24;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="chart-${slug(title)}">`);
  parts.push(`<title id="chart-${slug(title)}">${esc(title)}</title>`);
  // Legend
  let lx = labelW;
  if (series.length > 1) {
    for (const s of series) {
      parts.push(`<rect x="${lx}" y="6" width="14" height="14" rx="2" fill="${s.color}"/>`);
      parts.push(`<text x="${lx + 20}" y="18" class="legend">${esc(s.label)}</text>`);
      lx += 28 + s.label.length * 7.5;
    }
  }
  // Gridlines at quarters of the scale
  const ticks = niceTicks(max);
  for (const t of ticks) {
    const x = labelW + (t / ticks[ticks.length - 1]!) * plotW;
    parts.push(`<line x1="${x.toFixed(1)}" y1="${top - 4}" x2="${x.toFixed(1)}" y2="${height - 20}" class="grid"/>`);
    parts.push(`<text x="${x.toFixed(1)}" y="${height - 6}" class="tick" text-anchor="middle">${count(t)}</text>`);
  }
  const scale = plotW / ticks[ticks.length - 1]!;
  rows.forEach((r, i) => {
    const y = top + i * (barH + gap);
    parts.push(`<text x="${labelW - 10}" y="${y + barH / 2 + 5}" class="label" text-anchor="end">${esc(r.label)}</text>`);
    let x = labelW;
    r.values.forEach((v, j) => {
      if (v <= 0) return;
      const w = v * scale;
      const s = series[j]!;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(w, 1).toFixed(1)}" height="${barH}" fill="${s.color}"><title>${esc(`${r.label}: ${count(v)} ${s.label.toLowerCase()}`)}</title></rect>`);
      if (w >= Math.max(22, 7 * count(v).length + 8)) parts.push(`<text x="${(x + w / 2).toFixed(1)}" y="${y + barH / 2 + 5}" class="inbar" text-anchor="middle">${count(v)}</text>`);
      x += w;
    });
    const total = r.values.reduce((a, b) => a + b, 0);
    parts.push(`<text x="${(x + 6).toFixed(1)}" y="${y + barH / 2 + 5}" class="total">${count(total)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function niceTicks(max: number): number[] {
  const steps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 1_000_000];
  const step = steps.find((s) => max / s <= 5) ?? Math.ceil(max / 5);
  const out: number[] = [];
  for (let t = 0; t <= max || out.length < 2; t += step) out.push(t);
  if (out[out.length - 1]! < max) out.push(out[out.length - 1]! + step);
  return out;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

const COLORS = { accepted: '#2e7d32', warning: '#f2a900', quarantined: '#e65100', refused: '#c62828', reason: '#5c6bc0' };

function table(headers: string[], rows: string[][], opts: { numeric?: number[]; empty?: string } = {}): string {
  if (rows.length === 0) return `<p class="none">${esc(opts.empty ?? 'None.')}</p>`;
  const num = new Set(opts.numeric ?? []);
  const th = headers.map((h, i) => `<th${num.has(i) ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${num.has(i) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function partyText(p: { eui: string; party: string | null }): string {
  return p.party ? `${esc(p.party)} <span class="eui">(${esc(p.eui)})</span>` : `<span class="eui">${esc(p.eui)}</span>`;
}

/** How many rows a table of requests, alerts or quarantine records shows; the JSON report has them all. */
export const TABLE_ROWS = 200;

/** The first `max` rows, and a note saying how many more there are and where the rest is. */
function bounded<T>(rows: readonly T[], max: number, what: string, eventId: string): { rows: readonly T[]; note: string } {
  if (rows.length <= max) return { rows, note: '' };
  return {
    rows: rows.slice(0, max),
    note: `<p class="note">The first ${count(max)} of ${count(rows.length)} ${esc(what)} are shown; ${count(rows.length - max)} more are in the full list in the JSON report (<code>smki report ${esc(eventId)} --format json</code>).</p>`,
  };
}

/** The words a reader at Ofgem may not know, in the order they first matter. */
export const GLOSSARY: readonly [string, string][] = [
  ['SRP', 'Shared Resource Provider: the company that ran the failed Supplier\'s systems, acting in the SoLRContingency User Role.'],
  ['SR', 'Service Request: a message a DCC User sends to the DCC to have something done to a Device (SR 1.6 is "Update Payment Mode").'],
  ['CV', 'CommandVariant: how the DCC is to deliver a Service Request (for example 4, to send it straight to the Device; 5, with a Signed Pre-Command).'],
  ['ESME', 'Electricity Smart Metering Equipment: an electricity smart meter.'],
  ['GSME', 'Gas Smart Metering Equipment: a gas smart meter.'],
  ['SRO', 'Senior Responsible Officer: the person at a Party who answers for its use of the PKI and nominates its AROs.'],
  ['ARO', 'Authorised Responsible Officer: a person a Party\'s SRO nominates to request certificates and submit ADT files for it.'],
  ['ADT', 'Anomaly Detection Threshold: how many requests of a kind a User may send in a period before they are flagged (warning) or held (quarantine).'],
  ['AD1', 'The DCC Alert telling the sender that a request was quarantined.'],
];

const DECISION_WORDS: Record<string, string> = { accept: 'accepted', refuse: 'refused', quarantine: 'quarantined' };

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0; color: #1d1d1f; background: #f6f7f9; line-height: 1.5; }
main { max-width: 980px; margin: 0 auto; padding: 28px 32px 48px; background: #fff; }
header { border-bottom: 4px solid #1f4e79; margin-bottom: 20px; padding-bottom: 12px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; color: #1f4e79; }
h2 { font-size: 1.25rem; margin: 32px 0 10px; color: #1f4e79; border-bottom: 1px solid #d9dee5; padding-bottom: 4px; }
.sub { color: #555; margin: 0; }
.lead { font-size: 1.08rem; background: #eef3f8; border-left: 4px solid #1f4e79; padding: 12px 16px; margin: 16px 0; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.figure { flex: 1 1 100px; border: 1px solid #d9dee5; border-radius: 6px; padding: 10px 14px; }
.figure b { display: block; font-size: 1.6rem; }
.figure.accepted b { color: ${COLORS.accepted}; } .figure.warning b { color: #9a6b00; } .figure.quarantined b { color: ${COLORS.quarantined}; } .figure.refused b { color: ${COLORS.refused}; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; font-size: 0.93rem; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e3e7ec; vertical-align: top; }
th { background: #f0f3f7; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px; margin: 8px 0; }
dl.facts dt { font-weight: 600; color: #444; }
dl.facts dd { margin: 0; }
.eui, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.88em; }
ol.reqs { padding-left: 0; list-style: none; }
ol.reqs li { margin: 10px 0; padding: 10px 14px; border: 1px solid #d9dee5; border-radius: 6px; }
ol.reqs li b { color: #1f4e79; }
.tag { display: inline-block; font-size: 0.78rem; font-weight: 700; padding: 1px 7px; border-radius: 10px; color: #fff; }
.tag.accept { background: ${COLORS.accepted}; } .tag.refuse { background: ${COLORS.refused}; } .tag.quarantine { background: ${COLORS.quarantined}; } .tag.warning { background: #9a6b00; }
svg.chart { max-width: 100%; height: auto; display: block; margin: 8px 0; }
svg .label { font: 600 13px system-ui, sans-serif; fill: #333; }
svg .legend, svg .tick { font: 12px system-ui, sans-serif; fill: #555; }
svg .inbar { font: 700 12px system-ui, sans-serif; fill: #fff; }
svg .total { font: 700 13px system-ui, sans-serif; fill: #333; }
svg .grid { stroke: #e3e7ec; stroke-width: 1; }
.none { color: #666; font-style: italic; }
.note { color: #555; font-size: 0.9rem; }
.warning { background: #fff4e5; border-left: 4px solid #e65100; padding: 10px 14px; margin: 12px 0; }
footer { margin-top: 36px; color: #666; font-size: 0.85rem; border-top: 1px solid #d9dee5; padding-top: 10px; }
@media print { body { background: #fff; } main { padding: 0; } h2 { break-after: avoid; } }
`;

/** "Between 1 Dec and 29 Dec 2026" or "From 1 Dec 2026 to the time of this report". */
function periodText(r: EventReport): string {
  const ev = r.event;
  let end = ev.window.until;
  if (ev.ended && ev.ended.at < end) end = ev.ended.at;
  if (r.generatedAt < end) return `From ${esc(when(ev.window.from))} to the time of this report`;
  return `Between ${esc(when(ev.window.from))} and ${esc(when(end))}`;
}

/** Renders the report as a complete HTML document. */
export function renderEventReportHtml(r: EventReport, opts: { maxRows?: number } = {}): string {
  const ev = r.event;
  const q = r.requests;
  const supplierName = ev.failedSupplier.party ?? ev.failedSupplier.eui;
  const srpName = ev.srp.party ?? ev.srp.eui;
  const lead = q.total === 0
    ? `No Service Requests from ${esc(srpName)} were checked during this event.`
    : `${periodText(r)}, ${esc(srpName)} sent ${count(q.total)} Service Request${q.total === 1 ? '' : 's'} for the Devices of ${esc(supplierName)}'s customers: ${count(q.accepted)} accepted${q.acceptedWithWarning ? ` (${count(q.acceptedWithWarning)} over the anomaly warning threshold)` : ''}, ${count(q.quarantined)} quarantined and ${count(q.refused)} refused.`;
  const requestRows = bounded(q.list, opts.maxRows ?? TABLE_ROWS, 'requests', ev.id);
  const alertRows = bounded(r.alerts.list, opts.maxRows ?? TABLE_ROWS, 'alerts', ev.id);
  const quarantineRows = bounded(r.quarantine.list, opts.maxRows ?? TABLE_ROWS, 'quarantine records', ev.id);
  const n = (v: number) => count(v);

  const deviceChart = q.byDeviceType.some((t) => t.accepted + t.quarantined + t.refused > 0)
    ? barChart(
        'Service Requests per Device type',
        [
          { label: 'Accepted', color: COLORS.accepted },
          { label: 'Accepted with ADT warning', color: COLORS.warning },
          { label: 'Quarantined', color: COLORS.quarantined },
          { label: 'Refused', color: COLORS.refused },
        ],
        q.byDeviceType.map((t) => ({ label: t.deviceType, values: [t.accepted - t.acceptedWithWarning, t.acceptedWithWarning, t.quarantined, t.refused] })),
      )
    : '<p class="none">No requests to chart.</p>';
  const reasonChart = q.byReason.length
    ? barChart('Requests refused or quarantined, by reason', [{ label: 'Requests', color: COLORS.reason }],
        q.byReason.map((x) => ({ label: x.code, values: [x.requests] })), { labelWidth: 300 })
    : '';

  const facts: [string, string][] = [
    ["Ofgem's instruction", `<code>${esc(ev.instruction)}</code>`],
    ['Failed Supplier', partyText(ev.failedSupplier)],
    ['Shared Resource Provider', `${partyText(ev.srp)} — SoLRContingency User ID`],
    ['Instructed window', `${esc(when(ev.window.from))} to ${esc(when(ev.window.until))}`],
    ['Recorded', `${esc(when(ev.recorded.at))} by ${esc(ev.recorded.by)}`],
    ['Approved', ev.approved ? `${esc(when(ev.approved.at))} by ${esc(ev.approved.by)}` : 'not approved'],
    ['Ended early', ev.ended ? `${esc(when(ev.ended.at))} by ${esc(ev.ended.by)}` : 'no'],
    ["Supplier's certificates revoked", ev.suppliersRevoked ? `${esc(when(ev.suppliersRevoked.at))} by ${esc(ev.suppliersRevoked.by)}` : 'no'],
    ['State when reported', esc(ev.state)],
  ];

  const html = `<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(`SoLR event ${ev.id} (${ev.instruction}): what happened`)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>Supplier of Last Resort event ${esc(ev.id)}: what happened</h1>
<p class="sub">${esc(supplierName)} failed; ${esc(srpName)} kept its customers' prepayment meters working under SEC modification MP134B. Report made ${esc(when(r.generatedAt))}.</p>
</header>

<p class="lead">${lead}</p>
${r.warnings.map((w) => `<p class="warning"><b>Warning:</b> ${esc(w)}.</p>`).join('\n')}
<div class="figures">
<div class="figure"><b>${n(q.total)}</b>requests checked</div>
<div class="figure accepted"><b>${n(q.accepted)}</b>accepted</div>
<div class="figure warning"><b>${n(q.acceptedWithWarning)}</b>accepted with a warning</div>
<div class="figure quarantined"><b>${n(q.quarantined)}</b>quarantined</div>
<div class="figure refused"><b>${n(q.refused)}</b>refused</div>
<div class="figure"><b>${n(r.alerts.total)}</b>alerts</div>
<div class="figure"><b>${n(r.certificates.revoked.length)}</b>certificates revoked</div>
</div>

<h2>Requests per Device type</h2>
${deviceChart}
${table(['Device type', 'Devices registered', 'Accepted', 'of which with ADT warning', 'Quarantined', 'Refused'],
    q.byDeviceType.map((t) => [esc(t.deviceType), n(t.devices), n(t.accepted), n(t.acceptedWithWarning), n(t.quarantined), n(t.refused)]),
    { numeric: [1, 2, 3, 4, 5] })}

<h2>The event</h2>
<dl class="facts">
${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('\n')}
</dl>

<h2>The seven MP134B requirements during this event</h2>
<ol class="reqs">
${r.requirements.map((x) => `<li><b>Requirement ${esc(x.requirement.slice(1))}: ${esc(x.title)}.</b><br>${esc(x.summary)}</li>`).join('\n')}
</ol>

<h2>Why requests were refused or quarantined</h2>
${reasonChart}
${table(['Reason code', 'Requirement', 'What it means', 'Requests'],
    q.byReason.map((x) => [`<code>${esc(x.code)}</code>`, esc(x.requirement), esc(x.message), n(x.requests)]),
    { numeric: [3], empty: 'No request was refused or quarantined.' })}
${q.attributedByWindow ? `<p class="note">${n(q.attributedByWindow)} of these requests were decided when no event was active for them; they are counted here because they came from the SRP's User ID within the instructed window.</p>` : ''}
${q.attributedOutsideWindow ? `<p class="note">${n(q.attributedOutsideWindow)} of the refused requests came from the SRP's User ID for ${esc(supplierName)}'s Devices before or after the instructed window, when no event let it send them (requirement 6); they are counted here as refusals of this failure.</p>` : ''}

<h2>Service Requests</h2>
${table(['Service Request', 'Accepted', 'Quarantined', 'Refused'],
    q.byServiceRequest.map((s) => [esc(s.serviceReferenceVariant), n(s.accepted), n(s.quarantined), n(s.refused)]),
    { numeric: [1, 2, 3], empty: 'No requests.' })}

<h2>Anomaly Detection Thresholds</h2>
<p>${n(r.adt.warnings)} request${r.adt.warnings === 1 ? '' : 's'} passed over a warning threshold; ${n(r.adt.quarantines)} ${r.adt.quarantines === 1 ? 'was' : 'were'} quarantined over a quarantine threshold; ${n(r.adt.missing)} ${r.adt.missing === 1 ? 'was' : 'were'} refused because no ADT file was on record.</p>
${table(['ADT file', 'Submitted', 'By ARO', 'Status', 'Thresholds per rolling window'],
    r.adt.files.map((f) => [esc(f.id), esc(when(f.submittedAt)), esc(f.officer), esc(f.status + (f.supersededBy ? ` by ${f.supersededBy}` : '')),
      f.thresholds.map((t) => `SR ${esc(t.serviceReferenceVariant)}: warning above ${n(t.warning)}, quarantine above ${n(t.quarantine)}`).join('<br>')]),
    { empty: `No ADT file is on record for ${supplierName}'s Devices.` })}

<h2>Quarantined requests (AD1)</h2>
<p>${n(r.quarantine.list.length)} request${r.quarantine.list.length === 1 ? ' was' : 's were'} quarantined and reported to the SRP (DCC Alert AD1): ${n(r.quarantine.pending)} still held, ${n(r.quarantine.released)} released by an ARO and processed, ${n(r.quarantine.deleted)} deleted by an ARO.</p>
${table(['Record', 'Quarantined', 'RequestID', 'SR', 'Status', 'By ARO'],
    quarantineRows.rows.map((x) => [esc(x.id), esc(when(x.quarantinedAt)), `<span class="eui">${esc(x.requestId)}</span>`, esc(x.serviceReferenceVariant), esc(x.status), esc(x.actedByOfficer ?? '')]),
    { empty: 'No request was quarantined.' })}
${quarantineRows.note}

<h2>Alerts</h2>
<p>${n(r.alerts.toSrp)} alert${r.alerts.toSrp === 1 ? '' : 's'} went to the SRP, ${n(r.alerts.toSupplier)} to the Supplier; ${n(r.alerts.held)} ${r.alerts.held === 1 ? 'is' : 'are'} held until a destination is known, and ${n(r.alerts.released)} held alert${r.alerts.released === 1 ? ' was' : 's were'} released later.</p>
${table(['Alert', 'Received', 'Device', 'Code', 'Went to', 'Why'],
    alertRows.rows.map((a) => [esc(a.id), esc(when(a.receivedAt)), `<span class="eui">${esc(a.deviceEui)}</span>`, esc(a.alertCode ?? ''),
      a.destinationKind === 'held' ? `held${a.status === 'released' ? ' (released)' : ''}` : `${a.destinationKind === 'srp' ? 'SRP' : 'Supplier'} <span class="eui">${esc(a.destination)}</span>`, `<code>${esc(a.reason)}</code>`]),
    { empty: 'No alerts.' })}
${alertRows.note}

<h2>Certificates revoked</h2>
${table(['Serial', 'User ID', 'Kind', 'Issued by', 'Revoked', 'Reason'],
    r.certificates.revoked.map((c) => [`<span class="eui">${esc(c.serial)}</span>`, `<span class="eui">${esc(c.userId)}</span>`,
      esc(c.profile === 'xml-sign' ? 'XML signing' : c.profile === 'ds' ? 'Digital Signing' : c.profile === 'ka' ? 'Key Agreement' : c.profile),
      esc(c.source === 'issued' ? 'this CA' : 'another CA (registered)'), esc(when(c.revokedAt)), esc(c.revocationReason ?? '')]),
    { empty: 'No certificates were revoked under this event.' })}
<p class="note">A revoked Digital Signing certificate stays on record: the meters still trust its key, and Signed Pre-Commands are checked against it.</p>

<h2>Every request</h2>
${table(['Decided', 'Request ID', 'Device type', 'SR', 'CV', 'Decision', 'Reasons'],
    requestRows.rows.map((d) => [esc(when(d.decidedAt)), `<span class="eui">${esc(d.requestId ?? '')}</span>`, esc(d.deviceType ?? '—'), esc(d.serviceReferenceVariant ?? ''), esc(d.commandVariant ?? ''),
      `<span class="tag ${esc(d.decision)}">${esc(DECISION_WORDS[d.decision] ?? d.decision)}</span>${d.warnings.length ? ' <span class="tag warning">warning</span>' : ''}`,
      [...d.reasons, ...d.warnings].map((x) => `<code>${esc(x.code)}</code>`).join(', ')]),
    { empty: 'No requests.' })}
${requestRows.note}

<h2>Words used in this report</h2>
<dl class="facts glossary">
${GLOSSARY.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('\n')}
</dl>

<footer>
Made by smki-ca from its registry (report version ${r.reportVersion}). Requests are those the Service Request gate recorded for this event, those from the SRP's SoLRContingency User ID decided within the instructed window when no event was active, and the SRP's refusals for the failed Supplier's Devices when no event was active before or after the window. Alerts are those routed under this event and any other alert for the failed Supplier's Devices within the window. This page is self-contained: it loads nothing.
</footer>
</main>
</body>
</html>
`;
  return html;
}
