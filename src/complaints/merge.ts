// Merging a duplicate complaint into a survivor (合并): two owners (or one owner twice) reported the same
// problem. In one transaction: both complaints are read and checked (open, visible, the same community,
// not the same one), the duplicate's offsets are carried over or the merge is refused naming why
// (src/offsets/merges.ts), the duplicate closes in state `merged` pointing at the survivor, and the
// survivor's version is bumped with a conditional UPDATE, so a concurrent change of either (on any node of
// a cluster) makes one of the two fail. Both timelines say what happened. The duplicate's complainant is
// followed up through the survivor: once the survivor is replied to, the duplicate takes its own
// follow-up visit (followUp.ts), and the survivor's page lists the merged complainants to visit.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { requirePermission } from '../auth/permissions.js';
import { ConflictError, ValidationError, fieldError } from '../common/errors.js';
import { recordEvent } from '../common/events.js';
import { msg } from '../common/localized.js';
import { compileValidator } from '../common/validation.js';
import type { PluginContext } from '../common/context.js';
import { inTransaction } from '../db/transaction.js';
import { carryOffsetRequests, mergeOffsetRefusal } from '../offsets/merges.js';
import { offsetIdsOfComplaint } from '../offsets/store/offsetStore.js';
import { factsOf } from '../offsets/model.js';
import { applyChange, assertVersion } from './changes.js';
import { visibleOrNotFound } from './scope.js';
import { OPEN_STATES, STATE_LABELS } from './states.js';
import { findComplaint, updateIfVersion } from './store/complaints.js';
import type { Complaint } from './types.js';
import { canSeeCommunity } from '../auth/permissions.js';

export const mergeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'survivorId', 'reason'],
  properties: {
    version: { type: 'integer', minimum: 1, maximum: 2147483647 },
    survivorId: { type: 'integer', minimum: 1, maximum: 2147483647 },
    reason: { type: 'string', minLength: 1, maxLength: 500, pattern: '\\S' },
  },
} as const;

export interface MergeInput {
  version: number;
  survivorId: number;
  reason: string;
}

export interface MergeResult {
  duplicate: Complaint;
  survivor: Complaint;
  /** Offset requests moved to the survivor. */
  carriedOffsetIds: number[];
}

const validateMerge = compileValidator<MergeInput>(mergeSchema);

export async function mergeComplaint(
  ctx: PluginContext,
  duplicateId: number,
  raw: unknown,
  actor: Actor,
  options: { trx?: Knex.Transaction } = {},
): Promise<MergeResult> {
  requirePermission(actor, 'complaint.view');
  requirePermission(actor, 'complaint.assess');
  const input = validateMerge(raw);
  if (input.survivorId === duplicateId) {
    throw new ValidationError([fieldError('survivorId', '不能把投诉合并到它自己', 'A complaint cannot be merged into itself')]);
  }
  const settings = await ctx.settings.get();
  return inTransaction(
    ctx.db,
    async (trx) => {
      const now = ctx.clock.now();
      const duplicate = visibleOrNotFound(actor, await findComplaint(trx, ctx.tables, duplicateId, { lock: true }));
      assertVersion(duplicate, input.version, settings.timezone);
      const survivor = await findComplaint(trx, ctx.tables, input.survivorId, { lock: true });
      if (!survivor || !canSeeCommunity(actor, survivor.communityId)) {
        throw new ValidationError([fieldError('survivorId', '要合并到的投诉不存在或不在您负责的小区', 'No such complaint to merge into in your communities')]);
      }
      for (const [c, who] of [
        [duplicate, msg('重复投诉', 'The duplicate')],
        [survivor, msg('保留的投诉', 'The survivor')],
      ] as const) {
        if (!OPEN_STATES.includes(c.state)) {
          throw new ConflictError(
            'merge_not_open',
            msg(
              `${who['zh-CN']} ${c.code} 当前为“${STATE_LABELS[c.state]['zh-CN']}”，只能合并未关闭的投诉`,
              `${who.en} ${c.code} is ${STATE_LABELS[c.state].en.toLowerCase()}; only open complaints can be merged`,
            ),
            { complaintId: c.id, state: c.state },
          );
        }
      }
      if (survivor.communityId !== duplicate.communityId) {
        throw new ValidationError([fieldError('survivorId', '只能合并同一小区的投诉', 'Only complaints of the same community can be merged')]);
      }
      const refusal = await mergeOffsetRefusal(trx, ctx.tables, factsOf(duplicate), factsOf(survivor), settings);
      if (refusal) throw refusal;

      const carried = await carryOffsetRequests(trx, ctx.tables, duplicate, survivor, actor, now);
      const offsetsNote = carried.length ? `；抵扣申请 #${carried.join('、#')} 转入 ${survivor.code}` : '';
      const merged = await applyChange(
        trx,
        ctx.tables,
        duplicate,
        { state: 'merged', mergedIntoId: survivor.id, closedAt: now, dueAt: null },
        { action: 'merge', actor, now, timeZone: settings.timezone, note: `合并到 ${survivor.code}：${input.reason}${offsetsNote}` },
      );
      // The survivor changes too (it now answers for the duplicate's owner): a conditional version bump,
      // so a concurrent change of the survivor conflicts with the merge instead of passing it by.
      const stamp = { updatedAt: now, updatedBy: actor.id, updatedByName: actor.name };
      if (!(await updateIfVersion(trx, ctx.tables, survivor.id, survivor.version, stamp))) {
        throw new ConflictError(
          'stale_version',
          msg(`投诉 ${survivor.code} 刚被他人修改，请刷新后重试`, `Complaint ${survivor.code} was just changed; reload and try again`),
        );
      }
      await recordEvent(trx, ctx.tables, {
        entityType: 'complaint',
        entityId: survivor.id,
        complaintId: survivor.id,
        action: 'merge_in',
        fromState: survivor.state,
        toState: survivor.state,
        actor,
        at: now,
        changes: { mergedFrom: [null, duplicate.id] },
        note: `并入重复投诉 ${duplicate.code}（投诉人 ${duplicate.complainantName}，回访时一并回访）：${input.reason}${offsetsNote}`,
      });
      return { duplicate: merged, survivor: { ...survivor, ...stamp, version: survivor.version + 1 }, carriedOffsetIds: carried };
    },
    { trx: options.trx },
  );
}

