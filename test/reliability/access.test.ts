// Reliability: access (MariaDB). A role × route matrix over the JSON API and the pages for every role in
// plugin.json and for nobody; another community's ids; CSRF-less, cross-site and foreign-Origin posts;
// session cookies replayed after sign-out; expired, tampered and forged user tokens and service
// signatures. Everything refused must be refused with the right status and change nothing.
import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import type { Actor } from '../../src/auth/actor.js';
import { USER_HEADER } from '../../src/auth/adapter.js';
import { hasPermission, type Permission } from '../../src/auth/permissions.js';
import { loadManifest } from '../../src/manifest/manifest.js';
import { ACTIONS, RULES } from '../../src/complaints/states.js';
import { checksumTables } from '../support/checksum.js';
import type { TestDatabase } from '../support/databases.js';
import { intakeBody } from '../support/complaintData.js';
import { requireMariadb } from '../support/faults.js';
import { intakeForm, PageClient, staff } from '../support/pageHarness.js';
import { freshMariadb, OUR_TABLES, startStack, T, type Stack } from '../support/reliability.js';
import { simpleHost } from '../fixtures/hosts.js';

const ROLES = loadManifest().roles.map((r) => r.name);
/** One person per role in plugin.json, seeing every community. */
const everyone: Actor[] = ROLES.map((role) => ({ id: `acc-${role}`, name: `${role}·矩阵`, roles: [role], communityIds: null }));
/** Roles no plugin.json grants anything (one named like Object's own members): refused everywhere. */
const strangers: Actor[] = ['', 'constructor', '__proto__', 'toString', 'ADMINISTRATOR', 'system '].map((role, i) => ({
  id: `acc-stranger-${i}`,
  name: `陌生角色${i}`,
  roles: [role],
  communityIds: null,
}));
/** The same roles limited to community 1 (for another community's ids). */
const scopedTo1: Actor[] = ROLES.map((role) => ({ id: `acc1-${role}`, name: `${role}·一区`, roles: [role], communityIds: ['1'] }));

type Need = Permission | Permission[] | 'public';

function allowed(actor: Actor | null, need: Need): boolean {
  if (need === 'public') return true;
  if (!actor) return false;
  return (Array.isArray(need) ? need : [need]).some((p) => hasPermission(actor, p));
}

interface Ids {
  a: { id: number; code: string };
  b: { id: number; code: string };
  resolvedA: number;
  offerA: number;
  approvedA: number;
  offerB: number;
  approvedB: number;
}

async function seed(stack: Stack): Promise<Ids> {
  const { complaints, offsets, billing } = stack.plugin;
  const sup = { id: 'seed-sup', name: '种子主管', roles: ['supervisor'], communityIds: null } as Actor;
  const counter = { id: 'seed-counter', name: '种子前台', roles: ['counter_staff'], communityIds: null } as Actor;
  const director = { id: 'seed-director', name: '种子总经理', roles: ['director'], communityIds: null } as Actor;
  await stack.db('bills').insert({ id: 2001, unit_id: 103, amount: '500.00', period: '2026-11', status: 'unpaid' });
  const make = async (unit: string) => {
    const c = (await complaints.create(intakeBody(unit), counter)).complaint;
    return complaints.transition(c.id, 'assess', { version: c.version, disputeType: 'property', nature: 'valid', severity: 'important' }, sup);
  };
  const a = await make('101');
  const b = await make('103');
  let resolved = (await complaints.create(intakeBody('101'), counter)).complaint;
  resolved = await complaints.transition(resolved.id, 'resolve', { version: resolved.version, reply: '已答复', basis: '说明', nature: 'inquiry' }, sup);
  const offerA = await offsets.raise({ complaintId: a.id, amount: '10.00', reason: '矩阵' }, counter);
  const toApproveA = await offsets.raise({ complaintId: a.id, amount: '20.00', reason: '矩阵' }, counter);
  const approvedA = await offsets.approve(toApproveA.id, { version: toApproveA.version }, director);
  const offerB = await offsets.raise({ complaintId: b.id, amount: '10.00', reason: '矩阵' }, counter);
  const toApproveB = await offsets.raise({ complaintId: b.id, amount: '20.00', reason: '矩阵' }, counter);
  const approvedB = await offsets.approve(toApproveB.id, { version: toApproveB.version }, director);
  await billing.applyOffset({ offsetId: approvedB.id, billId: '2001', amountFen: 100, idempotencyKey: 'ACC-B-1' });
  return {
    a: { id: a.id, code: a.code },
    b: { id: b.id, code: b.code },
    resolvedA: resolved.id,
    offerA: offerA.id,
    approvedA: approvedA.id,
    offerB: offerB.id,
    approvedB: approvedB.id,
  };
}

