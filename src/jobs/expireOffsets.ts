// expire-offsets: offsets still open (approved, or requested and never decided) whose expires_on — a
// local calendar day, valid through that day — has passed become 'expired', each with an audit event
// in the same transaction. Billing already refuses them as expired (effectiveStatus); this makes the
// stored status agree. The UPDATE re-checks status and date, so an offset applied, revoked or
// extended meanwhile is left alone, and a rerun finds nothing.
import { SYSTEM_ACTOR } from '../auth/actor.js';
import { recordEvent } from '../common/events.js';
import { formatYuan } from '../common/money.js';
import { announceOffsetEvent } from '../offsets/events.js';
import { findOffset } from '../offsets/store/offsetStore.js';
import { inTransaction } from '../db/transaction.js';
import { toDbTime } from '../db/time.js';
import type { Job } from './types.js';
import { localDate } from '../calendar/zoned.js';

const EXPIRING = ['approved', 'requested'];
const BATCH = 200;

export const expireOffsetsJob: Job = {
  name: 'expire-offsets',
  async run(ctx, now) {
    const today = localDate(now, (await ctx.settings.get()).timezone);
    const { db, tables } = ctx;
    let expired = 0;
    let afterId = 0;
    for (;;) {
      const rows = (await db(tables.offsets)
        .select('id', 'complaint_id', 'status', 'expires_on')
        .whereIn('status', EXPIRING)
        .whereNotNull('expires_on')
        .where('expires_on', '<', today)
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(BATCH)) as Array<Record<string, unknown>>;
      if (!rows.length) break;
      afterId = Number(rows[rows.length - 1]!.id);
      for (const row of rows) {
        const done = await inTransaction(db, async (trx) => {
          const updated = await trx(tables.offsets)
            .where({ id: row.id, status: row.status })
            .where('expires_on', '<', today)
            .update({ status: 'expired', version: db.raw('version + 1'), updated_at: toDbTime(now) });
          if (updated !== 1) return false;
          // What was left when it expired, read after the UPDATE (which saw the latest committed row): the
          // batch read above may predate an application that committed while this UPDATE waited for it.
          const left = (await findOffset(trx, tables, Number(row.id)))!.remainingFen;
          await recordEvent(trx, tables, {
            entityType: 'offset',
            entityId: Number(row.id),
            complaintId: Number(row.complaint_id),
            action: 'expire',
            fromState: String(row.status),
            toState: 'expired',
            actor: SYSTEM_ACTOR,
            at: now,
            // Read by people on the timeline: the date and what was left, in yuan.
            note: `有效期至 ${String(row.expires_on).slice(0, 10)}，过期时剩余 ${formatYuan(left)} · valid through ${String(row.expires_on).slice(0, 10)}, ${formatYuan(left)} left`,
          });
          await announceOffsetEvent(trx, tables, 'expired', { offsetId: Number(row.id) }, SYSTEM_ACTOR, now);
          return true;
        });
        if (done) expired++;
      }
    }
    return { expired };
  },
};
