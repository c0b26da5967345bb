// complaints install / upgrade: check the host, then run our pending migrations. Idempotent; never
// alters, locks or writes a host table.
import { formatReport } from '../../host/check.js';
import { install, InstallError } from '../../install/installer.js';
import { CliError, localeOf, prefixOf, readMapping, withDb, type CommonOptions } from '../options.js';

export async function installCommand(options: CommonOptions & { enforceOffsets?: boolean }, verb: 'install' | 'upgrade'): Promise<number> {
  const mapping = readMapping(options);
  const en = localeOf(options) === 'en';
  try {
    const result = await withDb(options, (db) => install(db, mapping, { prefix: prefixOf(options), enforceOffsets: !!options.enforceOffsets }));
    if (result.applied.length === 0) console.log(en ? `Already up to date; nothing to ${verb}.` : '已是最新，无需变更。');
    else console.log(`${en ? 'Applied migrations' : '已执行迁移'}:\n${result.applied.map((m) => `  ✔ ${m}`).join('\n')}`);
    if (result.offsetGuard) {
      const { trigger, table } = result.offsetGuard;
      console.log(
        en
          ? `✔ Offset guard ${trigger} on ${table}: a payment row carrying an offset needs a matching applied offset.`
          : `✔ 已在 ${table} 上建立抵扣防护触发器 ${trigger}：带抵扣的收款记录必须对应已使用的已批准抵扣。`,
      );
    }
    return 0;
  } catch (err) {
    if (err instanceof InstallError && err.report) {
      throw new CliError(
        `${formatReport(err.report, localeOf(options))}\n\n${en ? 'Nothing was installed. Fix the mapping and run again.' : '未做任何安装。请修正映射后重试。'}`,
      );
    }
    if (err instanceof InstallError) throw new CliError(err.message);
    throw err;
  }
}
