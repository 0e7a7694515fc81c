import { strict as assert } from 'node:assert';
import { count, when, type EventDecision, type EventReport } from '../../src/report/event-report.js';
import { barChart, escapeHtml, GLOSSARY, renderEventReportHtml, TABLE_ROWS } from '../../src/report/html.js';

function emptyReport(over: Partial<EventReport['event']> = {}): EventReport {
  return {
    reportVersion: 1,
    generatedAt: '2026-12-02T10:00:00.000Z',
    event: {
      id: 'SOLR-7',
      instruction: 'OFGEM-1',
      state: 'active',
      failedSupplier: { eui: '90B3D51F30010000', party: 'Failing Energy Ltd', role: 'ImportSupplier' },
      srp: { eui: '90B3D51F300C0001', party: 'Shared Resources plc', role: 'SoLRContingency', actingFor: '90B3D51F30010000' },
      window: { from: '2026-12-01T00:00:00.000Z', until: '2026-12-29T00:00:00.000Z' },
      recorded: { by: 'ra1', at: '2026-12-01T00:00:00.000Z' },
      approved: { by: 'ra2', at: '2026-12-01T00:10:00.000Z' },
      ended: null,
      suppliersRevoked: null,
      overlapping: [],
      ...over,
    },
    requests: { total: 0, accepted: 0, acceptedWithWarning: 0, quarantined: 0, refused: 0, attributedByWindow: 0, attributedOutsideWindow: 0, byReason: [], byDeviceType: [], byServiceRequest: [], list: [] },
    adt: { files: [], warnings: 0, quarantines: 0, missing: 0 },
    quarantine: { pending: 0, released: 0, deleted: 0, list: [] },
    alerts: { total: 0, toSrp: 0, toSupplier: 0, held: 0, released: 0, list: [] },
    certificates: { revoked: [], srp: { xmlSign: 0, other: 0, revoked: 0 } },
    warnings: [],
    requirements: [{ requirement: 'R1', title: 'A new User Role', summary: 'Shared Resources plc <acted> & "more".' }],
  };
}

