// Compensation (赔付) on both databases: recorded from the complaint's page (PRG, listed with its total,
// on the timeline) and through the JSON API, with every refusal answering clearly and writing nothing:
// bad input (422 at the field), a role without compensation.record (403), another community's complaint
// (404), a post without CSRF token or from another site (403), a cancelled complaint (409), and a double
// submit making one record. Bills and offsets are never touched.
import { expect } from 'chai';
import { databaseKinds } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { staff, startPageHarness, userHeader, type PageClient, type PageHarness } from '../support/pageHarness.js';
import { tableNames } from '../../src/db/tables.js';
import type { Actor } from '../../src/auth/actor.js';
import { COMPENSATION_METHODS, COMPENSATION_PAYERS, MAX_COMPENSATION_FEN } from '../../src/compensations/model.js';

const T = tableNames('cmp_');

async function count(h: PageHarness, table: string, where: Record<string, unknown> = {}): Promise<number> {
  return Number(((await h.db(table).where(where).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
}

function version(page: string): string {
  return /name="version" value="(\d+)"/.exec(page)![1]!;
}

/** Everything a compensation could touch: our records and events, and the money tables around them. */
async function snapshot(h: PageHarness) {
  return {
    compensations: await h.db(T.compensations).orderBy('id'),
    events: await count(h, T.events),
    offsets: await count(h, T.offsets),
    bills: await h.db('bills').orderBy('id'),
  };
}

for (const kind of databaseKinds) {
  describe(`pages: compensation (${kind.kind})`, function () {
    let h: PageHarness;
    let counter: PageClient;
    let supervisor: PageClient;
    let manager: PageClient;

    /** Registers a complaint on unit 101 (community 1) through the intake form. */
    async function register(unitId = '101', ownerId = '1'): Promise<number> {
      await counter.get(`/new?unit=${unitId}`);
      const res = await counter.post('/new', {
        unitId,
        ownerId,
        complainantName: '张伟',
        complainantPhone: '13800138001',
        complainantRelation: 'owner',
        channel: 'counter',
        category: 'security',
        description: '租用车位上的车被划了一道',
        idempotencyKey: crypto.randomUUID(),
      });
      expect(res.status, res.text.slice(0, 2000)).to.equal(303);
      return Number(/\/c\/(\d+)\//.exec(res.location!)![1]);
    }

    function form(client: PageClient, overrides: Record<string, string> = {}): Record<string, string> {
      return {
        payer: 'insurer',
        amount: '850',
        paidOn: '2026-11-28',
        method: 'transfer',
        reference: 'BX-2026-0001',
        note: '公众责任险理赔，修车费用',
        formKey: client.field('formKey') ?? crypto.randomUUID(),
        ...overrides,
      };
    }

    async function api(actor: Actor, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const res = await fetch(`${h.origin}${h.base}${path}`, {
        method,
        headers: { ...userHeader(actor, h.clock), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, headers: res.headers, body: (await res.json()) as any };
    }

    before(async () => {
      h = await startPageHarness(kind, simpleHost);
      counter = h.client();
      supervisor = h.client();
      manager = h.client();
      await counter.signIn(staff.counter);
      await supervisor.signIn(staff.supervisor);
      await manager.signIn(staff.manager);
    });
    after(async () => h?.close());
    afterEach(() =>
      expect(
        h.errors.map((e) => String((e as Error)?.stack ?? e)),
        'no 500s',
      ).to.deep.equal([]),
    );

    it('records through the form (303 back to the page), lists each record with the total in yuan and shows it on the timeline; bills and offsets untouched', async () => {
      const id = await register();
      const page = await supervisor.get(`/c/${id}`);
      expect(page.text).to.include(`action="${h.base}/c/${id}/compensations"`).and.include('记录赔付').and.include('没有赔付记录');
      // Today in Beijing is offered as the day paid.
      expect(supervisor.field('paidOn')).to.equal('2026-11-28');
      const before = await snapshot(h);
      const versionBefore = (await h.db(T.complaints).where({ id }).first()).version;

      const res = await supervisor.post(`/c/${id}/compensations`, form(supervisor));
      expect(res.status, res.text.slice(0, 2000)).to.equal(303);
      expect(res.location).to.equal(`${h.base}/c/${id}?ok=compensationRecorded`);
      let shown = await supervisor.follow(res);
      expect(shown.text).to.include('赔付已记录');
      expect(shown.text).to.include('保险公司（公众责任险）').and.include('¥850.00').and.include('BX-2026-0001').and.include('公众责任险理赔，修车费用');
      expect(shown.text).to.match(/赔付合计<\/th><td class="num"><strong>¥850\.00<\/strong>/);
      // The timeline names the record, who made it, and what was paid.
      expect(shown.text)
        .to.include('<strong>记录赔付</strong> · 主管李敏')
        .and.include('保险公司（公众责任险） · ¥850.00 · 2026-11-28 · 银行转账 · BX-2026-0001');

      await manager.get(`/c/${id}`);
      const second = await manager.post(
        `/c/${id}/compensations`,
        form(manager, { payer: 'company', amount: '¥120.5', method: 'cash', reference: '', note: '' }),
      );
      expect(second.status, second.text.slice(0, 2000)).to.equal(303);
      shown = await manager.follow(second);
      expect(shown.text).to.include('物业公司').and.include('¥120.50').and.include('现金');
      expect(shown.text).to.match(/赔付合计<\/th><td class="num"><strong>¥970\.50<\/strong>/);
      const english = await manager.get(`/c/${id}?lang=en`);
      expect(english.text)
        .to.include('Total compensation')
        .and.include('Compensation recorded')
        .and.include('Insurer (public liability)')
        .and.include('¥970.50');

      const rows = await h.db(T.compensations).where({ complaint_id: id }).orderBy('id');
      expect(rows.map((r) => [r.payer, Number(r.amount_fen), String(r.paid_on).slice(0, 10), r.method, r.reference, r.recorded_by])).to.deep.equal([
        ['insurer', 85000, '2026-11-28', 'transfer', 'BX-2026-0001', staff.supervisor.id],
        ['company', 12050, '2026-11-28', 'cash', null, staff.manager.id],
      ]);
      // One audit event per record, naming the record; the complaint itself, bills and offsets unchanged.
      const events = await h.db(T.events).where({ complaint_id: id, entity_type: 'compensation' }).orderBy('id');
      expect(events.map((e) => [e.action, Number(e.entity_id), e.actor_id])).to.deep.equal([
        ['record', Number(rows[0].id), staff.supervisor.id],
        ['record', Number(rows[1].id), staff.manager.id],
      ]);
      expect(JSON.parse(events[0].changes)).to.deep.include({ amount_fen: [null, 85000], payer: [null, 'insurer'] });
      const after = await snapshot(h);
      expect(after.events).to.equal(before.events + 2);
      expect(after.offsets).to.equal(before.offsets);
      expect(after.bills).to.deep.equal(before.bills);
      expect((await h.db(T.complaints).where({ id }).first()).version).to.equal(versionBefore);
    });

    it('answers each bad field with 422 at that field, the form open and the values kept, writing nothing', async () => {
      const id = await register();
      await supervisor.get(`/c/${id}`);
      const cases: Array<[Record<string, string>, string, string]> = [
        [{ payer: '' }, 'payer', '请选择赔付方'],
        [{ payer: 'neighbour' }, 'payer', '请选择赔付方'],
        [{ amount: '' }, 'amount', '请填写赔付金额'],
        [{ amount: 'abc' }, 'amount', '金额格式不正确'],
        [{ amount: '-5' }, 'amount', '金额格式不正确'],
        [{ amount: '0.00' }, 'amount', '赔付金额必须大于 0'],
        [{ amount: '12.345' }, 'amount', '最多两位小数'],
        [{ amount: '1000000.01' }, 'amount', '单笔赔付不能超过 ¥1,000,000.00'],
        [{ paidOn: '' }, 'paidOn', '请填写支付日期'],
        [{ paidOn: '2026-02-30' }, 'paidOn', '请填写支付日期'],
        [{ paidOn: '2026-11-29' }, 'paidOn', '支付日期不能晚于今天（2026-11-28）'],
        [{ paidOn: '2026-11-27' }, 'paidOn', '支付日期不能早于投诉受理日期（2026-11-28）'],
        [{ method: '' }, 'method', '请选择支付方式'],
        [{ method: 'cheque' }, 'method', '请选择支付方式'],
        [{ reference: '号'.repeat(101) }, 'reference', '100'],
        [{ note: '注'.repeat(1001) }, 'note', '1000'],
      ];
      const before = await snapshot(h);
      for (const [overrides, field, message] of cases) {
        const res = await supervisor.post(`/c/${id}/compensations`, form(supervisor, overrides));
        const label = JSON.stringify(overrides).slice(0, 60);
        expect(res.status, label).to.equal(422);
        expect(res.text, label).to.include(`id="err-compensation.${field}"`).and.include(message);
        expect(res.text, label).to.match(/<details class="action" open><summary>记录赔付/);
        expect(res.text, label).to.include('aria-invalid="true"');
        // Only the field at fault is marked.
        expect((res.text.match(/id="err-compensation\./g) ?? []).length, label).to.equal(1);
      }
      // Several mistakes at once are all reported, with what was typed kept.
      const many = await supervisor.post(`/c/${id}/compensations`, form(supervisor, { payer: '', amount: 'abc', method: '' }));
      expect(many.status).to.equal(422);
      for (const field of ['payer', 'amount', 'method']) expect(many.text).to.include(`id="err-compensation.${field}"`);
      expect(many.text).to.include('value="abc"').and.include('value="BX-2026-0001"').and.include('公众责任险理赔，修车费用');
      expect(await snapshot(h)).to.deep.equal(before);
    });

    it('refuses roles without compensation.record (403) and does not offer them the form', async () => {
      const id = await register();
      const cashier = h.client();
      await cashier.signIn(staff.cashier);
      const before = await snapshot(h);
      for (const client of [counter, cashier]) {
        const page = await client.get(`/c/${id}`);
        expect(page.status).to.equal(200);
        expect(page.text).not.to.include(`/c/${id}/compensations"`);
        // They still read what was paid.
        expect(page.text).to.include('赔付记录');
        const res = await client.post(`/c/${id}/compensations`, form(client));
        expect(res.status).to.equal(403);
        expect(res.text).to.include('没有权限');
      }
      expect(
        (await api(staff.counter, 'POST', `/api/complaints/${id}/compensations`, { payer: 'company', amount: '10', paidOn: '2026-11-28', method: 'cash' }))
          .status,
      ).to.equal(403);
      expect(await snapshot(h)).to.deep.equal(before);
    });

    it("answers another community's complaint as missing (404) on the page, the form and the API, writing nothing", async () => {
      const id = await register(); // community 1
      const scoped = h.client();
      await scoped.signIn(staff.scoped2); // a supervisor of community 2: may record, but not there
      await scoped.get('/');
      const before = await snapshot(h);
      expect((await scoped.get(`/c/${id}`)).status).to.equal(404);
      const res = await scoped.post(`/c/${id}/compensations`, form(scoped));
      expect(res.status).to.equal(404);
      expect(res.text).not.to.include('张伟');
      expect(
        (await api(staff.scoped2, 'POST', `/api/complaints/${id}/compensations`, { payer: 'company', amount: '10', paidOn: '2026-11-28', method: 'cash' }))
          .status,
      ).to.equal(404);
      expect((await api(staff.scoped2, 'GET', `/api/complaints/${id}/compensations`)).status).to.equal(404);
      expect(await snapshot(h)).to.deep.equal(before);
    });

    it('refuses a post without the CSRF token, with a wrong one, or from another site (403), writing nothing', async () => {
      const id = await register();
      await supervisor.get(`/c/${id}`);
      const before = await snapshot(h);
      for (const options of [
        { csrf: null },
        { csrf: 'A'.repeat(43) },
        { origin: 'https://evil.example' },
        { headers: { 'sec-fetch-site': 'cross-site' } },
      ] as const) {
        const res = await supervisor.post(`/c/${id}/compensations`, form(supervisor), options as Parameters<PageClient['post']>[2]);
        expect(res.status, JSON.stringify(options)).to.equal(403);
      }
      expect(await snapshot(h)).to.deep.equal(before);
    });

    it('makes one record of a double-submitted form; the same key with other content is refused (409) and the form gets a new key', async () => {
      const id = await register();
      await supervisor.get(`/c/${id}`);
      const key = supervisor.field('formKey')!;
      expect(key).to.match(/^[0-9a-f-]{36}$/);
      const body = form(supervisor, { amount: '300' });
      const [a, b] = await Promise.all([supervisor.post(`/c/${id}/compensations`, body), supervisor.post(`/c/${id}/compensations`, body)]);
      expect([a.status, b.status]).to.deep.equal([303, 303]);
      expect((await supervisor.post(`/c/${id}/compensations`, body)).status).to.equal(303);
      expect(await count(h, T.compensations, { complaint_id: id })).to.equal(1);
      expect(await count(h, T.compensations, { request_key: key })).to.equal(1);
      expect(await count(h, T.events, { complaint_id: id, entity_type: 'compensation' })).to.equal(1);
      // The same key with another amount (an edited form sent again) is not the same request.
      const edited = await supervisor.post(`/c/${id}/compensations`, { ...body, amount: '301' });
      expect(edited.status).to.equal(409);
      expect(edited.text).to.include('此幂等键已用于内容不同的另一条赔付记录');
      const fresh = supervisor.field('formKey', edited.text);
      expect(fresh)
        .to.match(/^[0-9a-f-]{36}$/)
        .and.not.equal(key);
      expect(await count(h, T.compensations, { complaint_id: id })).to.equal(1);
    });

    it('refuses compensation on a cancelled complaint (no form, 409, nothing written) and takes it on a closed one', async () => {
      const cancelled = await register();
      let page = await counter.get(`/c/${cancelled}`);
      expect((await counter.post(`/c/${cancelled}/act/cancel`, { version: version(page.text), cancelKind: 'duplicate', reason: '重复登记' })).status).to.equal(
        303,
      );
      page = await supervisor.get(`/c/${cancelled}`);
      expect(page.text).not.to.include(`/c/${cancelled}/compensations"`);
      const before = await snapshot(h);
      const res = await supervisor.post(`/c/${cancelled}/compensations`, form(supervisor));
      expect(res.status).to.equal(409);
      expect(res.text).to.include('已撤销，不能记录赔付');
      const viaApi = await api(staff.supervisor, 'POST', `/api/complaints/${cancelled}/compensations`, {
        payer: 'company',
        amount: '10',
        paidOn: '2026-11-28',
        method: 'cash',
      });
      expect(viaApi.status).to.equal(409);
      expect(viaApi.body.error.code).to.equal('complaint_cancelled');
      expect(await snapshot(h)).to.deep.equal(before);

      // Insurers often pay after the complaint was closed.
      const closed = await register();
      page = await counter.get(`/c/${closed}`);
      expect(
        (await counter.post(`/c/${closed}/act/resolve`, { version: version(page.text), nature: 'inquiry', reply: '已报公众责任险', basis: '保险条款' })).status,
      ).to.equal(303);
      page = await counter.get(`/c/${closed}`);
      expect((await counter.post(`/c/${closed}/act/follow-up`, { version: version(page.text), method: 'phone', satisfied: 'yes' })).status).to.equal(303);
      expect((await h.db(T.complaints).where({ id: closed }).first()).state).to.equal('closed');
      await supervisor.get(`/c/${closed}`);
      expect((await supervisor.post(`/c/${closed}/compensations`, form(supervisor))).status).to.equal(303);
      expect(await count(h, T.compensations, { complaint_id: closed })).to.equal(1);
    });

    it('JSON API: records (201), replays an Idempotency-Key (200), lists with the total, and answers bad input with field errors', async () => {
      const id = await register();
      const body = { payer: 'third_party', amount: '260.00', paidOn: '2026-11-28', method: 'mobile', reference: '邻居赔付', note: '楼上漏水泡坏被子' };
      const created = await api(staff.director, 'POST', `/api/complaints/${id}/compensations`, body, { 'Idempotency-Key': 'api-comp-1' });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      expect(created.body.compensation).to.include({
        complaintId: id,
        payer: 'third_party',
        amountFen: 26000,
        amountYuan: '260.00',
        paidOn: '2026-11-28',
        method: 'mobile',
        reference: '邻居赔付',
        recordedBy: staff.director.id,
      });
      const replay = await api(staff.director, 'POST', `/api/complaints/${id}/compensations`, { ...body, amount: '260' }, { 'Idempotency-Key': 'api-comp-1' });
      expect(replay.status).to.equal(200);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
      expect(replay.body.compensation.id).to.equal(created.body.compensation.id);
      const other = await api(staff.director, 'POST', `/api/complaints/${id}/compensations`, { ...body, amount: '261' }, { 'Idempotency-Key': 'api-comp-1' });
      expect(other.status).to.equal(409);
      expect(other.body.error).to.include({ code: 'idempotency_key_reused', compensationId: created.body.compensation.id });
      const disagree = await api(
        staff.director,
        'POST',
        `/api/complaints/${id}/compensations`,
        { ...body, idempotencyKey: 'api-comp-2' },
        { 'Idempotency-Key': 'api-comp-1' },
      );
      expect(disagree.status).to.equal(400);
      await api(staff.manager, 'POST', `/api/complaints/${id}/compensations`, { payer: 'company', amount: '40.5', paidOn: '2026-11-28', method: 'cash' });

      const list = await api(staff.cashier, 'GET', `/api/complaints/${id}/compensations`);
      expect(list.status).to.equal(200);
      expect(list.body).to.include({ totalFen: 30050, totalYuan: '300.50' });
      expect(list.body.items.map((c: { amountFen: number }) => c.amountFen)).to.deep.equal([26000, 4050]);
      const events = await api(staff.cashier, 'GET', `/api/complaints/${id}/events`);
      expect(events.body.events.filter((e: { action: string }) => e.action === 'record')).to.have.length(2);

      const before = await snapshot(h);
      const bad = await api(staff.manager, 'POST', `/api/complaints/${id}/compensations?lang=en`, {
        payer: 'neighbour',
        amount: 0,
        paidOn: '2026-11-31',
        method: 'cheque',
        extra: true,
      });
      expect(bad.status).to.equal(400);
      expect(bad.body.error.code).to.equal('validation_failed');
      expect(bad.body.error.fields.map((f: { field: string }) => f.field)).to.have.members(['payer', 'amount', 'paidOn', 'method', 'extra']);
      expect(bad.body.error.fields.find((f: { field: string }) => f.field === 'payer').message).to.equal(
        'Choose who paid (the company, an insurer or a third party)',
      );
      const tooMuch = await api(staff.manager, 'POST', `/api/complaints/${id}/compensations`, {
        payer: 'insurer',
        amount: '1000000.01',
        paidOn: '2026-11-28',
        method: 'transfer',
      });
      expect(tooMuch.status).to.equal(400);
      expect(tooMuch.body.error.fields).to.deep.equal([{ field: 'amount', message: '单笔赔付不能超过 ¥1,000,000.00' }]);
      expect((await api(staff.manager, 'POST', '/api/complaints/abc/compensations', body)).status).to.equal(404);
      expect(await snapshot(h)).to.deep.equal(before);

      const doc = (await (await fetch(`${h.origin}${h.base}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
      expect(doc.paths['/api/complaints/{id}/compensations']!.post!.operationId).to.equal('recordCompensation');
      expect(doc.paths['/api/complaints/{id}/compensations']!.get!.operationId).to.equal('listCompensations');
    });

    it('lets the database itself refuse an amount of zero, above the ceiling, or a payer outside the glossary', async () => {
      const id = await register();
      const row = {
        complaint_id: id,
        payer: 'company',
        amount_fen: 100,
        paid_on: '2026-11-28',
        method: 'cash',
        recorded_by: 'db-test',
        recorded_by_name: '直接写入',
        recorded_at: '2026-11-28 01:00:00.000',
      };
      for (const bad of [{ amount_fen: 0 }, { amount_fen: 100_000_001 }, { payer: 'owner' }, { method: 'cheque' }]) {
        let refused = false;
        try {
          await h.db(T.compensations).insert({ ...row, ...bad });
        } catch {
          refused = true;
        }
        expect(refused, JSON.stringify(bad)).to.equal(true);
      }
      expect(await count(h, T.compensations, { recorded_by: 'db-test' })).to.equal(0);
      // Every payer and method of the glossary is one the table takes, up to the ceiling.
      for (const payer of COMPENSATION_PAYERS)
        for (const method of COMPENSATION_METHODS) await h.db(T.compensations).insert({ ...row, payer, method, amount_fen: MAX_COMPENSATION_FEN });
      expect(await count(h, T.compensations, { recorded_by: 'db-test' })).to.equal(COMPENSATION_PAYERS.length * COMPENSATION_METHODS.length);
    });
  });
}
