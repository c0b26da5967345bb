// 收银核对: the cashier enters or picks a bill and sees what the billing check says: the fee is always
// collectible, open complaints and fee-withholding threats are warnings, and only approved offsets with
// something left can be applied, for no more than the bill can still take. Applying carries the payment
// number from the receipt as the idempotency key (a double submit applies once); reversing carries the
// voiding number. Both are typed by the cashier, never made up by the page: a made-up key would apply a
// second time when the cashier sends the same payment again from a fresh page.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Actor } from '../../auth/actor.js';
import { canSeeCommunity } from '../../auth/permissions.js';
import { ConflictError, DomainError, ValidationError, fieldError, type FieldError } from '../../common/errors.js';
import { MoneyFormatError, formatFen, formatYuan, parseYuan } from '../../common/money.js';
import { BILL_PAYMENT_LABELS } from '../../offsets/model.js';
import { OffsetRefusedError } from '../../offsets/refusals.js';
import { fieldMessages, formOf, isValidationError, positiveInt } from '../forms.js';
import type { PageKit } from '../kit.js';
import type { PageServices } from '../services.js';
import { searchUnitPage } from '../../units/search.js';
import { readUnitPanel } from '../../units/panel.js';
import { unitPager } from './viewModels.js';
import { translate } from '../../i18n/index.js';

