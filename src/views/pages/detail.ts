// 投诉详情: everything about one complaint, its timeline (audit events), its chain of linked complaints,
// its offsets and compensation, and only the action forms the service says this person may take in this
// state. Each form posts to /c/:id/act/:action with the version it was read at: a stale version is
// answered 409 with who changed the complaint first, bad input 422 with the values kept and a message at
// each field. The offset and compensation forms make records of their own (the complaint is not changed,
// so they carry no version): they post a form key instead, so a double submit makes one record.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Actor } from '../../auth/actor.js';
import { hasPermission } from '../../auth/permissions.js';
import { ConflictError, DomainError, ValidationError, fieldError, type FieldError } from '../../common/errors.js';
import type { AuditEvent } from '../../common/events.js';
import type { Locale } from '../../common/localized.js';
import { ACTIONS, type Action } from '../../complaints/states.js';
import { validateTransition } from '../../complaints/schemas.js';
import type { Complaint, ComplaintDetail } from '../../complaints/types.js';
import { complaintRefusal } from '../../offsets/requests.js';
import { mayRecordCompensation, type RecordCompensationInput } from '../../compensations/service.js';
import { formatYuan, parseYuan } from '../../common/money.js';
import { beyondOutstanding, cancelEffects, requestContext } from '../../offsets/summaries.js';
import { BILL_PAYMENT_LABELS } from '../../offsets/model.js';
import { isMessageKey, translate, type MessageKey } from '../../i18n/index.js';
import { fieldMessages, formKey, formOf, isValidationError, newFormKey, positiveInt, type FormData } from '../forms.js';
import { fromLocalInput, toLocalInput } from '../format.js';
import type { FlashKey, PageKit } from '../kit.js';
import { categoryLabels, choices, COMMUNICATIVE, departmentLabels, labelOf, VOCAB } from '../labels.js';
import type { PageServices } from '../router.js';
import { linkRow, offsetRow } from './viewModels.js';
import { localDate } from '../../calendar/zoned.js';
import { hotlineReply } from '../../complaints/hotline.js';

type FormName = Action | 'offset' | 'compensation';

interface DetailState {
  open?: FormName;
  values?: Record<string, string>;
  billIds?: string[];
  errors?: Record<string, string>;
  formError?: string | null;
  conflict?: string | null;
}

const FLASH: Record<Action, FlashKey> = {
  'start-investigation': 'investigating',
  assess: 'assessed',
  plan: 'planned',
  resolve: 'resolved',
  'follow-up': 'followedUp',
  escalate: 'escalated',
  cancel: 'cancelled',
  note: 'noted',
};

/** What was typed as an amount, in fen, or null when it is not one (the field's own error says so). */
function fenOrNull(text: string | undefined): number | null {
  try {
    return text ? parseYuan(text) : null;
  } catch {
    return null;
  }
}

export function idParam(ctx: Context): number {
  const id = positiveInt(ctx.params.id);
  if (!id) throw new DomainError('not_found', 404, { 'zh-CN': '投诉不存在', en: 'Complaint not found' });
  return id;
}

/** The values each action form starts with. */
function defaults(action: FormName, c: Complaint, actor: Actor, now: Date, tz: string): Record<string, string> {
  const s = (v: string | null | undefined) => v ?? '';
  switch (action) {
    case 'start-investigation':
      return { department: s(c.department), assigneeId: c.assigneeId ?? actor.id, assigneeName: c.assigneeName ?? actor.name };
    case 'assess':
      return {
        disputeType: s(c.disputeType),
        thirdParty: s(c.thirdParty),
        responsibilityExplained: c.responsibilityExplained ? '1' : '',
        nature: s(c.nature),
        severity: s(c.severity),
        category: c.category,
        findings: s(c.findings),
      };
    case 'plan':
      return {
        department: s(c.department),
        assigneeId: c.assigneeId ?? actor.id,
        assigneeName: c.assigneeName ?? actor.name,
        measures: s(c.planMeasures),
        deadline: c.planDeadline ? toLocalInput(c.planDeadline, tz) : '',
        thirdParty: s(c.thirdParty),
        responsibilityExplained: c.responsibilityExplained ? '1' : '',
      };
    case 'resolve':
      return {
        nature: c.nature && COMMUNICATIVE.includes(c.nature) ? c.nature : '',
        disputeType: s(c.disputeType),
        thirdParty: s(c.thirdParty),
        responsibilityExplained: c.responsibilityExplained ? '1' : '',
      };
    case 'follow-up':
      // Left empty: the service takes "now", which is never before the reply (a prefilled minute could be).
      return { method: 'phone', visitorName: actor.name, visitedAt: '', satisfied: '' };
    case 'escalate':
      return { severity: c.severity === 'important' ? 'major' : c.severity === 'major' ? '' : 'important' };
    default:
      return {};
  }
}

