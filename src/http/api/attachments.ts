// JSON API for attachments under <routes prefix>/api/complaints/{id}/attachments. Uploads are
// multipart/form-data (fields `step`, `visibility`, one or more files in `files`), so this router parses
// its own bodies and is mounted before the JSON-only routers. Reading an attachment answers with its
// bytes and the headers of src/http/attachmentResponse.ts. Scoped exactly like the complaint detail.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { actorOf, requireActor } from '../signedIn.js';
import type { AttachmentService } from '../../attachments/service.js';
import { STEPS, type Attachment, type AttachmentStep } from '../../attachments/types.js';
import { NotFoundError, ValidationError, fieldError } from '../../common/errors.js';
import { complaintNotFound } from '../../complaints/scope.js';
import { VISIBILITY, isVisibility } from '../../complaints/visibility.js';
import { DomainError } from '../../common/errors.js';
import { msg } from '../../common/localized.js';
import type { ApiOperation } from '../openapi.js';
import { isMultipart, parseMultipart } from '../multipart.js';
import { sendAttachment } from '../attachmentResponse.js';
import { requireJsonContent, requireJsonObject } from '../jsonBody.js';
import { attachmentNotFound } from '../../attachments/messages.js';

const BASE = '/api/complaints/:id/attachments';

function idOf(ctx: Context): number {
  const raw = (ctx.params as Record<string, string>).id ?? '';
  if (!/^[1-9]\d{0,9}$/.test(raw)) throw complaintNotFound();
  return Number(raw);
}

function attachmentIdOf(ctx: Context): number {
  const raw = (ctx.params as Record<string, string>).aid ?? '';
  if (!/^[1-9]\d{0,9}$/.test(raw)) throw new NotFoundError(attachmentNotFound);
  return Number(raw);
}

/** An attachment as the API shows it (the storage key stays inside). */
export function attachmentJson(a: Attachment, base: string) {
  const url = `${base}/api/complaints/${a.complaintId}/attachments/${a.id}`;
  return {
    id: a.id,
    complaintId: a.complaintId,
    step: a.step,
    visibility: a.visibility,
    fileName: a.fileName,
    mime: a.mime,
    sizeBytes: a.sizeBytes,
    sha256: a.sha256,
    width: a.width,
    height: a.height,
    processing: a.processing,
    uploadedBy: { id: a.uploadedBy, name: a.uploadedByName },
    uploadedAt: a.uploadedAt.toISOString(),
    removedAt: a.removedAt ? a.removedAt.toISOString() : null,
    removedReason: a.removedReason,
    contentUrl: a.removedAt ? null : `${url}/content`,
    thumbnailUrl: a.removedAt || !a.hasThumbnail ? null : `${url}/thumbnail`,
  };
}

export function attachmentsApiRouter(service: AttachmentService, routesPrefix: string): Router {
  const router = new Router();
  const actor = actorOf;

  router.get(BASE, requireActor, async (k) => {
    const all = k.query.includeRemoved === 'true';
    k.body = { attachments: (await service.list(idOf(k), actor(k), { includeRemoved: all })).map((a) => attachmentJson(a, routesPrefix)) };
  });

  router.post(BASE, requireActor, async (k) => {
    if (!isMultipart(k)) {
      throw new DomainError('unsupported_media_type', 415, msg('上传附件须用 multipart/form-data', 'Uploads must be multipart/form-data'));
    }
    const id = idOf(k);
    const limits = await service.limits();
    const { fields, files } = await parseMultipart(k, limits);
    const step = fields.get('step') ?? '';
    const visibility = fields.get('visibility') ?? undefined;
    const errors = [];
    if (!(STEPS as readonly string[]).includes(step) || step === 'owner') {
      errors.push(
        fieldError(
          'step',
          '请填写附件所属步骤：intake、progress、reply_before、reply_after 或 follow_up',
          'Give the step: intake, progress, reply_before, reply_after or follow_up',
        ),
      );
    }
    if (visibility !== undefined && !isVisibility(visibility))
      errors.push(fieldError('visibility', '可见范围只能是 owner_visible 或 internal', 'Visibility must be owner_visible or internal'));
    if (files.length === 0) errors.push(fieldError('files', '请选择要上传的文件', 'Choose at least one file'));
    if (errors.length) throw new ValidationError(errors);
    const saved = await service.attach(id, files, { step: step as AttachmentStep, ...(isVisibility(visibility) ? { visibility } : {}) }, actor(k));
    k.status = 201;
    k.body = { attachments: saved.map((a) => attachmentJson(a, routesPrefix)) };
  });

  router.get(`${BASE}/:aid/content`, requireActor, async (k) => {
    sendAttachment(k, await service.read(idOf(k), attachmentIdOf(k), 'original', actor(k)), { download: k.query.download === '1' });
  });

  router.get(`${BASE}/:aid/thumbnail`, requireActor, async (k) => {
    sendAttachment(k, await service.read(idOf(k), attachmentIdOf(k), 'thumbnail', actor(k)));
  });

  router.post(
    `${BASE}/:aid/remove`,
    requireActor,
    requireJsonContent(),
    bodyParser({ jsonLimit: '16kb', enableTypes: ['json'] }),
    requireJsonObject(),
    async (k) => {
      const body = ((k.request as { body?: unknown }).body ?? {}) as { reason?: unknown };
      const reason = typeof body.reason === 'string' ? body.reason : '';
      const removed = await service.remove(idOf(k), attachmentIdOf(k), reason, actor(k));
      k.body = { attachment: attachmentJson(removed, routesPrefix) };
    },
  );

  return router;
}

