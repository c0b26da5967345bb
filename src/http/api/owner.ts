// JSON API for the ERP's owner app (WeChat mini program, H5) under <routes prefix>/api/owner: the owner's
// complaints, a new complaint for one of their units (channel app), the status of one, additions and the
// owner's rating. The app's back end signs an owner token (X-Complaints-Owner: owner id, their units,
// expiry) with the shared secret, in the user token's scheme. The same validation, limits and audit trail
// as the status page: the complaint and owner services decide; this router only reads the token.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Actor } from '../../auth/actor.js';
import { OWNER_HEADER, verifyOwnerToken, type OwnerClaims } from '../../auth/ownerToken.js';
import { DomainError, NotFoundError } from '../../common/errors.js';
import type { PluginContext } from '../../common/context.js';
import type { ComplaintService } from '../../complaints/service.js';
import { createComplaintSchema } from '../../complaints/schemas.js';
import type { Complaint } from '../../complaints/types.js';
import * as m from '../../owner/messages.js';
import type { OwnerService } from '../../owner/service.js';
import type { ApiOperation } from '../openapi.js';

const BASE = '/api/owner';

function ownerOf(ctx: Context): OwnerClaims {
  return ctx.state.owner as OwnerClaims;
}

function idOf(ctx: Context): number {
  const raw = String((ctx.params as Record<string, string>).id ?? '');
  if (!/^[1-9]\d{0,9}$/.test(raw)) throw new NotFoundError(m.notYourComplaint);
  return Number(raw);
}

function item(c: Complaint) {
  return {
    id: c.id,
    code: c.code,
    state: c.state,
    unitId: c.unitId,
    unitLabel: c.unitLabel,
    receivedAt: c.receivedAt.toISOString(),
    closedAt: c.closedAt?.toISOString() ?? null,
  };
}

export interface OwnerApiOptions {
  /** The shared secret the owner app signs with (the same as the user token's); without it every route answers 401. */
  secret?: string | undefined;
}

export function ownerApiRouter(ctx: PluginContext, complaints: ComplaintService, owner: OwnerService, options: OwnerApiOptions): Router {
  const router = new Router({ prefix: BASE });
  const requireOwner: Middleware = async (k, next) => {
    if (!options.secret) throw new DomainError('owner_api_disabled', 401, m.ownerApiDisabled);
    const token = k.get(OWNER_HEADER);
    if (!token) throw new DomainError('owner_token_missing', 401, m.ownerTokenMissing);
    const settings = await ctx.settings.get();
    const check = verifyOwnerToken(token, options.secret, ctx.clock.now().getTime(), settings.userHeaderMaxLifetimeHours * 3600);
    if (!check.ok) throw new DomainError('owner_token_invalid', 401, m.ownerTokenInvalid, [], { reason: check.reason });
    k.state.owner = check.owner;
    await next();
  };
  router.use(requireOwner);

  router.get('/complaints', async (k) => {
    const o = ownerOf(k);
    k.body = { items: (await owner.listMine({ ownerId: o.ownerId, unitIds: o.unitIds })).map(item) };
  });

  router.post('/complaints', async (k) => {
    const o = ownerOf(k);
    const body = { ...(k.request.body as Record<string, unknown>) };
    const unitId = typeof body.unitId === 'string' ? body.unitId : '';
    if (unitId && !o.unitIds.includes(unitId)) throw new DomainError('validation_failed', 400, m.notYourUnit.message, [m.notYourUnit]);
    // What the app may leave out comes from the owner's own record in the ERP.
    const unit = unitId ? await ctx.host.getUnit(unitId) : null;
    const me = unit?.owners.find((x) => x.id === o.ownerId);
    const input = {
      ...body,
      channel: 'app',
      complainantRelation: body.complainantRelation ?? 'owner',
      ...(me ? { ownerId: me.id } : {}),
      complainantName: body.complainantName ?? me?.name ?? undefined,
      complainantPhone: body.complainantPhone ?? me?.phone ?? undefined,
      category: body.category ?? 'other',
    };
    const actor: Actor = { id: `owner:${o.ownerId}`.slice(0, 64), name: '业主（小程序）', roles: [], communityIds: [] };
    const key = k.get('idempotency-key') || undefined;
    const { complaint, created } = await complaints.create(input, actor, {
      asOwner: { ownerId: o.ownerId, unitIds: o.unitIds },
      ...(key ? { idempotencyKey: key } : {}),
    });
    k.status = created ? 201 : 200;
    k.body = { complaint: item(complaint), status: await owner.status({ kind: 'app', owner: o, complaintId: complaint.id }) };
  });

  router.get('/complaints/:id', async (k) => {
    k.body = await owner.status({ kind: 'app', owner: ownerOf(k), complaintId: idOf(k) });
  });

  router.post('/complaints/:id/information', async (k) => {
    const body = k.request.body as Record<string, unknown>;
    const access = { kind: 'app' as const, owner: ownerOf(k), complaintId: idOf(k) };
    try {
      await owner.addInformation(access, body.text, k.ip);
    } catch (err) {
      if (err instanceof DomainError && err.status === 429) k.set('Retry-After', '3600');
      throw err;
    }
    k.body = await owner.status(access);
  });

  router.post('/complaints/:id/rating', async (k) => {
    const access = { kind: 'app' as const, owner: ownerOf(k), complaintId: idOf(k) };
    const { rating, continuation } = await owner.rate(access, k.request.body);
    k.body = { rating: { stars: rating.stars, comment: rating.comment, rehandle: rating.rehandle }, continuation: continuation ? item(continuation) : null };
  });
  return router;
}

