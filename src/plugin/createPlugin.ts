// The one factory a Node/Koa host calls: it returns the router to mount, the billing hooks, the jobs,
// and install/start/stop. The standalone service and the demo use exactly the same factory.
import type { SessionOptions } from '../auth/sessionStore.js';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Knex } from 'knex';
import type { Middleware } from 'koa';
import { recordSignedIn } from '../staff/directory.js';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, checkedActor, type AuthAdapter } from '../auth/adapter.js';
import { systemClock, type Clock } from '../clock.js';
import { tableNames, DEFAULT_PREFIX } from '../db/tables.js';
import { HostGateway } from '../host/gateway.js';
import { checkHost, type HostCheckReport } from '../host/check.js';
import { validateMapping, type HostMapping } from '../host/mapping.js';
import { install, status, uninstall, type InstallStatus, type UninstallOptions } from '../install/installer.js';
import { loadManifest, type Manifest } from '../manifest/manifest.js';
import { SettingsStore } from '../settings/settings.js';
import { apiErrorMiddleware } from '../http/apiErrors.js';
import { requireJsonContent, requireJsonObject } from '../http/jsonBody.js';
import { localeMiddleware } from '../http/locale.js';
import { buildOpenApi, type ApiOperation } from '../http/openapi.js';
import { complaintsApiOperations, complaintsApiRouter } from '../http/api/complaints.js';
import { createPageRouter } from '../views/router.js';
import type { DemoSignInOptions } from '../views/pages/signIn.js';
import { createComplaintService, type ComplaintService } from '../complaints/service.js';
import { createOffsetService, type OffsetService } from '../offsets/service.js';
import { createCompensationService, type CompensationService } from '../compensations/service.js';
import { createOwnerService, type OwnerService } from '../owner/service.js';
import type { CsrfOptions } from '../http/csrf.js';
import { createBillingHooks, type BillingHooks } from '../offsets/hooks.js';
import { billingApiOperations, billingApiRouter, offsetsApiOperations, offsetsApiRouter } from '../http/api/offsets.js';
import { reportsApiOperations, reportsApiRouter } from '../http/api/reports.js';
import { incidentsApiOperations, incidentsApiRouter } from '../http/api/incidents.js';
import { improvementsApiOperations, improvementsApiRouter } from '../http/api/improvements.js';
import { unitsApiOperations, unitsApiRouter } from '../http/api/units.js';
import { ownerApiOperations, ownerApiRouter, ownerUploadRouter } from '../http/api/owner.js';
import { requirePermission } from '../auth/permissions.js';
import { startBackgroundWork, type BackgroundWork } from '../jobs/background.js';
import type { PluginContext } from '../common/context.js';
import type { Actor } from '../auth/actor.js';
import { UnauthenticatedError } from '../common/errors.js';
import { configureCausalReads, type CausalReadsMode } from '../db/causalReads.js';
import { countUndelivered } from '../notifications/outbox.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { PluginMetrics } from '../observability/metrics.js';
import { Readiness } from '../observability/readiness.js';
import { observedBillingHooks, observedOffsetService } from '../observability/billingObserver.js';
import { operationsApiOperations, operationsRouter } from '../http/operations.js';
import { requestContextMiddleware } from '../http/requestContext.js';
import { createAttachmentService, type AttachmentService } from '../attachments/service.js';
import { DatabaseBlobStore, DirectoryBlobStore, type AttachmentStore } from '../attachments/store/blobStore.js';
import { attachmentsApiOperations, attachmentsApiRouter } from '../http/api/attachments.js';

