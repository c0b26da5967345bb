// escalate: valid complaints unresolved escalationDays after first receipt become major, by the
// complaint domain's own rule (src/complaints/escalation.ts), then one escalated notice each.
// The notice is keyed by complaint and escalation time, so a domain-side enqueue using the same key
// (the better place: the same transaction as the change) would make this one a no-op.
import { escalateOverdue } from '../complaints/escalation.js';
import { requireDbTime } from '../db/time.js';
import { COMPLAINT_NOTICE_COLUMNS, complaintPayload, notifyOnce, type Notice } from './notices.js';
import type { Job } from './types.js';

const CHUNK = 500;

export const escalateJob: Job = {
  name: 'escalate',
  async run(ctx, now) {
    const { escalated } = await escalateOverdue(ctx, now);
    const notices: Notice[] = [];
    for (let i = 0; i < escalated.length; i += CHUNK) {
      const ids = escalated.slice(i, i + CHUNK).map((e) => e.id);
      const rows = (await ctx.db(ctx.tables.complaints).select([...COMPLAINT_NOTICE_COLUMNS, 'escalated_at', 'escalation_reason']).whereIn('id', ids)) as Array<Record<string, unknown>>;
      for (const row of rows) {
        const at = requireDbTime(row.escalated_at as string).toISOString();
        notices.push({ topic: 'escalated', key: `escalated:${String(row.id)}:${at}`, payload: { ...complaintPayload(row), escalatedAt: at, reason: row.escalation_reason ?? null, automatic: true } });
      }
    }
    return { escalated: escalated.length, notified: await notifyOnce(ctx, notices, now) };
  },
};
