// What the API refuses, and that a refusal changes nothing: illegal transitions from every state, missing
// permissions, stale versions (naming who), bad input with field messages in both locales; plus
// idempotent intake, community scoping and text outside the BMP.
import { expect } from 'chai';
import { databaseKinds } from '../support/databases.js';
import { simpleHost, stringIdHost } from '../fixtures/hosts.js';
import { people, person, startPluginHarness, type ApiResponse, type PluginHarness } from '../support/pluginHarness.js';
import { act, assessProperty, followUp, intakeBody, planBody, register, replyBody, step, unitsOf } from '../support/complaintData.js';
import { ACTIONS, RULES, STATES, type Action, type ComplaintState } from '../../src/complaints/states.js';
import type { Complaint } from '../../src/complaints/types.js';

const { counter, counter2, supervisor, director, cashier } = people;

const validBodies: Record<Action, Record<string, unknown>> = {
  'start-investigation': {},
  assess: assessProperty,
  plan: planBody,
  resolve: { ...replyBody, nature: 'inquiry' },
  cancel: { cancelKind: 'duplicate', reason: '重复登记' },
  escalate: { severity: 'major', reason: '业主多次投诉' },
  note: { note: '已联系业主' },
  accept: {},
  reassign: { assigneeId: 'eng-9', assigneeName: '工程部钱师傅', reason: '原处理人休假' },
  pause: { reason: '等待自来水公司抢修', party: 'utility' },
  resume: {},
  'follow-up': { method: 'phone', satisfied: false, complainantWords: '不满意' },
};

