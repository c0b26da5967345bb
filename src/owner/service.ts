// The owner's side of the loop (issue 17): the status link on the slip (issue, revoke, re-issue, notice
// opt-out: staff, audited), the status page's view of a complaint (owner-visible steps only, staff as role
// and surname, no phone numbers), additions while open (rate-limited per link or owner and per IP), and
// the owner's own rating (once; 1–2 stars tell the supervisor; "please re-handle" opens the linked new
// complaint exactly as an unsatisfied follow-up does). The owner app (X-Complaints-Owner) reaches the same
// commands by complaint id, checked against the owner's units.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import { canSeeCommunity, requirePermission } from '../auth/permissions.js';
import { DomainError, ConflictError, NotFoundError, ValidationError, type FieldError } from '../common/errors.js';
import { recordEvent, type AuditEvent } from '../common/events.js';
import type { PluginContext } from '../common/context.js';
import { isDuplicateKeyError } from '../db/errors.js';
import { inTransaction } from '../db/transaction.js';
import { applyChange } from '../complaints/changes.js';
import { openContinuation } from '../complaints/followUp.js';
import { withDayCounter } from '../complaints/intake.js';
import { visibleOrNotFound } from '../complaints/scope.js';
import { OPEN_STATES, type ComplaintState } from '../complaints/states.js';
import { eventsOfComplaint, findComplaint } from '../complaints/store/complaints.js';
import { listComplaints } from '../complaints/store/listing.js';
import { validateCreate, validateList } from '../complaints/schemas.js';
import type { ComplaintService } from '../complaints/service.js';
import type { Complaint } from '../complaints/types.js';
import { complaintPayload } from '../notifications/complaintNotices.js';
import { enqueue } from '../notifications/outbox.js';
import { toRow } from '../complaints/store/complaints.js';
import { dayKey } from '../calendar/zoned.js';
import type { Settings } from '../settings/settings.js';
import { linkToken, newNonce, nonceOf, statusUrl, tokenMatches } from './links.js';
import * as m from './messages.js';
import { enqueueOwnerNotice, ownerNoticeContext, shortDate, type OwnerNoticeContext } from './notices.js';
import { HourlyLimiter } from './rateLimit.js';
import {
  findLink,
  findLinkByNonce,
  findRating,
  insertRating,
  linkSecret,
  markRatingSeen,
  revokeLink,
  saveLink,
  setNoticesOptOut,
  unseenLowRatings,
  type OwnerLink,
  type OwnerRating,
} from './store.js';
import { ownerVisibleEvent, type OwnerAttachment } from './visibility.js';
import type { AttachmentService } from '../attachments/service.js';
import type { AttachmentContent, AttachmentVariant, IncomingFile } from '../attachments/types.js';
import { attachmentNotFound } from '../attachments/messages.js';

/** Who the owner is, as the ERP's owner app vouches (X-Complaints-Owner). */
export interface OwnerIdentity {
  ownerId: string;
  unitIds: string[];
}

/** How an owner reached us: the slip's link (per link) or the owner app (per owner). */
export type OwnerAccess = { kind: 'link'; token: string } | { kind: 'app'; owner: OwnerIdentity; complaintId: number };

/** Where an owner-visible file of the status is fetched: the embedded pages and the JSON API each name their own. */
export type OwnerFileUrls = (attachmentId: number) => { url: string; thumbnailUrl: string };

/** What a new complaint from the owner app carries besides its fields. */
export interface OwnerFiling {
  photos?: IncomingFile[];
  /** The requester's address, for the per-IP limit. */
  ip: string;
  idempotencyKey?: string;
}

export interface OwnerStep {
  at: Date;
  text: string;
}

