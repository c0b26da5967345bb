// The owner's pages (issue 17): the status page opened from the slip's QR code or short link, with no
// sign-in (the unguessable link is the key), where the owner reads progress in plain words, adds
// information while the complaint is open and rates the reply; and the staff's side of it: the QR code
// on the slip, revoking or re-issuing the link, turning owner notices off, marking a low rating seen.
// The same status page is embedded in the owner app (ownerApp.ts) through renderStatus with another target.
import type Router from '@koa/router';
import type { Context } from 'koa';
import QRCode from 'qrcode';
import { DomainError, type FieldError } from '../../common/errors.js';
import type { OwnerAccess, OwnerFileUrls, OwnerStatusView } from '../../owner/service.js';
import { fieldMessages, formOf, isValidationError, positiveInt, uploadsOf } from '../forms.js';
import { sendAttachment } from '../../http/attachmentResponse.js';
import type { PageKit } from '../kit.js';
import type { PageServices } from '../services.js';
import { idParam } from './detail.js';
import type { MessageKey } from '../../i18n/index.js';

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export interface OwnerFormState {
  open?: 'add' | 'rate';
  values?: Record<string, string>;
  errors?: Record<string, string>;
  formError?: string;
}

function tokenParam(ctx: Context): string {
  const token = String(ctx.params.token ?? '');
  // A token of the wrong shape is simply not valid (the service says so in words).
  return TOKEN.test(token) ? token : '-';
}

function starsText(stars: number): string {
  return `${'★'.repeat(stars)}${'☆'.repeat(5 - stars)}`;
}

/** The link as the owner sees it: the public address when set, otherwise this server's. */
export function absoluteUrl(ctx: Context, url: string): string {
  // Koa 3's ctx.origin is the Origin header; this server's own address is protocol + host.
  return url.startsWith('/') ? `${ctx.protocol}://${ctx.host}${url}` : url;
}

/** Which owner page shows a status: the slip's link, or the owner app's embedded page (ownerApp.ts). */
export interface OwnerStatusTarget {
  access: OwnerAccess;
  /** The page's own path under the routes prefix; its forms post to `<selfPath>/add` and `<selfPath>/rate`. */
  selfPath: string;
  fileUrls?: OwnerFileUrls;
  /** The owner app's "my complaints" page. */
  backUrl?: string;
}

export function linkTarget(kit: PageKit, token: string): OwnerStatusTarget {
  return { access: { kind: 'link', token }, selfPath: `/s/${token}` };
}

export async function renderStatus(
  ctx: Context,
  kit: PageKit,
  services: PageServices,
  target: OwnerStatusTarget,
  state: OwnerFormState = {},
  status = 200,
): Promise<void> {
  let s: OwnerStatusView;
  try {
    s = await services.owner.status(target.access, target.fileUrls ? { fileUrls: target.fileUrls } : {});
  } catch (err) {
    if (err instanceof DomainError && (err.code.startsWith('owner_link_') || err.status === 404)) {
      await kit.render(ctx, 'ownerError', { title: kit.t(ctx, 'owner.errorTitle'), layout: 'owner', message: err.localized[kit.locale(ctx)] }, err.status);
      return;
    }
    throw err;
  }
  const values = state.values ?? {};
  await kit.render(
    ctx,
    'ownerStatus',
    {
      title: `${kit.t(ctx, 'owner.title')} ${s.code}`,
      layout: 'owner',
      // PIPL: what is collected and why, and the company's privacy notice (settings), on every owner page.
      privacyNoticeUrl: (await kit.context.settings.get()).privacy.noticeUrl,
      selfPath: kit.url(target.selfPath),
      actionBase: kit.url(target.selfPath),
      backUrl: target.backUrl ?? null,
      s: {
        ...s,
        canRehandle: s.state === 'resolved',
        rating: s.rating ? { ...s.rating, starsText: starsText(s.rating.stars) } : null,
      },
      stars: [5, 4, 3, 2, 1].map((n) => ({ value: String(n), label: `owner.star${n}` as MessageKey, checked: values.stars === String(n) })),
      open: state.open ?? null,
      values,
      errors: state.errors ?? {},
      formError: state.formError ?? null,
    },
    status,
  );
}

/**
 * Re-renders an owner's status page with what was typed and why it was refused; nothing was saved. A
 * refusal `showsOnPage` does not accept (a dead link, a missing complaint) goes up to the error page.
 */