function bool(form: FormData, name: string): boolean {
  return form.checked(name);
}

/** The form → the service's command input (the service validates it); local errors for what only the page can judge. */
export function actionInput(action: Action, form: FormData, c: Complaint, tz: string): { input: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const versionText = form.get('version');
  const base: Record<string, unknown> = {
    version: /^\d{1,10}$/.test(versionText) ? Number(versionText) : versionText,
    ...(form.optional('note') ? { note: form.get('note').trim() } : {}),
  };
  const opt = (name: string) => form.optional(name);
  const req = (name: string) => form.get(name).trim();
  const localTime = (name: string, required: boolean, zh: string, en: string): string | undefined => {
    const text = form.get(name).trim();
    if (!text) {
      if (required) errors.push(fieldError(name, zh, en));
      return undefined;
    }
    const date = fromLocalInput(text, tz);
    if (!date) {
      errors.push(fieldError(name, '请按“年-月-日 时:分”填写', 'Enter year-month-day hour:minute'));
      return undefined;
    }
    return date.toISOString();
  };
  const nonProperty = (disputeType: string | undefined) =>
    disputeType === 'non_property' ? { thirdParty: opt('thirdParty'), responsibilityExplained: bool(form, 'responsibilityExplained') } : {};
  let input: Record<string, unknown>;
  switch (action) {
    case 'start-investigation':
      input = { ...base, department: opt('department'), assigneeId: opt('assigneeId'), assigneeName: opt('assigneeName') };
      break;
    case 'assess': {
      const disputeType = req('disputeType');
      input = {
        ...base,
        disputeType,
        nature: req('nature'),
        severity: req('severity'),
        category: opt('category'),
        findings: opt('findings'),
        ...nonProperty(disputeType),
      };
      break;
    }
    case 'plan': {
      const deadline = localTime('deadline', true, '请填写处理期限', 'Enter the deadline');
      input = {
        ...base,
        department: req('department'),
        assigneeId: req('assigneeId'),
        assigneeName: req('assigneeName'),
        measures: req('measures'),
        ...(deadline ? { deadline } : {}),
        ...nonProperty(c.disputeType ?? undefined),
      };
      break;
    }
    case 'resolve': {
      const atCounter = c.state !== 'processing';
      const disputeType = atCounter ? opt('disputeType') : undefined;
      input = {
        ...base,
        reply: req('reply'),
        basis: req('basis'),
        ...(atCounter ? { nature: opt('nature'), disputeType, ...nonProperty(disputeType ?? c.disputeType ?? undefined) } : {}),
      };
      break;
    }
    case 'follow-up': {
      const visitedAt = localTime('visitedAt', false, '', '');
      const satisfied = form.get('satisfied');
      if (satisfied !== 'yes' && satisfied !== 'no') errors.push(fieldError('satisfied', '请选择满意或不满意', 'Choose satisfied or not satisfied'));
      const rating = form.get('ownerRating');
      input = {
        ...base,
        method: req('method'),
        visitorName: opt('visitorName'),
        ...(visitedAt ? { visitedAt } : {}),
        ...(satisfied === 'yes' || satisfied === 'no' ? { satisfied: satisfied === 'yes' } : {}),
        complainantWords: opt('complainantWords'),
        ...(rating ? { ownerRating: /^\d$/.test(rating) ? Number(rating) : rating } : {}),
      };
      break;
    }
    case 'escalate':
      input = { ...base, severity: req('severity'), reason: req('reason') };
      break;
    case 'cancel':
      input = { ...base, cancelKind: req('cancelKind'), reason: req('reason') };
      break;
    case 'note':
      input = { version: base.version, note: req('note') };
      break;
  }
  // Absent optional fields stay out of the command rather than arriving as undefined.
  for (const k of Object.keys(input)) if (input[k] === undefined) delete input[k];
  return { input, errors };
}

