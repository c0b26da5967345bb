// 报表 (总结改进): the period report as a page with server-drawn SVG bar charts, printable, and the same
// figures as a CSV download. Filters are a GET form (period and community), so a report is a link that
// can be bookmarked or sent. The figures and their definitions live in src/reports; this only shapes them.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Actor } from '../../auth/actor.js';
import type { Locale } from '../../common/localized.js';
import { formatFen } from '../../common/money.js';
import { buildReport, DIMENSIONS, type ComplaintReport } from '../../reports/report.js';
import { DIMENSION_LABELS, valueLabeller } from '../../reports/labels.js';
import { monthToDate } from '../../reports/period.js';
import { percent, reportFileNames, reportRows, toCsv } from '../../reports/csv.js';
import type { Durations, Share } from '../../reports/stats.js';
import type { Settings } from '../../settings/settings.js';
import { translate } from '../../i18n/index.js';
import { barChart } from '../charts.js';
import { fieldMessages, isValidationError } from '../forms.js';
import type { PageKit } from '../kit.js';
import { hasCommunities } from '../../host/mapping.js';
import { createImprovementService } from '../../reports/improvements.js';

function one(value: unknown): string {
  return typeof value === 'string' ? value.trim() : Array.isArray(value) && typeof value[0] === 'string' ? value[0].trim() : '';
}

/** The filters from the query string; no dates at all means the month so far. */
function readFilters(ctx: Context, now: Date, timeZone: string): { from: string; to: string; communityId: string } {
  const from = one(ctx.query.from).slice(0, 10);
  const to = one(ctx.query.to).slice(0, 10);
  const communityId = one(ctx.query.communityId).slice(0, 64);
  return from || to ? { from, to, communityId } : { ...monthToDate(now, timeZone), communityId };
}

async function communitiesOf(kit: PageKit, actor: Actor): Promise<Array<{ id: string; name: string }>> {
  if (!kit.context.mapping.community && !hasCommunities(kit.context.mapping)) return [];
  return (await kit.context.host.listCommunities()).filter((c) => actor.communityIds === null || actor.communityIds.includes(c.id));
}

function hoursText(ms: number | null, locale: Locale): string {
  if (ms === null) return '—';
  const h = ms / 3_600_000;
  return locale === 'en' ? `${h.toFixed(1)} h` : `${h.toFixed(1)} 小时`;
}

function shareView(s: Share) {
  return { percent: s.rate === null ? '—' : percent(s.rate), count: s.count, of: s.of };
}

function durationView(d: Durations, locale: Locale) {
  return { count: d.count, median: hoursText(d.medianMs, locale), p90: hoursText(d.p90Ms, locale) };
}

/** Everything the template shows, labels resolved in the reader's language. */
function reportView(report: ComplaintReport, settings: Settings, locale: Locale) {
  const labels = valueLabeller(settings);
  const of = (count: number) => (report.complaints ? percent(count / report.complaints) : '—');
  const dimensions = DIMENSIONS.map((d) => {
    // A category figure can open the improvement register with its scope filled in (issue 19).
    const rows = report.by[d].map((c) => ({
      label: labels(d, c.key)[locale],
      count: c.count,
      share: of(c.count),
      scope: d === 'category' && c.key !== null ? { kind: 'category', value: c.key } : null,
    }));
    const title = DIMENSION_LABELS[d][locale];
    return {
      id: d,
      title,
      rows,
      scoped: d === 'category',
      chart: barChart(
        title,
        rows.map((r) => ({ label: r.label, value: r.count })),
      ),
    };
  });
  const unitsTitle = translate(locale, 'report.topUnits');
  const m = report.offsets;
  return {
    complaints: report.complaints,
    cancelled: report.cancelled,
    resolved: report.resolved,
    acknowledge: durationView(report.acknowledge, locale),
    resolve: durationView(report.resolve, locale),
    onTime: { ...shareView(report.onTime), late: report.onTime.late, overdueOpen: report.onTime.overdueOpen },
    replyOnTime: { ...shareView(report.replyOnTime), late: report.replyOnTime.late, overdueOpen: report.replyOnTime.overdueOpen },
    handlingOnTime: { ...shareView(report.handlingOnTime), late: report.handlingOnTime.late, overdueOpen: report.handlingOnTime.overdueOpen },
    hotline: {
      ...shareView(report.hotline),
      referrals: report.hotline.referrals,
      replied: report.hotline.replied,
      late: report.hotline.late,
      overdueOpen: report.hotline.overdueOpen,
    },
    // An incident (one lift outage, forty complaints) counts once here; its complaints count in every other figure.
    incidents: report.incidents,
    followUp: { ...shareView(report.followUpInWindow), late: report.followUpInWindow.late, overdue: report.followUpInWindow.overdue },
    satisfaction: shareView(report.satisfaction),
    ownerRatings: report.ownerRatings,
    repeat: shareView(report.repeat),
    reopen: shareView(report.reopen),
    dimensions,
    topUnits: report.topUnits,
    topUnitsChart: barChart(
      unitsTitle,
      report.topUnits.map((u) => ({ label: u.label, value: u.count })),
    ),
    offsets: [
      { key: 'report.offsetRequested', count: m.requests, amount: formatFen(m.requestedFen) },
      { key: 'report.offsetApproved', count: m.approvals, amount: formatFen(m.approvedFen) },
      { key: 'report.offsetApplied', count: m.applications, amount: formatFen(m.appliedFen) },
      { key: 'report.offsetReversed', count: m.reversals, amount: formatFen(m.reversedFen) },
    ],
    netYuan: formatFen(m.netAppliedFen),
    followUpHours: settings.followUpHours,
    replyPromiseHours: settings.replyPromiseHours,
  };
}

