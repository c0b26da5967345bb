// The owner pages an ERP's owner app embeds (WeChat mini program web-view, H5; issue 17 item 6): "my
// complaints", a new complaint for one of the owner's units (channel app, with photos), and the status page
// with its additions and rating. A web-view cannot send X-Complaints-Owner, so the app opens
// `/owner/app?token=<owner token>` once: the token is verified as the header is (src/owner/appSession.ts),
// exchanged for a short-lived HttpOnly, SameSite=Lax cookie scoped to /owner, and the browser is sent on
// to an address without the token (so it stays out of the history and of Referer headers). Forms carry
// the page session's CSRF token and are checked like every page form (src/http/csrf.ts). Refusals (no or
// expired session, a forged token, another owner's complaint, a CSRF failure) are a page in the owner's
// layout saying so in Chinese first, and change nothing.
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { DomainError, type FieldError } from '../../common/errors.js';
import { openAppSession, readAppSession, OWNER_APP_SESSION_SECONDS } from '../../owner/appSession.js';
import * as m from '../../owner/messages.js';
import { maskPhones, type OwnerIdentity } from '../../owner/service.js';
import { sendAttachment } from '../../http/attachmentResponse.js';
import { limitsFrom } from '../../attachments/content.js';
import { translate } from '../../i18n/index.js';
import { fieldMessages, formKey, formOf, isValidationError, newFormKey, positiveInt, uploadsOf } from '../forms.js';
import type { PageKit } from '../kit.js';
import { categoryLabels, choices } from '../labels.js';
import type { PageServices } from '../services.js';
import { uploadView } from './attachmentViews.js';
import { renderRefusal, renderStatus, type OwnerStatusTarget } from './owner.js';
import type { MessageKey } from '../../i18n/index.js';

export const OWNER_APP_COOKIE = 'cmp_owner';
const FILING_FIELDS = ['unitId', 'category', 'description', 'expectation', 'complainantName', 'complainantPhone'] as const;

function refusal(code: string, message: typeof m.appSessionMissing): DomainError {
  return new DomainError(code, 401, message);
}

/** Where the app may send the owner after the exchange: our owner pages only (no open redirect). */
function nextPath(value: unknown): string {
  if (typeof value !== 'string') return '/owner/mine';
  if (/^\/owner\/(mine|new|c\/[1-9]\d{0,9})$/.test(value)) return value;
  const unit = /^\/owner\/new\?unit=([A-Za-z0-9_.:-]{1,64})$/.exec(value);
  return unit ? value : '/owner/mine';
}

