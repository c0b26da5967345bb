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
import type { Locale, Localized } from '../../common/localized.js';
import { fieldSpec } from '../../common/fieldMessages.js';
import { ACTIONS, type Action } from '../../complaints/states.js';
import { validateTransition } from '../../complaints/schemas.js';
import type { Complaint, ComplaintDetail } from '../../complaints/types.js';
import type { DispatchDefaults } from '../../complaints/service.js';
import type { StaffMember } from '../../staff/directory.js';
import { complaintRefusal } from '../../offsets/requests.js';
import { factsOf } from '../../offsets/model.js';
import { mayRecordCompensation, type RecordCompensationInput } from '../../compensations/service.js';
import { formatYuan, parseYuan } from '../../common/money.js';
import { beyondOutstanding, cancelEffects, requestContext } from '../../offsets/summaries.js';
import { BILL_PAYMENT_LABELS } from '../../offsets/model.js';
import { isMessageKey, translate, type MessageKey } from '../../i18n/index.js';
import { fieldMessages, formKey, formOf, isValidationError, newFormKey, positiveInt, uploadsOf, type FormData } from '../forms.js';
import { limitsFrom } from '../../attachments/content.js';
import { STEP_DEFAULT_VISIBILITY, STEP_LABELS, isStep, type AttachmentStep, type PreparedFile } from '../../attachments/types.js';
import { NOTE_DEFAULT_VISIBILITY, REPLY_DEFAULT_VISIBILITY, VISIBILITY, isVisibility } from '../../complaints/visibility.js';
import { sendAttachment } from '../../http/attachmentResponse.js';
import { attachmentRow, uploadView, visibilityChoices, visibilityOr } from './attachmentViews.js';
import { fromLocalInput, toLocalInput } from '../format.js';
import type { FlashKey, PageKit } from '../kit.js';
import { categoryLabels, choices, COMMUNICATIVE, departmentLabels, labelOf, VOCAB } from '../labels.js';
import type { PageServices } from '../services.js';
import { absoluteUrl } from './owner.js';
import { linkRow, offsetRow } from './viewModels.js';
import { localDate } from '../../calendar/zoned.js';
import { maskedRecord, maskMobile, maskMobilesInText } from '../../privacy/mask.js';
import { ANONYMISED } from '../../privacy/store/erasers.js';
import { createPrivacyService } from '../../privacy/service.js';
import { hotlineReply } from '../../complaints/hotline.js';

type FormName = Action | 'offset' | 'compensation';

export interface DetailState {
  /** Files were chosen but the form was refused: the browser does not keep them, say so. */
  reselect?: boolean;
  open?: FormName;
  values?: Record<string, string>;
  billIds?: string[];
  errors?: Record<string, string>;
  formError?: string | null;
  conflict?: string | null;
  /** The full number, after an audited click on "show the full number". */
  revealedPhone?: string;
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
  accept: 'accepted',
  reassign: 'reassigned',
  pause: 'paused',
  resume: 'resumed',
};

/**
 * After a version conflict: each field this person filled in, what they typed beside what the complaint
 * now holds (in words: choices by their labels, times local). Their typing stays in the form, which carries
 * the new version, so they can compare, adjust and send it again; when the form is no longer offered (the
 * other change moved the complaint on) the table is where their text is kept.
 */
