// The attachment service: attach files to a complaint's step, list them, read their bytes, remove them.
// One factory over the plugin context and a store (subject first, then input, actor, options), as every
// domain service. Staff calls are scoped exactly like the complaint detail (permission complaint.view and
// the complaint's community; outside it answers as not found). The owner-side calls (`forOwner…`) are
// for the owner's status page and owner app: their caller has already verified a token bound to the
// complaint, and they see and add only owner-visible files.
//
// Every upload and removal writes an audit event (entity 'attachment') in the transaction that records it.
// A submission with any rejected file stores none of its files: the errors name each file and why.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { hasPermission, requirePermission, type Permission } from '../auth/permissions.js';
import { ConflictError, DomainError, NotFoundError, ValidationError, fieldError } from '../common/errors.js';
import { recordEvent } from '../common/events.js';
import type { PluginContext } from '../common/context.js';
import { findComplaint } from '../complaints/store/complaints.js';
import { visibleOrNotFound, complaintNotFound } from '../complaints/scope.js';
import { isVisibility, type Visibility } from '../complaints/visibility.js';
import type { Complaint } from '../complaints/types.js';
import { inTransaction } from '../db/transaction.js';
import { limitsFrom, prepareFiles, type AttachmentLimits } from './content.js';
import { attachmentNotFound, complaintClosedForOwner, mayNotRemove, removeReasonMissing } from './messages.js';
import { newStorageKey, type AttachmentStore } from './store/blobStore.js';
import { findAttachment, insertAttachment, listAttachments, markRemoved } from './store/attachments.js';
import {
  STEP_DEFAULT_VISIBILITY,
  isStep,
  type Attachment,
  type AttachmentContent,
  type AttachmentStep,
  type AttachmentVariant,
  type IncomingFile,
  type PreparedFile,
} from './types.js';

/** Where the files go on a complaint, and who may see them. */
export interface AttachTarget {
  step: AttachmentStep;
  /** Default: internal for intake, progress and follow-up; owner-visible for the reply's photos and the owner's own. */
  visibility?: Visibility;
}

export interface AttachOptions {
  /** Join the caller's transaction (e.g. the intake that registers the complaint these photos belong to). */
  trx?: Knex.Transaction;
}

/** Who acts on the owner's side, as the owner-token code identified them (shown in the audit trail). */
export interface OwnerActor {
  /** A stable id for the audit trail, e.g. `owner:<ownerId>` or `status-link:<tokenId>`. */
  id: string;
  /** How they appear to staff, e.g. 业主 or 业主（小程序）. */
  name: string;
}

export interface AttachmentService {
  /** The limits in force now (from settings): the forms show them and the multipart parser applies them. */
  limits(): Promise<AttachmentLimits>;
  /**
   * Checks files against the limits and their content and prepares them (images re-encoded without
   * metadata, thumbnails made). Stores nothing. A page calls it before registering anything, so a
   * rejected file leaves the whole form unsaved and re-shown.
   */
  prepare(files: IncomingFile[]): Promise<{ prepared: PreparedFile[]; errors: ValidationError | null }>;
  /** Attaches files (raw or prepared) to one step; any rejected file rejects them all (ValidationError naming each). */
  attach(complaintId: number, files: IncomingFile[] | PreparedFile[], target: AttachTarget, actor: Actor, options?: AttachOptions): Promise<Attachment[]>;
  /** The complaint's attachments (removed ones too with includeRemoved, for the staff page's record). */
  list(complaintId: number, actor: Actor, options?: { includeRemoved?: boolean }): Promise<Attachment[]>;
  /** The bytes of one attachment of this complaint (or its thumbnail), for a person who may see the complaint. */
  read(complaintId: number, attachmentId: number, variant: AttachmentVariant, actor: Actor): Promise<AttachmentContent>;
  /** Removes an attachment (its bytes are deleted; the record and its audit events stay). The uploader or complaint.assess. */
  remove(complaintId: number, attachmentId: number, reason: string, actor: Actor, options?: AttachOptions): Promise<Attachment>;
  /** Owner side: adds files (step `owner`, owner-visible) while the complaint is open. The caller verified the owner's token. */
  forOwnerAttach(complaintId: number, files: IncomingFile[] | PreparedFile[], owner: OwnerActor, options?: AttachOptions): Promise<Attachment[]>;
  /** Owner side: the owner-visible attachments only. */
  forOwnerList(complaintId: number): Promise<Attachment[]>;
  /** Owner side: one owner-visible attachment's bytes; an internal or removed one answers as not found. */
  forOwnerRead(complaintId: number, attachmentId: number, variant: AttachmentVariant): Promise<AttachmentContent>;
}

