// complaints reports rebuild | check: the period report's summary (report_facts) and its monthly rollup
// (report_rollup) from a terminal.
//   rebuild: recounts every complaint's summary row from the source tables, then sums the rollup again in
//     the settings' time zone (after data was written around the plugin, e.g. a bulk import or the
//     benchmark's seed, or after the time zone changed). Exit 0.
//   check: compares every summary row with a fresh recount and the rollup with a fresh sum, and prints
//     each difference; exit 1 when either differs, 0 when both are equal. Changes nothing.
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
  return [...formatFacts(check, en), ...formatRollup(check.rollup, en)].join('\n');
}

function formatRollup(rollup: SummaryCheck['rollup'], en: boolean): string[] {
  if (rollup.timeZone !== rollup.settingsTimeZone) {
    const zone = rollup.timeZone ?? (en ? 'none' : '无');
    return [
      en
        ? `✘ The monthly rollup is kept in time zone ${zone}, the settings' is ${rollup.settingsTimeZone}: reports read per complaint until you run \`complaints reports rebuild\`.`
        : `✘ 月度汇总按时区 ${zone} 统计，设置中的时区为 ${rollup.settingsTimeZone}：运行 \`complaints reports rebuild\` 之前，报表逐件统计。`,
    ];
  }
  if (!rollup.differences.length) {
    return [
      en ? `✔ The monthly rollup equals a fresh sum of the summary (${rollup.months} month(s)).` : `✔ 月度汇总与重新合计一致（共 ${rollup.months} 个月）。`,
    ];
  }
  const lines = [
    en
      ? `✘ The monthly rollup differs from a fresh sum of the summary in ${rollup.differences.length} row(s); run \`complaints reports rebuild\`:`
      : `✘ 月度汇总与重新合计不符：${rollup.differences.length} 行；请运行 \`complaints reports rebuild\`：`,
  ];
  for (const d of rollup.differences) {
    const counters = Object.entries(d.counters).map(([c, [have, want]]) => `${c} ${have} ≠ ${want}`);
    const value = d.value ?? 'NULL';
    lines.push(
      en
        ? `  ${d.month} ${d.kind} ${value}: rollup vs sum: ${counters.join('; ')}`
        : `  ${d.month} ${d.kind} ${value}：汇总 与 重新合计：${counters.join('；')}`,
    );
  }
  return lines;
}

function formatFacts(check: SummaryCheck, en: boolean): string[] {
  const lines: string[] = [];
  if (!check.differences.length) {
    lines.push(en ? `✔ The report summary equals a recount (${check.checked} complaints).` : `✔ 报表汇总与重新统计一致（共 ${check.checked} 件投诉）。`);
    return lines;
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
  return lines;
}

export async function reportsRebuildCommand(options: CommonOptions & { json?: boolean }): Promise<number> {
  const en = localeOf(options) === 'en';
  const result = await withSummary(options, (ctx) => rebuildReportSummary(ctx, terminalActor('system')));
  console.log(
    options.json
      ? JSON.stringify(result)
      : en
        ? `Report summary rebuilt for ${result.complaints} complaints. Monthly rollup summed again for ${result.months} months.`
        : `报表汇总已重算：${result.complaints} 件投诉。月度汇总已重新合计：${result.months} 个月。`,
  );
  return 0;
}

export async function reportsCheckCommand(options: CommonOptions & { json?: boolean }): Promise<number> {
  const check = await withSummary(options, (ctx) => checkReportSummary(ctx, terminalActor('system')));
  console.log(options.json ? JSON.stringify(check, null, 2) : formatSummaryCheck(check, localeOf(options) === 'en'));
  return check.ok ? 0 : 1;
}
