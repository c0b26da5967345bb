// JSON API for the ERP's owner app (WeChat mini program, H5) under <routes prefix>/api/owner: the owner's
// complaints, a new complaint for one of their units (channel app), the status of one, additions and the
// owner's rating. The app's back end signs an owner token (X-Complaints-Owner: owner id, their units,
// expiry) with the shared secret, in the user token's scheme. The same validation, limits and audit trail
// as the status page: the complaint and owner services decide; this router only reads the token.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { OWNER_HEADER, verifyOwnerToken, type OwnerClaims } from '../../auth/ownerToken.js';
import { DomainError, NotFoundError, ValidationError, fieldError } from '../../common/errors.js';
import { msg } from '../../common/localized.js';
import type { PluginContext } from '../../common/context.js';
import { createComplaintSchema } from '../../complaints/schemas.js';
import type { Complaint } from '../../complaints/types.js';
import type { AttachmentService } from '../../attachments/service.js';
import { attachmentNotFound } from '../../attachments/messages.js';
import { sendAttachment } from '../attachmentResponse.js';
import { isMultipart, parseMultipart } from '../multipart.js';
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

/** The owner token of the request (X-Complaints-Owner), verified; 401 in words otherwise. */
function ownerTokenMiddleware(ctx: PluginContext, options: OwnerApiOptions): Middleware {
  return async (k, next) => {
    if (!options.secret) throw new DomainError('owner_api_disabled', 401, m.ownerApiDisabled);
    const token = k.get(OWNER_HEADER);
    if (!token) throw new DomainError('owner_token_missing', 401, m.ownerTokenMissing);
    const settings = await ctx.settings.get();
    const check = verifyOwnerToken(token, options.secret, ctx.clock.now().getTime(), settings.userHeaderMaxLifetimeHours * 3600);
    if (!check.ok) throw new DomainError('owner_token_invalid', 401, m.ownerTokenInvalid, [], { reason: check.reason });
    k.state.owner = check.owner;
    await next();
  };
}