export interface MergePreview {
  duplicate: Complaint;
  survivor: Complaint;
  /** Offset requests awaiting approval that would move to the survivor. */
  carriedOffsetIds: number[];
  /** Why the merge would be refused (offsets that cannot move, a closed complaint), or null. */
  refusal: ConflictError | null;
}

/**
 * What a merge would do, read without writing (the confirm step of the merge page): the same checks as
 * mergeComplaint, with a refusal returned instead of thrown so the supervisor reads it before confirming.
 * Bad input (self, unknown survivor, another community) is a ValidationError as in the merge itself.
 */
export async function previewMerge(ctx: PluginContext, duplicateId: number, survivorId: number, actor: Actor): Promise<MergePreview> {
  requirePermission(actor, 'complaint.view');
  requirePermission(actor, 'complaint.assess');
  if (survivorId === duplicateId) {
    throw new ValidationError([fieldError('survivorId', '不能把投诉合并到它自己', 'A complaint cannot be merged into itself')]);
  }
  const settings = await ctx.settings.get();
  return inTransaction(ctx.db, async (trx) => {
    const duplicate = visibleOrNotFound(actor, await findComplaint(trx, ctx.tables, duplicateId));
    const survivor = await findComplaint(trx, ctx.tables, survivorId);
    if (!survivor || !canSeeCommunity(actor, survivor.communityId)) {
      throw new ValidationError([fieldError('survivorId', '要合并到的投诉不存在或不在您负责的小区', 'No such complaint to merge into in your communities')]);
    }
    if (survivor.communityId !== duplicate.communityId) {
      throw new ValidationError([fieldError('survivorId', '只能合并同一小区的投诉', 'Only complaints of the same community can be merged')]);
    }
    for (const [c, who] of [
      [duplicate, msg('重复投诉', 'The duplicate')],
      [survivor, msg('保留的投诉', 'The survivor')],
    ] as const) {
      if (!OPEN_STATES.includes(c.state)) {
        const refusal = new ConflictError(
          'merge_not_open',
          msg(
            `${who['zh-CN']} ${c.code} 当前为“${STATE_LABELS[c.state]['zh-CN']}”，只能合并未关闭的投诉`,
            `${who.en} ${c.code} is ${STATE_LABELS[c.state].en.toLowerCase()}; only open complaints can be merged`,
          ),
        );
        return { duplicate, survivor, carriedOffsetIds: [], refusal };
      }
    }
    const refusal = await mergeOffsetRefusal(trx, ctx.tables, factsOf(duplicate), factsOf(survivor), settings);
    const carriedOffsetIds = refusal ? [] : await offsetIdsOfComplaint(trx, ctx.tables, duplicate.id, ['requested']);
    return { duplicate, survivor, carriedOffsetIds, refusal };
  });
}
