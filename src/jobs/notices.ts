// Notices a job sends at most once: each carries a dedupe key naming the fact it announces (this
// complaint, this deadline), so a rerun, a second slot or a run by hand never sends it again.
import { inTransaction } from '../db/transaction.js';
import { enqueue, type Topic } from '../notifications/outbox.js';
import type { JobContext } from './types.js';

export interface Notice {
  topic: Topic;
  key: string;
  payload: Record<string, unknown>;
}

const CHUNK = 500;

/** Enqueues the notices whose key was never used; returns how many were new. */
export async function notifyOnce(ctx: JobContext, notices: Notice[], now: Date): Promise<number> {
  let sent = 0;
  for (let i = 0; i < notices.length; i += CHUNK) {
    const batch = notices.slice(i, i + CHUNK);
    // One read per chunk skips the notices already sent, which after the first run is nearly all.
    const known = new Set(
      (await ctx
        .db(ctx.tables.outbox)
        .whereIn(
          'dedupe_key',
          batch.map((n) => n.key),
        )
        .pluck('dedupe_key')) as string[],
    );
    const fresh = batch.filter((n) => !known.has(n.key));
    if (!fresh.length) continue;
    sent += await inTransaction(ctx.db, async (trx) => {
      let added = 0;
      for (const n of fresh) if (await enqueue(trx, ctx.tables, n.topic, n.payload, now, { dedupeKey: n.key })) added++;
      return added;
    });
  }
  return sent;
}