export interface ComplaintsPluginOptions {
  knex: Knex;
  /** The host mapping (already parsed, or any object: it is validated here). */
  mapping: HostMapping | unknown;
  /** Who is signed in; see src/auth/adapter.ts for the three modes. */
  auth: AuthAdapter;
  /** Table prefix for our tables (default cmp_). */
  prefix?: string;
  /** Where the router mounts (default /complaints). */
  routesPrefix?: string;
  clock?: Clock;
  /** Shared secret for service-to-service (billing) requests from ERPs in other languages. */
  serviceSecret?: string;
  /** Extra data for the sign-in page (the demo lists its users' API tokens). */
  homeExtras?: () => Record<string, unknown>;
  /** Mode (c), the demo: a sign-in page offering these users; sessions opened there say who acts. */
  signIn?: DemoSignInOptions;
  /**
   * Page sessions: lifetimes, and how long one is answered from memory (`cacheMs`, default 30 s; 0 where a
   * revocation must be seen by every instance at once: see README, Deployment).
   */
  session?: SessionOptions;
  /**
   * CSRF checks of the page forms. `trustedOrigins`: origins allowed to post besides the plugin's own, e.g.
   * 'https://erp.example.com' when the host serves the pages through a reverse proxy under another origin.
   */
  csrf?: CsrfOptions;
  /**
   * Where the plugin's JSON log lines go: the host's own pino logger (or a child of it). Without one the
   * plugin makes its own on stdout at COMPLAINTS_LOG_LEVEL, by default `warn` (in a host, request lines
   * are the host's choice); `complaints serve` makes one at `info`.
   */
  logger?: Logger;
  /** Receives unexpected errors instead of the logger (tests collect them this way). */
  log?: (err: unknown) => void;
  /**
   * Reads that must see the latest write (billing check, apply and reverse, job claims) wait for the
   * cluster on a Galera node (wsrep_sync_wait). 'auto' (default): when the server reports wsrep_on=ON.
   */
  causalReads?: CausalReadsMode;
  /**
   * Where attachment bytes are kept: in our database tables (default; shared by every instance, backed
   * up with the ERP), `{ directory }` (a local or shared directory), or any AttachmentStore of the host's.
   */
  attachmentStore?: AttachmentStore | { directory: string };
  /**
   * When the scheduled jobs run, overriding plugin.json's cron list (same job names; node-cron
   * expressions, a sixth leading field for seconds). For a host that wants, say, escalation every 5 minutes.
   */
  schedule?: Manifest['cron'];
  /**
   * The shared secret the ERP's owner app signs owner tokens (X-Complaints-Owner) with; without it the owner
   * API (/api/owner) answers 401. `complaints serve` passes its --secret.
   */
  ownerTokenSecret?: string;
}

export interface ComplaintsPlugin {
  context: PluginContext;
  router: Router;
  /**
   * The signed billing API (/api/billing/...) alone, with only the middleware it uses. `router` has the
   * same routes; the standalone service (createServerApp) mounts this one ahead of it, so fee collection is
   * matched against five routes instead of every page and API route. A host may do the same.
   */
  billingRouter: Router;
  /** The complaint commands and queries, for hosts that drive them in-process. */
  complaints: ComplaintService;
  offsets: OffsetService;
  /** Compensation (赔付) paid to owners apart from fees, for hosts that record it in-process. */
  compensations: CompensationService;
  /** Attachments of complaints (staff calls, and the owner-side calls for the owner's pages). */
  attachments: AttachmentService;
  /** The owner's side: status links, the owner's rating and additions, for hosts that drive them in-process. */
  owner: OwnerService;
  /** The billing hooks (plugin.json `hooks`): check, apply and reverse offsets at fee collection. */
  billing: BillingHooks;
  manifest: ReturnType<typeof loadManifest>;
  /** Checks the host and runs pending migrations; `enforceOffsets` adds the optional payment guard trigger. */
  install(options?: { enforceOffsets?: boolean }): Promise<{ applied: string[] }>;
  status(): Promise<InstallStatus>;
  checkHost(): Promise<HostCheckReport>;
  uninstall(options?: UninstallOptions): Promise<{ purged: boolean }>;
  openApi(): Record<string, unknown>;
  /** The plugin's logger (request lines, jobs, deliveries, unexpected errors). */
  logger: Logger;
  /** The Prometheus registry behind /metrics; the cluster and retry code report through src/db/transactionEvents. */
  metrics: PluginMetrics;
  /** Readiness (readyz) answers 503 from now on: call it when shutdown begins, before draining requests. */
  markDraining(): void;
  start(): Promise<void>;
  /** Marks the instance draining, stops the scheduled jobs and outbox delivery, and waits for those running. */
  stop(): Promise<void>;
}

