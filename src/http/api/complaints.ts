// JSON API for complaints under <routes prefix>/api/complaints. Thin: it reads the actor, the body, the
// query and the path, and hands them to ComplaintService, which validates and decides. Errors are
// DomainErrors turned into JSON by apiErrorMiddleware upstream.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Actor } from '../../auth/actor.js';
import { ACTIONS, RULES } from '../../complaints/states.js';
import { complaintNotFound } from '../../complaints/scope.js';
import { createComplaintSchema, followUpSchema, listQuerySchema, transitionSchemas } from '../../complaints/schemas.js';
import { createComplaintService, type ComplaintService } from '../../complaints/service.js';
import { recordCompensationSchema, type RecordCompensationInput } from '../../compensations/schemas.js';
import { createCompensationService, type CompensationService } from '../../compensations/service.js';
import { ValidationError, fieldError } from '../../common/errors.js';
import type { Locale } from '../../common/localized.js';
import type { PluginContext } from '../../common/context.js';
import type { ApiOperation } from '../openapi.js';
import { coerceQuery } from '../query.js';
import { complaintEnvelope, detailResponse, eventsResponse, followUpResultResponse, listResponse } from './complaintResponses.js';
import { compensationEnvelope, compensationJson, compensationListJson, compensationListResponse } from './compensationResponses.js';

const BASE = '/api/complaints';

/** Every route needs a signed-in person; the auth middleware upstream sets ctx.state.actor. */
const requireActor: Middleware = async (ctx, next) => {
  if (!ctx.state.actor) {
    const en = (ctx.state.locale as Locale | undefined) === 'en';
    ctx.status = 401;
    ctx.body = { error: { code: 'unauthenticated', message: en ? 'Please sign in' : '请先登录', fields: [] } };
    return;
  }
  await next();
};

function actorOf(ctx: Context): Actor {
  return ctx.state.actor as Actor;
}

function bodyOf(ctx: Context): unknown {
  return (ctx.request as { body?: unknown }).body ?? {};
}

/** Path ids are positive integers; anything else is a complaint that does not exist. */
function idOf(ctx: Context): number {
  const raw = (ctx.params as Record<string, string>).id ?? '';
  if (!/^[1-9]\d{0,9}$/.test(raw)) throw complaintNotFound();
  return Number(raw);
}

export function complaintsApiRouter(
  ctx: PluginContext,
  service: ComplaintService = createComplaintService(ctx),
  compensations: CompensationService = createCompensationService(ctx),
): Router {
  const router = new Router({ prefix: BASE });
  router.use(requireActor);

  router.post('/', async (k) => {
    const header = k.get('Idempotency-Key');
    const { complaint, created } = await service.create(bodyOf(k), actorOf(k), { idempotencyKey: header || undefined });
    k.status = created ? 201 : 200;
    if (!created) k.set('Idempotent-Replayed', 'true');
    k.set('Location', `${k.path.replace(/\/$/, '')}/${complaint.id}`);
    k.body = { complaint };
  });

  router.get('/', async (k) => {
    // ?lang= belongs to the locale middleware, not to the list filters.
    const { lang: _lang, ...query } = k.query;
    k.body = await service.list(coerceQuery(listQuerySchema, query), actorOf(k));
  });

  router.get('/:id', async (k) => {
    k.body = await service.get(idOf(k), actorOf(k));
  });

  router.get('/:id/events', async (k) => {
    k.body = { events: await service.events(idOf(k), actorOf(k)) };
  });

  router.post('/:id/transitions/:action', async (k) => {
    const complaint = await service.transition(idOf(k), String(k.params.action), bodyOf(k), actorOf(k));
    k.body = { complaint };
  });

  router.post('/:id/follow-ups', async (k) => {
    k.body = await service.followUp(idOf(k), bodyOf(k), actorOf(k));
  });

  // Compensation (赔付) paid to the owner apart from fees; the key may come as the Idempotency-Key header
  // (as for complaints) or as idempotencyKey in the body.
  router.post('/:id/compensations', async (k) => {
    const body = bodyOf(k) as RecordCompensationInput;
    const header = k.get('Idempotency-Key') || undefined;
    if (header !== undefined && body.idempotencyKey !== undefined && header !== body.idempotencyKey) {
      throw new ValidationError([fieldError('idempotencyKey', '请求头与请求体中的幂等键不一致', 'The Idempotency-Key header and the body disagree')]);
    }
    const { compensation, created } = await compensations.record(idOf(k), header === undefined ? body : { ...body, idempotencyKey: header }, actorOf(k));
    k.status = created ? 201 : 200;
    if (!created) k.set('Idempotent-Replayed', 'true');
    k.body = { compensation: compensationJson(compensation) };
  });

  router.get('/:id/compensations', async (k) => {
    k.body = compensationListJson(await compensations.list(idOf(k), actorOf(k)));
  });

  return router;
}

