// The period report (总结改进) against hand-computed figures, on both databases. A fixed story of
// complaints, follow-up visits and offsets is played through the services with a manual clock (times
// below are Asia/Shanghai); every figure the report gives is compared with the value worked out by hand
// in the comments, then the page (zh-CN, en, 403) and the CSV export (BOM, CRLF, quoting) are read over
// HTTP.
//
// The story (period: 2026-11-01 … 2026-11-30; the report is made 2026-12-02 10:00):
//   X  10-31 23:30  unit 102  fees        phone    outside the period (and its 60.00 offset, 20.00 applied)
//   A  11-02 09:00  unit 101  facilities  phone    start-inv 10:00 (engineering) · assess important · plan due 11-05 18:00
//                                                  · resolved 11-04 09:00 (48 h, on time) · follow-up 11-04 15:00 satisfied (due 11-05 09:00)
//                                                  · offset 200.50 requested, 150.25 approved; applied 100.10 (reversed), then 50.05
//   B  11-03 10:00  unit 101  facilities  counter  repeat of A · assess 14:00 minor · plan due 11-04 12:00
//                                                  · resolved 11-06 10:00 (72 h, late) · follow-up 11-08 10:00 unsatisfied (due 11-07 10:00, late)
//                                                  · offset 80.00 requested, rejected
//   K  11-08 10:00  unit 101  facilities  counter  continuation of B (important) · start-inv 11:00 (engineering) · plan due 11-09 18:00
//                                                  · resolved 11-09 10:00 (24 h, on time) · follow-up 11-10 12:00 satisfied (due 11-10 10:00, late)
//   C  11-05 09:00  unit 102  attitude    phone    answered at the counter 09:30 (inquiry → minor; no dispute type, no department)
//                                                  · reply promise 11-07 09:00 (on time) · no follow-up, due 11-06 09:30: overdue
//   D  11-10 09:00  unit 103  security     app     community 2 · start-inv 09:20 (security) · non-property, major · no reply: overdue since 11-12 09:00
//   F  11-15 10:00  unit 102  pets        counter  cancelled 10:30 (duplicate)
//   G  11-20 09:00  unit 101  parking     patrol   assess 11:00 minor · plan (security) due 11-25 18:00 · resolved 11-21 09:00 (24 h, on time)
//                                                  · follow-up 11-22 08:00 satisfied (due 11-22 09:00) · offset 30.00 requested, pending
//   E  11-30 23:30  unit 108  cleaning     email   untouched; reply promise 12-02 23:30 not reached: neither on time nor late yet
//   Y  12-01 00:10  unit 103  security     phone   outside the period (the first minutes of December in Shanghai)
import { expect } from 'chai';
import type { Actor } from '../../src/auth/actor.js';
import { ForbiddenError, ValidationError } from '../../src/common/errors.js';
import { buildReport } from '../../src/reports/report.js';
import { csvField, toCsv } from '../../src/reports/csv.js';
import { percentile } from '../../src/reports/stats.js';
import { parsePeriod } from '../../src/reports/period.js';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { staff, startPageHarness, unescapeHtml, userHeader, type PageHarness } from '../support/pageHarness.js';

const H = 3_600_000;
const sh = (local: string) => new Date(`2026-${local.replace(' ', 'T')}:00+08:00`);
const WEIRD_LABEL = '3号楼,"东"\n单元';
const NOVEMBER = { from: '2026-11-01', to: '2026-11-30' };

