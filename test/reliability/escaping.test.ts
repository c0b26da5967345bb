// Reliability: escaping (MariaDB). Markup (`<script>`, `"><img src=x onerror=…>`, a closing </textarea>,
// template braces) and `javascript:` URLs are written into every text field of complaints and offsets
// (through the JSON API, the billing API and the services), into the names of the people acting, into the
// host's unit, owner and community names, and into the settings' category and department labels; then
// every page that shows them (and their English versions, error pages and refused forms that redisplay
// them) must render them inert: no <script> but our own, no element from data, no inline event handler,
// no href/src/action with javascript:, the payload visible only as escaped text.
import { expect } from 'chai';
import type { Actor } from '../../src/auth/actor.js';
import { SYSTEM_ACTOR } from '../../src/auth/actor.js';
import { USER_HEADER } from '../../src/auth/adapter.js';
import type { Settings } from '../../src/settings/settings.js';
import type { TestDatabase } from '../support/databases.js';
import { intakeBody } from '../support/complaintData.js';
import { requireMariadb } from '../support/faults.js';
import { PageClient, staff } from '../support/pageHarness.js';
import { freshMariadb, startStack, type Stack } from '../support/reliability.js';

const P = {
  script: '<script>alert("x1")</script>',
  img: '"><img src=x onerror=alert(2)>',
  js: 'javascript:alert(3)',
  attr: "' onmouseover='alert(4)' x='",
  textarea: '</textarea><script>alert(5)</script>',
  link: '<a href="javascript:alert(6)">点我</a>',
  braces: "{{constructor.constructor('alert(7)')()}}",
  svg: '<svg/onload=alert(8)>',
};
const mix = (...parts: string[]) => parts.join(' ');

/** People whose names are markup: one signs in at the demo page, one comes with the ERP's signed header. */
const xssManager: Actor = { id: 'xss-manager', name: P.script, roles: ['manager'], communityIds: null };
const xssApi: Actor = { id: 'xss-api', name: P.img, roles: ['manager'], communityIds: null };
const xssDirector: Actor = { id: 'xss-director', name: P.svg, roles: ['director'], communityIds: null };
const xssCounter: Actor = { id: 'xss-counter', name: P.link, roles: ['counter_staff'], communityIds: null };

