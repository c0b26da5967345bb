// Mode (c) of authentication, for the demo: a sign-in page listing one demo user per role. Choosing one
// opens a new session (new id) in our sessions table that says who acts; signing out deletes it.
// Only the listed users can be chosen, and the form is CSRF-protected like every other (no login CSRF).
import type Router from '@koa/router';
import type { Actor } from '../../auth/actor.js';
import { ROLE_LABELS } from '../../auth/permissions.js';
import type { SessionHandle } from '../../http/session.js';
import type { PageKit } from '../kit.js';
import { formOf, safeNext } from '../forms.js';
import { ValidationError, fieldError } from '../../common/errors.js';
import { hasCommunities } from '../../host/mapping.js';

export interface DemoSignInOptions {
  /** The users offered on the sign-in page (e.g. DEMO_USERS). */
  users: Actor[];
}

function groups(users: Actor[], locale: 'zh-CN' | 'en', communityNames: Map<string, string> = new Map()) {
  const byRole = new Map<string, Array<{ id: string; name: string; scope: string | null }>>();
  for (const user of users) {
    const role = user.roles[0] ?? '';
    const list = byRole.get(role) ?? [];
    list.push({ id: user.id, name: user.name, scope: user.communityIds ? user.communityIds.map((id) => communityNames.get(id) ?? id).join('、') : null });
    byRole.set(role, list);
  }
  return [...byRole].map(([role, list]) => ({ role, label: ROLE_LABELS[role]?.[locale] ?? role, users: list }));
}

export function registerSignInRoutes(router: Router, kit: PageKit, options: DemoSignInOptions, extras?: () => Record<string, unknown>): void {
  const users = new Map(options.users.map((u) => [u.id, u]));

  router.get('/sign-in', ...kit.stack, async (ctx) => {
    const next = safeNext(ctx.query.next, kit.base);
    const communities = kit.context.mapping.community || hasCommunities(kit.context.mapping) ? await kit.context.host.listCommunities() : [];
    await kit.render(ctx, 'signIn', {
      title: kit.t(ctx, 'signIn.title'),
      groups: groups(options.users, kit.locale(ctx), new Map(communities.map((c) => [c.id, c.name]))),
      next,
      ...(extras?.() ?? {}),
    });
  });

  router.post('/sign-in', ...kit.stack, async (ctx) => {
    const form = formOf(ctx);
    const user = users.get(form.get('userId'));
    if (!user) {
      const err = new ValidationError([fieldError('userId', '请选择一位演示用户', 'Choose one of the demo users')]);
      ctx.state.actor = null;
      await kit.render(
        ctx,
        'signIn',
        {
          title: kit.t(ctx, 'signIn.title'),
          selfPath: kit.url('/sign-in'),
          groups: groups(options.users, kit.locale(ctx)),
          next: safeNext(form.get('next'), kit.base),
          errors: { userId: err.fields[0]!.message[kit.locale(ctx)] },
        },
        422,
      );
      return;
    }
    await (ctx.state.session as SessionHandle).signIn(user);
    ctx.status = 303;
    ctx.redirect(safeNext(form.get('next'), kit.base));
  });
}

/** Sign-out is a POST (no state change on GET) and works in every mode: it deletes our session row. */
export function registerSignOutRoute(router: Router, kit: PageKit): void {
  router.post('/sign-out', ...kit.stack, async (ctx) => {
    await (ctx.state.session as SessionHandle).signOut();
    ctx.status = 303;
    ctx.redirect(kit.signInEnabled ? `${kit.url('/sign-in')}?ok=signedOut` : kit.url('/'));
  });
}
