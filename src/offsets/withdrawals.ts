// When a complaint is cancelled, the offsets based on it go with it, in the cancellation's transaction:
// requests awaiting approval and what is left of approvals are withdrawn (status revoked, the remainder
// moved to revoked_fen), each with an audit event and a notice to the requester. What was already applied
// stays applied: it backs payments the host has recorded, and a cashier reverses it if the payment is
// voided (listed on the cancel form and the complaint's page).
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { recordEvent } from '../common/events.js';
import { toDbTime } from '../db/time.js';
import type { TableNames } from '../db/tables.js';
import { enqueue } from '../notifications/outbox.js';
import type { Offset, OffsetStatus } from './model.js';
import { findOffset, offsetIdsOfComplaint, withdrawIfStill } from './store/offsetStore.js';
import { announceOffsetEvent } from './events.js';

const WITHDRAWN_ON_CANCEL: readonly OffsetStatus[] = ['requested', 'approved'];

export interface CancelledComplaint {
  id: number;
  code: string;
  reason: string;
}

/** Withdraws the complaint's open offsets; returns them as they are now. */
export async function withdrawOffsetsOfCancelledComplaint(
  trx: Knex.Transaction,
  tables: TableNames,
  complaint: CancelledComplaint,
  actor: Actor,
  now: Date,
): Promise<Offset[]> {
  const ids = await offsetIdsOfComplaint(trx, tables, complaint.id, WITHDRAWN_ON_CANCEL);
  const note = `投诉 ${complaint.code} 已撤销：${complaint.reason}`;
  const withdrawn: Offset[] = [];
  for (const id of ids) {
    // Read locked: the audit row's "before" is the row the UPDATE changes, not this transaction's older
    // snapshot (an application committed since would be missing from it).
    const before = (await findOffset(trx, tables, id, { lock: 'share' }))!;
    // Conditional on the status, so an application racing with us either came first or is refused.
    const updated = await withdrawIfStill(trx, tables, id, WITHDRAWN_ON_CANCEL, {
      withdrawRemainder: true,
      status: 'revoked',
      revoked_by: actor.id,
      revoked_at: toDbTime(now),
      revoke_note: note,
      updated_at: toDbTime(now),
    });
    if (!updated) continue;
    const after = (await findOffset(trx, tables, id))!;
    await recordEvent(trx, tables, {
      entityType: 'offset',
      entityId: id,
      complaintId: complaint.id,
      action: 'withdraw',
      fromState: before.status,
      toState: 'revoked',
      actor,
      at: now,
      changes: { remaining_fen: [before.remainingFen, 0], revoked_fen: [before.revokedFen, after.revokedFen] },
      note,
    });
    await enqueue(
      trx,
      tables,
      'offset_decided',
      {
        offsetId: id,
        complaintId: complaint.id,
        complaintCode: complaint.code,
        status: 'revoked',
        reason: 'complaint_cancelled',
        requestedFen: after.requestedFen,
        approvedFen: after.approvedFen,
        revokedFen: after.revokedFen - before.revokedFen,
        requestedBy: after.requestedBy,
        revokedBy: actor.id,
        revokedByName: actor.name,
        note,
      },
      now,
    );
    await announceOffsetEvent(trx, tables, 'withdrawn', { offsetId: id, amountFen: after.revokedFen - before.revokedFen }, actor, now);
    withdrawn.push(after);
  }
  return withdrawn;
}
