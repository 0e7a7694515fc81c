import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import type { Eui64 } from '../../src/domain/eui.js';
import { formatRequestId, withRequestId, withServiceReference } from '../../src/gate/duis-compose.js';
import { ESME, GSME, OTHER_ESME, setupGateScenario, template, type GateScenario } from '../support/gate-scenario.js';
import { registryDigest, SRP, SUPPLIER } from '../support/scenario.js';
import { actAs } from '../support/keys.js';
import { smki } from '../support/cli.js';
import { copyHome } from '../support/home-copy.js';
import { outsideRun } from '../support/query.js';

const CREDIT_E = 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML';
const CREDIT_G = 'GCS02_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML';
const PREPAY_G = 'GCS03_1.6_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML';
const PRECOMMAND_E = 'ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_PRECOMMAND_GBCS.HEX';

/**
 * A SoLR event with something of everything, built through the CLI and the gate (`smki sr check`):
 * accepted, accepted over the ADT warning threshold (1), quarantined (over 2), refused for several
 * reasons, refused with no event active (inside and outside the window), alerts before and after the
 * Supplier's revocation, and the event ended early.
 */
async function seedEvent(): Promise<{ g: GateScenario; decisions: Record<string, string> }> {
  const g = await setupGateScenario({ warning: 1, quarantine: 2 });
  const decisions: Record<string, string> = {};
  const ok = async (args: string[]) => {
    const r = await g.run([...args, '--json']);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  };
  const check = async (name: string, xml: string, extra: string[] = []) => {
    const r = await g.check([g.write(`${name}.xml`, xml)], extra);
    assert.ok(r.code === 0 || r.code === 3, `${name}: ${r.stderr}`);
    decisions[name] = r.json[0].decision;
  };
  await ok(['alert', 'route', '--device', ESME, '--code', '8F66']);
  await check('credit-esme', g.request(CREDIT_E, 10n));
  await check('precommand-esme', g.signedPreCommand(PRECOMMAND_E, 10n));
  await check('credit-gsme', g.request(CREDIT_G, 11n, GSME));
  await check('credit-esme-2', g.request(CREDIT_E, 12n));
  await check('prepayment-gsme', g.request(PREPAY_G, 13n, GSME));
  await check('sr-1.1.1', g.sign(withRequestId(withServiceReference(template(CREDIT_E), '1.1', '1.1.1'), formatRequestId(SRP as Eui64, ESME, 14n))));
  await check('other-suppliers-device', g.request(CREDIT_E, 15n, OTHER_ESME));
  await check('before-the-window', g.request(CREDIT_E, 16n), ['--at', new Date(Date.now() - 3 * 86_400_000).toISOString()]);
  await ok(['solr', 'revoke-supplier', g.eventId, ...actAs('ra1'), '--passphrase-file', g.pass]);
  await ok(['alert', 'route', '--device', ESME, '--code', '8F66']);
  await ok(['solr', 'end', g.eventId, ...actAs('ra1')]);
  await check('after-the-end', g.request(CREDIT_E, 17n));
  return { g, decisions };
}

