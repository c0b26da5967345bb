// long-pauses: a complaint whose clock has been paused (挂起) longer than pauseAlertHours is announced to
// the supervisor once per pause (pause_overdue, keyed by the complaint and the moment the pause began), so
// a wait on a neighbour or a utility is chased rather than forgotten. Plain hours: the alert is about how
// long the owner has been waiting, not about working time.
import { formatZoned } from '../calendar/zoned.js';
import { UNRESOLVED_STATES } from '../complaints/states.js';
import { requireDbTime, toDbTime } from '../db/time.js';
import { COMPLAINT_NOTICE_COLUMNS, complaintPayload, noticeKeys } from '../notifications/complaintNotices.js';
import { notifyOnce, type Notice } from './notices.js';
import type { Job } from './types.js';

const HOUR_MS = 3_600_000;

export const longPausesJob: Job = {
  name: 'long-pauses',
  async run(ctx, now) {
    const settings = await ctx.settings.get();
    const cutoff = new Date(now.getTime() - settings.pauseAlertHours * HOUR_MS);
    const rows = (await ctx
      .db(ctx.tables.complaints)
      .select([...COMPLAINT_NOTICE_COLUMNS, 'paused_at', 'pause_reason', 'pause_party'])
      .whereIn('state', [...UNRESOLVED_STATES])
      .whereNotNull('paused_at')
      .where('paused_at', '<=', toDbTime(cutoff))
      .orderBy([{ column: 'paused_at' }, { column: 'id' }])) as Array<Record<string, unknown>>;
    const notices: Notice[] = rows.map((row) => {
      const pausedAt = requireDbTime(row.paused_at as string);
      return {
        topic: 'pause_overdue',
        key: noticeKeys.pauseOverdue(Number(row.id), pausedAt),
        payload: {
          ...complaintPayload(row),
          recipientRole: 'supervisor',
          pausedAt: pausedAt.toISOString(),
          pausedAtLocal: formatZoned(pausedAt, settings.timezone),
          pausedHours: Math.floor((now.getTime() - pausedAt.getTime()) / HOUR_MS),
          alertAfterHours: settings.pauseAlertHours,
          reason: (row.pause_reason as string | null) ?? null,
          party: (row.pause_party as string | null) ?? null,
        },
      };
    });
    return { paused: rows.length, notified: await notifyOnce(ctx, notices, now) };
  },
};
