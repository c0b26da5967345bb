// 登记投诉: find the unit (label, owner name or phone) through the host mapping, check the owner, the
// unit's open and recent complaints and its unpaid bills, then register. Works as plain GET/POST forms;
// /units.json lets the page's script search while typing. Success redirects (303) to the printable
// acknowledgement slip (回执单); a double submit carries the same idempotency key and makes one record.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Actor } from '../../auth/actor.js';
import { canSeeCommunity, hasPermission } from '../../auth/permissions.js';
import { fieldError, type FieldError } from '../../common/errors.js';
import { MOBILE_PATTERN, validateCreate } from '../../complaints/schemas.js';
import { OPEN_STATES } from '../../complaints/states.js';
import { replyPromiseDue } from '../../complaints/transitions.js';
import type { HostUnit } from '../../host/reader.js';
import { ForbiddenError } from '../../common/errors.js';
import { msg, type Locale } from '../../common/localized.js';
import type { Settings } from '../../settings/settings.js';
import { translate } from '../../i18n/index.js';
import { fieldMessages, formKey, formOf, isValidationError, newFormKey, positiveInt, uploadsOf } from '../forms.js';
import { limitsFrom } from '../../attachments/content.js';
import { STEP_DEFAULT_VISIBILITY } from '../../attachments/types.js';
import { uploadView, visibilityChoices, visibilityOr } from './attachmentViews.js';
import { fromLocalInput, toLocalInput } from '../format.js';
import type { PageKit } from '../kit.js';
import { categoryLabels, choices, labelOf, VOCAB } from '../labels.js';
import type { PageServices } from '../services.js';
import { complaintRow, unitPager } from './viewModels.js';
import { searchUnitPage } from '../../units/search.js';
import { readUnitPanel, type UnitPanelData } from '../../units/panel.js';
import { idParam } from './detail.js';
import { absoluteUrl } from './owner.js';
import { maskMobile } from '../../privacy/mask.js';

const MOBILE = new RegExp(MOBILE_PATTERN);

function unitView(unit: HostUnit) {
  return {
    id: unit.id,
    label: unit.label,
    communityName: unit.communityName,
    // Search results and the unit panel show owners' numbers masked; the search still matches the full
    // number and its last four digits (host side). The form is prefilled from the host row (defaults).
    owners: unit.owners.map((o) => ({ id: o.id, name: o.name, phone: o.phone ? maskMobile(o.phone) : null })),
  };
}

/** What the unit panel reads: the unit with its owners, its open and latest complaints, its unpaid bills. */
const PANEL_LIMITS = { bills: 12, complaints: { open: 20, recent: 10 } };

/**
 * The unit with everything the counter should see before registering; null when missing or out of scope.
 * `read`: the panel's data when the caller has it already (the form's page reads it first, for its defaults).
 */
async function unitPanel(kit: PageKit, actor: Actor, unitId: string, read?: UnitPanelData | null) {
  const found = read === undefined ? await readUnitPanel(kit.context, actor, unitId, PANEL_LIMITS) : read;
  if (!found) return null;
  const { unit, open, recent, bills } = found;
  const settings = await kit.context.settings.get();
  const now = kit.context.clock.now();
  const windowStart = now.getTime() - settings.repeatWindowDays * 24 * 3600_000;
  const recentInWindow = recent.filter((c) => c.state !== 'cancelled' && c.receivedAt.getTime() >= windowStart);
  return {
    unit: unitView(unit),
    open: open.map((c) => complaintRow(c, settings, now)),
    recent: recent.filter((c) => !OPEN_STATES.includes(c.state)).map((c) => complaintRow(c, settings, now)),
    repeatRisk: recentInWindow.length > 0,
    repeatDays: settings.repeatWindowDays,
    bills: bills.map((b) => ({ id: b.id, period: b.period, amountFen: b.amountFen, status: b.status })),
    billsTotalFen: bills.reduce((sum, b) => sum + b.amountFen, 0),
  };
}