/** Everything the owner's page shows; nothing else leaves the service. */
export interface OwnerStatusView {
  complaintId: number;
  code: string;
  state: ComplaintState;
  /** The state in plain words, with the promised date while unanswered ("已受理，预计12月8日前答复"). */
  stateText: string;
  unitLabel: string;
  receivedAt: Date;
  description: string;
  steps: OwnerStep[];
  reply: string | null;
  basis: string | null;
  repliedAt: Date | null;
  /** Owner-visible attachments, each with addresses the same access may fetch. */
  attachments: OwnerAttachment[];
  canAdd: boolean;
  canRate: boolean;
  rating: { stars: number; comment: string | null; rehandle: boolean; continuationCode: string | null } | null;
  /** The new complaint that continues this one (re-handling), if any. */
  continuationCode: string | null;
  /** The status page's address (for the owner app to open it), null when the link was withdrawn. */
  statusUrl: string | null;
}

export interface RatingInput {
  stars: number;
  comment?: string;
  rehandle?: boolean;
}

export interface OwnerService {
  /** Staff: the complaint's link (made when missing), for the slip. */
  linkFor(complaintId: number, actor: Actor): Promise<{ token: string | null; revoked: boolean; noticesOptOut: boolean; url: string | null }>;
  revoke(complaintId: number, actor: Actor): Promise<void>;
  reissue(complaintId: number, actor: Actor): Promise<void>;
  setNotices(complaintId: number, optOut: boolean, actor: Actor): Promise<void>;
  markRatingSeen(complaintId: number, actor: Actor): Promise<void>;
  ratingOf(complaintId: number, actor: Actor): Promise<OwnerRating | null>;
  /** The supervisor's workbench: 1–2 star ratings nobody has marked seen, in their communities. */
  lowRatings(actor: Actor): Promise<Awaited<ReturnType<typeof unseenLowRatings>>>;
  status(access: OwnerAccess, options?: { fileUrls?: OwnerFileUrls }): Promise<OwnerStatusView>;
  /**
   * The owner app: a new complaint about one of the owner's units (channel app), validated as the counter's
   * intake; photos (owner-visible, step owner) are checked before anything is written. Limited per owner
   * and per IP per hour like additions (each with its own count).
   */
  fileComplaint(owner: OwnerIdentity, input: unknown, filing: OwnerFiling): Promise<{ complaint: Complaint; created: boolean }>;
  /** An owner-visible attachment of the complaint the access reaches (internal, removed or another complaint's: 404). */
  attachment(access: OwnerAccess, attachmentId: number, variant: AttachmentVariant): Promise<AttachmentContent>;
  /** What the owner adds while the complaint is open: text, photos (owner-visible), or both. */
  addInformation(access: OwnerAccess, text: unknown, ip: string, photos?: IncomingFile[]): Promise<void>;
  rate(access: OwnerAccess, input: unknown): Promise<{ rating: OwnerRating; continuation: Complaint | null }>;
  /** The owner app: the owner's complaints (about their units), newest first. */
  listMine(owner: OwnerIdentity): Promise<Complaint[]>;
  /** The owner notice context (the link secret is read once per call). */
  noticeContext(settings: Settings): Promise<OwnerNoticeContext>;
  /** The public (or prefix-relative) address of a link token. */
  urlOf(token: string, settings: Settings): string;
}

const RE_MOBILE = /1[3-9]\d{9}/g;
const RE_LONG_DIGITS = /\d{7,}/g;

/** No phone numbers on the owner's page, whoever typed them: mobiles as 138****5678, other long numbers hidden. */
export function maskPhones(text: string): string {
  return text.replace(RE_MOBILE, (n) => `${n.slice(0, 3)}****${n.slice(7)}`).replace(RE_LONG_DIGITS, '*******');
}

const ROLE_WORDS = ['项目经理', '客服主管', '总经理', '收银员', '管理员', '工程师', '前台', '客服', '主管', '经理', '维修'];
/** "前台王芳" → "王": role words dropped, then the first character of a Chinese name; null when unsure. */
export function surnameOf(name: string): string | null {
  let rest = name.trim();
  for (const word of ROLE_WORDS) if (rest.startsWith(word)) rest = rest.slice(word.length);
  return /^[\u4e00-\u9fff]{2,4}$/.test(rest) ? rest[0]! : null;
}

