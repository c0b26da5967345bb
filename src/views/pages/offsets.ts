// 抵扣审批: the queue of requests for approvers, each with what this approver may do given their
// per-role limit (over the limit or one's own request: shown, not actionable), and recently approved
// offsets that may still be revoked. Decisions carry the offset's version (stale → 409).
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Actor } from '../../auth/actor.js';
import { hasPermission } from '../../auth/permissions.js';
import { ConflictError, DomainError } from '../../common/errors.js';
import { fieldMessages, formOf, isValidationError, positiveInt } from '../forms.js';
import type { PageKit } from '../kit.js';
import type { PageServices } from '../services.js';
import { offsetRow } from './viewModels.js';
import { formatFen, formatYuan } from '../../common/money.js';
import { formatDateTime } from '../format.js';
import { approvalQueueFacts, approvedBeyondOutstanding } from '../../offsets/summaries.js';
import { BILL_PAYMENT_LABELS } from '../../offsets/model.js';
import { categoryLabels, labelOf, VOCAB } from '../labels.js';

interface QueueState {
  openId?: number;
  openKind?: 'approve' | 'reject' | 'revoke';
  values?: Record<string, string>;
  errors?: Record<string, string>;
  message?: string | null;
  conflict?: boolean;
}

async function renderQueue(ctx: Context, kit: PageKit, services: PageServices, actor: Actor, state: QueueState = {}, status = 200): Promise<void> {
  const limit = await services.offsets.approvalLimitFen(actor);
  const [requested, approved] = await Promise.all([
    services.offsets.list({ status: 'requested', perPage: 100 }, actor),
    hasPermission(actor, 'offset.revoke') ? services.offsets.list({ status: 'approved', perPage: 30 }, actor) : Promise.resolve({ items: [], total: 0 }),
  ]);
  const canApprove = hasPermission(actor, 'offset.approve') && limit !== undefined;
  const locale = kit.locale(ctx);
  const [facts, settings] = await Promise.all([approvalQueueFacts(kit.context, requested.items, actor), kit.context.settings.get()]);
  const categories = categoryLabels(settings, true);
  // Just approved (?offset=N on the redirect): an amount beyond what the unit owes is warned, not refused.
  const justApproved = positiveInt(typeof ctx.query.offset === 'string' ? ctx.query.offset : '');
  const approvedWarning = justApproved && ctx.query.ok === 'offsetApproved' ? await approvedBeyondOutstanding(kit.context, justApproved, actor) : null;
  const rows = requested.items.map((o) => {
    const row = offsetRow(o);
    const f = facts.get(o.id)!;
    const own = o.requestedBy === actor.id;
    // The limit bounds what this approver approves on the complaint in total, earlier approvals included.
    const overLimit = limit !== undefined && limit !== null && f.approvedByMeFen + o.requestedFen > limit;
    const open = state.openId === o.id;
    return {
      ...row,
      unitLabel: f.unitLabel,
      ownerNames: f.ownerNames.join('、'),
      categoryLabel: labelOf(categories, f.category),
      bills: f.bills.map((b) => ({ ...b, statusLabel: BILL_PAYMENT_LABELS[b.paymentState] })),
      limited: f.limited,
      others: f.others.map((b) => ({ ...b, statusLabel: labelOf(VOCAB.offsetStatus, b.status) })),
      myApproved: formatYuan(f.approvedByMeFen),
      myLimit: typeof f.limitFen === 'number' ? formatYuan(f.limitFen) : null,
      warning: f.warning?.[locale] ?? null,
      own,
      overLimit,
      expired: row.status !== 'requested',
      actionable: canApprove && !own && row.status === 'requested',
      // Over the limit the request waits for a higher role; it may still be rejected here.
      approvable: canApprove && !own && row.status === 'requested' && !overLimit,
      amountValue: open && state.values ? state.values.amount : formatFen(o.requestedFen),
      noteValue: open && state.values ? state.values.note : '',
      openApprove: open && state.openKind === 'approve',
      openReject: open && state.openKind === 'reject',
      message: open ? state.message : null,
      conflict: open && state.conflict,
    };
  });
  const approvedRows = approved.items.map((o) => {
    const row = offsetRow(o);
    const open = state.openId === o.id && state.openKind === 'revoke';
    return {
      ...row,
      revocable: row.unused && row.status === 'approved',
      open,
      noteValue: open && state.values ? state.values.note : '',
      message: open ? state.message : null,
    };
  });
  // A refused decision on an offset no longer listed (decided meanwhile) is shown above the lists.
  const shown = rows.some((r) => r.id === state.openId) || approvedRows.some((r) => r.open);
  await kit.render(
    ctx,
    'offsets',
    {
      pageMessage: state.message && !shown ? state.message : null,
      approvedWarning: approvedWarning?.[locale] ?? null,
      title: kit.t(ctx, 'offsets.title'),
      selfPath: kit.url('/offsets'),
      section: 'offsets',
      canApprove,
      limitFen: limit ?? null,
      unlimited: limit === null,
      rows,
      total: requested.total,
      approved: approvedRows,
      canRevoke: hasPermission(actor, 'offset.revoke'),
      errors: state.errors ?? {},
    },
    status,
  );
}

