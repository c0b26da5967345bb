// Prometheus metrics of one plugin instance (prom-client), in a registry of its own so several plugins in
// one process never collide. Counters move as things happen (requests, billing answers, fen applied and
// reversed, transaction retries, deliveries, job runs); the outbox backlog and the pool are read when
// scraped. Domain modules never see this: the HTTP layer, the offsets observer and the job and delivery
// callbacks record into it, all wired by the plugin factory.
import type { Knex } from 'knex';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { poolUsage } from '../db/health.js';
import { onTransactionEvent, type TransactionEvent } from '../db/transactionEvents.js';

export interface MetricsSources {
  db: Knex;
  /** Undelivered notices now (read at scrape time). */
  outboxBacklog: () => Promise<number>;
}

export type BillingOperation = 'check' | 'check_batch' | 'apply' | 'reverse';

export class PluginMetrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  private readonly httpDuration: Histogram<'route' | 'method'>;
  private readonly billingAnswers: Counter<'operation' | 'code'>;
  private readonly offsetFen: Counter<'direction'>;
  private readonly transactionRetries: Counter<'cause'>;
  private readonly transactionGaveUp: Counter<'cause'>;
  private readonly certificationConflicts: Counter;
  private readonly deliveries: Counter<'result'>;
  private readonly jobRuns: Counter<'job' | 'result'>;
  private readonly unsubscribe: () => void;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'complaints_http_requests_total',
      help: 'HTTP requests answered, by route template, method and status',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'complaints_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route template and method',
      labelNames: ['route', 'method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.billingAnswers = new Counter({
      name: 'complaints_billing_answers_total',
      help: 'Billing answers per offset line: allowed, applied, reversed, or the refusal code; by operation',
      labelNames: ['operation', 'code'],
      registers,
    });
    this.offsetFen = new Counter({
      name: 'complaints_offset_fen_total',
      help: 'Fen of offsets applied to bills and reversed from them (replays not counted)',
      labelNames: ['direction'],
      registers,
    });
    this.transactionRetries = new Counter({
      name: 'complaints_transaction_retries_total',
      help: 'Transactions of ours run again after a retryable error, by driver error',
      labelNames: ['cause'],
      registers,
    });
    this.transactionGaveUp = new Counter({
      name: 'complaints_transaction_retries_exhausted_total',
      help: 'Transactions whose retries ran out (answered 503 to the caller)',
      labelNames: ['cause'],
      registers,
    });
    this.certificationConflicts = new Counter({
      name: 'complaints_certification_conflicts_total',
      help: 'Galera certification conflicts met by our transactions (each one retried or given up)',
      registers,
    });
    this.deliveries = new Counter({
      name: 'complaints_outbox_deliveries_total',
      help: 'Webhook deliveries of outbox notices, by result (delivered, failed)',
      labelNames: ['result'],
      registers,
    });
    this.jobRuns = new Counter({
      name: 'complaints_job_runs_total',
      help: 'Scheduled job runs on this instance, by job and result (ok, failed, skipped: another instance had the slot)',
      labelNames: ['job', 'result'],
      registers,
    });
    new Gauge({
      name: 'complaints_outbox_backlog',
      help: 'Notices waiting for the host to acknowledge them',
      registers,
      async collect() {
        try {
          this.set(await sources.outboxBacklog());
        } catch {
          // The database does not answer: readyz says so; the scrape still answers with the rest.
        }
      },
    });
    new Gauge({
      name: 'complaints_db_pool_connections',
      help: 'Database pool: connections in use, free, queries waiting for one, and the pool size',
      labelNames: ['state'],
      registers,
      collect() {
        const usage = poolUsage(sources.db);
        if (!usage) return;
        this.set({ state: 'used' }, usage.used);
        this.set({ state: 'free' }, usage.free);
        this.set({ state: 'pending' }, usage.pendingAcquires);
        this.set({ state: 'max' }, usage.max);
      },
    });
    this.unsubscribe = onTransactionEvent(sources.db, (event) => this.transaction(event));
  }

  request(route: string, method: string, status: number, seconds: number): void {
    this.httpRequests.inc({ route, method, status: String(status) });
    this.httpDuration.observe({ route, method }, seconds);
  }

  billingAnswer(operation: BillingOperation, code: string): void {
    this.billingAnswers.inc({ operation, code });
  }

  offsetApplied(fen: number): void {
    this.offsetFen.inc({ direction: 'applied' }, fen);
  }

  offsetReversed(fen: number): void {
    this.offsetFen.inc({ direction: 'reversed' }, fen);
  }

  transaction(event: TransactionEvent): void {
    if (event.kind === 'retry') this.transactionRetries.inc({ cause: event.cause });
    else this.transactionGaveUp.inc({ cause: event.cause });
    if (event.certificationConflict) this.certificationConflicts.inc();
  }

  delivery(result: 'delivered' | 'failed', count = 1): void {
    if (count > 0) this.deliveries.inc({ result }, count);
  }

  jobRun(job: string, result: 'ok' | 'failed' | 'skipped'): void {
    this.jobRuns.inc({ job, result });
  }

  /** The exposition text and its content type. */
  async exposition(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  /** Stops listening to the database's transaction events. */
  close(): void {
    this.unsubscribe();
  }
}
