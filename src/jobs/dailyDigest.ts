// daily-digest: yesterday's figures (local calendar day) and today's backlog, as one daily_digest
// notice per day: the dedupe key is the date, so reruns and other instances add nothing.
import { OPEN_STATES, UNRESOLVED_STATES } from '../complaints/states.js';
import { startOfZonedDay } from '../complaints/zonedTime.js';
import { toDbTime } from '../db/time.js';
import { localToday } from '../offsets/model.js';
import { notifyOnce } from './notices.js';
import type { Job, JobContext } from './types.js';

async function count(query: Promise<Array<Record<string, unknown>>>): Promise<number> {
  const [row] = await query;
  return Number(row?.n ?? 0);
}

/** Complaints whose `column` falls on the local day [from, to). */
function between(ctx: JobContext, column: string, from: Date, to: Date) {
  return count(ctx.db(ctx.tables.complaints).where(column, '>=', toDbTime(from)).where(column, '<', toDbTime(to)).count({ n: '*' }));
}

export const dailyDigestJob: Job = {
  name: 'daily-digest',
  async run(ctx, now) {
    const tz = (await ctx.settings.get()).timezone;
    const { db, tables } = ctx;
    const todayStart = startOfZonedDay(localToday(now, tz), tz);
    const day = localToday(new Date(todayStart.getTime() - 12 * 3_600_000), tz);
    const dayStart = startOfZonedDay(day, tz);
    const counts = {
      received: await between(ctx, 'received_at', dayStart, todayStart),
      resolved: await between(ctx, 'resolved_at', dayStart, todayStart),
      closed: await between(ctx, 'closed_at', dayStart, todayStart),
      escalated: await between(ctx, 'escalated_at', dayStart, todayStart),
      open: await count(db(tables.complaints).whereIn('state', [...OPEN_STATES]).count({ n: '*' })),
      overdue: await count(db(tables.complaints).whereIn('state', [...UNRESOLVED_STATES]).where('due_at', '<', toDbTime(now)).count({ n: '*' })),
      followUpsOverdue: await count(db(tables.complaints).where({ state: 'resolved' }).where('follow_up_due_at', '<', toDbTime(now)).count({ n: '*' })),
      offsetsAwaitingApproval: await count(db(tables.offsets).where({ status: 'requested' }).count({ n: '*' })),
    };
    const notified = await notifyOnce(ctx, [{ topic: 'daily_digest', key: `daily_digest:${day}`, payload: { date: day, timezone: tz, counts } }], now);
    return { ...counts, notified };
  },
};