function conflictRows(
  values: Record<string, string>,
  c: Complaint,
  locale: Locale,
  tz: string,
  categories: Record<string, Localized>,
  departments: Record<string, Localized>,
): Array<{ label: string; typed: string; current: string }> {
  const word = (labels: Record<string, Localized>, v: string | null | undefined) => labelOf(labels, v || null)?.[locale] ?? '';
  const current: Record<string, { now: string; typed: (v: string) => string }> = {
    disputeType: { now: word(VOCAB.disputeType, c.disputeType), typed: (v) => word(VOCAB.disputeType, v) },
    thirdParty: { now: word(VOCAB.thirdParty, c.thirdParty), typed: (v) => word(VOCAB.thirdParty, v) },
    nature: { now: word(VOCAB.nature, c.nature), typed: (v) => word(VOCAB.nature, v) },
    severity: { now: word(VOCAB.severity, c.severity), typed: (v) => word(VOCAB.severity, v) },
    category: { now: word(categories, c.category), typed: (v) => word(categories, v) },
    department: { now: word(departments, c.department), typed: (v) => word(departments, v) },
    findings: { now: c.findings ?? '', typed: (v) => v },
    assigneeName: { now: c.assigneeName ?? '', typed: (v) => v },
    assigneeId: { now: c.assigneeId ?? '', typed: (v) => v },
    measures: { now: c.planMeasures ?? '', typed: (v) => v },
    deadline: { now: c.planDeadline ? toLocalInput(c.planDeadline, tz).replace('T', ' ') : '', typed: (v) => v.replace('T', ' ') },
    reply: { now: c.resolutionReply ?? '', typed: (v) => v },
    basis: { now: c.resolutionBasis ?? '', typed: (v) => v },
    reason: { now: c.cancelReason ?? '', typed: (v) => v },
    cancelKind: { now: word(VOCAB.cancelKind, c.cancelKind), typed: (v) => word(VOCAB.cancelKind, v) },
  };
  const rows: Array<{ label: string; typed: string; current: string }> = [];
  for (const [name, value] of Object.entries(values)) {
    if (name === 'formKey' || name === 'version' || value.trim() === '') continue;
    const spec = fieldSpec(name);
    const known = Object.hasOwn(current, name) ? current[name]! : null;
    rows.push({ label: locale === 'en' ? spec.en : spec.zh, typed: known ? known.typed(value) : value, current: known ? known.now : '' });
  }
  return rows;
}

/** What was typed as an amount, in fen, or null when it is not one (the field's own error says so). */
function fenOrNull(text: string | undefined): number | null {
  try {
    return text ? parseYuan(text) : null;
  } catch {
    return null;
  }
}

/** Which file fields each action form has, and the step their files belong to. */
const FILE_FIELDS: Partial<Record<Action, Array<[field: string, step: AttachmentStep]>>> = {
  note: [['files', 'progress']],
  resolve: [
    ['filesBefore', 'reply_before'],
    ['filesAfter', 'reply_after'],
  ],
  'follow-up': [['files', 'follow_up']],
};

function fileIdParam(ctx: Context): number {
  const id = positiveInt(ctx.params.fileId);
  if (!id) throw new DomainError('not_found', 404, { 'zh-CN': '附件不存在', en: 'Attachment not found' });
  return id;
}

export function idParam(ctx: Context): number {
  const id = positiveInt(ctx.params.id);
  if (!id) throw new DomainError('not_found', 404, { 'zh-CN': '投诉不存在', en: 'Complaint not found' });
  return id;
}

/**
 * The values each action form starts with. The handler is never pre-filled with the person filling the
 * form: it is the complaint's own handler, else the routing rule's, else nobody (pick from the directory).
 */
