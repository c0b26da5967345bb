// complaints status: installed version, applied and pending migrations.
import { status } from '../../install/installer.js';
import { localeOf, prefixOf, readMapping, withDb, type CommonOptions } from '../options.js';

export async function statusCommand(options: CommonOptions & { json?: boolean }): Promise<number> {
  const mapping = readMapping(options);
  const s = await withDb(options, (db) => status(db, mapping, { prefix: prefixOf(options) }));
  if (options.json) {
    console.log(JSON.stringify(s, null, 2));
    return s.installed ? 0 : 1;
  }
  const en = localeOf(options) === 'en';
  console.log(
    [
      `${en ? 'Installed' : '已安装'}: ${s.installed ? (en ? 'yes' : '是') : en ? 'no' : '否'}`,
      `${en ? 'Version (database / code)' : '版本（数据库 / 代码）'}: ${s.version ?? '-'} / ${s.codeVersion}`,
      `${en ? 'Installed at (UTC)' : '安装时间（UTC）'}: ${s.installedAt ?? '-'}`,
      `${en ? 'Applied migrations' : '已执行迁移'}: ${s.applied.length}`,
      `${en ? 'Pending migrations' : '待执行迁移'}: ${s.pending.length ? s.pending.join(', ') : en ? 'none' : '无'}`,
      `${en ? 'Offset guard (install --enforce-offsets)' : '抵扣防护触发器（install --enforce-offsets）'}: ${s.offsetGuardTable ?? (en ? 'off' : '未启用')}`,
      ...(s.missingIndexes.length
        ? [
            en
              ? `Missing indexes: ${s.missingIndexes.join(', ')} (dropped or renamed; the billing check and the list still answer, more slowly: create them again as their migrations define them)`
              : `缺少索引：${s.missingIndexes.join('、')}（已被删除或改名；收费校验与列表仍可使用，但变慢：请按建立它们的迁移重新创建）`,
          ]
        : []),
    ].join('\n'),
  );
  return s.installed && s.pending.length === 0 ? 0 : 1;
}
