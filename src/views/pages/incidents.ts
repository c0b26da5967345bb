// 事件 / 群诉: the supervisor's pages for one event many owners complain about (a lift outage). The list of
// open incidents with a form to open one; the incident's page lists its complaints, each with where its
// own follow-up visit stands (owners are still visited one by one, on their complaint's page), takes new
// complaints by code while it is open, takes a step for all of them at once (start, assess, plan, reply:
// the domain runs each complaint's own guarded transition and lists those it did not apply to), and closes.
// A complaint's page can also join an open incident. Everything goes through the incident service.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Actor } from '../../auth/actor.js';
import { hasPermission } from '../../auth/permissions.js';
import { ConflictError, DomainError, fieldError, ValidationError } from '../../common/errors.js';
import type { Localized } from '../../common/localized.js';
import { GROUP_ACTIONS, INCIDENT_KIND_LABELS, type GroupAction, type GroupResult, type Incident } from '../../complaints/incidents.js';
import { RULES } from '../../complaints/states.js';
import type { Complaint } from '../../complaints/types.js';
import { hasCommunities } from '../../host/mapping.js';
import { fieldMessages, formOf, isValidationError, positiveInt } from '../forms.js';
import type { PageKit } from '../kit.js';
import { categoryLabels, choices, departmentLabels, labelOf, VOCAB } from '../labels.js';
import type { PageServices } from '../services.js';
import { actionInput, idParam, renderDetail } from './detail.js';

/** Where each owner's own follow-up visit stands, from the complaint's state. */
export function followUpState(c: Complaint): Localized {
  switch (c.state) {
    case 'resolved':
      return { 'zh-CN': '已回复，待回访', en: 'Replied, follow-up due' };
    case 'closed':
      return { 'zh-CN': '已回访（满意），已关闭', en: 'Followed up (satisfied), closed' };
    case 'closed_unsatisfied':
      return { 'zh-CN': '已回访（不满意），已另立投诉', en: 'Followed up (unsatisfied), handled again' };
    case 'cancelled':
    case 'merged':
      return { 'zh-CN': '不回访', en: 'No follow-up' };
    default:
      return { 'zh-CN': '未回复，尚不能回访', en: 'Not replied yet' };
  }
}

async function communitiesOf(kit: PageKit, actor: Actor): Promise<Array<{ id: string; name: string }>> {
  if (!kit.context.mapping.community && !hasCommunities(kit.context.mapping)) return [];
  return (await kit.context.host.listCommunities()).filter((c) => actor.communityIds === null || actor.communityIds.includes(c.id));
}

function incidentId(ctx: Context): number {
  const id = positiveInt(ctx.params.id);
  if (!id) throw new DomainError('not_found', 404, { 'zh-CN': '事件不存在', en: 'Incident not found' });
  return id;
}

interface ListState {
  values?: Record<string, string>;
  errors?: Record<string, string>;
  message?: string | null;
}

async function renderList(ctx: Context, kit: PageKit, services: PageServices, actor: Actor, state: ListState = {}, status = 200): Promise<void> {
  const closed = ctx.query.state === 'closed';
  const [incidents, communities] = await Promise.all([
    services.complaints.incidents.list(actor, { state: closed ? 'closed' : 'open' }),
    communitiesOf(kit, actor),
  ]);
  const names = new Map(communities.map((c) => [c.id, c.name]));
  const values = state.values ?? {};
  await kit.render(
    ctx,
    'incidents',
    {
      title: kit.t(ctx, 'incidents.title'),
      section: 'incidents',
      selfPath: kit.url('/incidents'),
      closed,
      incidents: incidents.map((i) => ({
        ...i,
        kindLabel: i.kind ? INCIDENT_KIND_LABELS[i.kind] : null,
        communityName: i.communityId ? (names.get(i.communityId) ?? i.communityId) : null,
      })),
      kinds: choices(INCIDENT_KIND_LABELS, values.kind),
      canCreate: hasPermission(actor, 'complaint.assess'),
      communities: communities.map((c) => ({ value: c.id, label: c.name, selected: c.id === values.communityId })),
      values,
      errors: state.errors ?? {},
      formError: state.message ?? null,
    },
    status,
  );
}

interface IncidentState {
  open?: string;
  values?: Record<string, string>;
  errors?: Record<string, string>;
  message?: string | null;
  result?: GroupResult | null;
}

