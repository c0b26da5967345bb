// complaints check-host: does the mapping fit the live database? Exit 1 and name each problem if not.
import { checkHost, formatReport } from '../../host/check.js';
import { localeOf, readMapping, withDb, type CommonOptions } from '../options.js';

export async function checkHostCommand(options: CommonOptions & { json?: boolean }): Promise<number> {
  const mapping = readMapping(options);
  const report = await withDb(options, (db) => checkHost(db, mapping));
  console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report, localeOf(options)));
  return report.ok ? 0 : 1;
}
