// complaints uninstall: keeps all complaint data unless --purge, which asks for confirmation (or --yes).
import { createInterface } from 'node:readline/promises';
import { uninstall } from '../../install/installer.js';
import { CliError, localeOf, prefixOf, readMapping, withDb, type CommonOptions } from '../options.js';

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^(y|yes|是)$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function uninstallCommand(options: CommonOptions & { purge?: boolean; yes?: boolean }): Promise<number> {
  const mapping = readMapping(options);
  const en = localeOf(options) === 'en';
  const prefix = prefixOf(options);
  if (options.purge && !options.yes) {
    const ok = await confirm(
      en ? `Drop every ${prefix}* table and all complaint data? Type "yes": ` : `将删除所有 ${prefix}* 表及全部投诉数据，确认请输入 yes：`,
    );
    if (!ok)
      throw new CliError(en ? 'Not confirmed; nothing was dropped (use --yes to skip the question).' : '未确认，未删除任何数据（可加 --yes 跳过确认）。');
  }
  const result = await withDb(options, (db) => uninstall(db, mapping, { prefix, purge: options.purge }));
  if (result.offsetGuardRemoved) console.log(en ? 'The offset guard trigger was dropped.' : '抵扣防护触发器已删除。');
  console.log(
    result.purged
      ? en
        ? `Uninstalled; all ${prefix}* tables were dropped. Host tables were not touched.`
        : `已卸载，所有 ${prefix}* 表已删除；主系统表未受影响。`
      : en
        ? 'Uninstalled; complaint data was kept (use --purge to drop it).'
        : '已卸载，投诉数据已保留（如需删除请使用 --purge）。',
  );
  return 0;
}
