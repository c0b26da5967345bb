// Administrator settings: stored one key per row in our settings table, validated and defaulted by the
// settings schema declared in plugin.json. Every change is audited.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import type { Clock } from '../clock.js';
import type { TableNames } from '../db/tables.js';
import { toDbTime } from '../db/time.js';
import { inTransaction } from '../db/transaction.js';
import { recordEvent } from '../common/events.js';
import { compileValidator } from '../common/validation.js';
import { loadManifest } from '../manifest/manifest.js';
import type { Localized } from '../common/localized.js';
import type { ServiceCalendar } from '../calendar/calendar.js';

export interface CodedLabel extends Localized {
  code: string;
}

export interface Settings {
  categories: Array<CodedLabel & { active?: boolean }>;
  departments: CodedLabel[];
  /** Role → highest offset (fen) it may approve; null means no limit. Roles absent may not approve. */
  roleApprovalLimitsFen: Record<string, number | null>;
  followUpHours: number;
  replyPromiseHours: number;
  repeatWindowDays: number;
  escalationDays: number;
  deadlineWarningHours: number;
  allowOffsetForNonProperty: boolean;
  timezone: string;
  /** How deadlines and the follow-up window count time (see src/calendar). */
  serviceCalendar: ServiceCalendar;
  /** Where the outbox delivers notifications; null: they wait in the outbox. */
  webhookUrl: string | null;
  /** Signs each delivery (HMAC-SHA256) when set. */
  webhookSecret: string | null;
}

const validateSettings = compileValidator<Settings>(loadManifest().settingsSchema);

export function defaultSettings(): Settings {
  return validateSettings({});
}

/** Cached briefly so the counter pages do not read settings on every request; other instances see a change within this time. */
const CACHE_MS = 5000;

export class SettingsStore {
  private cache: { value: Settings; at: number } | null = null;

  constructor(
    private readonly db: Knex,
    private readonly tables: TableNames,
    private readonly clock: Clock,
  ) {}

  async get(): Promise<Settings> {
    const now = Date.now();
    if (this.cache && now - this.cache.at < CACHE_MS) return this.cache.value;
    const rows = (await this.db(this.tables.settings).select('key', 'value')) as Array<{ key: string; value: string }>;
    const stored = Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
    const value = validateSettings(stored);
    this.cache = { value, at: now };
    return value;
  }

  /** Validates the merged result, writes only changed keys, and audits the change. */
  async update(patch: Partial<Settings>, actor: Actor, options: { trx?: Knex.Transaction } = {}): Promise<Settings> {
    const next = await inTransaction(
      this.db,
      async (trx) => {
        const rows = (await trx(this.tables.settings).select('key', 'value')) as Array<{ key: string; value: string }>;
        const current = validateSettings(Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown])));
        const merged = validateSettings({ ...current, ...structuredClone(patch) });
        const at = this.clock.now();
        const changes: Record<string, [unknown, unknown]> = {};
        for (const key of Object.keys(patch) as Array<keyof Settings>) {
          const before = JSON.stringify(current[key]);
          const after = JSON.stringify(merged[key]);
          if (before === after) continue;
          changes[key] = [current[key], merged[key]];
          const updated = await trx(this.tables.settings).where({ key }).update({ value: after, updated_at: toDbTime(at), updated_by: actor.id });
          if (!updated) await trx(this.tables.settings).insert({ key, value: after, updated_at: toDbTime(at), updated_by: actor.id });
        }
        if (Object.keys(changes).length) {
          await recordEvent(trx, this.tables, { entityType: 'settings', entityId: 0, action: 'settings_changed', actor, at, changes });
        }
        return merged;
      },
      options,
    );
    this.cache = null;
    return next;
  }
}
