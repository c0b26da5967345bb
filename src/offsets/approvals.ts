// Deciding on an offset request: approve (possibly a smaller amount) or reject with a note, never on
// one's own request. A role's approval limit bounds what one approver, and one role, approve on one
// complaint in total (approvalTotals.ts), so splitting a request does not get round it. Revoking an
// approval withdraws what is left of it, before or after part of it was used. (The expire-offsets job
// marks offsets past their date.) Every decision is a conditional UPDATE on the state and version the
// decider saw, and writes an audit event and a notice in the same transaction.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { requirePermission } from '../auth/permissions.js';
import { ConflictError, DomainError, NotFoundError, ValidationError } from '../common/errors.js';
import { recordEvent } from '../common/events.js';
import { enqueue } from '../notifications/outbox.js';
import { msg, type Localized } from '../common/localized.js';
import { toDbTime } from '../db/time.js';
import { inTransaction } from '../db/transaction.js';
import type { PluginContext } from '../common/context.js';
import type { Settings } from '../settings/settings.js';
import { ROLE_LABELS } from '../auth/permissions.js';
import { addToApprovalTotal, readApprovalTotals, type ApprovalTotals } from './store/approvalTotals.js';
import { OFFSET_STATUS_LABELS, isPastExpiry, type Offset } from './model.js';
import { readComplaintFacts } from './store/facts.js';
import { decideIfUnchanged, findOffset, type OffsetDecision } from './store/offsetStore.js';
import { announceOffsetEvent } from './events.js';
import {
  approvedOverRequested,
  approverChoice,
  noApprovalLimit,
  nothingLeftToRevoke,
  offsetInStatus,
  offsetNotFound,
  onlyPendingApproved,
  overApprovalLimit,
  ownRequest as ownRequestMessage,
  requestExpired,
  staleOffset,
} from './messages.js';
import { amountField, complaintRefusal, visibleComplaint } from './requests.js';
import { validateApprove, validateDecisionNote, type ApproveOffsetInput, type DecisionNoteInput } from './schemas.js';
import { localDate } from '../calendar/zoned.js';

export type { ApproveOffsetInput, DecisionNoteInput } from './schemas.js';

/**
 * The largest offset (fen) this actor may approve: the highest limit over their roles; null means no
 * limit; undefined means none of their roles may approve offsets at all.
 */
export function approvalLimitFen(actor: Actor, limits: Settings['roleApprovalLimitsFen']): number | null | undefined {
  let best: number | undefined;
  for (const { limitFen } of approvingRoles(actor.roles, limits)) {
    if (limitFen === null) return null;
    best = best === undefined ? limitFen : Math.max(best, limitFen);
  }
  return best;
}

/** The roles (of these) that may approve offsets, with their limits: unlimited first, then the highest. */
export function approvingRoles(roles: string[], limits: Settings['roleApprovalLimitsFen']): Array<{ role: string; limitFen: number | null }> {
  const out: Array<{ role: string; limitFen: number | null }> = [];
  for (const role of new Set(roles)) {
    if (!Object.hasOwn(limits, role)) continue;
    const limit = limits[role];
    out.push({ role, limitFen: limit === undefined ? null : limit });
  }
  return out.sort((a, b) => (a.limitFen === null ? -1 : b.limitFen === null ? 1 : b.limitFen - a.limitFen));
}

/** How the limit that was hit is told: whose total, what it would become, and who may approve the rest. */
interface LimitBreach {
  /** 'approver': this person's total on the complaint; 'role': every approval made under this role. */
  scope: 'approver' | 'role';
  role: string | null;
  approvedFen: number;
  amountFen: number;
  limitFen: number;
}

/** Roles whose limit (and whose total so far on this complaint) leave room for this amount. */
function whoMayApprove(amountFen: number, totals: ApprovalTotals, limits: Settings['roleApprovalLimitsFen'], except: string[]): Localized[] {
  return approvingRoles(Object.keys(limits), limits)
    .filter(({ role, limitFen }) => !except.includes(role) && (limitFen === null || (totals.byRole.get(role) ?? 0) + amountFen <= limitFen))
    .map(({ role, limitFen }) => approverChoice({ label: roleLabel(role), limitFen }));
}

function roleLabel(role: string): Localized {
  return ROLE_LABELS[role] ?? msg(role, role);
}

function overLimit(breach: LimitBreach, complaintCode: string, others: Localized[]): DomainError {
  const who = breach.scope === 'approver' ? ({ approver: true } as const) : { approver: false as const, role: breach.role ? roleLabel(breach.role) : null };
  return new DomainError(
    'over_approval_limit',
    403,
    overApprovalLimit(who, complaintCode, { approved: breach.approvedFen, amount: breach.amountFen, limit: breach.limitFen }, others),
    [],
    {
      limitFen: breach.limitFen,
      amountFen: breach.amountFen,
      approvedFen: breach.approvedFen,
      totalFen: breach.approvedFen + breach.amountFen,
      scope: breach.scope,
      role: breach.role,
      mayApprove: others.map((o) => o.en),
    },
  );
}

