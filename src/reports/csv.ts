// The report as CSV that Excel opens correctly with Chinese text: UTF-8 with a byte-order mark (without
// it Excel reads the file in the system's ANSI code page, GBK on Chinese Windows, and garbles it), CRLF
// line ends, and RFC 4180 quoting. Written by hand rather than with a package: quoting is the few lines
// below, and Excel needs the BOM and the formula guard on top of what a CSV library does anyway.
import type { Locale } from '../common/localized.js';
import { msg, type Localized } from '../common/localized.js';
import { formatFen } from '../common/money.js';
import { formatZoned } from '../calendar/zoned.js';
import { DIMENSION_LABELS, type ValueLabeller } from './labels.js';
import { DIMENSIONS, type ComplaintReport } from './report.js';
import type { Durations, Share } from './stats.js';

export const BOM = '\uFEFF';
const CRLF = '\r\n';

/** A number the sheet should read as a number (our formatted figures), never guarded. */
const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?%?$/;

/**
 * One field. Text that a spreadsheet would run as a formula (=, +, -, @, or a leading tab or CR: a unit
 * label typed as "=HYPERLINK(…)" in the host ERP) gets a leading apostrophe, as OWASP advises for CSV
 * injection; then fields with a comma, quote, CR or LF are quoted, with quotes doubled.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The whole file: BOM, then each row's fields joined by commas, each row ended by CRLF. */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>): string {
  return BOM + rows.map((row) => row.map(csvField).join(',') + CRLF).join('');
}

export function hours(ms: number | null): string {
  return ms === null ? '' : (ms / 3_600_000).toFixed(2);
}

export function percent(rate: number | null): string {
  return rate === null ? '' : `${(rate * 100).toFixed(1)}%`;
}

const L = {
  header: [msg('指标', 'Figure'), msg('项目', 'Item'), msg('数值', 'Value'), msg('说明', 'Detail')],
  period: msg('统计期间', 'Period'),
  to: msg('至', 'to'),
  community: msg('小区', 'Community'),
  allCommunities: msg('全部小区', 'All communities'),
  generated: msg('生成时间', 'Generated at'),
  complaints: msg('投诉总数', 'Complaints'),
  notCancelled: msg('期间受理，不含已撤销', 'Received in the period, cancelled ones excluded'),
  cancelled: msg('已撤销', 'Cancelled'),
  resolved: msg('已回复', 'Replied'),
  acknowledge: msg('受理响应时长（小时）', 'Time to acknowledge (hours)'),
  resolve: msg('处理回复时长（小时）', 'Time to resolve (hours)'),
  median: msg('中位数', 'Median'),
  p90: msg('90百分位', '90th percentile'),
  measured: msg('计入 {n} 件', '{n} measured'),
  onTime: msg('按时回复率', 'Replied on time'),
  replyOnTime: msg('按承诺答复率（对业主的承诺）', 'Replied by the promise to the owner'),
  handlingOnTime: msg('按方案期限处理率（内部方案）', "Handled by the plan's deadline (internal)"),
  onTimeDetail: msg('按时 {count} / {of}；逾期回复 {late}；逾期未回复 {open}', '{count} of {of} on time; {late} replied late; {open} overdue, not replied'),
  followUp: msg('回访时限内完成率', 'Follow-ups within the window'),
  followUpDetail: msg('时限内 {count} / {of}；超时回访 {late}；逾期未回访 {overdue}', '{count} of {of} in time; {late} late; {overdue} overdue, not visited'),
  satisfaction: msg('回访满意率', 'Satisfaction'),
  ownerRatings: msg('业主评价（平均星级）', 'Owner ratings (average stars)'),
  ownerRatingsDetail: msg(
    '评价 {count} 件；差评（1–2 星）{low}；申请重新处理 {rehandled}',
    '{count} ratings; {low} of 1–2 stars; {rehandled} asked for re-handling',
  ),
  repeat: msg('二次投诉率', 'Repeat complaints'),
  reopen: msg('不满意重开率', 'Reopened after an unsatisfied follow-up'),
  share: msg('{count} / {of}', '{count} of {of}'),
  topUnits: msg('投诉最多的房屋', 'Units with most complaints'),
  offsets: msg('抵扣（元）', 'Offsets (yuan)'),
  requested: msg('申请', 'Requested'),
  approved: msg('批准', 'Approved'),
  applied: msg('已使用', 'Applied'),
  reversed: msg('已冲回', 'Reversed'),
  net: msg('实际抵扣（使用 − 冲回）', 'Net (applied − reversed)'),
  items: msg('{n} 笔', '{n} items'),
  hotline: msg('12345 热线转办', '12345 hotline referrals'),
  incidents: msg('事件（群诉）', 'Incidents'),
  incidentCount: msg('事件数（每件计一次）', 'Incidents (each counted once)'),
  incidentComplaints: msg('其中的投诉', 'Their complaints'),
  hotlineCount: msg('转办件数', 'Referrals'),
  hotlineReplied: msg('已回复', 'Replied'),
  hotlineOnTime: msg('按热线时限办结率', 'Replied within the hotline deadline'),
  hotlineDetail: msg('按时 {count} / {of}；逾期办结 {late}；逾期未办结 {open}', '{count} of {of} on time; {late} late; {open} overdue, not replied'),
};