/** Changed fields worth naming in the timeline (bookkeeping fields such as resolvedBy are left out). */
const CHANGE_LABELS: Record<string, MessageKey> = {
  disputeType: 'field.disputeType',
  thirdParty: 'field.thirdParty',
  responsibilityExplained: 'field.responsibilityExplained',
  nature: 'field.nature',
  severity: 'field.severity',
  category: 'field.category',
  findings: 'field.findings',
  department: 'field.department',
  assigneeName: 'field.assigneeName',
  planMeasures: 'field.measures',
  planDeadline: 'field.deadline',
  resolutionReply: 'field.reply',
  resolutionBasis: 'field.basis',
  cancelReason: 'field.reason',
  escalationReason: 'field.reason',
  repeatOfId: 'field.repeat',
};

/** A compensation event's line: who paid, how much, when, how, and the reference. */
function compensationSummary(e: AuditEvent, locale: Locale): string {
  const after = (k: string) => e.changes?.[k]?.[1];
  const amount = after('amount_fen');
  return [
    labelOf(VOCAB.compensationPayer, after('payer') as string | undefined)?.[locale],
    typeof amount === 'number' && Number.isSafeInteger(amount) ? `${formatYuan(amount)}` : null,
    after('paid_on') as string | undefined,
    labelOf(VOCAB.compensationMethod, after('method') as string | undefined)?.[locale],
    after('reference') as string | undefined,
  ]
    .filter((part) => typeof part === 'string' && part !== '')
    .join(' · ');
}

/** An offset's money fields in its events, named and in yuan (the fen stay in the stored event). */
const OFFSET_MONEY: Array<[string, MessageKey]> = [
  ['requested_fen', 'offsets.requested'],
  ['approved_fen', 'offsets.approved'],
  ['remaining_fen', 'offsets.remaining'],
  ['revoked_fen', 'money.withdrawn'],
];

const yuanOrNull = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) ? formatYuan(v) : null);

/** An offset event's line: the amounts it changed ("剩余 ¥600.00 → ¥499.50"), its bill limits and date. */
function offsetSummary(e: AuditEvent, locale: Locale): string {
  const parts: string[] = [];
  for (const [field, key] of OFFSET_MONEY) {
    const [before, after] = e.changes?.[field] ?? [];
    const to = yuanOrNull(after);
    if (to === null) continue;
    const from = yuanOrNull(before);
    parts.push(`${translate(locale, key)} ${from !== null && from !== to ? `${from} → ` : ''}${to}`);
  }
  const bills = e.changes?.bill_ids?.[1];
  if (Array.isArray(bills) && bills.length) parts.push(`${translate(locale, 'field.billIds')} ${bills.join('、')}`);
  const expires = e.changes?.expires_on?.[1];
  if (typeof expires === 'string') parts.push(`${translate(locale, 'field.expiresOn')} ${expires}`);
  return parts.join(' · ');
}

export function eventView(e: AuditEvent, locale: Locale) {
  const key = e.entityType === 'offset' || e.entityType === 'compensation' ? `event.${e.entityType}.${e.action}` : `event.${e.action}`;
  const changed =
    e.entityType === 'compensation'
      ? [compensationSummary(e, locale)]
      : e.entityType === 'offset'
        ? [offsetSummary(e, locale)]
        : [...new Set(Object.keys(e.changes ?? {}).flatMap((k) => (CHANGE_LABELS[k] ? [translate(locale, CHANGE_LABELS[k])] : [])))];
  return {
    at: e.at,
    actorName: e.actorName,
    label: isMessageKey(key) ? translate(locale, key) : e.action,
    from: e.fromState && e.entityType === 'complaint' ? labelOf(VOCAB.state, e.fromState) : null,
    to: e.toState && e.toState !== e.fromState && e.entityType === 'complaint' ? labelOf(VOCAB.state, e.toState) : null,
    note: e.note,
    changed: changed.join('、'),
  };
}