describe('reports: statistics helpers', () => {
  it('takes percentiles like Excel PERCENTILE.INC (linear between the nearest ranks)', () => {
    expect(percentile([], 0.5)).to.equal(null);
    expect(percentile([7], 0.9)).to.equal(7);
    expect(percentile([1, 2, 3, 4], 0.5)).to.equal(2.5);
    expect(percentile([10, 20, 30, 40, 50], 0.9)).to.equal(46);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).to.be.closeTo(9.1, 1e-9);
  });

  it('reads a period as whole local days and refuses bad ones per field', () => {
    const p = parsePeriod('2026-11-01', '2026-11-30', 'Asia/Shanghai');
    expect(p.start.toISOString()).to.equal('2026-10-31T16:00:00.000Z');
    expect(p.end.toISOString()).to.equal('2026-11-30T16:00:00.000Z');
    expect(p.days).to.equal(30);
    const fields = (from: string, to: string) => {
      try {
        parsePeriod(from, to, 'Asia/Shanghai');
        return [];
      } catch (err) {
        return (err as ValidationError).fields.map((f) => f.field);
      }
    };
    expect(fields('2026-02-30', '2026-03-01')).to.deep.equal(['from']);
    expect(fields('2026-11-30', '2026-11-01')).to.deep.equal(['to']);
    expect(fields('2025-01-01', '2026-01-02')).to.deep.equal(['to']);
    expect(fields('2025-01-01', '2026-01-01')).to.deep.equal([]);
  });

  it('writes CSV fields with RFC 4180 quoting and a guard against spreadsheet formulas', () => {
    expect(csvField('普通')).to.equal('普通');
    expect(csvField('a,b')).to.equal('"a,b"');
    expect(csvField('say "hi"')).to.equal('"say ""hi"""');
    expect(csvField('two\nlines')).to.equal('"two\nlines"');
    expect(csvField('=HYPERLINK("http://x")')).to.equal(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('-1层')).to.equal("'-1层");
    expect(csvField('-0.05')).to.equal('-0.05');
    expect(csvField(12)).to.equal('12');
    expect(
      toCsv([
        ['a', 'b'],
        ['1', null],
      ]),
    ).to.equal('\uFEFFa,b\r\n1,\r\n');
  });
});

