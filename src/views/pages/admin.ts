// 系统管理: the host-mapping report, the plugin's status, and the settings form (cause categories,
// departments, per-role approval limits, follow-up hours, reply promise, repeat window, escalation days,
// deadline warnings, offsets for non-property disputes, time zone, what the slip prints in its header). The form carries a fingerprint of
// the settings it was read from; if someone saved in between, the save is refused (409) naming them.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Actor } from '../../auth/actor.js';
import { ROLE_PERMISSIONS, ROLE_LABELS } from '../../auth/permissions.js';
import { fieldError, type FieldError } from '../../common/errors.js';
import { msg, type Locale } from '../../common/localized.js';
import { SEVERITY } from '../../complaints/vocabulary.js';
import { MoneyFormatError, formatFen, parseYuan } from '../../common/money.js';
import type { HostCheckReport } from '../../host/check.js';
import type { InstallStatus } from '../../install/installer.js';
import { StaleSettingsError, type Settings } from '../../settings/settings.js';
import { staleSettings } from '../../settings/messages.js';
import { formatDateTime } from '../format.js';
import { formOf, isValidationError, type FormData } from '../forms.js';
import { translate } from '../../i18n/index.js';
import type { PageKit } from '../kit.js';

export interface AdminSources {
  status(): Promise<InstallStatus>;
  checkHost(): Promise<HostCheckReport>;
}

/** Roles that hold offset.approve: the ones a limit means something for. */
const APPROVER_ROLES = Object.entries(ROLE_PERMISSIONS)
  .filter(([role, perms]) => role !== 'system' && perms.includes('offset.approve'))
  .map(([role]) => role);

const NUMBERS = ['followUpHours', 'replyPromiseHours', 'repeatWindowDays', 'escalationDays', 'deadlineWarningHours', 'pauseAlertHours'] as const;
/** What the acknowledgement slip prints in its header (views/partials/slipHeader.hbs). */
const SLIP = ['companyName', 'serviceCentreName', 'serviceCentrePhone'] as const;

type PolicyRow = { category: string; severity: string; replyHours: string; handlingHours: string; clock: string; blank?: boolean };
type RouteRow = { category: string; communityId: string; department: string; handlerId: string; blank?: boolean };
const BLANK_POLICY: PolicyRow = { category: '*', severity: '*', replyHours: '', handlingHours: '', clock: 'working', blank: true };
const BLANK_ROUTE: RouteRow = { category: '*', communityId: '*', department: '', handlerId: '', blank: true };

/** 时限标准 and 派单规则 rows as typed: hours stay text until the settings schema judges them. */
function readRules(form: FormData, current: Settings) {
  const policies: Array<PolicyRow & { i: number }> = [];
  for (let i = 0; i <= current.deadlinePolicies.length + 1; i++) {
    const row = {
      i,
      category: form.get(`pol.${i}.category`).trim() || '*',
      severity: form.get(`pol.${i}.severity`).trim() || '*',
      replyHours: form.get(`pol.${i}.replyHours`).trim(),
      handlingHours: form.get(`pol.${i}.handlingHours`).trim(),
      clock: form.get(`pol.${i}.clock`).trim() || 'working',
    };
    if (row.replyHours || row.handlingHours) policies.push(row);
  }
  const routes: Array<RouteRow & { i: number }> = [];
  for (let i = 0; i <= current.routingRules.length + 1; i++) {
    const row = {
      i,
      category: form.get(`route.${i}.category`).trim() || '*',
      communityId: form.get(`route.${i}.communityId`).trim() || '*',
      department: form.get(`route.${i}.department`).trim(),
      handlerId: form.get(`route.${i}.handlerId`).trim(),
    };
    if (row.department || row.handlerId) routes.push(row);
  }
  const hours = (text: string) => (/^\d{1,6}$/.test(text) ? Number(text) : text);
  return {
    policies,
    routes,
    patch: {
      deadlinePolicies: policies.map((r) => ({
        category: r.category,
        severity: r.severity,
        replyHours: hours(r.replyHours),
        handlingHours: hours(r.handlingHours),
        clock: r.clock,
      })),
      routingRules: routes.map((r) => ({ category: r.category, communityId: r.communityId, department: r.department, handlerId: r.handlerId || null })),
    } as unknown as Partial<Settings>,
  };
}

function settingsForm(settings: Settings) {
  return {
    categories: [
      ...settings.categories.map((c) => ({ code: c.code, zh: c['zh-CN'], en: c.en, active: c.active !== false })),
      { code: '', zh: '', en: '', active: true, blank: true },
    ],
    departments: [...settings.departments.map((d) => ({ code: d.code, zh: d['zh-CN'], en: d.en })), { code: '', zh: '', en: '', blank: true }],
    limits: APPROVER_ROLES.map((role) => {
      const has = Object.hasOwn(settings.roleApprovalLimitsFen, role);
      const limit = settings.roleApprovalLimitsFen[role];
      return { role, label: ROLE_LABELS[role], value: has && typeof limit === 'number' ? formatFen(limit) : '', none: !has };
    }),
    numbers: Object.fromEntries(NUMBERS.map((k) => [k, String(settings[k])])),
    allowOffsetForNonProperty: settings.allowOffsetForNonProperty,
    timezone: settings.timezone,
    slip: Object.fromEntries(SLIP.map((k) => [k, settings[k]])),
    policies: [
      ...settings.deadlinePolicies.map((p) => ({ ...p, replyHours: String(p.replyHours), handlingHours: String(p.handlingHours) })),
      BLANK_POLICY,
    ] as PolicyRow[],
    routes: [...settings.routingRules.map((r) => ({ ...r, handlerId: r.handlerId ?? '' })), BLANK_ROUTE] as RouteRow[],
  };
}

