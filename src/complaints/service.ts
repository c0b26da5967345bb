// The complaint service: the commands and queries of the complaint loop, in the one shape every domain
// service has (a factory over the plugin context; the subject first, then the input, the actor, options).
// Each change runs in one transaction that reads the row FOR UPDATE, checks version, scope and state,
// writes with WHERE id AND version, and records its audit event. Inputs are validated here, so in-process
// callers get the same checks as HTTP. Queries live in store.ts.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { canSeeCommunity, requirePermission } from '../auth/permissions.js';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../common/errors.js';
import type { AuditEvent } from '../common/events.js';
import { isDuplicateKeyError } from '../db/errors.js';
import { inTransaction } from '../db/transaction.js';
import type { PluginContext } from '../common/context.js';
import { categoryErrors, departmentErrors } from './catalogs.js';
import { applyChange, assertVersion } from './changes.js';
import { escalateOverdue, type EscalationRun } from './escalation.js';
import { recordFollowUp, type FollowUpResult } from './followUp.js';
import { UNSET, clip, registerComplaint, withDayCounter, type Draft } from './intake.js';
import { listComplaintRows, type ListOptions } from './store/listing.js';
import { ledgerBatches, type LedgerEntry } from './store/ledger.js';
import { mergeComplaint, type MergeResult } from './merge.js';
import { hotlineReply, type HotlineReply } from './hotline.js';
import { createIncidentService, type IncidentService } from './incidents.js';
import { msg } from '../common/localized.js';
import type { Settings } from '../settings/settings.js';
import { announceChange } from './notices.js';
import {
  eventsOfComplaint,
  findByIdempotencyKey,
  findComplaint,
  findContinuation,
  findRepeatsOf,
  listFollowUps,
  listMergedInto,
  toLink,
  JOB_ROWS,
  SUMMARY_ROWS,
  WHOLE_ROWS,
  type ComplaintJob,
  type ComplaintSummary,
  type RowShape,
} from './store/complaints.js';
import {
  differentSubmission,
  locationRequired,
  noSuchCommunity,
  noSuchUnit,
  notUnitOwner,
  ownerWithoutUnit,
  hotlineDueRequired,
  hotlineOnly,
  hotlineRefRequired,
  receivedInFuture,
  unitAndPlace,
  unitOrPlace,
} from './messages.js';
import type { HostUnit } from '../host/reader.js';
import { idempotencyKeyInvalid, idempotencyKeysDisagree } from '../common/messages.js';
import { validateCreate, validateList, validateTransition } from './schemas.js';
import { visibleOrNotFound } from './scope.js';
import { allowedActions, checkTransition, mayAccept, ruleFor, type Action, type RuleInput } from './states.js';
import { buildChange, pauseSpan } from './transitions.js';
import { deadlinesFor, routeFor } from './policies.js';
import { closePause, lastPlannedAt, openPause, pausesOf, type Pause } from './store/pauses.js';
import { resolveAssignee, searchStaff, type StaffMember } from '../staff/directory.js';
import { fieldError } from '../common/errors.js';
import { announceReassignment } from './notices.js';
import type { Complaint, ComplaintDetail, ComplaintLink, CreateComplaintInput, ListResult } from './types.js';
import { dayKey } from '../calendar/zoned.js';
import { withdrawOffsetsOfCancelledComplaint } from '../offsets/withdrawals.js';
import { enqueueOwnerNotice, ownerNoticeContext } from '../owner/notices.js';

export interface CreateOptions {
  /** From the Idempotency-Key header; the body may carry `idempotencyKey` instead. */
  idempotencyKey?: string;
  /** Join the host's transaction instead of opening one. */
  trx?: Knex.Transaction;
  /**
   * Filed by the owner from the ERP's owner app (src/owner): no staff permission, but the unit must be one
   * of the owner's (as the signed owner token says).
   */
  asOwner?: { ownerId: string; unitIds: string[] };
}

export interface CreateResult {
  complaint: Complaint;
  /** false when the idempotency key had already made this complaint. */
  created: boolean;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,100}$/;
