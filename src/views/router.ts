// Every server-rendered page, as one @koa/router Router without a prefix: the plugin factory mounts it
// inside its own router (routes prefix /complaints). Page middleware is attached per route (kit.stack)
// rather than with router.use, so none of it (sessions, CSRF, form parsing) touches the JSON API.
import Router from '@koa/router';
import type { HostCheckReport } from '../host/check.js';
import type { InstallStatus } from '../install/installer.js';
import type { PluginContext } from '../common/context.js';
import { registerSignInRoutes, registerSignOutRoute, type DemoSignInOptions } from './pages/signIn.js';
import type { CsrfOptions } from '../http/csrf.js';
import { NOT_FOUND_PAGE } from '../http/pageErrors.js';
import { SessionStore, type SessionOptions } from '../auth/sessionStore.js';
import { createViewEngine, type ViewEngine } from './engine.js';
import { PageKit } from './kit.js';
import { registerAssets } from './pages/assets.js';
import { registerWorkbench } from './pages/workbench.js';
import { registerMine } from './pages/mine.js';
import { registerIntake } from './pages/intake.js';
import { registerList } from './pages/list.js';
import { registerDetail } from './pages/detail.js';
import { registerOffsets } from './pages/offsets.js';
import { registerCashier } from './pages/cashier.js';
import { registerAdmin } from './pages/admin.js';
import { registerReport } from './pages/report.js';
import { registerOwnerPages } from './pages/owner.js';
import { registerOwnerAppPages } from './pages/ownerApp.js';
import { registerPrivacy } from './pages/privacy.js';
import { registerHandlingForm } from './pages/handlingForm.js';
import { registerIncidents } from './pages/incidents.js';
import { registerMerge } from './pages/merge.js';
import { registerImprovements } from './pages/improvements.js';
import { DomainError } from '../common/errors.js';
import type { PageServices } from './services.js';

export type { PageServices } from './services.js';

export interface PageRouterOptions {
  /** The routes prefix the router is mounted under ('/complaints'); used in links and the cookie path. */
  base: string;
  /** Demo sign-in (mode c). Without it, the host's auth adapter alone says who acts. */
  signIn?: DemoSignInOptions;
  /** Extra data shown on the sign-in page (the demo lists its JSON API tokens). */
  signInExtras?: () => Record<string, unknown>;
  status(): Promise<InstallStatus>;
  checkHost(): Promise<HostCheckReport>;
  session?: SessionOptions;
  csrf?: CsrfOptions;
  log?: (err: unknown, reference: string, requestId?: string) => void;
  /** The owner app's shared secret: the embedded owner pages (/owner/…) exchange its signed owner token for a session. */
  ownerTokenSecret?: string;
  /** A prebuilt engine (tests); normally the templates are compiled here, once. */
  views?: ViewEngine;
}

export interface PageRouter {
  router: Router;
  sessions: SessionStore;
}

export function createPageRouter(context: PluginContext, services: PageServices, options: PageRouterOptions): PageRouter {
  const views = options.views ?? createViewEngine();
  const sessions = new SessionStore(context.db, context.tables, context.clock, options.session);
  const kit = new PageKit({ context, views, sessions, base: options.base, signInEnabled: !!options.signIn, csrf: options.csrf, log: options.log });
  const router = new Router();

  registerAssets(router, kit);
  if (options.signIn) registerSignInRoutes(router, kit, options.signIn, options.signInExtras);
  registerSignOutRoute(router, kit);
  registerWorkbench(router, kit, services);
  registerMine(router, kit, services);
  // In front of the slip route (registered with the intake): a malformed id is the detail page's 404.
  registerIntake(router, kit, services);
  registerList(router, kit, services);
  registerDetail(router, kit, services);
  registerHandlingForm(router, kit, services);
  registerMerge(router, kit, services);
  registerIncidents(router, kit, services);
  registerOffsets(router, kit, services);
  registerCashier(router, kit, services);
  registerAdmin(router, kit, { status: options.status, checkHost: options.checkHost });
  registerReport(router, kit);
  registerImprovements(router, kit);
  registerOwnerPages(router, kit, services);
  registerOwnerAppPages(router, kit, services, options.ownerTokenSecret);
  registerPrivacy(router, kit);

  // Any other GET under the prefix (except the JSON API, which answers for itself) is the 404 page.
  // A RegExp path is not prefixed by the parent router, so the prefix is part of it.
  const escaped = options.base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  router.get(new RegExp(`^${escaped}/(?!api(?:/|$)).*$`), ...kit.stack, async () => {
    throw new DomainError('not_found', 404, NOT_FOUND_PAGE.message);
  });
  return { router, sessions };
}