const tags = ['attachments'];
const curlUser = `-H "X-Complaints-User: $TOKEN"`;
const attachmentSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    complaintId: { type: 'integer' },
    step: { type: 'string', enum: [...STEPS] },
    visibility: { type: 'string', enum: [...VISIBILITY.values] },
    fileName: { type: 'string' },
    mime: { type: 'string', description: 'Detected from the content, never taken from the upload' },
    sizeBytes: { type: 'integer' },
    sha256: { type: 'string' },
    width: { type: ['integer', 'null'] },
    height: { type: ['integer', 'null'] },
    processing: { type: 'string', enum: ['reencoded', 'as_uploaded'], description: 'reencoded: an image written again without EXIF/GPS' },
    uploadedBy: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
    uploadedAt: { type: 'string', format: 'date-time' },
    removedAt: { type: ['string', 'null'], format: 'date-time' },
    removedReason: { type: ['string', 'null'] },
    contentUrl: { type: ['string', 'null'] },
    thumbnailUrl: { type: ['string', 'null'] },
  },
} as const;
const listSchema = { type: 'object', properties: { attachments: { type: 'array', items: attachmentSchema } } } as const;
const P = '/api/complaints/{id}/attachments';

export const attachmentsApiOperations: ApiOperation[] = [
  {
    method: 'get',
    path: P,
    operationId: 'listAttachments',
    summary: 'The attachments of a complaint (includeRemoved=true: removed ones too, without content)',
    tags,
    querySchema: { type: 'object', properties: { includeRemoved: { type: 'string', enum: ['true', 'false'] } } },
    responseSchema: listSchema,
    errors: { '404': 'No such complaint in your communities' },
  },
  {
    method: 'post',
    path: P,
    operationId: 'uploadAttachments',
    created: true,
    summary:
      'Attach files to one step of a complaint (multipart/form-data). Limits from settings (default 10 MB a file, 9 files a request; JPEG, PNG, WebP, HEIC, PDF judged by content). Images are stored re-encoded without EXIF/GPS, with a thumbnail. Any refused file refuses them all, each named in `fields`',
    tags,
    requestContentType: 'multipart/form-data',
    requestSchema: {
      type: 'object',
      required: ['step', 'files'],
      properties: {
        step: { type: 'string', enum: STEPS.filter((s) => s !== 'owner') },
        visibility: { type: 'string', enum: [...VISIBILITY.values], description: 'Default: owner_visible for reply_before/reply_after, internal otherwise' },
        files: { type: 'array', items: { type: 'string', contentMediaType: 'application/octet-stream' } },
      },
    },
    responseSchema: listSchema,
    errors: {
      '404': 'No such complaint in your communities',
      '409': 'The complaint is cancelled',
      '413': 'The request is too large',
      '415': 'Not multipart/form-data',
    },
    example: `curl -X POST $BASE${P.replace('{id}', '7')} ${curlUser} -F step=progress -F visibility=internal -F files=@leak.jpg -F files=@report.pdf`,
  },
  {
    method: 'get',
    path: `${P}/{aid}/content`,
    operationId: 'getAttachmentContent',
    summary: 'The file (images inline, other types as a download; ?download=1 always downloads), with nosniff and a sandboxing CSP',
    tags,
    responseContentType: ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'application/pdf', 'application/octet-stream'],
    responseSchema: { type: 'string', contentMediaType: 'application/octet-stream' },
    errors: { '404': 'No such attachment on a complaint in your communities (or removed)' },
  },
  {
    method: 'get',
    path: `${P}/{aid}/thumbnail`,
    operationId: 'getAttachmentThumbnail',
    summary: 'A JPEG thumbnail (at most 320 px) of an image attachment',
    tags,
    responseContentType: 'image/jpeg',
    responseSchema: { type: 'string', contentMediaType: 'image/jpeg' },
    errors: { '404': 'No such attachment, no thumbnail, or removed' },
  },
  {
    method: 'post',
    path: `${P}/{aid}/remove`,
    operationId: 'removeAttachment',
    summary: 'Remove an attachment (the uploader, or complaint.assess): its bytes are deleted, the record and audit trail stay',
    tags,
    requestSchema: {
      type: 'object',
      required: ['reason'],
      additionalProperties: false,
      properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } },
    },
    responseSchema: { type: 'object', properties: { attachment: attachmentSchema } },
    errors: { '404': 'No such attachment (or already removed)' },
  },
];