export function registerOffsets(router: Router, kit: PageKit, services: PageServices): void {
  router.get('/offsets', ...kit.stack, async (ctx) => {
    const actor = kit.actor(ctx);
    if (!hasPermission(actor, 'offset.approve') && !hasPermission(actor, 'offset.revoke')) kit.require(ctx, 'offset.approve');
    await renderQueue(ctx, kit, services, actor);
  });

  for (const kind of ['approve', 'reject', 'revoke'] as const) {
    router.post(`/offsets/:id/${kind}`, ...kit.stack, async (ctx) => {
      const actor = kit.require(ctx, kind === 'revoke' ? 'offset.revoke' : 'offset.approve');
      const id = positiveInt(ctx.params.id);
      if (!id) throw new DomainError('not_found', 404, { 'zh-CN': '抵扣不存在', en: 'Offset not found' });
      const form = formOf(ctx);
      // The form always posts the version it was read at; anything but a number (or none) is refused by
      // the schema rather than dropped, which would have skipped the stale-version check.
      const versionText = form.get('version');
      const version = (/^\d{1,10}$/.test(versionText) ? Number(versionText) : versionText) as number;
      const note = form.get('note').trim();
      try {
        if (kind === 'approve') {
          const amount = form.get('amount').trim();
          await services.offsets.approve(id, { ...(amount ? { amount } : {}), ...(note ? { note } : {}), version }, actor);
          kit.redirect(ctx, `/offsets?offset=${id}`, 'offsetApproved');
        } else if (kind === 'reject') {
          await services.offsets.reject(id, { note, version }, actor);
          kit.redirect(ctx, '/offsets', 'offsetRejected');
        } else {
          await services.offsets.revoke(id, { note, version }, actor);
          kit.redirect(ctx, '/offsets', 'offsetRevoked');
        }
      } catch (err) {
        const locale = kit.locale(ctx);
        const values = form.values();
        if (isValidationError(err)) {
          const errors = Object.fromEntries(Object.entries(fieldMessages(err.fields, locale)).map(([k, m]) => [`o${id}.${k}`, m]));
          return renderQueue(ctx, kit, services, actor, { openId: id, openKind: kind, values, errors, message: err.localized[locale] }, 422);
        }
        if (err instanceof ConflictError || (err instanceof DomainError && err.status === 403)) {
          let message = err.localized[locale];
          if (err.code === 'stale_version') {
            // Name who changed the offset first (the service says only that it changed).
            const last = (await services.offsets.get(id, actor)).events.at(-1);
            if (last)
              message += kit
                .t(ctx, 'offsets.lastChange')
                .replace('{name}', last.actorName)
                .replace('{at}', formatDateTime(last.at, (await kit.context.settings.get()).timezone));
          }
          return renderQueue(ctx, kit, services, actor, { openId: id, openKind: kind, values, message, conflict: true }, err.status);
        }
        throw err;
      }
    });
  }
}
