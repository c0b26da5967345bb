// 投诉列表: filters, sort, keyset pagination (next page by cursor, so page 500 costs what page 1 costs on
// a million rows) and the count (exact up to the service's cap). Filters are a GET form: bookmarkable,
// and the back button works.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { OPEN_STATES } from '../../complaints/states.js';
import { SORT_KEYS } from '../../complaints/schemas.js';
import { TOTAL_CAP } from '../../complaints/store/listing.js';
import type { ListResult } from '../../complaints/types.js';
import type { ComplaintSummary } from '../../complaints/store/complaints.js';
import { fieldMessages, isValidationError } from '../forms.js';
import type { PageKit } from '../kit.js';
import { categoryLabels, choices, VOCAB, ALL_STATES } from '../labels.js';
import type { PageServices } from '../services.js';
import { complaintRow } from './viewModels.js';
import { hasCommunities } from '../../host/mapping.js';
import { toCsv } from '../../reports/csv.js';
import { formatZoned } from '../../calendar/zoned.js';
import { labelOf } from '../labels.js';
import { translate } from '../../i18n/index.js';
import { maskMobile } from '../../privacy/mask.js';

/** Rows in one CSV export at most: the list's filters narrow it; the ledger of a whole year is another export. */
export const LIST_CSV_MAX_ROWS = 10_000;
import { hasPermission } from '../../auth/permissions.js';
import { PassThrough } from 'node:stream';
import { ledgerCsvStream, ledgerFileNames, writeLedgerXlsx } from '../../reports/ledger.js';

const PAGE_SIZES = ['20', '50', '100'];

function many(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v !== '');
  return typeof value === 'string' && value !== '' ? [value] : [];
}

function one(value: unknown): string {
  return typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : '';
}

/** The page's query → the service's list query (raw: the service validates it) and the filter form's values. */
export function readListQuery(ctx: Context, actorId: string) {
  const q = ctx.query;
  const f = {
    q: one(q.q).trim().slice(0, 100),
    state: many(q.state),
    severity: many(q.severity),
    category: many(q.category),
    nature: many(q.nature),
    disputeType: one(q.disputeType),
    communityId: one(q.communityId),
    overdue: one(q.overdue) === '1',
    paused: one(q.paused) === '1',
    repeat: one(q.repeat) === '1',
    threat: one(q.threat) === '1',
    mine: one(q.mine) === '1',
    from: one(q.from),
    to: one(q.to),
    sort: (SORT_KEYS as readonly string[]).includes(one(q.sort)) ? one(q.sort) : '-receivedAt',
    limit: PAGE_SIZES.includes(one(q.limit)) ? one(q.limit) : '20',
    cursor: one(q.cursor),
    page: Math.max(1, Math.min(100000, Number.parseInt(one(q.p), 10) || 1)),
  };
  const raw: Record<string, unknown> = {
    sort: f.sort,
    limit: Number(f.limit),
    ...(f.q ? { q: f.q } : {}),
    ...(f.state.length ? { state: f.state } : {}),
    ...(f.severity.length ? { severity: f.severity } : {}),
    ...(f.category.length ? { category: f.category } : {}),
    ...(f.nature.length ? { nature: f.nature } : {}),
    ...(f.disputeType ? { disputeType: f.disputeType } : {}),
    ...(f.communityId ? { communityId: f.communityId } : {}),
    ...(f.overdue ? { overdue: true } : {}),
    ...(f.paused ? { paused: true } : {}),
    ...(f.repeat ? { repeat: true } : {}),
    ...(f.threat ? { threatenedWithholding: true } : {}),
    ...(f.mine ? { assigneeId: actorId } : {}),
    ...(f.from ? { receivedFrom: f.from } : {}),
    ...(f.to ? { receivedTo: f.to } : {}),
    ...(f.cursor ? { cursor: f.cursor } : {}),
  };
  // The query string of the current filters (without the page position), for sort and page links.
  const pairs: Array<[string, string]> = [];
  for (const [k, v] of Object.entries({ q: f.q, disputeType: f.disputeType, communityId: f.communityId, from: f.from, to: f.to, sort: f.sort, limit: f.limit }))
    if (v) pairs.push([k, v]);
  for (const k of ['state', 'severity', 'category', 'nature'] as const) for (const v of f[k]) pairs.push([k, v]);
  if (f.overdue) pairs.push(['overdue', '1']);
  if (f.paused) pairs.push(['paused', '1']);
  if (f.repeat) pairs.push(['repeat', '1']);
  if (f.threat) pairs.push(['threat', '1']);
  if (f.mine) pairs.push(['mine', '1']);
  return { f, raw, pairs };
}

