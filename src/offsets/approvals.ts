// Deciding on an offset request: approve (possibly a smaller amount) or reject with a note, within the
// approver's per-role limit, never on one's own request; revoke an approved offset before it is used.
// (The expire-offsets job marks offsets past their date.) Every decision is a conditional UPDATE on the
// state and version the decider saw, and writes an audit event and a notice in the same transaction.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { requirePermission } from '../auth/permissions.js';
import { ConflictError, DomainError, NotFoundError, ValidationError, fieldError } from '../common/errors.js';
import { recordEvent } from '../common/events.js';
import { enqueue } from '../notifications/outbox.js';
import { msg } from '../common/localized.js';
import { formatFen } from '../common/money.js';
import { toDbTime } from '../db/time.js';
import { inTransaction } from '../db/transaction.js';
import type { PluginContext } from '../plugin/context.js';
import type { Settings } from '../settings/settings.js';
import { OFFSET_STATUS_LABELS, isPastExpiry, offsetFromRow, readComplaintFacts, type Offset } from './model.js';
import { amountField, complaintRefusal, visibleComplaint } from './requests.js';
import { validateApprove, validateDecisionNote, type ApproveOffsetInput, type DecisionNoteInput } from './schemas.js';
import { localDate } from '../complaints/zonedTime.js';

export type { ApproveOffsetInput, DecisionNoteInput } from './schemas.js';

/**
 * The largest offset (fen) this actor may approve: the highest limit over their roles; null means no
 * limit; undefined means none of their roles may approve offsets at all.
 */
export function approvalLimitFen(actor: Actor, limits: Settings['roleApprovalLimitsFen']): number | null | undefined {
  let best: number | null | undefined;
  for (const role of actor.roles) {
    if (!Object.hasOwn(limits, role)) continue;
    const limit = limits[role];
    if (limit === null || limit === undefined) return null;
    best = best === undefined || best === null ? limit : Math.max(best, limit);
  }
  return best;
}

async function loadOffset(db: Knex | Knex.Transaction, ctx: PluginContext, id: number): Promise<Offset | null> {
  const row = (await db(ctx.tables.offsets).where({ id }).first()) as Record<string, unknown> | undefined;
  return row ? offsetFromRow(row) : null;
}

function notFound(id: number): NotFoundError {
  return new NotFoundError(msg(`抵扣 #${id} 不存在`, `Offset #${id} does not exist`));
}

/** The offset and its complaint, when the actor may see them. */
async function visibleOffset(ctx: PluginContext, id: number, actor: Actor) {
  const offset = await loadOffset(ctx.db, ctx, id);
  if (!offset) throw notFound(id);
  const complaint = await visibleComplaint(ctx, offset.complaintId, actor).catch((err: unknown) => {
    throw err instanceof NotFoundError ? notFound(id) : err;
  });
  return { offset, complaint };
}

function wrongStatus(offset: Offset, code: string, zh: string, en: string): ConflictError {
  const label = OFFSET_STATUS_LABELS[offset.status];
  return new ConflictError(code, msg(`抵扣当前为“${label['zh-CN']}”，${zh}`, `The offset is ${label.en.toLowerCase()}; ${en}`), { status: offset.status, version: offset.version });
}

function staleVersion(offset: Offset): ConflictError {
  return new ConflictError(
    'stale_version',
    msg(`抵扣已被他人修改（当前版本 ${offset.version}），请刷新后重试`, `The offset was changed by someone else (now version ${offset.version}); reload and try again`),
    { version: offset.version, status: offset.status },
  );
}

function checkVersion(offset: Offset, expected: number | undefined): void {
  if (expected !== undefined && expected !== offset.version) throw staleVersion(offset);
}

/** What the requester is told (through the outbox) about the decision. */
function decisionNotice(o: Offset): Record<string, unknown> {
  return {
    offsetId: o.id,
    complaintId: o.complaintId,
    status: o.status,
    requestedFen: o.requestedFen,
    approvedFen: o.approvedFen,
    requestedBy: o.requestedBy,
    decidedBy: o.decidedBy,
    decidedByName: o.decidedByName,
    note: o.decisionNote,
  };
}