function defaults(action: FormName, c: Complaint, actor: Actor, now: Date, tz: string, dispatch: DispatchDefaults | null): Record<string, string> {
  const s = (v: string | null | undefined) => v ?? '';
  switch (action) {
    case 'start-investigation':
      return { department: s(c.department ?? dispatch?.department), assigneeId: s(c.assigneeId ?? dispatch?.handlerId) };
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
        department: s(c.department ?? dispatch?.department),
        assigneeId: s(c.assigneeId ?? dispatch?.handlerId),
        measures: s(c.planMeasures),
        // The deadline policy's handling time from now (working or calendar hours), until a plan sets one.
        deadline: c.planDeadline ? toLocalInput(c.planDeadline, tz) : dispatch ? toLocalInput(dispatch.handlingDueAt, tz) : '',
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
    case 'reassign':
      return { assigneeId: '', department: s(c.department), reason: '' };
    case 'pause':
      return { party: s(c.thirdParty), reason: '' };
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
        assigneeId: opt('assigneeId'),
        // The picker sends only the id (the name comes from the directory); a form with a name may send it.
        assigneeName: opt('assigneeName'),
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
        replyVisibility: opt('replyVisibility'),
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
      input = { version: base.version, note: req('note'), noteVisibility: opt('noteVisibility') };
      break;
    case 'accept':
    case 'resume':
      input = base;
      break;
    case 'reassign':
      input = { ...base, assigneeId: req('assigneeId'), department: opt('department'), reason: req('reason') };
      break;
    case 'pause':
      input = { ...base, party: req('party'), reason: req('reason') };
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

/** An attachment event's line: the file, its step and who may see it, or why it was removed. */
function attachmentSummary(e: AuditEvent, locale: Locale): string {
  const [before, after] = e.changes?.file_name ?? [];
  const step = e.changes?.step?.[1];
  const visibility = e.changes?.visibility?.[1];
  const reason = e.changes?.removed_reason?.[1];
  return [
    typeof after === 'string' ? after : typeof before === 'string' ? before : null,
    isStep(step) ? STEP_LABELS[step][locale] : null,
    isVisibility(visibility) ? VISIBILITY.labels[visibility][locale] : null,
    typeof reason === 'string' ? reason : null,
  ]
    .filter((part): part is string => !!part)
    .join(' · ');
}

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

/** What the timeline needs to put values in words: the administrator's lists and the time zone. */
export interface EventWords {
  categories: Record<string, Localized>;
  departments: Record<string, Localized>;
  tz: string;
}

/** Long texts are quoted short in the timeline; the facts above show them whole. */
const clip = (text: string) => (Array.from(text).length > 40 ? `${Array.from(text).slice(0, 40).join('')}…` : text);

/** One changed field's value in words: choices by label, times local, yes/no, texts clipped. */
function valueInWords(field: string, value: unknown, locale: Locale, words: EventWords): string {
  if (value === null || value === undefined || value === '') return '—';
  const lists: Record<string, Record<string, Localized>> = {
    disputeType: VOCAB.disputeType,
    thirdParty: VOCAB.thirdParty,
    nature: VOCAB.nature,
    severity: VOCAB.severity,
    category: words.categories,
    department: words.departments,
  };
  if (Object.hasOwn(lists, field)) return labelOf(lists[field]!, String(value))?.[locale] ?? String(value);
  if (typeof value === 'boolean') return translate(locale, value ? 'common.yes' : 'common.no');
  if (field === 'planDeadline' && typeof value === 'string') {
    const at = new Date(value);
    return Number.isNaN(at.getTime()) ? value : toLocalInput(at, words.tz).replace('T', ' ');
  }
  return clip(String(value));
}

/** "严重程度：一般 → 重要" for each named field an event changed (a first value reads "：重要"). */
function changeLines(e: AuditEvent, locale: Locale, words: EventWords): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const [field, pair] of Object.entries(e.changes ?? {})) {
    const key = CHANGE_LABELS[field];
    if (!key || !Array.isArray(pair)) continue;
    const label = translate(locale, key);
    if (field === 'repeatOfId') {
      if (!seen.has(label)) lines.push(label);
      seen.add(label);
      continue;
    }
    const [before, after] = pair as [unknown, unknown];
    const to = valueInWords(field, after, locale, words);
    const from = before === null || before === undefined || before === '' ? null : valueInWords(field, before, locale, words);
    lines.push(`${label}：${from !== null ? `${from} → ` : ''}${to}`);
  }
  return lines;
}

/**
 * A note the service wrote in both languages (older continuation events: "回访不满意，延续 TS-… / Continues
 * TS-… after an unsatisfied follow-up") is shown in the page's language only.
 */
function noteInLocale(note: string | null, locale: Locale): string | null {
  if (!note) return note;
  const m = /^回访不满意，延续 (\S+) \/ Continues \S+ after an unsatisfied follow-up$/.exec(note);
  if (m) return translate(locale, 'event.continues').replace('{code}', m[1]!);
  return note;
}