export function registerList(router: Router, kit: PageKit, services: PageServices): void {
  router.get('/list', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.view');
    const settings = await kit.context.settings.get();
    const now = kit.context.clock.now();
    const { f, raw, pairs } = readListQuery(ctx, actor.id);
    let result: ListResult<ComplaintSummary> | null = null;
    let errors: Record<string, string> = {};
    try {
      result = await services.complaints.listSummaries(raw, actor);
    } catch (err) {
      if (!isValidationError(err)) throw err;
      errors = fieldMessages(err.fields, kit.locale(ctx));
    }
    const communities =
      kit.context.mapping.community || hasCommunities(kit.context.mapping)
        ? (await kit.context.host.listCommunities()).filter((c) => actor.communityIds === null || actor.communityIds.includes(c.id))
        : [];
    await kit.render(
      ctx,
      'list',
      {
        title: kit.t(ctx, 'list.title'),
        section: 'list',
        f,
        errors,
        formError: Object.keys(errors).length ? Object.values(errors).join('；') : null,
        rows: result ? result.items.map((c) => complaintRow(c, settings, now)) : [],
        total: result?.total ?? 0,
        capped: result?.totalCapped ?? false,
        cap: TOTAL_CAP,
        nextCursor: result?.nextCursor ?? null,
        nextPage: f.page + 1,
        notFirst: !!f.cursor,
        listPath: kit.url('/list'),
        csvUrl: `${kit.url('/list.csv')}${pairs.length ? `?${new URLSearchParams(pairs).toString()}` : ''}`,
        listQuery: pairs,
        exportQuery: new URLSearchParams(pairs).toString(),
        canExport: hasPermission(actor, 'report.view'),
        states: choices(VOCAB.state, f.state, ALL_STATES),
        openStates: OPEN_STATES,
        severities: choices(VOCAB.severity, f.severity),
        categories: choices(categoryLabels(settings, true), f.category),
        natures: choices(VOCAB.nature, f.nature),
        disputeTypes: choices(VOCAB.disputeType, f.disputeType),
        communities: communities.map((c) => ({ value: c.id, label: c.name, selected: c.id === f.communityId })),
        sorts: SORT_KEYS.map((s) => ({ value: s, key: `list.sort.${s}`, selected: s === f.sort })),
        pageSizes: PAGE_SIZES.map((s) => ({ value: s, selected: s === f.limit })),
        sortReceived: f.sort === '-receivedAt' ? 'receivedAt' : '-receivedAt',
        sortDue: f.sort === 'dueAt' ? '-dueAt' : 'dueAt',
      },
      Object.keys(errors).length ? 422 : 200,
    );
  });

  // The list as CSV (same filters, every page up to LIST_CSV_MAX_ROWS): the complainant's number masked,
  // like the list itself (PIPL); the full number is only on the complaint's page, audited.
  router.get('/list.csv', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.view');
    const settings = await kit.context.settings.get();
    const locale = kit.locale(ctx);
    const tz = settings.timezone;
    const { raw } = readListQuery(ctx, actor.id);
    const categories = categoryLabels(settings, true);
    const t = (key: Parameters<typeof translate>[1]) => translate(locale, key);
    const rows: Array<Array<string | number | null>> = [
      [
        t('field.code'),
        t('field.state'),
        t('field.receivedAt'),
        t('field.unit'),
        t('field.complainantName'),
        t('field.complainantPhone'),
        t('field.category'),
        t('field.severity'),
        t('field.dueAt'),
      ],
    ];
    let cursor: string | undefined;
    do {
      const page = await services.complaints.listSummaries({ ...raw, limit: 100, ...(cursor ? { cursor } : { cursor: undefined }) }, actor);
      for (const c of page.items) {
        if (rows.length > LIST_CSV_MAX_ROWS) break;
        rows.push([
          c.code,
          labelOf(VOCAB.state, c.state)?.[locale] ?? c.state,
          formatZoned(c.receivedAt, tz),
          c.unitLabel,
          c.complainantName,
          maskMobile(c.complainantPhone),
          labelOf(categories, c.category)?.[locale] ?? c.category,
          c.severity ? (labelOf(VOCAB.severity, c.severity)?.[locale] ?? c.severity) : '',
          c.dueAt ? formatZoned(c.dueAt, tz) : '',
        ]);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor && rows.length <= LIST_CSV_MAX_ROWS);
    ctx.attachment(locale === 'en' ? 'complaints.csv' : '投诉列表.csv', { fallback: 'complaints.csv' });
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = toCsv(rows);
  });

  // 投诉台账: the whole filtered list (not one page), streamed as CSV or XLSX.
  for (const ext of ['csv', 'xlsx'] as const) {
    router.get(`/list/export.${ext}`, ...kit.stack, async (ctx) => {
      // A bulk export of owners' data is for management and inspections: the report's permission.
      const actor = kit.require(ctx, 'report.view');
      const locale = kit.locale(ctx);
      const { raw } = readListQuery(ctx, actor.id);
      // Bad filters answer with the 400 error page naming the field, before anything is sent.
      const ledger = await services.complaints.ledger(raw, actor);
      const x = { locale, settings: ledger.settings, communityNames: ledger.communityNames };
      const names = ledgerFileNames(ledger.now, ledger.settings.timezone, ext);
      ctx.attachment(locale === 'en' ? names.ascii : names.localized, { fallback: names.ascii });
      ctx.set('Cache-Control', 'no-store');
      if (ext === 'csv') {
        ctx.type = 'text/csv; charset=utf-8';
        ctx.body = ledgerCsvStream(ledger.batches, x);
        return;
      }
      ctx.type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
      const out = new PassThrough();
      ctx.body = out;
      writeLedgerXlsx(ledger.batches, x, out).catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));
    });
  }
}