const pluginOperations: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This OpenAPI 3.1 document, built from the JSON Schemas the routes validate with; open to anyone signed in or not',
    tags: ['operations'],
    security: 'none',
    responseSchema: { type: 'object', required: ['openapi', 'paths'], properties: { openapi: { type: 'string' }, paths: { type: 'object' } } },
  },
  {
    method: 'get',
    path: '/api/status',
    operationId: 'getInstallStatus',
    summary: 'Installation status: schema version, applied and pending migrations, the offset guard trigger, missing indexes; needs admin.manage',
    tags: ['operations'],
    responseSchema: {
      type: 'object',
      required: ['installed', 'version', 'codeVersion', 'applied', 'pending'],
      properties: {
        installed: { type: 'boolean' },
        version: { type: ['string', 'null'] },
        codeVersion: { type: 'string' },
        installedAt: { type: ['string', 'null'] },
        applied: { type: 'array', items: { type: 'string' } },
        pending: { type: 'array', items: { type: 'string' } },
        offsetGuardTable: { type: ['string', 'null'] },
        missingIndexes: {
          type: 'array',
          items: { type: 'string' },
          description: 'Indexes of ours that reads name but the database lacks (dropped or renamed): those reads answer more slowly',
        },
      },
    },
    example: 'curl "$BASE/api/status" -H "X-Complaints-User: $TOKEN"',
  },
];

/** Every documented operation, in the order the document lists them. */
export const allApiOperations: readonly ApiOperation[] = [
  ...complaintsApiOperations,
  ...offsetsApiOperations,
  ...billingApiOperations,
  ...reportsApiOperations,
  ...incidentsApiOperations,
  ...improvementsApiOperations,
  ...unitsApiOperations,
  ...attachmentsApiOperations,
  ...ownerApiOperations,
  ...operationsApiOperations,
  ...pluginOperations,
];

/** The OpenAPI document the plugin serves at {routesPrefix}/api/openapi.json (needs no database). */
export function pluginOpenApi(routesPrefix?: string): Record<string, unknown> {
  const manifest = loadManifest();
  return buildOpenApi(
    [...allApiOperations],
    { title: manifest.name.en, version: manifest.version, description: manifest.description.en },
    routesPrefix ?? manifest.routesPrefix,
  );
}

/** 401 when nobody is signed in (as every other API route answers), 403 without the permission. */
function requireApiPermission(actor: Actor | null | undefined, permission: Parameters<typeof requirePermission>[1]): void {
  if (!actor) throw new UnauthenticatedError();
  requirePermission(actor, permission);
}

/**
 * Sets ctx.state.actor from the auth adapter; API routes answer 401 without one. The adapter gets the
 * token lifetime cap from settings; whatever it returns must have an actor's shape (checkedActor).
 */
function actorMiddleware(auth: AuthAdapter, settings: SettingsStore, context: PluginContext): Middleware {
  return async (ctx, next) => {
    // A database that does not answer is the route's to report (a 503 page), not this middleware's.
    const maxTokenLifetimeSeconds = await settings.get().then(
      (s) => s.userHeaderMaxLifetimeHours * 3600,
      () => DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
    );
    ctx.state.actor = checkedActor(await auth(ctx, { maxTokenLifetimeSeconds }));
    // Best effort (see src/staff/directory.ts): the directory of people seen, never a reason to fail.
    if (ctx.state.actor) await recordSignedIn(context, ctx.state.actor as Actor).catch(() => undefined);
    await next();
  };
}

