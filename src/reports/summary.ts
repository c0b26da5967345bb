// Rebuilding and checking the report's summary (report_facts, one row per complaint) and its monthly
// rollup (report_rollup) as an operator does it from the command line (`complaints reports rebuild |
// check`): both are recorded in the audit trail with who ran them and what they found.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { recordEvent } from '../common/events.js';
import type { Clock } from '../clock.js';
import type { TableNames } from '../db/tables.js';
import { SettingsStore } from '../settings/settings.js';
import { diffReportRollup, rebuildReportRollup, type RollupDifference } from './rollupStore.js';
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
  rollup: {
    /** Months summed again. */
    months: number;
    /** The time zone the rollup's months are in (null: none yet), and the settings' one it must be in. */
    timeZone: string | null;
    settingsTimeZone: string;
    /** The first differences from a fresh sum of the summary rows (at most `limit`). */
    differences: RollupDifference[];
  };
}

const timeZoneOf = async (ctx: SummaryContext): Promise<string> => (await new SettingsStore(ctx.db, ctx.tables, ctx.clock).get()).timezone;

/** Recounts every summary row from the source tables, then sums the monthly rollup from them again. */
export async function rebuildReportSummary(ctx: SummaryContext, actor: Actor): Promise<{ complaints: number; months: number }> {
  const facts = await rebuildReportFacts(ctx.db, ctx.tables);
  const rollup = await rebuildReportRollup(ctx.db, ctx.tables, await timeZoneOf(ctx));
  const result = { ...facts, ...rollup };
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

/**
 * Compares every summary row with a recount, and the rollup with a fresh sum of the summary rows (in the
 * settings' time zone); changes nothing but the audit trail.
 */
export async function checkReportSummary(ctx: SummaryContext, actor: Actor, options: { limit?: number } = {}): Promise<SummaryCheck> {
  const limit = options.limit ?? 100;
  const { checked, differences } = await diffReportFacts(ctx.db, ctx.tables, { limit });
  const settingsTimeZone = await timeZoneOf(ctx);
  const summed = await diffReportRollup(ctx.db, ctx.tables, { limit });
  const rollup = { months: summed.months, timeZone: summed.timeZone, settingsTimeZone, differences: summed.differences };
  const rollupOk = rollup.differences.length === 0 && rollup.timeZone === settingsTimeZone;
  await recordEvent(ctx.db, ctx.tables, {
    entityType: 'report',
    entityId: 0,
    action: 'summary_checked',
    actor,
    at: ctx.clock.now(),
    note:
      (differences.length
        ? `报表汇总与重新统计不符：${differences.length} 件 / report summary differs from a recount for ${differences.length} complaint(s)`
        : `报表汇总与重新统计一致（${checked} 件） / report summary equals a recount (${checked} complaints)`) +
      (rollupOk
        ? `；月度汇总一致（${rollup.months} 个月） / monthly rollup equals a fresh sum (${rollup.months} months)`
        : `；月度汇总不符（${rollup.differences.length} 行，时区 ${rollup.timeZone ?? '无'} / ${settingsTimeZone}） / monthly rollup differs (${rollup.differences.length} rows, time zone ${rollup.timeZone ?? 'none'} / ${settingsTimeZone})`),
  });
  return { checked, ok: differences.length === 0 && rollupOk, differences, rollup };
}
