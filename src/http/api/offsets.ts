// JSON API for fee offsets, in two parts:
//  - people (signed-in staff) under <routes prefix>/api/offsets: request, approve, reject, revoke, list,
//    read, and the cashier's check;
//  - the host's billing code (ERPs not written in Node) under <routes prefix>/api/billing: check, batch
//    check, apply, reverse and reconcile, authenticated by a signed request (serviceSignature.ts).
// Thin: the offsets service validates (bodies are cast only to its input types) and decides; DomainErrors become JSON in apiErrorMiddleware.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { actorOf, requireActor } from '../signedIn.js';
import { idempotencyKeysDisagree } from '../../common/messages.js';
import { requirePermission } from '../../auth/permissions.js';
import { NotFoundError, ValidationError } from '../../common/errors.js';
import { msg } from '../../common/localized.js';
import { formatFen } from '../../common/money.js';
import { billingActor } from '../../offsets/hooks.js';
import type { Offset } from '../../offsets/model.js';
import { OFFSET_STATUSES } from '../../offsets/model.js';
import { REFUSAL_CODES } from '../../offsets/refusals.js';
import {
  approveOffsetSchema,
  billBatchSchema,
  billCheckSchema,
  decisionNoteSchema,
  listOffsetsSchema,
  raiseOffsetSchema,
  serviceApplySchema,
  serviceReverseSchema,
  validateServiceApply,
  validateServiceReverse,
  validateBillBatch,
  type ApproveOffsetInput,
  type BillCheckInput,
  type DecisionNoteInput,
  type ListOffsetsQuery,
  type RaiseOffsetInput,
} from '../../offsets/schemas.js';
import { createOffsetService, type OffsetService } from '../../offsets/service.js';
import type { PluginContext } from '../../common/context.js';
import type { ApiOperation } from '../openapi.js';
import { coerceQuery } from '../query.js';
import { serviceSignatureMiddleware } from '../serviceSignature.js';

export { signServiceRequest, verifyServiceSignature, TIMESTAMP_HEADER, SIGNATURE_HEADER } from '../serviceSignature.js';

const OFFSETS = '/api/offsets';
const BILLING = '/api/billing';

