// Is this instance fit to take traffic? Four checks, each named in the answer: not draining (a stop has
// begun), the database answers, our migrations are current, and the outbox backlog is under the
// threshold set by `readyOutboxBacklogMax` (a backlog that keeps growing means the host's webhook is
// down, and every change we accept adds to it). Liveness (healthz) needs none of this.
import type { Knex } from 'knex';
import { pingDatabase } from '../db/health.js';
import { msg, type Localized } from '../common/localized.js';
import type { InstallStatus } from '../install/installer.js';
import type { Settings } from '../settings/settings.js';

export type CheckName = 'draining' | 'database' | 'migrations' | 'outbox';

export interface CheckResult {
  /** null: not checked, because a check it needs failed first. */
  ok: boolean | null;
  message?: Localized;
  [detail: string]: unknown;
}

export interface ReadinessReport {
  ready: boolean;
  /** The checks that failed, in the order above. */
  failed: CheckName[];
  checks: Record<CheckName, CheckResult>;
}

export interface ReadinessSources {
  db: Knex;
  status: () => Promise<InstallStatus>;
  outboxBacklog: () => Promise<number>;
  settings: () => Promise<Settings>;
  /** How long the database may take to answer the ping (default 2 s). */
  pingTimeoutMs?: number;
}

/** The driver's code of a failure, never its message (which may quote a host or a user name). */
function causeOf(err: unknown): string {
  const e = err as { code?: unknown; errno?: unknown };
  return String(e?.code ?? e?.errno ?? (err as Error)?.name ?? 'error');
}

export class Readiness {
  private draining = false;
  /** Migrations do not go back once current, so a process stops asking after the first yes. */
  private migrationsCurrent = false;

  constructor(private readonly sources: ReadinessSources) {}

  /** From now on readiness answers no: the instance is stopping. */
  markDraining(): void {
    this.draining = true;
  }

  /** Ready again (a plugin started after a stop). */
  markServing(): void {
    this.draining = false;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async check(): Promise<ReadinessReport> {
    const skipped: CheckResult = { ok: null };
    const checks: Record<CheckName, CheckResult> = {
      draining: this.draining ? { ok: false, message: msg('实例正在停止，不再接收新请求', 'This instance is stopping and takes no new work') } : { ok: true },
      database: { ok: true },
      migrations: skipped,
      outbox: skipped,
    };
    try {
      await pingDatabase(this.sources.db, this.sources.pingTimeoutMs ?? 2000);
    } catch (err) {
      checks.database = { ok: false, cause: causeOf(err), message: msg('数据库无法连接', 'The database does not answer') };
    }
    if (checks.database.ok) {
      checks.migrations = await this.migrations();
      // Without our tables there is no outbox to count.
      if (checks.migrations.ok) checks.outbox = await this.outbox();
    }
    const failed = (Object.keys(checks) as CheckName[]).filter((name) => checks[name].ok === false);
    return { ready: failed.length === 0, failed, checks };
  }

  private async migrations(): Promise<CheckResult> {
    if (this.migrationsCurrent) return { ok: true, pending: [] };
    try {
      const s = await this.sources.status();
      if (s.installed && s.pending.length === 0) {
        this.migrationsCurrent = true;
        return { ok: true, pending: [] };
      }
      return {
        ok: false,
        installed: s.installed,
        pending: s.pending,
        message: msg('插件未安装或有待执行的迁移：请运行 complaints upgrade', 'The plugin is not installed or has pending migrations: run complaints upgrade'),
      };
    } catch (err) {
      return { ok: false, cause: causeOf(err), message: msg('无法读取迁移状态', 'Could not read the migration status') };
    }
  }

  private async outbox(): Promise<CheckResult> {
    try {
      const [backlog, settings] = await Promise.all([this.sources.outboxBacklog(), this.sources.settings()]);
      const limit = settings.readyOutboxBacklogMax;
      if (backlog < limit) return { ok: true, backlog, limit };
      return {
        ok: false,
        backlog,
        limit,
        message: msg(
          `待投递通知 ${backlog} 条，已达上限 ${limit}：请检查 webhook`,
          `${backlog} notices wait for delivery, at or above the limit of ${limit}: check the webhook`,
        ),
      };
    } catch (err) {
      return { ok: false, cause: causeOf(err), message: msg('无法读取待投递通知', 'Could not read the outbox') };
    }
  }
}