export async function renderRefusal(
  ctx: Context,
  kit: PageKit,
  services: PageServices,
  target: OwnerStatusTarget,
  state: OwnerFormState,
  err: unknown,
  showsOnPage: (err: DomainError) => boolean,
): Promise<void> {
  const locale = kit.locale(ctx);
  if (isValidationError(err)) {
    const errors = fieldMessages(err.fields as FieldError[], locale);
    return renderStatus(ctx, kit, services, target, { ...state, errors, formError: err.localized[locale] }, 422);
  }
  if (err instanceof DomainError && showsOnPage(err)) {
    if (err.status === 429) ctx.set('Retry-After', '3600');
    return renderStatus(ctx, kit, services, target, { ...state, formError: err.localized[locale] }, err.status);
  }
  throw err;
}

/** On the slip's link page every refusal but the link's own shows beside the form. */
const onLinkPage = (err: DomainError): boolean => !err.code.startsWith('owner_link_');

export function registerOwnerPages(router: Router, kit: PageKit, services: PageServices): void {
  router.get('/s/:token', ...kit.stack, async (ctx) => {
    await renderStatus(ctx, kit, services, linkTarget(kit, tokenParam(ctx)));
  });

  // Owner-visible photos and files of the complaint the link reaches, with the same serving headers as staff get.
  for (const [suffix, variant] of [
    ['', 'original'],
    ['/thumb', 'thumbnail'],
  ] as const) {
    router.get(`/s/:token/files/:fileId${suffix}`, ...kit.stack, async (ctx) => {
      const fileId = positiveInt(ctx.params.fileId);
      if (!fileId) throw new DomainError('not_found', 404, { 'zh-CN': '附件不存在', en: 'Attachment not found' });
      sendAttachment(ctx, await services.owner.attachment({ kind: 'link', token: tokenParam(ctx) }, fileId, variant), { download: ctx.query.download === '1' });
    });
  }

  router.post('/s/:token/add', ...kit.ownerUploadStack, async (ctx) => {
    const token = tokenParam(ctx);
    const form = formOf(ctx);
    const values = { text: form.get('text') };
    try {
      await services.owner.addInformation({ kind: 'link', token }, values.text, ctx.ip, uploadsOf(ctx, 'files'));
      kit.redirect(ctx, `/s/${token}`, 'ownerAdded');
    } catch (err) {
      await renderRefusal(ctx, kit, services, linkTarget(kit, token), { open: 'add', values }, err, onLinkPage);
    }
  });

  router.post('/s/:token/rate', ...kit.stack, async (ctx) => {
    const token = tokenParam(ctx);
    const form = formOf(ctx);
    const values = { stars: form.get('stars'), comment: form.get('comment'), rehandle: form.checked('rehandle') ? '1' : '' };
    try {
      await services.owner.rate({ kind: 'link', token }, { stars: values.stars, comment: values.comment, rehandle: values.rehandle === '1' });
      kit.redirect(ctx, `/s/${token}`, 'ownerRated');
    } catch (err) {
      await renderRefusal(ctx, kit, services, linkTarget(kit, token), { open: 'rate', values }, err, onLinkPage);
    }
  });

  // Staff: the QR code printed on the slip (an SVG of the status link).
  router.get('/c/:id/owner-qr.svg', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.view');
    const link = await services.owner.linkFor(idParam(ctx), actor);
    if (!link.url) throw new DomainError('not_found', 404, { 'zh-CN': '该投诉的查询链接已停用', en: 'The status link of this complaint was withdrawn' });
    ctx.type = 'image/svg+xml';
    ctx.body = await QRCode.toString(absoluteUrl(ctx, link.url), { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
  });

  const staffAction = (path: string, run: (id: number, ctx: Context) => Promise<void>) =>
    router.post(`/c/:id/owner/${path}`, ...kit.stack, async (ctx) => {
      const id = idParam(ctx);
      await run(id, ctx);
      kit.redirect(ctx, `/c/${id}`, 'ownerLinkChanged');
    });
  staffAction('revoke', (id, ctx) => services.owner.revoke(id, kit.actor(ctx)));
  staffAction('reissue', (id, ctx) => services.owner.reissue(id, kit.actor(ctx)));
  staffAction('notices-off', (id, ctx) => services.owner.setNotices(id, true, kit.actor(ctx)));
  staffAction('notices-on', (id, ctx) => services.owner.setNotices(id, false, kit.actor(ctx)));
  staffAction('rating-seen', (id, ctx) => services.owner.markRatingSeen(id, kit.actor(ctx)));
}
