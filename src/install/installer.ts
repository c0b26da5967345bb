// install / upgrade / status / uninstall. They run only our migrations, against our own migrations
// table, and never alter, lock or write a host table: the host is only read (schema and one probe row).
import type { Knex } from 'knex';
import { migrateLatest, migrationStatus, rollbackAll } from '../db/migrations.js';
import { namedIndexes, tableNames, DEFAULT_PREFIX, type TableNames } from '../db/tables.js';
import { hasIndex } from '../db/schema.js';
import { resolveHostKeyTypes, type HostKeyTypes } from '../host/keyTypes.js';
import type { HostMapping } from '../host/mapping.js';
import { checkHost, type HostCheckReport } from '../host/check.js';
import { loadManifest } from '../manifest/manifest.js';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { toDbTime } from '../db/time.js';
import { installOffsetGuard, OffsetGuardError, offsetGuardTable, removeOffsetGuard } from './offsetGuard.js';

export class InstallError extends Error {
  constructor(
    message: string,
    readonly report?: HostCheckReport,
  ) {
    super(message);
  }
}

export interface InstallOptions {
  prefix?: string;
  clock?: Clock;
  /**
   * Also (re)create the database guard on the host payment table named by the mapping (see
   * offsetGuard.ts). Off by default; an install without it leaves an existing guard as it is, and
   * uninstall removes it.
   */
  enforceOffsets?: boolean;
}

export interface InstallResult {
  applied: string[];
  hostKeys: HostKeyTypes;
  report: HostCheckReport;
  /** The guard trigger created by this install (enforceOffsets), or null. */
  offsetGuard: { trigger: string; table: string } | null;
}

const HOST_KEYS = 'host_key_types';

async function readMeta(db: Knex, prefix: string, key: string): Promise<string | null> {
  const tables = tableNames(prefix);
  if (!(await db.schema.hasTable(tables.meta))) return null;
  const row = (await db(tables.meta).where({ key }).first()) as { value: string } | undefined;
  return row?.value ?? null;
}

async function writeMeta(db: Knex, prefix: string, values: Record<string, string>): Promise<void> {
  const tables = tableNames(prefix);
  for (const [key, value] of Object.entries(values)) {
    const updated = await db(tables.meta).where({ key }).update({ value });
    if (!updated) await db(tables.meta).insert({ key, value });
  }
}

/**
 * The host key types are fixed at first install (our columns were created with them); later runs reuse
 * the stored ones so a host schema change is reported by check-host instead of silently altering ours.
 */
async function hostKeysFor(db: Knex, prefix: string, mapping: HostMapping): Promise<HostKeyTypes> {
  const stored = await readMeta(db, prefix, HOST_KEYS);
  if (stored) return JSON.parse(stored) as HostKeyTypes;
  return resolveHostKeyTypes(db, mapping);
}

/** Installs or upgrades: checks the host mapping, then runs pending migrations. Idempotent. */
export async function install(db: Knex, mapping: HostMapping, options: InstallOptions = {}): Promise<InstallResult> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const clock = options.clock ?? systemClock;
  const report = await checkHost(db, mapping);
  if (!report.ok) throw new InstallError('The host mapping does not fit the database; nothing was installed', report);
  if (options.enforceOffsets && !mapping.payment) {
    throw new InstallError(
      '--enforce-offsets needs the host payment table in the mapping (payment: table, key, columns.bill/offsetAmount/offsetRef); nothing was installed',
    );
  }
  const hostKeys = await hostKeysFor(db, prefix, mapping);
  const applied = await migrateLatest(db, prefix, hostKeys);
  const version = loadManifest().version;
  const installedAt = await readMeta(db, prefix, 'installed_at');
  await writeMeta(db, prefix, {
    [HOST_KEYS]: JSON.stringify(hostKeys),
    version,
    ...(installedAt ? {} : { installed_at: toDbTime(clock.now()) }),
    ...(applied.length ? { upgraded_at: toDbTime(clock.now()) } : {}),
  });
  let offsetGuard: InstallResult['offsetGuard'] = null;
  if (options.enforceOffsets) {
    try {
      offsetGuard = await installOffsetGuard(db, mapping, prefix);
    } catch (err) {
      if (err instanceof OffsetGuardError) throw new InstallError(`${err.message}; the migrations ran, the guard was not created`);
      throw err;
    }
  }
  return { applied, hostKeys, report, offsetGuard };
}