/** The JSON API: every route with what it needs. Bodies pass the permission check and then fail or are stale, so nothing changes. */
function apiRoutes(ids: Ids): Array<{ method: string; path: string; body?: unknown; need: Need }> {
  return [
    { method: 'GET', path: '/api/openapi.json', need: 'public' },
    { method: 'GET', path: '/api/status', need: 'admin.manage' },
    { method: 'GET', path: '/api/complaints', need: 'complaint.view' },
    { method: 'POST', path: '/api/complaints', body: {}, need: 'complaint.create' },
    { method: 'GET', path: `/api/complaints/${ids.a.id}`, need: 'complaint.view' },
    { method: 'GET', path: `/api/complaints/${ids.a.id}/events`, need: 'complaint.view' },
    ...ACTIONS.filter((a) => a !== 'follow-up').map((action) => ({
      method: 'POST',
      path: `/api/complaints/${ids.a.id}/transitions/${action}`,
      body: { version: 999 },
      need: RULES[action].permission,
    })),
    {
      method: 'POST',
      path: `/api/complaints/${ids.resolvedA}/follow-ups`,
      body: { version: 999, method: 'phone', satisfied: true },
      need: RULES['follow-up'].permission,
    },
    { method: 'POST', path: `/api/complaints/${ids.a.id}/compensations`, body: {}, need: 'compensation.record' },
    { method: 'GET', path: `/api/complaints/${ids.a.id}/compensations`, need: 'complaint.view' },
    { method: 'POST', path: '/api/offsets', body: {}, need: 'offset.request' },
    { method: 'GET', path: '/api/offsets', need: 'complaint.view' },
    { method: 'GET', path: `/api/offsets/${ids.offerA}`, need: 'complaint.view' },
    { method: 'GET', path: '/api/offsets/applicable?billId=1001', need: 'offset.apply' },
    { method: 'GET', path: '/api/offsets/applications?billId=1001', need: ['offset.apply', 'report.view'] },
    { method: 'GET', path: '/api/offsets/reconcile', need: 'report.view' },
    { method: 'POST', path: '/api/offsets/check', body: { billId: '1001' }, need: 'offset.apply' },
    { method: 'POST', path: `/api/offsets/${ids.offerA}/approve`, body: { version: 999 }, need: 'offset.approve' },
    { method: 'POST', path: `/api/offsets/${ids.offerA}/reject`, body: { note: '矩阵', version: 999 }, need: 'offset.approve' },
    { method: 'POST', path: `/api/offsets/${ids.approvedA}/revoke`, body: { note: '矩阵', version: 999 }, need: 'offset.revoke' },
    { method: 'GET', path: '/api/units?q=1', need: ['complaint.create', 'offset.apply'] },
    { method: 'GET', path: '/api/units/101/bills', need: ['complaint.create', 'offset.apply'] },
  ];
}

const PAGE_GETS = (ids: Ids): Array<{ path: string; need: Need }> => [
  { path: '/', need: 'complaint.view' },
  { path: '/new', need: 'complaint.create' },
  { path: '/new?unit=101', need: 'complaint.create' },
  { path: '/units.json?q=1', need: ['complaint.create', 'offset.apply'] },
  { path: '/list', need: 'complaint.view' },
  { path: `/c/${ids.a.id}`, need: 'complaint.view' },
  { path: `/c/${ids.a.id}/slip`, need: 'complaint.view' },
  { path: '/offsets', need: ['offset.approve', 'offset.revoke'] },
  { path: '/cashier', need: 'offset.apply' },
  { path: '/cashier?bill=1001', need: 'offset.apply' },
  { path: '/admin', need: 'admin.manage' },
  { path: '/report', need: 'report.view' },
];

