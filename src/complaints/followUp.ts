// 回访: recording the follow-up visit after resolution. Satisfied closes the complaint; unsatisfied
// closes it as closed_unsatisfied and, in the same transaction, opens a new complaint linked to it
// (same unit and category, severity at least important, the first receipt time kept for escalation).
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { requirePermission } from '../auth/permissions.js';
import { ValidationError } from '../common/errors.js';
import { visitOutOfOrder } from './messages.js';
import type { PluginContext } from '../common/context.js';
import type { Settings } from '../settings/settings.js';
import { toDbTime } from '../db/time.js';
import { inTransaction } from '../db/transaction.js';
import { applyChange, assertVersion } from './changes.js';
import { UNSET, registerComplaint, withDayCounter, type Draft } from './intake.js';
import { findComplaint, insertFollowUp } from './store/complaints.js';
import { validateFollowUp } from './schemas.js';
import { visibleOrNotFound } from './scope.js';
import { RULES, checkTransition } from './states.js';
import { replyPromiseDue } from './transitions.js';
import type { Complaint, FollowUp, FollowUpInput } from './types.js';
import { atLeast } from './vocabulary.js';
import { dayKey } from '../calendar/zoned.js';
import { enqueueOwnerNotice, ownerNoticeContext } from '../owner/notices.js';

export interface FollowUpResult {
  complaint: Complaint;
  followUp: FollowUp;
  /** The new complaint opened because the complainant was not satisfied. */
  continuation: Complaint | null;
}

/** The unsatisfied complaint handled again as a new one: everything known carries over, the loop restarts. */
export function continuationDraft(parent: Complaint, input: FollowUpInput, visitedAt: Date, actor: Actor, now: Date, settings: Settings): Draft {
  const receivedAt = visitedAt;
  const replyDueAt = replyPromiseDue(receivedAt, settings);
  return {
    ...UNSET,
    version: 1,
    state: 'received',
    unitId: parent.unitId,
    unitLabel: parent.unitLabel,
    ownerId: parent.ownerId,
    ownerName: parent.ownerName,
    communityId: parent.communityId,
    complainantName: parent.complainantName,
    complainantPhone: parent.complainantPhone,
    complainantRelation: parent.complainantRelation,
    channel: parent.channel,
    category: parent.category,
    description: input.complainantWords?.trim() || `回访不满意：${parent.code} / Unsatisfied at follow-up of ${parent.code}`,
    expectation: parent.expectation,
    threatenedWithholding: parent.threatenedWithholding,
    receivedAt,
    receivedBy: actor.id,
    receivedByName: actor.name,
    disputeType: parent.disputeType,
    thirdParty: parent.thirdParty,
    responsibilityExplained: parent.responsibilityExplained,
    nature: parent.nature,
    severity: atLeast(parent.severity, 'important'),
    parentId: parent.id,
    originalReceivedAt: parent.originalReceivedAt,
    replyDueAt,
    dueAt: replyDueAt,
    createdAt: now,
    createdBy: actor.id,
    updatedAt: now,
    updatedBy: actor.id,
    updatedByName: actor.name,
  };
}

/**
 * The new complaint an unsatisfied result opens (at a follow-up visit, or when the owner rates the reply
 * unsatisfied and asks for re-handling): linked to the first, in the caller's transaction.
 */
export function openContinuation(
  trx: Knex.Transaction,
  tables: PluginContext['tables'],
  parent: Complaint,
  how: { words?: string | undefined; at: Date; actor: Actor; now: Date; settings: Settings; day: string; input?: FollowUpInput; note?: string },
): Promise<Complaint> {
  const input = how.input ?? ({ version: parent.version, method: 'phone', satisfied: false, complainantWords: how.words } as FollowUpInput);
  return registerComplaint(trx, tables, continuationDraft(parent, input, how.at, how.actor, how.now, how.settings), {
    day: how.day,
    actor: how.actor,
    now: how.now,
    repeatWindowDays: null,
    note: how.note ?? `回访不满意，延续 ${parent.code} / Continues ${parent.code} after an unsatisfied follow-up`,
  });
}

export async function recordFollowUp(
  ctx: PluginContext,
  id: number,
  raw: unknown,
  actor: Actor,
  options: { trx?: Knex.Transaction } = {},
): Promise<FollowUpResult> {
  requirePermission(actor, 'complaint.view');
  requirePermission(actor, RULES['follow-up'].permission);
  const input = validateFollowUp(raw);
  const settings = await ctx.settings.get();
  const { tables } = ctx;
  const day = dayKey(ctx.clock.now(), settings.timezone);
  const notices = await ownerNoticeContext(ctx, settings, options.trx);

  const run = () =>
    inTransaction(
      ctx.db,
      async (trx) => {
        const now = ctx.clock.now();
        const current = visibleOrNotFound(actor, await findComplaint(trx, tables, id, { lock: true }));
        assertVersion(current, input.version, settings.timezone);
        const to = checkTransition(RULES['follow-up'], current, { satisfied: input.satisfied }, now);
        const visitedAt = input.visitedAt ? new Date(input.visitedAt) : now;
        if (visitedAt.getTime() > now.getTime() + 5 * 60 * 1000 || (current.resolvedAt && visitedAt < current.resolvedAt)) {
          throw new ValidationError([visitOutOfOrder()]);
        }

        const continuation = input.satisfied
          ? null
          : await openContinuation(trx, tables, current, { words: input.complainantWords, at: visitedAt, actor, now, settings, day, input });

        const followUp = await insertFollowUp(trx, tables, {
          complaint_id: current.id,
          method: input.method,
          visitor_id: actor.id,
          visitor_name: input.visitorName ?? actor.name,
          visited_at: toDbTime(visitedAt),
          satisfied: input.satisfied ? 1 : 0,
          complainant_words: input.complainantWords ?? null,
          owner_rating: input.ownerRating ?? null,
          note: input.note ?? null,
          continuation_id: continuation?.id ?? null,
          created_at: toDbTime(now),
        });

        const words = input.complainantWords ? `：${input.complainantWords}` : '';
        const complaint = await applyChange(
          trx,
          tables,
          current,
          { state: to, closedAt: now, dueAt: null },
          {
            action: 'follow-up',
            actor,
            now,
            timeZone: settings.timezone,
            note: [input.satisfied ? `回访满意${words}` : `回访不满意${words}；已转新投诉 ${continuation!.code}`, input.note].filter(Boolean).join('；'),
          },
        );
        // The owner hears the complaint is closed, and of the new one when it continues.
        await enqueueOwnerNotice(trx, tables, complaint, 'closed', notices);
        if (continuation) await enqueueOwnerNotice(trx, tables, continuation, 'received', notices);
        return { complaint, followUp, continuation };
      },
      { trx: options.trx },
    );
  return withDayCounter(ctx.db, tables, run, options.trx);
}
