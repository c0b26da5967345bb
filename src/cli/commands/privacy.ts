// complaints privacy retention [--dry-run]: anonymises complaints past their retention period, as the
// nightly privacy-retention job does. --dry-run lists the complaints and the rows a run would change and
// changes nothing. Both are recorded in the audit trail, naming the operating-system user who ran them.
import { systemClock } from '../../clock.js';
import { tableNames } from '../../db/tables.js';
import { runRetention, type RetentionPart, type RetentionReport } from '../../privacy/retention.js';
import { SettingsStore } from '../../settings/settings.js';
import { CliError, localeOf, prefixOf, withDb, type CommonOptions } from '../options.js';
import { terminalActor } from '../terminalActor.js';

export function formatRetention(report: RetentionReport, en: boolean): string {
  const lines: string[] = [];
  const head = report.dryRun ? (en ? 'Dry run: nothing was changed.' : '试运行：未做任何修改。') : en ? 'Retention run done.' : '已按保存期限执行匿名化。';
  lines.push(head);
  const side = (title: string, p: RetentionPart) => {
    lines.push(`${title} (${en ? 'ended before' : '结束早于'} ${p.cutoff.toISOString().slice(0, 10)}): ${p.complaints.length}`);
    for (const c of p.complaints) lines.push(`  ${c.code}  ${en ? 'ended' : '结束于'} ${c.endedAt.toISOString().slice(0, 10)}`);
    const rows = Object.entries(p.rows)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    lines.push(`  ${report.dryRun ? (en ? 'rows that would change' : '将修改的记录') : en ? 'rows changed' : '已修改的记录'}: ${rows}`);
  };
  side(en ? 'Personal data (names, mobile numbers, free text)' : '个人信息（姓名、手机号、文字描述）', report.personal);
  side(en ? 'Free text of money records (amounts and references stay)' : '资金记录的文字（金额和凭证号保留）', report.accounting);
  return lines.join('\n');
}

export async function privacyRetentionCommand(options: CommonOptions & { dryRun?: boolean; json?: boolean }): Promise<number> {
  const en = localeOf(options) === 'en';
  const tables = tableNames(prefixOf(options));
  const report = await withDb(options, async (db) => {
    if (!(await db.schema.hasColumn(tables.complaints, 'anonymised_at'))) {
      throw new CliError(
        en
          ? 'The plugin is not installed (or not upgraded) in this database: run `complaints install` or `complaints upgrade` first.'
          : '数据库中尚未安装（或未升级）本插件：请先运行 `complaints install` 或 `complaints upgrade`。',
        2,
      );
    }
    const ctx = { db, tables, settings: new SettingsStore(db, tables, systemClock), clock: systemClock };
    return runRetention(ctx, { dryRun: !!options.dryRun, actor: terminalActor('system') });
  });
  console.log(options.json ? JSON.stringify(report, null, 2) : formatRetention(report, en));
  return 0;
}
