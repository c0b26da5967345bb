// complaints reports rebuild | check: the period report's summary (report_facts) from a terminal.
//   rebuild: recounts every complaint's summary row from the source tables (after data was written
//     around the plugin, e.g. a bulk import or the benchmark's seed). Exit 0.
//   check: compares every summary row with a fresh recount and prints each difference; exit 1 when the
//     summary differs, 0 when it equals the recount. Changes nothing.
// Both are recorded in the audit trail, naming the operating-system user who ran them.
import { systemClock } from '../../clock.js';
import { tableNames } from '../../db/tables.js';
import { checkReportSummary, rebuildReportSummary, type SummaryCheck, type SummaryContext } from '../../reports/summary.js';
import { CliError, localeOf, prefixOf, withDb, type CommonOptions } from '../options.js';
import { terminalActor } from '../terminalActor.js';

async function withSummary<T>(options: CommonOptions, work: (ctx: SummaryContext) => Promise<T>): Promise<T> {
  const en = localeOf(options) === 'en';
  const tables = tableNames(prefixOf(options));
  return withDb(options, async (db) => {
    if (!(await db.schema.hasTable(tables.reportFacts))) {
      throw new CliError(
        en
          ? 'The plugin is not installed (or not upgraded) in this database: run `complaints install` or `complaints upgrade` first.'
          : '数据库中尚未安装（或未升级）本插件：请先运行 `complaints install` 或 `complaints upgrade`。',
        2,
      );
    }
    return work({ db, tables, clock: systemClock });
  });
}

export function formatSummaryCheck(check: SummaryCheck, en: boolean): string {
  const lines: string[] = [];
  if (check.ok) {
    lines.push(en ? `✔ The report summary equals a recount (${check.checked} complaints).` : `✔ 报表汇总与重新统计一致（共 ${check.checked} 件投诉）。`);
    return lines.join('\n');
  }
  lines.push(
    en
      ? `✘ The report summary differs from a recount for ${check.differences.length} complaint(s) (of ${check.checked}); run \`complaints reports rebuild\`:`
      : `✘ 报表汇总与重新统计不符：${check.differences.length} 件投诉（共 ${check.checked} 件）；请运行 \`complaints reports rebuild\`：`,
  );
  for (const d of check.differences) {
    if (d.problem === 'missing') lines.push(en ? `  complaint #${d.complaintId}: no summary row` : `  投诉 #${d.complaintId}：缺少汇总记录`);
    else if (d.problem === 'orphan')
      lines.push(en ? `  complaint #${d.complaintId}: a summary row without its complaint` : `  投诉 #${d.complaintId}：汇总记录没有对应的投诉`);
    else {
      const cols = Object.entries(d.columns).map(([c, [have, want]]) => `${c} ${have ?? 'NULL'} ≠ ${want ?? 'NULL'}`);
      lines.push(
        en ? `  complaint #${d.complaintId}: summary vs recount: ${cols.join('; ')}` : `  投诉 #${d.complaintId}：汇总 与 重新统计：${cols.join('；')}`,
      );
    }
  }
  return lines.join('\n');
}

export async function reportsRebuildCommand(options: CommonOptions & { json?: boolean }): Promise<number> {
  const en = localeOf(options) === 'en';
  const result = await withSummary(options, (ctx) => rebuildReportSummary(ctx, terminalActor('system')));
  console.log(
    options.json
      ? JSON.stringify(result)
      : en
        ? `Report summary rebuilt for ${result.complaints} complaints.`
        : `报表汇总已重算：${result.complaints} 件投诉。`,
  );
  return 0;
}

export async function reportsCheckCommand(options: CommonOptions & { json?: boolean }): Promise<number> {
  const check = await withSummary(options, (ctx) => checkReportSummary(ctx, terminalActor('system')));
  console.log(options.json ? JSON.stringify(check, null, 2) : formatSummaryCheck(check, localeOf(options) === 'en'));
  return check.ok ? 0 : 1;
}
