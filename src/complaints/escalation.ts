// Escalation: a valid complaint not resolved within escalationDays of its first receipt becomes major,
// with the reason, an event and the escalated notice in the outbox, all in one transaction. Each
// complaint is raised by one conditional UPDATE, so running the rule twice, or on two servers at once,
// escalates (and announces) it once. (Supervisors raise severity by hand with the `escalate` action in
// states.ts; notices.ts announces those.)
import { SYSTEM_ACTOR } from '../auth/actor.js';
import { recordEvent } from '../common/events.js';
import { inTransaction } from '../db/transaction.js';
import type { PluginContext } from '../common/context.js';
import { enqueueEscalated } from './notices.js';
import { dueForEscalation, escalateIfStillDue } from './store/complaints.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const BATCH = 200;

export interface EscalationRun {
  escalated: Array<{ id: number; code: string }>;
  /** Escalated notices written (one per escalation; fewer only if one was already there). */
  notified: number;
}

export function escalationReason(days: number): string {
  return `有效投诉自首次受理起 ${days} 天未解决，自动升级为重大 / Valid complaint unresolved ${days} days after first receipt: escalated to major`;
}

/** Needs only the database, table names and settings, so the scheduled job can call it with its own context. */
export async function escalateOverdue(ctx: Pick<PluginContext, 'db' | 'tables' | 'settings'>, now: Date): Promise<EscalationRun> {
  const settings = await ctx.settings.get();
  const cutoff = new Date(now.getTime() - settings.escalationDays * DAY_MS);
  const reason = escalationReason(settings.escalationDays);
  const { tables } = ctx;
  const escalated: EscalationRun['escalated'] = [];
  let notified = 0;
  for (let afterId = 0; ;) {
    const due = await dueForEscalation(ctx.db, tables, cutoff, afterId, BATCH);
    if (!due.length) break;
    for (const current of due) {
      afterId = current.id;
      const patch = {
        severity: 'major' as const,
        escalatedAt: now,
        escalationReason: reason,
        updatedAt: now,
        updatedBy: SYSTEM_ACTOR.id,
        updatedByName: SYSTEM_ACTOR.name,
      };
      const done = await inTransaction(ctx.db, async (trx) => {
        // Re-checks eligibility and version at write time: a concurrent run or edit wins, never both.
        if (!(await escalateIfStillDue(trx, tables, current, cutoff, patch))) return null;
        await recordEvent(trx, tables, {
          entityType: 'complaint',
          entityId: current.id,
          complaintId: current.id,
          action: 'auto-escalate',
          fromState: current.state,
          toState: current.state,
          actor: SYSTEM_ACTOR,
          at: now,
          changes: { severity: [current.severity, 'major'] },
          note: reason,
        });
        return {
          notified: await enqueueEscalated(trx, tables, { ...current, ...patch, version: current.version + 1 }, now, { automatic: true, by: SYSTEM_ACTOR }),
        };
      });
      if (!done) continue;
      escalated.push({ id: current.id, code: current.code });
      if (done.notified) notified++;
    }
  }
  return { escalated, notified };
}