async function renderIncident(
  ctx: Context,
  kit: PageKit,
  services: PageServices,
  actor: Actor,
  id: number,
  state: IncidentState = {},
  status = 200,
): Promise<void> {
  const { incident, complaints } = await services.complaints.incidents.get(id, actor);
  const [settings, communities] = await Promise.all([kit.context.settings.get(), communitiesOf(kit, actor)]);
  const locale = kit.locale(ctx);
  const categories = categoryLabels(settings, true);
  const values = (form: string) => (state.open === form ? (state.values ?? {}) : {});
  const isOpen = incident.state === 'open';
  // Each step is offered when the actor holds its permission and some complaint is in a state it applies to.
  const steps = Object.fromEntries(
    GROUP_ACTIONS.map((a) => {
      const rule = RULES[a];
      const applies = complaints.filter((c) => rule.from.includes(c.state)).length;
      return [a, { offered: isOpen && hasPermission(actor, rule.permission) && applies > 0, applies, open: state.open === a }];
    }),
  ) as Record<GroupAction, { offered: boolean; applies: number; open: boolean }>;
  const assess = values('assess');
  const plan = values('plan');
  await kit.render(
    ctx,
    'incident',
    {
      title: `${kit.t(ctx, 'incidents.one')} #${incident.id} ${incident.title}`,
      section: 'incidents',
      selfPath: kit.url(`/incidents/${id}`),
      incident: {
        ...incident,
        kindLabel: incident.kind ? INCIDENT_KIND_LABELS[incident.kind] : null,
        communityName: incident.communityId ? (communities.find((c) => c.id === incident.communityId)?.name ?? incident.communityId) : null,
      },
      isOpen,
      complaints: complaints.map((c) => ({
        id: c.id,
        code: c.code,
        unitLabel: c.unitLabel,
        complainantName: c.complainantName,
        categoryLabel: labelOf(categories, c.category),
        stateLabel: labelOf(VOCAB.state, c.state),
        followUp: followUpState(c),
        followUpDue: c.state === 'resolved',
      })),
      canJoin: isOpen && hasPermission(actor, 'complaint.assess'),
      canClose: isOpen && hasPermission(actor, 'complaint.assess'),
      steps,
      disputeTypes: choices(VOCAB.disputeType, assess.disputeType),
      natures: choices(VOCAB.nature, assess.nature),
      severities: choices(VOCAB.severity, assess.severity),
      departments: choices(departmentLabels(settings), plan.department),
      forms: { join: values('join'), assess, plan, resolve: values('resolve'), close: values('close') },
      open: state.open ?? null,
      errors: state.errors ?? {},
      formError: state.message ?? null,
      result: state.result
        ? {
            label: RULES[state.open as GroupAction]?.label ?? null,
            done: state.result.done.map((c) => ({ id: c.id, code: c.code })),
            skipped: state.result.skipped.map((s) => ({ ...s, reason: s.reason[locale] })),
          }
        : null,
    },
    status,
  );
}

/** A domain refusal shown on the page it came from: field errors under their fields, the rest above the form. */
function refusalOf(err: unknown, kit: PageKit, ctx: Context, prefix = ''): { errors: Record<string, string>; message: string; status: number } | null {
  const locale = kit.locale(ctx);
  if (isValidationError(err)) {
    const fields = fieldMessages(err.fields, locale);
    const errors = Object.fromEntries(Object.entries(fields).map(([k, m]) => [`${prefix}${k}`, m]));
    // Said in words above the form too: the page a refusal lands on may not have that field.
    return { errors, message: Object.values(fields).join('；') || err.localized[locale], status: 422 };
  }
  if (err instanceof ConflictError || (err instanceof DomainError && (err.status === 403 || err.status === 404 || err.status === 409))) {
    return { errors: {}, message: err.localized[locale], status: err.status };
  }
  return null;
}

/** A complaint named by its code (as printed on the slip) among those the actor may see; null when none. */
export async function complaintByCode(services: PageServices, code: string, actor: Actor): Promise<Complaint | null> {
  const found = await services.complaints.list({ q: code, limit: 5 }, actor);
  return found.items.find((c) => c.code.toUpperCase() === code.toUpperCase()) ?? null;
}

