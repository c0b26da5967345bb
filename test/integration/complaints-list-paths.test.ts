// The complaint list's read paths on a table past the count cap, on both databases: a community's closed
// complaints walked on the community-date index (page 1, keyset cursor, deep offset), the state-branch and
// plain paths for other shapes, and the total an offset page tells without counting. Every page is checked
// against the same rows sorted here from a plain read of the table.
import { expect } from 'chai';
import { databaseKinds } from '../support/databases.js';
import { dropIndexIfPresent } from '../../src/db/schema.js';
import { simpleHost } from '../fixtures/hosts.js';
import { people, startPluginHarness, type PluginHarness } from '../support/pluginHarness.js';
import { intakeBody, register } from '../support/complaintData.js';
import { listComplaintRows, listComplaints, TOTAL_CAP, WALK_FROM_OFFSET, totalFromOffsetPage } from '../../src/complaints/store/listing.js';
import { JOB_FIELDS, JOB_ROWS, SUMMARY_FIELDS, SUMMARY_ROWS, type ComplaintSummary } from '../../src/complaints/store/complaints.js';
import { namedIndexes } from '../../src/db/tables.js';
import { validateList } from '../../src/complaints/schemas.js';
import type { ListQuery } from '../../src/complaints/types.js';

const { counter, supervisor } = people;
const STATES = ['closed', 'closed_unsatisfied', 'closed', 'cancelled', 'resolved', 'closed', 'received', 'closed'];
const CATEGORIES = ['facilities', 'pets', 'parking'];
/** Community 1 gets more closed complaints than the count cap; community 2 a short list. */
const IN_ONE = TOTAL_CAP * 2;
const IN_TWO = 45;

interface Seeded {
  id: number;
  state: string;
  community: string | null;
  category: string;
  receivedAt: string;
}