/** The parsed JSON body, typed for the call; the services validate it with their schemas. */
function bodyOf<T>(ctx: Context): T {
  const body = (ctx.request as { body?: unknown }).body;
  return (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as T;
}

function idOf(ctx: Context): number {
  const raw = (ctx.params as Record<string, string>).id ?? '';
  if (!/^[1-9]\d{0,9}$/.test(raw)) throw new NotFoundError(msg(`抵扣 ${raw} 不存在`, `Offset ${raw} does not exist`));
  return Number(raw);
}

/** Fen for machines, yuan text for people reading the JSON. */
export function offsetJson<T extends Offset>(o: T): T & { requestedYuan: string; approvedYuan: string | null; remainingYuan: string } {
  return {
    ...o,
    requestedYuan: formatFen(o.requestedFen),
    approvedYuan: o.approvedFen === null ? null : formatFen(o.approvedFen),
    remainingYuan: formatFen(o.remainingFen),
  };
}

/** Routes for signed-in staff. */
export function offsetsApiRouter(ctx: PluginContext, service: OffsetService = createOffsetService(ctx)): Router {
  const router = new Router({ prefix: OFFSETS });
  router.use(requireActor);

  router.post('/', async (k) => {
    // The key may come as the Idempotency-Key header (as for complaints) or as idempotencyKey in the body.
    const body = bodyOf<RaiseOffsetInput>(k);
    const header = k.get('Idempotency-Key') || undefined;
    if (header !== undefined && body.idempotencyKey !== undefined && header !== body.idempotencyKey) {
      throw new ValidationError([idempotencyKeysDisagree()]);
    }
    const { offset, created } = await service.raiseOnce(header === undefined ? body : { ...body, idempotencyKey: header }, actorOf(k));
    k.status = created ? 201 : 200;
    if (!created) k.set('Idempotent-Replayed', 'true');
    k.set('Location', `${k.path.replace(/\/$/, '')}/${offset.id}`);
    k.body = { offset: offsetJson(offset) };
  });

  router.get('/', async (k) => {
    const { lang: _lang, ...query } = k.query;
    const page = await service.list(coerceQuery(listOffsetsSchema, query) as ListOffsetsQuery, actorOf(k));
    k.body = { ...page, items: page.items.map((o) => offsetJson(o)) };
  });

  // Registered before /:id so the word is never read as an id.
  router.get('/applicable', async (k) => {
    requirePermission(actorOf(k), 'offset.apply');
    const billId = typeof k.query.billId === 'string' ? k.query.billId.slice(0, 64) : '';
    k.body = { billId, offsets: (await service.applicable(billId, actorOf(k))).map((o) => offsetJson(o)) };
  });

  // Payment ids and amounts are for those who collect fees or read the money reports (the service checks).
  router.get('/applications', async (k) => {
    const billId = typeof k.query.billId === 'string' ? k.query.billId.slice(0, 64) : '';
    k.body = { billId, applications: billId ? await service.applicationsForBill(billId, actorOf(k)) : [] };
  });

  router.get('/reconcile', async (k) => {
    requirePermission(actorOf(k), 'report.view');
    k.body = await service.reconcile(actorOf(k));
  });

  router.post('/check', async (k) => {
    requirePermission(actorOf(k), 'offset.apply');
    k.body = await service.check(bodyOf<BillCheckInput>(k), actorOf(k));
  });

  router.get('/:id', async (k) => {
    const detail = await service.get(idOf(k), actorOf(k));
    k.body = { ...detail, offset: offsetJson(detail.offset) };
  });

  router.post('/:id/approve', async (k) => {
    k.body = { offset: offsetJson(await service.approve(idOf(k), bodyOf<ApproveOffsetInput>(k), actorOf(k))) };
  });
  router.post('/:id/reject', async (k) => {
    k.body = { offset: offsetJson(await service.reject(idOf(k), bodyOf<DecisionNoteInput>(k), actorOf(k))) };
  });
  router.post('/:id/revoke', async (k) => {
    k.body = { offset: offsetJson(await service.revoke(idOf(k), bodyOf<DecisionNoteInput>(k), actorOf(k))) };
  });
  return router;
}

export interface BillingApiOptions {
  /** The shared secret; without one every billing route answers 503. */
  secret?: string;
  /** Epoch ms, for tests. */
  now?: () => number;
}

/** Routes for the host's billing code, signed with the service secret. */
export function billingApiRouter(ctx: PluginContext, options: BillingApiOptions = {}, service: OffsetService = createOffsetService(ctx)): Router {
  const router = new Router({ prefix: BILLING });
  // Month-end batches are larger than a form; a parser upstream that already read the body wins.
  router.use(bodyParser({ enableTypes: ['json'], jsonLimit: '5mb' }));
  router.use(serviceSignatureMiddleware(options.secret, options.now));

  router.post('/check', async (k) => {
    k.body = await service.check(bodyOf<BillCheckInput>(k));
  });
  router.post('/check-batch', async (k) => {
    const { bills } = validateBillBatch(bodyOf(k));
    k.body = { bills: await service.checkBills(bills) };
  });
  router.post('/apply', async (k) => {
    const { operator, ...input } = validateServiceApply(bodyOf(k));
    k.body = await service.apply(input, billingActor(operator));
  });
  router.post('/reverse', async (k) => {
    const { operator, ...input } = validateServiceReverse(bodyOf(k));
    k.body = await service.reverse(input, billingActor(operator));
  });
  router.get('/reconcile', async (k) => {
    k.body = await service.reconcile();
  });
  return router;
}

// ----- OpenAPI --------------------------------------------------------------------------------------

const localized = { type: 'object', properties: { 'zh-CN': { type: 'string' }, en: { type: 'string' } } } as const;

const offsetSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    complaintId: { type: 'integer' },
    complaintCode: { type: 'string' },
    unitId: { type: 'string' },
    ownerId: { type: ['string', 'null'] },
    requestedFen: { type: 'integer' },
    approvedFen: { type: ['integer', 'null'] },
    remainingFen: { type: 'integer' },
    requestedYuan: { type: 'string' },
    approvedYuan: { type: ['string', 'null'] },
    remainingYuan: { type: 'string' },
    status: { enum: OFFSET_STATUSES },
    effectiveStatus: { enum: OFFSET_STATUSES },
    reason: { type: 'string' },
    expiresOn: { type: ['string', 'null'], format: 'date' },
    requestedBy: { type: 'string' },
    decidedBy: { type: ['string', 'null'] },
    decidedAt: { type: ['string', 'null'], format: 'date-time' },
    decisionNote: { type: ['string', 'null'] },
    version: { type: 'integer' },
  },
} as const;
const offsetEnvelope = { type: 'object', properties: { offset: offsetSchema } } as const;