export function eventView(e: AuditEvent, locale: Locale, words: EventWords) {
  const key =
    e.entityType === 'offset' || e.entityType === 'compensation' || e.entityType === 'attachment' ? `event.${e.entityType}.${e.action}` : `event.${e.action}`;
  const changed =
    e.entityType === 'compensation'
      ? [compensationSummary(e, locale)]
      : e.entityType === 'attachment'
        ? [attachmentSummary(e, locale)]
        : e.entityType === 'offset'
          ? [offsetSummary(e, locale)]
          : changeLines(e, locale, words);
  return {
    at: e.at,
    actorName: e.actorName,
    label: isMessageKey(key) ? translate(locale, key) : e.action,
    from: e.fromState && e.entityType === 'complaint' ? labelOf(VOCAB.state, e.fromState) : null,
    to: e.toState && e.toState !== e.fromState && e.entityType === 'complaint' ? labelOf(VOCAB.state, e.toState) : null,
    note: noteInLocale(e.note === null ? null : maskMobilesInText(e.note), locale),
    noteVisibility: e.note ? VISIBILITY.labels[e.visibility ?? 'internal'] : null,
    noteOwnerVisible: e.visibility === 'owner_visible',
    changed: changed.filter((line) => line !== '').map(maskMobilesInText),
  };
}