function ownRequest(): DomainError {
  return new DomainError('own_request', 403, msg('不能审批自己提交的抵扣申请', 'You cannot decide on an offset you requested yourself'));
}

/**
 * Moves the offset from the state the decider saw; a concurrent change makes the UPDATE touch nothing
 * and is reported as a conflict from the row as it now is.
 */
async function decide(
  trx: Knex.Transaction,
  ctx: PluginContext,
  seen: Offset,
  extraWhere: (qb: Knex.QueryBuilder) => void,
  changes: Record<string, unknown>,
  onConflict: (now: Offset) => Error,
): Promise<Offset> {
  const qb = trx(ctx.tables.offsets).where({ id: seen.id, status: seen.status, version: seen.version });
  extraWhere(qb);
  const updated = await qb.update({ ...changes, version: seen.version + 1 });
  const now = (await loadOffset(trx, ctx, seen.id))!;
  if (updated !== 1) throw onConflict(now);
  return now;
}

export async function approveOffset(ctx: PluginContext, id: number, input: ApproveOffsetInput, actor: Actor): Promise<Offset> {
  requirePermission(actor, 'offset.approve');
  const data = validateApprove(structuredClone(input ?? {}));
  const { offset, complaint } = await visibleOffset(ctx, id, actor);
  checkVersion(offset, data.version);
  if (offset.requestedBy === actor.id) throw ownRequest();
  if (offset.status !== 'requested') throw wrongStatus(offset, 'offset_not_pending', '只能审批待审批的申请', 'only a request awaiting approval can be approved');
  const settings = await ctx.settings.get();
  const today = localDate(ctx.clock.now(), settings.timezone);
  if (isPastExpiry(offset.expiresOn, today)) {
    throw new ConflictError('offset_expired', msg(`该申请已于 ${offset.expiresOn} 过期，不能批准`, `This request expired on ${offset.expiresOn} and cannot be approved`));
  }
  const refusal = complaintRefusal(complaint, settings);
  if (refusal) throw refusal;

  const approvedFen = data.amount === undefined ? offset.requestedFen : amountField('amount', data.amount);
  if (approvedFen > offset.requestedFen) {
    throw new ValidationError([
      fieldError('amount', `批准金额不能超过申请金额 ¥${formatFen(offset.requestedFen)}`, `The approved amount cannot exceed the requested ¥${formatFen(offset.requestedFen)}`),
    ]);
  }
  const limit = approvalLimitFen(actor, settings.roleApprovalLimitsFen);
  if (limit === undefined) {
    throw new DomainError('no_approval_limit', 403, msg('您的角色没有抵扣审批额度', 'None of your roles may approve offsets'));
  }
  if (limit !== null && approvedFen > limit) {
    throw new DomainError(
      'over_approval_limit',
      403,
      msg(`您最多可批准 ¥${formatFen(limit)}，该金额需要更高级别审批`, `You may approve up to ¥${formatFen(limit)}; this amount needs a higher role`),
      [],
      { limitFen: limit, amountFen: approvedFen },
    );
  }

  return inTransaction(ctx.db, async (trx) => {
    // The complaint may have been cancelled (or reclassified) since it was read.
    const current = await readComplaintFacts(trx, ctx, offset.complaintId);
    const late = current && complaintRefusal(current, settings);
    if (late) throw late;
    const now = ctx.clock.now();
    const decided = await decide(
      trx,
      ctx,
      offset,
      () => {},
      {
        status: 'approved',
        approved_fen: approvedFen,
        remaining_fen: approvedFen,
        decided_by: actor.id,
        decided_by_name: actor.name,
        decided_at: toDbTime(now),
        decision_note: data.note ?? null,
        updated_at: toDbTime(now),
      },
      staleVersion,
    );
    await recordEvent(trx, ctx.tables, {
      entityType: 'offset',
      entityId: offset.id,
      complaintId: offset.complaintId,
      action: 'approve',
      fromState: 'requested',
      toState: 'approved',
      actor,
      at: now,
      changes: { approved_fen: [null, approvedFen], remaining_fen: [0, approvedFen] },
      note: data.note ?? null,
    });
    await enqueue(trx, ctx.tables, 'offset_decided', decisionNotice(decided), now);
    return decided;
  });
}