/** Decodes an 8-bit RGB or RGBA PNG (what Chromium writes) into RGBA pixels. */
function decodePng(buf: Buffer): { width: number; height: number; rgba: Buffer } {
  assert.equal(buf.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'PNG signature');
  let off = 8;
  let width = 0, height = 0, colorType = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.subarray(off + 4, off + 8).toString('latin1');
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth');
      colorType = data[9]!;
      assert.equal(data[12], 0, 'interlace');
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : colorType === 2 ? 3 : assert.fail(`colour type ${colorType}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = Buffer.alloc(width * height * 4);
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? line[x - bpp]! : 0;
      const b = prev[x]!;
      const c = x >= bpp ? prev[x - bpp]! : 0;
      let v = line[x]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      line[x] = v & 0xff;
    }
    for (let x = 0; x < width; x++) {
      line.copy(out, (y * width + x) * 4, x * bpp, x * bpp + 3);
      out[(y * width + x) * 4 + 3] = bpp === 4 ? line[x * bpp + 3]! : 255;
    }
    prev = line;
  }
  return { width, height, rgba: out };
}

function countColour(img: { rgba: Buffer }, hex: string): number {
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i + 1, i + 3), 16));
  let n = 0;
  for (let i = 0; i < img.rgba.length; i += 4) if (img.rgba[i] === r && img.rgba[i + 1] === g && img.rgba[i + 2] === b) n++;
  return n;
}

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

describe('cli: report --event', function () {
  this.timeout(30_000);
  let g: GateScenario;
  let decisions: Record<string, string>;
  // Seeding runs many smki processes: on PostgreSQL beside another test file it has taken over 30 s.
  before(async function () {
    this.timeout(180_000);
    ({ g, decisions } = await seedEvent());
  });
  after(() => g?.cleanup());

  it('the seeded event has every kind of decision', () => {
    assert.deepEqual(decisions, {
      'credit-esme': 'accept', 'precommand-esme': 'accept', 'credit-gsme': 'accept', 'credit-esme-2': 'quarantine', 'prepayment-gsme': 'refuse',
      'sr-1.1.1': 'refuse', 'other-suppliers-device': 'refuse', 'before-the-window': 'refuse', 'after-the-end': 'refuse',
    });
  });

  it('--json: the event, requests by decision, reason and Device type, ADT, alerts, revocations, one sentence per requirement', async () => {
    const before = registryDigest(g.home);
    const r = await g.run(['report', '--event', g.eventId.toLowerCase(), '--json']);
    assert.equal(r.code, 0, r.stderr);
    // The event as the argument (the identifier rule) is the same report as with --event.
    const positional = await g.run(['report', g.eventId, '--json']);
    assert.equal(positional.code, 0, positional.stderr);
    assert.deepEqual({ ...positional.json, generatedAt: null }, { ...r.json, generatedAt: null });
    const j = r.json;
    assert.equal(j.event.id, g.eventId);
    assert.equal(j.event.instruction, 'OFGEM-LRSD-TEST-1');
    assert.equal(j.event.failedSupplier.userId, SUPPLIER);
    assert.equal(j.event.srp.userId, SRP);
    assert.equal(j.event.recorded.by, 'ra1');
    assert.equal(j.event.approved.by, 'ra2');
    assert.equal(j.event.ended.by, 'ra1');
    assert.equal(j.event.suppliersRevoked.by, 'ra1');
    assert.equal(j.event.state, 'ended');

    const q = j.requests;
    // 'before-the-window' is outside the window and not counted; 'other-suppliers-device' and
    // 'after-the-end' had no event but came from the SRP within the window.
    assert.deepEqual({ total: q.total, accepted: q.accepted, warned: q.acceptedWithWarning, quarantined: q.quarantined, refused: q.refused, byWindow: q.attributedByWindow },
      { total: 8, accepted: 3, warned: 1, quarantined: 1, refused: 4, byWindow: 2 });
    const reasons = Object.fromEntries(q.byReason.map((x: { code: string; requests: number }) => [x.code, x.requests]));
    assert.deepEqual(reasons, { ADT_MISSING: 2, ADT_QUARANTINE: 1, DEVICE_NOT_FAILED_SUPPLIER: 1, PAYMENT_MODE_NOT_CREDIT: 1, SOLR_EVENT_NOT_ACTIVE: 1, SR_NOT_ELIGIBLE: 1, SR_NO_CONTENT_RULE: 1 });
    assert.equal(q.byReason.find((x: { code: string }) => x.code === 'PAYMENT_MODE_NOT_CREDIT').requirement, 'R5');
    assert.deepEqual(q.byDeviceType, [
      { deviceType: 'ESME', devices: 2, accepted: 2, acceptedWithWarning: 0, quarantined: 1, refused: 3 },
      { deviceType: 'GSME', devices: 1, accepted: 1, acceptedWithWarning: 1, quarantined: 0, refused: 1 },
    ]);
    assert.deepEqual(q.byServiceRequest, [
      { serviceReferenceVariant: '1.1.1', accepted: 0, quarantined: 0, refused: 1 },
      { serviceReferenceVariant: '1.6', accepted: 3, quarantined: 1, refused: 3 },
    ]);
    assert.equal(q.list.length, 8);
    assert.deepEqual(q.list.filter((d: { attributed: string }) => d.attributed === 'window').map((d: { reasons: { code: string }[] }) => d.reasons[0]!.code),
      ['DEVICE_NOT_FAILED_SUPPLIER', 'SOLR_EVENT_NOT_ACTIVE']);

    assert.deepEqual({ warnings: j.adt.warnings, quarantines: j.adt.quarantines, missing: j.adt.missing }, { warnings: 1, quarantines: 1, missing: 2 });
    assert.equal(j.adt.files.length, 1);
    assert.deepEqual(j.adt.files[0].thresholds, [{ serviceReferenceVariant: '1.6', warning: 1, quarantine: 2 }]);

    assert.deepEqual({ total: j.alerts.total, toSrp: j.alerts.toSrp, toSupplier: j.alerts.toSupplier, held: j.alerts.held },
      { total: 2, toSrp: 1, toSupplier: 1, held: 0 });
    assert.deepEqual(j.certificates.revoked.map((c: { source: string; profile: string; revocationReason: string }) => [c.source, c.profile, c.revocationReason]),
      [['registered', 'ds', 'cessationOfOperation']]);
    assert.deepEqual(j.certificates.srp, { xmlSign: 1, other: 0, revoked: 0 });
    assert.deepEqual([j.warnings, j.event.overlapping, q.attributedOutsideWindow], [[], [], 0]);

    assert.deepEqual(j.requirements.map((x: { requirement: string }) => x.requirement), ['R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7']);
    const sentence = (req: string) => j.requirements.find((x: { requirement: string }) => x.requirement === req).summary as string;
    assert.match(sentence('R2'), /1 XML-signing certificate and no Digital Signing or Key Agreement certificates/);
    assert.match(sentence('R4'), /1 request passed over the warning threshold, 1 request was quarantined/);
    assert.match(sentence('R6'), /OFGEM-LRSD-TEST-1 was recorded by ra1 .* approved by ra2, a different operator/);
    assert.match(sentence('R7'), /1 alert for its Devices went to the SRP, 1 to the Supplier/);

    // --format json to a file gives the same data; reporting writes nothing to the registry.
    const out = join(g.dir, 'report.json');
    const f = await g.run(['report', '--event', g.eventId, '--out', out, '--json']);
    assert.equal(f.code, 0, f.stderr);
    assert.equal(f.json.format, 'json');
    const fromFile = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual({ ...fromFile, generatedAt: null }, { ...j, generatedAt: null });
    assert.equal(registryDigest(g.home), before);
  });

  it('an unknown event is an error (exit 4); a missing ID without a terminal says so, as do two different events; a bad --format too', async () => {
    const r = await g.run(['report', '--event', 'SOLR-99']);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /no SoLR event SOLR-99/);
    const m = await g.run(['report']);
    assert.equal(m.code, 4);
    assert.match(m.stderr, /missing ID/);
    const two = await g.run(['report', g.eventId, '--event', 'SOLR-99']);
    assert.equal(two.code, 4);
    assert.match(two.stderr, /two events given: SOLR-\d+ and --event SOLR-99 \(give one\)/);
    const f = await g.run(['report', '--event', g.eventId, '--format', 'pdf']);
    assert.equal(f.code, 4);
    assert.match(f.stderr, /--format: 'pdf' is not html or json/);
  });

  it('a decision row edited outside smki (a refusal made an acceptance) is an integrity failure (exit 5), no report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smki-report-tamper-'));
    try {
      const home = copyHome(g.home, join(dir, 'home'));
      const changed = outsideRun(home, "UPDATE sr_decisions SET decision = 'accept', reasons = '[]' WHERE id = (SELECT MIN(id) FROM sr_decisions WHERE decision = 'refuse' AND solr_event_id IS NOT NULL)");
      assert.equal(changed, 1);
      const r = await smki(['--home', home, ...actAs('ra1'), 'report', '--event', g.eventId, '--json']);
      assert.equal(r.code, 5, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.ok, false);
      assert.deepEqual(j.problems.map((p: { table: string; problem: string }) => [p.table, p.problem]), [['sr_decisions', 'row MAC does not verify (edited outside smki)']]);
      assert.match(j.error, /^registry tampered: table sr_decisions, row id=\d+/);
      assert.equal(j.requests, undefined, 'no report');
      const untouched = await g.run(['report', '--event', g.eventId, '--json']);
      assert.equal(untouched.code, 0, untouched.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // The report's other reads check their rows too: alerts, certificates (revoked under the event, and
  // the SRP's), Devices (counted per type). Each edit below is exit 5 naming its table, with no report.
  for (const [what, table, sql] of [
    ['an alert', 'alerts', () => "UPDATE alerts SET reason = 'edited' WHERE rowid = (SELECT MIN(rowid) FROM alerts)"],
    ['a certificate revoked under the event', 'certificates', () => `UPDATE certificates SET revocation_reason = 'unspecified' WHERE solr_event_id = '${g.eventId}'`],
    ["one of the SRP's certificates", 'certificates', () => `UPDATE certificates SET created_at = '2000-01-01T00:00:00.000Z' WHERE user_id = '${SRP}'`],
    ["a Device's type", 'devices', () => `UPDATE devices SET device_type = 'GSME' WHERE eui = '${ESME}'`],
  ] as const) {
    it(`${what} edited outside smki: report --event exits 5 naming table ${table}, no report`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'smki-report-tamper-'));
      try {
        const home = copyHome(g.home, join(dir, 'home'));
        assert.ok(outsideRun(home, sql()) >= 1, `${sql()} changed nothing`);
        const r = await smki(['--home', home, ...actAs('ra1'), 'report', '--event', g.eventId, '--json']);
        assert.equal(r.code, 5, r.stderr + r.stdout);
        const j = JSON.parse(r.stdout);
        assert.equal(j.problems[0].table, table, r.stdout);
        assert.match(j.error, new RegExp(`^registry tampered: table ${table}, row `));
        assert.equal(j.requests, undefined, 'no report');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('--format html: one self-contained page (no scripts, no external resources) with the chart and the sentences', async () => {
    const out = join(g.dir, 'report.html');
    const r = await g.run(['report', '--event', g.eventId, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /8 request\(s\): 3 accepted, 1 quarantined, 4 refused/);
    const html = readFileSync(out, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.doesNotMatch(html, /<script|<link|<img|<iframe|@import|url\(/i);
    assert.doesNotMatch(html, /(src|href)=/i);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    assert.match(html, /<svg [^>]*class="chart"/);
    for (const t of ['The event', 'The seven MP134B requirements during this event', 'Requests per Device type', 'Why requests were refused or quarantined', 'Alerts', 'Certificates revoked']) {
      assert.ok(html.includes(`<h2>${t}</h2>`), t);
    }
    assert.ok(html.includes('OFGEM-LRSD-TEST-1'));
    // Without --out the page goes to stdout.
    const s = await g.run(['report', '--event', g.eventId, '--format', 'html']);
    assert.equal(s.code, 0);
    assert.match(s.stdout, /^<!DOCTYPE html>/);
  });

  it('opens in headless Chromium without console errors, and the screenshot shows the chart', async function () {
    if (!CHROMIUM) {
      console.log('      (skipped: no /usr/bin/chromium; install Debian\'s chromium package to run this check)');
      this.skip();
    }
    this.timeout(60_000);
    const out = join(g.dir, 'report-chromium.html');
    assert.equal((await g.run(['report', '--event', g.eventId, '--out', out])).code, 0);
    const profile = mkdtempSync(join(tmpdir(), 'smki-chromium-'));
    try {
      const png = join(profile, 'shot.png');
      const r = spawnSync(CHROMIUM!, [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', `--user-data-dir=${join(profile, 'data')}`, `--screenshot=${png}`,
        '--window-size=1200,900', '--enable-logging=stderr', '--v=0', `file://${out}`,
      ], { encoding: 'utf8', timeout: 45_000 });
      assert.equal(r.status, 0, r.stderr);
      // Every console message (a script error, a CSP violation, a failed load) is logged as CONSOLE.
      const consoleLines = r.stderr.split('\n').filter((l) => /:CONSOLE[:(]|Uncaught/.test(l));
      assert.deepEqual(consoleLines, []);
      const img = decodePng(readFileSync(png));
      assert.equal(img.width, 1200);
      // The chart's bars: accepted (green), ADT warning (amber), quarantined (orange) and refused (red)
      // segments, each far more pixels than any text in those colours.
      for (const [what, colour, min] of [['accepted', '#2e7d32', 2000], ['warning', '#f2a900', 1000], ['quarantined', '#e65100', 1000], ['refused', '#c62828', 2000]] as const) {
        const n = countColour(img, colour);
        assert.ok(n >= min, `${what} bar: ${n} pixels of ${colour}`);
      }
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });
});

