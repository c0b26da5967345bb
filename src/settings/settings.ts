// Administrator settings: stored one key per row in our settings table, validated and defaulted by the
// settings schema declared in plugin.json, plus the checks a schema cannot make (the service calendar's
// hours and dates). Every change is audited, secrets redacted: the audit trail says a secret was set,
// changed or cleared, never what it is.
import type { Knex } from 'knex';
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Actor } from '../auth/actor.js';
import type { Clock } from '../clock.js';
import type { TableNames } from '../db/tables.js';
import { toDbTime } from '../db/time.js';
import { inTransaction } from '../db/transaction.js';
import { eventFromRow, recordEvent, type AuditEvent } from '../common/events.js';
import { ValidationError, fieldError } from '../common/errors.js';
import { compileValidator } from '../common/validation.js';
import { loadManifest } from '../manifest/manifest.js';
import type { Localized } from '../common/localized.js';
import { calendarErrors, type ServiceCalendar } from '../calendar/calendar.js';

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
  /** 时限标准: reply-due and handling-due per category × severity ('*' for any); see src/complaints/policies.ts. */
  deadlinePolicies: DeadlinePolicy[];
  /** 派单规则: category × community ('*' for any) → department and default handler. */
  routingRules: RoutingRule[];
  /** A pause longer than this many hours notifies the supervisor. */
  pauseAlertHours: number;
  /** Where the outbox delivers notifications; null: they wait in the outbox. */
  webhookUrl: string | null;
  /** Signs each delivery (HMAC-SHA256) when set. */
  webhookSecret: string | null;
  /** Delivered notices older than this many days are purged (undelivered ones never are). */
  outboxRetentionDays: number;
  /** Job runs and slot claims older than this many days are purged. */
  jobRunRetentionDays: number;
  /** The longest lifetime (hours) a signed X-Complaints-User token may claim; longer ones are refused. */
  userHeaderMaxLifetimeHours: number;
  /** readyz fails its outbox check when this many notices or more wait for delivery. */
  readyOutboxBacklogMax: number;
  /** Serve Prometheus metrics at <routes prefix>/metrics (needs metricsToken). */
  metricsEnabled: boolean;
  /** The bearer token /metrics requires; secret (redacted in the audit trail). */
  metricsToken: string | null;
  /** How long a stopping `complaints serve` waits for requests in flight. */
  shutdownGraceSeconds: number;
  /** Printed on the acknowledgement slip (empty: left out). */
  companyName: string;
  serviceCentreName: string;
  serviceCentrePhone: string;
  /** The largest attachment accepted, in bytes. */
  attachmentMaxBytes: number;
  /** How many files one step may carry. */
  attachmentMaxFiles: number;
  /** The kinds of file accepted, judged from their content. */
  attachmentTypes: Array<'jpeg' | 'png' | 'webp' | 'heic' | 'pdf'>;
  /** The owner's status link stops working this many days after closure (or cancellation). */
  ownerLinkDaysAfterClose: number;
  /** Where owners reach our pages (routes prefix included), for the QR code and owner notices; null: the printing request's address. */
  ownerPublicBaseUrl: string | null;
  /** Additions an owner may send per status link per hour, and per IP address over all links. */
  ownerAdditionsPerHour: number;
  ownerAdditionsPerIpPerHour: number;
  /** zh-CN texts of the owner notices, with {code}, {link}, {due}, {state}. */
  ownerNoticeTemplates: OwnerNoticeTemplates;
  /** Personal information (PIPL): retention in years after a complaint ended, and the privacy notice's URL. */
  privacy: PrivacySettings;
}

export interface OwnerNoticeTemplates {
  received: string;
  replied: string;
  followUp: string;
  closed: string;
}

export interface PrivacySettings {
  /** Years a closed or cancelled complaint keeps names, contact numbers and free text (default 3). */
  personalDataYears: number;
  /** Years compensation and offset records keep their free text (accounting retention, default 10); amounts stay. */
  accountingYears: number;
  /** The company's privacy notice, linked from the owner's page; null: not linked. */
  noticeUrl: string | null;
}