describe('report: HTML rendering', () => {
  it('escapes text', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    assert.equal(escapeHtml(undefined), '');
  });

  it('writes times for people', () => {
    assert.equal(when('2026-12-01T09:05:00.000Z'), '1 Dec 2026, 09:05 UTC');
    assert.equal(when(null), '—');
  });

  it('draws a stacked bar chart: one rect per non-zero segment, widths in proportion, totals and a legend', () => {
    const svg = barChart('Requests', [{ label: 'Accepted', color: '#00ff00' }, { label: 'Refused', color: '#ff0000' }], [
      { label: 'ESME', values: [4, 2] },
      { label: 'GSME', values: [0, 1] },
    ]);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="chart" viewBox="0 0 \d+ \d+"/);
    assert.match(svg, /<title id="chart-requests">Requests<\/title>/);
    const bars = [...svg.matchAll(/<rect x="([\d.]+)" y="(\d+)" width="([\d.]+)" height="24" fill="(#[0-9a-f]+)">/g)].map((m) => ({ w: Number(m[3]), fill: m[4] }));
    assert.deepEqual(bars.map((b) => b.fill), ['#00ff00', '#ff0000', '#ff0000']);
    assert.ok(Math.abs(bars[0]!.w / bars[1]!.w - 2) < 0.01);
    assert.ok(Math.abs(bars[1]!.w / bars[2]!.w - 2) < 0.01);
    assert.match(svg, />6<\/text>/);
    assert.match(svg, />Accepted<\/text>/);
    assert.doesNotMatch(svg, /NaN|undefined/);
  });

  it('renders an event with no requests, escaping every value from the registry', () => {
    const html = renderEventReportHtml(emptyReport({ instruction: '<script>alert(1)</script>' }));
    assert.doesNotMatch(html, /<script/);
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(html.includes('Shared Resources plc &lt;acted&gt; &amp; &quot;more&quot;.'));
    assert.match(html, /No Service Requests from Shared Resources plc were checked during this event\./);
    assert.match(html, /No requests to chart\./);
    assert.match(html, /No certificates were revoked under this event\./);
    assert.match(html, /Ended early<\/dt><dd>no/);
  });

  it('says "to the time of this report" while the window is still open', () => {
    const r = emptyReport();
    r.requests = { ...r.requests, total: 1, refused: 1, byDeviceType: [{ deviceType: 'ESME', devices: 1, accepted: 0, acceptedWithWarning: 0, quarantined: 0, refused: 1 }] };
    const html = renderEventReportHtml(r);
    assert.match(html, /From 1 Dec 2026, 00:00 UTC to the time of this report, Shared Resources plc sent 1 Service Request for/);
    assert.match(html, /<svg [^>]*class="chart"/);
  });

  it('writes counts with thousands separators, in the figures, tables, charts and sentences', () => {
    assert.deepEqual([0, 7, 999, 1000, 12345, 1234567].map(count), ['0', '7', '999', '1,000', '12,345', '1,234,567']);
    const r = emptyReport();
    r.requests = { ...r.requests, total: 12345, accepted: 12000, refused: 345, byDeviceType: [{ deviceType: 'ESME', devices: 1500000, accepted: 12000, acceptedWithWarning: 0, quarantined: 0, refused: 345 }] };
    const html = renderEventReportHtml(r);
    assert.match(html, /sent 12,345 Service Requests for the Devices of Failing Energy Ltd's customers: 12,000 accepted, 0 quarantined and 345 refused\./);
    assert.match(html, /<div class="figure"><b>12,345<\/b>requests checked/);
    assert.match(html, /<td class="num">1,500,000<\/td>/);
    assert.match(html, /class="total">12,345<\/text>/);
    assert.match(html, /class="tick" text-anchor="middle">5,000<\/text>/);
    assert.doesNotMatch(html, /class="(tick|total|inbar|num)"[^>]*>\d{4,}</, 'no count without separators');
  });

  it('shows the first rows of the request table with a note saying how many more there are; the JSON keeps all', () => {
    const r = emptyReport();
    const d = (i: number): EventDecision => ({ id: i, decidedAt: '2026-12-02T10:00:00.000Z', requestId: `REQ-${i}`, originator: '90B3D51F300C0001', target: '00DB1234567890A0', commandVariant: 4,
      serviceReferenceVariant: '1.6', deviceType: 'ESME', supplierEui: '90B3D51F30010000', decision: 'accept', reasons: [], warnings: [], attributed: 'event' });
    r.requests = { ...r.requests, total: 1205, accepted: 1205, list: Array.from({ length: 1205 }, (_v, i) => d(i + 1)) };
    const html = renderEventReportHtml(r);
    assert.equal((html.match(/REQ-\d+/g) ?? []).length, TABLE_ROWS);
    assert.ok(html.includes(`REQ-${TABLE_ROWS}<`) && !html.includes(`REQ-${TABLE_ROWS + 1}<`));
    assert.match(html, new RegExp(`The first ${TABLE_ROWS} of 1,205 requests are shown; ${count(1205 - TABLE_ROWS)} more are in the full list in the JSON report \\(<code>smki report SOLR-7 --format json</code>\\)`));
    const small = renderEventReportHtml(r, { maxRows: 5000 });
    assert.equal((small.match(/REQ-\d+/g) ?? []).length, 1205);
    assert.doesNotMatch(small, /are shown; /);
  });

  it('shows each warning (overlapping events) near the top, and a glossary of CV, ESME, GSME, ARO, SRO and ADT', () => {
    const r = emptyReport();
    r.warnings = ['SoLR event SOLR-8 (OFGEM-2, SRP 90B3D51F300C0002, active) is also for Failing Energy Ltd and its window overlaps <this> one'];
    const html = renderEventReportHtml(r);
    const warn = html.indexOf('<p class="warning"><b>Warning:</b> SoLR event SOLR-8 (OFGEM-2, SRP 90B3D51F300C0002, active) is also for Failing Energy Ltd and its window overlaps &lt;this&gt; one.</p>');
    assert.ok(warn > 0 && warn < html.indexOf('<h2>'), 'the warning comes before the first section');
    assert.doesNotMatch(renderEventReportHtml(emptyReport()), /class="warning"/);
    const glossary = html.slice(html.indexOf('<h2>Words used in this report</h2>'));
    for (const term of ['CV', 'ESME', 'GSME', 'ARO', 'SRO', 'ADT']) {
      assert.ok(GLOSSARY.some(([k]) => k === term), term);
      assert.match(glossary, new RegExp(`<dt>${term}</dt><dd>[A-Z][^<]{20,}</dd>`), term);
    }
  });
});