export function registerIncidents(router: Router, kit: PageKit, services: PageServices): void {
  router.get('/incidents', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.view');
    await renderList(ctx, kit, services, actor);
  });

  router.post('/incidents', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.assess');
    const form = formOf(ctx);
    const title = form.get('title').trim();
    const description = form.get('description').trim();
    const communityId = form.get('communityId').trim();
    let incident: Incident;
    try {
      const kind = form.get('kind').trim();
      const building = form.get('building').trim();
      incident = await services.complaints.incidents.create(
        {
          title,
          ...(description ? { description } : {}),
          ...(communityId ? { communityId } : {}),
          ...(kind ? { kind } : {}),
          ...(building ? { building } : {}),
        },
        actor,
      );
    } catch (err) {
      const refused = refusalOf(err, kit, ctx);
      if (!refused) throw err;
      return renderList(ctx, kit, services, actor, { values: form.values(), errors: refused.errors, message: refused.message }, refused.status);
    }
    kit.redirect(ctx, `/incidents/${incident.id}`, 'incidentCreated');
  });

  router.get('/incidents/:id', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.view');
    await renderIncident(ctx, kit, services, actor, incidentId(ctx));
  });

  // Add a complaint by its code, on the incident's page.
  router.post('/incidents/:id/complaints', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.assess');
    const id = incidentId(ctx);
    const form = formOf(ctx);
    try {
      const code = form.get('code').trim();
      if (!code) throw new ValidationError([fieldError('code', '请填写要加入的投诉编号', 'Enter the code of the complaint to add')]);
      const found = code.length <= 40 ? await complaintByCode(services, code, actor) : null;
      if (!found)
        throw new ValidationError([
          fieldError(
            'code',
            `没有编号为“${code.slice(0, 40)}”的投诉（或不在您负责的小区）`,
            `No complaint with code "${code.slice(0, 40)}" in your communities`,
          ),
        ]);
      await services.complaints.incidents.join(id, found.id, actor);
      kit.redirect(ctx, `/incidents/${id}`, 'incidentJoined');
    } catch (err) {
      const refused = refusalOf(err, kit, ctx);
      if (!refused) throw err;
      // A refusal about the complaint (closed, in another incident, another community) is said at the code.
      const errors = { code: refused.errors.code ?? refused.errors.complaintId ?? refused.message };
      return renderIncident(ctx, kit, services, actor, id, { open: 'join', values: form.values(), errors, message: refused.message }, refused.status);
    }
  });

  // Join an open incident from the complaint's page (the incident picked from those open in its community).
  router.post('/c/:id/incident', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.assess');
    const id = idParam(ctx);
    const form = formOf(ctx);
    try {
      const incident = positiveInt(form.get('incidentId'));
      if (!incident) throw new ValidationError([fieldError('incidentId', '请选择要加入的事件', 'Pick the incident to join')]);
      await services.complaints.incidents.join(incident, id, actor);
      kit.redirect(ctx, `/c/${id}`, 'incidentJoined');
    } catch (err) {
      const refused = refusalOf(err, kit, ctx);
      if (!refused) throw err;
      return renderDetail(ctx, kit, services, actor, id, { formError: refused.message }, refused.status);
    }
  });

  for (const action of GROUP_ACTIONS) {
    router.post(`/incidents/:id/act/${action}`, ...kit.stack, async (ctx) => {
      const actor = kit.require(ctx, RULES[action].permission);
      const id = incidentId(ctx);
      const form = formOf(ctx);
      const { complaints } = await services.complaints.incidents.get(id, actor);
      const settings = await kit.context.settings.get();
      // The form is read as the complaint page's form would be, for the first complaint the step applies to.
      const sample = complaints.find((c) => RULES[action].from.includes(c.state)) ?? complaints[0];
      try {
        if (!sample) throw new ValidationError([fieldError('incident', '事件中还没有投诉', 'The incident has no complaints yet')]);
        const { input, errors } = actionInput(action, form, sample, settings.timezone);
        if (errors.length) throw new ValidationError(errors);
        delete input.version;
        const result = await services.complaints.incidents.act(id, action, input, actor);
        return renderIncident(ctx, kit, services, actor, id, { open: action, result, values: {} });
      } catch (err) {
        const refused = refusalOf(err, kit, ctx);
        if (!refused) throw err;
        return renderIncident(ctx, kit, services, actor, id, { open: action, values: form.values(), ...refused }, refused.status);
      }
    });
  }

  router.post('/incidents/:id/close', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.assess');
    const id = incidentId(ctx);
    const form = formOf(ctx);
    const versionText = form.get('version');
    try {
      if (!/^\d{1,10}$/.test(versionText))
        throw new ValidationError([fieldError('version', '页面已过期，请刷新后重试', 'The page is out of date; reload and try again')]);
      await services.complaints.incidents.close(id, Number(versionText), actor);
      kit.redirect(ctx, `/incidents/${id}`, 'incidentClosed');
    } catch (err) {
      const refused = refusalOf(err, kit, ctx);
      if (!refused) throw err;
      return renderIncident(ctx, kit, services, actor, id, { open: 'close', values: {}, ...refused }, refused.status);
    }
  });
}