export async function renderDetail(
  ctx: Context,
  kit: PageKit,
  services: PageServices,
  actor: Actor,
  id: number,
  state: DetailState = {},
  status = 200,
): Promise<void> {
  const detail: ComplaintDetail = await services.complaints.get(id, actor);
  const [events, offsets, compensations, settings, attachments, ownerLink, ownerRating] = await Promise.all([
    services.complaints.events(id, actor),
    services.offsets.list({ complaintId: id, perPage: 50 }, actor),
    services.compensations.list(id, actor),
    kit.context.settings.get(),
    services.attachments.list(id, actor, { includeRemoved: true }),
    services.owner.linkFor(id, actor),
    services.owner.ratingOf(id, actor),
  ]);
  const c = detail.complaint;
  const locale = kit.locale(ctx);
  const now = kit.context.clock.now();
  const tz = settings.timezone;
  const allowed = new Set<string>(detail.allowedActions);
  const dispatching = allowed.has('plan') || allowed.has('reassign') || allowed.has('start-investigation');
  const [pauses, dispatch, staff] = await Promise.all([
    services.complaints.pauses(id, actor),
    dispatching ? services.complaints.dispatchDefaults(id, actor) : Promise.resolve(null),
    dispatching && hasPermission(actor, 'complaint.plan') ? services.complaints.staffFor(id, actor) : Promise.resolve([]),
  ]);
  const offsetRefusal = hasPermission(actor, 'offset.request') ? complaintRefusal(factsOf(c), settings) : null;
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
            : defaults(name, c, actor, now, tz, dispatch);
  }
  // Incidents and merges (issue 19): where this complaint stands, and what a supervisor may do with it here.
  const mayGroup = hasPermission(actor, 'complaint.assess') && ['received', 'investigating', 'processing', 'resolved'].includes(c.state);
  const incidentsToJoin = mayGroup && !c.incidentId ? await services.complaints.incidents.list(actor, { state: 'open' }) : [];
  const grouping = {
    canMerge: mayGroup,
    incidentId: c.incidentId ?? null,
    mergedInto: detail.mergedInto ?? null,
    mergedFrom: detail.mergedFrom ?? [],
    joinable: incidentsToJoin.filter((i) => i.communityId === null || i.communityId === c.communityId),
  };
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
        // Mobile numbers typed into free text are masked too, until the audited reveal.
        ...(state.revealedPhone === undefined ? maskedRecord(c) : c),
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
        overdue: !c.pausedAt && !!c.dueAt && c.dueAt.getTime() < now.getTime(),
        pauseParty: labelOf(VOCAB.thirdParty, c.pauseParty ?? null),
        pausedFor: c.pausedAt ? durationText(now.getTime() - c.pausedAt.getTime(), locale) : null,
        promiseMoved: !!c.replyDueEffectiveAt && !!c.replyDueAt && c.replyDueEffectiveAt.getTime() !== c.replyDueAt.getTime(),
        planMoved: !!c.planDueEffectiveAt && !!c.planDeadline && c.planDueEffectiveAt.getTime() !== c.planDeadline.getTime(),
        waitingAcceptance: !!c.assigneeId && !c.acceptedAt && ['investigating', 'processing'].includes(c.state),
        publicArea: c.unitId === null,
        // Masked unless this very answer follows an audited reveal (PIPL: shown to those who call owners).
        complainantPhone: state.revealedPhone ?? maskMobile(c.complainantPhone),
      },
      contact: {
        revealed: state.revealedPhone !== undefined,
        canReveal: state.revealedPhone === undefined && c.complainantPhone !== '' && hasPermission(actor, 'complaint.contact'),
        anonymised: c.complainantName === ANONYMISED,
      },
      pauses: pauses.map((p) => ({
        ...p,
        partyLabel: labelOf(VOCAB.thirdParty, p.party),
        length: durationText((p.endedAt ?? now).getTime() - p.startedAt.getTime(), locale),
        serviceLength: p.serviceMs === null ? null : durationText(p.serviceMs, locale),
      })),
      hotlineReply: hotlineReply(c, tz),
      grouping,
      chain: detail.chain.length > 1 ? detail.chain.map((l) => linkRow(l, c.id)) : [],
      repeatOf: detail.repeatOf ? linkRow(detail.repeatOf) : null,
      repeatedBy: detail.repeatedBy.map((l) => linkRow(l)),
      followUps: detail.followUps.map((f) => ({
        ...f,
        complainantWords: f.complainantWords && state.revealedPhone === undefined ? maskMobilesInText(f.complainantWords) : f.complainantWords,
        note: f.note && state.revealedPhone === undefined ? maskMobilesInText(f.note) : f.note,
        methodLabel: labelOf(VOCAB.method, f.method),
        continuation: f.continuationId ? (detail.chain.find((l) => l.id === f.continuationId) ?? { id: f.continuationId, code: `#${f.continuationId}` }) : null,
      })),
      events: events.map((e) => eventView(e, locale, { categories, departments, tz })),
      offsets: offsets.items.map(offsetRow),
      compensations: compensations.items.map((m) => ({
        ...m,
        payerLabel: labelOf(VOCAB.compensationPayer, m.payer),
        methodLabel: labelOf(VOCAB.compensationMethod, m.method),
      })),
      compensationTotalFen: compensations.totalFen,
      attachments: attachments.map((a) => attachmentRow(a, kit.base, actor)),
      replyOwnerVisible: (c.replyVisibility ?? 'owner_visible') === 'owner_visible',
      replyVisibilityLabel: VISIBILITY.labels[c.replyVisibility ?? 'owner_visible'],
      upload: uploadView(limitsFrom(settings), !!state.reselect),
      ownerPanel: {
        url: ownerLink.url ? absoluteUrl(ctx, ownerLink.url) : null,
        noticesOptOut: ownerLink.noticesOptOut,
        rating: ownerRating ? { ...ownerRating, starsText: '★'.repeat(ownerRating.stars) + '☆'.repeat(5 - ownerRating.stars) } : null,
        canManage: hasPermission(actor, 'complaint.resolve'),
        canMarkSeen: !!ownerRating && ownerRating.stars <= 2 && !ownerRating.seenAt && hasPermission(actor, 'complaint.assess'),
      },
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
      conflictRows: state.conflict && state.values ? conflictRows(state.values, c, locale, tz, categories, departments) : [],
      conflictFormGone: !!state.conflict && !!state.open && !forms[state.open],
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
        departmentReassign: choices(departments, v('reassign', 'department')),
        staffStart: staffChoices(staff, c, v('start-investigation', 'assigneeId')),
        staffPlan: staffChoices(staff, c, v('plan', 'assigneeId')),
        staffReassign: staffChoices(
          staff.filter((p) => p.id !== c.assigneeId),
          null,
          v('reassign', 'assigneeId'),
        ),
        partyPause: choices(VOCAB.thirdParty, v('pause', 'party')),
        thirdPartyPlan: choices(VOCAB.thirdParty, v('plan', 'thirdParty')),
        natureResolve: choices(VOCAB.nature, v('resolve', 'nature'), COMMUNICATIVE),
        disputeTypeResolve: choices(VOCAB.disputeType, v('resolve', 'disputeType')),
        thirdPartyResolve: choices(VOCAB.thirdParty, v('resolve', 'thirdParty')),
        method: choices(VOCAB.method, v('follow-up', 'method')),
        rating: ['1', '2', '3', '4', '5'].map((r) => ({ value: r, selected: v('follow-up', 'ownerRating') === r })),
        severityEscalate: choices(VOCAB.severity, v('escalate', 'severity'), ['important', 'major']),
        cancelKind: choices(VOCAB.cancelKind, v('cancel', 'cancelKind')),
        noteVisibility: visibilityChoices(v('note', 'noteVisibility'), NOTE_DEFAULT_VISIBILITY),
        replyVisibility: visibilityChoices(v('resolve', 'replyVisibility'), REPLY_DEFAULT_VISIBILITY),
        filesVisibilityNote: visibilityChoices(v('note', 'filesVisibility'), STEP_DEFAULT_VISIBILITY.progress),
        filesVisibilityResolve: visibilityChoices(v('resolve', 'filesVisibility'), STEP_DEFAULT_VISIBILITY.reply_after),
        filesVisibilityFollowUp: visibilityChoices(v('follow-up', 'filesVisibility'), STEP_DEFAULT_VISIBILITY.follow_up),
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

