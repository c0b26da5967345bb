// Shared CLI plumbing: where the database and the mapping come from, and how failures are reported.
import type { Knex } from 'knex';
import { createDb, DbUrlError } from '../db/connection.js';
import { loadMappingFile, MappingFileError, type HostMapping } from '../host/mapping.js';
import { ValidationError } from '../common/errors.js';
import { pickLocale, type Locale } from '../common/localized.js';
import { DEFAULT_PREFIX } from '../db/tables.js';

export interface CommonOptions {
  db?: string;
  mapping?: string;
  prefix?: string;
  lang?: string;
}

/** A failure the person at the terminal can act on; printed without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function localeOf(options: CommonOptions): Locale {
  return pickLocale(options.lang ?? process.env.COMPLAINTS_LANG ?? 'zh-CN');
}

export function prefixOf(options: CommonOptions): string {
  return options.prefix ?? process.env.COMPLAINTS_PREFIX ?? DEFAULT_PREFIX;
}

export function dbUrlOf(options: CommonOptions): string {
  const url = options.db ?? process.env.COMPLAINTS_DB_URL;
  if (!url) throw new CliError('No database given: pass --db mysql://user:pass@host:3306/erp (or sqlite:path), or set COMPLAINTS_DB_URL', 2);
  return url;
}

/** One-shot commands need few connections; `serve` asks for a pool sized to its concurrency. */
export function openDb(options: CommonOptions, poolMax = 4): Knex {
  try {
    return createDb(dbUrlOf(options), { poolMax });
  } catch (err) {
    if (err instanceof DbUrlError) throw new CliError(err.message, 2);
    throw err;
  }
}

export function readMapping(options: CommonOptions): HostMapping {
  const file = options.mapping ?? process.env.COMPLAINTS_MAPPING;
  if (!file) throw new CliError('No host mapping given: pass --mapping mapping.json, or set COMPLAINTS_MAPPING', 2);
  try {
    return loadMappingFile(file);
  } catch (err) {
    if (err instanceof MappingFileError) throw new CliError(err.message, 2);
    if (err instanceof ValidationError) {
      const locale = localeOf(options);
      const lines = err.fields.map((f) => `  ✘ ${f.field}: ${f.message[locale]}`);
      throw new CliError(`${locale === 'en' ? `Mapping file ${file} is invalid:` : `映射文件 ${file} 有误：`}\n${lines.join('\n')}`, 2);
    }
    throw err;
  }
}

/** Opens the database for one command and always closes the pool, so the process can exit. */
export async function withDb<T>(options: CommonOptions, work: (db: Knex) => Promise<T>): Promise<T> {
  const db = openDb(options);
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}