/** The permission each staff step needs besides complaint.view (the same as the form it belongs to). */
const STEP_PERMISSION: Record<Exclude<AttachmentStep, 'owner'>, Permission> = {
  intake: 'complaint.create',
  progress: 'complaint.resolve',
  reply_before: 'complaint.resolve',
  reply_after: 'complaint.resolve',
  follow_up: 'complaint.follow_up',
};

const CLOSED_FOR_OWNER = new Set(['closed', 'cancelled']);

function isPrepared(file: IncomingFile | PreparedFile): file is PreparedFile {
  return 'sha256' in file && 'kind' in file;
}

function notFound(): NotFoundError {
  return new NotFoundError(attachmentNotFound);
}

export function createAttachmentService(ctx: PluginContext, store: AttachmentStore): AttachmentService {
  const limits = async () => limitsFrom(await ctx.settings.get());
  // Inside a caller's transaction everything is read through it: on SQLite (one connection) a read on the
  // pool would wait for the transaction that waits for it.
  const limitsIn = async (trx?: Knex.Transaction) => (trx ? limitsFrom(await ctx.settings.readWithin(trx)) : limits());

  async function prepare(files: IncomingFile[]) {
    const { prepared, errors } = await prepareFiles(files, await limits());
    return { prepared, errors: errors.length ? new ValidationError(errors) : null };
  }

  /** Prepared files (checking raw ones first; any error refuses the lot). */
  async function ready(files: IncomingFile[] | PreparedFile[], trx?: Knex.Transaction): Promise<PreparedFile[]> {
    const lim = await limitsIn(trx);
    if (files.length > lim.maxFiles || !files.every(isPrepared)) {
      const { prepared, errors } = await prepareFiles(files as IncomingFile[], lim);
      if (errors.length) throw new ValidationError(errors);
      return prepared;
    }
    return files;
  }

  /** Stores the bytes and records each file and its audit event; the directory store is cleaned up if the transaction fails. */
  async function store_(complaint: Complaint, files: PreparedFile[], step: AttachmentStep, visibility: Visibility, who: Actor, options: AttachOptions) {
    if (files.length === 0) return [];
    const keyed = files.map((f) => ({ file: f, key: newStorageKey() }));
    const blobs = keyed.flatMap(({ file, key }) => [{ key, data: file.data }, ...(file.thumbnail ? [{ key: `${key}.thumb`, data: file.thumbnail }] : [])]);
    if (!store.transactional) for (const b of blobs) await store.put(b.key, b.data);
    try {
      return await inTransaction(
        ctx.db,
        async (trx) => {
          const now = ctx.clock.now();
          const out: Attachment[] = [];
          if (store.transactional) for (const b of blobs) await store.put(b.key, b.data, trx);
          for (const { file, key } of keyed) {
            const a = await insertAttachment(trx, ctx.tables, {
              complaintId: complaint.id,
              step,
              visibility,
              fileName: file.fileName,
              mime: file.mime,
              sizeBytes: file.data.length,
              sha256: file.sha256,
              width: file.width,
              height: file.height,
              processing: file.processing,
              thumbSizeBytes: file.thumbnail?.length ?? null,
              storage: store.name,
              storageKey: key,
              uploadedBy: who.id,
              uploadedByName: who.name,
              uploadedAt: now,
            });
            await recordEvent(trx, ctx.tables, {
              entityType: 'attachment',
              entityId: a.id,
              complaintId: complaint.id,
              action: 'upload',
              actor: who,
              at: now,
              changes: {
                file_name: [null, a.fileName],
                step: [null, step],
                visibility: [null, visibility],
                mime: [null, a.mime],
                size_bytes: [null, a.sizeBytes],
                sha256: [null, a.sha256],
                processing: [null, a.processing],
              },
            });
            out.push(a);
          }
          return out;
        },
        { trx: options.trx },
      );
    } catch (err) {
      if (!store.transactional) await Promise.allSettled(blobs.map((b) => store.remove(b.key)));
      throw err;
    }
  }

  async function content(a: Attachment, variant: AttachmentVariant): Promise<AttachmentContent> {
    if (a.removedAt) throw notFound();
    if (variant === 'thumbnail' && !a.hasThumbnail) throw notFound();
    const data = await storeFor(a).get(variant === 'thumbnail' ? `${a.storageKey}.thumb` : a.storageKey);
    if (!data) throw new DomainError('attachment_missing', 410, { 'zh-CN': '附件文件已不存在', en: 'The attachment file is missing' });
    return {
      attachment: a,
      variant,
      mime: variant === 'thumbnail' ? 'image/jpeg' : a.mime,
      data,
      inline: variant === 'thumbnail' || (a.isImage && a.mime !== 'image/heic'),
      fileName: variant === 'thumbnail' ? a.fileName.replace(/\.[^.]+$/, '') + '-thumb.jpg' : a.fileName,
    };
  }

  function storeFor(a: Attachment): AttachmentStore {
    // Files recorded under another store (the configuration changed) cannot be read through this one.
    if (a.storage !== store.name) {
      throw new DomainError('attachment_store_mismatch', 503, {
        'zh-CN': `附件保存在“${a.storage}”存储中，当前配置为“${store.name}”`,
        en: `The attachment is kept in the "${a.storage}" store; this instance is configured with "${store.name}"`,
      });
    }
    return store;
  }

  async function staffComplaint(complaintId: number, actor: Actor, db: Knex | Knex.Transaction = ctx.db): Promise<Complaint> {
    requirePermission(actor, 'complaint.view');
    return visibleOrNotFound(actor, await findComplaint(db, ctx.tables, complaintId));
  }

  async function attachmentOf(complaintId: number, attachmentId: number, db: Knex | Knex.Transaction = ctx.db): Promise<Attachment> {
    const a = await findAttachment(db, ctx.tables, attachmentId);
    if (!a || a.complaintId !== complaintId) throw notFound();
    return a;
  }

  return {
    limits,
    prepare,

    async attach(complaintId, files, target, actor, options = {}) {
      if (!isStep(target.step) || target.step === 'owner')
        throw new ValidationError([fieldError('step', '附件所属步骤无效', 'The attachment step is not valid')]);
      if (target.visibility !== undefined && !isVisibility(target.visibility)) {
        throw new ValidationError([fieldError('visibility', '可见范围只能是“业主可见”或“仅内部”', 'Visibility must be owner_visible or internal')]);
      }
      requirePermission(actor, STEP_PERMISSION[target.step]);
      const complaint = await staffComplaint(complaintId, actor, options.trx);
      if (complaint.state === 'cancelled') {
        throw new ConflictError('complaint_cancelled', {
          'zh-CN': '投诉已撤销，不能再添加附件',
          en: 'The complaint is cancelled; no attachments can be added',
        });
      }
      const prepared = await ready(files, options.trx);
      return store_(complaint, prepared, target.step, target.visibility ?? STEP_DEFAULT_VISIBILITY[target.step], actor, options);
    },

    async list(complaintId, actor, options = {}) {
      await staffComplaint(complaintId, actor);
      return listAttachments(ctx.db, ctx.tables, complaintId, { includeRemoved: options.includeRemoved });
    },

    async read(complaintId, attachmentId, variant, actor) {
      await staffComplaint(complaintId, actor);
      return content(await attachmentOf(complaintId, attachmentId), variant);
    },

    async remove(complaintId, attachmentId, reason, actor, options = {}) {
      const why = reason.trim();
      if (!why || why.length > 500) throw new ValidationError([removeReasonMissing]);
      await staffComplaint(complaintId, actor, options.trx);
      const a = await attachmentOf(complaintId, attachmentId, options.trx);
      if (a.uploadedBy !== actor.id && !hasPermission(actor, 'complaint.assess')) throw new DomainError('forbidden', 403, mayNotRemove);
      const removed = await inTransaction(
        ctx.db,
        async (trx) => {
          const now = ctx.clock.now();
          if (!(await markRemoved(trx, ctx.tables, a.id, actor, why, now))) throw notFound();
          await recordEvent(trx, ctx.tables, {
            entityType: 'attachment',
            entityId: a.id,
            complaintId,
            action: 'remove',
            actor,
            at: now,
            changes: { file_name: [a.fileName, null], removed_reason: [null, why] },
          });
          if (store.transactional && a.storage === store.name) {
            await store.remove(a.storageKey, trx);
            await store.remove(`${a.storageKey}.thumb`, trx);
          }
          return { ...a, removedAt: now, removedBy: actor.id, removedByName: actor.name, removedReason: why };
        },
        { trx: options.trx },
      );
      // Outside the database the bytes go once the removal has committed (a failure leaves an orphan file only).
      if (!store.transactional && a.storage === store.name) {
        await store.remove(a.storageKey);
        await store.remove(`${a.storageKey}.thumb`);
      }
      return removed;
    },

    async forOwnerAttach(complaintId, files, owner, options = {}) {
      const complaint = await findComplaint(options.trx ?? ctx.db, ctx.tables, complaintId);
      if (!complaint) throw complaintNotFound();
      if (CLOSED_FOR_OWNER.has(complaint.state)) throw new ConflictError('complaint_closed', complaintClosedForOwner);
      const prepared = await ready(files, options.trx);
      const who: Actor = { id: owner.id, name: owner.name, roles: [], communityIds: [] };
      return store_(complaint, prepared, 'owner', 'owner_visible', who, options);
    },

    async forOwnerList(complaintId) {
      return listAttachments(ctx.db, ctx.tables, complaintId, { visibility: 'owner_visible' });
    },

    async forOwnerRead(complaintId, attachmentId, variant) {
      const a = await attachmentOf(complaintId, attachmentId);
      if (a.visibility !== 'owner_visible') throw notFound();
      return content(a, variant);
    },
  };
}