/** A length of time in words: 3 天 4 小时 / 3 d 4 h (minutes under an hour). */
export function durationText(ms: number, locale: Locale): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const zh = locale === 'zh-CN';
  const parts: string[] = [];
  if (days) parts.push(zh ? `${days} 天` : `${days} d`);
  if (hours) parts.push(zh ? `${hours} 小时` : `${hours} h`);
  if (!days && (mins || !hours)) parts.push(zh ? `${mins} 分钟` : `${mins} min`);
  return parts.join(' ');
}

/**
 * The directory as options of a handler select: name · department · mobile, the chosen one selected. The
 * complaint's current handler stays offered even when the directory no longer lists them.
 */
function staffChoices(staff: StaffMember[], c: Complaint | null, selected: string | undefined) {
  const list = staff.map((p) => ({ value: p.id, label: [p.name, p.department, p.mobile].filter(Boolean).join(' · '), selected: p.id === selected }));
  if (c?.assigneeId && !staff.some((p) => p.id === c.assigneeId)) {
    list.unshift({ value: c.assigneeId, label: c.assigneeName ?? c.assigneeId, selected: c.assigneeId === selected });
  }
  return list;
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
  const reselect = uploadsOf(ctx).length > 0;
  // That key already made a request with other content (a form sent again after editing): a fresh key.
  if (err instanceof DomainError && err.code === 'idempotency_key_reused') values.formKey = newFormKey();
  if (isValidationError(err)) {
    const messages = prefixed(open, err.fields, locale);
    await renderDetail(ctx, kit, services, actor, id, { open, values, billIds, errors: messages, formError: err.localized[locale], reselect }, 422);
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
      { open, values, billIds, formError: stale ? null : err.localized[locale], conflict: stale ? err.localized[locale] : null, reselect },
      409,
    );
    return;
  }
  throw err;
}

