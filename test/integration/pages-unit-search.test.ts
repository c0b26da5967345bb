// Unit search on the intake and cashier pages over the demo ERP (issue 16 item 5): the count of every
// match, not of the first page; pages of 20 with links; a hint to type more; typing more narrows.
import { expect } from 'chai';
import { databaseKinds } from '../support/databases.js';
import { staff, startPageHarness, unescapeHtml, type PageClient, type PageHarness } from '../support/pageHarness.js';
import { createDemoErp } from '../../src/demo/demoErp.js';
import { loadMappingFile } from '../../src/host/mapping.js';
import { DEMO_MAPPING_FILE } from '../../src/cli/commands/demo.js';
import type { HostFixture } from '../fixtures/hosts.js';

const NOW = new Date('2026-11-28T01:00:00.000Z');
const demoFixture: HostFixture = {
  name: 'demoErp',
  mapping: loadMappingFile(DEMO_MAPPING_FILE),
  tables: [],
  async create(db) {
    await createDemoErp(db, NOW);
  },
};

const itemsOf = (html: string) => [...html.matchAll(/<li><span>([^<]+)<\/span>/g)].map((m) => unescapeHtml(m[1]!).split(' · ')[0]);

for (const kind of databaseKinds) {
  describe(`pages: unit search pages its results (${kind.kind})`, function () {
    this.timeout(120_000);
    let h: PageHarness;
    let counter: PageClient;
    let cashier: PageClient;
    let community = '';
    let rooms = 0;
    before(async () => {
      h = await startPageHarness(kind, demoFixture, { now: NOW.toISOString() });
      counter = h.client();
      await counter.signIn(staff.counter);
      cashier = h.client();
      await cashier.signIn(staff.cashier);
      community = ((await h.db('erp_community').orderBy('community_id').first()) as { community_name: string }).community_name;
      const n = await h.db('erp_room').where('room_label', 'like', `${community}%`).andWhere({ is_deleted: 0 }).count({ n: '*' });
      rooms = Number((n as Array<{ n: number }>)[0]!.n);
    });
    after(async () => h?.close());

    it('counts every matching unit and pages them 20 at a time, each page different', async () => {
      expect(rooms).to.be.greaterThan(40).and.at.most(200);
      const first = await counter.get(`/new?q=${encodeURIComponent(community)}`);
      expect(first.status).to.equal(200);
      const pages = Math.ceil(rooms / 20);
      expect(unescapeHtml(first.text)).to.include(`找到 ${rooms} 套房屋（第 1/${pages} 页）`).and.include('输入更多字');
      const one = itemsOf(first.text);
      expect(one).to.have.length(20);
      expect(unescapeHtml(first.text)).to.include(`page=2" rel="next"`);
      const second = await counter.get(`/new?q=${encodeURIComponent(community)}&page=2`);
      expect(unescapeHtml(second.text)).to.include(`（第 2/${pages} 页）`);
      const two = itemsOf(second.text);
      expect(two).to.have.length(20);
      expect(two.filter((label) => one.includes(label))).to.deep.equal([]);
      const last = await counter.get(`/new?q=${encodeURIComponent(community)}&page=${pages}`);
      expect(itemsOf(last.text)).to.have.length(rooms - 20 * (pages - 1));
      // A page past the end shows the last one rather than nothing.
      expect(unescapeHtml((await counter.get(`/new?q=${encodeURIComponent(community)}&page=999`)).text)).to.include(`（第 ${pages}/${pages} 页）`);
    });

    it('narrows as more is typed, and the script gets the count too', async () => {
      const narrower = await counter.get(`/new?q=${encodeURIComponent(`${community}1栋`)}`);
      const m = /找到 (\d+) 套房屋/.exec(unescapeHtml(narrower.text));
      expect(Number(m![1])).to.be.greaterThan(0).and.lessThan(rooms);
      const json = JSON.parse((await counter.get(`/units.json?q=${encodeURIComponent(community)}`)).text) as { units: unknown[]; total: number; more: boolean };
      expect(json).to.include({ total: rooms, more: true });
      expect(json.units).to.have.length(20);
    });

    it('pages the cashier search the same way', async () => {
      const res = await cashier.get(`/cashier?q=${encodeURIComponent(community)}`);
      expect(unescapeHtml(res.text)).to.include(`找到 ${rooms} 套房屋`);
      expect(unescapeHtml(res.text)).to.include(`/cashier?q=${encodeURIComponent(community)}&page=2`);
    });
  });
}