async function renderIntake(
  ctx: Context,
  kit: PageKit,
  actor: Actor,
  state: {
    q: string;
    page?: number;
    unitId: string | null;
    /** The unit panel's data, read already (see unitPanel). */
    panel?: UnitPanelData | null;
    values: Record<string, string>;
    errors?: Record<string, string>;
    formError?: string;
    /** Files were chosen but the form was refused: the browser does not keep them, say so. */
    reselect?: boolean;
    publicArea?: boolean;
  },
  status = 200,
): Promise<void> {
  const settings = await kit.context.settings.get();
  const q = state.q.trim().slice(0, 100);
  const found = q && !state.unitId ? await searchUnitPage(kit.context.host, q, actor.communityIds, state.page ?? 1) : null;
  const results = found ? found.units.map(unitView) : [];
  const panel = state.unitId ? await unitPanel(kit, actor, state.unitId, state.panel) : null;
  const v = state.values;
  const owners = panel?.unit.owners ?? [];
  await kit.render(
    ctx,
    'intake',
    {
      title: kit.t(ctx, 'intake.title'),
      selfPath: kit.url(`/new${state.unitId ? `?unit=${encodeURIComponent(state.unitId)}` : ''}`),
      section: 'intake',
      q,
      searched: !!q && !state.unitId,
      results,
      search: found ? unitPager(found, (page) => kit.url(`/new?q=${encodeURIComponent(q)}&page=${page}`)) : null,
      unitMissing: !!state.unitId && !panel,
      panel,
      values: v,
      errors: state.errors ?? {},
      formError: state.formError ?? (state.errors && Object.keys(state.errors).length ? translate(kit.locale(ctx), 'common.formInvalid') : null),
      owners: owners.map((o) => ({ ...o, selected: o.id === v.ownerId })),
      channels: choices(VOCAB.channel, v.channel),
      relations: choices(VOCAB.relation, v.complainantRelation),
      categories: choices(categoryLabels(settings), v.category),
      severities: choices(VOCAB.severity, v.severity),
      threat: v.threatenedWithholding === '1',
      upload: uploadView(limitsFrom(settings), !!state.reselect),
      filesVisibility: visibilityChoices(v.filesVisibility, STEP_DEFAULT_VISIBILITY.intake),
      publicArea: !!state.publicArea && !panel,
      communities: state.publicArea
        ? (await kit.context.host.listCommunities())
            .filter((c) => canSeeCommunity(actor, c.id))
            .map((c) => ({ value: c.id, label: c.name, selected: c.id === v.communityId }))
        : [],
    },
    status,
  );
}

function defaults(panel: { owners: Array<{ id: string; name: string; phone: string | null }> } | null, now: Date, timeZone: string): Record<string, string> {
  const owner = panel?.owners[0];
  return {
    ownerId: owner?.id ?? '',
    complainantName: owner?.name ?? '',
    complainantPhone: owner?.phone && MOBILE.test(owner.phone) ? owner.phone : '',
    complainantRelation: 'owner',
    channel: 'counter',
    category: '',
    description: '',
    expectation: '',
    severity: '',
    receivedAt: toLocalInput(now, timeZone),
    idempotencyKey: newFormKey(),
  };
}

/** The slip's header from settings: the company, then the service centre and its phone (each left out when empty). */
export function slipHeader(settings: Settings, locale: Locale) {
  const phone = settings.serviceCentrePhone ? `${translate(locale, 'slip.phone')} ${settings.serviceCentrePhone}` : '';
  const centre = [settings.serviceCentreName, phone].filter((p) => p !== '').join(' · ');
  return { any: !!(settings.companyName || centre), companyName: settings.companyName, centre };
}