/** Everything that must never appear in a page built from our data. */
function inertProblems(html: string, base: string): string[] {
  const problems: string[] = [];
  for (const m of html.matchAll(/<script\b[^>]*>/gi))
    if (!m[0].startsWith(`<script src="${base}/assets/`)) problems.push(`a <script> that is not ours: ${m[0]}`);
  // Our own images (the slip's QR code, attachment thumbnails) load from our routes; any other <img> came from data.
  for (const m of html.matchAll(/<img\b[^>]*>/gi))
    if (!/^<img class="[a-z-]+" src="\/[a-z]/.test(m[0]) || !m[0].includes(`src="${base}/`)) problems.push(`an element from data: ${m[0].slice(0, 120)}`);
  for (const tag of ['iframe', 'object', 'embed', 'a href="javascript', 'svg/onload'])
    if (html.toLowerCase().includes(`<${tag}`)) problems.push(`an element from data: <${tag}`);
  const handler = /<[a-z][^>]*?\son[a-z]+\s*=/i.exec(html);
  if (handler) problems.push(`an inline event handler: ${handler[0].slice(0, 120)}`);
  const url = /\s(?:href|src|action|formaction|xlink:href)\s*=\s*["']?\s*(?:javascript|data|vbscript):/i.exec(html);
  if (url) problems.push(`a script URL in an attribute: ${url[0]}`);
  for (const raw of [P.script, P.img, P.textarea, P.link, P.svg]) if (html.includes(raw)) problems.push(`a payload unescaped: ${raw}`);
  return problems;
}

interface Ids {
  full: number;
  continuation: number;
  cancelled: number;
  host: number;
}

async function seed(stack: Stack, db: TestDatabase['db']): Promise<Ids> {
  // Host data with markup: a community, a unit and its owner.
  await db('communities').insert({ id: 3, name: P.img });
  await db('owners').insert({ id: 9, name: P.script, mobile: '13800138009', deleted: 0 });
  await db('units').insert({ id: 108, community_id: 3, room_no: '<b>3-1</b><script>', owner_id: 9, is_deleted: 0 });
  await db('bills').insert({ id: 3001, unit_id: 108, amount: '500.00', period: '2026-11', status: 'unpaid' });
  // Settings labels with markup.
  const current = await stack.plugin.context.settings.get();
  const patch: Partial<Settings> = {
    categories: [...current.categories, { code: 'xss', 'zh-CN': P.script.slice(0, 40), en: P.img, active: true }],
    departments: [...current.departments, { code: 'xssdep', 'zh-CN': P.svg, en: P.link.slice(0, 60) }],
  };
  await stack.plugin.context.settings.update(patch, SYSTEM_ACTOR);

  const api = async (as: Actor, method: string, path: string, body: unknown) => {
    const res = await stack.api(method, path, { as, body });
    expect(res.status, `${path}: ${res.text.slice(0, 300)}`).to.be.oneOf([200, 201]);
    return res.body;
  };
  // A complaint taken through the whole loop with markup in every text field, by people named in markup.
  let c = (
    await api(
      xssApi,
      'POST',
      '/api/complaints',
      intakeBody('101', {
        complainantName: P.img,
        description: mix(P.script, P.textarea, P.js),
        expectation: mix(P.link, P.js),
        category: 'xss',
        idempotencyKey: 'xss-1',
      }),
    )
  ).complaint;
  c = (
    await api(xssApi, 'POST', `/api/complaints/${c.id}/transitions/start-investigation`, {
      version: c.version,
      department: 'xssdep',
      assigneeId: P.img,
      assigneeName: P.attr.slice(0, 50),
      note: P.braces,
    })
  ).complaint;
  c = (await api(xssApi, 'POST', `/api/complaints/${c.id}/transitions/note`, { version: c.version, note: mix(P.svg, P.braces, P.js) })).complaint;
  c = (
    await api(xssApi, 'POST', `/api/complaints/${c.id}/transitions/assess`, {
      version: c.version,
      disputeType: 'property',
      nature: 'valid',
      severity: 'important',
      findings: mix(P.textarea, P.link),
    })
  ).complaint;
  c = (
    await api(xssApi, 'POST', `/api/complaints/${c.id}/transitions/plan`, {
      version: c.version,
      department: 'xssdep',
      assigneeId: 'eng-1',
      assigneeName: P.script,
      measures: mix(P.img, P.js, P.attr),
      deadline: '2026-12-05T10:00:00+08:00',
    })
  ).complaint;
  c = (await api(xssApi, 'POST', `/api/complaints/${c.id}/transitions/resolve`, { version: c.version, reply: mix(P.script, P.js), basis: mix(P.link, P.svg) }))
    .complaint;
  const followed = await api(xssApi, 'POST', `/api/complaints/${c.id}/follow-ups`, {
    version: c.version,
    method: 'phone',
    satisfied: false,
    visitorName: P.img,
    complainantWords: mix(P.textarea, P.js, P.braces),
  });
  const full = c.id as number;
  const continuation = followed.continuation.id as number;
  // Compensation on the closed complaint, with markup in its reference and note, recorded by a person named in markup.
  await api(xssApi, 'POST', `/api/complaints/${full}/compensations`, {
    payer: 'third_party',
    amount: '66.00',
    paidOn: '2026-11-28',
    method: 'other',
    reference: `BX${P.img}`,
    note: mix(P.script, P.textarea, P.braces, P.js),
  });

  let x = (await api(xssApi, 'POST', '/api/complaints', intakeBody('102', { description: P.svg, expectation: P.attr }))).complaint;
  x = (await api(xssApi, 'POST', `/api/complaints/${x.id}/transitions/escalate`, { version: x.version, severity: 'major', reason: mix(P.script, P.js) }))
    .complaint;
  x = (await api(xssApi, 'POST', `/api/complaints/${x.id}/transitions/cancel`, { version: x.version, cancelKind: 'duplicate', reason: mix(P.img, P.link) }))
    .complaint;

  // The host's unit with markup, and offsets with markup in every note, key and name.
  let h = (
    await api(
      xssCounter,
      'POST',
      '/api/complaints',
      intakeBody('108', { complainantName: '业主', complainantPhone: '13800138009', description: P.textarea, threatenedWithholding: true }),
    )
  ).complaint;
  h = (
    await api(xssApi, 'POST', `/api/complaints/${h.id}/transitions/assess`, {
      version: h.version,
      disputeType: 'property',
      nature: 'valid',
      severity: 'important',
    })
  ).complaint;
  const raise = (reason: string, amount = '30.00') => api(xssCounter, 'POST', '/api/offsets', { complaintId: h.id, amount, reason, billIds: ['3001'] });
  const o1 = (await raise(mix(P.script, P.js))).offset;
  await api(xssDirector, 'POST', `/api/offsets/${o1.id}/approve`, { note: mix(P.img, P.js), version: o1.version });
  const o2 = (await raise(mix(P.link, P.braces))).offset;
  await api(xssDirector, 'POST', `/api/offsets/${o2.id}/reject`, { note: mix(P.svg, P.attr), version: o2.version });
  const o3 = (await raise(P.textarea)).offset;
  const a3 = (await api(xssDirector, 'POST', `/api/offsets/${o3.id}/approve`, { note: P.link, version: o3.version })).offset;
  await api(xssDirector, 'POST', `/api/offsets/${o3.id}/revoke`, { note: mix(P.script, P.js), version: a3.version });
  await raise(mix(P.img, P.js), '12.00'); // left awaiting approval
  const o5 = (await raise('第二笔', '40.00')).offset;
  await api(xssDirector, 'POST', `/api/offsets/${o5.id}/approve`, { note: P.braces, version: o5.version });
  for (const [key, operator] of [
    [`PAY${P.img}`, { id: 'op-1', name: P.script }],
    [`PAY-${P.js}`, { id: 'op-2', name: P.link }],
  ] as const) {
    const res = await stack.billing('POST', '/api/billing/apply', { offsetId: o1.id, billId: '3001', amountFen: 100, idempotencyKey: key, operator });
    expect(res.status, res.text).to.equal(200);
  }
  const rev = await stack.billing('POST', '/api/billing/reverse', {
    idempotencyKey: `PAY${P.img}`,
    reversalKey: `VOID${P.svg}`,
    operator: { id: 'op-3', name: P.textarea },
  });
  expect(rev.status, rev.text).to.equal(200);
  return { full, continuation, cancelled: x.id, host: h.id };
}

describe('reliability: escaping — markup and javascript: URLs render inert on every page (MariaDB)', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let stack: Stack;
  let ids: Ids;

  before(async function () {
    requireMariadb();
    database = await freshMariadb();
    stack = await startStack(database.db, undefined, { users: [...Object.values(staff), xssManager, xssDirector, xssCounter] });
    ids = await seed(stack, database.db);
  });
  after(async () => {
    await stack?.close();
    await database?.drop();
  });

  async function visit(c: PageClient, path: string, expected: number[] = [200]): Promise<string[]> {
    const res = await c.get(path);
    const problems = inertProblems(res.text, stack.base).map((p) => `${path}: ${p}`);
    if (!expected.includes(res.status)) problems.push(`${path}: status ${res.status}`);
    return problems;
  }

  const pagesFor = (i: Ids) => [
    '/',
    '/list',
    '/list?limit=100&state=cancelled&state=closed_unsatisfied&state=received&state=investigating&state=processing&state=resolved',
    '/list?category=xss',
    `/list?q=${encodeURIComponent(P.script)}`,
    `/list?q=${encodeURIComponent(P.js)}&sort=${encodeURIComponent(P.img)}`,
    `/c/${i.full}`,
    `/c/${i.full}/slip`,
    `/c/${i.continuation}`,
    `/c/${i.continuation}/slip`,
    `/c/${i.cancelled}`,
    `/c/${i.host}`,
    `/c/${i.host}/slip`,
    '/new',
    '/new?unit=108',
    `/new?unit=101`,
    `/new?q=${encodeURIComponent('<b>3-1')}`,
    `/new?q=${encodeURIComponent(P.img)}`,
    `/new?unit=${encodeURIComponent(P.js)}`,
    '/offsets',
  ];

  it('every page of the manager (named in markup, signed in at the demo page), in Chinese and English, shows the data only as text', async () => {
    const c = new PageClient(stack.origin, stack.base);
    await c.signIn(xssManager);
    const problems: string[] = [];
    for (const path of pagesFor(ids)) {
      problems.push(...(await visit(c, path)));
      problems.push(...(await visit(c, `${path}${path.includes('?') ? '&' : '?'}lang=en`)));
    }
    const report = await c.get('/report');
    if (report.status !== 404) problems.push(...(await visit(c, '/report')));
    // The detail page really shows the data (escaped), so the checks above looked at it.
    const detail = await c.get(`/c/${ids.full}`);
    for (const shown of [
      '&lt;script&gt;alert(&quot;x1&quot;)&lt;/script&gt;',
      '&lt;/textarea&gt;',
      'javascript:alert(3)',
      '&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(2)&gt;',
      '{{constructor.constructor(&#x27;alert(7)&#x27;)()}}',
      'BX&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(2)&gt;',
    ]) {
      expect(detail.text, `the detail page shows ${shown}`).to.include(shown);
    }
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  it('the cashier, approval, admin and sign-in pages (bills, offsets, payment and voiding keys, operators, labels, demo users) show the data only as text', async () => {
    const problems: string[] = [];
    const cashier = new PageClient(stack.origin, stack.base);
    await cashier.signIn(staff.cashier);
    for (const path of [
      '/cashier?bill=3001',
      '/cashier?unit=108',
      `/cashier?q=${encodeURIComponent('<b>')}`,
      `/cashier?bill=${encodeURIComponent(P.img)}`,
      `/cashier?bill=${encodeURIComponent(P.js)}`,
      '/cashier?bill=3001&lang=en',
    ]) {
      problems.push(...(await visit(cashier, path)));
    }
    const page = await cashier.get('/cashier?bill=3001');
    expect(page.text).to.include('PAY&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(2)&gt;');
    const units = await cashier.get(`/units.json?q=${encodeURIComponent('<b>')}`);
    expect(units.headers.get('content-type')).to.include('application/json');
    expect(units.headers.get('x-content-type-options')).to.equal('nosniff');

    const director = new PageClient(stack.origin, stack.base);
    await director.signIn(xssDirector);
    problems.push(...(await visit(director, '/offsets')), ...(await visit(director, '/offsets?lang=en')), ...(await visit(director, '/')));
    const admin = new PageClient(stack.origin, stack.base);
    await admin.signIn(staff.admin);
    problems.push(...(await visit(admin, '/admin')), ...(await visit(admin, '/admin?lang=en')));
    const anonymous = new PageClient(stack.origin, stack.base);
    for (const path of [
      '/sign-in',
      `/sign-in?next=${encodeURIComponent(P.js)}`,
      `/sign-in?next=${encodeURIComponent('//evil.example/')}`,
      `/sign-in?next=${encodeURIComponent(`/complaints/${P.img}`)}`,
    ]) {
      problems.push(...(await visit(anonymous, path)));
    }
    const signIn = await anonymous.get(`/sign-in?next=${encodeURIComponent(P.js)}`);
    expect(signIn.text).to.include('&lt;script&gt;');
    expect(anonymous.field('next')).to.equal('/complaints/');
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  it('error pages and refused forms that echo what was sent (404, 409, 422) show it only as text', async () => {
    const problems: string[] = [];
    const c = new PageClient(stack.origin, stack.base);
    await c.signIn(xssManager);
    problems.push(
      ...(await visit(c, '/c/999999', [404])),
      ...(await visit(c, `/c/${encodeURIComponent(P.img)}`, [404])),
      ...(await visit(c, `/${encodeURIComponent(P.script)}`, [404])),
    );
    await c.get('/new?unit=101');
    const intake = await c.post('/new', {
      unitId: '101',
      complainantName: P.img,
      complainantPhone: P.script,
      channel: 'counter',
      category: 'xss',
      description: P.textarea,
      expectation: P.js,
      receivedAt: P.link,
      idempotencyKey: crypto.randomUUID(),
    });
    expect(intake.status).to.equal(422);
    problems.push(...inertProblems(intake.text, stack.base).map((p) => `POST /new: ${p}`));
    await c.get(`/c/${ids.continuation}`);
    for (const [action, form] of [
      ['note', { version: 'x', note: P.textarea }],
      ['escalate', { version: '1', severity: P.img, reason: P.script }],
      ['cancel', { version: '999', cancelKind: 'duplicate', reason: P.link }],
    ] as Array<[string, Record<string, string>]>) {
      const res = await c.post(`/c/${ids.continuation}/act/${action}`, form);
      expect(res.status, action).to.be.oneOf([409, 422]);
      problems.push(...inertProblems(res.text, stack.base).map((p) => `POST act/${action}: ${p}`));
    }
    const offer = await c.post(`/c/${ids.host}/offsets`, { amount: P.img, reason: P.script, expiresOn: P.js, billIds: P.textarea });
    expect(offer.status).to.equal(422);
    problems.push(...inertProblems(offer.text, stack.base).map((p) => `POST offsets: ${p}`));
    const compensation = await c.post(`/c/${ids.host}/compensations`, {
      payer: P.img,
      amount: P.script,
      paidOn: P.js,
      method: P.attr,
      reference: P.textarea,
      note: mix(P.link, P.braces),
    });
    expect(compensation.status).to.equal(422);
    expect(compensation.text).to.include('&lt;/textarea&gt;&lt;script&gt;');
    problems.push(...inertProblems(compensation.text, stack.base).map((p) => `POST compensations: ${p}`));
    const cashier = new PageClient(stack.origin, stack.base);
    await cashier.signIn(staff.cashier);
    await cashier.get('/cashier?bill=3001');
    for (const form of [
      { billId: P.img, offsetId: '1', amount: '1.00', idempotencyKey: 'X' },
      { billId: '3001', offsetId: '1', amount: P.script, idempotencyKey: P.img },
      { billId: '3001', offsetId: '1', amount: '999999.00', idempotencyKey: P.link },
    ]) {
      const res = await cashier.post('/cashier/apply', form);
      expect(res.status).to.be.oneOf([404, 409, 422]);
      problems.push(...inertProblems(res.text, stack.base).map((p) => `POST /cashier/apply: ${p}`));
    }
    const reverse = await cashier.post('/cashier/reverse', { billId: '3001', idempotencyKey: P.script, reversalKey: P.img });
    problems.push(...inertProblems(reverse.text, stack.base).map((p) => `POST /cashier/reverse: ${p}`));
    // An API error never reflects markup as HTML: JSON only.
    const api = await fetch(`${stack.origin}${stack.base}/api/complaints/${encodeURIComponent(P.img)}`, { headers: { [USER_HEADER]: stack.token(xssApi) } });
    expect(api.headers.get('content-type')).to.include('application/json');
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });
});