const tags = ['complaints'];
const curlUser = `-H "X-Complaints-User: $TOKEN"`;

export const complaintsApiOperations: ApiOperation[] = [
  {
    method: 'post',
    path: BASE,
    operationId: 'createComplaint',
    summary: 'Register a complaint (受理登记); send an Idempotency-Key so a double submit makes one complaint',
    tags,
    requestSchema: createComplaintSchema,
    responseSchema: complaintEnvelope,
    creates: { location: true },
    errors: { '409': 'The idempotency key was used for a different submission' },
    example: `curl -X POST $BASE${BASE} ${curlUser} -H "Idempotency-Key: form-123" -H "Content-Type: application/json" \\\n  -d '{"unitId":"101","complainantName":"张伟","complainantPhone":"13800138001","channel":"counter","category":"facilities","description":"电梯又停了"}'`,
  },
  {
    method: 'get',
    path: BASE,
    operationId: 'listComplaints',
    summary: 'List complaints in your communities, filtered and sorted; page with nextCursor',
    tags,
    querySchema: listQuerySchema,
    responseSchema: listResponse,
    example: `curl "$BASE${BASE}?state=received,investigating&overdue=true&limit=20" ${curlUser}`,
  },
  {
    method: 'get',
    path: `${BASE}/{id}`,
    operationId: 'getComplaint',
    summary: 'One complaint with its continuation chain, repeat links, follow-up visits and the actions you may take',
    tags,
    responseSchema: detailResponse,
    errors: { '404': 'No such complaint in your communities' },
  },
  {
    method: 'get',
    path: `${BASE}/{id}/events`,
    operationId: 'listComplaintEvents',
    summary: 'The audit trail of a complaint, oldest first',
    tags,
    responseSchema: eventsResponse,
    errors: { '404': 'No such complaint in your communities' },
  },
  ...ACTIONS.filter((a) => a !== 'follow-up').map((action): ApiOperation => ({
    method: 'post',
    path: `${BASE}/{id}/transitions/${action}`,
    operationId: `complaint_${action.replace(/-/g, '_')}`,
    summary: `${RULES[action].label.en} (${RULES[action].label['zh-CN']}); allowed from: ${RULES[action].from.join(', ')}; needs ${RULES[action].permission}`,
    tags,
    requestSchema: transitionSchemas[action],
    responseSchema: complaintEnvelope,
    errors: { '404': 'No such complaint in your communities', '409': 'Not allowed in the current state, or changed by someone else since `version`' },
  })),
  {
    method: 'post',
    path: `${BASE}/{id}/follow-ups`,
    operationId: 'recordFollowUp',
    summary: 'Record the follow-up visit (回访); unsatisfied closes the complaint and opens a linked new one',
    tags,
    requestSchema: followUpSchema,
    responseSchema: followUpResultResponse,
    errors: { '404': 'No such complaint in your communities', '409': 'Not resolved yet, or changed by someone else since `version`' },
  },
  {
    method: 'post',
    path: `${BASE}/{id}/compensations`,
    operationId: 'recordCompensation',
    summary:
      'Record compensation (赔付) paid to the owner by the company, an insurer or a third party, apart from fees (it never touches a bill or an offset); any complaint but a cancelled one; needs compensation.record; send an Idempotency-Key so a double submit makes one record',
    tags,
    requestSchema: recordCompensationSchema,
    responseSchema: compensationEnvelope,
    creates: { location: false },
    errors: { '404': 'No such complaint in your communities', '409': 'The complaint was cancelled, or the idempotency key was used for different content' },
    example: `curl -X POST $BASE${BASE}/7/compensations ${curlUser} -H "Idempotency-Key: comp-123" -H "Content-Type: application/json" \\\n  -d '{"payer":"insurer","amount":"850.00","paidOn":"2026-11-28","method":"transfer","reference":"BX-2026-0001"}'`,
  },
  {
    method: 'get',
    path: `${BASE}/{id}/compensations`,
    operationId: 'listCompensations',
    summary: 'The compensation recorded on a complaint, in the order paid, with the total',
    tags,
    responseSchema: compensationListResponse,
    errors: { '404': 'No such complaint in your communities' },
  },
];