/** The posted form as a settings patch, with the page's own field errors (amounts, time zone, duplicates). */
export function readSettingsForm(
  form: FormData,
  current: Settings,
): { patch: Partial<Settings>; errors: FieldError[]; redisplay: ReturnType<typeof settingsForm> } {
  const errors: FieldError[] = [];
  const rows = (prefix: string, max: number) => {
    const out: Array<{ i: number; code: string; zh: string; en: string; active: boolean }> = [];
    for (let i = 0; i <= max; i++) {
      const code = form.get(`${prefix}.${i}.code`).trim();
      const zh = form.get(`${prefix}.${i}.zh`).trim();
      const en = form.get(`${prefix}.${i}.en`).trim();
      if (!code && !zh && !en) continue;
      out.push({ i, code, zh, en, active: form.checked(`${prefix}.${i}.active`) });
    }
    return out;
  };
  const cats = rows('cat', current.categories.length + 1);
  const deps = rows('dep', current.departments.length + 1);
  for (const [list, prefix] of [
    [cats, 'cat'],
    [deps, 'dep'],
  ] as const) {
    const seen = new Set<string>();
    for (const r of list) {
      if (seen.has(r.code)) errors.push(fieldError(`${prefix}.${r.i}.code`, `代码“${r.code}”重复`, `The code "${r.code}" is used twice`));
      seen.add(r.code);
    }
  }
  const limits: Record<string, number | null> = {};
  for (const role of APPROVER_ROLES) {
    if (form.checked(`none.${role}`)) continue;
    const text = form.get(`limit.${role}`).trim();
    if (!text) {
      limits[role] = null;
      continue;
    }
    try {
      limits[role] = parseYuan(text);
    } catch (err) {
      if (!(err instanceof MoneyFormatError)) throw err;
      errors.push({ field: `limit.${role}`, message: err.localized });
    }
  }
  // Roles the form does not show (custom ones) keep their limits.
  for (const [role, limit] of Object.entries(current.roleApprovalLimitsFen)) if (!APPROVER_ROLES.includes(role)) limits[role] = limit;
  const numbers: Record<string, unknown> = {};
  for (const key of NUMBERS) {
    const text = form.get(key).trim();
    // A form from before the field existed keeps the setting as it is.
    if (key === 'pauseAlertHours' && !text) {
      numbers[key] = current.pauseAlertHours;
      continue;
    }
    numbers[key] = /^\d{1,6}$/.test(text) ? Number(text) : text;
  }
  const timezone = form.get('timezone').trim();
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    errors.push(fieldError('timezone', `无法识别的时区“${timezone}”，例如 Asia/Shanghai`, `Unknown time zone "${timezone}", e.g. Asia/Shanghai`));
  }
  const rules = readRules(form, current);
  const patch = {
    ...rules.patch,
    categories: cats.map((r) => ({ code: r.code, 'zh-CN': r.zh, en: r.en, active: r.active })),
    departments: deps.map((r) => ({ code: r.code, 'zh-CN': r.zh, en: r.en })),
    roleApprovalLimitsFen: limits,
    ...numbers,
    allowOffsetForNonProperty: form.checked('allowOffsetForNonProperty'),
    timezone,
    ...Object.fromEntries(SLIP.map((k) => [k, form.get(k).trim()])),
  } as Partial<Settings>;
  const redisplay = {
    categories: [...cats.map((r) => ({ code: r.code, zh: r.zh, en: r.en, active: r.active })), { code: '', zh: '', en: '', active: true, blank: true }],
    departments: [...deps.map((r) => ({ code: r.code, zh: r.zh, en: r.en })), { code: '', zh: '', en: '', blank: true }],
    limits: APPROVER_ROLES.map((role) => ({ role, label: ROLE_LABELS[role], value: form.get(`limit.${role}`), none: form.checked(`none.${role}`) })),
    numbers: Object.fromEntries(NUMBERS.map((k) => [k, form.get(k)])),
    allowOffsetForNonProperty: form.checked('allowOffsetForNonProperty'),
    timezone,
    slip: Object.fromEntries(SLIP.map((k) => [k, form.get(k)])),
    policies: [...rules.policies, BLANK_POLICY],
    routes: [...rules.routes, BLANK_ROUTE],
  };
  return { patch, errors, redisplay };
}

