// JSON API for the improvement register (总结改进) under <routes prefix>/api/improvements: record an action
// from a report figure, change its status with its version, list them, and read its effect
// (?days=N: complaints and repeats in its scope the N days before it took effect against the N after).
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Actor } from '../../auth/actor.js';
import { DomainError } from '../../common/errors.js';
import { msg } from '../../common/localized.js';
import type { PluginContext } from '../../common/context.js';
import { createImprovementService, recordActionSchema, type ActionStatus } from '../../reports/improvements.js';
import type { ApiOperation } from '../openapi.js';

const BASE = '/api/improvements';

const requireActor: Middleware = async (ctx, next) => {
  if (!ctx.state.actor) throw new DomainError('unauthenticated', 401, msg('请先登录', 'Please sign in'));
  await next();
};
const actorOf = (ctx: Context) => ctx.state.actor as Actor;
const bodyOf = (ctx: Context) => ((ctx.request as { body?: unknown }).body ?? {}) as Record<string, unknown>;
function idOf(ctx: Context): number {
  const raw = (ctx.params as Record<string, string>).id ?? '';
  if (!/^[1-9]\d{0,9}$/.test(raw)) throw new DomainError('not_found', 404, msg('整改措施不存在', 'Improvement action not found'));
  return Number(raw);
}

export function improvementsApiRouter(ctx: PluginContext): Router {
  const service = createImprovementService(ctx);
  const router = new Router({ prefix: BASE });
  router.use(requireActor);
  router.post('/', async (k) => {
    k.status = 201;
    k.body = { action: await service.record(bodyOf(k), actorOf(k)) };
  });
  router.get('/', async (k) => {
    k.body = { actions: await service.list(actorOf(k)) };
  });
  router.post('/:id/status', async (k) => {
    const body = bodyOf(k);
    k.body = { action: await service.setStatus(idOf(k), { version: Number(body.version), status: String(body.status) as ActionStatus }, actorOf(k)) };
  });
  router.get('/:id/effect', async (k) => {
    k.body = { effect: await service.effect(idOf(k), Number(k.query.days ?? 30), actorOf(k)) };
  });
  return router;
}

const tags = ['improvements'];
export const improvementsApiOperations: ApiOperation[] = [
  {
    method: 'post',
    path: BASE,
    operationId: 'recordImprovement',
    created: true,
    summary:
      'Record an improvement action (整改措施) from a report figure: scopeKind category|unit|building|community, scopeValue, what, ownerName, dueOn, takenOn?, status?; needs report.view',
    tags,
    requestSchema: recordActionSchema,
    errors: { '400': 'Field-level messages' },
  },
  { method: 'get', path: BASE, operationId: 'listImprovements', summary: 'The improvement actions you may see, newest first', tags },
  {
    method: 'post',
    path: `${BASE}/{id}/status`,
    operationId: 'setImprovementStatus',
    summary: 'Change the status ({ version, status: planned|in_progress|done|dropped })',
    tags,
    errors: { '409': 'Changed since version' },
  },
  {
    method: 'get',
    path: `${BASE}/{id}/effect`,
    operationId: 'improvementEffect',
    summary:
      'Complaints and repeat complaints in the action’s scope in the N days (?days=, default 30) before the day it took effect and the N days from it, with the counts; complete: false while the days after are not over',
    tags,
  },
];