export interface InstallStatus {
  installed: boolean;
  version: string | null;
  codeVersion: string;
  installedAt: string | null;
  applied: string[];
  pending: string[];
  /** The host payment table carrying the offset guard trigger, or null. */
  offsetGuardTable: string | null;
  /**
   * Indexes of ours that reads name for speed but the database lacks (a DBA dropped or renamed them): those
   * reads still answer, on the database's own plan, more slowly. Checked once no migration is pending.
   */
  missingIndexes: string[];
}

export async function status(db: Knex, mapping: HostMapping, options: InstallOptions = {}): Promise<InstallStatus> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const codeVersion = loadManifest().version;
  const tables = tableNames(prefix);
  if (!(await db.schema.hasTable(tables.migrations))) {
    // Listing migrations runs none, so the host key types do not matter here.
    const { pending } = await migrationStatus(db, prefix, placeholderKeys());
    return {
      installed: false,
      version: null,
      codeVersion,
      installedAt: null,
      applied: [],
      pending,
      offsetGuardTable: await offsetGuardTable(db, prefix),
      missingIndexes: [],
    };
  }
  const hostKeys = await hostKeysFor(db, prefix, mapping);
  const { applied, pending } = await migrationStatus(db, prefix, hostKeys);
  return {
    installed: applied.length > 0,
    version: await readMeta(db, prefix, 'version'),
    codeVersion,
    installedAt: await readMeta(db, prefix, 'installed_at'),
    applied,
    pending,
    offsetGuardTable: await offsetGuardTable(db, prefix),
    missingIndexes: applied.length > 0 && pending.length === 0 ? await missingNamedIndexes(db, tables) : [],
  };
}

async function missingNamedIndexes(db: Knex, tables: TableNames): Promise<string[]> {
  const names = Object.values(namedIndexes(tables));
  const present = await Promise.all(names.map((name) => hasIndex(db, tables.complaints, name)));
  return names.filter((_, i) => !present[i]);
}

function placeholderKeys(): HostKeyTypes {
  const any = { sqlType: 'TEXT', kind: 'string' as const };
  return { owner: any, unit: any, bill: any, community: null };
}

export interface UninstallOptions extends InstallOptions {
  /** Drop our tables (and with them all complaint data). Without it, uninstall keeps the data. */
  purge?: boolean;
}

/**
 * Keeps the data by default; with purge, drops every table of ours. Host data is never touched. The offset
 * guard trigger, if installed, is dropped either way: without the plugin it would refuse every payment
 * that carries an offset.
 */
export async function uninstall(
  db: Knex,
  mapping: HostMapping,
  options: UninstallOptions = {},
): Promise<{ purged: boolean; droppedTables: string[]; offsetGuardRemoved: boolean }> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const tables = tableNames(prefix);
  const offsetGuardRemoved = await removeOffsetGuard(db, prefix);
  if (!options.purge) return { purged: false, droppedTables: [], offsetGuardRemoved };
  if (await db.schema.hasTable(tables.migrations)) {
    await rollbackAll(db, prefix, await hostKeysFor(db, prefix, mapping));
  }
  const dropped: string[] = [];
  for (const name of [tables.migrationsLock, tables.migrations]) {
    if (await db.schema.hasTable(name)) {
      await db.schema.dropTable(name);
      dropped.push(name);
    }
  }
  return { purged: true, droppedTables: dropped, offsetGuardRemoved };
}
