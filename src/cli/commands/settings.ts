// complaints settings show | set KEY=VALUE…: the plugin's settings from the terminal, for hosts that are
// not Node (a `complaints serve` deployment has no other way to turn on metrics or set the webhook).
// Values are JSON when they parse as JSON (numbers, true/false, null, lists), text otherwise. Secrets
// are shown only as set (***) or not set; every change is validated and audited like the settings page.
import { systemClock } from '../../clock.js';
import { ValidationError } from '../../common/errors.js';
import { tableNames } from '../../db/tables.js';
import { SettingsStore, redactForAudit, type Settings } from '../../settings/settings.js';
import { CliError, localeOf, prefixOf, withDb, type CommonOptions } from '../options.js';
import { terminalActor } from '../terminalActor.js';

function parseAssignment(text: string, en: boolean): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new CliError(en ? `Expected KEY=VALUE, got "${text}"` : `应为 键=值 的形式，收到“${text}”`, 2);
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  try {
    return [key, JSON.parse(raw) as unknown];
  } catch {
    return [key, raw];
  }
}

function shown(key: string, value: unknown): string {
  return JSON.stringify(redactForAudit(key, value));
}

export async function settingsShowCommand(options: CommonOptions & { json?: boolean }): Promise<number> {
  const tables = tableNames(prefixOf(options));
  const settings = await withDb(options, (db) => new SettingsStore(db, tables, systemClock).get());
  const visible = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, redactForAudit(k, v)]));
  if (options.json) console.log(JSON.stringify(visible, null, 2));
  else for (const [key, value] of Object.entries(settings)) console.log(`${key} = ${shown(key, value)}`);
  return 0;
}

export async function settingsSetCommand(options: CommonOptions, assignments: string[]): Promise<number> {
  const locale = localeOf(options);
  const en = locale === 'en';
  if (!assignments.length) throw new CliError(en ? 'Nothing to set: give KEY=VALUE pairs' : '没有要修改的设置：请给出 键=值', 2);
  const patch = Object.fromEntries(assignments.map((a) => parseAssignment(a, en))) as Partial<Settings>;
  const tables = tableNames(prefixOf(options));
  return withDb(options, async (db) => {
    const store = new SettingsStore(db, tables, systemClock);
    const before = await store.get();
    const unknown = Object.keys(patch).filter((k) => !Object.hasOwn(before, k));
    if (unknown.length) {
      throw new CliError(
        en
          ? `Unknown setting(s): ${unknown.join(', ')}. Known: ${Object.keys(before).join(', ')}`
          : `没有这些设置：${unknown.join('、')}。可用设置：${Object.keys(before).join('、')}`,
        2,
      );
    }
    let after: Settings;
    try {
      after = await store.update(patch, terminalActor('administrator'));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const lines = err.fields.map((f) => `  ✘ ${f.field}: ${f.message[locale]}`);
      throw new CliError(`${en ? 'Nothing was changed:' : '未做任何修改：'}\n${lines.join('\n')}`, 2);
    }
    for (const key of Object.keys(patch) as Array<keyof Settings>) {
      const from = shown(key, before[key]);
      const to = shown(key, after[key]);
      console.log(from === to ? `${key} = ${to} (${en ? 'unchanged' : '未变'})` : `${key}: ${from} → ${to}`);
    }
    return 0;
  });
}