const billCheckResponse = {
  type: 'object',
  properties: {
    billId: { type: 'string' },
    found: { type: 'boolean' },
    unitId: { type: ['string', 'null'] },
    amountFen: { type: ['integer', 'null'] },
    paymentState: {
      enum: ['unpaid', 'partial', 'paid', null],
      description: 'Whether the host still shows the bill as outstanding; a paid bill takes no offset (bill_paid)',
    },
    paymentStateLabel: { anyOf: [localized, { type: 'null' }] },
    hostStatus: { type: ['string', 'null'], description: "The host's own status value, as stored" },
    outstandingFen: { type: ['integer', 'null'] },
    appliedFen: {
      type: 'integer',
      description: 'Offsets already applied to this bill by earlier payments (not reversed); with the new ones they may not exceed the bill amount',
    },
    openToOffsetsFen: { type: 'integer', description: 'What the bill can still take in offsets: its amount less applied offsets, at most what is outstanding' },
    collectible: { const: true, description: 'A complaint never stops collection' },
    allAllowed: { type: 'boolean' },
    offsets: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          offsetId: { type: 'integer' },
          amountFen: { type: 'integer' },
          allowed: { type: 'boolean' },
          code: { enum: ['allowed', ...REFUSAL_CODES] },
          message: localized,
          remainingFen: { type: ['integer', 'null'] },
        },
      },
    },
    warnings: {
      type: 'array',
      description: 'Never block collection',
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

const applyAnswer = {
  type: 'object',
  properties: {
    applicationId: { type: 'integer' },
    offsetId: { type: 'integer' },
    billId: { type: 'string' },
    amountFen: { type: 'integer' },
    remainingFen: { type: 'integer' },
    appliedAt: { type: 'string', format: 'date-time' },
    idempotencyKey: { type: 'string' },
    state: { enum: ['applied', 'reversed'], description: "The application's state now; a replay of a reversed application is refused (already_reversed)" },
  },
} as const;

const reversalAnswer = {
  type: 'object',
  properties: { ...applyAnswer.properties, reversedAt: { type: 'string', format: 'date-time' }, reversalKey: { type: 'string' } },
} as const;

const reconcileResponse = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    offsetsChecked: { type: 'integer' },
    billsChecked: { type: 'integer' },
    totals: { type: 'object' },
    mismatches: { type: 'array', items: { type: 'object' }, description: 'Offsets where approved ≠ applied − reversed + remaining + revoked' },
    billMismatches: {
      type: 'array',
      items: { type: 'object' },
      description: "Bills whose ledger differs from their applications, or whose applications exceed the bill's amount",
    },
    billsNotFound: { type: 'array', items: { type: 'string' }, description: 'Bills with offsets that the host no longer shows' },
  },
} as const;

const userTags = ['offsets'];
const curlUser = `-H "X-Complaints-User: $TOKEN"`;

