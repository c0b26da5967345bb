// The notices a complaint change announces, written to the outbox in the change's own transaction, so a
// notice exists exactly when its change does: assigned (start-investigation or plan names a department
// or person), escalated (by hand here; by the rule in escalation.ts) and follow_up_due (the reply starts
// the follow-up window). Deadline warnings and overdue notices have no change of their own: the jobs send
// those. Payloads and keys come from src/notifications/complaintNotices.ts, shared with the jobs.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import type { TableNames } from '../db/tables.js';
import { complaintPayload, noticeKeys } from '../notifications/complaintNotices.js';
import { enqueue } from '../notifications/outbox.js';
import { toRow } from './store/complaints.js';
import type { Action } from './states.js';
import type { Complaint } from './types.js';
import { formatZoned } from '../calendar/zoned.js';

export interface NoticeContext {
  now: Date;
  actor: Actor;
  timeZone: string;
}

/** The routing fields of a complaint notice, from the complaint as it is after the change. */
export function noticeOf(c: Complaint): Record<string, unknown> {
  return complaintPayload(toRow(c));
}

/** Whether the change gave the complaint a department or person to act on it (a plan always does). */
function assigns(action: Action, before: Complaint, after: Complaint): boolean {
  if (action === 'plan') return true;
  if (action !== 'start-investigation') return false;
  if (!after.department && !after.assigneeId) return false;
  return after.department !== before.department || after.assigneeId !== before.assigneeId;
}

/** Enqueues what `action` announces, in the transaction that moved `before` to `after`. */
export async function announceChange(
  trx: Knex.Transaction,
  tables: TableNames,
  action: Action,
  before: Complaint,
  after: Complaint,
  ctx: NoticeContext,
): Promise<void> {
  const { now, actor, timeZone } = ctx;
  if (assigns(action, before, after)) {
    await enqueue(
      trx,
      tables,
      'assigned',
      {
        ...noticeOf(after),
        action,
        previousDepartment: before.department,
        previousAssigneeId: before.assigneeId,
        planDeadline: after.planDeadline?.toISOString() ?? null,
        planDeadlineLocal: after.planDeadline ? formatZoned(after.planDeadline, timeZone) : null,
        measures: action === 'plan' ? after.planMeasures : null,
        assignedBy: actor.id,
        assignedByName: actor.name,
      },
      now,
      { dedupeKey: noticeKeys.assigned(after.id, after.version) },
    );
  }
  if (action === 'escalate' && after.escalatedAt) {
    await enqueueEscalated(trx, tables, after, now, { automatic: false, by: actor });
  }
  if (action === 'resolve' && after.followUpDueAt) {
    const dueAt = after.followUpDueAt;
    await enqueue(
      trx,
      tables,
      'follow_up_due',
      { ...noticeOf(after), stage: 'follow_up', dueAt: dueAt.toISOString(), dueAtLocal: formatZoned(dueAt, timeZone) },
      now,
      // The follow-ups job uses the same key, so it does not announce this window again.
      { dedupeKey: noticeKeys.deadline('follow_up_due', 'follow_up', after.id, dueAt) },
    );
  }
}

/** The escalated notice, by hand or by the escalation rule; false if this escalation was already announced. */
export function enqueueEscalated(trx: Knex.Transaction, tables: TableNames, c: Complaint, now: Date, how: { automatic: boolean; by: Actor }): Promise<boolean> {
  const at = c.escalatedAt ?? now;
  return enqueue(
    trx,
    tables,
    'escalated',
    {
      ...noticeOf(c),
      escalatedAt: at.toISOString(),
      reason: c.escalationReason,
      automatic: how.automatic,
      escalatedBy: how.by.id,
      escalatedByName: how.by.name,
    },
    now,
    { dedupeKey: noticeKeys.escalated(c.id, at) },
  );
}

/**
 * 改派: the new handler is told they have the job, the previous one that it was taken from them, with
 * the reason; two notices in the change's transaction, each once (keyed by version and recipient).
 */
export async function announceReassignment(
  trx: Knex.Transaction,
  tables: TableNames,
  before: Complaint,
  after: Complaint,
  reason: string,
  ctx: NoticeContext,
): Promise<void> {
  const common = {
    ...noticeOf(after),
    reason,
    previousAssigneeId: before.assigneeId,
    previousAssigneeName: before.assigneeName,
    reassignedBy: ctx.actor.id,
    reassignedByName: ctx.actor.name,
  };
  for (const recipient of ['new', 'previous'] as const) {
    const recipientId = recipient === 'new' ? after.assigneeId : before.assigneeId;
    if (!recipientId) continue;
    await enqueue(trx, tables, 'reassigned', { ...common, recipient, recipientId }, ctx.now, {
      dedupeKey: noticeKeys.reassigned(after.id, after.version, recipient),
    });
  }
}