for (const kind of databaseKinds) {
  describe(`complaint list read paths past the count cap (${kind.kind})`, function () {
    this.timeout(120_000);
    let h: PluginHarness;
    let rows: Seeded[] = [];
    const sent: string[] = [];

    before(async () => {
      h = await startPluginHarness(kind, simpleHost);
      const first = await register(h, counter, intakeBody('101'));
      const { id: _id, ...template } = (await h.db(h.ctx.tables.complaints).where({ id: first.id }).first()) as Record<string, unknown>;
      const copies: Array<Record<string, unknown>> = [];
      for (let i = 0; i < IN_ONE + IN_TWO + 20; i++) {
        const community = i < IN_ONE ? 1 : i < IN_ONE + IN_TWO ? 2 : null;
        // Every third date is shared by three complaints, so ties are ordered by id.
        const minute = Math.floor(i / 3) * 3;
        const at = new Date(Date.UTC(2026, 0, 1) + ((minute * 7919) % 100_000) * 60_000);
        copies.push({
          ...template,
          code: `TS-LIST-${String(i).padStart(5, '0')}`,
          idempotency_key: `list-${i}`,
          state: STATES[i % STATES.length],
          community_id: community,
          category: CATEGORIES[i % CATEGORIES.length],
          received_at: at.toISOString().replace('T', ' ').replace('Z', ''),
        });
      }
      for (let i = 0; i < copies.length; i += 100) await h.db(h.ctx.tables.complaints).insert(copies.slice(i, i + 100));
      await h.db(h.ctx.tables.complaints).where({ id: first.id }).delete();
      rows = ((await h.db(h.ctx.tables.complaints).select('id', 'state', 'community_id', 'category', 'received_at')) as Array<Record<string, unknown>>).map(
        (r) => ({
          id: Number(r.id),
          state: String(r.state),
          community: r.community_id === null ? null : String(r.community_id),
          category: String(r.category),
          receivedAt: String(r.received_at),
        }),
      );
      h.db.on('query', (q: { sql: string }) => sent.push(q.sql));
    });
    after(async () => h?.close());

    /** The expected order, worked out here: newest first, ties by id. */
    function expected(match: (r: Seeded) => boolean, newestFirst = true): number[] {
      const sorted = rows.filter(match).sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : a.receivedAt > b.receivedAt ? 1 : a.id - b.id));
      return (newestFirst ? sorted.reverse() : sorted).map((r) => r.id);
    }

    async function list(query: Record<string, unknown>) {
      sent.length = 0;
      const result = await listComplaints(h.db, h.ctx.tables, supervisor, validateList(query) as ListQuery, h.clock.now(), 'Asia/Shanghai');
      return { ...result, ids: result.items.map((c) => c.id), statements: [...sent] };
    }

    const closedOfOne = { state: ['closed', 'closed_unsatisfied'], communityId: '1', sort: '-receivedAt' };
    const isClosedOfOne = (r: Seeded) => r.community === '1' && ['closed', 'closed_unsatisfied'].includes(r.state);

    it('reads page 1 of a community’s closed complaints by state branches, with a capped count', async () => {
      const all = expected(isClosedOfOne);
      expect(all.length).to.be.greaterThan(TOTAL_CAP);
      const page = await list({ ...closedOfOne, limit: 20 });
      expect(page.ids).to.deep.equal(all.slice(0, 20));
      expect(page).to.include({ total: TOTAL_CAP, totalCapped: true });
      expect(page.statements.some((s) => s.includes(namedIndexes(h.ctx.tables).communityDates))).to.equal(false);
      // Just before and at the offset where the walk takes over: the same rows either way.
      for (const offset of [WALK_FROM_OFFSET - 1, WALK_FROM_OFFSET]) {
        const near = await list({ ...closedOfOne, limit: 20, offset });
        expect(near.ids, `offset ${offset}`).to.deep.equal(all.slice(offset, offset + 20));
        expect(near.statements.some((s) => s.includes(namedIndexes(h.ctx.tables).communityDates))).to.equal(offset >= WALK_FROM_OFFSET);
      }
    });

    it('pages the whole walk by cursor in the same order as a plain sort, and ends with no cursor', async () => {
      const all = expected(isClosedOfOne);
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const page = await list({ ...closedOfOne, limit: 100, ...(cursor ? { cursor } : {}) });
        expect(page).to.include({ total: TOTAL_CAP, totalCapped: true });
        seen.push(...page.ids);
        cursor = page.nextCursor;
      } while (cursor && seen.length <= all.length);
      expect(seen).to.deep.equal(all);
    });

    it('walks the community-date index at a deep offset, without counting: the page proves there are more than the cap', async () => {
      const all = expected(isClosedOfOne);
      const page = await list({ ...closedOfOne, limit: 20, offset: TOTAL_CAP + 10 });
      expect(page.ids).to.deep.equal(all.slice(TOTAL_CAP + 10, TOTAL_CAP + 30));
      expect(page).to.include({ total: TOTAL_CAP, totalCapped: true });
      expect(page.statements).to.have.length(1);
      expect(page.statements[0]).to.include(namedIndexes(h.ctx.tables).communityDates);
      // Past the end: nothing to prove a total with, so it is counted (a filter not counted before).
      const fresh = { ...closedOfOne, receivedFrom: '2020-01-01' };
      const beyond = await list({ ...fresh, limit: 20, offset: all.length + 5 });
      expect(beyond.ids).to.deep.equal([]);
      expect(beyond).to.include({ total: TOTAL_CAP, totalCapped: true });
      expect(beyond.statements).to.have.length(2);
    });

    it('remembers a count past the cap (not an exact one) for the same query', async () => {
      const fresh = { ...closedOfOne, receivedFrom: '2021-01-01', limit: 20 };
      const first = await list(fresh);
      expect(first.statements).to.have.length(2);
      const again = await list(fresh);
      expect(again.statements).to.have.length(1);
      expect(again).to.include({ total: TOTAL_CAP, totalCapped: true });
      expect(again.ids).to.deep.equal(first.ids);
      // Another actor scope is another query: counted for itself.
      sent.length = 0;
      const scoped = await listComplaints(
        h.db,
        h.ctx.tables,
        { ...supervisor, communityIds: ['1'] },
        validateList(fresh) as ListQuery,
        h.clock.now(),
        'Asia/Shanghai',
      );
      expect(scoped).to.include({ total: TOTAL_CAP, totalCapped: true });
      expect(sent).to.have.length(2);
      // An exact total is counted every time.
      const short = { state: ['closed', 'closed_unsatisfied', 'cancelled'], communityId: '2', sort: '-receivedAt', limit: 5 };
      expect((await list(short)).statements).to.have.length(2);
      expect((await list(short)).statements).to.have.length(2);
    });

    it('tells the exact total from a last page reached by offset, without counting', async () => {
      const two = expected((r) => r.community === '2' && ['closed', 'closed_unsatisfied', 'cancelled'].includes(r.state));
      expect(two.length).to.be.within(10, 40);
      const page = await list({ state: ['closed', 'closed_unsatisfied', 'cancelled'], communityId: '2', sort: '-receivedAt', limit: 40, offset: 10 });
      expect(page.ids).to.deep.equal(two.slice(10));
      expect(page).to.include({ total: two.length, totalCapped: false, nextCursor: null });
      expect(page.statements).to.have.length(1);
      // Page 1 of the same list counts beside the page, and agrees.
      const first = await list({ state: ['closed', 'closed_unsatisfied', 'cancelled'], communityId: '2', sort: '-receivedAt', limit: 5 });
      expect(first).to.include({ total: two.length, totalCapped: false });
      expect(first.ids).to.deep.equal(two.slice(0, 5));
    });

    it('keeps the other shapes on their own paths, same rows in the same order', async () => {
      // Open states of a community: one index range per state, merged.
      const open = await list({ state: ['received', 'resolved'], communityId: '1', sort: '-receivedAt', limit: 30, offset: 7 });
      expect(open.ids).to.deep.equal(expected((r) => r.community === '1' && ['received', 'resolved'].includes(r.state)).slice(7, 37));
      expect(open.statements.some((s) => s.includes(namedIndexes(h.ctx.tables).communityDates))).to.equal(false);
      // Another filter beside the closed states: the database picks its plan; oldest first.
      const pets = await list({ ...closedOfOne, category: ['pets'], sort: 'receivedAt', limit: 25, offset: 40 });
      expect(pets.ids).to.deep.equal(expected((r) => isClosedOfOne(r) && r.category === 'pets', false).slice(40, 65));
      expect(pets.statements.some((s) => s.includes(namedIndexes(h.ctx.tables).communityDates))).to.equal(false);
      // Every community (and none), closed: the plain sorted read.
      const everywhere = await list({ state: ['closed'], sort: '-receivedAt', limit: 50, offset: 1100 });
      expect(everywhere.ids).to.deep.equal(expected((r) => r.state === 'closed').slice(1100, 1150));
    });

    it('answers the JSON API with the capped total at a deep offset', async () => {
      const res = await h.api('GET', `/api/complaints?state=closed&state=closed_unsatisfied&communityId=1&sort=-receivedAt&offset=${TOTAL_CAP + 50}`, {
        as: supervisor,
      });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ total: TOTAL_CAP, totalCapped: true });
      expect(res.body.items.map((c: { id: number }) => c.id)).to.deep.equal(expected(isClosedOfOne).slice(TOTAL_CAP + 50, TOTAL_CAP + 70));
    });

    // Last: it drops the index the walk names.
    for (const [what, shape, fields] of [
      ['list rows (the pages’ lists)', SUMMARY_ROWS, SUMMARY_FIELDS],
      ['jobs (the workbench, my work)', JOB_ROWS, JOB_FIELDS],
    ] as const) {
      it(`reads ${what} on every path: the whole rows’ fields, total and cursor, from those columns only`, async () => {
        const shapes: Array<Record<string, unknown>> = [
          { ...closedOfOne, limit: 20 }, // state branches
          { ...closedOfOne, limit: 20, offset: TOTAL_CAP + 10 }, // the community-date walk
          { ...closedOfOne, limit: 20, offset: WALK_FROM_OFFSET - 1 },
          { communityId: '2', sort: 'receivedAt', limit: 20 }, // the plain read
          { state: ['received'], sort: 'dueAt', limit: 5 },
        ];
        const first = await list({ ...closedOfOne, limit: 20 });
        shapes.push({ ...closedOfOne, limit: 20, cursor: first.nextCursor });
        for (const query of shapes) {
          const whole = await listComplaints(h.db, h.ctx.tables, supervisor, validateList(query) as ListQuery, h.clock.now(), 'Asia/Shanghai');
          sent.length = 0;
          const rows = await listComplaintRows<ComplaintSummary>(
            h.db,
            h.ctx.tables,
            supervisor,
            validateList(query) as ListQuery,
            h.clock.now(),
            'Asia/Shanghai',
            shape,
          );
          const label = JSON.stringify(query);
          expect(rows.items.length, label).to.be.greaterThan(0);
          expect(rows.items, label).to.deep.equal(whole.items.map((c) => Object.fromEntries(fields.map((f) => [f, c[f]]))));
          expect({ ...rows, items: [] }, label).to.deep.equal({ ...whole, items: [] });
          // The selected columns are named, and none is TEXT; SELECT * appears only over the id-only branches.
          const pageSql = sent.filter((sql) => !/count\(\*\)/i.test(sql));
          expect(pageSql.length, label).to.be.greaterThan(0);
          for (const sql of pageSql) {
            expect(sql, label)
              .to.include('complainant_phone')
              .and.not.match(/description|findings|plan_measures|resolution_reply|`c`\.\*/);
          }
        }
      });
    }

    it('answers a deep page with the same rows when a DBA has dropped the community-date index', async () => {
      const index = namedIndexes(h.ctx.tables).communityDates;
      expect(await dropIndexIfPresent(h.db, h.ctx.tables.complaints, index)).to.equal(true);
      const page = await list({ ...closedOfOne, limit: 20, offset: TOTAL_CAP + 10 });
      expect(page.ids).to.deep.equal(expected(isClosedOfOne).slice(TOTAL_CAP + 10, TOTAL_CAP + 30));
      expect(page.statements[0], 'the walk was tried first').to.include(index);
    });
  });
}

describe('the total an offset page tells by itself', () => {
  it('is exact on a last page, proven past the cap on a full one, unknown otherwise', () => {
    expect(totalFromOffsetPage(0, 0, 20)).to.equal(0);
    expect(totalFromOffsetPage(40, 7, 20)).to.equal(47);
    expect(totalFromOffsetPage(40, 0, 20)).to.equal(null);
    expect(totalFromOffsetPage(0, 21, 20)).to.equal(null);
    expect(totalFromOffsetPage(TOTAL_CAP - 21, 21, 20)).to.equal(null);
    expect(totalFromOffsetPage(TOTAL_CAP - 20, 21, 20)).to.equal(TOTAL_CAP + 1);
  });
});