/** ajv paths of the settings schema → the form's field names. */
function formField(path: string): string {
  return path
    .replace(/^categories\.(\d+)\.zh-CN$/, 'cat.$1.zh')
    .replace(/^categories\.(\d+)\./, 'cat.$1.')
    .replace(/^departments\.(\d+)\.zh-CN$/, 'dep.$1.zh')
    .replace(/^departments\.(\d+)\./, 'dep.$1.')
    .replace(/^roleApprovalLimitsFen\./, 'limit.')
    .replace(/^deadlinePolicies\./, 'pol.')
    .replace(/^routingRules\./, 'route.');
}

function messages(fields: FieldError[], locale: Locale, rowIndex: { cat: number[]; dep: number[]; pol: number[]; route: number[] }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    let key = formField(f.field);
    // Schema paths count the rows kept; the form numbers every row shown.
    key = key.replace(/^(cat|dep|pol|route)\.(\d+)\./, (_all, p: 'cat' | 'dep' | 'pol' | 'route', n: string) => `${p}.${rowIndex[p][Number(n)] ?? n}.`);
    if (!(key in out)) out[key] = f.message[locale];
  }
  return out;
}

async function renderAdmin(
  ctx: Context,
  kit: PageKit,
  sources: AdminSources,
  state: { form?: ReturnType<typeof settingsForm>; errors?: Record<string, string>; formError?: string | null; conflict?: string | null } = {},
  status = 200,
): Promise<void> {
  const [installStatus, report, settings, fingerprint, change] = await Promise.all([
    sources.status(),
    sources.checkHost(),
    kit.context.settings.get(),
    kit.context.settings.fingerprint(),
    kit.context.settings.lastChange(),
  ]);
  await kit.render(
    ctx,
    'admin',
    {
      title: kit.t(ctx, 'admin.title'),
      selfPath: kit.url('/admin'),
      section: 'admin',
      status: installStatus,
      report,
      form: state.form ?? settingsForm(settings),
      ruleOptions: {
        categories: [{ value: '*', label: msg('全部', 'Any') }, ...settings.categories.map((c) => ({ value: c.code, label: msg(c['zh-CN'], c.en) }))],
        severities: [{ value: '*', label: msg('全部', 'Any') }, ...SEVERITY.values.map((v) => ({ value: v, label: SEVERITY.labels[v] }))],
        departments: settings.departments.map((d) => ({ value: d.code, label: msg(d['zh-CN'], d.en) })),
        clocks: [
          { value: 'working', label: msg('工作时间（按服务日历）', 'Working hours (service calendar)') },
          { value: 'calendar', label: msg('自然小时', 'Calendar hours') },
        ],
      },
      fingerprint,
      lastChange: change ? { name: change.actorName, at: formatDateTime(change.at, settings.timezone) } : null,
      errors: state.errors ?? {},
      formError: state.formError ?? null,
      conflict: state.conflict ?? null,
    },
    status,
  );
}

export function registerAdmin(router: Router, kit: PageKit, sources: AdminSources): void {
  router.get('/admin', ...kit.stack, async (ctx) => {
    kit.require(ctx, 'admin.manage');
    await renderAdmin(ctx, kit, sources);
  });

  router.post('/admin/settings', ...kit.stack, async (ctx) => {
    const actor: Actor = kit.require(ctx, 'admin.manage');
    const locale = kit.locale(ctx);
    const form = formOf(ctx);
    const current = await kit.context.settings.get();
    const { patch, errors, redisplay } = readSettingsForm(form, current);
    const { policies, routes } = readRules(form, current);
    const rowIndex = {
      cat: keptRows(form, 'cat', current.categories.length + 1),
      dep: keptRows(form, 'dep', current.departments.length + 1),
      pol: policies.map((r) => r.i),
      route: routes.map((r) => r.i),
    };
    const invalid = (fields: FieldError[]) =>
      renderAdmin(ctx, kit, sources, { form: redisplay, errors: messages(fields, locale, rowIndex), formError: translate(locale, 'common.formInvalid') }, 422);
    if (errors.length) return invalid(errors);
    try {
      await kit.context.settings.updateIfUnchanged(patch, actor, form.get('fingerprint'));
      kit.redirect(ctx, '/admin', 'settingsSaved');
    } catch (err) {
      if (isValidationError(err)) return invalid(err.fields);
      if (err instanceof StaleSettingsError) {
        const at = err.lastChange ? formatDateTime(err.lastChange.at, current.timezone) : '';
        return renderAdmin(ctx, kit, sources, { conflict: staleSettings(err.lastChange?.actorName ?? '', at)[locale] }, 409);
      }
      throw err;
    }
  });
}

/** Row numbers (as shown in the form) of the rows that were not blank. */
function keptRows(form: FormData, prefix: string, max: number): number[] {
  const out: number[] = [];
  for (let i = 0; i <= max; i++) {
    if (form.get(`${prefix}.${i}.code`).trim() || form.get(`${prefix}.${i}.zh`).trim() || form.get(`${prefix}.${i}.en`).trim()) out.push(i);
  }
  return out;
}
