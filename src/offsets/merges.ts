// What a merge (合并) does to the duplicate's offsets, in the merge's transaction. A request still awaiting
// approval is carried over to the survivor: the same row, its complaint changed by a conditional UPDATE
// (status still requested, version unchanged, still on the duplicate), so it is never copied and never
// lost, and an approval racing with the merge either came first (the merge is refused) or finds the row
// changed. An offset with a money decision on it (approved, used up) is never moved: its approval was
// weighed against the duplicate's own approval totals, and applications point at it; the merge is refused
// naming it. Rejected, revoked and expired ones stay with the duplicate as its history.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { ConflictError } from '../common/errors.js';
import { recordEvent } from '../common/events.js';
import { msg } from '../common/localized.js';
import { formatYuan } from '../common/money.js';
import type { TableNames } from '../db/tables.js';
import type { Settings } from '../settings/settings.js';
import type { ComplaintFacts } from './model.js';
import { complaintRefusal } from './requests.js';
import { findOffset, moveRequestIfUnchanged, offsetIdsOfComplaint } from './store/offsetStore.js';

/** Why the duplicate's offsets stop the merge; null when they can all go (or stay) as the rules say. */
export async function mergeOffsetRefusal(
  trx: Knex.Transaction,
  tables: TableNames,
  duplicate: ComplaintFacts,
  survivor: ComplaintFacts,
  settings: Pick<Settings, 'allowOffsetForNonProperty'>,
): Promise<ConflictError | null> {
  for (const id of await offsetIdsOfComplaint(trx, tables, duplicate.id, ['approved', 'exhausted'])) {
    const o = (await findOffset(trx, tables, id))!;
    return new ConflictError(
      'merge_offset_decided',
      msg(
        `投诉 ${duplicate.code} 的抵扣 #${id} 已批准 ${formatYuan(o.approvedFen ?? 0)}（${o.status === 'exhausted' ? '已用完' : '尚未用完'}）：已批准的抵扣留在批准它的投诉上，不能随合并转移。请先撤回未使用的部分，或不合并、单独处理此投诉`,
        `Offset #${id} of complaint ${duplicate.code} was approved (${formatYuan(o.approvedFen ?? 0)}, ${o.status === 'exhausted' ? 'used up' : 'not used up'}): an approved offset stays with the complaint it was approved on and cannot move with a merge. Revoke what is unused first, or handle this complaint on its own`,
      ),
      { offsetId: id },
    );
  }
  const pending = await offsetIdsOfComplaint(trx, tables, duplicate.id, ['requested']);
  if (pending.length === 0) return null;
  const survivorRefusal = complaintRefusal(survivor, settings);
  if (survivorRefusal) {
    return new ConflictError(
      'merge_offset_not_carried',
      msg(
        `投诉 ${duplicate.code} 有待审批的抵扣申请 #${pending.join('、#')}，但不能转到 ${survivor.code}：${survivorRefusal.localized['zh-CN']}`,
        `Complaint ${duplicate.code} has offset requests awaiting approval (#${pending.join(', #')}) that cannot go to ${survivor.code}: ${survivorRefusal.localized.en}`,
      ),
      { offsetIds: pending },
    );
  }
  for (const id of pending) {
    const o = (await findOffset(trx, tables, id))!;
    if (o.unitId !== survivor.unitId || (o.ownerId ?? null) !== (survivor.ownerId ?? null)) {
      return new ConflictError(
        'merge_offset_other_unit',
        msg(
          `投诉 ${duplicate.code} 的抵扣申请 #${id} 属于另一房屋或业主，不能转到 ${survivor.code}：请先驳回该申请，或不合并`,
          `Offset request #${id} of complaint ${duplicate.code} is for another unit or owner than ${survivor.code}: reject it first, or do not merge`,
        ),
        { offsetId: id },
      );
    }
  }
  return null;
}

/** Moves the duplicate's pending requests to the survivor; returns their ids. Call after mergeOffsetRefusal. */
export async function carryOffsetRequests(
  trx: Knex.Transaction,
  tables: TableNames,
  duplicate: { id: number; code: string },
  survivor: { id: number; code: string },
  actor: Actor,
  now: Date,
): Promise<number[]> {
  const carried: number[] = [];
  for (const id of await offsetIdsOfComplaint(trx, tables, duplicate.id, ['requested'])) {
    const before = (await findOffset(trx, tables, id))!;
    if (!(await moveRequestIfUnchanged(trx, tables, before, survivor.id, now))) {
      throw new ConflictError(
        'offset_changed',
        msg(`抵扣申请 #${id} 刚被他人处理，请刷新后重试合并`, `Offset request #${id} was just changed by someone else; reload and merge again`),
      );
    }
    const note = `随投诉 ${duplicate.code} 合并转入 ${survivor.code} / Carried over from ${duplicate.code} into ${survivor.code}`;
    for (const complaintId of [duplicate.id, survivor.id]) {
      await recordEvent(trx, tables, {
        entityType: 'offset',
        entityId: id,
        complaintId,
        action: 'carried_over',
        fromState: 'requested',
        toState: 'requested',
        actor,
        at: now,
        changes: { complaint_id: [duplicate.id, survivor.id] },
        note,
      });
    }
    carried.push(id);
  }
  return carried;
}
