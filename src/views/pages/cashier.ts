// 收银核对: the cashier enters or picks a bill and sees what the billing check says: the fee is always
// collectible, open complaints and fee-withholding threats are warnings, and only approved offsets with
// something left can be applied. Applying carries the payment number as the idempotency key (a double
// submit applies once); reversing carries a voiding number (restores once).
import type Router from '@koa/router';
import type { Context } from 'koa';
import { randomUUID } from 'node:crypto';
import type { Actor } from '../../auth/actor.js';
import { canSeeCommunity } from '../../auth/permissions.js';
import { ConflictError, DomainError, ValidationError, fieldError } from '../../common/errors.js';
import { MoneyFormatError, formatFen, parseYuan } from '../../common/money.js';
import { fieldMessages, formOf, isValidationError, positiveInt } from '../forms.js';
import type { PageKit } from '../kit.js';
import { labelOf, VOCAB } from '../labels.js';
import type { PageServices } from '../router.js';

interface CashierState {
  errors?: Record<string, string>;
  message?: string | null;
  values?: Record<string, string>;
  openOffsetId?: number | null;
}

function paymentRef(): string {
  return `PAGE-${randomUUID()}`;
}

/** The bill, when it exists and the cashier may see its community; null otherwise (answered alike). */
async function visibleBill(kit: PageKit, actor: Actor, billId: string) {
  const bill = await kit.context.host.getBill(billId);
  if (!bill) return null;
  const unit = await kit.context.host.getUnit(bill.unitId);
  if (unit && !canSeeCommunity(actor, unit.communityId)) return null;
  return { bill, unit };
}

async function renderCashier(ctx: Context, kit: PageKit, services: PageServices, actor: Actor, state: CashierState = {}, status = 200): Promise<void> {
  const billId = typeof ctx.query.bill === 'string' ? ctx.query.bill.trim().slice(0, 64) : state.values?.billId ?? '';
  const q = typeof ctx.query.q === 'string' ? ctx.query.q.trim().slice(0, 100) : '';
  const unitId = typeof ctx.query.unit === 'string' ? ctx.query.unit.slice(0, 64) : '';
  const data: Record<string, unknown> & { title: string; section: string } = {
    title: kit.t(ctx, 'cashier.title'),
    section: 'cashier',
    selfPath: kit.url(`/cashier${billId ? `?bill=${encodeURIComponent(billId)}` : ''}`),
    billId,
    q,
    errors: state.errors ?? {},
    message: state.message ?? null,
  };
  if (q) {
    data.results = (await kit.context.host.searchUnits(q, { communityIds: actor.communityIds, limit: 20 })).map((u) => ({ id: u.id, label: u.label, communityName: u.communityName, owners: u.owners.map((o) => o.name).join('、') }));
    data.searched = true;
  }
  if (unitId && !billId) {
    const unit = await kit.context.host.getUnit(unitId);
    if (unit && canSeeCommunity(actor, unit.communityId)) {
      data.unit = { id: unit.id, label: unit.label };
      data.unitBills = (await kit.context.host.listUnpaidBills(unit.id, 24)).map((b) => ({ id: b.id, period: b.period, amountFen: b.amountFen, status: b.status }));
    }
  }
  if (billId) {
    const found = await visibleBill(kit, actor, billId);
    if (!found) {
      data.notFound = true;
    } else {
      const { bill, unit } = found;
      const [check, applicable, applications] = await Promise.all([
        services.offsets.check({ billId: bill.id, offsets: [] }),
        services.offsets.applicable(bill.id),
        services.offsets.applicationsForBill(bill.id, actor),
      ]);
      const appliedFen = applications.filter((a) => a.state === 'applied').reduce((s, a) => s + a.amountFen, 0);
      const locale = kit.locale(ctx);
      data.bill = { id: bill.id, period: bill.period, amountFen: bill.amountFen, status: bill.status, unpaid: bill.unpaid, unitLabel: unit?.label ?? bill.unitId, owners: unit?.owners.map((o) => o.name).join('、') ?? '' };
      data.warnings = check.warnings.map((w) => ({ code: w.code, complaintId: w.complaintId, complaintCode: w.complaintCode, message: w.message[locale], threat: w.code === 'withholding_threat' }));
      data.applicable = applicable.map((o) => {
        const open = state.openOffsetId === o.id && state.values;
        const suggested = Math.max(0, Math.min(o.remainingFen, bill.amountFen - appliedFen));
        return {
          id: o.id,
          complaintId: o.complaintId,
          reason: o.reason,
          approvedFen: o.approvedFen,
          remainingFen: o.remainingFen,
          expiresOn: o.expiresOn,
          decidedByName: o.decidedByName,
          amount: open ? state.values!.amount : formatFen(suggested),
          paymentRef: open ? state.values!.idempotencyKey : paymentRef(),
        };
      });
      data.applications = applications.map((a) => ({
        ...a,
        reversed: a.state === 'reversed',
        reversalRef: paymentRef().replace('PAGE-', 'VOID-'),
        statusLabel: labelOf(VOCAB.offsetStatus, 'approved'),
      }));
    }
  }
  await kit.render(ctx, 'cashier', data, status);
}