/**
 * Which of the actor's roles this approval counts under, or why none may take it: the approver's own
 * total must stay within their highest limit, and the role's total (every approver of that role on the
 * complaint) within the role's limit. The highest-limit role with room is used.
 */
function chooseApprovalRole(
  actor: Actor,
  amountFen: number,
  totals: ApprovalTotals,
  limits: Settings['roleApprovalLimitsFen'],
): { role: string; limitFen: number | null; personalLimitFen: number | null } | LimitBreach {
  const roles = approvingRoles(actor.roles, limits);
  const personal = approvalLimitFen(actor, limits);
  const personalLimitFen = personal === undefined ? 0 : personal;
  const mine = totals.byApprover.get(actor.id) ?? 0;
  if (personalLimitFen !== null && mine + amountFen > personalLimitFen)
    return { scope: 'approver', role: null, approvedFen: mine, amountFen, limitFen: personalLimitFen };
  const fits = roles.find(({ role, limitFen }) => limitFen === null || (totals.byRole.get(role) ?? 0) + amountFen <= limitFen);
  if (fits) return { ...fits, personalLimitFen };
  const top = roles[0]!;
  return { scope: 'role', role: top.role, approvedFen: totals.byRole.get(top.role) ?? 0, amountFen, limitFen: top.limitFen ?? 0 };
}

function notFound(id: number): NotFoundError {
  return new NotFoundError(offsetNotFound(id));
}

/** The offset and its complaint, when the actor may see them. */
async function visibleOffset(ctx: PluginContext, id: number, actor: Actor) {
  const offset = await findOffset(ctx.db, ctx.tables, id);
  if (!offset) throw notFound(id);
  const complaint = await visibleComplaint(ctx, offset.complaintId, actor).catch((err: unknown) => {
    throw err instanceof NotFoundError ? notFound(id) : err;
  });
  return { offset, complaint };
}

function wrongStatus(offset: Offset, code: string, zh: string, en: string): ConflictError {
  const label = OFFSET_STATUS_LABELS[offset.status];
  return new ConflictError(code, offsetInStatus(label, zh, en), {
    status: offset.status,
    version: offset.version,
  });
}

function staleVersion(offset: Offset): ConflictError {
  return new ConflictError('stale_version', staleOffset(offset.version), { version: offset.version, status: offset.status });
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
  return new DomainError('own_request', 403, ownRequestMessage());
}

/**
 * Moves the offset from the state the decider saw; a concurrent change makes the UPDATE touch nothing
 * and is reported as a conflict from the row as it now is.
 */
async function decide(trx: Knex.Transaction, ctx: PluginContext, seen: Offset, decision: OffsetDecision, onConflict: (now: Offset) => Error): Promise<Offset> {
  const { decided, offset } = await decideIfUnchanged(trx, ctx.tables, seen, decision);
  if (!decided) throw onConflict(offset);
  return offset;
}

