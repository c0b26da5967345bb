// deadlines: for complaints not yet answered, a deadline_near notice once the current stage's deadline
// (due_at: reply promise or plan deadline) is within deadlineWarningHours of service time, and an
// overdue notice once it has passed. "Overdue" itself is due_at < now, which lists already filter on;
// the job's mark is the notice, sent once per complaint and deadline (a new deadline warns again).
import { addServiceTime } from '../calendar/calendar.js';
import { formatZoned } from '../calendar/zoned.js';
import { UNRESOLVED_STATES } from '../complaints/states.js';
import { requireDbTime, toDbTime } from '../db/time.js';
import { COMPLAINT_NOTICE_COLUMNS, complaintPayload, noticeKeys } from '../notifications/complaintNotices.js';
import { notifyOnce, type Notice } from './notices.js';
import type { Job } from './types.js';

export const deadlinesJob: Job = {
  name: 'deadlines',
  async run(ctx, now) {
    const settings = await ctx.settings.get();
    const tz = settings.timezone;
    const warnUntil = addServiceTime(now, settings.deadlineWarningHours, settings.serviceCalendar, tz);
    const rows = (await ctx
      .db(ctx.tables.complaints)
      .select([...COMPLAINT_NOTICE_COLUMNS, 'due_at'])
      .whereIn('state', [...UNRESOLVED_STATES])
      .whereNotNull('due_at')
      // A paused clock warns of nothing: its deadline moves when it resumes.
      .whereNull('paused_at')
      .where('due_at', '<=', toDbTime(warnUntil))
      .orderBy([{ column: 'due_at' }, { column: 'id' }])) as Array<Record<string, unknown>>;
    let near = 0;
    let overdue = 0;
    const notices: Notice[] = rows.map((row) => {
      const dueAt = requireDbTime(row.due_at as string);
      const isOverdue = dueAt.getTime() < now.getTime();
      if (isOverdue) overdue++;
      else near++;
      const topic = isOverdue ? 'overdue' : 'deadline_near';
      return {
        topic,
        key: noticeKeys.deadline(topic, 'handling', Number(row.id), dueAt),
        payload: { ...complaintPayload(row), stage: 'handling', dueAt: dueAt.toISOString(), dueAtLocal: formatZoned(dueAt, tz) },
      };
    });
    return { near, overdue, notified: await notifyOnce(ctx, notices, now) };
  },
};