/** Clocks of counter PCs drift; a receipt time a little ahead of ours is accepted. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const MAX_CHAIN = 100;

/** A stable fingerprint of what was submitted, so a reused key with different content is refused. */
function fingerprint(input: CreateComplaintInput): string {
  const { idempotencyKey: _ignored, ...rest } = input;
  const sorted = Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

export interface ComplaintService {
  /** Registers a complaint (once per idempotency key). */
  create(input: unknown, actor: Actor, options?: CreateOptions): Promise<CreateResult>;
  get(id: number, actor: Actor): Promise<ComplaintDetail>;
  list(query: unknown, actor: Actor, options?: ListOptions): Promise<ListResult>;
  /** The same page as list rows: only the fields a row of the pages' lists shows (ComplaintSummary). */
  listSummaries(query: unknown, actor: Actor, options?: ListOptions): Promise<ListResult<ComplaintSummary>>;
  /** The same page as jobs: list rows with what decides a person's next action (ComplaintJob). */
  listJobs(query: unknown, actor: Actor, options?: ListOptions): Promise<ListResult<ComplaintJob>>;
  /** One step of the loop (investigate, plan, handle, reply, cancel, …; follow-up too). */
  transition(id: number, action: string, input: unknown, actor: Actor, options?: TrxOption): Promise<Complaint>;
  followUp(id: number, input: unknown, actor: Actor, options?: TrxOption): Promise<FollowUpResult>;
  events(id: number, actor: Actor): Promise<AuditEvent[]>;
  /** Applies the escalation rule now (the scheduled job calls this). */
  escalateOverdue(now?: Date): Promise<EscalationRun>;
  /** The pauses of a complaint's clock, oldest first. */
  pauses(id: number, actor: Actor): Promise<Pause[]>;
  /** Who may be dispatched this complaint: the staff directory limited to its community (permission complaint.plan). */
  staffFor(id: number, actor: Actor, query?: { q?: string; limit?: number }): Promise<StaffMember[]>;
  /** What a plan made now is pre-filled with: the routing rule's department and handler, the policy's handling deadline. */
  dispatchDefaults(id: number, actor: Actor): Promise<DispatchDefaults>;
  /** Merges this duplicate into a survivor (input: version, survivorId, reason); its offset requests go along or the merge is refused. */
  merge(duplicateId: number, input: unknown, actor: Actor, options?: TrxOption): Promise<MergeResult>;
  /** Incidents (事件): group complaints about one event, take steps for them together. */
  incidents: IncidentService;
  /** The ready-to-paste reply of a 12345 referral (409 before it is replied to, 404 for other channels). */
  hotlineReply(id: number, actor: Actor): Promise<HotlineReply>;
  /** The ledger (投诉台账): every complaint the list's filters match, in batches (limit, cursor and offset are ignored). */
  ledger(query: unknown, actor: Actor): Promise<LedgerExport>;
}

export interface DispatchDefaults {
  department: string | null;
  handlerId: string | null;
  handlingDueAt: Date;
  handlingHours: number | null;
  clock: 'working' | 'calendar';
}

export interface LedgerExport {
  batches: AsyncIterable<LedgerEntry[]>;
  settings: Settings;
  /** Community id → name, for the community column. */
  communityNames: Map<string, string>;
  now: Date;
}

export interface TrxOption {
  /** Join the host's transaction instead of opening one. */
  trx?: Knex.Transaction;
}

export function createComplaintService(ctx: PluginContext): ComplaintService {
  /** A page of the list in one row shape (whole complaints, list rows, jobs), for a reader who may view complaints. */
  const listAs = async <T extends ComplaintSummary>(shape: RowShape<T>, query: unknown, actor: Actor, options?: ListOptions): Promise<ListResult<T>> => {
    requirePermission(actor, 'complaint.view');
    const settings = await ctx.settings.get();
    return listComplaintRows(ctx.db, ctx.tables, actor, validateList(query), ctx.clock.now(), settings.timezone, shape, options);
  };
  return {
    incidents: createIncidentService(ctx, (id, action, input, actor) => transitionComplaint(ctx, id, action, input, actor)),
    create: (input, actor, options) => createComplaint(ctx, input, actor, options),
    get: (id, actor) => complaintDetail(ctx, id, actor),
    list: (query, actor, options) => listAs(WHOLE_ROWS, query, actor, options),
    listSummaries: (query, actor, options) => listAs(SUMMARY_ROWS, query, actor, options),
    listJobs: (query, actor, options) => listAs(JOB_ROWS, query, actor, options),
    transition: (id, action, input, actor, options) => transitionComplaint(ctx, id, action, input, actor, options),
    followUp: (id, input, actor, options) => recordFollowUp(ctx, id, input, actor, options),
    events: async (id, actor) => {
      requirePermission(actor, 'complaint.view');
      visibleOrNotFound(actor, await findComplaint(ctx.db, ctx.tables, id));
      return eventsOfComplaint(ctx.db, ctx.tables, id);
    },
    escalateOverdue: (now = ctx.clock.now()) => escalateOverdue(ctx, now),
    merge: (id, input, actor, options) => mergeComplaint(ctx, id, input, actor, options),
    hotlineReply: async (id, actor) => {
      requirePermission(actor, 'complaint.view');
      const complaint = visibleOrNotFound(actor, await findComplaint(ctx.db, ctx.tables, id));
      if (complaint.channel !== 'hotline_12345') {
        throw new NotFoundError(msg(`投诉 ${complaint.code} 不是 12345 热线转办`, `Complaint ${complaint.code} is not a 12345 hotline referral`));
      }
      const reply = hotlineReply(complaint, (await ctx.settings.get()).timezone);
      if (!reply) {
        throw new ConflictError(
          'not_replied',
          msg(
            `投诉 ${complaint.code} 尚未回复，回复后才能生成 12345 回复单`,
            `Complaint ${complaint.code} has not been replied to yet; the 12345 reply follows the reply`,
          ),
        );
      }
      return reply;
    },
    ledger: async (query, actor) => {
      requirePermission(actor, 'complaint.view');
      requirePermission(actor, 'report.view');
      const { cursor: _c, offset: _o, ...rest } = (query ?? {}) as Record<string, unknown>;
      const filter = validateList({ ...rest, limit: 1 });
      const settings = await ctx.settings.get();
      const now = ctx.clock.now();
      const communities = await ctx.host.listCommunities();
      return {
        batches: ledgerBatches(ctx.db, ctx.tables, actor, filter, now, settings.timezone),
        settings,
        communityNames: new Map(communities.map((c) => [c.id, c.name])),
        now,
      };
    },
    pauses: async (id, actor) => {
      requirePermission(actor, 'complaint.view');
      visibleOrNotFound(actor, await findComplaint(ctx.db, ctx.tables, id));
      return pausesOf(ctx.db, ctx.tables, id);
    },
    staffFor: async (id, actor, query = {}) => {
      requirePermission(actor, 'complaint.plan');
      const c = visibleOrNotFound(actor, await findComplaint(ctx.db, ctx.tables, id));
      return searchStaff(ctx, { ...query, communityId: c.communityId });
    },
    dispatchDefaults: async (id, actor) => {
      requirePermission(actor, 'complaint.view');
      const c = visibleOrNotFound(actor, await findComplaint(ctx.db, ctx.tables, id));
      const settings = await ctx.settings.get();
      const route = routeFor(settings, c.category, c.communityId);
      const d = deadlinesFor(settings, c.category, c.severity, ctx.clock.now());
      return {
        department: route?.department ?? null,
        handlerId: route?.handlerId ?? null,
        handlingDueAt: d.handlingDueAt,
        handlingHours: d.handlingHours,
        clock: d.clock,
      };
    },
  };
}

async function createComplaint(ctx: PluginContext, raw: unknown, actor: Actor, options: CreateOptions = {}): Promise<CreateResult> {
  if (!options.asOwner) requirePermission(actor, 'complaint.create');
  const input = validateCreate(raw);
  const key = idempotencyKeyOf(input, options.idempotencyKey);
  const hash = fingerprint(input);
  if (key) {
    const replay = await replayOf(ctx, actor, key, hash, options.trx);
    if (replay) return { complaint: replay, created: false };
  }

  const settings = await ctx.settings.get();
  const now = ctx.clock.now();
  const receivedAt = input.receivedAt ? new Date(input.receivedAt) : now;
  const errors: FieldError[] = categoryErrors(settings, input.category);
  if (receivedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) errors.push(receivedInFuture());
  if (input.channel === 'hotline_12345') {
    if (!input.externalRef) errors.push(hotlineRefRequired());
    if (!input.hotlineDueAt) errors.push(hotlineDueRequired());
  } else {
    if (input.externalRef !== undefined) errors.push(hotlineOnly('externalRef'));
    if (input.hotlineDueAt !== undefined) errors.push(hotlineOnly('hotlineDueAt'));
  }
  const place = await placeOf(ctx, input, actor, errors, options.asOwner);
  if (errors.length || !place) throw new ValidationError(errors);
  const { unit, owner } = place;

  // The reply promised to the owner (the deadline policy of its category and severity, in working or
  // calendar hours on the service calendar); kept so a later change of settings or a plan never moves it.
  const deadlines = deadlinesFor(settings, input.category, input.severity ?? null, receivedAt);
  const replyDueAt = deadlines.replyDueAt;
  const draft: Draft = {
    ...UNSET,
    version: 1,
    state: 'received',
    unitId: unit?.id ?? null,
    unitLabel: clip(place.label, 100)!,
    building: place.building,
    location: place.location,
    externalRef: input.channel === 'hotline_12345' ? (input.externalRef ?? null) : null,
    hotlineDueAt: input.channel === 'hotline_12345' && input.hotlineDueAt ? new Date(input.hotlineDueAt) : null,
    ownerId: owner?.id ?? null,
    ownerName: clip(owner?.name, 100),
    communityId: place.communityId,
    complainantName: input.complainantName,
    complainantPhone: input.complainantPhone,
    complainantRelation: input.complainantRelation,
    channel: input.channel,
    category: input.category,
    description: input.description,
    expectation: input.expectation || null,
    threatenedWithholding: input.threatenedWithholding,
    receivedAt,
    receivedBy: actor.id,
    receivedByName: actor.name,
    severity: input.severity ?? null,
    originalReceivedAt: receivedAt,
    escalationFrom: receivedAt,
    replyDueAt,
    deadlineClock: deadlines.fromPolicy ? deadlines.clock : null,
    dueAt: replyDueAt,
    createdAt: now,
    createdBy: actor.id,
    updatedAt: now,
    updatedBy: actor.id,
    updatedByName: actor.name,
  };
  const day = dayKey(now, settings.timezone);
  const notices = await ownerNoticeContext(ctx, settings, options.trx);
  try {
    const complaint = await withDayCounter(
      ctx.db,
      ctx.tables,
      () =>
        inTransaction(
          ctx.db,
          async (trx) => {
            const made = await registerComplaint(trx, ctx.tables, draft, {
              day,
              actor,
              now,
              repeatWindowDays: settings.repeatWindowDays,
              idempotency: key ? { key, hash } : null,
            });
            // The owner hears of the receipt (code, promise, status link) with the registration, or not at all.
            await enqueueOwnerNotice(trx, ctx.tables, made, 'received', notices);
            return made;
          },
          { trx: options.trx },
        ),
      options.trx,
    );
    return { complaint, created: true };
  } catch (err) {
    // The same form submitted twice at once: the unique key let one through; answer with it.
    const replay = key && isDuplicateKeyError(err) ? await replayOf(ctx, actor, key, hash, options.trx) : null;
    if (replay) return { complaint: replay, created: false };
    throw err;
  }
}

interface Place {
  unit: HostUnit | null;
  owner: { id: string; name: string } | undefined;
  communityId: string | null;
  label: string;
  building: string | null;
  location: string | null;
}

/**
 * Where the complaint is: a unit of the host (with its owner), or a public area (公共区域) named by a
 * community, perhaps a building, and a location. Problems are pushed to `errors`, naming the field.
 */
async function placeOf(
  ctx: PluginContext,
  input: CreateComplaintInput,
  actor: Actor,
  errors: FieldError[],
  asOwner?: CreateOptions['asOwner'],
): Promise<Place | null> {
  const location = input.location?.trim() || null;
  const building = input.building?.trim() || null;
  if (input.unitId !== undefined) {
    if (location || building || input.communityId !== undefined) errors.push(unitAndPlace());
    const unit = await ctx.host.getUnit(input.unitId);
    // An owner (from the owner app) files for one of their own units only.
    if (!unit || (asOwner ? !asOwner.unitIds.includes(unit.id) : !canSeeCommunity(actor, unit.communityId))) errors.push(noSuchUnit());
    const owner = input.ownerId ? unit?.owners.find((o) => o.id === input.ownerId) : unit?.owners[0];
    if (unit && input.ownerId && !owner) errors.push(notUnitOwner());
    return unit ? { unit, owner, communityId: unit.communityId, label: unit.label, building: null, location: null } : null;
  }
  if (input.communityId === undefined || asOwner) {
    errors.push(asOwner ? noSuchUnit() : unitOrPlace());
    return null;
  }
  if (!location) errors.push(locationRequired());
  if (input.ownerId !== undefined) errors.push(ownerWithoutUnit());
  const community = (await ctx.host.listCommunities()).find((c) => c.id === input.communityId);
  if (!community || !canSeeCommunity(actor, community.id)) {
    errors.push(noSuchCommunity());
    return null;
  }
  const where = [building, location].filter(Boolean).join(' ');
  return { unit: null, owner: undefined, communityId: community.id, label: `${community.name} 公共区域：${where}`, building, location };
}

function idempotencyKeyOf(input: CreateComplaintInput, header: string | undefined): string | null {
  if (header !== undefined && !IDEMPOTENCY_KEY.test(header)) throw new ValidationError([idempotencyKeyInvalid()]);
  if (header !== undefined && input.idempotencyKey !== undefined && header !== input.idempotencyKey) throw new ValidationError([idempotencyKeysDisagree()]);
  return header ?? input.idempotencyKey ?? null;
}

async function replayOf(ctx: PluginContext, actor: Actor, key: string, hash: string, trx?: Knex.Transaction): Promise<Complaint | null> {
  const earlier = await findByIdempotencyKey(trx ?? ctx.db, ctx.tables, actor.id, key);
  if (!earlier) return null;
  if (earlier.hash !== hash) throw new ConflictError('idempotency_key_reused', differentSubmission, { complaintCode: earlier.complaint.code });
  return earlier.complaint;
}

async function complaintDetail(ctx: PluginContext, id: number, actor: Actor): Promise<ComplaintDetail> {
  requirePermission(actor, 'complaint.view');
  const complaint = visibleOrNotFound(actor, await findComplaint(ctx.db, ctx.tables, id));
  const [chain, repeatOf, repeatedBy, followUps, mergedInto, mergedFrom] = await Promise.all([
    chainOf(ctx, complaint),
    complaint.repeatOfId ? findComplaint(ctx.db, ctx.tables, complaint.repeatOfId) : Promise.resolve(null),
    findRepeatsOf(ctx.db, ctx.tables, id),
    listFollowUps(ctx.db, ctx.tables, id),
    complaint.mergedIntoId ? findComplaint(ctx.db, ctx.tables, complaint.mergedIntoId) : Promise.resolve(null),
    listMergedInto(ctx.db, ctx.tables, id),
  ]);
  const visited = await Promise.all(mergedFrom.map(async (m) => (await listFollowUps(ctx.db, ctx.tables, m.id)).length > 0));
  return {
    complaint,
    chain,
    repeatOf: repeatOf ? toLink(repeatOf) : null,
    repeatedBy: repeatedBy.map(toLink),
    followUps,
    mergedInto: mergedInto ? toLink(mergedInto) : null,
    mergedFrom: mergedFrom.map((m, i) => ({ ...toLink(m), complainantName: m.complainantName, followedUp: visited[i]! })),
    allowedActions: allowedActions(complaint, actor),
  };
}

/** First complaint first: walk up the parents, then down the continuations. */
async function chainOf(ctx: PluginContext, complaint: Complaint): Promise<ComplaintLink[]> {
  const chain: ComplaintLink[] = [toLink(complaint)];
  for (let parentId = complaint.parentId; parentId && chain.length < MAX_CHAIN;) {
    const parent = await findComplaint(ctx.db, ctx.tables, parentId);
    if (!parent) break;
    chain.unshift(toLink(parent));
    parentId = parent.parentId;
  }
  for (let id = complaint.id; chain.length < MAX_CHAIN;) {
    const next = await findContinuation(ctx.db, ctx.tables, id);
    if (!next) break;
    chain.push(toLink(next));
    id = next.id;
  }
  return chain;
}

async function transitionComplaint(ctx: PluginContext, id: number, action: string, raw: unknown, actor: Actor, options: TrxOption = {}): Promise<Complaint> {
  const rule = ruleFor(action);
  if (rule.action === 'follow-up') return (await recordFollowUp(ctx, id, raw, actor, options)).complaint;
  const act = rule.action as Exclude<Action, 'follow-up'>;
  requirePermission(actor, 'complaint.view');
  requirePermission(actor, rule.permission);
  const input = validateTransition[act](raw) as { version: number; category?: string; department?: string; assigneeId?: string; assigneeName?: string };
  const settings = await ctx.settings.get();
  const errors = [...categoryErrors(settings, input.category), ...departmentErrors(settings, input.department)];
  if (errors.length) throw new ValidationError(errors);
  const notices = act === 'resolve' ? await ownerNoticeContext(ctx, settings, options.trx) : null;
  // The handler comes from the staff directory (read before our transaction: the host's tables are read
  // on their own connection), limited to people who may see the complaint's community.
  let assigneeName: string | undefined;
  if (act === 'plan' && !input.assigneeId) {
    // No one picked: the routing rule's default handler, if there is one (else the department alone).
    const before = visibleOrNotFound(actor, await findComplaint(options.trx ?? ctx.db, ctx.tables, id));
    const handlerId = routeFor(settings, before.category, before.communityId)?.handlerId;
    if (handlerId) input.assigneeId = handlerId;
  }
  if (input.assigneeId && (act === 'plan' || act === 'reassign' || act === 'start-investigation')) {
    // Inside a host's transaction, read through it (on SQLite it holds the only connection).
    const reader = options.trx ? { ...ctx, db: options.trx as unknown as Knex, host: ctx.host.within(options.trx) } : ctx;
    const before = visibleOrNotFound(actor, await findComplaint(reader.db, ctx.tables, id));
    const resolved = await resolveAssignee(reader, input.assigneeId, input.assigneeName, before.communityId);
    if ('error' in resolved) throw new ValidationError([resolved.error]);
    assigneeName = resolved.name;
  } else if (act === 'start-investigation' && input.assigneeName && !input.assigneeId) {
    throw new ValidationError([fieldError('assigneeId', '请从员工名录中选择处理人', 'Pick the handler from the staff directory')]);
  }
  return inTransaction(
    ctx.db,
    async (trx) => {
      const now = ctx.clock.now();
      const current = visibleOrNotFound(actor, await findComplaint(trx, ctx.tables, id, { lock: true }));
      assertVersion(current, input.version, settings.timezone);
      const to = checkTransition(rule, current, input as RuleInput, now);
      if (act === 'accept' && !mayAccept(current, actor)) {
        throw new ConflictError('not_assignee', { 'zh-CN': '只有被派单的处理人本人可以接单', en: 'Only the assigned handler can accept the job' });
      }
      if (act === 'reassign' && input.assigneeId === current.assigneeId) {
        throw new ValidationError([fieldError('assigneeId', '改派须选择另一位处理人', 'Reassigning needs another handler')]);
      }
      // A plan made during the pause was made knowing of it: only the rest of the pause moves its deadline.
      const plannedAt = act === 'resume' && current.planDeadline ? await lastPlannedAt(trx, ctx.tables, id) : null;
      const { patch, note, noteVisibility } = buildChange(act, current, input as never, to, { now, settings, actor, assigneeName, plannedAt });
      const changed = await applyChange(trx, ctx.tables, current, patch, { action: act, actor, now, note, noteVisibility, timeZone: settings.timezone });
      if (act === 'pause') {
        const i = input as unknown as { reason: string; party: string };
        await openPause(trx, ctx.tables, id, { at: now, reason: i.reason, party: i.party, actor });
      }
      if (act === 'resume' && current.pausedAt) {
        await closePause(trx, ctx.tables, id, current.pausedAt, { at: now, actor, ...pauseSpan(current, current.pausedAt, now, settings) });
      }
      // Assigned, escalated and follow-up-due notices commit (or roll back) with the change.
      await announceChange(trx, ctx.tables, act, current, changed, { now, actor, timeZone: settings.timezone });
      // The reply goes to the owner too (with the status link, where they read it and rate it).
      if (notices) await enqueueOwnerNotice(trx, ctx.tables, changed, 'replied', notices);
      if (act === 'reassign') await announceReassignment(trx, ctx.tables, current, changed, note ?? '', { now, actor, timeZone: settings.timezone });
      // A cancelled complaint backs no offset: what is not yet used is withdrawn with the cancellation.
      if (act === 'cancel')
        await withdrawOffsetsOfCancelledComplaint(trx, ctx.tables, { id: changed.id, code: changed.code, reason: changed.cancelReason ?? '' }, actor, now);
      return changed;
    },
    { trx: options.trx },
  );
}