export async function rejectOffset(ctx: PluginContext, id: number, input: DecisionNoteInput, actor: Actor): Promise<Offset> {
  requirePermission(actor, 'offset.approve');
  const data = validateDecisionNote(structuredClone(input ?? {}));
  const { offset } = await visibleOffset(ctx, id, actor);
  checkVersion(offset, data.version);
  if (offset.requestedBy === actor.id) throw ownRequest();
  if (offset.status !== 'requested') throw wrongStatus(offset, 'offset_not_pending', '只能驳回待审批的申请', 'only a request awaiting approval can be rejected');
  return inTransaction(ctx.db, async (trx) => {
    const now = ctx.clock.now();
    const decided = await decide(
      trx,
      ctx,
      offset,
      () => {},
      { status: 'rejected', decided_by: actor.id, decided_by_name: actor.name, decided_at: toDbTime(now), decision_note: data.note, updated_at: toDbTime(now) },
      staleVersion,
    );
    await recordEvent(trx, ctx.tables, {
      entityType: 'offset',
      entityId: offset.id,
      complaintId: offset.complaintId,
      action: 'reject',
      fromState: 'requested',
      toState: 'rejected',
      actor,
      at: now,
      note: data.note,
    });
    await enqueue(trx, ctx.tables, 'offset_decided', decisionNotice(decided), now);
    return decided;
  });
}

function usedConflict(offset: Offset): ConflictError {
  return new ConflictError(
    'offset_used',
    msg(
      `该抵扣已使用 ¥${formatFen((offset.approvedFen ?? 0) - offset.remainingFen)}，不能撤回；请先由收费系统作废相应收款`,
      `¥${formatFen((offset.approvedFen ?? 0) - offset.remainingFen)} of this offset was already used, so it cannot be revoked; void those payments in billing first`,
    ),
    { remainingFen: offset.remainingFen, approvedFen: offset.approvedFen },
  );
}

/** Withdraws an approval before any of it is used (all applications, if any, reversed). */
export async function revokeOffset(ctx: PluginContext, id: number, input: DecisionNoteInput, actor: Actor): Promise<Offset> {
  requirePermission(actor, 'offset.revoke');
  const data = validateDecisionNote(structuredClone(input ?? {}));
  const { offset } = await visibleOffset(ctx, id, actor);
  checkVersion(offset, data.version);
  if (offset.status === 'exhausted' || (offset.status === 'approved' && offset.remainingFen !== offset.approvedFen)) throw usedConflict(offset);
  if (offset.status !== 'approved') throw wrongStatus(offset, 'offset_not_approved', '只能撤回已批准的抵扣', 'only an approved offset can be revoked');
  return inTransaction(ctx.db, async (trx) => {
    const now = ctx.clock.now();
    const revoked = await decide(
      trx,
      ctx,
      offset,
      // An application racing with us takes from remaining_fen without bumping the version.
      (qb) => qb.whereRaw('remaining_fen = approved_fen'),
      { status: 'revoked', revoked_by: actor.id, revoked_at: toDbTime(now), revoke_note: data.note, updated_at: toDbTime(now) },
      (current) => (current.version === offset.version && current.remainingFen !== current.approvedFen ? usedConflict(current) : staleVersion(current)),
    );
    await recordEvent(trx, ctx.tables, {
      entityType: 'offset',
      entityId: offset.id,
      complaintId: offset.complaintId,
      action: 'revoke',
      fromState: 'approved',
      toState: 'revoked',
      actor,
      at: now,
      note: data.note,
    });
    // Withdrawing an approval is a decision the requester (and billing) must hear of, like the first one.
    await enqueue(trx, ctx.tables, 'offset_decided', { ...decisionNotice(revoked), revokedBy: actor.id, revokedByName: actor.name, note: data.note }, now);
    return revoked;
  });
}