export function ownerApiRouter(ctx: PluginContext, owner: OwnerService, options: OwnerApiOptions): Router {
  const router = new Router({ prefix: BASE });
  router.use(ownerTokenMiddleware(ctx, options));

  router.get('/complaints', async (k) => {
    const o = ownerOf(k);
    k.body = { items: (await owner.listMine({ ownerId: o.ownerId, unitIds: o.unitIds })).map(item) };
  });

  router.post('/complaints', async (k) => {
    const o = ownerOf(k);
    const key = k.get('idempotency-key') || undefined;
    const { complaint, created } = await owner.fileComplaint({ ownerId: o.ownerId, unitIds: o.unitIds }, k.request.body, {
      ip: k.ip,
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

  // The owner-visible files the status lists (attachments[].url / thumbnailUrl), with the staff's serving headers.
  for (const [suffix, variant] of [
    ['content', 'original'],
    ['thumbnail', 'thumbnail'],
  ] as const) {
    router.get(`/complaints/:id/attachments/:aid/${suffix}`, async (k) => {
      const raw = String((k.params as Record<string, string>).aid ?? '');
      if (!/^[1-9]\d{0,9}$/.test(raw)) throw new NotFoundError(attachmentNotFound);
      const access = { kind: 'app' as const, owner: ownerOf(k), complaintId: idOf(k) };
      sendAttachment(k, await owner.attachment(access, Number(raw), variant), { download: k.query.download === '1' });
    });
  }
  return router;
}

/**
 * Photos from the owner app: multipart/form-data (`files`, and optionally `text`) added to one of the
 * owner's open complaints, exactly as an addition with photos on the status page (checked by content,
 * limits from settings, owner-visible, limited per owner and per IP). Mounted before the JSON-only routers,
 * since it parses its own body. A new complaint with photos is this after POST /api/owner/complaints.
 */
export function ownerUploadRouter(ctx: PluginContext, owner: OwnerService, files: AttachmentService, options: OwnerApiOptions): Router {
  const router = new Router({ prefix: BASE });
  router.post('/complaints/:id/attachments', ownerTokenMiddleware(ctx, options), async (k) => {
    if (!isMultipart(k)) {
      throw new DomainError('unsupported_media_type', 415, msg('上传照片须用 multipart/form-data', 'Photos must be sent as multipart/form-data'));
    }
    const access = { kind: 'app' as const, owner: ownerOf(k), complaintId: idOf(k) };
    // The complaint must be the owner's before a byte of the upload is read.
    await owner.status(access);
    const { fields, files: uploads } = await parseMultipart(k, await files.limits());
    const photos = uploads.filter((f) => f.field === 'files');
    if (!photos.length) throw new ValidationError([fieldError('files', '请选择要上传的照片或文件', 'Choose at least one photo or file')]);
    try {
      await owner.addInformation(access, fields.get('text') ?? '', k.ip, photos);
    } catch (err) {
      if (err instanceof DomainError && err.status === 429) k.set('Retry-After', '3600');
      throw err;
    }
    k.status = 201;
    k.body = await owner.status(access);
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
const ownerAttachmentSchema = {
  type: 'object',
  required: ['id', 'name', 'url', 'thumbnailUrl'],
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    url: { type: 'string', description: 'GET with the same X-Complaints-Owner header (the routes prefix included)' },
    thumbnailUrl: { type: ['string', 'null'], description: 'A JPEG thumbnail of an image; null for other files' },
  },
} as const;
const statusSchema = {
  type: 'object',
  description:
    'What the status page shows: the code, the state in plain words with the promised date, owner-visible steps, the reply and its basis, owner-visible attachments (with addresses the owner token may fetch), whether the owner may add or rate',
  properties: { attachments: { type: 'array', items: ownerAttachmentSchema } },
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
    summary:
      'A new complaint about one of the owner’s units, from the owner app (channel app); Idempotency-Key accepted. Photos follow with POST …/{id}/attachments. Limited per owner and per IP address per hour (ownerAdditionsPerHour, ownerAdditionsPerIpPerHour, counted apart from additions)',
    tags: ['owner'],
    security: 'owner',
    requestSchema: ownerCreateSchema,
    responseSchema: { type: 'object', properties: { complaint: { type: 'object' }, status: statusSchema } },
    errors: { '400': 'Invalid input, or a unit not in the token', '429': 'Too many complaints this hour' },
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
  {
    method: 'post',
    path: `${BASE}/complaints/{id}/attachments`,
    operationId: 'ownerUploadPhotos',
    created: true,
    summary:
      'Photos or files from the owner app on one of the owner’s open complaints (multipart/form-data: `files`, optionally `text`), owner-visible; limits from settings (size, count, JPEG/PNG/WebP/HEIC/PDF judged by content); counted as an addition (per owner and per IP per hour). Any refused file refuses them all, each named in `fields`',
    tags: ['owner'],
    security: 'owner',
    requestContentType: 'multipart/form-data',
    requestSchema: {
      type: 'object',
      required: ['files'],
      properties: {
        files: { type: 'array', items: { type: 'string', contentMediaType: 'application/octet-stream' } },
        text: { type: 'string', maxLength: 500 },
      },
    },
    responseSchema: statusSchema,
    errors: {
      '400': 'No file, or a refused file (named in fields)',
      '404': 'No such complaint among the owner’s units',
      '409': 'The complaint is closed',
      '413': 'The request is too large',
      '415': 'Not multipart/form-data',
      '429': 'Too many additions this hour',
    },
    example: `curl -X POST "$BASE${BASE}/complaints/7/attachments" ${curlOwner} -F files=@leak.jpg -F text=补充照片`,
  },
  {
    method: 'get',
    path: `${BASE}/complaints/{id}/attachments/{aid}/content`,
    operationId: 'ownerAttachmentContent',
    summary: 'An owner-visible file of one of the owner’s complaints (images inline; ?download=1 downloads), with nosniff and a sandboxing CSP',
    tags: ['owner'],
    security: 'owner',
    responseContentType: ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'application/pdf', 'application/octet-stream'],
    responseSchema: { type: 'string', contentMediaType: 'application/octet-stream' },
    errors: { '404': 'No such owner-visible file on one of the owner’s complaints' },
  },
  {
    method: 'get',
    path: `${BASE}/complaints/{id}/attachments/{aid}/thumbnail`,
    operationId: 'ownerAttachmentThumbnail',
    summary: 'The JPEG thumbnail of an owner-visible image',
    tags: ['owner'],
    security: 'owner',
    responseContentType: 'image/jpeg',
    responseSchema: { type: 'string', contentMediaType: 'image/jpeg' },
    errors: { '404': 'No such owner-visible image on one of the owner’s complaints' },
  },
];