function fill(text: Localized, locale: Locale, params: Record<string, string | number>): string {
  return text[locale].replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export interface CsvContext {
  locale: Locale;
  labels: ValueLabeller;
  /** The community's name when the report is for one community. */
  communityName: string | null;
}

/** The report as rows: [figure, item, value, detail], a header first. */
export function reportRows(report: ComplaintReport, ctx: CsvContext): string[][] {
  const { locale } = ctx;
  const t = (l: Localized) => l[locale];
  const rows: string[][] = [L.header.map(t)];
  const add = (figure: Localized, item: string, value: string | number, detail = '') => rows.push([t(figure), item, String(value), detail]);
  const shareRow = (figure: Localized, s: Share, detail?: string) =>
    add(figure, '', percent(s.rate), detail ?? fill(L.share, locale, { count: s.count, of: s.of }));
  const durationRows = (figure: Localized, d: Durations) => {
    add(figure, t(L.median), hours(d.medianMs), fill(L.measured, locale, { n: d.count }));
    add(figure, t(L.p90), hours(d.p90Ms));
  };

  add(L.period, '', `${report.period.from} ${t(L.to)} ${report.period.to}`, report.period.timeZone);
  add(L.community, '', report.communityId === null ? t(L.allCommunities) : (ctx.communityName ?? report.communityId));
  add(L.generated, '', formatZoned(report.generatedAt, report.period.timeZone));
  add(L.complaints, '', report.complaints, t(L.notCancelled));
  add(L.cancelled, '', report.cancelled);
  add(L.resolved, '', report.resolved);
  for (const d of DIMENSIONS) for (const c of report.by[d]) add(DIMENSION_LABELS[d], ctx.labels(d, c.key)[locale], c.count);
  durationRows(L.acknowledge, report.acknowledge);
  durationRows(L.resolve, report.resolve);
  const o = report.onTime;
  shareRow(L.onTime, o, fill(L.onTimeDetail, locale, { count: o.count, of: o.of, late: o.late, open: o.overdueOpen }));
  for (const [label, x] of [
    [L.replyOnTime, report.replyOnTime],
    [L.handlingOnTime, report.handlingOnTime],
  ] as const)
    shareRow(label, x, fill(L.onTimeDetail, locale, { count: x.count, of: x.of, late: x.late, open: x.overdueOpen }));
  const f = report.followUpInWindow;
  shareRow(L.followUp, f, fill(L.followUpDetail, locale, { count: f.count, of: f.of, late: f.late, overdue: f.overdue }));
  shareRow(L.satisfaction, report.satisfaction);
  const r = report.ownerRatings;
  add(L.ownerRatings, '', r.averageStars ?? '', fill(L.ownerRatingsDetail, locale, { count: r.count, low: r.low, rehandled: r.rehandled }));
  shareRow(L.repeat, report.repeat);
  shareRow(L.reopen, report.reopen);
  for (const u of report.topUnits) add(L.topUnits, u.label, u.count);
  const m = report.offsets;
  const items = (n: number) => fill(L.items, locale, { n });
  add(L.offsets, t(L.requested), formatFen(m.requestedFen), items(m.requests));
  add(L.offsets, t(L.approved), formatFen(m.approvedFen), items(m.approvals));
  add(L.offsets, t(L.applied), formatFen(m.appliedFen), items(m.applications));
  add(L.offsets, t(L.reversed), formatFen(m.reversedFen), items(m.reversals));
  add(L.offsets, t(L.net), formatFen(m.netAppliedFen));
  // Shown when there are any: a company that gets no 12345 referrals or had no incident sees no empty rows.
  const hl = report.hotline;
  if (hl.referrals > 0) {
    add(L.hotline, t(L.hotlineCount), hl.referrals);
    add(L.hotline, t(L.hotlineReplied), hl.replied);
    add(L.hotline, t(L.hotlineOnTime), percent(hl.rate), fill(L.hotlineDetail, locale, { count: hl.count, of: hl.of, late: hl.late, open: hl.overdueOpen }));
  }
  if (report.incidents.incidents > 0) {
    add(L.incidents, t(L.incidentCount), report.incidents.incidents);
    add(L.incidents, t(L.incidentComplaints), report.incidents.complaints);
  }
  return rows;
}

/** 'complaints-report_2026-11-01_2026-11-30.csv' and its Chinese name for the download. */
export function reportFileNames(report: ComplaintReport): { ascii: string; localized: string } {
  const span = `${report.period.from}_${report.period.to}`;
  return { ascii: `complaints-report_${span}.csv`, localized: `投诉报表_${span}.csv` };
}
