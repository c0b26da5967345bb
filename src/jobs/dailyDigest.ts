// daily-digest: yesterday's figures (local calendar day) and today's backlog, as daily_digest notices:
// one for the whole company (head office, 总经理) and one per community (小区/项目) with anything to
// report, for its project manager (项目经理), who answers for that community alone. Each has its own
// dedupe key (the date, and the community), so reruns and other instances add nothing.
import { OPEN_STATES, UNRESOLVED_STATES } from '../complaints/states.js';
import { startOfZonedDay, localDate } from '../calendar/zoned.js';
import { toDbTime } from '../db/time.js';
import { notifyOnce, type Notice } from './notices.js';
import type { Job, JobContext } from './types.js';

export const DIGEST_FIGURES = ['received', 'resolved', 'closed', 'escalated', 'open', 'overdue', 'followUpsOverdue', 'offsetsAwaitingApproval'] as const;
type Figure = (typeof DIGEST_FIGURES)[number];
type Counts = Record<Figure, number>;

/** Counts grouped by community (null: complaints of a host without communities). */
async function byCommunity(query: Promise<Array<Record<string, unknown>>>): Promise<Map<string | null, number>> {
  const out = new Map<string | null, number>();
  for (const row of await query) {
    const key = row.community_id === null || row.community_id === undefined ? null : String(row.community_id);
    out.set(key, (out.get(key) ?? 0) + Number(row.n ?? 0));
  }
  return out;
}

/** Complaints whose `column` falls on the local day [from, to), per community. */
function between(ctx: JobContext, column: string, from: Date, to: Date) {
  return byCommunity(
    ctx
      .db(ctx.tables.complaints)
      .select('community_id')
      .where(column, '>=', toDbTime(from))
      .where(column, '<', toDbTime(to))
      .count({ n: '*' })
      .groupBy('community_id'),
  );
}

export const dailyDigestJob: Job = {
  name: 'daily-digest',
  async run(ctx, now) {
    const tz = (await ctx.settings.get()).timezone;
    const { db, tables } = ctx;
    const todayStart = startOfZonedDay(localDate(now, tz), tz);
    const day = localDate(new Date(todayStart.getTime() - 12 * 3_600_000), tz);
    const dayStart = startOfZonedDay(day, tz);
    const c = tables.complaints;
    const grouped: Record<Figure, Map<string | null, number>> = {
      received: await between(ctx, 'received_at', dayStart, todayStart),
      resolved: await between(ctx, 'resolved_at', dayStart, todayStart),
      closed: await between(ctx, 'closed_at', dayStart, todayStart),
      escalated: await between(ctx, 'escalated_at', dayStart, todayStart),
      open: await byCommunity(
        db(c)
          .select('community_id')
          .whereIn('state', [...OPEN_STATES])
          .count({ n: '*' })
          .groupBy('community_id'),
      ),
      overdue: await byCommunity(
        db(c)
          .select('community_id')
          .whereIn('state', [...UNRESOLVED_STATES])
          .where('due_at', '<', toDbTime(now))
          .count({ n: '*' })
          .groupBy('community_id'),
      ),
      followUpsOverdue: await byCommunity(
        db(c).select('community_id').where({ state: 'resolved' }).where('follow_up_due_at', '<', toDbTime(now)).count({ n: '*' }).groupBy('community_id'),
      ),
      offsetsAwaitingApproval: await byCommunity(
        db({ o: tables.offsets })
          .join({ c }, 'c.id', 'o.complaint_id')
          .select('c.community_id')
          .where('o.status', 'requested')
          .count({ n: '*' })
          .groupBy('c.community_id'),
      ),
    };
    const total = (f: Figure) => [...grouped[f].values()].reduce((a, b) => a + b, 0);
    const counts = Object.fromEntries(DIGEST_FIGURES.map((f) => [f, total(f)])) as Counts;
    const communities = [...new Set(DIGEST_FIGURES.flatMap((f) => [...grouped[f].keys()]))]
      .filter((id): id is string => id !== null)
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    const notices: Notice[] = [
      { topic: 'daily_digest', key: `daily_digest:${day}`, payload: { date: day, timezone: tz, scope: 'company', communityId: null, counts } },
      ...communities.map((communityId) => ({
        topic: 'daily_digest' as const,
        key: `daily_digest:${day}:community:${communityId}`,
        payload: {
          date: day,
          timezone: tz,
          scope: 'community',
          communityId,
          counts: Object.fromEntries(DIGEST_FIGURES.map((f) => [f, grouped[f].get(communityId) ?? 0])) as Counts,
        },
      })),
    ];
    const notified = await notifyOnce(ctx, notices, now);
    return { ...counts, communities: communities.length, notified };
  },
};