export interface DeadlinePolicy {
  category: string;
  severity: '*' | 'minor' | 'important' | 'major';
  replyHours: number;
  handlingHours: number;
  clock: 'working' | 'calendar';
}

export interface RoutingRule {
  category: string;
  communityId: string;
  department: string;
  handlerId?: string | null;
}

const validateSettings = compileValidator<Settings>(loadManifest().settingsSchema);

/** Names of settings (or of fields inside them) whose values are secret. */
const SECRET_NAME = /secret|password|passwd|token|api_?key|credential|private_?key/i;
/** Query parameters of a URL that commonly carry a credential. */
const SECRET_PARAM = /secret|password|passwd|token|key|sig|signature|auth|credential/i;
export const REDACTED = '***';

/** A URL with its password and credential-like query values replaced (the webhook URL may carry a token). */
function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  let hidden = false;
  if (url.password) {
    url.password = REDACTED;
    hidden = true;
  }
  for (const name of [...new Set(url.searchParams.keys())]) {
    if (!SECRET_PARAM.test(name)) continue;
    url.searchParams.set(name, REDACTED);
    hidden = true;
  }
  return hidden ? url.toString() : text;
}

/** A settings value as the audit trail may show it: secrets only as set (***) or not set (null). */
export function redactForAudit(name: string, value: unknown): unknown {
  if (SECRET_NAME.test(name)) return value === null || value === undefined || value === '' ? null : REDACTED;
  if (typeof value === 'string') return /^https?:\/\//i.test(value) ? redactUrl(value) : value;
  if (Array.isArray(value)) return value.map((v) => redactForAudit('', v));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactForAudit(k, v)]));
  return value;
}

export function defaultSettings(): Settings {
  return validateSettings({});
}

/**
 * Cached briefly so the counter pages do not read settings on every request; other instances see a change
 * within this time (the instance that saves sees it at once).
 */
export const SETTINGS_CACHE_MS = 5000;

/** One stored setting: its key and its JSON value. */
interface SettingRow {
  key: string;
  value: string;
}

/** The settings changed after a form read them; carries who changed them last, for the message. */
export class StaleSettingsError extends Error {
  constructor(readonly lastChange: AuditEvent | null) {
    super('settings changed since the form was read');
    this.name = 'StaleSettingsError';
  }
}

/** The one key of the settings cache (the whole settings object is one entry). */
const ALL = 'all';

export class SettingsStore {
  /**
   * The settings as last read, for SETTINGS_CACHE_MS by the plugin's clock (ttlResolution 0: the clock
   * is read on every get, so expiry is exact). fetch() shares one read among the requests that miss
   * together, instead of one read each when the entry expires under load.
   */
  private readonly cache: LRUCache<typeof ALL, Settings>;

  constructor(
    private readonly db: Knex,
    private readonly tables: TableNames,
    private readonly clock: Clock,
  ) {
    this.cache = new LRUCache<typeof ALL, Settings>({
      max: 1,
      ttl: SETTINGS_CACHE_MS,
      ttlResolution: 0,
      perf: { now: () => this.clock.now().getTime() },
      // A save while a read is in flight deletes the entry: the read still answers its callers (it began
      // before the save) but is not stored, so the next get reads the saved settings.
      ignoreFetchAbort: true,
      fetchMethod: () => this.readStored(),
    });
  }

  async get(): Promise<Settings> {
    return (await this.cache.fetch(ALL))!;
  }