/** Complete, valid-looking forms, stale where a version is checked, so an allowed role is refused by state (409/422), never by access. */
const PAGE_POSTS = (ids: Ids): Array<{ path: string; form: Record<string, string>; need: Need }> => [
  { path: '/new', form: { unitId: '101' }, need: 'complaint.create' },
  { path: `/c/${ids.a.id}/act/start-investigation`, form: { version: '999' }, need: RULES['start-investigation'].permission },
  {
    path: `/c/${ids.a.id}/act/assess`,
    form: { version: '999', disputeType: 'property', nature: 'valid', severity: 'important' },
    need: RULES.assess.permission,
  },
  {
    path: `/c/${ids.a.id}/act/plan`,
    form: { version: '999', department: 'engineering', assigneeId: 'e1', assigneeName: '刘', measures: '修', deadline: '2026-12-05 10:00' },
    need: RULES.plan.permission,
  },
  { path: `/c/${ids.a.id}/act/resolve`, form: { version: '999', reply: '答复', basis: '依据' }, need: RULES.resolve.permission },
  { path: `/c/${ids.a.id}/act/cancel`, form: { version: '999', cancelKind: 'duplicate', reason: '重复' }, need: RULES.cancel.permission },
  { path: `/c/${ids.a.id}/act/escalate`, form: { version: '999', severity: 'major', reason: '升级' }, need: RULES.escalate.permission },
  { path: `/c/${ids.a.id}/act/note`, form: { version: '999', note: '备注' }, need: RULES.note.permission },
  { path: `/c/${ids.resolvedA}/act/follow-up`, form: { version: '999', method: 'phone', satisfied: 'yes' }, need: RULES['follow-up'].permission },
  { path: `/c/${ids.a.id}/offsets`, form: { amount: '', reason: '' }, need: 'offset.request' },
  { path: `/c/${ids.a.id}/compensations`, form: { payer: '', amount: '', paidOn: '', method: '' }, need: 'compensation.record' },
  { path: `/offsets/${ids.offerA}/approve`, form: { version: '999' }, need: 'offset.approve' },
  { path: `/offsets/${ids.offerA}/reject`, form: { version: '999', note: '矩阵' }, need: 'offset.approve' },
  { path: `/offsets/${ids.approvedA}/revoke`, form: { version: '999', note: '矩阵' }, need: 'offset.revoke' },
  { path: '/cashier/apply', form: { billId: '1001', offsetId: String(ids.approvedA), amount: '', idempotencyKey: '' }, need: 'offset.apply' },
  { path: '/cashier/reverse', form: { billId: '1001', idempotencyKey: 'NO-SUCH-PAYMENT', reversalKey: 'V-1' }, need: 'offset.apply' },
  { path: '/admin/settings', form: { fingerprint: 'stale' }, need: 'admin.manage' },
];

/** The same posts, valid and current: only CSRF and session checks stand between them and a change. */
const LIVE_POSTS = (ids: Ids, version: number): Array<{ path: string; form: Record<string, string>; as: Actor }> => [
  {
    path: '/new',
    as: staff.counter,
    form: intakeForm({ description: '跨站提交', expectation: '' }),
  },
  { path: `/c/${ids.a.id}/act/note`, as: staff.manager, form: { version: String(version), note: '跨站备注' } },
  { path: `/c/${ids.a.id}/offsets`, as: staff.counter, form: { amount: '5.00', reason: '跨站抵扣' } },
  {
    path: `/c/${ids.a.id}/compensations`,
    as: staff.supervisor,
    form: { payer: 'company', amount: '5.00', paidOn: '2026-11-28', method: 'cash', reference: '跨站赔付' },
  },
  { path: `/offsets/${ids.offerA}/reject`, as: staff.director, form: { version: '1', note: '跨站驳回' } },
  { path: '/cashier/apply', as: staff.cashier, form: { billId: '1001', offsetId: String(ids.approvedA), amount: '1.00', idempotencyKey: 'CSRF-PAY-1' } },
  { path: '/admin/settings', as: staff.admin, form: { followUpHours: '48' } },
];