for (const kind of databaseKinds) {
  for (const fixture of [simpleHost, stringIdHost]) {
    describe(`complaint rules over HTTP: ${fixture.name} on ${kind.kind}`, function () {
      let h: PluginHarness;
      const units = unitsOf(fixture);

      before(async () => {
        h = await startPluginHarness(kind, fixture);
      });
      after(async () => h?.close());
      afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

      /** Everything a refusal must leave alone: the row, and the number of complaints, events and visits. */
      async function snapshot(id: number) {
        const { tables } = h.ctx;
        const count = async (t: string) => Number(((await h.db(t).count({ n: '*' })) as Array<{ n: number }>)[0]!.n);
        return {
          row: await h.db(tables.complaints).where({ id }).first(),
          complaints: await count(tables.complaints),
          events: await count(tables.events),
          followUps: await count(tables.followUps),
        };
      }

      async function inState(state: ComplaintState): Promise<Complaint> {
        let c = await register(h, counter, intakeBody(units.a));
        if (state === 'received') return c;
        if (state === 'cancelled') return step(h, supervisor, c, 'cancel', validBodies.cancel);
        if (state === 'merged') {
          const survivor = await register(h, counter, intakeBody(units.a));
          const res = await h.api('POST', `/api/complaints/${c.id}/merge`, {
            as: supervisor,
            body: { version: c.version, survivorId: survivor.id, reason: '同一问题重复登记' },
          });
          expect(res.status, JSON.stringify(res.body)).to.equal(200);
          return res.body.duplicate as Complaint;
        }
        c = await step(h, supervisor, c, 'start-investigation');
        if (state === 'investigating') return c;
        c = await step(h, supervisor, c, 'assess', assessProperty);
        c = await step(h, supervisor, c, 'plan', planBody);
        if (state === 'processing') return c;
        c = await step(h, supervisor, c, 'resolve', replyBody);
        if (state === 'resolved') return c;
        const res = await followUp(h, counter, c, { method: 'phone', satisfied: state === 'closed' });
        expect(res.status).to.equal(200);
        return res.body.complaint as Complaint;
      }

      it('refuses every action its state does not allow, changing nothing', async () => {
        let refusals = 0;
        for (const state of STATES) {
          const c = await inState(state);
          expect(c.state).to.equal(state);
          for (const action of ACTIONS.filter((a) => !RULES[a].from.includes(state))) {
            const before = await snapshot(c.id);
            const res =
              action === 'follow-up' ? await followUp(h, supervisor, c, validBodies[action]) : await act(h, supervisor, c, action, validBodies[action]);
            expect(res.status, `${action} from ${state}: ${JSON.stringify(res.body)}`).to.equal(409);
            // A merged complaint's owner is followed up through the survivor, once that one is replied to.
            expect(res.body.error.code).to.equal(state === 'merged' && action === 'follow-up' ? 'survivor_not_replied' : 'invalid_transition');
            expect(res.body.error.message).to.be.a('string').and.not.equal('');
            expect(await snapshot(c.id), `${action} from ${state} changed something`).to.deep.equal(before);
            refusals++;
          }
        }
        expect(refusals).to.be.greaterThan(25);
      });

      it('refuses actions without the permission (403), changing nothing', async () => {
        const c = await inState('investigating');
        const before = await snapshot(c.id);
        const tries: Array<[typeof counter, Action]> = [
          [counter, 'plan'],
          [counter, 'assess'],
          [counter, 'escalate'],
          [director, 'cancel'],
          [cashier, 'note'],
        ];
        for (const [who, action] of tries) {
          const res = await act(h, who, c, action, validBodies[action]);
          expect(res.status, `${who.roles[0]} ${action}`).to.equal(403);
          expect(res.body.error.code).to.equal('forbidden');
        }
        const create = await h.api('POST', '/api/complaints', { as: cashier, body: intakeBody(units.a) });
        expect(create.status).to.equal(403);
        expect(await snapshot(c.id)).to.deep.equal(before);
      });

      it('refuses missing required fields with field-level messages (400), changing nothing', async () => {
        const c = await inState('investigating');
        const before = await snapshot(c.id);
        const res = await act(h, supervisor, c, 'plan', { department: 'engineering' });
        expect(res.status).to.equal(400);
        expect(res.body.error.fields.map((f: { field: string }) => f.field)).to.include.members(['measures', 'deadline']);
        // Planning before the assessment names the missing classification.
        const unassessed = await act(h, supervisor, c, 'plan', planBody);
        expect(unassessed.status).to.equal(400);
        expect(unassessed.body.error.fields.map((f: { field: string }) => f.field)).to.have.members(['disputeType', 'nature', 'severity']);
        const badDepartment = await act(h, supervisor, c, 'start-investigation', { department: 'kitchen' });
        expect(badDepartment.status).to.equal(400); // input is checked before the state
        expect(badDepartment.body.error.fields[0]).to.include({ field: 'department' });
        const noVersion = await h.api('POST', `/api/complaints/${c.id}/transitions/note`, { as: supervisor, body: { note: 'x' } });
        expect(noVersion.status).to.equal(400);
        expect(noVersion.body.error.fields.map((f: { field: string }) => f.field)).to.include('version');
        const unknown = await act(h, supervisor, c, 'reopen', {});
        expect(unknown.status).to.equal(404);
        expect(await snapshot(c.id)).to.deep.equal(before);
      });

      it('refuses a change made from a stale version with 409 naming who changed it, in both locales', async () => {
        const c = await register(h, counter, intakeBody(units.a));
        await step(h, counter2, c, 'note', { note: '业主来电催问' });
        const before = await snapshot(c.id);
        const zh = await act(h, supervisor, c, 'start-investigation');
        expect(zh.status).to.equal(409);
        expect(zh.body.error.code).to.equal('stale_version');
        expect(zh.body.error.message).to.contain('前台小王').and.contain('2026-11-28 09:00');
        expect(zh.body.error.updatedBy).to.deep.equal({ id: counter2.id, name: counter2.name });
        expect(zh.body.error.currentVersion).to.equal(2);
        const en = await h.api('POST', `/api/complaints/${c.id}/transitions/start-investigation`, { as: supervisor, body: { version: 1 }, lang: 'en' });
        expect(en.status).to.equal(409);
        expect(en.body.error.message).to.match(/^This complaint was changed by 前台小王 at 2026-11-28 09:00/);
        expect(await snapshot(c.id)).to.deep.equal(before);
        await step(h, supervisor, { id: c.id, version: 2 }, 'start-investigation');
      });

      it('field-level 400 messages for a bad intake, in zh-CN by default and in en', async () => {
        const bad = intakeBody(units.a, { complainantPhone: '12345', channel: 'fax', description: '', colour: 'red' });
        const before = await h.db(h.ctx.tables.complaints).count({ n: '*' });
        const zh = await h.api('POST', '/api/complaints', { as: counter, body: bad });
        expect(zh.status).to.equal(400);
        expect(zh.body.error.code).to.equal('validation_failed');
        const zhFields = Object.fromEntries(zh.body.error.fields.map((f: { field: string; message: string }) => [f.field, f.message]));
        expect(Object.keys(zhFields)).to.include.members(['complainantPhone', 'channel', 'description', 'colour']);
        expect(zhFields.complainantPhone).to.contain('手机号');
        expect(zhFields.colour).to.contain('不允许');
        expect(zhFields.channel).to.match(/[\u4e00-\u9fff]/);
        const en = await h.api('POST', '/api/complaints?lang=en', { as: counter, body: bad });
        const enFields = Object.fromEntries(en.body.error.fields.map((f: { field: string; message: string }) => [f.field, f.message]));
        expect(enFields.complainantPhone).to.contain('mobile number');
        expect(enFields.colour).to.contain('not allowed');
        expect(en.body.error.message).to.match(/invalid/i);
        const unknownUnit = await h.api('POST', '/api/complaints', { as: counter, body: intakeBody('999999'), lang: 'en' });
        expect(unknownUnit.status).to.equal(400);
        expect(unknownUnit.body.error.fields).to.deep.equal([{ field: 'unitId', message: 'No such unit, or it is outside your communities' }]);
        const badCategory = await h.api('POST', '/api/complaints', { as: counter, body: intakeBody(units.a, { category: 'weather' }) });
        expect(badCategory.body.error.fields[0]).to.include({ field: 'category' });
        const badQuery = await h.api('GET', '/api/complaints?limit=0&state=open&lang=en', { as: counter });
        expect(badQuery.status).to.equal(400);
        expect(badQuery.body.error.fields.map((f: { field: string }) => f.field)).to.include.members(['limit', 'state.0']);
        expect(await h.db(h.ctx.tables.complaints).count({ n: '*' })).to.deep.equal(before);
      });

      it('answers 401 without a signed-in person', async () => {
        const res = await h.api('GET', '/api/complaints');
        expect(res.status).to.equal(401);
        const forged = await h.api('GET', '/api/complaints', { headers: { 'x-complaints-user': 'abc.def' } });
        expect(forged.status).to.equal(401);
      });

      it('makes one complaint per idempotency key, even for simultaneous double submits', async () => {
        const body = intakeBody(units.b, { description: '楼道灯坏了' });
        const first = await h.api('POST', '/api/complaints', { as: counter, body, headers: { 'Idempotency-Key': 'form-001' } });
        expect(first.status).to.equal(201);
        const again = await h.api('POST', '/api/complaints', { as: counter, body, headers: { 'Idempotency-Key': 'form-001' } });
        expect(again.status).to.equal(200);
        expect(again.headers.get('idempotent-replayed')).to.equal('true');
        expect(again.body.complaint.id).to.equal(first.body.complaint.id);

        const burst = await Promise.all(
          Array.from({ length: 6 }, () => h.api('POST', '/api/complaints', { as: counter, body: { ...body, idempotencyKey: 'form-002' } })),
        );
        expect(burst.map((r) => r.status).sort()).to.deep.equal([200, 200, 200, 200, 200, 201]);
        expect(new Set(burst.map((r) => r.body.complaint.id)).size).to.equal(1);
        const made = await h.db(h.ctx.tables.complaints).where({ idempotency_key: 'form-002' });
        expect(made).to.have.length(1);

        const reused = await h.api('POST', '/api/complaints', {
          as: counter,
          body: { ...body, description: '别的事' },
          headers: { 'Idempotency-Key': 'form-001' },
        });
        expect(reused.status).to.equal(409);
        expect(reused.body.error.code).to.equal('idempotency_key_reused');
        // Keys belong to the person: another clerk's form-001 is another complaint.
        const other = await h.api('POST', '/api/complaints', { as: counter2, body, headers: { 'Idempotency-Key': 'form-001' } });
        expect(other.status).to.equal(201);
      });

      it('stores and returns Chinese text and characters outside the BMP unchanged', async () => {
        const text = '业主欧阳𠀀反映：电梯又坏了😀，𠮷野家门口积水 — “尽快处理”';
        const c = await register(h, counter, intakeBody(units.a, { complainantName: '欧阳𠀀', description: text, expectation: '修好😀' }));
        expect(c).to.include({ complainantName: '欧阳𠀀', description: text, expectation: '修好😀' });
        const read = await h.api('GET', `/api/complaints/${c.id}`, { as: counter });
        expect(read.body.complaint).to.include({ complainantName: '欧阳𠀀', description: text, expectation: '修好😀' });
        const row = await h.db(h.ctx.tables.complaints).where({ id: c.id }).first();
        expect(row.description).to.equal(text);
        const noted = await step(h, supervisor, c, 'note', { note: '已致电𠀀先生😀' });
        const events = await h.api('GET', `/api/complaints/${noted.id}/events`, { as: counter });
        expect(events.body.events.at(-1).note).to.equal('已致电𠀀先生😀');
        const found = await h.api('GET', `/api/complaints?q=${encodeURIComponent('积水')}`, { as: counter });
        expect(found.body.items.map((i: Complaint) => i.id)).to.include(c.id);
        // maxLength counts characters, so 50 characters outside the BMP are a valid name.
        const longName = '𠀀'.repeat(50);
        const ok = await register(h, counter, intakeBody(units.a, { complainantName: longName }));
        expect(ok.complainantName).to.equal(longName);
      });

      it('shows and changes only complaints of the communities a person may see', async () => {
        const c = await register(h, counter, intakeBody(units.a, { description: '小区A的投诉' }));
        const outsider = person('supervisor', 'sup-other', '别的小区主管', [units.communityOther]);
        const insider = person('supervisor', 'sup-a', '本小区主管', [units.communityA]);
        const before = await snapshot(c.id);
        expect((await h.api('GET', `/api/complaints/${c.id}`, { as: outsider })).status).to.equal(404);
        expect((await h.api('GET', `/api/complaints/${c.id}/events`, { as: outsider })).status).to.equal(404);
        const change = await act(h, outsider, c, 'start-investigation');
        expect(change.status).to.equal(404);
        expect(change.body.error.code).to.equal('not_found');
        const list = await h.api('GET', '/api/complaints?limit=100', { as: outsider });
        expect(list.body.items.map((i: Complaint) => i.communityId)).to.not.include(units.communityA);
        const create = await h.api('POST', '/api/complaints', { as: outsider, body: intakeBody(units.a) });
        expect(create.status).to.equal(400);
        expect(await snapshot(c.id)).to.deep.equal(before);

        expect((await h.api('GET', `/api/complaints/${c.id}`, { as: insider })).status).to.equal(200);
        const mine = await h.api('GET', `/api/complaints?communityId=${units.communityA}&limit=100`, { as: insider });
        expect(mine.body.items.map((i: Complaint) => i.id)).to.include(c.id);
        await step(h, insider, c, 'start-investigation');
      });

      it('lists with filters, stable keyset pages and a total', async () => {
        h.clock.advance(24 * 3600 * 1000);
        const made: number[] = [];
        for (let i = 0; i < 7; i++) {
          h.clock.advance(60 * 1000);
          made.push((await register(h, counter, intakeBody(units.b, { category: 'pets', description: `宠物扰民 ${i}` }))).id);
        }
        const seen: number[] = [];
        let cursor: string | null = null;
        let total = -1;
        do {
          const page: { status: number; body: { items: Complaint[]; nextCursor: string | null; total: number } } = await h.api(
            'GET',
            `/api/complaints?unitId=${units.b}&category=pets&receivedFrom=2026-11-29&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
            { as: counter },
          );
          expect(page.status, JSON.stringify(page.body)).to.equal(200);
          seen.push(...page.body.items.map((i) => i.id));
          total = page.body.total;
          cursor = page.body.nextCursor;
        } while (cursor);
        expect(total).to.equal(7);
        expect(seen).to.deep.equal([...made].reverse());
        const ascending = await h.api('GET', `/api/complaints?unitId=${units.b}&category=pets&receivedFrom=2026-11-29&sort=receivedAt&limit=2&offset=2`, {
          as: counter,
        });
        expect(ascending.body.items.map((i: Complaint) => i.id)).to.deep.equal(made.slice(2, 4));
        // Overdue: past the reply promise (48 h by default) without an answer.
        h.clock.advance(49 * 3600 * 1000);
        const overdue = await h.api('GET', `/api/complaints?overdue=true&unitId=${units.b}&category=pets&state=received`, { as: counter });
        expect(overdue.body.items).to.have.length(7);
        const urgent = await h.api('GET', `/api/complaints?sort=dueAt&unitId=${units.b}&limit=100`, { as: counter });
        expect(urgent.body.items.length).to.be.greaterThan(6);
        expect(urgent.body.items.every((i: Complaint) => i.dueAt !== null)).to.equal(true);
        const dues = urgent.body.items.map((i: Complaint) => i.dueAt);
        expect(dues).to.deep.equal([...dues].sort());
        const closedByDeadline = await h.api('GET', `/api/complaints?sort=dueAt&state=closed`, { as: counter });
        expect(closedByDeadline.body).to.include({ total: 0 });
        const byCode = await h.api('GET', `/api/complaints?q=${(await h.db(h.ctx.tables.complaints).where({ id: made[0] }).first()).code}`, { as: counter });
        expect(byCode.body.items.map((i: Complaint) => i.id)).to.deep.equal([made[0]]);
        // Host-id columns may be utf8mb3: an id outside the BMP matches nothing rather than failing.
        for (const filter of ['unitId', 'ownerId', 'communityId']) {
          const astral = await h.api('GET', `/api/complaints?${filter}=${encodeURIComponent('1😀')}`, { as: counter });
          expect(astral.status, filter).to.equal(200);
          expect(astral.body.items).to.deep.equal([]);
        }
        const astralScope = await h.api('GET', '/api/complaints', { as: person('supervisor', 'x', 'x', ['😀', units.communityA]) });
        expect(astralScope.status).to.equal(200);
        const mismatched = await h.api('GET', `/api/complaints?sort=dueAt&cursor=${cursorFor(h)}`, { as: counter });
        expect(mismatched.status).to.equal(400);
      });

      it('pages one community in several states newest first, by cursor and by offset, in one order', async () => {
        h.clock.advance(30 * 24 * 3600 * 1000);
        const from = h.clock.now().toISOString().slice(0, 10);
        const made: Complaint[] = [];
        for (let i = 0; i < 7; i++) {
          h.clock.advance(60 * 1000);
          made.push(await register(h, counter, intakeBody(i % 2 ? units.a : units.b, { category: 'cleaning_greening', description: `楼道卫生 ${i}` })));
        }
        // Three states among them, interleaved in time; one more state that the filter leaves out.
        for (const i of [1, 4, 5]) made[i] = await step(h, supervisor, made[i]!, 'start-investigation');
        made[6] = await step(h, supervisor, made[6]!, 'cancel', { cancelKind: 'duplicate', reason: '重复登记' });
        const wanted = made.filter((c) => c.state !== 'cancelled');
        const community = wanted[0]!.communityId!;
        const filter = `communityId=${community}&state=received&state=investigating&receivedFrom=${from}`;
        for (const [sort, expected] of [
          ['-receivedAt', [...wanted].reverse()],
          ['receivedAt', wanted],
        ] as const) {
          const seen: number[] = [];
          let cursor: string | null = null;
          do {
            const page: ApiResponse = await h.api('GET', `/api/complaints?${filter}&sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { as: counter });
            expect(page.status, JSON.stringify(page.body)).to.equal(200);
            seen.push(...page.body.items.map((i: Complaint) => i.id));
            cursor = page.body.nextCursor;
          } while (cursor);
          expect(seen, sort).to.deep.equal(expected.map((c) => c.id));
          const byOffset = await h.api('GET', `/api/complaints?${filter}&sort=${sort}&limit=2&offset=3`, { as: counter });
          expect(
            byOffset.body.items.map((i: Complaint) => i.id),
            sort,
          ).to.deep.equal(expected.slice(3, 5).map((c) => c.id));
          expect(byOffset.body.total).to.equal(6);
          expect(byOffset.body.items[0]).to.have.property('description');
        }
      });
    });
  }
}

function cursorFor(_h: PluginHarness): string {
  return Buffer.from(JSON.stringify(['-receivedAt', null, 1])).toString('base64url');
}
