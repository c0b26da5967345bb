// Routes for operators and load balancers, outside the user and service authentication:
//   GET /healthz  liveness: the process answers (no database);
//   GET /readyz   readiness: 200 or 503 with every check named (see observability/readiness.ts);
//   GET /metrics  Prometheus text, off unless `metricsEnabled`, behind its own bearer token `metricsToken`.
import Router from '@koa/router';
import type { Context } from 'koa';
import { createHash, timingSafeEqual } from 'node:crypto';
import { msg, type Locale, type Localized } from '../common/localized.js';
import type { PluginMetrics } from '../observability/metrics.js';
import type { Readiness } from '../observability/readiness.js';
import type { Settings } from '../settings/settings.js';
import type { ApiOperation } from './openapi.js';

export interface OperationsOptions {
  readiness: Readiness;
  metrics: PluginMetrics;
  settings: () => Promise<Settings>;
}

/** Equal tokens, compared in constant time whatever their lengths (digests first). */
export function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

function refuse(ctx: Context, status: number, code: string, message: Localized): void {
  const locale = ((ctx.state.locale as Locale | undefined) ?? 'zh-CN') as Locale;
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: { code, message: message[locale], fields: [] } };
}

export function operationsRouter(options: OperationsOptions): Router {
  const router = new Router();
  const started = Date.now();

  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok', uptimeSeconds: Math.round((Date.now() - started) / 1000) };
  });

  router.get('/readyz', async (ctx) => {
    const report = await options.readiness.check();
    ctx.status = report.ready ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    if (!report.ready) ctx.set('Retry-After', '5');
    ctx.body = { status: report.ready ? 'ready' : 'not_ready', failed: report.failed, checks: report.checks };
  });

  router.get('/metrics', async (ctx) => {
    let settings: Settings;
    try {
      settings = await options.settings();
    } catch {
      return refuse(ctx, 503, 'database_unavailable', msg('数据库暂时不可用，请稍后重试', 'The database is unavailable; please try again shortly'));
    }
    if (!settings.metricsEnabled)
      return refuse(ctx, 404, 'metrics_disabled', msg('指标接口未启用（设置 metricsEnabled）', 'Metrics are not enabled (setting metricsEnabled)'));
    const header = ctx.get('Authorization');
    const given = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!given || !settings.metricsToken || !sameToken(given, settings.metricsToken)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="complaints-metrics"');
      return refuse(
        ctx,
        401,
        'metrics_unauthorized',
        msg('需要指标访问令牌（Authorization: Bearer …）', 'The metrics token is required (Authorization: Bearer …)'),
      );
    }
    const { text, contentType } = await options.metrics.exposition();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = contentType;
    ctx.body = text;
  });
  return router;
}

const check = { type: 'object', properties: { ok: { type: ['boolean', 'null'] }, message: { type: 'object' } } } as const;

export const operationsApiOperations: ApiOperation[] = [
  {
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    summary: 'Liveness: the process answers (touches no database); no authentication',
    tags: ['operations'],
    security: 'none',
    responseSchema: { type: 'object', properties: { status: { const: 'ok' }, uptimeSeconds: { type: 'integer' } } },
    errors: {},
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'getReadiness',
    summary:
      'Readiness: 200 when the instance is not draining, the database answers, migrations are current and the outbox backlog is under readyOutboxBacklogMax; otherwise 503 naming the failed checks; no authentication',
    tags: ['operations'],
    security: 'none',
    responseSchema: {
      type: 'object',
      properties: {
        status: { enum: ['ready', 'not_ready'] },
        failed: { type: 'array', items: { enum: ['draining', 'database', 'migrations', 'outbox'] } },
        checks: { type: 'object', properties: { draining: check, database: check, migrations: check, outbox: check } },
      },
    },
    errors: { '503': 'Not ready: `failed` names the checks (same body as 200)' },
    errorsWithOkBody: ['503'],
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics (text exposition format); 404 unless the setting metricsEnabled is on; needs Authorization: Bearer <metricsToken>',
    tags: ['operations'],
    security: 'metrics',
    responseContentType: 'text/plain; version=0.0.4',
    responseSchema: { type: 'string' },
    errors: {
      '401': 'Missing or wrong metrics token',
      '404': 'Metrics are not enabled',
      '503': '`database_unavailable`: the settings (metricsEnabled, metricsToken) could not be read',
    },
    example: 'curl "$BASE/metrics" -H "Authorization: Bearer $METRICS_TOKEN"',
  },
];