async function renderDetail(
  ctx: Context,
  kit: PageKit,
  services: PageServices,
  actor: Actor,
  id: number,
  state: DetailState = {},
  status = 200,
): Promise<void> {
  const detail: ComplaintDetail = await services.complaints.get(id, actor);
  const [events, offsets, compensations, settings] = await Promise.all([
    services.complaints.events(id, actor),
    services.offsets.list({ complaintId: id, perPage: 50 }, actor),
    services.compensations.list(id, actor),
    kit.context.settings.get(),
  ]);
  const c = detail.complaint;
  const locale = kit.locale(ctx);
  const now = kit.context.clock.now();
  const tz = settings.timezone;
  const allowed = new Set<string>(detail.allowedActions);
  const offsetRefusal = hasPermission(actor, 'offset.request')
    ? complaintRefusal(
        {
          id: c.id,
          code: c.code,
          state: c.state,
          unitId: c.unitId,
          ownerId: c.ownerId,
          communityId: c.communityId,
          disputeType: c.disputeType,
          threatenedWithholding: c.threatenedWithholding,
        },
        settings,
      )
    : null;
  const canRequestOffset =
    hasPermission(actor, 'offset.request') && !offsetRefusal && ['received', 'investigating', 'processing', 'resolved'].includes(c.state);
  // After a request (?offset=N on the redirect) or a refused one, an amount beyond what the unit owes is
  // warned with the figures; it was not refused.
  const justRequested = positiveInt(typeof ctx.query.offset === 'string' ? ctx.query.offset : '');
  const requested = justRequested ? offsets.items.find((o) => o.id === justRequested && o.effectiveStatus === 'requested') : undefined;
  const money = c.unitId !== null && (canRequestOffset || requested) ? await requestContext(kit.context, { id: c.id, unitId: c.unitId }, actor) : null;
  const typedFen = state.open === 'offset' ? fenOrNull(state.values?.amount) : null;
  const warnFen = typedFen ?? requested?.requestedFen ?? null;
  const requestWarning = money && warnFen !== null ? beyondOutstanding('request', warnFen, money.outstanding, money.totals) : null;
  const cancel = allowed.has('cancel') ? await cancelEffects(kit.context, c.id, actor) : null;
  const canRecordCompensation = mayRecordCompensation(actor, c);
  const forms: Record<string, Record<string, string>> = {};
  for (const name of [...ACTIONS, 'offset', 'compensation'] as FormName[]) {
    if (name === 'compensation' ? !canRecordCompensation : name !== 'offset' && !allowed.has(name)) continue;
    forms[name] =
      state.open === name && state.values
        ? state.values
        : name === 'offset'
          ? { formKey: newFormKey() }
          : name === 'compensation'
            ? { formKey: newFormKey(), paidOn: localDate(now, tz) }
            : defaults(name, c, actor, now, tz);
  }
  const categories = categoryLabels(settings, true);
  const activeCategories = categoryLabels(settings);
  const departments = departmentLabels(settings);
  const v = (name: FormName, field: string) => forms[name]?.[field];
  await kit.render(
    ctx,
    'detail',
    {
      title: translate(locale, 'detail.title').replace('{code}', c.code),
      selfPath: kit.url(`/c/${id}`),
      section: 'list',
      c: {
        ...c,
        stateLabel: labelOf(VOCAB.state, c.state),
        relationLabel: labelOf(VOCAB.relation, c.complainantRelation),
        channelLabel: labelOf(VOCAB.channel, c.channel),
        categoryLabel: labelOf(categories, c.category),
        disputeTypeLabel: labelOf(VOCAB.disputeType, c.disputeType),
        thirdPartyLabel: labelOf(VOCAB.thirdParty, c.thirdParty),
        natureLabel: labelOf(VOCAB.nature, c.nature),
        severityLabel: labelOf(VOCAB.severity, c.severity),
        departmentLabel: labelOf(departments, c.department),
        cancelKindLabel: labelOf(VOCAB.cancelKind, c.cancelKind),
        overdue: !!c.dueAt && c.dueAt.getTime() < now.getTime(),
        publicArea: c.unitId === null,
      },
      hotlineReply: hotlineReply(c, tz),
      chain: detail.chain.length > 1 ? detail.chain.map((l) => linkRow(l, c.id)) : [],
      repeatOf: detail.repeatOf ? linkRow(detail.repeatOf) : null,
      repeatedBy: detail.repeatedBy.map((l) => linkRow(l)),
      followUps: detail.followUps.map((f) => ({
        ...f,
        methodLabel: labelOf(VOCAB.method, f.method),
        continuation: f.continuationId ? (detail.chain.find((l) => l.id === f.continuationId) ?? { id: f.continuationId, code: `#${f.continuationId}` }) : null,
      })),
      events: events.map((e) => eventView(e, locale)),
      offsets: offsets.items.map(offsetRow),
      compensations: compensations.items.map((m) => ({
        ...m,
        payerLabel: labelOf(VOCAB.compensationPayer, m.payer),
        methodLabel: labelOf(VOCAB.compensationMethod, m.method),
      })),
      compensationTotalFen: compensations.totalFen,
      canRecordCompensation,
      can: Object.fromEntries([...allowed].map((a) => [a, true])),
      hasActions: allowed.size > 0 || canRequestOffset || canRecordCompensation,
      canRequestOffset,
      money: money
        ? {
            ...money.outstanding,
            totals: money.totals,
            billCount: money.outstanding.bills.length,
          }
        : null,
      requestWarning: requestWarning?.[locale] ?? null,
      cancelEffects:
        cancel && (cancel.withdrawn.length || cancel.applied.length)
          ? { withdrawn: cancel.withdrawn.map((o) => ({ ...o, statusLabel: labelOf(VOCAB.offsetStatus, o.status) })), applied: cancel.applied }
          : null,
      offsetRefusal: hasPermission(actor, 'offset.request') && offsetRefusal ? offsetRefusal.localized[locale] : null,
      canApprove: hasPermission(actor, 'offset.approve'),
      forms,
      // A refused form that is no longer offered (the complaint was cancelled meanwhile) is not open: its
      // message is shown above the forms instead.
      open: state.open && forms[state.open] ? state.open : null,
      errors: state.errors ?? {},
      formError: state.formError ?? null,
      conflict: state.conflict ?? null,
      atCounter: c.state !== 'processing',
      nonProperty: c.disputeType === 'non_property',
      options: {
        disputeTypeAssess: choices(VOCAB.disputeType, v('assess', 'disputeType')),
        thirdPartyAssess: choices(VOCAB.thirdParty, v('assess', 'thirdParty')),
        natureAssess: choices(VOCAB.nature, v('assess', 'nature')),
        severityAssess: choices(VOCAB.severity, v('assess', 'severity')),
        categoryAssess: choices(activeCategories, v('assess', 'category')),
        departmentStart: choices(departments, v('start-investigation', 'department')),
        departmentPlan: choices(departments, v('plan', 'department')),
        thirdPartyPlan: choices(VOCAB.thirdParty, v('plan', 'thirdParty')),
        natureResolve: choices(VOCAB.nature, v('resolve', 'nature'), COMMUNICATIVE),
        disputeTypeResolve: choices(VOCAB.disputeType, v('resolve', 'disputeType')),
        thirdPartyResolve: choices(VOCAB.thirdParty, v('resolve', 'thirdParty')),
        method: choices(VOCAB.method, v('follow-up', 'method')),
        rating: ['1', '2', '3', '4', '5'].map((r) => ({ value: r, selected: v('follow-up', 'ownerRating') === r })),
        severityEscalate: choices(VOCAB.severity, v('escalate', 'severity'), ['important', 'major']),
        cancelKind: choices(VOCAB.cancelKind, v('cancel', 'cancelKind')),
        bills: (money && canRequestOffset ? money.outstanding.bills : []).map((b) => ({
          ...b,
          statusLabel: BILL_PAYMENT_LABELS[b.paymentState],
          checked: (state.open === 'offset' ? (state.billIds ?? []) : []).includes(b.id),
        })),
        payer: choices(VOCAB.compensationPayer, v('compensation', 'payer')),
        compensationMethod: choices(VOCAB.compensationMethod, v('compensation', 'method')),
      },
    },
    status,
  );
}

