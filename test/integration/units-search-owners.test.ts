// The unit search by a phone's last four digits, in the searcher's communities, when more than a page
// of owners elsewhere match the same digits: owners are paged in key order until units in the
// searcher's communities are found (it used to look at the first 200 matching owners only).
import { expect } from 'chai';
import { HostGateway } from '../../src/host/gateway.js';
import { validateMapping } from '../../src/host/mapping.js';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds, type TestDatabase } from '../support/databases.js';

for (const kind of databaseKinds) {
  describe(`unit search: last four digits behind many owners elsewhere (${kind.kind})`, function () {
    this.timeout(60_000);
    let t: TestDatabase;
    let host: HostGateway;
    before(async () => {
      t = await kind.create();
      await simpleHost.create(t.db);
      // 450 owners in community 2 whose numbers end in 7777, then one in community 1 (the highest id).
      const owners = Array.from({ length: 450 }, (_, i) => ({ id: 1000 + i, name: `业主${i}`, mobile: `137${String(i).padStart(4, '0')}7777`, deleted: 0 }));
      owners.push({ id: 5000, name: '赵敏', mobile: '13912347777', deleted: 0 });
      for (let i = 0; i < owners.length; i += 100) await t.db('owners').insert(owners.slice(i, i + 100));
      const units = owners.map((o) => ({ id: o.id, community_id: o.id === 5000 ? 1 : 2, room_no: `R-${o.id}`, owner_id: o.id, is_deleted: 0 }));
      for (let i = 0; i < units.length; i += 100) await t.db('units').insert(units.slice(i, i + 100));
      host = new HostGateway(t.db, validateMapping(simpleHost.mapping));
    });
    after(async () => t?.drop());

    it("finds the community's unit by the last four digits and by the full number", async () => {
      expect((await host.searchUnits('7777', { communityIds: ['1'], limit: 20 })).map((u) => u.id)).to.deep.equal(['5000']);
      expect((await host.searchUnits('13912347777', { communityIds: ['1'], limit: 20 })).map((u) => u.id)).to.deep.equal(['5000']);
      // Everywhere: a page of units, the searcher told to type more by the caller's limit.
      expect(await host.searchUnits('7777', { communityIds: null, limit: 20 })).to.have.length(20);
      expect(await host.searchUnits('7777', { communityIds: ['2'], limit: 5 })).to.have.length(5);
    });
  });
}
