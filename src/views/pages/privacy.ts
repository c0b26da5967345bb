// 个人信息 (administrators): everything held about one owner as a JSON file, and the owner's erasure on
// request. Both go through the privacy service, which checks admin.manage and writes the audit record.
// Bad input (an owner id that is not one) re-renders the form with the field's message and the typed id.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { DomainError } from '../../common/errors.js';
import { createPrivacyService } from '../../privacy/service.js';
import { fieldMessages, formOf, isValidationError } from '../forms.js';
import type { PageKit } from '../kit.js';

async function renderPrivacy(
  ctx: Context,
  kit: PageKit,
  state: { ownerId?: string; errors?: Record<string, string>; formError?: string | null; done?: string[] } = {},
  status = 200,
): Promise<void> {
  const { privacy } = await kit.context.settings.get();
  await kit.render(
    ctx,
    'privacy',
    {
      title: kit.t(ctx, 'privacy.title'),
      selfPath: kit.url('/admin/privacy'),
      section: 'admin',
      ownerId: state.ownerId ?? '',
      errors: state.errors ?? {},
      formError: state.formError ?? null,
      done: state.done ?? null,
      doneCount: state.done?.length ?? 0,
      settings: privacy,
    },
    status,
  );
}

export function registerPrivacy(router: Router, kit: PageKit): void {
  router.get('/admin/privacy', ...kit.stack, async (ctx) => {
    kit.require(ctx, 'admin.manage');
    await renderPrivacy(ctx, kit);
  });

  // A GET that downloads: bookmarkable, and the audit says who exported which owner's data when.
  router.get('/admin/privacy/export', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'admin.manage');
    const ownerId = typeof ctx.query.ownerId === 'string' ? ctx.query.ownerId : '';
    try {
      const data = await createPrivacyService(kit.context).exportOwner(ownerId, actor);
      const safe = data.ownerId.replace(/[^A-Za-z0-9_-]/g, '_');
      ctx.attachment(`owner-${safe}-${data.exportedAt.slice(0, 10)}.json`);
      ctx.type = 'application/json; charset=utf-8';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = JSON.stringify(data, null, 2);
    } catch (err) {
      if (!isValidationError(err)) throw err;
      await renderPrivacy(ctx, kit, { ownerId: ownerId.slice(0, 100), errors: fieldMessages(err.fields, kit.locale(ctx)) }, 422);
    }
  });

  router.post('/admin/privacy/anonymise', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'admin.manage');
    const form = formOf(ctx);
    const ownerId = form.get('ownerId').trim();
    const locale = kit.locale(ctx);
    if (!form.checked('confirm')) {
      const errors = { confirm: locale === 'en' ? "Tick the box once you have verified the owner's request" : '请核实业主的申请后勾选确认' };
      return renderPrivacy(ctx, kit, { ownerId: ownerId.slice(0, 100), errors }, 422);
    }
    try {
      const result = await createPrivacyService(kit.context).anonymiseOwner(ownerId, actor);
      await renderPrivacy(ctx, kit, { done: result.complaints });
    } catch (err) {
      if (isValidationError(err)) return renderPrivacy(ctx, kit, { ownerId: ownerId.slice(0, 100), errors: fieldMessages(err.fields, locale) }, 422);
      if (err instanceof DomainError && err.status === 409)
        return renderPrivacy(ctx, kit, { ownerId: ownerId.slice(0, 100), formError: err.localized[locale] }, 409);
      throw err;
    }
  });
}
