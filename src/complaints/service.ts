// ComplaintService: the commands and queries of the complaint loop. Each change runs in one transaction
// that reads the row FOR UPDATE, checks version, scope and state, writes with WHERE id AND version, and
// records its audit event. Inputs are validated here, so in-process callers get the same checks as HTTP.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { canSeeCommunity, requirePermission } from '../auth/permissions.js';
import { ConflictError, ValidationError, fieldError, type FieldError } from '../common/errors.js';
import { eventFromRow, type AuditEvent } from '../common/events.js';
import { msg } from '../common/localized.js';
import { isDuplicateKeyError } from '../db/errors.js';
import { inTransaction } from '../db/transaction.js';
import type { PluginContext } from '../common/context.js';
import { categoryErrors, departmentErrors } from './catalogs.js';
import { applyChange, assertVersion } from './changes.js';
import { escalateOverdue, type EscalationRun } from './escalation.js';
import { recordFollowUp, type FollowUpResult } from './followUp.js';
import { UNSET, clip, registerComplaint, withDayCounter, type Draft } from './intake.js';
import { listComplaints, type ListOptions } from './listing.js';
import { announceChange } from './notices.js';
import { findComplaint, listFollowUps, rowToComplaint, toLink } from './repository.js';
import { validateCreate, validateList, validateTransition } from './schemas.js';
import { visibleOrNotFound } from './scope.js';
import { allowedActions, checkTransition, ruleFor, type Action, type RuleInput } from './states.js';
import { buildChange, replyPromiseDue } from './transitions.js';
import type { Complaint, ComplaintDetail, ComplaintLink, CreateComplaintInput, ListResult } from './types.js';
import { dayKey } from '../calendar/zoned.js';
import { withdrawOffsetsOfCancelledComplaint } from '../offsets/withdrawals.js';

export interface CreateOptions {
  /** From the Idempotency-Key header; the body may carry `idempotencyKey` instead. */
  idempotencyKey?: string;
  /** Join the host's transaction instead of opening one. */
  trx?: Knex.Transaction;
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

export class ComplaintService {
  constructor(private readonly ctx: PluginContext) {}

  private get tables() {
    return this.ctx.tables;
  }

  async create(actor: Actor, raw: unknown, options: CreateOptions = {}): Promise<CreateResult> {
    requirePermission(actor, 'complaint.create');
    const input = validateCreate(raw);
    const key = this.idempotencyKeyOf(input, options.idempotencyKey);
    const hash = fingerprint(input);
    if (key) {
      const replay = await this.replay(actor, key, hash, options.trx);
      if (replay) return { complaint: replay, created: false };
    }

    const settings = await this.ctx.settings.get();
    const now = this.ctx.clock.now();
    const receivedAt = input.receivedAt ? new Date(input.receivedAt) : now;
    const errors: FieldError[] = categoryErrors(settings, input.category);
    if (receivedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) {
      errors.push(fieldError('receivedAt', '受理时间不能晚于当前时间', 'The time received cannot be in the future'));
    }
    const unit = await this.ctx.host.getUnit(input.unitId);
    if (!unit || !canSeeCommunity(actor, unit.communityId)) {
      errors.push(fieldError('unitId', '房屋不存在或不在您负责的小区', 'No such unit, or it is outside your communities'));
    }
    const owner = input.ownerId ? unit?.owners.find((o) => o.id === input.ownerId) : unit?.owners[0];
    if (unit && input.ownerId && !owner) errors.push(fieldError('ownerId', '该业主不是此房屋的业主', 'This owner does not own the unit'));
    if (errors.length || !unit) throw new ValidationError(errors);

    // The reply promised to the owner, in service time; kept so a later change of settings never moves it.
    const replyDueAt = replyPromiseDue(receivedAt, settings);
    const draft: Draft = {
      ...UNSET,
      version: 1,
      state: 'received',
      unitId: unit.id,
      unitLabel: clip(unit.label, 100)!,
      ownerId: owner?.id ?? null,
      ownerName: clip(owner?.name, 100),
      communityId: unit.communityId,
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
      replyDueAt,
      dueAt: replyDueAt,
      createdAt: now,
      createdBy: actor.id,
      updatedAt: now,
      updatedBy: actor.id,
      updatedByName: actor.name,
    };
    const day = dayKey(now, settings.timezone);
    try {
      const complaint = await withDayCounter(
        this.ctx.db,
        this.tables,
        () =>
          inTransaction(
            this.ctx.db,
            (trx) => registerComplaint(trx, this.tables, draft, { day, actor, now, repeatWindowDays: settings.repeatWindowDays, idempotency: key ? { key, hash } : null }),
            { trx: options.trx },
          ),
        options.trx,
      );
      return { complaint, created: true };
    } catch (err) {
      // The same form submitted twice at once: the unique key let one through; answer with it.
      const replay = key && isDuplicateKeyError(err) ? await this.replay(actor, key, hash, options.trx) : null;
      if (replay) return { complaint: replay, created: false };
      throw err;
    }
  }

  private idempotencyKeyOf(input: CreateComplaintInput, header: string | undefined): string | null {
    if (header !== undefined && !IDEMPOTENCY_KEY.test(header)) {
      throw new ValidationError([fieldError('Idempotency-Key', '幂等键须为 1–100 个可见 ASCII 字符', 'The idempotency key must be 1–100 visible ASCII characters')]);
    }
    if (header !== undefined && input.idempotencyKey !== undefined && header !== input.idempotencyKey) {
      throw new ValidationError([fieldError('idempotencyKey', '请求头与请求体中的幂等键不一致', 'The Idempotency-Key header and the body disagree')]);
    }
    return header ?? input.idempotencyKey ?? null;
  }