export const offsetsApiOperations: ApiOperation[] = [
  {
    method: 'post',
    path: OFFSETS,
    operationId: 'requestOffset',
    summary:
      'Request an offset (申请抵扣) on a complaint: amount in yuan text, reason, optional bills and expiry; needs offset.request. An optional Idempotency-Key header (or idempotencyKey in the body) makes a resend answer 200 with the same offset (header Idempotent-Replayed: true); the same key with other content is 409 idempotency_key_reused',
    tags: userTags,
    requestSchema: raiseOffsetSchema,
    responseSchema: offsetEnvelope,
    creates: { location: true },
    errors: {
      '404': 'No such complaint in your communities',
      '409': 'The complaint is cancelled, unclassified or a non-property dispute; or the idempotency key was used for other content',
    },
    example: `curl -X POST $BASE${OFFSETS} ${curlUser} -H "Content-Type: application/json" -H "Idempotency-Key: 5d1f0c9e-offset-12" \\\n  -d '{"complaintId":12,"amount":"120.50","reason":"阳台漏水一个月未修复","expiresOn":"2027-03-31"}'`,
  },
  {
    method: 'get',
    path: OFFSETS,
    operationId: 'listOffsets',
    summary: 'Offsets in your communities, newest first (status=requested is the approval queue)',
    tags: userTags,
    querySchema: listOffsetsSchema,
    responseSchema: {
      type: 'object',
      properties: { items: { type: 'array', items: offsetSchema }, total: { type: 'integer' }, page: { type: 'integer' }, perPage: { type: 'integer' } },
    },
    example: `curl "$BASE${OFFSETS}?status=requested" ${curlUser}`,
  },
  {
    method: 'get',
    path: `${OFFSETS}/{id}`,
    operationId: 'getOffset',
    summary: 'One offset with its bill limits, applications and audit trail',
    tags: userTags,
    responseSchema: {
      type: 'object',
      properties: { offset: offsetSchema, billIds: { type: ['array', 'null'] }, applications: { type: 'array' }, events: { type: 'array' } },
    },
    errors: { '404': 'No such offset in your communities' },
    example: `curl $BASE${OFFSETS}/7 ${curlUser}`,
  },
  {
    method: 'post',
    path: `${OFFSETS}/{id}/approve`,
    operationId: 'approveOffset',
    summary: 'Approve (审批通过), possibly a smaller amount, within your role limit; never your own request; needs offset.approve',
    tags: userTags,
    requestSchema: approveOffsetSchema,
    responseSchema: offsetEnvelope,
    errors: {
      '403': 'Own request, or above your approval limit',
      '404': 'No such offset in your communities',
      '409': 'Not awaiting approval, expired, or changed since `version`',
    },
    example: `curl -X POST $BASE${OFFSETS}/7/approve ${curlUser} -H "Content-Type: application/json" -d '{"amount":"100.00","note":"按实际损失批准","version":1}'`,
  },
  {
    method: 'post',
    path: `${OFFSETS}/{id}/reject`,
    operationId: 'rejectOffset',
    summary: 'Reject (驳回) with a note; needs offset.approve',
    tags: userTags,
    requestSchema: decisionNoteSchema,
    responseSchema: offsetEnvelope,
    errors: { '404': 'No such offset in your communities', '409': 'Not awaiting approval, or changed since `version`' },
    example: `curl -X POST $BASE${OFFSETS}/7/reject ${curlUser} -H "Content-Type: application/json" -d '{"note":"改为公众责任险赔付"}'`,
  },
  {
    method: 'post',
    path: `${OFFSETS}/{id}/revoke`,
    operationId: 'revokeOffset',
    summary: 'Revoke (撤回) what is left of an approved offset; what was already applied stays applied; needs offset.revoke',
    tags: userTags,
    requestSchema: decisionNoteSchema,
    responseSchema: offsetEnvelope,
    errors: { '404': 'No such offset in your communities', '409': 'Already used, not approved, or changed since `version`' },
    example: `curl -X POST $BASE${OFFSETS}/7/revoke ${curlUser} -H "Content-Type: application/json" -d '{"note":"业主改选现金赔付"}'`,
  },
  {
    method: 'post',
    path: `${OFFSETS}/check`,
    operationId: 'checkOffsetsAsCashier',
    summary: 'The billing check for a signed-in cashier (same answer as the service route); needs offset.apply',
    tags: userTags,
    requestSchema: billCheckSchema,
    responseSchema: billCheckResponse,
    example: `curl -X POST $BASE${OFFSETS}/check ${curlUser} -H "Content-Type: application/json" -d '{"billId":"1001","offsets":[{"offsetId":7,"amountFen":5000}]}'`,
  },
  {
    method: 'get',
    path: `${OFFSETS}/applicable`,
    operationId: 'applicableOffsets',
    summary: 'Approved offsets with something left that may be used on this bill; needs offset.apply',
    tags: userTags,
    querySchema: { type: 'object', required: ['billId'], properties: { billId: { type: 'string', maxLength: 64 } } },
    responseSchema: { type: 'object', properties: { billId: { type: 'string' }, offsets: { type: 'array', items: offsetSchema } } },
    example: `curl "$BASE${OFFSETS}/applicable?billId=1001" ${curlUser}`,
  },
  {
    method: 'get',
    path: `${OFFSETS}/applications`,
    operationId: 'billApplications',
    summary: 'Every offset application (applied or reversed) made on a host bill, with the complaint it came from; needs offset.apply or report.view',
    tags: userTags,
    querySchema: { type: 'object', required: ['billId'], properties: { billId: { type: 'string', maxLength: 64 } } },
    responseSchema: { type: 'object', properties: { billId: { type: 'string' }, applications: { type: 'array', items: { type: 'object' } } } },
    example: `curl "$BASE${OFFSETS}/applications?billId=1001" ${curlUser}`,
  },
  {
    method: 'get',
    path: `${OFFSETS}/reconcile`,
    operationId: 'reconcileOffsetsAsUser',
    summary:
      'Proves approved = applied − reversed + remaining + revoked for every offset, and ledger = applications ≤ bill amount for every bill, in your communities; needs report.view',
    tags: userTags,
    responseSchema: reconcileResponse,
    example: `curl $BASE${OFFSETS}/reconcile ${curlUser}`,
  },
];

/** How an ERP signs a request in the shell; the OpenAPI examples build on it. */
const SIGN = [
  `TS=$(date +%s)`,
  `SIG=$(printf '%s\\n%s\\n%s\\n%s' "$TS" "$METHOD" "$URLPATH" "$(printf '%s' "$BODY" | sha256sum | cut -d' ' -f1)" \\`,
  `  | openssl dgst -sha256 -hmac "$COMPLAINTS_SECRET" -hex | sed 's/^.* //')`,
].join('\n');