export async function approveOffset(ctx: PluginContext, id: number, input: ApproveOffsetInput, actor: Actor): Promise<Offset> {
  requirePermission(actor, 'offset.approve');
  const data = validateApprove(structuredClone(input ?? {}));
  const { offset, complaint } = await visibleOffset(ctx, id, actor);
  checkVersion(offset, data.version);
  if (offset.requestedBy === actor.id) throw ownRequest();
  const settings = await ctx.settings.get();
  // A cancelled complaint's requests were withdrawn with it: say why, rather than only that it is not pending.
  if (complaint.state === 'cancelled') throw complaintRefusal(complaint, settings)!;
  if (offset.status !== 'requested') throw wrongStatus(offset, 'offset_not_pending', onlyPendingApproved.zh, onlyPendingApproved.en);
  const today = localDate(ctx.clock.now(), settings.timezone);
  if (offset.expiresOn !== null && isPastExpiry(offset.expiresOn, today)) throw new ConflictError('offset_expired', requestExpired(offset.expiresOn));
  const refusal = complaintRefusal(complaint, settings);
  if (refusal) throw refusal;
  const approvedFen = data.amount === undefined ? offset.requestedFen : amountField('amount', data.amount);
  if (approvedFen > offset.requestedFen) {
    throw new ValidationError([approvedOverRequested(offset.requestedFen)]);
  }
  const limits = settings.roleApprovalLimitsFen;
  if (approvalLimitFen(actor, limits) === undefined) {
    throw new DomainError('no_approval_limit', 403, noApprovalLimit());
  }
  const refuseOver = async (db: Knex | Knex.Transaction, breach?: LimitBreach): Promise<never> => {
    // Told from the totals as they are now (another approval may have just taken the room).
    const totals = await readApprovalTotals(db, ctx.tables, offset.complaintId);
    const chosen = breach ?? chooseApprovalRole(actor, approvedFen, totals, limits);
    const told: LimitBreach =
      'scope' in chosen
        ? chosen
        : { scope: 'approver', role: null, approvedFen: totals.byApprover.get(actor.id) ?? 0, amountFen: approvedFen, limitFen: chosen.personalLimitFen ?? 0 };
    throw overLimit(told, complaint.code, whoMayApprove(approvedFen, totals, limits, actor.roles));
  };
  const choice = chooseApprovalRole(actor, approvedFen, await readApprovalTotals(ctx.db, ctx.tables, offset.complaintId), limits);
  if ('scope' in choice) return refuseOver(ctx.db, choice);

  return inTransaction(ctx.db, async (trx) => {
    // The complaint may have been cancelled (or reclassified) since it was read: read it with a lock, so
    // a cancellation on this server either waits for us (and then withdraws this approval) or came first.
    const current = await readComplaintFacts(trx, ctx.tables, offset.complaintId, { lock: true });
    const late = current && complaintRefusal(current, settings);
    if (late) throw late;
    // The totals rows decide, not the read above: an approval racing on the same complaint finds them changed.
    const withinPersonal = await addToApprovalTotal(trx, ctx.tables, offset.complaintId, 'approver', actor.id, approvedFen, choice.personalLimitFen);
    const withinRole = withinPersonal && (await addToApprovalTotal(trx, ctx.tables, offset.complaintId, 'role', choice.role, approvedFen, choice.limitFen));
    if (!withinRole) return refuseOver(trx);
    const now = ctx.clock.now();
    const decided = await decide(
      trx,
      ctx,
      offset,
      {
        status: 'approved',
        approved_fen: approvedFen,
        remaining_fen: approvedFen,
        decided_by: actor.id,
        decided_by_name: actor.name,
        decided_role: choice.role,
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
  if (offset.status !== 'requested')
    throw wrongStatus(offset, 'offset_not_pending', '只能驳回待审批的申请', 'only a request awaiting approval can be rejected');
  return inTransaction(ctx.db, async (trx) => {
    const now = ctx.clock.now();
    const decided = await decide(
      trx,
      ctx,
      offset,
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

function nothingLeft(offset: Offset): ConflictError {
  return new ConflictError('offset_used', nothingLeftToRevoke(offset.approvedFen ?? 0), { remainingFen: offset.remainingFen, approvedFen: offset.approvedFen });
}

/**
 * Withdraws what is left of an approval. What was already applied stays applied (a cashier may reverse
 * it); the remainder moves to revoked_fen and can never be used. One conditional UPDATE takes whatever is
 * left at that instant, so an application racing with it either came first (and is kept) or is refused.
 */
export async function revokeOffset(ctx: PluginContext, id: number, input: DecisionNoteInput, actor: Actor): Promise<Offset> {
  requirePermission(actor, 'offset.revoke');
  const data = validateDecisionNote(structuredClone(input ?? {}));
  const { offset } = await visibleOffset(ctx, id, actor);
  checkVersion(offset, data.version);
  if (offset.status === 'exhausted') throw nothingLeft(offset);
  if (offset.status !== 'approved') throw wrongStatus(offset, 'offset_not_approved', '只能撤回已批准的抵扣', 'only an approved offset can be revoked');
  return inTransaction(ctx.db, async (trx) => {
    const now = ctx.clock.now();
    // Applications take from remaining_fen without bumping the version, so they do not make this stale.
    const revoked = await decide(
      trx,
      ctx,
      offset,
      {
        withdrawRemainder: true,
        status: 'revoked',
        revoked_by: actor.id,
        revoked_at: toDbTime(now),
        revoke_note: data.note,
        updated_at: toDbTime(now),
      },
      (current) => (current.version === offset.version && current.status === 'exhausted' ? nothingLeft(current) : staleVersion(current)),
    );
    const withdrawnFen = revoked.revokedFen - offset.revokedFen;
    await recordEvent(trx, ctx.tables, {
      entityType: 'offset',
      entityId: offset.id,
      complaintId: offset.complaintId,
      action: 'revoke',
      fromState: 'approved',
      toState: 'revoked',
      actor,
      at: now,
      changes: { remaining_fen: [withdrawnFen, 0], revoked_fen: [offset.revokedFen, revoked.revokedFen] },
      note: data.note,
    });
    // Withdrawing an approval is a decision the requester (and billing) must hear of, like the first one.
    await enqueue(
      trx,
      ctx.tables,
      'offset_decided',
      { ...decisionNotice(revoked), revokedBy: actor.id, revokedByName: actor.name, revokedFen: withdrawnFen, note: data.note },
      now,
    );
    await announceOffsetEvent(trx, ctx.tables, 'revoked', { offsetId: offset.id, amountFen: withdrawnFen }, actor, now);
    return revoked;
  });
}
