// 回访: recording the follow-up visit after resolution. Satisfied closes the complaint; unsatisfied
// closes it as closed_unsatisfied and, in the same transaction, opens a new complaint linked to it
// (same unit and category, severity at least important, the first receipt time kept for escalation).
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { requirePermission } from '../auth/permissions.js';
import { ConflictError, ValidationError } from '../common/errors.js';
import { msg } from '../common/localized.js';
import type { TableNames } from '../db/tables.js';
import { visitOutOfOrder } from './messages.js';
import type { PluginContext } from '../common/context.js';
import type { Settings } from '../settings/settings.js';
import { toDbTime } from '../db/time.js';
import { inTransaction } from '../db/transaction.js';
import { applyChange, assertVersion } from './changes.js';
import { UNSET, registerComplaint, withDayCounter, type Draft } from './intake.js';
import { findComplaint, insertFollowUp, listFollowUps } from './store/complaints.js';
import { validateFollowUp } from './schemas.js';
import { visibleOrNotFound } from './scope.js';
import { RULES, checkTransition } from './states.js';
import { deadlinesFor } from './policies.js';
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
  const severity = atLeast(parent.severity, 'important');
  const deadlines = deadlinesFor(settings, parent.category, severity, receivedAt);
  const replyDueAt = deadlines.replyDueAt;
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
    severity,
    parentId: parent.id,
    originalReceivedAt: parent.originalReceivedAt,
    // The chain's age, less the time its earlier complaints were paused.
    escalationFrom: parent.escalationFrom ?? parent.originalReceivedAt,
    replyDueAt,
    deadlineClock: deadlines.fromPolicy ? deadlines.clock : null,
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
        // A merged duplicate's complainant is followed up through its survivor: once the survivor was
        // replied to, the duplicate takes its own visit (once) and stays merged.
        const survivor = current.state === 'merged' ? await survivorReplied(trx, tables, current) : null;
        const to = survivor ? 'merged' : checkTransition(RULES['follow-up'], current, { satisfied: input.satisfied }, now);
        if (survivor && (await listFollowUps(trx, tables, current.id)).length > 0) {
          throw new ConflictError(
            'already_followed_up',
            msg(`投诉 ${current.code} 的投诉人已回访过`, `The complainant of ${current.code} was already followed up`),
          );
        }
        const repliedAt = survivor?.resolvedAt ?? current.resolvedAt;
        const visitedAt = input.visitedAt ? new Date(input.visitedAt) : now;
        if (visitedAt.getTime() > now.getTime() + 5 * 60 * 1000 || (repliedAt && visitedAt < repliedAt)) {
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
          { state: to, closedAt: survivor ? current.closedAt : now, dueAt: null },
          {
            action: 'follow-up',
            actor,
            now,
            timeZone: settings.timezone,
            note: [
              survivor ? `经合并后的投诉 ${survivor.code} 回访` : null,
              input.satisfied ? `回访满意${words}` : `回访不满意${words}；已转新投诉 ${continuation!.code}`,
              input.note,
            ]
              .filter(Boolean)
              .join('；'),
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

/** The survivor of a merged duplicate, once it has been replied to; refuses (409) before. */
async function survivorReplied(trx: Knex.Transaction, tables: TableNames, duplicate: Complaint): Promise<Complaint> {
  const survivor = duplicate.mergedIntoId ? await findComplaint(trx, tables, duplicate.mergedIntoId) : null;
  if (!survivor || !survivor.resolvedAt) {
    throw new ConflictError(
      'survivor_not_replied',
      msg(
        `投诉 ${duplicate.code} 已合并到 ${survivor?.code ?? '另一投诉'}，待其回复后再回访此投诉人`,
        `Complaint ${duplicate.code} was merged into ${survivor?.code ?? 'another complaint'}; follow its complainant up once that one is replied to`,
      ),
    );
  }
  return survivor;
}