export function createComplaintsPlugin(options: ComplaintsPluginOptions): ComplaintsPlugin {
  const manifest = loadManifest();
  const mapping = validateMapping(options.mapping);
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const routesPrefix = options.routesPrefix ?? manifest.routesPrefix;
  const clock = options.clock ?? systemClock;
  const tables = tableNames(prefix);
  if (options.causalReads) configureCausalReads(options.knex, options.causalReads);
  const context: PluginContext = {
    db: options.knex,
    prefix,
    tables,
    mapping,
    host: new HostGateway(options.knex, mapping),
    settings: new SettingsStore(options.knex, tables, clock),
    clock,
    routesPrefix,
  };
  const logger = options.logger ?? createLogger({ level: process.env.COMPLAINTS_LOG_LEVEL || 'warn' });
  const unexpected = (err: unknown, reqId?: string) =>
    options.log ? options.log(err) : logger.error({ err, ...(reqId ? { reqId } : {}) }, 'unexpected error');
  const metrics = new PluginMetrics({ db: options.knex, outboxBacklog: () => countUndelivered(options.knex, tables) });
  const readiness = new Readiness({
    db: options.knex,
    status: () => status(options.knex, mapping, { prefix }),
    outboxBacklog: () => countUndelivered(options.knex, tables),
    settings: () => context.settings.get(),
  });
  const openApi = () => pluginOpenApi(routesPrefix);

  const requestContext = requestContextMiddleware({ logger, metrics });
  const locale = localeMiddleware();
  const router = new Router({ prefix: routesPrefix });
  router.use(requestContext, locale);
  // Health, readiness and metrics answer before anyone is identified: they need no user (and healthz no database).
  const ops = operationsRouter({ readiness, metrics, settings: () => context.settings.get() });
  router.use(ops.routes(), ops.allowedMethods());
  router.use(actorMiddleware(options.auth, context.settings, context));

  const complaints = createComplaintService(context);
  // Billing answers and the fen they move are counted around the service, never inside src/offsets.
  const offsets = observedOffsetService(createOffsetService(context), metrics, clock);
  const compensations = createCompensationService(context);
  const attachmentStore =
    options.attachmentStore && 'directory' in options.attachmentStore && !('put' in options.attachmentStore)
      ? new DirectoryBlobStore(options.attachmentStore.directory)
      : ((options.attachmentStore as AttachmentStore | undefined) ?? new DatabaseBlobStore(options.knex, tables));
  const attachments = createAttachmentService(context, attachmentStore);
  // Uploads are multipart: this router parses its own bodies, so it is mounted before the JSON-only ones.
  const attachmentsApi = new Router();
  attachmentsApi.use('/api/complaints/:id/attachments', apiErrorMiddleware(unexpected));
  const attachmentRoutes = attachmentsApiRouter(attachments, routesPrefix);
  attachmentsApi.use(attachmentRoutes.routes(), attachmentRoutes.allowedMethods());
  router.use(attachmentsApi.routes(), attachmentsApi.allowedMethods());
  const complaintsCreate = complaints.create.bind(complaints);
  const owner = createOwnerService(context, attachments, { createComplaint: complaintsCreate });
  // The owner app's photo uploads are multipart too (their own body parser), so mounted here as well.
  const ownerUploads = new Router();
  ownerUploads.use('/api/owner/complaints/:id/attachments', apiErrorMiddleware(unexpected));
  const ownerUploadRoutes = ownerUploadRouter(context, owner, attachments, { secret: options.ownerTokenSecret });
  ownerUploads.use(ownerUploadRoutes.routes(), ownerUploadRoutes.allowedMethods());
  router.use(ownerUploads.routes(), ownerUploads.allowedMethods());
  // The billing routes parse their own (larger, month-end: up to 5 MB) bodies and authenticate by request
  // signature. They are mounted first: @koa/router runs every matching router-level middleware registered
  // before the route, so mounted after the /api routers they went through those routers' 1 MB body parser
  // too, and month-end batches over 1 MB were refused with 413.
  const billingApi = new Router();
  billingApi.use('/api/billing', apiErrorMiddleware(unexpected), requireJsonContent());
  const billing = billingApiRouter(context, { secret: options.serviceSecret }, offsets);
  billingApi.use(billing.routes(), billing.allowedMethods());
  router.use(billingApi.routes(), billingApi.allowedMethods());
  // Fee collection's own lane: the same billing routes behind only the request context and the locale
  // (the billing API authenticates by signature, not by the actor middleware, and parses its own bodies).
  // @koa/router flattens every nested router into one stack, and each request is matched against all of
  // it and runs a chain of every middleware layer on its path: through `router` a check was tested against
  // 169 layers and composed 33 (issue 20 profile: about a fifth of the check's CPU). A request the lane
  // has no route for (another method, an unknown path) runs none of its middleware and goes on to
  // `router`, which answers it as before (405 with Allow, or 404).
  const billingRouter = new Router({ prefix: routesPrefix });
  billingRouter.use(requestContext, locale);
  billingRouter.use(billingApi.routes());

  const apiMiddleware = [apiErrorMiddleware(unexpected), requireJsonContent(), bodyParser({ jsonLimit: '1mb', enableTypes: ['json'] }), requireJsonObject()];
  const api = new Router({ prefix: '/api' });
  api.use(...apiMiddleware);
  api.get('/openapi.json', (ctx) => {
    ctx.body = openApi();
  });
  api.get('/status', async (ctx) => {
    requireApiPermission(ctx.state.actor as Actor | null | undefined, 'admin.manage');
    ctx.body = await status(options.knex, mapping, { prefix });
  });
  router.use(api.routes(), api.allowedMethods());

  // Domain API routers carry their whole /api/... prefix; this wrapper gives them the same error and body
  // handling (and only to /api paths).
  const domainApis = new Router();
  domainApis.use('/api', ...apiMiddleware);
  for (const r of [
    complaintsApiRouter(context, complaints, compensations),
    offsetsApiRouter(context, offsets),
    reportsApiRouter(context),
    incidentsApiRouter(complaints),
    improvementsApiRouter(context),
    unitsApiRouter(context, offsets),
    ownerApiRouter(context, owner, { secret: options.ownerTokenSecret }),
  ])
    domainApis.use(r.routes(), r.allowedMethods());
  router.use(domainApis.routes(), domainApis.allowedMethods());

  // Server-rendered pages (workbench, intake, list, detail, offsets, cashier, admin; demo sign-in).
  const pages = createPageRouter(
    context,
    { complaints, offsets, compensations, attachments, owner },
    {
      base: routesPrefix,
      signIn: options.signIn,
      signInExtras: options.homeExtras,
      status: () => status(options.knex, mapping, { prefix }),
      checkHost: () => checkHost(options.knex, mapping),
      ...(options.csrf ? { csrf: options.csrf } : {}),
      ...(options.ownerTokenSecret ? { ownerTokenSecret: options.ownerTokenSecret } : {}),
      ...(options.session ? { session: options.session } : {}),
      log: (err: unknown, reference: string, reqId?: string) =>
        options.log ? options.log(err) : logger.error({ err, reference, ...(reqId ? { reqId } : {}) }, 'page error'),
    },
  );
  router.use(pages.router.routes(), pages.router.allowedMethods());

  let background: BackgroundWork | null = null;
  return {
    context,
    router,
    billingRouter,
    manifest,
    complaints,
    offsets,
    compensations,
    attachments,
    owner,
    billing: observedBillingHooks(createBillingHooks(context), metrics, clock),
    install: async (opts: { enforceOffsets?: boolean } = {}) => install(options.knex, mapping, { prefix, clock, ...opts }),
    status: () => status(options.knex, mapping, { prefix }),
    checkHost: () => checkHost(options.knex, mapping),
    uninstall: (opts = {}) => uninstall(options.knex, mapping, { prefix, ...opts }),
    openApi,
    logger,
    metrics,
    markDraining: () => readiness.markDraining(),
    /** Starts this instance's scheduled jobs and outbox delivery; each cron slot runs once across instances. */
    async start() {
      readiness.markServing();
      background ??= await startBackgroundWork(context, {
        log: (message, err) => (options.log ? options.log(err ?? message) : logger.error(err === undefined ? {} : { err }, message)),
        scheduler: {
          ...(options.schedule ? { cron: options.schedule } : {}),
          onResult: (result) => {
            metrics.jobRun(result.job, result.status);
            if (result.status === 'ok') logger.info({ job: result.job, slot: result.slot, runId: result.runId, counts: result.counts }, 'job ran');
            else if (result.status === 'skipped') logger.debug({ job: result.job, slot: result.slot }, 'job slot taken by another instance');
          },
        },
        deliverer: {
          onReport: (report) => {
            metrics.delivery('delivered', report.delivered);
            metrics.delivery('failed', report.failed);
          },
        },
      });
    },
    /** Stops scheduling, waits for running jobs and a delivery in progress. */
    async stop() {
      readiness.markDraining();
      const running = background;
      background = null;
      await running?.stop();
    },
  };
}