describe('reliability: access — roles × routes, communities, CSRF, sessions, signatures (MariaDB)', function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let stack: Stack;
  let ids: Ids;
  let baseline: Record<string, string>;
  // Sessions are opened by every sign-in and page visit; everything else must stay as seeded.
  const tables = [...OUR_TABLES.filter((t) => t !== T.sessions), ...simpleHost.tables];

  before(async function () {
    requireMariadb();
    database = await freshMariadb();
    stack = await startStack(database.db, simpleHost, { users: [...Object.values(staff), ...everyone, ...scopedTo1] });
    ids = await seed(stack);
    baseline = await checksumTables(database.db, tables);
  });
  afterEach(async function () {
    expect(await checksumTables(database.db, tables), 'nothing changed').to.deep.equal(baseline);
    expect(
      stack.errors.map((e) => String((e as Error)?.stack ?? e)),
      '500s logged',
    ).to.deep.equal([]);
  });
  after(async () => {
    await stack?.close();
    await database?.drop();
  });

  it(`JSON API: every role in plugin.json (${ROLES.join(', ')}), unknown roles (incl. "constructor"; "__proto__" is not a role name: 401) and nobody × every route → 401 without a user, 403 without the permission, answered with it`, async () => {
    const wrong: string[] = [];
    for (const route of apiRoutes(ids)) {
      for (const actor of [null, ...everyone, ...strangers]) {
        const res = await stack.api(route.method, route.path, { as: actor, ...(route.body !== undefined ? { body: route.body } : {}) });
        const who = actor?.roles[0] ?? 'anonymous';
        // A token whose role is not a role name at all ("", "__proto__", "system ") is refused whole: nobody is signed in.
        const refusedToken = actor !== null && !actor.roles.every((role) => /^[A-Za-z][A-Za-z0-9_.-]*$/.test(role));
        const signedIn = refusedToken ? null : actor;
        const may = allowed(signedIn, route.need);
        const ok = may ? ![401, 403].includes(res.status) && res.status < 500 : res.status === (signedIn ? 403 : 401);
        if (!ok)
          wrong.push(`${who} ${route.method} ${route.path} → ${res.status} (expected ${may ? 'answered' : signedIn ? 403 : 401}) ${res.text.slice(0, 120)}`);
      }
    }
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
  });

  it('pages: every role and nobody × every page and form → sign-in redirect or 401 for nobody, 403 without the permission, answered with it', async () => {
    const wrong: string[] = [];
    for (const actor of [null, ...everyone]) {
      const c = new PageClient(stack.origin, stack.base);
      if (actor) {
        await c.signIn(actor);
        await c.get('/');
      } else {
        await c.get('/sign-in');
      }
      const token = c.csrf();
      const who = actor?.roles[0] ?? 'anonymous';
      for (const page of PAGE_GETS(ids)) {
        const res = await c.get(page.path);
        const may = allowed(actor, page.need);
        const ok = !actor ? [302, 303].includes(res.status) && (res.location ?? '').includes('/sign-in') : may ? res.status === 200 : res.status === 403;
        if (!ok) wrong.push(`${who} GET ${page.path} → ${res.status}`);
      }
      for (const post of PAGE_POSTS(ids)) {
        const res = await c.post(post.path, post.form, { csrf: token });
        const may = allowed(actor, post.need);
        const ok = !actor ? [401, 403].includes(res.status) : may ? ![401, 403].includes(res.status) && res.status < 500 : res.status === 403;
        if (!ok)
          wrong.push(
            `${who} POST ${post.path} → ${res.status} (expected ${!actor ? '401/403' : may ? 'answered' : 403}) ${res.text.replace(/\s+/g, ' ').slice(0, 160)}`,
          );
      }
    }
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
  });

  it("another community's ids: every role limited to community 1 gets 404 (or nothing) for community 2's complaint, offsets, bill and unit, on the JSON API and the pages", async () => {
    const wrong: string[] = [];
    const check = (label: string, cond: boolean) => void (cond || wrong.push(label));
    for (const actor of scopedTo1) {
      const who = actor.roles[0]!;
      const api = (method: string, path: string, body?: unknown) => stack.api(method, path, { as: actor, ...(body !== undefined ? { body } : {}) });
      const denied = (s: number) => s === 404 || s === 403;
      for (const [method, path, body] of [
        ['GET', `/api/complaints/${ids.b.id}`],
        ['GET', `/api/complaints/${ids.b.id}/events`],
        ['POST', `/api/complaints/${ids.b.id}/transitions/note`, { version: 1, note: '越权' }],
        ['POST', `/api/complaints/${ids.b.id}/transitions/escalate`, { version: 1, severity: 'major', reason: '越权' }],
        ['GET', `/api/offsets/${ids.offerB}`],
        ['POST', `/api/offsets/${ids.offerB}/approve`, {}],
        ['POST', `/api/offsets/${ids.offerB}/reject`, { note: '越权' }],
        ['POST', `/api/offsets/${ids.approvedB}/revoke`, { note: '越权' }],
        ['POST', '/api/offsets', { complaintId: ids.b.id, amount: '1.00', reason: '越权' }],
        ['GET', `/api/complaints/${ids.b.id}/compensations`],
        ['GET', '/api/units/103/bills'],
        ['POST', `/api/complaints/${ids.b.id}/compensations`, { payer: 'company', amount: '1.00', paidOn: '2026-11-28', method: 'cash' }],
      ] as Array<[string, string, unknown?]>) {
        const res = await api(method, path, body);
        check(`${who} ${method} ${path} → ${res.status}`, denied(res.status));
      }
      if (hasPermission(actor, 'complaint.view')) {
        const list = await api('GET', '/api/complaints?limit=100');
        check(`${who} sees community 2 in the complaint list`, !list.body.items.some((c: { id: number }) => c.id === ids.b.id));
        const offsets = await api('GET', '/api/offsets?perPage=200');
        check(`${who} sees community 2 in the offset list`, !offsets.body.items.some((o: { id: number }) => o.id === ids.offerB || o.id === ids.approvedB));
      }
      if (hasPermission(actor, 'offset.apply') || hasPermission(actor, 'report.view')) {
        const apps = await api('GET', '/api/offsets/applications?billId=2001');
        check(`${who} sees community 2's applications`, apps.status === 200 && apps.body.applications.length === 0);
      }
      if (hasPermission(actor, 'offset.apply')) {
        const check2 = await api('POST', '/api/offsets/check', { billId: '2001', offsets: [{ offsetId: ids.approvedB, amountFen: 1 }] });
        check(
          `${who} checks community 2's bill: ${JSON.stringify(check2.body).slice(0, 120)}`,
          check2.status === 200 && check2.body.found === false && check2.body.offsets[0].allowed === false,
        );
        const applicable = await api('GET', '/api/offsets/applicable?billId=2001');
        check(`${who} sees offsets for community 2's bill`, applicable.status === 200 && applicable.body.offsets.length === 0);
      }
      // Pages.
      const c = new PageClient(stack.origin, stack.base);
      await c.signIn(actor);
      await c.get('/');
      const token = c.csrf();
      for (const path of [`/c/${ids.b.id}`, `/c/${ids.b.id}/slip`]) {
        const res = await c.get(path);
        check(`${who} page ${path} → ${res.status}`, denied(res.status));
      }
      for (const [path, form] of [
        [`/c/${ids.b.id}/act/note`, { version: '1', note: '越权' }],
        [`/c/${ids.b.id}/offsets`, { amount: '1.00', reason: '越权' }],
        [`/c/${ids.b.id}/compensations`, { payer: 'company', amount: '1.00', paidOn: '2026-11-28', method: 'cash' }],
        [`/offsets/${ids.offerB}/reject`, { version: '1', note: '越权' }],
        [`/offsets/${ids.approvedB}/revoke`, { version: '2', note: '越权' }],
        ['/cashier/apply', { billId: '2001', offsetId: String(ids.approvedB), amount: '1.00', idempotencyKey: 'X-COMMUNITY' }],
        ['/cashier/reverse', { billId: '2001', idempotencyKey: 'ACC-B-1', reversalKey: 'X-COMMUNITY-VOID' }],
      ] as Array<[string, Record<string, string>]>) {
        const res = await c.post(path, form, { csrf: token });
        check(`${who} POST ${path} → ${res.status}`, denied(res.status));
      }
      if (hasPermission(actor, 'complaint.view')) {
        const list = await c.get('/list?limit=100');
        check(`${who} list page shows ${ids.b.code}`, list.status === 200 && !list.text.includes(ids.b.code));
      }
      if (hasPermission(actor, 'offset.apply')) {
        const cashier = await c.get('/cashier?bill=2001');
        check(
          `${who} cashier page shows community 2's bill`,
          cashier.status === 200 && !cashier.text.includes('/cashier/apply"') && !cashier.text.includes('ACC-B-1'),
        );
      }
      if (hasPermission(actor, 'complaint.create')) {
        const intake = await c.get('/new?unit=103');
        check(`${who} intake shows community 2's unit`, intake.status === 200 && !intake.text.includes('2-201'));
      }
    }
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
  });

  it('forms without the CSRF token, with a wrong or another session’s token, from a foreign Origin or Referer, or cross-site by Fetch Metadata → 403, nothing changed', async () => {
    const version = Number((await database.db(T.complaints).where({ id: ids.a.id }).first()).version);
    const wrong: string[] = [];
    for (const post of LIVE_POSTS(ids, version)) {
      const c = new PageClient(stack.origin, stack.base);
      await c.signIn(post.as);
      await c.get(
        post.path.startsWith('/cashier')
          ? '/cashier?bill=1001'
          : post.path.startsWith('/offsets')
            ? '/offsets'
            : post.path.startsWith('/admin')
              ? '/admin'
              : '/',
      );
      const other = new PageClient(stack.origin, stack.base);
      await other.signIn(post.as);
      for (const [label, options] of [
        ['no token', { csrf: null }],
        ['a wrong token', { csrf: 'A'.repeat(43) }],
        ["another session's token", { csrf: other.csrf() }],
        ['a foreign Origin', { origin: 'https://evil.example' }],
        ['Origin null', { origin: 'null' }],
        ['a foreign Referer', { origin: null, headers: { referer: 'https://evil.example/form' } }],
        ['Sec-Fetch-Site: cross-site', { headers: { 'sec-fetch-site': 'cross-site' } }],
        ['Sec-Fetch-Site: same-site', { headers: { 'sec-fetch-site': 'same-site' } }],
      ] as Array<[string, Parameters<PageClient['post']>[2]]>) {
        const res = await c.post(post.path, post.form, options);
        if (res.status !== 403) wrong.push(`${post.path} with ${label} → ${res.status}`);
      }
    }
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
  });

  it('a session cookie replayed after sign-out (with its CSRF token), and a header-bound session without its header → signed out, posts refused, nothing changed', async () => {
    const version = Number((await database.db(T.complaints).where({ id: ids.a.id }).first()).version);
    const c = new PageClient(stack.origin, stack.base);
    await c.signIn(staff.manager);
    await c.get(`/c/${ids.a.id}`);
    const cookie = c.cookies.get('cmp_sid')!;
    const token = c.csrf();
    expect((await c.post('/sign-out', {})).status).to.equal(303);
    const replay = new PageClient(stack.origin, stack.base);
    replay.cookies.set('cmp_sid', cookie);
    const page = await replay.get(`/c/${ids.a.id}`);
    expect(page.status).to.be.oneOf([302, 303]);
    expect(page.location).to.include('/sign-in');
    expect((await replay.post(`/c/${ids.a.id}/act/note`, { version: String(version), note: '重放' }, { csrf: token })).status).to.be.oneOf([401, 403]);
    expect((await replay.post('/sign-out', {}, { csrf: token })).status).to.equal(403);

    // Mode b: a session bound to the ERP's user works only with that user's header.
    const bound = new PageClient(stack.origin, stack.base);
    bound.headers = { [USER_HEADER]: stack.token(staff.manager) };
    await bound.get(`/c/${ids.a.id}`);
    const boundToken = bound.csrf();
    bound.headers = {};
    expect((await bound.get(`/c/${ids.a.id}`)).status).to.be.oneOf([302, 303, 401]);
    expect((await bound.post(`/c/${ids.a.id}/act/note`, { version: String(version), note: '无头' }, { csrf: boundToken })).status).to.be.oneOf([401, 403]);
    bound.headers = { [USER_HEADER]: stack.token(staff.counter) };
    expect((await bound.post(`/c/${ids.a.id}/act/note`, { version: String(version), note: '换人' }, { csrf: boundToken })).status).to.equal(403);
  });

  it('user tokens expired, tampered (roles raised, signature kept), signed with another secret or malformed → 401 on every JSON route, sign-in redirect on pages', async () => {
    const real = stack.token(staff.cashier);
    const [body, sig] = real.split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forge = (p: Record<string, unknown>, secret?: string) => {
      const b = Buffer.from(JSON.stringify(p)).toString('base64url');
      return `${b}.${secret ? createHmac('sha256', secret).update(b).digest('base64url') : sig}`;
    };
    const bad: Array<[string, string]> = [
      ['expired', stack.token(staff.manager, -1)],
      ['expired by a second', stack.token(staff.manager, 0)],
      ['roles raised, signature kept', forge({ ...payload, roles: ['administrator', 'director'] })],
      ['communities widened, signature kept', forge({ ...payload, communities: null, sub: 'pg-admin' })],
      ['expiry extended, signature kept', forge({ ...payload, exp: (payload.exp as number) + 86400 })],
      ['signed with another secret', forge({ ...payload, roles: ['administrator'] }, 'not-the-shared-secret-at-all')],
      ['signature cut', `${body}.`],
      ['three parts', `${real}.extra`],
      ['garbage', '<script>alert(1)</script>'],
      ['latin-1 bytes', 'ÿþ.\u00ff'],
    ];
    const wrong: string[] = [];
    for (const [label, token] of bad) {
      for (const route of apiRoutes(ids).filter((r) => r.need !== 'public')) {
        const res = await fetch(`${stack.origin}${stack.base}${route.path}`, {
          method: route.method,
          headers: { [USER_HEADER]: token, ...(route.body !== undefined ? { 'content-type': 'application/json' } : {}) },
          body: route.body !== undefined ? JSON.stringify(route.body) : undefined,
        });
        if (res.status !== 401) wrong.push(`${label}: ${route.method} ${route.path} → ${res.status}`);
      }
      const page = await fetch(`${stack.origin}${stack.base}/c/${ids.a.id}`, { headers: { [USER_HEADER]: token }, redirect: 'manual' });
      if (![302, 303].includes(page.status)) wrong.push(`${label}: page → ${page.status}`);
    }
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
  });

  it('service signatures missing, expired, from the future, tampered, for another path or another secret → 401 on every billing route (and a user token is no substitute)', async () => {
    const routes: Array<['GET' | 'POST', string, unknown]> = [
      ['POST', '/api/billing/check', { billId: '1001', offsets: [] }],
      ['POST', '/api/billing/check-batch', { bills: [{ billId: '1001', offsets: [] }] }],
      ['POST', '/api/billing/apply', { offsetId: ids.approvedA, billId: '1001', amountFen: 100, idempotencyKey: 'SIG-PAY-1' }],
      ['POST', '/api/billing/reverse', { idempotencyKey: 'ACC-B-1', reversalKey: 'SIG-VOID-1' }],
      ['GET', '/api/billing/reconcile', undefined],
    ];
    const wrong: string[] = [];
    for (const [method, path, body] of routes) {
      for (const [label, options] of [
        ['no signature', { sign: false }],
        ['expired (6 min old)', { nowMs: Date.now() - 6 * 60_000 }],
        ['from the future (6 min ahead)', { nowMs: Date.now() + 6 * 60_000 }],
        ['another secret', { secret: 'another-secret-entirely-0123456789' }],
        ['signed for another path', { signedPath: '/api/billing/check' === path ? '/api/billing/reconcile' : '/api/billing/check' }],
        ...(method === 'POST'
          ? [
              ['a digit of the body changed after signing', { tamper: (s: string) => s.replace(/\d/, (d) => String((Number(d) + 1) % 10)) }],
              ['only whitespace added to the body after signing', { tamper: (s: string) => s.replace('"', ' "') }],
            ]
          : []),
      ] as Array<[string, Parameters<Stack['billing']>[3]]>) {
        const res = await stack.billing(method, path, body, options);
        if (res.status !== 401) wrong.push(`${method} ${path} with ${label} → ${res.status} ${res.text.slice(0, 100)}`);
        else if (!String(res.body?.error?.code ?? '').startsWith('signature_')) wrong.push(`${method} ${path} with ${label}: code ${res.body?.error?.code}`);
      }
      const asUser = await fetch(`${stack.origin}${stack.base}${path}`, {
        method,
        headers: { [USER_HEADER]: stack.token(staff.cashier), 'content-type': 'application/json' },
        body: method === 'GET' ? undefined : JSON.stringify(body),
      });
      if (asUser.status !== 401) wrong.push(`${method} ${path} with a cashier's user token → ${asUser.status}`);
    }
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
  });
});