  private async replay(actor: Actor, key: string, hash: string, trx?: Knex.Transaction): Promise<Complaint | null> {
    const row = (await (trx ?? this.ctx.db)(this.tables.complaints).where({ created_by: actor.id, idempotency_key: key }).first()) as
      | Record<string, unknown>
      | undefined;
    if (!row) return null;
    if (row.idempotency_hash !== hash) {
      throw new ConflictError(
        'idempotency_key_reused',
        msg('此幂等键已用于内容不同的另一次登记', 'This idempotency key was already used for a different submission'),
        { complaintCode: row.code },
      );
    }
    return rowToComplaint(row);
  }

  async get(actor: Actor, id: number): Promise<ComplaintDetail> {
    requirePermission(actor, 'complaint.view');
    const complaint = visibleOrNotFound(actor, await findComplaint(this.ctx.db, this.tables, id));
    const [chain, repeatOf, repeatedBy, followUps] = await Promise.all([
      this.chainOf(complaint),
      complaint.repeatOfId ? findComplaint(this.ctx.db, this.tables, complaint.repeatOfId) : Promise.resolve(null),
      this.ctx.db(this.tables.complaints).where({ repeat_of_id: id }).orderBy('id').limit(50),
      listFollowUps(this.ctx.db, this.tables, id),
    ]);
    return {
      complaint,
      chain,
      repeatOf: repeatOf ? toLink(repeatOf) : null,
      repeatedBy: (repeatedBy as Array<Record<string, unknown>>).map((r) => toLink(rowToComplaint(r))),
      followUps,
      allowedActions: allowedActions(complaint, actor),
    };
  }

  /** First complaint first: walk up the parents, then down the continuations. */
  private async chainOf(complaint: Complaint): Promise<ComplaintLink[]> {
    const chain: ComplaintLink[] = [toLink(complaint)];
    for (let parentId = complaint.parentId; parentId && chain.length < MAX_CHAIN; ) {
      const parent = await findComplaint(this.ctx.db, this.tables, parentId);
      if (!parent) break;
      chain.unshift(toLink(parent));
      parentId = parent.parentId;
    }
    for (let id = complaint.id; chain.length < MAX_CHAIN; ) {
      const child = (await this.ctx.db(this.tables.complaints).where({ parent_id: id }).orderBy('id').first()) as Record<string, unknown> | undefined;
      if (!child) break;
      const next = rowToComplaint(child);
      chain.push(toLink(next));
      id = next.id;
    }
    return chain;
  }

  async list(actor: Actor, raw: unknown, options: ListOptions = {}): Promise<ListResult> {
    requirePermission(actor, 'complaint.view');
    const query = validateList(raw);
    const settings = await this.ctx.settings.get();
    return listComplaints(this.ctx.db, this.tables, actor, query, this.ctx.clock.now(), settings.timezone, options);
  }

  async transition(actor: Actor, id: number, action: string, raw: unknown, options: { trx?: Knex.Transaction } = {}): Promise<Complaint> {
    const rule = ruleFor(action);
    if (rule.action === 'follow-up') return (await this.followUp(actor, id, raw, options)).complaint;
    const act = rule.action as Exclude<Action, 'follow-up'>;
    requirePermission(actor, 'complaint.view');
    requirePermission(actor, rule.permission);
    const input = validateTransition[act](raw) as { version: number; category?: string; department?: string };
    const settings = await this.ctx.settings.get();
    const errors = [...categoryErrors(settings, input.category), ...departmentErrors(settings, input.department)];
    if (errors.length) throw new ValidationError(errors);
    return inTransaction(
      this.ctx.db,
      async (trx) => {
        const now = this.ctx.clock.now();
        const current = visibleOrNotFound(actor, await findComplaint(trx, this.tables, id, { lock: true }));
        assertVersion(current, input.version, settings.timezone);
        const to = checkTransition(rule, current, input as RuleInput, now);
        const { patch, note } = buildChange(act, current, input as never, to, { now, settings, actor });
        const changed = await applyChange(trx, this.tables, current, patch, { action: act, actor, now, note, timeZone: settings.timezone });
        // Assigned, escalated and follow-up-due notices commit (or roll back) with the change.
        await announceChange(trx, this.tables, act, current, changed, { now, actor, timeZone: settings.timezone });
        // A cancelled complaint backs no offset: what is not yet used is withdrawn with the cancellation.
        if (act === 'cancel') await withdrawOffsetsOfCancelledComplaint(trx, this.tables, { id: changed.id, code: changed.code, reason: changed.cancelReason ?? '' }, actor, now);
        return changed;
      },
      { trx: options.trx },
    );
  }

  followUp(actor: Actor, id: number, raw: unknown, options: { trx?: Knex.Transaction } = {}): Promise<FollowUpResult> {
    return recordFollowUp(this.ctx, actor, id, raw, options);
  }

  async events(actor: Actor, id: number): Promise<AuditEvent[]> {
    requirePermission(actor, 'complaint.view');
    visibleOrNotFound(actor, await findComplaint(this.ctx.db, this.tables, id));
    const rows = (await this.ctx.db(this.tables.events).where({ complaint_id: id }).orderBy('id')) as Array<Record<string, unknown>>;
    return rows.map(eventFromRow);
  }

  /** Applies the escalation rule now (the scheduled job calls this). */
  escalateOverdue(now: Date = this.ctx.clock.now()): Promise<EscalationRun> {
    return escalateOverdue(this.ctx, now);
  }
}