function queryString(f: { from: string; to: string; communityId: string }): string {
  const q = new URLSearchParams({ from: f.from, to: f.to });
  if (f.communityId) q.set('communityId', f.communityId);
  return q.toString();
}

export function registerReport(router: Router, kit: PageKit): void {
  router.get('/report', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'report.view');
    const settings = await kit.context.settings.get();
    const locale = kit.locale(ctx);
    const f = readFilters(ctx, kit.context.clock.now(), settings.timezone);
    const communities = await communitiesOf(kit, actor);
    let report: ComplaintReport | null = null;
    let errors: Record<string, string> = {};
    try {
      report = await buildReport(kit.context, { from: f.from, to: f.to, communityId: f.communityId || null, actor });
    } catch (err) {
      if (!isValidationError(err)) throw err;
      errors = fieldMessages(err.fields, locale);
    }
    const community = communities.find((c) => c.id === f.communityId) ?? null;
    // The improvement register: each action with its effect, N days before against N after (?effectDays=).
    const effectDays = Math.min(366, Math.max(1, Number.parseInt(String(ctx.query.effectDays ?? ''), 10) || 30));
    const register = createImprovementService(kit.context);
    const improvements = await Promise.all(
      (await register.list(actor))
        .filter((a) => !f.communityId || a.communityId === null || a.communityId === f.communityId)
        .slice(0, 50)
        .map(async (a) => ({ ...a, scope: `${a.scopeKind}: ${a.scopeValue}`, effect: await register.effect(a.id, effectDays, actor) })),
    );
    await kit.render(
      ctx,
      'report',
      {
        title: kit.t(ctx, 'report.title'),
        section: 'report',
        f,
        errors,
        formError: Object.keys(errors).length ? Object.values(errors).join('；') : null,
        communities: communities.map((c) => ({ value: c.id, label: c.name, selected: c.id === f.communityId })),
        communityLabel: f.communityId ? (community?.name ?? f.communityId) : kit.t(ctx, 'report.allCommunities'),
        r: report ? reportView(report, settings, locale) : null,
        generatedAt: report?.generatedAt ?? null,
        csvUrl: kit.url(`/report.csv?${queryString(f)}`),
        effectDays,
        improvements,
        improvementsUrl: kit.url('/improvements'),
      },
      Object.keys(errors).length ? 422 : 200,
    );
  });

  router.get('/report.csv', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'report.view');
    const settings = await kit.context.settings.get();
    const locale = kit.locale(ctx);
    const f = readFilters(ctx, kit.context.clock.now(), settings.timezone);
    // An invalid period or community answers with the 400 error page naming the field.
    const report = await buildReport(kit.context, { from: f.from, to: f.to, communityId: f.communityId || null, actor });
    const community = f.communityId ? ((await communitiesOf(kit, actor)).find((c) => c.id === f.communityId) ?? null) : null;
    const csv = toCsv(reportRows(report, { locale, labels: valueLabeller(settings), communityName: community?.name ?? null }));
    const names = reportFileNames(report);
    // RFC 6266 / 5987: an ASCII filename for old clients and filename* with the UTF-8 name for the rest.
    ctx.attachment(locale === 'en' ? names.ascii : names.localized, { fallback: names.ascii });
    ctx.type = 'text/csv; charset=utf-8';
    ctx.body = csv;
  });
}