// ----- OpenAPI --------------------------------------------------------------------------------------

const { idempotencyKey: _key, channel: _channel, ...createProps } = createComplaintSchema.properties;
const ownerCreateSchema = {
  type: 'object',
  required: ['unitId', 'description'],
  properties: createProps,
  description: 'As the staff intake, channel app; complainantName and complainantPhone default to the owner in the ERP, category to other',
};
const statusSchema = {
  type: 'object',
  description:
    'What the status page shows: the code, the state in plain words with the promised date, owner-visible steps, the reply and its basis, attachments (empty until attachments land), whether the owner may add or rate',
};
const curlOwner = '-H "X-Complaints-Owner: $OWNER_TOKEN"';

export const ownerApiOperations: ApiOperation[] = [
  {
    method: 'get',
    path: `${BASE}/complaints`,
    operationId: 'ownerComplaints',
    summary: "The owner's complaints (about the units in their token), newest first",
    tags: ['owner'],
    security: 'owner',
    example: `curl "$BASE${BASE}/complaints" ${curlOwner}`,
  },
  {
    method: 'post',
    path: `${BASE}/complaints`,
    operationId: 'ownerCreateComplaint',
    creates: { location: false },
    summary: 'A new complaint about one of the owner’s units, from the owner app (channel app); Idempotency-Key accepted',
    tags: ['owner'],
    security: 'owner',
    requestSchema: ownerCreateSchema,
    responseSchema: { type: 'object', properties: { complaint: { type: 'object' }, status: statusSchema } },
    errors: { '400': 'Invalid input, or a unit not in the token' },
  },
  {
    method: 'get',
    path: `${BASE}/complaints/{id}`,
    operationId: 'ownerComplaintStatus',
    summary: 'The status page of one of the owner’s complaints, as JSON',
    tags: ['owner'],
    security: 'owner',
    responseSchema: statusSchema,
    errors: { '404': 'No such complaint among the owner’s units' },
  },
  {
    method: 'post',
    path: `${BASE}/complaints/{id}/information`,
    operationId: 'ownerAddInformation',
    summary: 'Adds information to an open complaint (text, 1–500 characters); limited per owner and per IP address per hour',
    tags: ['owner'],
    security: 'owner',
    requestSchema: { type: 'object', required: ['text'], properties: { text: { type: 'string', minLength: 1, maxLength: 500 } } },
    responseSchema: statusSchema,
    errors: { '409': 'The complaint is closed', '429': 'Too many additions this hour' },
  },
  {
    method: 'post',
    path: `${BASE}/complaints/{id}/rating`,
    operationId: 'ownerRate',
    summary: 'The owner’s own rating after the reply, once: 1–5 stars, a comment, and with 1–2 stars optionally re-handling (a linked new complaint)',
    tags: ['owner'],
    security: 'owner',
    requestSchema: {
      type: 'object',
      required: ['stars'],
      properties: { stars: { type: 'integer', minimum: 1, maximum: 5 }, comment: { type: 'string', maxLength: 500 }, rehandle: { type: 'boolean' } },
    },
    errors: { '409': 'Not replied yet, cancelled, or already rated' },
  },
];