  private async readStored(): Promise<Settings> {
    const rows = (await this.db(this.tables.settings).select('key', 'value')) as SettingRow[];
    return validateSettings(Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown])));
  }

  /** The settings as stored, read inside a caller's transaction (not cached: it may hold its own changes). */
  async readWithin(trx: Knex.Transaction): Promise<Settings> {
    const rows = (await trx(this.tables.settings).select('key', 'value')) as SettingRow[];
    return validateSettings(Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown])));
  }

  /** Fingerprint of the stored rows, so a form can tell on saving whether they changed since it was read. */
  async fingerprint(db: Knex | Knex.Transaction = this.db, lock = false): Promise<string> {
    const query = db(this.tables.settings).select('key', 'value').orderBy('key');
    const rows = (await (lock ? query.forUpdate() : query)) as SettingRow[];
    return createHash('sha256')
      .update(JSON.stringify(rows.map((r) => [r.key, r.value])))
      .digest('hex')
      .slice(0, 32);
  }

  /** Who changed the settings last, and when (null before any change). */
  async lastChange(db: Knex | Knex.Transaction = this.db): Promise<AuditEvent | null> {
    const row = (await db(this.tables.events).where({ entity_type: 'settings' }).orderBy('id', 'desc').first()) as Record<string, unknown> | undefined;
    return row ? eventFromRow(row) : null;
  }

  /**
   * Saves a form's changes only if the settings are still the ones it was read from (its fingerprint);
   * otherwise throws StaleSettingsError naming who changed them in between. The rows are locked so two
   * saves cannot both pass the check.
   */
  async updateIfUnchanged(patch: Partial<Settings>, actor: Actor, readFingerprint: string): Promise<Settings> {
    return inTransaction(this.db, async (trx) => {
      if ((await this.fingerprint(trx, true)) !== readFingerprint) throw new StaleSettingsError(await this.lastChange(trx));
      return this.update(patch, actor, { trx });
    });
  }

  /** Validates the merged result, writes only changed keys, and audits the change. */
  async update(patch: Partial<Settings>, actor: Actor, options: { trx?: Knex.Transaction } = {}): Promise<Settings> {
    const next = await inTransaction(
      this.db,
      async (trx) => {
        const rows = (await trx(this.tables.settings).select('key', 'value')) as SettingRow[];
        const current = validateSettings(Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown])));
        const merged = validateSettings({ ...current, ...structuredClone(patch) });
        // Checked when it changes (a form that does not show the calendar must not fail on it).
        const calendar = Object.hasOwn(patch, 'serviceCalendar') ? calendarErrors(merged.serviceCalendar) : [];
        if (calendar.length) throw new ValidationError(calendar);
        // Metrics on without a token would be either open to anyone or closed to everyone.
        if (merged.metricsEnabled && !merged.metricsToken) {
          throw new ValidationError([
            fieldError(
              'metricsToken',
              '启用指标接口（metricsEnabled）前须设置访问令牌 metricsToken（至少 24 个字符）',
              'Set metricsToken (at least 24 characters) before enabling metrics (metricsEnabled)',
            ),
          ]);
        }
        const at = this.clock.now();
        const changes: Record<string, [unknown, unknown]> = {};
        for (const key of Object.keys(patch) as Array<keyof Settings>) {
          const before = JSON.stringify(current[key]);
          const after = JSON.stringify(merged[key]);
          if (before === after) continue;
          changes[key] = [redactForAudit(key, current[key]), redactForAudit(key, merged[key])];
          const updated = await trx(this.tables.settings)
            .where({ key })
            .update({ value: after, updated_at: toDbTime(at), updated_by: actor.id });
          if (!updated) await trx(this.tables.settings).insert({ key, value: after, updated_at: toDbTime(at), updated_by: actor.id });
        }
        if (Object.keys(changes).length) {
          await recordEvent(trx, this.tables, { entityType: 'settings', entityId: 0, action: 'settings_changed', actor, at, changes });
        }
        return merged;
      },
      options,
    );
    this.cache.delete(ALL);
    // In a caller's transaction the change is not visible to other connections until it commits, and a get
    // in between caches the old settings again: drop them once more when it has.
    if (options.trx)
      options.trx.executionPromise.then(
        () => this.cache.delete(ALL),
        () => undefined,
      );
    return next;
  }
}