export function registerCashier(router: Router, kit: PageKit, services: PageServices): void {
  router.get('/cashier', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'offset.apply');
    await renderCashier(ctx, kit, services, actor);
  });

  router.post('/cashier/apply', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'offset.apply');
    const form = formOf(ctx);
    const billId = form.get('billId').trim();
    const offsetId = positiveInt(form.get('offsetId'));
    const values = form.values();
    const locale = kit.locale(ctx);
    ctx.query = { bill: billId };
    try {
      if (!billId || !(await visibleBill(kit, actor, billId))) throw new DomainError('bill_not_found', 404, { 'zh-CN': `找不到账单 ${billId}`, en: `There is no bill ${billId}` });
      if (!offsetId) throw new ValidationError([fieldError('offsetId', '请选择抵扣', 'Choose an offset')]);
      let amountFen: number;
      try {
        amountFen = parseYuan(form.get('amount'));
      } catch (err) {
        if (err instanceof MoneyFormatError) throw new ValidationError([{ field: 'amount', message: err.localized }]);
        throw err;
      }
      await services.offsets.apply({ offsetId, billId, amountFen, idempotencyKey: form.get('idempotencyKey').trim() }, actor);
      kit.redirect(ctx, `/cashier?bill=${encodeURIComponent(billId)}`, 'offsetApplied');
    } catch (err) {
      if (isValidationError(err)) {
        const errors = Object.fromEntries(Object.entries(fieldMessages(err.fields, locale)).map(([k, m]) => [`o${offsetId ?? 0}.${k === 'amountFen' ? 'amount' : k}`, m]));
        return renderCashier(ctx, kit, services, actor, { errors, values, openOffsetId: offsetId, message: err.localized[locale] }, 422);
      }
      if (err instanceof DomainError && (err instanceof ConflictError || err.status === 409 || err.status === 404)) {
        if (err.code === 'bill_not_found') throw err;
        return renderCashier(ctx, kit, services, actor, { values, openOffsetId: offsetId, message: err.localized[locale] }, err.status);
      }
      throw err;
    }
  });

  router.post('/cashier/reverse', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'offset.apply');
    const form = formOf(ctx);
    const billId = form.get('billId').trim();
    const locale = kit.locale(ctx);
    ctx.query = { bill: billId };
    try {
      if (!billId || !(await visibleBill(kit, actor, billId))) throw new DomainError('bill_not_found', 404, { 'zh-CN': `找不到账单 ${billId}`, en: `There is no bill ${billId}` });
      // The posted bill and the actor's communities bound what may be reversed: a key from another bill is not found.
      await services.offsets.reverse({ idempotencyKey: form.get('idempotencyKey'), reversalKey: form.get('reversalKey').trim(), billId }, actor);
      kit.redirect(ctx, `/cashier?bill=${encodeURIComponent(billId)}`, 'offsetReversed');
    } catch (err) {
      if (isValidationError(err)) return renderCashier(ctx, kit, services, actor, { message: err.localized[locale] + '：' + err.fields.map((f) => f.message[locale]).join('；') }, 422);
      if (err instanceof DomainError && err.status !== 403 && err.code !== 'bill_not_found' && err.status < 500) {
        return renderCashier(ctx, kit, services, actor, { message: err.localized[locale] }, err.status);
      }
      throw err;
    }
  });
}