/** Field messages keyed "form.field", so two forms on the page never show each other's errors. */
function prefixed(form: FormName, fields: FieldError[], locale: Locale): Record<string, string> {
  const plain = fieldMessages(fields, locale);
  return Object.fromEntries(Object.entries(plain).map(([k, m]) => [`${form}.${k}`, m]));
}

/** Renders the page again after a refused form: 422 for bad input, 409 for a stale or impossible change. */
async function refuse(
  ctx: Context,
  kit: PageKit,
  services: PageServices,
  actor: Actor,
  id: number,
  open: FormName,
  err: unknown,
  billIds?: string[],
): Promise<void> {
  const locale = kit.locale(ctx);
  const values = formOf(ctx).values();
  delete values.version;
  // That key already made a request with other content (a form sent again after editing): a fresh key.
  if (err instanceof DomainError && err.code === 'idempotency_key_reused') values.formKey = newFormKey();
  if (isValidationError(err)) {
    const messages = prefixed(open, err.fields, locale);
    await renderDetail(ctx, kit, services, actor, id, { open, values, billIds, errors: messages, formError: err.localized[locale] }, 422);
    return;
  }
  if (err instanceof ConflictError) {
    const stale = err.code === 'stale_version';
    await renderDetail(
      ctx,
      kit,
      services,
      actor,
      id,
      { open, values, billIds, formError: stale ? null : err.localized[locale], conflict: stale ? err.localized[locale] : null },
      409,
    );
    return;
  }
  throw err;
}