export function registerOwnerAppPages(router: Router, kit: PageKit, services: PageServices, secret: string | undefined): void {
  const cookiePath = kit.url('/owner');

  /** Any refusal on these pages is the owner's error page (their layout, their language), not the staff one. */
  const ownerErrors: Middleware = async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (!(err instanceof DomainError) || err.status >= 500 || err.code === 'validation_failed' || !ctx.state.session) throw err;
      await kit.render(ctx, 'ownerError', { title: kit.t(ctx, 'owner.app.errorTitle'), layout: 'owner', message: err.localized[kit.locale(ctx)] }, err.status);
    }
  };
  // Inside the page error handler, after the session: so a CSRF refusal is shown in the owner's layout too.
  const withOwnerErrors = (stack: Middleware[]) => [...stack.slice(0, 5), ownerErrors, ...stack.slice(5)];
  const stack = withOwnerErrors(kit.stack);
  const uploadStack = withOwnerErrors(kit.ownerUploadStack);

  function ownerOf(ctx: Context): OwnerIdentity {
    if (!secret) throw refusal('owner_app_disabled', m.ownerApiDisabled);
    const owner = readAppSession(ctx.cookies.get(OWNER_APP_COOKIE), secret, kit.context.clock.now().getTime());
    if (!owner) throw refusal('owner_app_session', m.appSessionMissing);
    return owner;
  }

  function statusTarget(owner: OwnerIdentity, id: number): OwnerStatusTarget {
    return {
      access: { kind: 'app', owner, complaintId: id },
      selfPath: `/owner/c/${id}`,
      backUrl: kit.url('/owner/mine'),
      fileUrls: (aid) => ({ url: kit.url(`/owner/c/${id}/files/${aid}`), thumbnailUrl: kit.url(`/owner/c/${id}/files/${aid}/thumb`) }),
    };
  }

  const common = async () => ({ layout: 'owner', privacyNoticeUrl: (await kit.context.settings.get()).privacy.noticeUrl });

  // The exchange: token in, cookie set, on to a page without the token. A GET that sets a cookie is safe
  // here: it only ever names the owner the ERP signed for, and opens nothing else.
  router.get('/owner/app', ...stack, async (ctx) => {
    if (!secret) throw refusal('owner_app_disabled', m.ownerApiDisabled);
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    const settings = await kit.context.settings.get();
    const opened = token
      ? openAppSession(token, secret, kit.context.clock.now().getTime(), settings.userHeaderMaxLifetimeHours * 3600)
      : ({ ok: false, reason: 'malformed' } as const);
    if (!opened.ok) throw refusal('owner_app_token', opened.reason === 'too_many_units' ? m.appTooManyUnits : m.appTokenRefused);
    ctx.cookies.set(OWNER_APP_COOKIE, opened.cookie, {
      httpOnly: true,
      sameSite: 'lax',
      secure: ctx.secure,
      path: cookiePath,
      maxAge: OWNER_APP_SESSION_SECONDS * 1000,
      overwrite: true,
    });
    ctx.status = 303;
    ctx.redirect(kit.url(nextPath(ctx.query.next)));
  });

  router.get('/owner/mine', ...stack, async (ctx) => {
    const owner = ownerOf(ctx);
    const settings = await kit.context.settings.get();
    const items = await services.owner.listMine(owner);
    const units = await kit.context.host.getUnits(owner.unitIds.slice(0, 50));
    await kit.render(ctx, 'ownerMine', {
      ...(await common()),
      title: kit.t(ctx, 'owner.app.mine'),
      items: items.map((c) => ({
        code: c.code,
        href: kit.url(`/owner/c/${c.id}`),
        unitLabel: c.unitLabel,
        receivedAt: c.receivedAt,
        // The owner's own words, shortened, with phone numbers masked as on the status page.
        description: maskPhones([...c.description].length > 40 ? `${[...c.description].slice(0, 40).join('')}…` : c.description),
        state: `owner.app.state.${c.state}` as MessageKey,
      })),
      newUrl: kit.url('/owner/new'),
      units: owner.unitIds.map((id) => ({ label: units.get(id)?.label ?? id, href: kit.url(`/owner/new?unit=${encodeURIComponent(id)}`) })),
      timezone: settings.timezone,
    });
  });

  async function renderNew(
    ctx: Context,
    owner: OwnerIdentity,
    values: Record<string, string>,
    state: { errors?: Record<string, string>; formError?: string; reselect?: boolean } = {},
    status = 200,
  ) {
    const settings = await kit.context.settings.get();
    const units = await kit.context.host.getUnits(owner.unitIds.slice(0, 50));
    await kit.render(
      ctx,
      'ownerNew',
      {
        ...(await common()),
        title: kit.t(ctx, 'owner.app.new'),
        selfPath: kit.url('/owner/new'),
        action: kit.url('/owner/new'),
        backUrl: kit.url('/owner/mine'),
        units: owner.unitIds.slice(0, 50).map((id) => ({ value: id, label: units.get(id)?.label ?? id, selected: id === values.unitId })),
        categories: choices(categoryLabels(settings), values.category || 'other'),
        values,
        errors: state.errors ?? {},
        formError: state.formError ?? null,
        upload: uploadView(limitsFrom(settings), !!state.reselect),
      },
      status,
    );
  }

  router.get('/owner/new', ...stack, async (ctx) => {
    const owner = ownerOf(ctx);
    const asked = typeof ctx.query.unit === 'string' ? ctx.query.unit : null;
    if (asked !== null && !owner.unitIds.includes(asked)) throw new DomainError('owner_not_your_unit', 403, m.notYourUnit.message);
    const unit = asked ?? (owner.unitIds.length === 1 ? owner.unitIds[0]! : '');
    await renderNew(ctx, owner, { unitId: unit, category: 'other', idempotencyKey: newFormKey() });
  });

  router.post('/owner/new', ...uploadStack, async (ctx) => {
    const owner = ownerOf(ctx);
    const form = formOf(ctx);
    const values: Record<string, string> = { idempotencyKey: formKey(form.get('idempotencyKey')) ?? newFormKey() };
    for (const f of FILING_FIELDS) values[f] = form.get(f);
    const photos = uploadsOf(ctx, 'files');
    const input: Record<string, unknown> = {};
    for (const f of FILING_FIELDS) {
      const v = f === 'complainantPhone' ? values[f]!.replace(/[\s-]/g, '') : values[f]!.trim();
      if (v) input[f] = v;
    }
    try {
      if (!input.unitId) throw new DomainError('validation_failed', 400, m.appUnitRequired.message, [m.appUnitRequired]);
      const { complaint } = await services.owner.fileComplaint(owner, input, { photos, ip: ctx.ip, idempotencyKey: values.idempotencyKey! });
      kit.redirect(ctx, `/owner/c/${complaint.id}`, 'created');
    } catch (err) {
      const locale = kit.locale(ctx);
      if (isValidationError(err)) {
        const errors = fieldMessages(err.fields as FieldError[], locale);
        return renderNew(ctx, owner, values, { errors, formError: translate(locale, 'common.formInvalid'), reselect: photos.length > 0 }, 422);
      }
      if (err instanceof DomainError && err.status === 429) {
        ctx.set('Retry-After', '3600');
        return renderNew(ctx, owner, values, { formError: err.localized[locale], reselect: photos.length > 0 }, 429);
      }
      throw err;
    }
  });

  const complaintId = (ctx: Context): number => {
    const id = positiveInt(ctx.params.id);
    if (!id) throw new DomainError('not_found', 404, m.notYourComplaint);
    return id;
  };

  router.get('/owner/c/:id', ...stack, async (ctx) => {
    await renderStatus(ctx, kit, services, statusTarget(ownerOf(ctx), complaintId(ctx)));
  });

  for (const [suffix, variant] of [
    ['', 'original'],
    ['/thumb', 'thumbnail'],
  ] as const) {
    router.get(`/owner/c/:id/files/:fileId${suffix}`, ...stack, async (ctx) => {
      const owner = ownerOf(ctx);
      const fileId = positiveInt(ctx.params.fileId);
      if (!fileId) throw new DomainError('not_found', 404, { 'zh-CN': '附件不存在', en: 'Attachment not found' });
      const content = await services.owner.attachment({ kind: 'app', owner, complaintId: complaintId(ctx) }, fileId, variant);
      sendAttachment(ctx, content, { download: ctx.query.download === '1' });
    });
  }

  router.post('/owner/c/:id/add', ...uploadStack, async (ctx) => {
    const target = statusTarget(ownerOf(ctx), complaintId(ctx));
    const values = { text: formOf(ctx).get('text') };
    try {
      await services.owner.addInformation(target.access, values.text, ctx.ip, uploadsOf(ctx, 'files'));
      kit.redirect(ctx, target.selfPath, 'ownerAdded');
    } catch (err) {
      await renderRefusal(ctx, kit, services, target, { open: 'add', values }, err, inAppPage);
    }
  });

  router.post('/owner/c/:id/rate', ...stack, async (ctx) => {
    const target = statusTarget(ownerOf(ctx), complaintId(ctx));
    const form = formOf(ctx);
    const values = { stars: form.get('stars'), comment: form.get('comment'), rehandle: form.checked('rehandle') ? '1' : '' };
    try {
      await services.owner.rate(target.access, { stars: values.stars, comment: values.comment, rehandle: values.rehandle === '1' });
      kit.redirect(ctx, target.selfPath, 'ownerRated');
    } catch (err) {
      await renderRefusal(ctx, kit, services, target, { open: 'rate', values }, err, inAppPage);
    }
  });
}

/** In the app a missing complaint (404) or a server fault goes to the error page; the rest shows beside the form. */
const inAppPage = (err: DomainError): boolean => err.status !== 404 && err.status < 500;
