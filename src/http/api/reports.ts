// JSON API for the period report (总结改进) under <routes prefix>/api/reports: the figures of the report
// page and its CSV (buildReport in src/reports), for a BI tool or the host's own dashboard. Same
// permission (report.view), same period rules and the same community scoping as the page.
import Router from '@koa/router';
import { actorOf, requireActor } from '../signedIn.js';
import { ValidationError } from '../../common/errors.js';
import { compileValidator } from '../../common/validation.js';
import type { PluginContext } from '../../common/context.js';
import { DIMENSIONS, buildReport } from '../../reports/report.js';
import { MAX_PERIOD_DAYS } from '../../reports/period.js';
import type { ApiOperation } from '../openapi.js';
import { coerceQuery } from '../query.js';

const BASE = '/api/reports';

export const reportQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: {
    from: { type: 'string', format: 'date', description: 'First local day of the period, included (settings time zone)' },
    to: { type: 'string', format: 'date', description: `Last local day, included; at most ${MAX_PERIOD_DAYS} days after from` },
    community: { type: 'string', minLength: 1, maxLength: 64, description: 'One community (host id); absent: every community you may see' },
  },
} as const;

interface ReportQuery {
  from: string;
  to: string;
  community?: string;
}

const validateQuery = compileValidator<ReportQuery>(reportQuerySchema);

export function reportsApiRouter(ctx: PluginContext): Router {
  const router = new Router({ prefix: BASE });
  router.use(requireActor);

  router.get('/', async (k) => {
    // ?lang= belongs to the locale middleware, not to the report.
    const { lang: _lang, ...raw } = k.query;
    const query = validateQuery(coerceQuery(reportQuerySchema, raw));
    try {
      k.body = { report: await buildReport(ctx, { from: query.from, to: query.to, communityId: query.community ?? null, actor: actorOf(k) }) };
    } catch (err) {
      // The report names the community field as the page's form does; here it is `community`.
      if (err instanceof ValidationError)
        throw new ValidationError(
          err.fields.map((f) => (f.field === 'communityId' ? { ...f, field: 'community' } : f)),
          err.localized,
        );
      throw err;
    }
  });
  return router;
}

// ----- OpenAPI --------------------------------------------------------------------------------------

const nullableNumber = { type: ['number', 'null'] } as const;
const count = { type: 'object', properties: { key: { type: ['string', 'null'], description: 'null: not set yet' }, count: { type: 'integer' } } } as const;
const durations = {
  type: 'object',
  properties: { count: { type: 'integer' }, medianMs: nullableNumber, p90Ms: nullableNumber },
  description: 'Median and 90th percentile (Excel PERCENTILE.INC) in milliseconds',
} as const;
const share = {
  type: 'object',
  properties: { count: { type: 'integer' }, of: { type: 'integer' }, rate: { ...nullableNumber, description: 'count / of; null when of is 0' } },
} as const;
const time = { type: 'string', format: 'date-time' } as const;

const reportResponse = {
  type: 'object',
  properties: {
    report: {
      type: 'object',
      properties: {
        period: {
          type: 'object',
          properties: {
            from: { type: 'string', format: 'date' },
            to: { type: 'string', format: 'date' },
            timeZone: { type: 'string' },
            start: time,
            end: time,
            days: { type: 'integer' },
          },
        },
        communityId: { type: ['string', 'null'] },
        generatedAt: time,
        complaints: { type: 'integer', description: 'Received in the period, not cancelled: the base of every complaint figure' },
        cancelled: { type: 'integer' },
        resolved: { type: 'integer' },
        by: { type: 'object', properties: Object.fromEntries(DIMENSIONS.map((d) => [d, { type: 'array', items: count }])) },
        acknowledge: { ...durations, description: 'Receipt → first start-investigation, assess or resolve' },
        resolve: { ...durations, description: 'Receipt → reply' },
        onTime: {
          ...share,
          properties: { ...share.properties, late: { type: 'integer' }, overdueOpen: { type: 'integer' } },
          description: 'Replied by the plan deadline or the reply promise',
        },
        followUpInWindow: { ...share, properties: { ...share.properties, late: { type: 'integer' }, overdue: { type: 'integer' } } },
        satisfaction: share,
        repeat: share,
        reopen: share,
        topUnits: {
          type: 'array',
          items: { type: 'object', properties: { unitId: { type: 'string' }, label: { type: 'string' }, count: { type: 'integer' } } },
        },
        offsets: {
          type: 'object',
          description: 'Money in fen (integer)',
          properties: Object.fromEntries(
            ['requests', 'requestedFen', 'approvals', 'approvedFen', 'applications', 'appliedFen', 'reversals', 'reversedFen', 'netAppliedFen'].map((k) => [
              k,
              { type: 'integer' },
            ]),
          ),
        },
      },
    },
  },
} as const;

export const reportsApiOperations: ApiOperation[] = [
  {
    method: 'get',
    path: BASE,
    operationId: 'getReport',
    summary:
      'The period report (总结改进) as JSON: the figures of the report page and its CSV for the complaints received in the period (local days), in your communities or one of them; needs report.view',
    tags: ['reports'],
    querySchema: reportQuerySchema,
    responseSchema: reportResponse,
    errors: { '400': 'Invalid period (field-level messages), or a community outside yours', '403': 'Without report.view' },
    example: `curl "$BASE${BASE}?from=2026-11-01&to=2026-11-30&community=1" -H "X-Complaints-User: $TOKEN"`,
  },
];
