// follow-ups: resolved complaints waiting for their follow-up visit (回访, due follow_up_due_at, set
// at resolution in service time). A follow_up_due notice once per complaint while the window is open —
// the reply itself writes it under the same key, so this only catches replies that did not — and an
// overdue one once it has passed; the counts are the job's list of what is due and overdue now.
import { formatZoned } from '../calendar/zoned.js';
import { requireDbTime } from '../db/time.js';
import { COMPLAINT_NOTICE_COLUMNS, complaintPayload, noticeKeys } from '../notifications/complaintNotices.js';
import { notifyOnce, type Notice } from './notices.js';
import type { Job, JobContext } from './types.js';
import { ownerFollowUpNotices } from '../owner/notices.js';

export interface FollowUpDue {
  complaintId: number;
  code: string;
  dueAt: Date;
  overdue: boolean;
  row: Record<string, unknown>;
}

/** Resolved complaints awaiting a visit, earliest due first. */
export async function listFollowUpsDue(ctx: JobContext, now: Date): Promise<FollowUpDue[]> {
  const rows = (await ctx
    .db(ctx.tables.complaints)
    .select([...COMPLAINT_NOTICE_COLUMNS, 'follow_up_due_at', 'resolved_at'])
    .where({ state: 'resolved' })
    .whereNotNull('follow_up_due_at')
    .orderBy([{ column: 'follow_up_due_at' }, { column: 'id' }])) as Array<Record<string, unknown>>;
  return rows.map((row) => {
    const dueAt = requireDbTime(row.follow_up_due_at as string);
    return { complaintId: Number(row.id), code: String(row.code), dueAt, overdue: dueAt.getTime() < now.getTime(), row };
  });
}

export const followUpsJob: Job = {
  name: 'follow-ups',
  async run(ctx, now) {
    const settings = await ctx.settings.get();
    const tz = settings.timezone;
    const due = await listFollowUpsDue(ctx, now);
    const notices: Notice[] = due.map((f) => {
      const topic = f.overdue ? 'overdue' : 'follow_up_due';
      return {
        topic,
        key: noticeKeys.deadline(topic, 'follow_up', f.complaintId, f.dueAt),
        payload: { ...complaintPayload(f.row), stage: 'follow_up', dueAt: f.dueAt.toISOString(), dueAtLocal: formatZoned(f.dueAt, tz) },
      };
    });
    const overdue = due.filter((f) => f.overdue).length;
    const notified = await notifyOnce(ctx, notices, now);
    // The owner is told the visit is coming (owner.notice), once per follow-up deadline, while it is not yet overdue.
    const ownerNotified = await ownerFollowUpNotices(
      ctx,
      settings,
      due.filter((f) => !f.overdue),
      now,
    );
    return { due: due.length - overdue, overdue, notified, ownerNotified };
  },
};
