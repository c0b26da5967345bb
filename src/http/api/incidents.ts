// JSON API for incidents (事件 / 群诉) under <routes prefix>/api/incidents: create one, add complaints while
// it is open, take a step for all its complaints at once (start-investigation, assess, plan, resolve: the
// body is that step's input without `version`), close it. Follow-up visits stay per complaint
// (POST /api/complaints/{id}/follow-ups).
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Actor } from '../../auth/actor.js';
import { DomainError } from '../../common/errors.js';
import { msg } from '../../common/localized.js';
import { GROUP_ACTIONS, createIncidentSchema } from '../../complaints/incidents.js';
import type { ComplaintService } from '../../complaints/service.js';
import type { ApiOperation } from '../openapi.js';

const BASE = '/api/incidents';

const requireActor: Middleware = async (ctx, next) => {
  if (!ctx.state.actor) throw new DomainError('unauthenticated', 401, msg('请先登录', 'Please sign in'));
  await next();
};
const actorOf = (ctx: Context) => ctx.state.actor as Actor;
const bodyOf = (ctx: Context) => ((ctx.request as { body?: unknown }).body ?? {}) as Record<string, unknown>;
function idOf(ctx: Context, name = 'id'): number {
  const raw = (ctx.params as Record<string, string>)[name] ?? '';
  if (!/^[1-9]\d{0,9}$/.test(raw)) throw new DomainError('not_found', 404, msg('不存在', 'Not found'));
  return Number(raw);
}

export function incidentsApiRouter(service: ComplaintService): Router {
  const router = new Router({ prefix: BASE });
  router.use(requireActor);
  router.post('/', async (k) => {
    k.status = 201;
    k.body = { incident: await service.incidents.create(bodyOf(k), actorOf(k)) };
  });
  router.get('/:id', async (k) => {
    k.body = await service.incidents.get(idOf(k), actorOf(k));
  });
  router.post('/:id/complaints/:complaintId', async (k) => {
    k.body = { complaint: await service.incidents.join(idOf(k), idOf(k, 'complaintId'), actorOf(k)) };
  });
  router.post('/:id/act/:action', async (k) => {
    k.body = await service.incidents.act(idOf(k), String(k.params.action), bodyOf(k), actorOf(k));
  });
  router.post('/:id/close', async (k) => {
    const version = Number(bodyOf(k).version);
    k.body = { incident: await service.incidents.close(idOf(k), version, actorOf(k)) };
  });
  return router;
}

const tags = ['incidents'];
export const incidentsApiOperations: ApiOperation[] = [
  {
    method: 'post',
    path: BASE,
    operationId: 'createIncident',
    created: true,
    summary: 'Open an incident (事件/群诉) for one event many owners complain about; needs complaint.assess',
    tags,
    requestSchema: createIncidentSchema,
    errors: { '400': 'Field-level messages' },
  },
  {
    method: 'get',
    path: `${BASE}/{id}`,
    operationId: 'getIncident',
    summary: 'The incident and its complaints',
    tags,
    errors: { '404': 'No such incident in your communities' },
  },
  {
    method: 'post',
    path: `${BASE}/{id}/complaints/{complaintId}`,
    operationId: 'joinIncident',
    summary: 'Add an open complaint of the incident’s community while the incident is open',
    tags,
    errors: { '409': 'The incident is closed, the complaint is closed or already in an incident' },
  },
  {
    method: 'post',
    path: `${BASE}/{id}/act/{action}`,
    operationId: 'incidentGroupAction',
    summary: `Take one step for every open complaint of the incident (${GROUP_ACTIONS.join(', ')}); the body is that step's input without version; answers the complaints done and those skipped with why. Follow-ups stay per complaint`,
    tags,
    errors: { '404': 'No such incident, or not a group action', '400': 'Bad input for the step' },
  },
  {
    method: 'post',
    path: `${BASE}/{id}/close`,
    operationId: 'closeIncident',
    summary: 'Close the incident ({ version }): no more complaints join; each complaint closes with its own follow-up',
    tags,
    errors: { '409': 'Already closed, or changed since version' },
  },
];