export function registerDetail(router: Router, kit: PageKit, services: PageServices): void {
  router.get('/c/:id', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.view');
    await renderDetail(ctx, kit, services, actor, idParam(ctx));
  });

  router.post('/c/:id/act/:action', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.view');
    const id = idParam(ctx);
    const action = ctx.params.action as Action;
    if (!(ACTIONS as readonly string[]).includes(action)) throw new DomainError('not_found', 404, { 'zh-CN': '没有这个操作', en: 'There is no such action' });
    const settings = await kit.context.settings.get();
    const form = formOf(ctx);
    const current = (await services.complaints.get(id, actor)).complaint;
    const { input, errors } = actionInput(action, form, current, settings.timezone);
    try {
      if (errors.length) {
        // Let the service report everything else about the same input as well.
        let others: FieldError[] = [];
        try {
          validateTransition[action](input);
        } catch (err) {
          if (isValidationError(err)) others = err.fields;
          else throw err;
        }
        throw new ValidationError([...errors, ...others]);
      }
      if (action === 'follow-up') {
        const result = await services.complaints.followUp(id, input, actor);
        kit.redirect(ctx, `/c/${id}`, result.continuation ? 'reopened' : 'followedUp');
        return;
      }
      await services.complaints.transition(id, action, input, actor);
      kit.redirect(ctx, `/c/${id}`, FLASH[action]);
    } catch (err) {
      await refuse(ctx, kit, services, actor, id, action, err);
    }
  });

  router.post('/c/:id/offsets', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'offset.request');
    const id = idParam(ctx);
    const form = formOf(ctx);
    const billIds = form.all('billIds').filter((b) => b !== '');
    const expiresOn = form.optional('expiresOn');
    // The form's key goes to the service as the idempotency key: a double submit makes one request.
    const key = formKey(form.get('formKey'));
    try {
      const offset = await services.offsets.raise(
        {
          complaintId: id,
          amount: form.get('amount').trim(),
          reason: form.get('reason').trim(),
          ...(billIds.length ? { billIds } : {}),
          ...(expiresOn ? { expiresOn } : {}),
          ...(key ? { idempotencyKey: key } : {}),
        },
        actor,
      );
      kit.redirect(ctx, `/c/${id}?offset=${offset.id}`, 'offsetRequested');
    } catch (err) {
      await refuse(ctx, kit, services, actor, id, 'offset', err, billIds);
    }
  });

  // 记录赔付: money paid to the owner apart from fees (no bill, no offset). The form's key goes to the
  // service as the idempotency key: a double submit makes one record.
  router.post('/c/:id/compensations', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'compensation.record');
    const id = idParam(ctx);
    const form = formOf(ctx);
    const key = formKey(form.get('formKey'));
    const reference = form.optional('reference');
    const note = form.optional('note');
    try {
      await services.compensations.record(
        id,
        {
          // The service checks both against the glossary.
          payer: form.get('payer') as RecordCompensationInput['payer'],
          amount: form.get('amount').trim(),
          paidOn: form.get('paidOn').trim(),
          method: form.get('method') as RecordCompensationInput['method'],
          ...(reference ? { reference } : {}),
          ...(note ? { note } : {}),
          ...(key ? { idempotencyKey: key } : {}),
        },
        actor,
      );
      kit.redirect(ctx, `/c/${id}`, 'compensationRecorded');
    } catch (err) {
      await refuse(ctx, kit, services, actor, id, 'compensation', err);
    }
  });
}