export function registerIntake(router: Router, kit: PageKit, services: PageServices): void {
  router.get('/new', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.create');
    const settings = await kit.context.settings.get();
    const q = typeof ctx.query.q === 'string' ? ctx.query.q : '';
    const unitId = typeof ctx.query.unit === 'string' && ctx.query.unit.length <= 64 ? ctx.query.unit : null;
    // The unit panel in one read (src/units/panel.ts); null for a unit missing or outside the reader's communities.
    const panel = unitId ? await readUnitPanel(kit.context, actor, unitId, PANEL_LIMITS) : null;
    const publicArea = !unitId && ctx.query.area === 'public';
    const values = { unitId: unitId ?? '', ...defaults(panel?.unit ?? null, kit.context.clock.now(), settings.timezone) };
    const page = positiveInt(typeof ctx.query.page === 'string' ? ctx.query.page : '') ?? 1;
    await renderIntake(ctx, kit, actor, { q, page, unitId, panel, values, publicArea });
  });

  /** For the page's script: the same search as the form, as JSON (GET, changes nothing). */
  router.get('/units.json', ...kit.stack, async (ctx) => {
    const actor = kit.actor(ctx);
    if (!hasPermission(actor, 'complaint.create') && !hasPermission(actor, 'offset.apply')) {
      throw new ForbiddenError(msg('没有权限查找房屋', 'You may not search units'));
    }
    const q = typeof ctx.query.q === 'string' ? ctx.query.q.trim().slice(0, 100) : '';
    const found = await searchUnitPage(kit.context.host, q, actor.communityIds, 1);
    ctx.type = 'json';
    ctx.body = { units: found.units.map(unitView), total: found.total, more: found.capped || found.pages > 1 };
  });

  router.post('/new', ...kit.uploadStack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.create');
    const settings = await kit.context.settings.get();
    const form = formOf(ctx);
    const values = form.values();
    values.idempotencyKey = formKey(form.get('idempotencyKey')) ?? newFormKey();
    const publicArea = form.get('area') === 'public';
    const unitId = publicArea ? '' : form.get('unitId').trim();
    const receivedText = form.get('receivedAt').trim();
    const receivedAt = receivedText ? fromLocalInput(receivedText, settings.timezone) : null;
    const hotlineText = form.get('hotlineDueAt').trim();
    const hotlineDueAt = hotlineText ? fromLocalInput(hotlineText, settings.timezone) : null;
    const input = {
      ...(publicArea
        ? { communityId: form.optional('communityId'), building: form.optional('building'), location: form.optional('location') }
        : { unitId, ownerId: form.optional('ownerId') }),
      complainantName: form.get('complainantName').trim(),
      complainantPhone: form.get('complainantPhone').replace(/[\s-]/g, ''),
      complainantRelation: form.optional('complainantRelation'),
      channel: form.get('channel'),
      category: form.get('category'),
      description: form.get('description').trim(),
      expectation: form.optional('expectation'),
      threatenedWithholding: form.checked('threatenedWithholding'),
      severity: form.optional('severity'),
      idempotencyKey: values.idempotencyKey,
      ...(receivedAt ? { receivedAt: receivedAt.toISOString() } : {}),
      ...(form.optional('externalRef') ? { externalRef: form.get('externalRef').trim() } : {}),
      ...(hotlineDueAt ? { hotlineDueAt: hotlineDueAt.toISOString() } : {}),
    };
    // The photos are checked (type from content, size, count) before anything is registered: a refused
    // file leaves the whole form unsaved and re-shown, each refused file named at the field.
    const uploads = uploadsOf(ctx, 'files');
    const files = uploads.length ? await services.attachments.prepare(uploads) : { prepared: [], errors: null };
    const fail = async (fields: FieldError[]) => {
      await renderIntake(
        ctx,
        kit,
        actor,
        { q: '', unitId: unitId || null, values, errors: fieldMessages(fields, kit.locale(ctx)), reselect: uploads.length > 0, publicArea },
        422,
      );
    };
    if ((receivedText && !receivedAt) || files.errors) {
      // Report every other problem too, without registering anything.
      const mine = [
        ...(files.errors?.fields ?? []),
        ...(receivedText && !receivedAt
          ? [fieldError('receivedAt', '请按“年-月-日 时:分”填写受理时间', 'Enter the time received as year-month-day hour:minute')]
          : []),
      ];
      try {
        validateCreate(input);
        return await fail(mine);
      } catch (err) {
        if (isValidationError(err)) return await fail([...mine, ...err.fields]);
        throw err;
      }
    }
    try {
      const { complaint, created } = await services.complaints.create(input, actor);
      // A replayed submit (same form key) already attached its photos.
      if (created && files.prepared.length) {
        await services.attachments.attach(
          complaint.id,
          files.prepared,
          { step: 'intake', visibility: visibilityOr(form.optional('filesVisibility'), STEP_DEFAULT_VISIBILITY.intake) },
          actor,
        );
      }
      kit.redirect(ctx, `/c/${complaint.id}/slip`, 'created');
    } catch (err) {
      if (isValidationError(err)) return await fail(err.fields);
      throw err;
    }
  });

  router.get('/c/:id/slip', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.view');
    const { complaint: c } = await services.complaints.get(idParam(ctx), actor);
    const settings = await kit.context.settings.get();
    // The promise saved at registration (it follows the service calendar); older complaints have none.
    const promise = c.replyDueAt ?? replyPromiseDue(c.receivedAt, settings);
    await kit.render(ctx, 'slip', {
      title: `${kit.t(ctx, 'slip.heading')} ${c.code}`,
      slipHeader: slipHeader(settings, kit.locale(ctx)),
      section: 'intake',
      c: {
        id: c.id,
        code: c.code,
        receivedAt: c.receivedAt,
        receivedByName: c.receivedByName,
        complainantName: c.complainantName,
        // The slip is paper handed over the counter: the number masked like everywhere else.
        complainantPhone: maskMobile(c.complainantPhone),
        relationLabel: labelOf(VOCAB.relation, c.complainantRelation),
        unitLabel: c.unitLabel,
        ownerName: c.ownerName,
        channelLabel: labelOf(VOCAB.channel, c.channel),
        categoryLabel: labelOf(categoryLabels(settings, true), c.category),
        description: c.description,
        expectation: c.expectation,
      },
      promise,
      canCreate: hasPermission(actor, 'complaint.create'),
      // The owner's status link and its QR code (views/partials/ownerLink.hbs).
      ownerLink: await services.owner.linkFor(c.id, actor).then((l) => ({ url: l.url ? absoluteUrl(ctx, l.url) : null })),
    });
  });
}
