// JSON API for an ERP's own screens under <routes prefix>/api/units: find a unit (room, owner name, phone
// or its last four digits) and see its outstanding bills with the approved offsets that may go against
// each. Signed-in staff (the user token), scoped to their communities; thin: src/units decides.
import Router from '@koa/router';
import type { Context } from 'koa';
import { actorOf, requireActor } from '../signedIn.js';
import { NotFoundError } from '../../common/errors.js';
import { msg } from '../../common/localized.js';
import { createOffsetService, type OffsetService } from '../../offsets/service.js';
import type { PluginContext } from '../../common/context.js';
import { unitBills } from '../../units/bills.js';
import { UNIT_BILLS_MAX, UNIT_SEARCH_MAX, unitBillsQuerySchema, unitSearchQuerySchema } from '../../units/schemas.js';
import { searchUnits } from '../../units/search.js';
import type { ApiOperation } from '../openapi.js';
import { coerceQuery } from '../query.js';

const BASE = '/api/units';

/** The query without ?lang= (the locale middleware's), typed by the schema. */
function queryOf(ctx: Context, schema: { properties?: Record<string, unknown> }): Record<string, unknown> {
  const { lang: _lang, ...query } = ctx.query;
  return coerceQuery(schema, query);
}

export function unitsApiRouter(ctx: PluginContext, offsets: OffsetService = createOffsetService(ctx)): Router {
  const router = new Router({ prefix: BASE });
  router.use(requireActor);

  router.get('/', async (k) => {
    k.body = await searchUnits(ctx, queryOf(k, unitSearchQuerySchema), actorOf(k));
  });

  router.get('/:id/bills', async (k) => {
    const id = String((k.params as Record<string, string>).id ?? '');
    if (id.length > 64) throw new NotFoundError(msg('房屋不存在', 'No such unit'));
    k.body = await unitBills(ctx, offsets, id, queryOf(k, unitBillsQuerySchema), actorOf(k));
  });
  return router;
}

// ----- OpenAPI --------------------------------------------------------------------------------------

const localized = { type: 'object', properties: { 'zh-CN': { type: 'string' }, en: { type: 'string' } } } as const;
const yuan = { type: 'string', pattern: '^-?\\d+\\.\\d{2}$', description: 'Yuan text, e.g. "120.50"' } as const;

const unitSchema = {
  type: 'object',
  required: ['id', 'label', 'communityId', 'communityName', 'owners'],
  properties: {
    id: { type: 'string', description: "The host's own key of the unit" },
    label: { type: 'string', description: 'The room label staff know' },
    communityId: { type: ['string', 'null'] },
    communityName: { type: ['string', 'null'] },
    owners: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'name', 'phone'],
        properties: { id: { type: 'string' }, name: { type: 'string' }, phone: { type: ['string', 'null'] } },
      },
    },
  },
} as const;

const unitSearchResponse = {
  type: 'object',
  required: ['query', 'units', 'more'],
  properties: {
    query: { type: 'string', description: 'The search text as used (trimmed)' },
    units: { type: 'array', items: unitSchema, description: 'Label matches first (exact, prefix, contains), then units found through their owners' },
    more: { type: 'boolean', description: 'More units match than were returned: narrow the search' },
  },
} as const;

const applicableOffsetSchema = {
  type: 'object',
  properties: {
    offsetId: { type: 'integer' },
    complaintId: { type: 'integer' },
    complaintCode: { type: 'string' },
    reason: { type: 'string' },
    expiresOn: { type: ['string', 'null'], format: 'date' },
    remainingFen: { type: 'integer', description: 'What the approval has left' },
    remainingYuan: yuan,
    mayApplyFen: { type: 'integer', description: "What of it this bill can take now: the smaller of the remainder and the bill's open amount" },
    mayApplyYuan: yuan,
  },
} as const;

const unitBillsResponse = {
  type: 'object',
  required: ['unit', 'bills', 'more', 'warnings'],
  properties: {
    unit: unitSchema,
    bills: {
      type: 'array',
      description: 'Outstanding bills, latest period first',
      items: {
        type: 'object',
        properties: {
          billId: { type: 'string', description: "The host's own key of the bill" },
          period: { type: ['string', 'null'] },
          amountFen: { type: 'integer' },
          amountYuan: yuan,
          paymentState: { enum: ['unpaid', 'partial', 'paid'] },
          paymentStateLabel: localized,
          hostStatus: { type: ['string', 'null'], description: "The host's own status value, as stored" },
          outstandingFen: { type: 'integer' },
          outstandingYuan: yuan,
          appliedFen: { type: 'integer', description: 'Offsets already applied to the bill (not reversed)' },
          appliedYuan: yuan,
          openToOffsetsFen: { type: 'integer', description: 'What the bill can still take in offsets' },
          openToOffsetsYuan: yuan,
          offsets: { type: 'array', items: applicableOffsetSchema, description: 'Approved offsets that the billing check would allow on this bill now' },
        },
      },
    },
    more: { type: 'boolean', description: 'The unit has older outstanding bills than those returned' },
    warnings: {
      type: 'array',
      description: 'Open complaints and fee-withholding threats on the unit: never a reason not to collect',
      items: {
        type: 'object',
        properties: {
          code: { enum: ['open_complaint', 'withholding_threat'] },
          complaintId: { type: 'integer' },
          complaintCode: { type: 'string' },
          complaintState: { type: 'string' },
          message: localized,
        },
      },
    },
  },
} as const;

const curlUser = `-H "X-Complaints-User: $TOKEN"`;

export const unitsApiOperations: ApiOperation[] = [
  {
    method: 'get',
    path: BASE,
    operationId: 'searchUnits',
    summary: `Find units (房屋) by room label, owner name, phone or the phone's last four digits, in your communities; at most ${UNIT_SEARCH_MAX}; needs complaint.create or offset.apply`,
    tags: ['units'],
    querySchema: unitSearchQuerySchema,
    responseSchema: unitSearchResponse,
    errors: { '400': 'No search text, or more than 64 characters', '403': 'Without complaint.create or offset.apply' },
    example: `curl "$BASE${BASE}?q=8001" ${curlUser}`,
  },
  {
    method: 'get',
    path: `${BASE}/{id}/bills`,
    operationId: 'unitBills',
    summary: `A unit's outstanding bills (at most ${UNIT_BILLS_MAX}), each with its payment state, what is outstanding, what offsets took and can still take, and the approved offsets that may go against it; needs complaint.create or offset.apply`,
    tags: ['units'],
    querySchema: unitBillsQuerySchema,
    responseSchema: unitBillsResponse,
    errors: { '403': 'Without complaint.create or offset.apply', '404': 'No such unit in your communities' },
    example: `curl "$BASE${BASE}/101/bills" ${curlUser}`,
  },
];