function staff(role: string, actorName: string): string {
  const surname = surnameOf(actorName);
  return surname ? `${role} ${surname}` : role;
}

function stepText(e: AuditEvent, c: Complaint, tz: string): string | null {
  switch (e.action) {
    case 'create':
      return e.actorId.startsWith('owner') ? '您提交了投诉' : `${staff('客服', e.actorName)} 受理了您的投诉`;
    case 'start-investigation':
      return '已安排人员调查核实';
    case 'plan':
      return c.planDeadline ? `已制定处理方案，预计${shortDate(c.planDeadline, tz)}前处理完毕` : '已制定处理方案';
    case 'resolve':
      return `${staff('客服', e.actorName)} 答复了处理结果`;
    case 'follow-up':
      return `${staff('客服', e.actorName)} 进行了回访`;
    case 'cancel':
      return '投诉已撤销';
    case 'note':
      // Only notes staff marked owner-visible get here (ownerVisibleEvent).
      return `处理进展：${maskPhones(e.note ?? '')}`;
    case 'owner-info':
      return `您补充了信息：${maskPhones(e.note ?? '')}`;
    case 'owner-rating':
      return `您作出了评价：${e.note ?? ''}`;
    case 'owner-rehandle':
      return '您申请了重新处理，已转为新的投诉';
    default:
      return null;
  }
}

function stateText(c: Complaint, tz: string, continuationCode: string | null): string {
  const promise = c.replyDueAt ? `，预计${shortDate(c.replyDueAt, tz)}前答复` : '';
  switch (c.state) {
    case 'received':
      return `已受理${promise}`;
    case 'investigating':
      return `正在调查核实${promise}`;
    case 'processing':
      return c.planDeadline ? `正在处理，预计${shortDate(c.planDeadline, tz)}前处理完毕` : `正在处理${promise}`;
    case 'resolved':
      return '已答复，请查看处理结果并评价';
    case 'closed':
      return '已办结';
    case 'closed_unsatisfied':
      return continuationCode ? `已转重新处理（新投诉编号 ${continuationCode}）` : '已转重新处理';
    case 'cancelled':
      return '已撤销';
    case 'merged':
      return '已与同一问题的其他投诉合并处理';
  }
}

function ownerActor(access: OwnerAccess): Actor {
  return access.kind === 'app'
    ? { id: `owner:${access.owner.ownerId}`.slice(0, 64), name: '业主（小程序）', roles: [], communityIds: [] }
    : { id: 'owner', name: '业主（查询页）', roles: [], communityIds: [] };
}

function validateRating(raw: unknown): RatingInput {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const errors: FieldError[] = [];
  const stars = typeof o.stars === 'string' && /^[1-5]$/.test(o.stars) ? Number(o.stars) : o.stars;
  if (typeof stars !== 'number' || !Number.isInteger(stars) || stars < 1 || stars > 5) errors.push(m.starsInvalid);
  const comment = typeof o.comment === 'string' ? o.comment.trim() : undefined;
  if (o.comment !== undefined && o.comment !== null && typeof o.comment !== 'string') errors.push(m.commentNotText);
  if (comment && [...comment].length > 500) errors.push(m.commentTooLong);
  const rehandle = o.rehandle === true || o.rehandle === '1' || o.rehandle === 'on';
  if (rehandle && typeof stars === 'number' && stars > 2) errors.push(m.rehandleNeedsLowRating);
  if (errors.length) throw new ValidationError(errors);
  return { stars: stars as number, ...(comment ? { comment } : {}), rehandle };
}

export interface OwnerServiceDeps {
  /** The complaint service's create, for the owner app's new complaints. */
  createComplaint?: ComplaintService['create'];
}