interface CashierState {
  errors?: Record<string, string>;
  message?: string | null;
  values?: Record<string, string>;
  openOffsetId?: number | null;
  /** The payment number of the application whose reversal form was refused, and what was typed in it. */
  reverseOf?: string;
  reversalKey?: string;
  /** After an exceeds_bill refusal the amount offered is what fits, not what was typed. */
  offerFit?: boolean;
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
  const billId = typeof ctx.query.bill === 'string' ? ctx.query.bill.trim().slice(0, 64) : (state.values?.billId ?? '');
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
    const page = positiveInt(typeof ctx.query.page === 'string' ? ctx.query.page : '') ?? 1;
    const found = await searchUnitPage(kit.context.host, q, actor.communityIds, page);
    data.search = unitPager(found, (p) => kit.url(`/cashier?q=${encodeURIComponent(q)}&page=${p}`));
    data.results = found.units.map((u) => ({
      id: u.id,
      label: u.label,
      communityName: u.communityName,
      owners: u.owners.map((o) => o.name).join('、'),
    }));
    data.searched = true;
  }
  if (unitId && !billId) {
    const read = await readUnitPanel(kit.context, actor, unitId, { bills: 24 });
    if (read) {
      const { unit, bills } = read;
      data.unit = { id: unit.id, label: unit.label };
      data.unitBills = bills.map((b) => ({
        id: b.id,
        period: b.period,
        amountFen: b.amountFen,
        outstandingFen: b.outstandingFen,
        statusLabel: BILL_PAYMENT_LABELS[b.paymentState],
      }));
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
      const locale = kit.locale(ctx);
      // Links name the complaint by its code: from the warnings and applications, else read once per complaint.
      const codes = new Map<number, string>();
      for (const w of check.warnings) codes.set(w.complaintId, w.complaintCode);
      for (const a of applications) codes.set(a.complaintId, a.complaintCode);
      for (const o of applicable) {
        if (!codes.has(o.complaintId)) codes.set(o.complaintId, (await services.complaints.get(o.complaintId, actor)).complaint.code);
      }
      const paymentState = check.paymentState ?? bill.paymentState;
      data.bill = {
        id: bill.id,
        period: bill.period,
        amountFen: bill.amountFen,
        statusLabel: BILL_PAYMENT_LABELS[paymentState],
        paid: paymentState === 'paid',
        outstandingFen: check.outstandingFen ?? bill.outstandingFen,
        appliedFen: check.appliedFen,
        openFen: check.openToOffsetsFen,
        // Nothing left to take: no form is offered, and the page says why.
        full: paymentState !== 'paid' && check.openToOffsetsFen === 0,
        unitLabel: unit?.label ?? bill.unitId,
        owners: unit?.owners.map((o) => o.name).join('、') ?? '',
      };
      data.warnings = check.warnings.map((w) => ({
        code: w.code,
        complaintId: w.complaintId,
        complaintCode: w.complaintCode,
        // The link beside it carries the code: the page's words do not repeat it.
        message: translate(locale, w.code === 'withholding_threat' ? 'cashier.warnThreat' : 'cashier.warnOpen'),
        threat: w.code === 'withholding_threat',
      }));
      // A paid bill takes no offset (applicable is empty then); each form offers at most what fits.
      data.applicable = applicable
        .map((o) => ({ o, fitFen: Math.max(0, Math.min(o.remainingFen, check.openToOffsetsFen)) }))
        .filter(({ fitFen }) => fitFen > 0)
        .map(({ o, fitFen }) => {
          const open = state.openOffsetId === o.id && state.values;
          return {
            id: o.id,
            complaintId: o.complaintId,
            complaintCode: codes.get(o.complaintId) ?? `#${o.complaintId}`,
            reason: o.reason,
            approvedFen: o.approvedFen,
            remainingFen: o.remainingFen,
            fitFen,
            fitYuan: formatYuan(fitFen),
            expiresOn: o.expiresOn,
            decidedByName: o.decidedByName,
            amount: open && !state.offerFit ? state.values!.amount : formatFen(fitFen),
            paymentRef: open ? (state.values!.idempotencyKey ?? '') : '',
          };
        });
      data.applications = applications.map((a) => ({
        ...a,
        reversed: a.state === 'reversed',
        reversalValue: state.reverseOf === a.idempotencyKey ? (state.reversalKey ?? '') : '',
      }));
      // A refused reversal's field error is shown at that application's row.
      const refusedRow = applications.find((a) => a.idempotencyKey === state.reverseOf);
      if (refusedRow && state.errors?.reversalKey)
        data.errors = { ...(data.errors as Record<string, string>), [`r${refusedRow.id}.reversalKey`]: state.errors.reversalKey };
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
      if (!billId || !(await visibleBill(kit, actor, billId)))
        throw new DomainError('bill_not_found', 404, { 'zh-CN': `找不到账单 ${billId}`, en: `There is no bill ${billId}` });
      if (!offsetId) throw new ValidationError([fieldError('offsetId', '请选择抵扣', 'Choose an offset')]);
      const errors: FieldError[] = [];
      let amountFen = 0;
      try {
        amountFen = parseYuan(form.get('amount'));
      } catch (err) {
        if (err instanceof MoneyFormatError) errors.push({ field: 'amount', message: err.localized });
        else throw err;
      }
      const idempotencyKey = form.get('idempotencyKey').trim();
      if (!idempotencyKey) errors.push(fieldError('idempotencyKey', '请填写收款单号（收据上的号码）', 'Enter the payment (receipt) number'));
      if (errors.length) throw new ValidationError(errors);
      await services.offsets.apply({ offsetId, billId, amountFen, idempotencyKey }, actor);
      kit.redirect(ctx, `/cashier?bill=${encodeURIComponent(billId)}`, 'offsetApplied');
    } catch (err) {
      if (isValidationError(err)) {
        const errors = Object.fromEntries(
          Object.entries(fieldMessages(err.fields, locale)).map(([k, m]) => [`o${offsetId ?? 0}.${k === 'amountFen' ? 'amount' : k}`, m]),
        );
        return renderCashier(ctx, kit, services, actor, { errors, values, openOffsetId: offsetId, message: err.localized[locale] }, 422);
      }
      if (err instanceof DomainError && (err instanceof ConflictError || err.status === 409 || err.status === 404)) {
        if (err.code === 'bill_not_found') throw err;
        const offerFit = err instanceof OffsetRefusedError && err.refusal === 'exceeds_bill';
        return renderCashier(ctx, kit, services, actor, { values, openOffsetId: offsetId, offerFit, message: err.localized[locale] }, err.status);
      }
      throw err;
    }
  });

  router.post('/cashier/reverse', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'offset.apply');
    const form = formOf(ctx);
    const billId = form.get('billId').trim();
    const idempotencyKey = form.get('idempotencyKey');
    const reversalKey = form.get('reversalKey').trim();
    const locale = kit.locale(ctx);
    ctx.query = { bill: billId };
    const kept = { reverseOf: idempotencyKey, reversalKey: form.get('reversalKey') };
    try {
      if (!billId || !(await visibleBill(kit, actor, billId)))
        throw new DomainError('bill_not_found', 404, { 'zh-CN': `找不到账单 ${billId}`, en: `There is no bill ${billId}` });
      // The posted bill and the actor's communities bound what may be reversed: a key from another bill is not found.
      if (!reversalKey)
        throw new ValidationError([
          fieldError('reversalKey', '请填写作废单号（收费系统中作废该收款的单号）', 'Enter the voiding number (from the voided payment in billing)'),
        ]);
      await services.offsets.reverse({ idempotencyKey, reversalKey, billId }, actor);
      kit.redirect(ctx, `/cashier?bill=${encodeURIComponent(billId)}`, 'offsetReversed');
    } catch (err) {
      if (isValidationError(err)) {
        return renderCashier(
          ctx,
          kit,
          services,
          actor,
          { ...kept, errors: fieldMessages(err.fields, locale), message: err.localized[locale] + '：' + err.fields.map((f) => f.message[locale]).join('；') },
          422,
        );
      }
      if (err instanceof DomainError && err.status !== 403 && err.code !== 'bill_not_found' && err.status < 500) {
        return renderCashier(ctx, kit, services, actor, { ...kept, message: err.localized[locale] }, err.status);
      }
      throw err;
    }
  });
}