describe('cli: report --event, what it counts and warns about', function () {
  this.timeout(60_000);
  let g: GateScenario;
  before(async () => { g = await setupGateScenario(); });
  after(() => g?.cleanup());
  const at = (ms: number) => () => new Date(Date.now() + ms);
  const run = (args: string[], clock?: () => Date) => smki(['--home', g.home, ...actAs('ra1'), ...args], clock ? { clock } : {});

  it("counts every R6 refusal: the SRP's requests for the failed Supplier's Devices with no event active, before or after the window", async () => {
    // Recorded refusals (at the registry's own time, not --at), after the window closed. (Before it
    // opened, the SRP's certificate, issued now, was not yet valid, so that side is not seeded here.)
    for (const [counter, ms] of [[20n, 31 * 86_400_000], [21n, 35 * 86_400_000]] as const) {
      const f = g.write(`outside-${counter}.xml`, g.request(CREDIT_E, counter));
      const r = await run(['sr', 'check', f, '--json'], at(ms));
      assert.equal(r.code, 3, r.stderr);
      assert.deepEqual((r.json as { items: { reasons: { code: string }[] }[] }).items[0]!.reasons.map((x) => x.code), ['SOLR_EVENT_NOT_ACTIVE']);
    }
    // A request of the SRP for another Supplier's Device outside the window is not this failure's.
    const other = await run(['sr', 'check', g.write('other.xml', g.request(CREDIT_E, 22n, OTHER_ESME)), '--json'], at(31 * 86_400_000));
    assert.equal(other.code, 3, other.stderr);
    const r = await run(['report', '--event', g.eventId, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const q = r.json.requests;
    assert.deepEqual({ total: q.total, refused: q.refused, outside: q.attributedOutsideWindow, byWindow: q.attributedByWindow }, { total: 2, refused: 2, outside: 2, byWindow: 0 });
    assert.deepEqual(q.list.map((d: { attributed: string; target: string }) => [d.attributed, d.target]), [['outsideWindow', ESME], ['outsideWindow', ESME]]);
    assert.deepEqual(q.byReason.map((x: { code: string; requests: number }) => [x.code, x.requests]), [['SOLR_EVENT_NOT_ACTIVE', 2]]);
    const r6 = r.json.requirements.find((x: { requirement: string }) => x.requirement === 'R6').summary;
    assert.match(r6, /2 requests were refused under this requirement's checks \(sender, signature, target Device, replay\), all because no event was active when they were sent\./);
    const html = await run(['report', '--event', g.eventId, '--format', 'html']);
    assert.match(html.stdout, /2 of the refused requests came from the SRP's User ID for [^<]+'s Devices before or after the instructed window/);
  });

  it('counts only unrevoked certificates as held by the SRP', async () => {
    const before = await run(['report', '--event', g.eventId, '--json']);
    assert.deepEqual(before.json.certificates.srp, { xmlSign: 1, other: 0, revoked: 0 });
    const rv = await run(['cert', 'revoke', g.srp.cert.serialHex, '--reason', 'superseded', '--passphrase-file', g.pass, '--yes', '--json']);
    assert.equal(rv.code, 0, rv.stderr);
    const after = await run(['report', '--event', g.eventId, '--json']);
    assert.deepEqual(after.json.certificates.srp, { xmlSign: 0, other: 0, revoked: 1 });
    const r2 = after.json.requirements.find((x: { requirement: string }) => x.requirement === 'R2').summary;
    assert.match(r2, /holds 0 XML-signing certificates and no Digital Signing or Key Agreement certificates \(unrevoked; 1 more revoked\)/);
  });

  it('warns when another event for the same failed Supplier overlaps this one (JSON, page and stderr); not for one that does not', async () => {
    const none = await run(['report', '--event', g.eventId, '--json']);
    assert.deepEqual([none.json.warnings, none.json.event.overlapping], [[], []]);
    const day = 86_400_000;
    const rec = await run(['solr', 'record', '--failed-supplier', SUPPLIER, '--srp', SRP, '--instruction', 'OFGEM-LRSD-TEST-2',
      '--from', new Date(Date.now() + 10 * day).toISOString(), '--until', new Date(Date.now() + 20 * day).toISOString(), '--json']);
    assert.equal(rec.code, 0, rec.stderr);
    const r = await run(['report', '--event', g.eventId, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.event.overlapping.map((o: { id: string; instruction: string; srpUserId: string; state: string }) => [o.id, o.instruction, o.srpUserId, o.state]),
      [[rec.json.id, 'OFGEM-LRSD-TEST-2', SRP, 'recorded']]);
    assert.equal(r.json.warnings.length, 1);
    assert.match(r.json.warnings[0], new RegExp(`^SoLR event ${rec.json.id} \\(OFGEM-LRSD-TEST-2, SRP ${SRP}, recorded\\) is also for .* and its window \\(.* to .*\\) overlaps this one's`));
    // The other event sees this one too; the page and stderr carry the warning.
    const back = await run(['report', '--event', rec.json.id, '--json']);
    assert.deepEqual(back.json.event.overlapping.map((o: { id: string }) => o.id), [g.eventId]);
    const out = join(g.dir, 'overlap.html');
    const h = await run(['report', '--event', g.eventId, '--out', out]);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stderr, new RegExp(`^smki: warning: SoLR event ${rec.json.id} \\(OFGEM-LRSD-TEST-2`, 'm'));
    assert.match(readFileSync(out, 'utf8'), /<p class="warning"><b>Warning:<\/b> SoLR event SOLR-\d+ \(OFGEM-LRSD-TEST-2/);
  });
});
