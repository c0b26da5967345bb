// 总结改进 / 整改措施: the improvement register as pages. The report links each figure it can scope (a
// category, a unit, the community filtered on) to the form here, filled in with that scope; the page lists
// the actions with their effect (complaints and repeat complaints in the scope, the N days before the day
// the action took effect against the N days from it, with the counts, computed by src/reports/improvements.ts)
// and lets the status move on (planned → in progress → done, or dropped) with the version it was read at.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Actor } from '../../auth/actor.js';
import { ConflictError, DomainError } from '../../common/errors.js';
import type { Localized } from '../../common/localized.js';
import { hasCommunities } from '../../host/mapping.js';
import { ACTION_STATUSES, createImprovementService, SCOPE_KINDS, type ActionStatus, type ImprovementAction } from '../../reports/improvements.js';
import { localDate } from '../../calendar/zoned.js';
import { fieldMessages, formOf, isValidationError, positiveInt } from '../forms.js';
import type { PageKit } from '../kit.js';
import { categoryLabels, labelOf } from '../labels.js';

export const SCOPE_LABELS: Record<(typeof SCOPE_KINDS)[number], Localized> = {
  category: { 'zh-CN': '投诉类别', en: 'Cause category' },
  unit: { 'zh-CN': '房屋', en: 'Unit' },
  building: { 'zh-CN': '楼栋', en: 'Building' },
  community: { 'zh-CN': '小区', en: 'Community' },
};
export const STATUS_LABELS: Record<ActionStatus, Localized> = {
  planned: { 'zh-CN': '计划中', en: 'Planned' },
  in_progress: { 'zh-CN': '进行中', en: 'In progress' },
  done: { 'zh-CN': '已完成', en: 'Done' },
  dropped: { 'zh-CN': '已放弃', en: 'Dropped' },
};

function one(value: unknown): string {
  return typeof value === 'string' ? value.trim().slice(0, 200) : '';
}

interface RegisterState {
  /** 'new' for the record form, or the id of the action whose status form was refused. */
  open?: 'new' | number;
  values?: Record<string, string>;
  errors?: Record<string, string>;
  message?: string | null;
}

async function renderRegister(ctx: Context, kit: PageKit, actor: Actor, state: RegisterState = {}, status = 200): Promise<void> {
  const register = createImprovementService(kit.context);
  const settings = await kit.context.settings.get();
  const days = Math.min(366, Math.max(1, Number.parseInt(String(ctx.query.days ?? ''), 10) || 30));
  const communities =
    kit.context.mapping.community || hasCommunities(kit.context.mapping)
      ? (await kit.context.host.listCommunities()).filter((c) => actor.communityIds === null || actor.communityIds.includes(c.id))
      : [];
  const names = new Map(communities.map((c) => [c.id, c.name]));
  const categories = categoryLabels(settings, true);
  const same = (text: string): Localized => ({ 'zh-CN': text, en: text });
  const scopeText = (a: Pick<ImprovementAction, 'scopeKind' | 'scopeValue'>): Localized =>
    a.scopeKind === 'category'
      ? (labelOf(categories, a.scopeValue) ?? same(a.scopeValue))
      : same(a.scopeKind === 'community' ? (names.get(a.scopeValue) ?? a.scopeValue) : a.scopeValue);
  const actions = await Promise.all(
    (await register.list(actor)).map(async (a) => {
      const open = state.open === a.id;
      return {
        ...a,
        scopeLabel: SCOPE_LABELS[a.scopeKind],
        scopeValueLabel: scopeText(a),
        communityName: a.communityId ? (names.get(a.communityId) ?? a.communityId) : null,
        statusLabel: STATUS_LABELS[a.status],
        statuses: ACTION_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s], selected: s === (open ? state.values?.status : a.status) })),
        effect: await register.effect(a.id, days, actor),
        message: open ? state.message : null,
        open,
      };
    }),
  );
  // The record form starts from the report figure it was opened from (?scopeKind=&scopeValue=&communityId=).
  const values =
    state.open === 'new' && state.values
      ? state.values
      : {
          scopeKind: one(ctx.query.scopeKind),
          scopeValue: one(ctx.query.scopeValue),
          communityId: one(ctx.query.communityId),
          takenOn: localDate(kit.context.clock.now(), settings.timezone),
        };
  const fromFigure =
    values.scopeKind && values.scopeValue
      ? {
          kind: SCOPE_LABELS[values.scopeKind as keyof typeof SCOPE_LABELS] ?? null,
          value: scopeText({ scopeKind: values.scopeKind as ImprovementAction['scopeKind'], scopeValue: values.scopeValue }),
        }
      : null;
  await kit.render(
    ctx,
    'improvements',
    {
      title: kit.t(ctx, 'improvements.title'),
      section: 'report',
      selfPath: kit.url('/improvements'),
      days,
      actions,
      values,
      fromFigure,
      scopeKinds: SCOPE_KINDS.map((k) => ({ value: k, label: SCOPE_LABELS[k], selected: k === values.scopeKind })),
      statuses: ACTION_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s], selected: s === (values.status || 'planned') })),
      communities: communities.map((c) => ({ value: c.id, label: c.name, selected: c.id === values.communityId })),
      errors: state.open === 'new' ? (state.errors ?? {}) : {},
      formError: state.open === 'new' ? (state.message ?? null) : null,
    },
    status,
  );
}

export function registerImprovements(router: Router, kit: PageKit): void {
  router.get('/improvements', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'report.view');
    await renderRegister(ctx, kit, actor);
  });

  router.post('/improvements', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'report.view');
    const form = formOf(ctx);
    const input: Record<string, string> = {};
    for (const name of ['scopeKind', 'scopeValue', 'communityId', 'what', 'ownerName', 'dueOn', 'takenOn', 'status']) {
      const v = form.optional(name);
      if (v !== undefined) input[name] = v;
    }
    // A community-wide action names its community in scopeValue; a separate pick would only contradict it.
    if (input.scopeKind === 'community') delete input.communityId;
    try {
      await createImprovementService(kit.context).record(input, actor);
      kit.redirect(ctx, '/improvements', 'improvementRecorded');
    } catch (err) {
      if (!isValidationError(err)) throw err;
      const locale = kit.locale(ctx);
      await renderRegister(
        ctx,
        kit,
        actor,
        { open: 'new', values: form.values(), errors: fieldMessages(err.fields, locale), message: err.localized[locale] },
        422,
      );
    }
  });

  router.post('/improvements/:id/status', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'report.view');
    const id = positiveInt(ctx.params.id);
    if (!id) throw new DomainError('not_found', 404, { 'zh-CN': '整改措施不存在', en: 'Improvement action not found' });
    const form = formOf(ctx);
    const versionText = form.get('version');
    try {
      await createImprovementService(kit.context).setStatus(
        id,
        { version: /^\d{1,10}$/.test(versionText) ? Number(versionText) : -1, status: form.get('status') as ActionStatus },
        actor,
      );
      kit.redirect(ctx, '/improvements', 'improvementUpdated');
    } catch (err) {
      const locale = kit.locale(ctx);
      if (isValidationError(err) || err instanceof ConflictError) {
        return renderRegister(ctx, kit, actor, { open: id, values: form.values(), message: err.localized[locale] }, err.status === 400 ? 422 : err.status);
      }
      throw err;
    }
  });
}