for (const kind of databaseKinds) {
  describe(`reports: figures, page and CSV (${kind.kind})`, function () {
    let h: PageHarness;
    const ids: Record<string, number> = {};

    before(async function () {
      h = await startPageHarness(kind, simpleHost, { now: sh('10-31 23:30').toISOString() });
      await h.db('units').insert({ id: 108, community_id: 1, room_no: WEIRD_LABEL, owner_id: 2, is_deleted: 0 });
      await playTheStory(h, ids);
      h.clock.set(sh('12-02 10:00'));
    });
    after(async () => h?.close());

    const report = (actor: Actor = staff.manager, extra: { communityId?: string } = {}) => buildReport(h.plugin.context, { ...NOVEMBER, ...extra, actor });

    it('built the story as told (repeat and continuation links)', async () => {
      const rows = (await h.db('cmp_complaints').select('id', 'repeat_of_id', 'parent_id', 'state', 'severity').whereIn('id', Object.values(ids))) as Array<
        Record<string, unknown>
      >;
      const byId = new Map(rows.map((r) => [Number(r.id), r]));
      expect(Number(byId.get(ids.B!)!.repeat_of_id)).to.equal(ids.A);
      expect(Number(byId.get(ids.K!)!.parent_id)).to.equal(ids.B);
      expect(byId.get(ids.K!)!.repeat_of_id).to.equal(null);
      expect(byId.get(ids.B!)!.state).to.equal('closed_unsatisfied');
      expect(byId.get(ids.F!)!.state).to.equal('cancelled');
      expect(byId.get(ids.C!)!.severity).to.equal('minor');
    });

    it('counts the complaints received in the period by each classification', async () => {
      const r = await report();
      expect(r.period.start.toISOString()).to.equal('2026-10-31T16:00:00.000Z');
      // A B C D E G K; F is cancelled; X and Y fall outside the Shanghai days of November.
      expect(r.complaints).to.equal(7);
      expect(r.cancelled).to.equal(1);
      expect(r.resolved).to.equal(5); // A B C G K
      expect(r.by.category).to.deep.equal([
        { key: 'facilities', count: 3 }, // A B K
        { key: 'cleaning_greening', count: 1 }, // E
        { key: 'parking', count: 1 }, // G
        { key: 'security', count: 1 }, // D
        { key: 'service_attitude', count: 1 }, // C
      ]);
      expect(r.by.severity).to.deep.equal([
        { key: 'minor', count: 3 }, // B C G
        { key: 'important', count: 2 }, // A K
        { key: 'major', count: 1 }, // D
        { key: null, count: 1 }, // E
      ]);
      expect(r.by.disputeType).to.deep.equal([
        { key: 'property', count: 4 }, // A B G K
        { key: 'non_property', count: 1 }, // D
        { key: null, count: 2 }, // C E
      ]);
      expect(r.by.nature).to.deep.equal([
        { key: 'valid', count: 5 },
        { key: 'help', count: 0 },
        { key: 'inquiry', count: 1 }, // C
        { key: 'venting', count: 0 },
        { key: null, count: 1 }, // E
      ]);
      expect(r.by.channel).to.deep.equal([
        { key: 'phone', count: 2 }, // A C
        { key: 'counter', count: 2 }, // B K
        { key: 'email', count: 1 }, // E
        { key: 'online', count: 0 },
        { key: 'app', count: 1 }, // D
        { key: 'patrol', count: 1 }, // G
        { key: 'other', count: 0 },
      ]);
      expect(r.by.department).to.deep.equal([
        { key: 'engineering', count: 3 }, // A B K
        { key: 'security', count: 2 }, // D G
        { key: null, count: 2 }, // C E
      ]);
    });

    it('measures time to acknowledge and to resolve (median, 90th percentile)', async () => {
      const r = await report();
      // Acknowledge: D 20 min, C 30 min, A 1 h, K 1 h, G 2 h, B 4 h (E has no action yet).
      // Median: rank 2.5 → 1 h; P90: rank 4.5 → 2 h + 0.5 × (4 h − 2 h) = 3 h.
      expect(r.acknowledge).to.deep.equal({ count: 6, medianMs: 1 * H, p90Ms: 3 * H });
      // Resolve: C 0.5 h, G 24 h, K 24 h, A 48 h, B 72 h. Median 24 h; P90: rank 3.6 → 48 + 0.6 × 24 = 62.4 h.
      expect(r.resolve).to.deep.equal({ count: 5, medianMs: 24 * H, p90Ms: 62.4 * H });
    });

    it('gives the on-time, follow-up, satisfaction, repeat and reopen rates', async () => {
      const r = await report();
      // On time: A C G K; late: B; overdue without reply: D. E is not due yet.
      expect(r.onTime).to.deep.equal({ count: 4, of: 6, rate: 4 / 6, late: 1, overdueOpen: 1 });
      // Visits in the window: A G; late: B K; C is waiting past its window.
      expect(r.followUpInWindow).to.deep.equal({ count: 2, of: 5, rate: 2 / 5, late: 2, overdue: 1 });
      expect(r.satisfaction).to.deep.equal({ count: 3, of: 4, rate: 3 / 4 }); // A G K of A B G K
      expect(r.repeat).to.deep.equal({ count: 1, of: 7, rate: 1 / 7 }); // B
      expect(r.reopen).to.deep.equal({ count: 1, of: 5, rate: 1 / 5 }); // B, of the five replied
    });

    it('names the units with most complaints, labels from the host', async () => {
      const r = await report();
      expect(r.topUnits).to.deep.equal([
        { unitId: '101', label: '1-101', count: 4 }, // A B G K
        { unitId: '102', label: '1-102', count: 1 }, // C (F cancelled)
        { unitId: '103', label: '2-201', count: 1 }, // D
        { unitId: '108', label: WEIRD_LABEL, count: 1 }, // E
      ]);
    });

    it('sums the offsets exactly in fen', async () => {
      const r = await report();
      expect(r.offsets).to.deep.equal({
        requests: 3, // A B G
        requestedFen: 20050 + 8000 + 3000,
        approvals: 1, // A
        approvedFen: 15025,
        applications: 2,
        appliedFen: 10010 + 5005,
        reversals: 1,
        reversedFen: 10010,
        netAppliedFen: 5005,
      });
    });

    it('narrows to one community and to the reader’s communities', async () => {
      const one = await report(staff.manager, { communityId: '1' });
      expect(one.complaints).to.equal(6); // all but D
      expect(one.onTime).to.deep.equal({ count: 4, of: 5, rate: 4 / 5, late: 1, overdueOpen: 0 });
      expect(one.topUnits.map((u) => u.unitId)).to.deep.equal(['101', '102', '108']);
      // A supervisor of community 2 sees D alone, whatever they ask for.
      const scoped = await report(staff.scoped2);
      expect(scoped.complaints).to.equal(1);
      expect(scoped.by.severity.find((c) => c.key === 'major')!.count).to.equal(1);
      expect(scoped.offsets.requests).to.equal(0);
      let refused: unknown = null;
      await report(staff.scoped2, { communityId: '1' }).catch((err: unknown) => (refused = err));
      expect(refused).to.be.instanceOf(ValidationError);
      refused = null;
      await report(staff.counter).catch((err: unknown) => (refused = err));
      expect(refused).to.be.instanceOf(ForbiddenError);
    });

    it('gives the same figures as JSON at GET /api/reports, with the page’s permission and scoping', async () => {
      const get = async (query: string, actor: Actor | null = staff.manager) => {
        const res = await fetch(`${h.origin}/complaints/api/reports${query}`, { headers: actor ? userHeader(actor, h.clock) : {} });
        return { status: res.status, body: (await res.json()) as any };
      };
      const all = await get('?from=2026-11-01&to=2026-11-30');
      expect(all.status).to.equal(200);
      const r = all.body.report;
      expect(r.period).to.deep.equal({
        from: '2026-11-01',
        to: '2026-11-30',
        timeZone: 'Asia/Shanghai',
        start: '2026-10-31T16:00:00.000Z',
        end: '2026-11-30T16:00:00.000Z',
        days: 30,
      });
      expect(r).to.deep.include({ communityId: null, generatedAt: sh('12-02 10:00').toISOString(), complaints: 7, cancelled: 1, resolved: 5 });
      expect(r.by.category[0]).to.deep.equal({ key: 'facilities', count: 3 });
      expect(r.by.severity).to.deep.equal([
        { key: 'minor', count: 3 },
        { key: 'important', count: 2 },
        { key: 'major', count: 1 },
        { key: null, count: 1 },
      ]);
      expect(r.acknowledge).to.deep.equal({ count: 6, medianMs: 1 * H, p90Ms: 3 * H });
      expect(r.resolve).to.deep.equal({ count: 5, medianMs: 24 * H, p90Ms: 62.4 * H });
      expect(r.onTime).to.deep.equal({ count: 4, of: 6, rate: 4 / 6, late: 1, overdueOpen: 1 });
      expect(r.followUpInWindow).to.deep.equal({ count: 2, of: 5, rate: 2 / 5, late: 2, overdue: 1 });
      expect(r.satisfaction).to.deep.equal({ count: 3, of: 4, rate: 3 / 4 });
      expect(r.repeat).to.deep.equal({ count: 1, of: 7, rate: 1 / 7 });
      expect(r.reopen).to.deep.equal({ count: 1, of: 5, rate: 1 / 5 });
      expect(r.topUnits[0]).to.deep.equal({ unitId: '101', label: '1-101', count: 4 });
      expect(r.topUnits[3]).to.deep.equal({ unitId: '108', label: WEIRD_LABEL, count: 1 });
      expect(r.offsets).to.deep.equal({
        requests: 3,
        requestedFen: 31050,
        approvals: 1,
        approvedFen: 15025,
        applications: 2,
        appliedFen: 15015,
        reversals: 1,
        reversedFen: 10010,
        netAppliedFen: 5005,
      });
      // Exactly what buildReport gives, once through JSON.
      expect(r).to.deep.equal({ ...JSON.parse(JSON.stringify(await report())) });

      const one = await get('?from=2026-11-01&to=2026-11-30&community=1');
      expect(one.status).to.equal(200);
      expect(one.body.report).to.deep.include({ communityId: '1', complaints: 6 });
      expect(one.body.report.onTime).to.deep.equal({ count: 4, of: 5, rate: 4 / 5, late: 1, overdueOpen: 0 });
      expect((await get('?from=2026-11-01&to=2026-11-30', staff.scoped2)).body.report.complaints).to.equal(1);

      const outside = await get('?from=2026-11-01&to=2026-11-30&community=1', staff.scoped2);
      expect(outside.status).to.equal(400);
      expect(outside.body.error.fields.map((f: { field: string }) => f.field)).to.deep.equal(['community']);
      const backwards = await get('?from=2026-11-30&to=2026-11-01');
      expect(backwards.status).to.equal(400);
      expect(backwards.body.error.fields).to.deep.equal([{ field: 'to', message: '结束日期不能早于开始日期' }]);
      const missing = await get('?from=2026-11-01&communityId=1');
      expect(missing.status).to.equal(400);
      expect(missing.body.error.fields.map((f: { field: string }) => f.field).sort()).to.deep.equal(['communityId', 'to']);
      expect((await get('?from=2026-11-01&to=2026-11-30', staff.counter)).status).to.equal(403);
      expect((await get('?from=2026-11-01&to=2026-11-30', null)).status).to.equal(401);

      const openApi = h.plugin.openApi() as {
        paths: Record<string, Record<string, { operationId: string; parameters: Array<{ name: string; required: boolean }> }>>;
      };
      const op = openApi.paths['/api/reports']!.get!;
      expect(op.operationId).to.equal('getReport');
      expect(op.parameters.map((p) => [p.name, p.required])).to.deep.equal([
        ['from', true],
        ['to', true],
        ['community', false],
      ]);
    });

    it('renders the page with SVG charts in Chinese, and in English', async () => {
      const c = h.client();
      await c.signIn(staff.manager);
      const page = await c.get('/report?from=2026-11-01&to=2026-11-30');
      expect(page.status).to.equal(200);
      expect(page.headers.get('content-security-policy')).to.include("style-src 'self'");
      const html = page.text;
      expect(html).to.include('投诉分析报表').and.include('2026-11-01 至 2026-11-30 · 全部小区');
      expect(html).to.match(/<a href="\/complaints\/report" aria-current="page">报表<\/a>/);
      expect((html.match(/<svg class="chart"/g) ?? []).length).to.equal(7); // six breakdowns and the units
      expect(html).to.include('<rect class="chart-bar" x="180" y="4" width="370" height="18">'); // facilities, the longest bar
      expect(html).not.to.match(/\sstyle=/); // CSP: no inline style attributes
      expect(html).not.to.match(/<script(?![^>]*\ssrc=)/);
      for (const figure of [
        '<strong>7</strong>投诉总数',
        '<strong>66.7%</strong>按时回复率',
        '<strong>40.0%</strong>回访时限内完成率',
        '<strong>75.0%</strong>回访满意率',
        '<strong>14.3%</strong>二次投诉率',
        '<strong>20.0%</strong>不满意重开率',
      ]) {
        expect(html).to.include(figure);
      }
      expect(html).to.include('按时 4 / 6；逾期回复 1，逾期未回复 1');
      expect(html).to.match(/受理响应时长（受理至首次处理动作）<\/th><td class="num">1\.0 小时<\/td><td class="num">3\.0 小时<\/td><td class="num">6<\/td>/);
      expect(html).to.match(/处理回复时长（受理至回复）<\/th><td class="num">24\.0 小时<\/td><td class="num">62\.4 小时<\/td><td class="num">5<\/td>/);
      expect(html).to.include('<td>设施设备</td><td class="num">3</td><td class="num">42.9%</td>');
      expect(html).to.include('<td>未定级</td><td class="num">1</td>');
      expect(html).to.include('<td>3号楼,&quot;东&quot;\n单元</td><td class="num">1</td>');
      expect(html).to.include('<th scope="row">申请</th><td class="num">3</td><td class="num">¥310.50</td>');
      expect(html).to.include('<th scope="row">已使用</th><td class="num">2</td><td class="num">¥150.15</td>');
      expect(html).to.include('<th scope="row">实际抵扣（使用 − 冲回）</th><td></td><td class="num">¥50.05</td>');
      expect(unescapeHtml(html)).to.include('href="/complaints/report.csv?from=2026-11-01&to=2026-11-30"');

      const en = await c.get('/report?from=2026-11-01&to=2026-11-30&communityId=1&lang=en');
      expect(en.status).to.equal(200);
      expect(en.text).to.include('Complaint report').and.include('2026-11-01 to 2026-11-30 · 阳光花园');
      expect(en.text).to.include('<strong>6</strong>Complaints').and.include('<strong>80.0%</strong>Replied on time');
      expect(en.text).to.include('<td>Facilities and equipment</td>').and.include('1.0 h');
      expect(en.text).to.include('<option value="1" selected>阳光花园</option>');
    });

    it('shows the month so far by default and marks a bad period on the form', async () => {
      const c = h.client();
      await c.signIn(staff.manager);
      const page = await c.get('/report');
      expect(page.status).to.equal(200);
      expect(page.text).to.include('value="2026-12-01"').and.include('value="2026-12-02"');
      const bad = await c.get('/report?from=2026-11-30&to=2026-11-01');
      expect(bad.status).to.equal(422);
      expect(bad.text).to.include('结束日期不能早于开始日期').and.include('aria-invalid="true"');
      expect(bad.text).not.to.include('<svg');
    });

    it('refuses readers without report.view (403) and keeps the link out of their menu', async () => {
      const c = h.client();
      await c.signIn(staff.counter);
      expect((await c.get('/report?from=2026-11-01&to=2026-11-30')).status).to.equal(403);
      expect((await c.get('/report.csv?from=2026-11-01&to=2026-11-30')).status).to.equal(403);
      const home = await c.get('/');
      expect(home.text).not.to.include('/complaints/report');
    });

    it('exports the CSV: BOM, CRLF, quoted fields, an attachment with a UTF-8 file name', async () => {
      const c = h.client();
      await c.signIn(staff.manager);
      const res = await fetch(`${h.origin}/complaints/report.csv?from=2026-11-01&to=2026-11-30`, {
        headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
      expect(res.headers.get('content-disposition')).to.equal(
        `attachment; filename="complaints-report_2026-11-01_2026-11-30.csv"; filename*=UTF-8''${encodeURIComponent('投诉报表_2026-11-01_2026-11-30.csv')}`,
      );
      const bytes = Buffer.from(await res.arrayBuffer());
      expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
      const text = bytes.toString('utf8');
      expect(text.endsWith('\r\n')).to.equal(true);
      expect(text.replace(/\r\n/g, '')).not.to.match(/\r/);
      const lines = text.slice(1).split('\r\n');
      expect(lines.pop()).to.equal('');
      expect(lines).to.deep.equal([
        '指标,项目,数值,说明',
        '统计期间,,2026-11-01 至 2026-11-30,Asia/Shanghai',
        '小区,,全部小区,',
        '生成时间,,2026-12-02 10:00,',
        '投诉总数,,7,期间受理，不含已撤销',
        '已撤销,,1,',
        '已回复,,5,',
        '按投诉类别,设施设备,3,',
        '按投诉类别,环境卫生,1,',
        '按投诉类别,停车管理,1,',
        '按投诉类别,安全管理,1,',
        '按投诉类别,服务态度,1,',
        '按严重程度,轻微,3,',
        '按严重程度,重要,2,',
        '按严重程度,重大,1,',
        '按严重程度,未定级,1,',
        '按纠纷类型,物业纠纷,4,',
        '按纠纷类型,非物业纠纷,1,',
        '按纠纷类型,未定性,2,',
        '按投诉性质,有效投诉,5,',
        '按投诉性质,求助型,0,',
        '按投诉性质,咨询型,1,',
        '按投诉性质,发泄型,0,',
        '按投诉性质,未定性,1,',
        '按受理渠道,电话,2,',
        '按受理渠道,前台,2,',
        '按受理渠道,邮件,1,',
        '按受理渠道,线上,0,',
        '按受理渠道,小程序/APP,1,',
        '按受理渠道,巡查,1,',
        '按受理渠道,其他,0,',
        '按责任部门,工程部,3,',
        '按责任部门,秩序部,2,',
        '按责任部门,未指派部门,2,',
        '受理响应时长（小时）,中位数,1.00,计入 6 件',
        '受理响应时长（小时）,90百分位,3.00,',
        '处理回复时长（小时）,中位数,24.00,计入 5 件',
        '处理回复时长（小时）,90百分位,62.40,',
        '按时回复率,,66.7%,按时 4 / 6；逾期回复 1；逾期未回复 1',
        '回访时限内完成率,,40.0%,时限内 2 / 5；超时回访 2；逾期未回访 1',
        '回访满意率,,75.0%,3 / 4',
        '业主评价（平均星级）,,,评价 0 件；差评（1–2 星）0；申请重新处理 0',
        '二次投诉率,,14.3%,1 / 7',
        '不满意重开率,,20.0%,1 / 5',
        '投诉最多的房屋,1-101,4,',
        '投诉最多的房屋,1-102,1,',
        '投诉最多的房屋,2-201,1,',
        '投诉最多的房屋,"3号楼,""东""\n单元",1,',
        '抵扣（元）,申请,310.50,3 笔',
        '抵扣（元）,批准,150.25,1 笔',
        '抵扣（元）,已使用,150.15,2 笔',
        '抵扣（元）,已冲回,100.10,1 笔',
        '抵扣（元）,实际抵扣（使用 − 冲回）,50.05,',
      ]);

      const en = await fetch(`${h.origin}/complaints/report.csv?from=2026-11-01&to=2026-11-30&communityId=1&lang=en`, {
        headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      expect(en.headers.get('content-disposition')).to.equal('attachment; filename="complaints-report_2026-11-01_2026-11-30.csv"');
      const enLines = (await en.text()).split('\r\n');
      expect(enLines[0]).to.equal('Figure,Item,Value,Detail'); // fetch's text() drops the BOM
      expect(enLines).to.include('Community,,阳光花园,');
      expect(enLines).to.include('Replied on time,,80.0%,"4 of 5 on time; 1 replied late; 0 overdue, not replied"');
    });
  });
}

/** Plays the story in the file's header through the services, moving the clock to each step. */
async function playTheStory(h: PageHarness, ids: Record<string, number>): Promise<void> {
  const { complaints, offsets } = h.plugin;
  const { counter, supervisor, director, cashier } = staff;
  const at = (local: string) => h.clock.set(sh(local));
  let n = 0;
  const create = async (name: string, local: string, unitId: string, category: string, channel: string) => {
    at(local);
    const { complaint } = await complaints.create(
      {
        unitId,
        complainantName: '张伟',
        complainantPhone: '13800138001',
        complainantRelation: 'owner',
        channel,
        category,
        description: `报表测试 ${name}`,
        threatenedWithholding: false,
        idempotencyKey: `report-${name}-${++n}`,
      },
      counter,
    );
    ids[name] = complaint.id;
  };
  const version = async (name: string) => (await complaints.get(ids[name]!, supervisor)).complaint.version;
  const act = async (name: string, local: string, action: string, body: Record<string, unknown>, actor: Actor = supervisor) => {
    at(local);
    await complaints.transition(ids[name]!, action, { version: await version(name), ...body }, actor);
  };
  const assess = (name: string, local: string, severity: string, extra: Record<string, unknown> = {}) =>
    act(name, local, 'assess', { disputeType: 'property', nature: 'valid', severity, findings: '现场核实属实', ...extra });
  const plan = (name: string, local: string, department: string, deadline: string) =>
    act(name, local, 'plan', { department, assigneeId: 'eng-7', assigneeName: '刘师傅', measures: '安排维修', deadline: sh(deadline).toISOString() });
  const resolve = (name: string, local: string, extra: Record<string, unknown> = {}, actor: Actor = supervisor) =>
    act(name, local, 'resolve', { reply: '已处理完毕', basis: '现场照片与维修单', ...extra }, actor);
  const followUp = async (name: string, local: string, satisfied: boolean) => {
    at(local);
    const result = await complaints.followUp(ids[name]!, { version: await version(name), method: 'phone', satisfied }, counter);
    return result.continuation;
  };
  const raise = async (name: string, local: string, amount: string) => {
    at(local);
    return offsets.raise({ complaintId: ids[name]!, amount, reason: '报表测试抵扣' }, counter);
  };

  await create('X', '10-31 23:30', '102', 'fees', 'phone');
  await assess('X', '11-01 10:00', 'minor');
  const xOffset = await raise('X', '11-01 10:30', '60.00');
  at('11-01 11:00');
  await offsets.approve(xOffset.id, { version: xOffset.version }, director);
  at('11-01 11:30');
  await offsets.apply({ offsetId: xOffset.id, billId: '1005', amountFen: 2000, idempotencyKey: 'X-P1' }, cashier);

  await create('A', '11-02 09:00', '101', 'facilities', 'phone');
  await act('A', '11-02 10:00', 'start-investigation', { department: 'engineering' });
  await assess('A', '11-02 11:00', 'important');
  await plan('A', '11-02 12:00', 'engineering', '11-05 18:00');
  await create('B', '11-03 10:00', '101', 'facilities', 'counter');
  await assess('B', '11-03 14:00', 'minor');
  await plan('B', '11-03 15:00', 'engineering', '11-04 12:00');
  await resolve('A', '11-04 09:00');
  await followUp('A', '11-04 15:00', true);
  const aOffset = await raise('A', '11-04 16:00', '200.50');
  at('11-04 17:00');
  await offsets.approve(aOffset.id, { amount: '150.25', version: aOffset.version }, director);

  await create('C', '11-05 09:00', '102', 'service_attitude', 'phone');
  await resolve('C', '11-05 09:30', { nature: 'inquiry' }, counter);
  await resolve('B', '11-06 10:00');
  const bOffset = await raise('B', '11-06 11:00', '80.00');
  at('11-06 12:00');
  await offsets.reject(bOffset.id, { note: '损失与投诉无关', version: bOffset.version }, director);
  const k = await followUp('B', '11-08 10:00', false);
  ids.K = k!.id;
  await act('K', '11-08 11:00', 'start-investigation', { department: 'engineering' });
  await assess('K', '11-08 12:00', 'important');
  await plan('K', '11-08 13:00', 'engineering', '11-09 18:00');
  await resolve('K', '11-09 10:00');

  await create('D', '11-10 09:00', '103', 'security', 'app');
  await act('D', '11-10 09:20', 'start-investigation', { department: 'security' });
  await assess('D', '11-10 10:00', 'major', { disputeType: 'non_property', thirdParty: 'neighbour', responsibilityExplained: true });
  await followUp('K', '11-10 12:00', true);

  await create('F', '11-15 10:00', '102', 'pets', 'counter');
  await act('F', '11-15 10:30', 'cancel', { cancelKind: 'duplicate', reason: '重复登记' }, counter);

  await create('G', '11-20 09:00', '101', 'parking', 'patrol');
  await assess('G', '11-20 11:00', 'minor');
  await plan('G', '11-20 12:00', 'security', '11-25 18:00');
  at('11-20 13:00');
  await offsets.apply({ offsetId: aOffset.id, billId: '1001', amountFen: 10010, idempotencyKey: 'A-P1' }, cashier);
  await resolve('G', '11-21 09:00');
  await raise('G', '11-21 10:00', '30.00');
  await followUp('G', '11-22 08:00', true);
  at('11-22 09:00');
  await offsets.reverse({ idempotencyKey: 'A-P1', reversalKey: 'A-V1' }, cashier);
  at('11-22 10:00');
  await offsets.apply({ offsetId: aOffset.id, billId: '1001', amountFen: 5005, idempotencyKey: 'A-P2' }, cashier);

  await create('E', '11-30 23:30', '108', 'cleaning_greening', 'email');
  await create('Y', '12-01 00:10', '103', 'security', 'phone');
}
