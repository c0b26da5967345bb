// complaints jobs run NAME: runs one scheduled job now, by hand. It gets a slot of its own, so it never
// takes a scheduled slot away from the running instances; the run is recorded like any other.
import { systemClock } from '../../clock.js';
import { tableNames } from '../../db/tables.js';
import { runByHand, UnknownJobError } from '../../jobs/runner.js';
import { SettingsStore } from '../../settings/settings.js';
import { CliError, localeOf, prefixOf, withDb, type CommonOptions } from '../options.js';

export async function jobsRunCommand(options: CommonOptions & { json?: boolean }, name: string): Promise<number> {
  const en = localeOf(options) === 'en';
  const tables = tableNames(prefixOf(options));
  const result = await withDb(options, async (db) => {
    if (!(await db.schema.hasTable(tables.jobRuns))) {
      throw new CliError(
        en
          ? 'The plugin is not installed (or not upgraded) in this database: run `complaints install` first.'
          : '数据库中尚未安装（或未升级）本插件：请先运行 `complaints install`。',
        2,
      );
    }
    const ctx = { db, tables, settings: new SettingsStore(db, tables, systemClock), clock: systemClock };
    try {
      return await runByHand(ctx, name, { now: systemClock.now() });
    } catch (err) {
      if (err instanceof UnknownJobError) {
        throw new CliError(en ? `Unknown job "${name}". Jobs: ${err.known.join(', ')}` : `没有名为“${name}”的任务。可用任务：${err.known.join('、')}`, 2);
      }
      throw err;
    }
  });
  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
  } else if (result.status === 'ok') {
    const counts = Object.entries(result.counts)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    console.log(`✔ ${name} (${en ? 'run' : '运行记录'} #${result.runId}) ${counts}`);
  } else if (result.status === 'failed') {
    console.error(`✘ ${name} (${en ? 'run' : '运行记录'} #${result.runId}) ${en ? 'failed' : '失败'}:\n${result.error}`);
  }
  return result.status === 'ok' ? 0 : 1;
}