export function registerDetail(router: Router, kit: PageKit, services: PageServices): void {
  router.get('/c/:id', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.view');
    // ?open=<action> (from the workbench's queues) opens that action's form, if this person may take it.
    const open = typeof ctx.query.open === 'string' && (ACTIONS as readonly string[]).includes(ctx.query.open) ? (ctx.query.open as Action) : undefined;
    await renderDetail(ctx, kit, services, actor, idParam(ctx), open ? { open } : {});
  });

  // 查看完整号码: the one place the full number is shown, to those who call owners; the click is audited
  // (who, when, which complaint) and the answer is this page with the number, never cached.
  router.post('/c/:id/contact', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.contact');
    const id = idParam(ctx);
    const { phone } = await createPrivacyService(kit.context).revealContact(id, actor);
    ctx.set('Cache-Control', 'no-store');
    await renderDetail(ctx, kit, services, actor, id, { revealedPhone: phone });
  });

  router.post('/c/:id/act/:action', ...kit.uploadStack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.view');
    const id = idParam(ctx);
    const action = ctx.params.action as Action;
    if (!(ACTIONS as readonly string[]).includes(action)) throw new DomainError('not_found', 404, { 'zh-CN': '没有这个操作', en: 'There is no such action' });
    const settings = await kit.context.settings.get();
    const form = formOf(ctx);
    const current = (await services.complaints.get(id, actor)).complaint;
    const { input, errors } = actionInput(action, form, current, settings.timezone);
    // The files of this form, by step, checked before the step is recorded: any refused file refuses the form.
    const groups: Array<{ step: AttachmentStep; prepared: PreparedFile[] }> = [];
    for (const [field, step] of FILE_FIELDS[action] ?? []) {
      const uploads = uploadsOf(ctx, field);
      if (!uploads.length) continue;
      const { prepared, errors: refused } = await services.attachments.prepare(uploads);
      if (refused) errors.push(...refused.fields);
      else groups.push({ step, prepared });
    }
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
      const attachFiles = async () => {
        for (const g of groups) {
          await services.attachments.attach(
            id,
            g.prepared,
            { step: g.step, visibility: visibilityOr(form.optional('filesVisibility'), STEP_DEFAULT_VISIBILITY[g.step]) },
            actor,
          );
        }
      };
      if (action === 'follow-up') {
        const result = await services.complaints.followUp(id, input, actor);
        await attachFiles();
        kit.redirect(ctx, `/c/${id}`, result.continuation ? 'reopened' : 'followedUp');
        return;
      }
      await services.complaints.transition(id, action, input, actor);
      await attachFiles();
      // One-click actions on the workbench and the handler's page return there.
      const next = form.get('next');
      kit.redirect(ctx, next === '/' || next === '/mine' ? next : `/c/${id}`, FLASH[action]);
    } catch (err) {
      await refuse(ctx, kit, services, actor, id, action, err);
    }
  });

  // An attachment's bytes (or its thumbnail), for a person who may see the complaint: the same scoping as
  // this page; served with nosniff, a sandboxing CSP and a Content-Disposition (src/http/attachmentResponse.ts).
  router.get('/c/:id/files/:fileId', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.view');
    sendAttachment(ctx, await services.attachments.read(idParam(ctx), fileIdParam(ctx), 'original', actor), { download: ctx.query.download === '1' });
  });

  router.get('/c/:id/files/:fileId/thumb', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.view');
    sendAttachment(ctx, await services.attachments.read(idParam(ctx), fileIdParam(ctx), 'thumbnail', actor));
  });

  router.post('/c/:id/files/:fileId/remove', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.view');
    const id = idParam(ctx);
    try {
      await services.attachments.remove(id, fileIdParam(ctx), formOf(ctx).get('reason'), actor);
      kit.redirect(ctx, `/c/${id}`, 'attachmentRemoved');
    } catch (err) {
      if (!isValidationError(err)) throw err;
      const locale = kit.locale(ctx);
      await renderDetail(ctx, kit, services, actor, id, { formError: err.fields.map((f) => f.message[locale]).join('；') || err.localized[locale] }, 422);
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