/** The words and defaults of an owner-app complaint: the owner's own record in the ERP fills what the app leaves out. */
async function ownerComplaintInput(ctx: PluginContext, owner: OwnerIdentity, raw: unknown): Promise<Record<string, unknown>> {
  const body = { ...((raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>) };
  const unitId = typeof body.unitId === 'string' ? body.unitId : '';
  if (unitId && !owner.unitIds.includes(unitId)) throw new ValidationError([m.notYourUnit]);
  const unit = unitId ? await ctx.host.getUnit(unitId) : null;
  const me = unit?.owners.find((x) => x.id === owner.ownerId);
  const given = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
  return {
    ...body,
    channel: 'app',
    complainantRelation: given(body.complainantRelation) ?? 'owner',
    ...(me ? { ownerId: me.id } : {}),
    complainantName: given(body.complainantName) ?? me?.name ?? undefined,
    complainantPhone: given(body.complainantPhone) ?? me?.phone ?? undefined,
    category: given(body.category) ?? 'other',
  };
}

export function createOwnerService(ctx: PluginContext, files?: AttachmentService, deps: OwnerServiceDeps = {}): OwnerService {
  const limiter = new HourlyLimiter();
  const routesPrefix = ctx.routesPrefix ?? '/complaints';
  const appFileUrls = appFileUrlsFor(routesPrefix);

  const secret = () => linkSecret(ctx.db, ctx.tables);

  const urlOf = (token: string, settings: Settings) => statusUrl(settings.ownerPublicBaseUrl ?? routesPrefix, token);

  const noticeContext = (settings: Settings) => ownerNoticeContext(ctx, settings);

  async function staffComplaint(complaintId: number, actor: Actor): Promise<Complaint> {
    requirePermission(actor, 'complaint.view');
    return visibleOrNotFound(actor, await findComplaint(ctx.db, ctx.tables, complaintId));
  }

  async function staffChange(complaintId: number, actor: Actor, action: string, note: string, work: (trx: Knex.Transaction, c: Complaint) => Promise<boolean>) {
    // Staff who answer the owner manage the owner's link and notices (counter staff and up).
    requirePermission(actor, 'complaint.resolve');
    const c = await staffComplaint(complaintId, actor);
    await inTransaction(ctx.db, async (trx) => {
      if (!(await findLink(trx, ctx.tables, c.id))) await saveLink(trx, ctx.tables, c.id, newNonce(), actor.id, ctx.clock.now());
      if (!(await work(trx, c))) return;
      await recordEvent(trx, ctx.tables, { entityType: 'complaint', entityId: c.id, complaintId: c.id, action, actor, at: ctx.clock.now(), note });
    });
  }

  /** The complaint an access reaches, or the refusal in words (forged, revoked, expired, not the owner's). */
  async function reach(access: OwnerAccess, settings: Settings): Promise<{ complaint: Complaint; link: OwnerLink | null }> {
    if (access.kind === 'app') {
      const c = await findComplaint(ctx.db, ctx.tables, access.complaintId);
      if (!c || c.unitId === null || !access.owner.unitIds.includes(c.unitId)) throw new NotFoundError(m.notYourComplaint);
      return { complaint: c, link: await findLink(ctx.db, ctx.tables, c.id) };
    }
    const nonce = nonceOf(access.token);
    const link = nonce ? await findLinkByNonce(ctx.db, ctx.tables, nonce) : null;
    if (!link || !tokenMatches(await secret(), access.token, link.complaintId, link.nonce)) throw new DomainError('owner_link_invalid', 404, m.linkInvalid);
    if (link.revokedAt) throw new DomainError('owner_link_revoked', 410, m.linkRevoked);
    const c = await findComplaint(ctx.db, ctx.tables, link.complaintId);
    if (!c) throw new DomainError('owner_link_invalid', 404, m.linkInvalid);
    const ended = c.closedAt ?? c.cancelledAt;
    if (ended && ctx.clock.now().getTime() > ended.getTime() + settings.ownerLinkDaysAfterClose * 24 * 3_600_000) {
      throw new DomainError('owner_link_expired', 410, m.linkExpired(settings.ownerLinkDaysAfterClose));
    }
    return { complaint: c, link };
  }

  return {
    noticeContext,
    urlOf,

    async linkFor(complaintId, actor) {
      const c = await staffComplaint(complaintId, actor);
      let link = await findLink(ctx.db, ctx.tables, c.id);
      if (!link) {
        // Complaints registered before owner links existed get theirs when their slip is first printed.
        await inTransaction(ctx.db, async (trx) => {
          if (!(await findLink(trx, ctx.tables, c.id))) await saveLink(trx, ctx.tables, c.id, newNonce(), actor.id, ctx.clock.now());
        });
        link = (await findLink(ctx.db, ctx.tables, c.id))!;
      }
      const settings = await ctx.settings.get();
      const token = link.revokedAt ? null : linkToken(await secret(), c.id, link.nonce);
      return { token, revoked: !!link.revokedAt, noticesOptOut: link.noticesOptOut, url: token ? urlOf(token, settings) : null };
    },

    revoke: (complaintId, actor) =>
      staffChange(complaintId, actor, 'owner-link-revoked', '停用业主查询链接 / Owner status link withdrawn', (trx, c) =>
        revokeLink(trx, ctx.tables, c.id, actor.id, ctx.clock.now()),
      ),

    reissue: (complaintId, actor) =>
      staffChange(
        complaintId,
        actor,
        'owner-link-reissued',
        '重新生成业主查询链接（旧链接失效） / New owner status link (the old one no longer works)',
        async (trx, c) => {
          await saveLink(trx, ctx.tables, c.id, newNonce(), actor.id, ctx.clock.now());
          return true;
        },
      ),

    setNotices: (complaintId, optOut, actor) =>
      staffChange(
        complaintId,
        actor,
        optOut ? 'owner-notices-off' : 'owner-notices-on',
        optOut ? '不再向业主发送通知 / Owner notices turned off' : '恢复向业主发送通知 / Owner notices turned on',
        (trx, c) => setNoticesOptOut(trx, ctx.tables, c.id, optOut),
      ),

    async markRatingSeen(complaintId, actor) {
      requirePermission(actor, 'complaint.assess');
      await staffChange(complaintId, actor, 'owner-rating-seen', '主管已阅业主差评 / Low owner rating seen by the supervisor', (trx, c) =>
        markRatingSeen(trx, ctx.tables, c.id, ctx.clock.now()),
      );
    },

    async lowRatings(actor) {
      requirePermission(actor, 'complaint.assess');
      return unseenLowRatings(ctx.db, ctx.tables, actor.communityIds);
    },

    async ratingOf(complaintId, actor) {
      const c = await staffComplaint(complaintId, actor);
      return findRating(ctx.db, ctx.tables, c.id);
    },

    async attachment(access, attachmentId, variant) {
      if (!files) throw new NotFoundError(attachmentNotFound);
      const { complaint: c } = await reach(access, await ctx.settings.get());
      return files.forOwnerRead(c.id, attachmentId, variant);
    },

    async status(access, options = {}) {
      const settings = await ctx.settings.get();
      const { complaint: c, link } = await reach(access, settings);
      const tz = settings.timezone;
      const [events, rating, continuation] = await Promise.all([
        eventsOfComplaint(ctx.db, ctx.tables, c.id),
        findRating(ctx.db, ctx.tables, c.id),
        ctx.db(ctx.tables.complaints).where({ parent_id: c.id }).orderBy('id').first('code') as Promise<{ code: string } | undefined>,
      ]);
      const ratingContinuation = rating?.continuationId
        ? ((await ctx.db(ctx.tables.complaints).where({ id: rating.continuationId }).first('code')) as { code: string } | undefined)
        : undefined;
      const steps = events
        .filter(ownerVisibleEvent)
        .map((e) => ({ at: e.at, text: stepText(e, c, tz) }))
        .filter((s): s is OwnerStep => s.text !== null);
      return {
        complaintId: c.id,
        code: c.code,
        state: c.state,
        stateText: stateText(c, tz, continuation?.code ?? null),
        unitLabel: c.unitLabel,
        receivedAt: c.receivedAt,
        description: maskPhones(c.description),
        steps,
        // A reply staff marked internal is not shown (the state still says it was answered).
        reply: c.resolutionReply && c.replyVisibility !== 'internal' ? maskPhones(c.resolutionReply) : null,
        basis: c.resolutionBasis && c.replyVisibility !== 'internal' ? maskPhones(c.resolutionBasis) : null,
        repliedAt: c.resolvedAt,
        // Owner-visible photos and files, each at an address the same access may fetch: under the status
        // link, or (owner app) the caller's own (the JSON API's by default).
        attachments: files
          ? (await files.forOwnerList(c.id)).map((a) => {
              const where =
                access.kind === 'link'
                  ? { url: `${urlOf(access.token, settings)}/files/${a.id}`, thumbnailUrl: `${urlOf(access.token, settings)}/files/${a.id}/thumb` }
                  : (options.fileUrls ?? appFileUrls(c.id))(a.id);
              return { id: a.id, name: a.fileName, url: where.url, thumbnailUrl: a.hasThumbnail ? where.thumbnailUrl : null };
            })
          : [],
        canAdd: OPEN_STATES.includes(c.state),
        canRate: !rating && !!c.resolvedAt && c.state !== 'cancelled',
        rating: rating
          ? {
              stars: rating.stars,
              comment: rating.comment ? maskPhones(rating.comment) : null,
              rehandle: rating.rehandle,
              continuationCode: ratingContinuation?.code ?? null,
            }
          : null,
        continuationCode: continuation?.code ?? null,
        statusUrl: link && !link.revokedAt ? urlOf(linkToken(await secret(), c.id, link.nonce), settings) : null,
      };
    },

    async addInformation(access, raw, ip, photos = []) {
      const settings = await ctx.settings.get();
      const text = typeof raw === 'string' ? raw.trim() : '';
      const { complaint: c } = await reach(access, settings);
      if ((!text && !photos.length) || [...text].length > 500) throw new ValidationError([m.additionText]);
      if (photos.length && !files) throw new ValidationError([m.photosNotAccepted]);
      if (!OPEN_STATES.includes(c.state)) throw new ConflictError('owner_complaint_closed', m.complaintClosedForAdditions);
      const who = access.kind === 'app' ? `owner:${access.owner.ownerId}` : `link:${c.id}`;
      const nowMs = ctx.clock.now().getTime();
      const keys: Array<[string, number]> = [
        [who, settings.ownerAdditionsPerHour],
        [`ip:${ip}`, settings.ownerAdditionsPerIpPerHour],
      ];
      // Refused before any photo is decoded (a flood costs no image work), and checked again below.
      if (!limiter.allows(keys, nowMs)) throw new DomainError('owner_rate_limited', 429, m.tooManyAdditions);
      // Photos are checked (kind from content, size, count) before anything is counted or written.
      const checked = photos.length && files ? await files.prepare(photos) : null;
      if (checked?.errors) throw checked.errors;
      // Checked and counted with no await in between: additions sent all at once cannot pass together.
      if (!limiter.allows(keys, nowMs)) throw new DomainError('owner_rate_limited', 429, m.tooManyAdditions);
      limiter.count(
        keys.map(([k]) => k),
        nowMs,
      );
      const actor = ownerActor(access);
      // The words and the photos are one addition: both are kept or neither.
      await inTransaction(ctx.db, async (trx) => {
        if (text)
          await recordEvent(trx, ctx.tables, {
            entityType: 'complaint',
            entityId: c.id,
            complaintId: c.id,
            action: 'owner-info',
            actor,
            at: ctx.clock.now(),
            note: text,
          });
        if (checked?.prepared.length) await files!.forOwnerAttach(c.id, checked.prepared, { id: actor.id, name: actor.name }, { trx });
      });
    },

    async rate(access, raw) {
      const input = validateRating(raw);
      const settings = await ctx.settings.get();
      const { complaint: reached } = await reach(access, settings);
      if (reached.state === 'cancelled') throw new ConflictError('owner_rating_cancelled', m.cancelledNoRating);
      if (!reached.resolvedAt) throw new ConflictError('owner_rating_too_early', m.notYetReplied);
      if (await findRating(ctx.db, ctx.tables, reached.id)) throw new ConflictError('owner_already_rated', m.alreadyRated);
      if (input.rehandle && reached.state !== 'resolved') throw new ValidationError([m.rehandleTooLate]);
      const actor = ownerActor(access);
      const notices = input.rehandle ? await noticeContext(settings) : null;
      const day = dayKey(ctx.clock.now(), settings.timezone);
      const run = () =>
        inTransaction(ctx.db, async (trx) => {
          const now = ctx.clock.now();
          const current = (await findComplaint(trx, ctx.tables, reached.id, { lock: true }))!;
          let continuation: Complaint | null = null;
          if (input.rehandle) {
            if (current.state !== 'resolved') throw new ValidationError([m.rehandleTooLate]);
            const words = `业主评价不满意（${input.stars}星），申请重新处理${input.comment ? `：${input.comment}` : ''}`;
            continuation = await openContinuation(trx, ctx.tables, current, {
              words,
              at: now,
              actor,
              now,
              settings,
              day,
              note: `业主评价不满意，申请重新处理，延续 ${current.code} / The owner rated ${current.code} unsatisfied and asked for re-handling`,
            });
            await applyChange(
              trx,
              ctx.tables,
              current,
              { state: 'closed_unsatisfied', closedAt: now, dueAt: null },
              { action: 'owner-rehandle', actor, now, timeZone: settings.timezone, note: `业主申请重新处理；已转新投诉 ${continuation.code}` },
            );
            // The owner asked for it on the page: they are told of the new complaint (its code and promise), not of this one's closing.
            await enqueueOwnerNotice(trx, ctx.tables, continuation, 'received', notices!);
          }
          const rating: OwnerRating = {
            complaintId: current.id,
            stars: input.stars,
            comment: input.comment ?? null,
            rehandle: !!input.rehandle,
            continuationId: continuation?.id ?? null,
            source: access.kind,
            ownerId: access.kind === 'app' ? access.owner.ownerId : null,
            ratedAt: now,
            seenAt: null,
          };
          try {
            await insertRating(trx, ctx.tables, rating);
          } catch (err) {
            if (isDuplicateKeyError(err)) throw new ConflictError('owner_already_rated', m.alreadyRated);
            throw err;
          }
          await recordEvent(trx, ctx.tables, {
            entityType: 'complaint',
            entityId: current.id,
            complaintId: current.id,
            action: 'owner-rating',
            actor,
            at: now,
            note: `${'★'.repeat(input.stars)}${'☆'.repeat(5 - input.stars)}${input.comment ? ` ${input.comment}` : ''}`,
          });
          if (input.stars <= 2) {
            await enqueue(
              trx,
              ctx.tables,
              'owner_rating_low',
              {
                ...complaintPayload(toRow(current)),
                complaintId: current.id,
                stars: input.stars,
                comment: input.comment ?? null,
                rehandle: !!input.rehandle,
                continuationCode: continuation?.code ?? null,
              },
              now,
              { dedupeKey: `owner_rating_low:${current.id}` },
            );
          }
          return { rating, continuation };
        });
      return withDayCounter(ctx.db, ctx.tables, run);
    },

    async fileComplaint(owner, raw, filing) {
      if (!deps.createComplaint) throw new DomainError('owner_filing_unavailable', 503, m.filingUnavailable);
      const photos = filing.photos ?? [];
      if (photos.length && !files) throw new ValidationError([m.photosNotAccepted]);
      const settings = await ctx.settings.get();
      const nowMs = ctx.clock.now().getTime();
      const keys: Array<[string, number]> = [
        [`filing:owner:${owner.ownerId}`, settings.ownerAdditionsPerHour],
        [`filing:ip:${filing.ip}`, settings.ownerAdditionsPerIpPerHour],
      ];
      // Refused before any photo is decoded: a flood costs us no image work.
      if (!limiter.allows(keys, nowMs)) throw new DomainError('owner_rate_limited', 429, m.tooManyFilings);
      let input: Record<string, unknown>;
      let checked: Awaited<ReturnType<AttachmentService['prepare']>> | null = null;
      const problems: FieldError[] = [];
      try {
        input = await ownerComplaintInput(ctx, owner, raw);
        // Every problem at once, as the counter's form does: the fields, then each refused photo by name.
        validateCreate(input);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        problems.push(...err.fields);
        input = {};
      }
      if (photos.length) {
        checked = await files!.prepare(photos);
        if (checked.errors) problems.push(...checked.errors.fields);
      }
      if (problems.length) throw new ValidationError(problems);
      const actor: Actor = { id: `owner:${owner.ownerId}`.slice(0, 64), name: '业主（小程序）', roles: [], communityIds: [] };
      // Checked again and counted with no await in between, before the write: requests sent all at once
      // cannot slip past the limit together while their photos were being checked.
      if (!limiter.allows(keys, nowMs)) throw new DomainError('owner_rate_limited', 429, m.tooManyFilings);
      limiter.count(
        keys.map(([k]) => k),
        nowMs,
      );
      const made = await deps.createComplaint(input, actor, {
        asOwner: { ownerId: owner.ownerId, unitIds: owner.unitIds },
        ...(filing.idempotencyKey ? { idempotencyKey: filing.idempotencyKey } : {}),
      });
      if (!made.created) return made;
      // As at the counter: the complaint first, then its photos (already checked, so only a failure of the
      // store itself can leave them out; the audit trail shows what was attached).
      if (checked?.prepared.length) await files!.forOwnerAttach(made.complaint.id, checked.prepared, { id: actor.id, name: actor.name });
      return made;
    },

    async listMine(owner) {
      if (!owner.unitIds.length) return [];
      const actor: Actor = { id: `owner:${owner.ownerId}`, name: '业主', roles: [], communityIds: null };
      const items: Complaint[] = [];
      const settings = await ctx.settings.get();
      for (const unitId of owner.unitIds.slice(0, 20)) {
        const page = await listComplaints(ctx.db, ctx.tables, actor, validateList({ unitId, limit: 50 }), ctx.clock.now(), settings.timezone);
        items.push(...page.items);
      }
      return items.sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime());
    },
  };
}

/** The JSON API's addresses of an owner-visible file (X-Complaints-Owner), relative to the routes prefix's host. */
function appFileUrlsFor(routesPrefix: string) {
  return (complaintId: number): OwnerFileUrls =>
    (id) => {
      const url = `${routesPrefix}/api/owner/complaints/${complaintId}/attachments/${id}`;
      return { url: `${url}/content`, thumbnailUrl: `${url}/thumbnail` };
    };
}

/** Whether a staff actor may see this complaint's community (for the pages' owner panel). */
export function staffMaySee(actor: Actor, c: Complaint): boolean {
  return canSeeCommunity(actor, c.communityId);
}
