// purge: housekeeping of the plugin's own bookkeeping, so the outbox and the job history do not grow
// forever.
// - outbox: delivered notices older than outboxRetentionDays (by delivery time). Undelivered notices are
//   never deleted, however old: the host has not acknowledged them. A delivered notice with a dedupe key
//   about a complaint still open is kept as well: the deadline jobs read those keys to know the notice was
//   sent, and without it they would send it again. It goes once the complaint is closed or cancelled.
// - job_runs and job_claims older than jobRunRetentionDays (by start and claim time).
// Rows are read and deleted in batches by key, so no statement holds many locks; a rerun finds nothing.
import { OPEN_STATES } from '../complaints/states.js';
import { toDbTime } from '../db/time.js';
import type { Job } from './types.js';

const BATCH = 500;
const DAY_MS = 24 * 60 * 60 * 1000;

export const purgeJob: Job = {
  name: 'purge',
  async run(ctx, now) {
    const settings = await ctx.settings.get();
    const { db, tables } = ctx;
    const noticesBefore = toDbTime(new Date(now.getTime() - settings.outboxRetentionDays * DAY_MS));
    const runsBefore = toDbTime(new Date(now.getTime() - settings.jobRunRetentionDays * DAY_MS));

    let notices = 0;
    for (let afterId = 0; ;) {
      const ids = (
        (await db(tables.outbox)
          .select('id')
          .whereNotNull('delivered_at')
          .where('delivered_at', '<', noticesBefore)
          .where((w) =>
            w
              .whereNull('dedupe_key')
              .orWhereNull('complaint_id')
              .orWhereNotExists((sub) =>
                sub
                  .select(db.raw('1'))
                  .from(tables.complaints)
                  .whereRaw('?? = ??', [`${tables.complaints}.id`, `${tables.outbox}.complaint_id`])
                  .whereIn(`${tables.complaints}.state`, [...OPEN_STATES]),
              ),
          )
          .where('id', '>', afterId)
          .orderBy('id')
          .limit(BATCH)) as Array<{ id: number | string }>
      ).map((r) => Number(r.id));
      if (!ids.length) break;
      afterId = ids[ids.length - 1]!;
      // delivered_at is never cleared once set; the condition is repeated so this can only ever remove delivered rows.
      notices += await db(tables.outbox).whereIn('id', ids).whereNotNull('delivered_at').del();
      if (ids.length < BATCH) break;
    }

    let runs = 0;
    for (let afterId = 0; ;) {
      const ids = (
        (await db(tables.jobRuns).select('id').where('started_at', '<', runsBefore).where('id', '>', afterId).orderBy('id').limit(BATCH)) as Array<{
          id: number | string;
        }>
      ).map((r) => Number(r.id));
      if (!ids.length) break;
      afterId = ids[ids.length - 1]!;
      runs += await db(tables.jobRuns).whereIn('id', ids).del();
      if (ids.length < BATCH) break;
    }

    let claims = 0;
    for (;;) {
      const keys = (await db(tables.jobClaims).select('job', 'slot').where('claimed_at', '<', runsBefore).limit(BATCH)) as Array<{ job: string; slot: string }>;
      if (!keys.length) break;
      claims += await db(tables.jobClaims)
        .whereIn(
          ['job', 'slot'],
          keys.map((k) => [k.job, k.slot]),
        )
        .del();
      if (keys.length < BATCH) break;
    }
    return { notices, runs, claims };
  },
};
