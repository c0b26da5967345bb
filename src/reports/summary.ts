// Rebuilding and checking the report's summary (report_facts) as an operator does it from the command
// line (`complaints reports rebuild | check`): both are recorded in the audit trail with who ran them and
// what they found.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { recordEvent } from '../common/events.js';
import type { Clock } from '../clock.js';
import type { TableNames } from '../db/tables.js';
import { diffReportFacts, rebuildReportFacts, type FactDifference } from './summaryStore.js';

export interface SummaryContext {
  db: Knex;
  tables: TableNames;
  clock: Clock;
}

export interface SummaryCheck {
  /** Complaints recounted. */
  checked: number;
  ok: boolean;
  /** The first differences (at most `limit`). */
  differences: FactDifference[];
}

/** Recounts every summary row from the source tables. */
export async function rebuildReportSummary(ctx: SummaryContext, actor: Actor): Promise<{ complaints: number }> {
  const result = await rebuildReportFacts(ctx.db, ctx.tables);
  await recordEvent(ctx.db, ctx.tables, {
    entityType: 'report',
    entityId: 0,
    action: 'summary_rebuilt',
    actor,
    at: ctx.clock.now(),
    note: `报表汇总已重算 ${result.complaints} 件投诉 / report summary rebuilt for ${result.complaints} complaints`,
  });
  return result;
}

/** Compares every summary row with a recount; changes nothing but the audit trail. */
export async function checkReportSummary(ctx: SummaryContext, actor: Actor, options: { limit?: number } = {}): Promise<SummaryCheck> {
  const { checked, differences } = await diffReportFacts(ctx.db, ctx.tables, { limit: options.limit ?? 100 });
  await recordEvent(ctx.db, ctx.tables, {
    entityType: 'report',
    entityId: 0,
    action: 'summary_checked',
    actor,
    at: ctx.clock.now(),
    note: differences.length
      ? `报表汇总与重新统计不符：${differences.length} 件 / report summary differs from a recount for ${differences.length} complaint(s)`
      : `报表汇总与重新统计一致（${checked} 件） / report summary equals a recount (${checked} complaints)`,
  });
  return { checked, ok: differences.length === 0, differences };
}
