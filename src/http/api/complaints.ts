// JSON API for complaints under <routes prefix>/api/complaints. Thin: it reads the actor, the body, the
// query and the path, and hands them to ComplaintService, which validates and decides. Errors are
// DomainErrors turned into JSON by apiErrorMiddleware upstream.
import Router from '@koa/router';
import type { Context } from 'koa';
import { actorOf, requireActor } from '../signedIn.js';
import { idempotencyKeysDisagree } from '../../common/messages.js';
import { ACTIONS, RULES } from '../../complaints/states.js';
import { complaintNotFound } from '../../complaints/scope.js';
import { createComplaintSchema, followUpSchema, listQuerySchema, transitionSchemas } from '../../complaints/schemas.js';
import { mergeSchema } from '../../complaints/merge.js';
import { createComplaintService, type ComplaintService } from '../../complaints/service.js';
import { recordCompensationSchema, type RecordCompensationInput } from '../../compensations/schemas.js';
import { createCompensationService, type CompensationService } from '../../compensations/service.js';
import { ValidationError } from '../../common/errors.js';
import type { PluginContext } from '../../common/context.js';
import type { ApiOperation } from '../openapi.js';
import { coerceQuery } from '../query.js';
import { dateJson } from '../jsonDates.js';
import { complaintEnvelope, contactResponse, detailResponse, eventsResponse, followUpResultResponse, listResponse } from './complaintResponses.js';
import { createPrivacyService, type PrivacyService } from '../../privacy/service.js';
import { maskedRecord, maskedRecordWithDates, maskMobilesDeep } from '../../privacy/mask.js';
import type { Complaint } from '../../complaints/types.js';
import { compensationEnvelope, compensationJson, compensationListJson, compensationListResponse } from './compensationResponses.js';

const BASE = '/api/complaints';

/** Answers carry the complainant's number masked (138****8000); POST …/{id}/contact reveals it, audited. */
function masked<T extends Complaint>(c: T): T {
  return maskedRecord(c);
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
  privacy: PrivacyService = createPrivacyService(ctx),
): Router {
  const router = new Router({ prefix: BASE });
  router.use(requireActor);

  router.post('/', async (k) => {
    const header = k.get('Idempotency-Key');
    const { complaint, created } = await service.create(bodyOf(k), actorOf(k), { idempotencyKey: header || undefined });
    k.status = created ? 201 : 200;
    if (!created) k.set('Idempotent-Replayed', 'true');
    k.set('Location', `${k.path.replace(/\/$/, '')}/${complaint.id}`);
    k.body = { complaint: masked(complaint) };
  });

  router.get('/', async (k) => {
    // ?lang= belongs to the locale middleware, not to the list filters.
    const { lang: _lang, ...query } = k.query;
    const result = await service.list(coerceQuery(listQuerySchema, query), actorOf(k));
    // Dates as the text JSON.stringify would write for them, in the masking pass (same bytes, less CPU).
    k.body = { ...result, items: result.items.map((c) => maskedRecordWithDates(c, dateJson)) };
  });

  router.get('/:id', async (k) => {
    const detail = await service.get(idOf(k), actorOf(k));
    k.body = { ...detail, complaint: masked(detail.complaint) };
  });

  // The full number, for someone who calls owners (complaint.contact); who, when and which complaint is audited.
  router.post('/:id/contact', async (k) => {
    k.body = await privacy.revealContact(idOf(k), actorOf(k));
  });

  router.get('/:id/events', async (k) => {
    // Notes and changed values may quote a number typed into free text: masked like the rest.
    k.body = { events: (await service.events(idOf(k), actorOf(k))).map((e) => maskMobilesDeep(e) as typeof e) };
  });

  router.post('/:id/transitions/:action', async (k) => {
    const complaint = await service.transition(idOf(k), String(k.params.action), bodyOf(k), actorOf(k));
    k.body = { complaint: masked(complaint) };
  });

  router.get('/:id/hotline-reply', async (k) => {
    k.body = { reply: await service.hotlineReply(idOf(k), actorOf(k)) };
  });

  router.post('/:id/merge', async (k) => {
    k.body = await service.merge(idOf(k), bodyOf(k), actorOf(k));
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
      throw new ValidationError([idempotencyKeysDisagree()]);
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
    method: 'post',
    path: `${BASE}/{id}/contact`,
    operationId: 'revealComplaintContact',
    summary:
      "The complainant's full mobile number (other answers show it masked, 138****8000); needs complaint.contact; records who asked, when and for which complaint",
    tags,
    responseSchema: contactResponse,
    errors: { '403': 'You may not see full contact numbers', '404': 'No such complaint in your communities' },
    example: `curl -X POST $BASE${BASE}/7/contact ${curlUser}`,
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
    method: 'get',
    path: `${BASE}/{id}/hotline-reply`,
    operationId: 'hotlineReply',
    summary:
      'A 12345 referral’s reply, ready to paste into the hotline’s system: work-order number, 处理结果 (the reply), 办理依据 (its basis), when replied and whether within the hotline deadline',
    tags,
    responseSchema: {
      type: 'object',
      properties: {
        reply: {
          type: 'object',
          properties: {
            externalRef: { type: 'string' },
            result: { type: 'string' },
            basis: { type: 'string' },
            repliedAt: { type: 'string', format: 'date-time' },
            dueAt: { type: ['string', 'null'], format: 'date-time' },
            onTime: { type: ['boolean', 'null'] },
            text: { type: 'string' },
          },
        },
      },
    },
    errors: { '404': 'No such complaint in your communities, or not a 12345 referral', '409': 'Not replied to yet (not_replied)' },
  },
  {
    method: 'post',
    path: `${BASE}/{id}/merge`,
    operationId: 'mergeComplaint',
    summary:
      'Merge this duplicate (合并) into the survivor `survivorId`: the duplicate closes as merged and points to it; its offset requests awaiting approval move to the survivor, and an approved offset refuses the merge (409 merge_offset_decided, with the reason); its complainant is followed up on the duplicate once the survivor is replied to; needs complaint.assess',
    tags,
    requestSchema: mergeSchema,
    responseSchema: {
      type: 'object',
      properties: {
        duplicate: complaintEnvelope.properties.complaint,
        survivor: complaintEnvelope.properties.complaint,
        carriedOffsetIds: { type: 'array', items: { type: 'integer' } },
      },
    },
    errors: {
      '400': 'survivorId missing, the same complaint, another community, or not found',
      '409': 'Not open, changed since `version`, or an offset that cannot move (merge_offset_decided, merge_offset_other_unit, merge_offset_not_carried)',
    },
  },
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
