import { strict as assert } from 'node:assert';
import { when, type EventReport } from '../../src/report/event-report.js';
import { barChart, escapeHtml, renderEventReportHtml } from '../../src/report/html.js';

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
      ...over,
    },
    requests: { total: 0, accepted: 0, acceptedWithWarning: 0, quarantined: 0, refused: 0, attributedByWindow: 0, byReason: [], byDeviceType: [], byServiceRequest: [], list: [] },
    adt: { files: [], warnings: 0, quarantines: 0, missing: 0 },
    quarantine: { pending: 0, released: 0, deleted: 0, list: [] },
    alerts: { total: 0, toSrp: 0, toSupplier: 0, held: 0, released: 0, list: [] },
    certificates: { revoked: [], srp: { xmlSign: 0, other: 0 } },
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
});
