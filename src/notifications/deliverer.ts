// Sends outbox rows to the host's webhook. At-least-once: a row is marked delivered only after a 2xx,
// failures are retried with exponential backoff for as long as it takes (nothing is dropped), and the
// network is never called inside a database transaction. Several instances may run a deliverer: each
// takes a row with a conditional UPDATE (a lease), which works the same on MySQL and SQLite, where
// SELECT … FOR UPDATE is silently ignored. The receiver deduplicates by the X-Complaints-Delivery id
// if a lease runs out mid-request and another instance sends the same row again.
import { createHmac, randomUUID } from 'node:crypto';
import type { PluginContext } from '../common/context.js';
import { toDbTime } from '../db/time.js';
import { messageFromRow, type OutboxMessage } from './outbox.js';

export type DelivererContext = Pick<PluginContext, 'db' | 'tables' | 'settings' | 'clock'>;

export interface DelivererOptions {
  /** Overrides settings.webhookUrl / webhookSecret (a host may prefer to keep the secret out of the database). */
  url?: string | null;
  secret?: string | null;
  batchSize?: number;
  timeoutMs?: number;
  /** First retry delay; doubles with each attempt up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** How often start() polls. */
  intervalMs?: number;
  log?: (message: string, err?: unknown) => void;
  /** Told the outcome of every polling pass (the plugin counts deliveries and failures from it). */
  onReport?: (report: DeliveryReport) => void;
  fetch?: typeof fetch;
}

export interface DeliveryReport {
  delivered: number;
  failed: number;
  /** Rows another deliverer took first. */
  taken: number;
  /** No webhook configured: rows stay in the outbox. */
  noWebhook: boolean;
}

const DEFAULTS = { batchSize: 50, timeoutMs: 10_000, baseBackoffMs: 30_000, maxBackoffMs: 3_600_000, intervalMs: 10_000 };

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Delay before attempt n+1 after n failed attempts: base · 2^(n−1), capped, plus up to 10% jitter. */
export function backoffMs(attempts: number, base: number, max: number): number {
  const delay = Math.min(max, base * 2 ** Math.max(0, attempts - 1));
  return Math.round(delay * (1 + Math.random() * 0.1));
}

export class WebhookDeliverer {
  private readonly opts: typeof DEFAULTS;
  private timer: NodeJS.Timeout | null = null;
  private cycle: Promise<unknown> | null = null;

  constructor(
    private readonly ctx: DelivererContext,
    private readonly options: DelivererOptions = {},
  ) {
    this.opts = {
      batchSize: options.batchSize ?? DEFAULTS.batchSize,
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      baseBackoffMs: options.baseBackoffMs ?? DEFAULTS.baseBackoffMs,
      maxBackoffMs: options.maxBackoffMs ?? DEFAULTS.maxBackoffMs,
      intervalMs: options.intervalMs ?? DEFAULTS.intervalMs,
    };
  }

  /** One pass over the due rows; stops at the first failure so a host that is down is not hammered. */
  async deliverPending(): Promise<DeliveryReport> {
    const report: DeliveryReport = { delivered: 0, failed: 0, taken: 0, noWebhook: false };
    const settings = await this.ctx.settings.get();
    const url = this.options.url !== undefined ? this.options.url : settings.webhookUrl;
    const secret = this.options.secret !== undefined ? this.options.secret : settings.webhookSecret;
    if (!url) return { ...report, noWebhook: true };
    const { db, tables, clock } = this.ctx;
    const due = await db(tables.outbox)
      .whereNull('delivered_at')
      .where('available_at', '<=', toDbTime(clock.now()))
      .orderBy([{ column: 'available_at' }, { column: 'id' }])
      .limit(this.opts.batchSize);
    for (const row of due) {
      const message = await this.claim(Number(row.id));
      if (!message) {
        report.taken++;
        continue;
      }
      const error = await this.post(url, secret ?? null, message.claimed);
      if (error === null) {
        await db(tables.outbox)
          .where({ id: message.claimed.id })
          .whereNull('delivered_at')
          .update({ delivered_at: toDbTime(clock.now()), claim_token: null, last_error: null });
        report.delivered++;
        continue;
      }
      const retryAt = new Date(clock.now().getTime() + backoffMs(message.claimed.attempts, this.opts.baseBackoffMs, this.opts.maxBackoffMs));
      await db(tables.outbox)
        .where({ id: message.claimed.id, claim_token: message.token })
        .update({ available_at: toDbTime(retryAt), claim_token: null, last_error: error.slice(0, 2000) });
      report.failed++;
      this.options.log?.(`webhook delivery of outbox #${message.claimed.id} failed (attempt ${message.claimed.attempts}): ${error}`);
      break;
    }
    return report;
  }

  /**
   * Takes a row for the length of one request plus a margin: the UPDATE succeeds for exactly one
   * instance because it moves available_at past now, which the others' condition then refuses.
   */
  private async claim(id: number): Promise<{ claimed: OutboxMessage; token: string } | null> {
    const { db, tables, clock } = this.ctx;
    const now = clock.now();
    const token = randomUUID();
    const leaseUntil = new Date(now.getTime() + this.opts.timeoutMs * 2 + 5_000);
    const updated = await db(tables.outbox)
      .where({ id })
      .whereNull('delivered_at')
      .where('available_at', '<=', toDbTime(now))
      .update({ claim_token: token, available_at: toDbTime(leaseUntil), attempts: db.raw('attempts + 1') });
    if (updated !== 1) return null;
    const row = await db(tables.outbox).where({ id, claim_token: token }).first();
    return row ? { claimed: messageFromRow(row), token } : null;
  }

  /** Returns null on a 2xx, otherwise what went wrong. */
  private async post(url: string, secret: string | null, message: OutboxMessage): Promise<string | null> {
    const body = JSON.stringify({ id: message.id, topic: message.topic, createdAt: message.createdAt.toISOString(), payload: message.payload });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'x-complaints-delivery': String(message.id),
      'x-complaints-topic': message.topic,
      'x-complaints-timestamp': timestamp,
      'x-complaints-attempt': String(message.attempts),
    };
    if (secret) headers['x-complaints-signature'] = signature(secret, timestamp, body);
    try {
      const response = await (this.options.fetch ?? fetch)(url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      // Drain the body so the connection can be reused; its content does not matter.
      await response.arrayBuffer().catch(() => undefined);
      return response.status >= 200 && response.status < 300 ? null : `HTTP ${response.status}`;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return `${(err as Error).name}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`;
    }
  }

  /** Polls every intervalMs until stop(); one pass at a time. */
  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.cycle = this.deliverPending()
        .then((report) => this.options.onReport?.(report))
        .catch((err) => this.options.log?.('outbox delivery pass failed', err))
        .finally(() => {
          this.cycle = null;
          if (this.timer) this.timer = setTimeout(tick, this.opts.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Stops polling and waits for a pass in progress, so the pool can be closed safely afterwards. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.cycle;
  }
}