function signedCurl(method: 'POST' | 'GET', route: string, body: string): string {
  return [
    `# $HOST is e.g. http://127.0.0.1:3000 and $BASE its routes prefix, e.g. /complaints`,
    `METHOD=${method}; URLPATH="$BASE${route}"; BODY='${body}'`,
    SIGN,
    `curl -X ${method} "$HOST$URLPATH" -H "X-Complaints-Timestamp: $TS" -H "X-Complaints-Signature: $SIG"${body ? ` \\\n  -H "Content-Type: application/json" -d "$BODY"` : ''}`,
  ].join('\n');
}

const serviceTags = ['billing'];
const signedErrors = {
  '401': 'Missing, tampered or expired signature (more than 5 minutes off)',
  '503':
    'Retry with the same request after `Retry-After` seconds (safe: payment and reversal ids are idempotency keys): `retry_later` (concurrent writers, e.g. Galera certification conflicts, outlasted our retries; nothing was written) or `database_unavailable`; also answered when no service secret is configured',
};

export const billingApiOperations: ApiOperation[] = [
  {
    method: 'post',
    path: `${BILLING}/check`,
    operationId: 'billingCheck',
    summary:
      'At fee collection: may these offsets reduce this bill? Each is `allowed` or refused with a code; open complaints and withholding threats are warnings only. Read-only',
    tags: serviceTags,
    security: 'service',
    requestSchema: billCheckSchema,
    responseSchema: billCheckResponse,
    errors: signedErrors,
    example: signedCurl('POST', `${BILLING}/check`, '{"billId":"1001","offsets":[{"offsetId":7,"amountFen":5000}]}'),
  },
  {
    method: 'post',
    path: `${BILLING}/check-batch`,
    operationId: 'billingCheckBatch',
    summary: 'The same check for up to 10,000 bills in one call (month-end collection); answers in request order',
    tags: serviceTags,
    security: 'service',
    requestSchema: billBatchSchema,
    responseSchema: { type: 'object', properties: { bills: { type: 'array', items: billCheckResponse } } },
    errors: signedErrors,
    example: signedCurl(
      'POST',
      `${BILLING}/check-batch`,
      '{"bills":[{"billId":"1001","offsets":[]},{"billId":"1002","offsets":[{"offsetId":7,"amountFen":29}]}]}',
    ),
  },
  {
    method: 'post',
    path: `${BILLING}/apply`,
    operationId: 'billingApply',
    summary:
      'Consume an approved offset for a bill, once per idempotencyKey (your payment id; one key per offset line). Same key and parameters: the stored answer again; same key, other parameters: 409 idempotency_mismatch',
    tags: serviceTags,
    security: 'service',
    requestSchema: serviceApplySchema,
    responseSchema: applyAnswer,
    errors: {
      ...signedErrors,
      '404': 'Offset or bill not found',
      '409':
        'Refused (code says why: bill_paid, not_approved, expired, exceeds_remaining, exceeds_bill, other_unit …), idempotency_mismatch, or already_reversed (the key was applied and then reversed: use a new payment id)',
    },
    example: signedCurl(
      'POST',
      `${BILLING}/apply`,
      '{"offsetId":7,"billId":"1001","amountFen":5000,"idempotencyKey":"PAY-20261128-0042","operator":{"id":"c01","name":"收银员赵静"}}',
    ),
  },
  {
    method: 'post',
    path: `${BILLING}/reverse`,
    operationId: 'billingReverse',
    summary:
      'The payment was voided: restore the application made with idempotencyKey, once per reversalKey. With billId, a key applied to another bill is 404',
    tags: serviceTags,
    security: 'service',
    requestSchema: serviceReverseSchema,
    responseSchema: reversalAnswer,
    errors: {
      ...signedErrors,
      '404': 'No application with that key',
      '409': 'Already reversed with another reversalKey, or the reversalKey was used elsewhere',
    },
    example: signedCurl('POST', `${BILLING}/reverse`, '{"idempotencyKey":"PAY-20261128-0042","reversalKey":"VOID-20261128-0007"}'),
  },
  {
    method: 'get',
    path: `${BILLING}/reconcile`,
    operationId: 'billingReconcile',
    summary:
      'Proves approved = applied − reversed + remaining + revoked for every offset and ledger = applications ≤ bill amount for every bill; lists any mismatch',
    tags: serviceTags,
    security: 'service',
    responseSchema: reconcileResponse,
    errors: signedErrors,
    example: signedCurl('GET', `${BILLING}/reconcile`, ''),
  },
];
