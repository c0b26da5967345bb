// Two host-layer cases on both databases: a soft-deleted bill (outside the mapping's live-row filter) is
// answered exactly like a bill that does not exist, while a live bill outside the filter's scope is still
// `bill_not_mapped`; and the owner search (a name, the last four digits of a mobile) finds a unit however
// many owners of other communities match too, because the community restriction is applied in SQL.
import { expect } from 'chai';
import { databaseKinds } from '../support/databases.js';
import { approvedOffset, assessedComplaint, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';
import { jeecgHost, ruoyiHost } from '../fixtures/erpHosts.js';
import { simpleHost } from '../fixtures/hosts.js';
import { HostGateway } from '../../src/host/gateway.js';
import { isSoftDeleteColumn, splitWhere, validateMapping } from '../../src/host/mapping.js';

describe('soft-delete columns by name', function () {
  it('knows the usual soft-delete columns and leaves scope columns alone', () => {
    for (const c of ['del_flag', 'is_delete', 'is_deleted', 'deleted', 'delete_flag', 'is_del', 'deleted_at', 'delete_time', 'isDeleted', 'dr'])
      expect(isSoftDeleteColumn(c), c).to.equal(true);
    for (const c of ['fee_type', 'bill_status', 'status', 'state', 'delivery', 'model', 'address']) expect(isSoftDeleteColumn(c), c).to.equal(false);
    expect(splitWhere({ del_flag: '0', fee_type: ['1'], bill_status: { not: ['9'] } })).to.deep.equal({
      live: { del_flag: '0' },
      scope: { fee_type: ['1'], bill_status: { not: ['9'] } },
    });
  });
});

for (const kind of databaseKinds) {
  describe(`a soft-deleted bill answers like a missing one (${kind.kind})`, function () {
    let h: OffsetHarness;
    let offsetId: number;
    before(async () => {
      h = await startOffsetHarness(kind, ruoyiHost);
      // A property-fee bill of the walk's unit, deleted by the host (RuoYi: del_flag '2').
      await h.db('wy_fee_bill').insert({
        bill_id: 90009,
        house_id: 30001,
        fee_type: '1',
        bill_year: 2026,
        bill_month: 12,
        receivable: '368.50',
        received: '0.00',
        bill_status: '0',
        del_flag: '2',
      });
      const complaint = await assessedComplaint(h, ruoyiHost.walk.unit);
      offsetId = (await approvedOffset(h, complaint.id, '100')).id;
    });
    after(async () => h?.close());

    const check = (billId: string) => h.billing('POST', '/api/billing/check', { billId, offsets: [{ offsetId, amountFen: 100 }] });

    it('the billing check answers the soft-deleted bill as it answers an unknown bill, and collection goes on', async () => {
      const deleted = await check('90009');
      const unknown = await check('424242');
      expect(deleted.status).to.equal(unknown.status);
      expect(deleted.body).to.include({ found: false, collectible: true, allAllowed: false });
      expect(deleted.body.offsets[0].code).to.equal('bill_not_found');
      const withoutId = (body: Record<string, unknown>) => JSON.parse(JSON.stringify(body).replaceAll('90009', 'X').replaceAll('424242', 'X'));
      expect(withoutId(deleted.body)).to.deep.equal(withoutId(unknown.body));
      // A live water bill (outside the filter's scope, not its live-row part) still says so.
      const water = await check(ruoyiHost.walk.unmappedBill);
      expect(water.body.offsets[0].code).to.equal('bill_not_mapped');
      expect(water.body.collectible).to.equal(true);
    });

    it('apply refuses the soft-deleted bill with bill_not_found (404) and changes nothing', async () => {
      const apply = await h.billing('POST', '/api/billing/apply', { offsetId, billId: '90009', amountFen: 100, idempotencyKey: 'DEL-1' });
      expect(apply.status).to.equal(404);
      expect(apply.body.error.code).to.equal('bill_not_found');
      const gateway = new HostGateway(h.db, validateMapping(ruoyiHost.mapping));
      expect([...(await gateway.billsOutsideMapping(['90009', '90005', '90003', '424242']))]).to.deep.equal(['90005']);
    });
  });

  describe(`units found by the last four digits of a mobile on a large host (${kind.kind})`, function () {
    let t: Awaited<ReturnType<typeof kind.create>>;
    before(async () => {
      t = await kind.create();
      await simpleHost.create(t.db);
      await jeecgHost.create(t.db);
      // 250 owners of community 2 (翠湖苑) whose mobiles end in 4321, ahead in key order of the one owner
      // of community 1 (阳光花园) whose mobile ends the same way.
      const many = Array.from({ length: 250 }, (_, i) => ({ id: 1000 + i, name: `业主${i}`, mobile: '13500004321', deleted: 0 }));
      for (let i = 0; i < many.length; i += 50) await t.db('owners').insert(many.slice(i, i + 50));
      await t.db('owners').insert({ id: 9999, name: '孙丽', mobile: '13812344321', deleted: 0 });
      const units = many.map((o, i) => ({ id: 5000 + i, community_id: 2, room_no: `9-${i}`, owner_id: o.id, is_deleted: 0 }));
      for (let i = 0; i < units.length; i += 50) await t.db('units').insert(units.slice(i, i + 50));
      await t.db('units').insert({ id: 9001, community_id: 1, room_no: '8-801', owner_id: 9999, is_deleted: 0 });
      // jeecgHost: the same through its owner–house relation table, a tenant's relation left out.
      const jOwners = Array.from({ length: 220 }, (_, i) => ({
        id: `o${String(i).padStart(4, '0')}`,
        realname: `住户${i}`,
        mobile: `1360000${i % 10}4321`,
        del_flag: 0,
      }));
      for (let i = 0; i < jOwners.length; i += 50) await t.db('biz_owner').insert(jOwners.slice(i, i + 50));
      await t.db('biz_owner').insert({ id: 'z-last', realname: '钱多多', mobile: '13999994321', del_flag: 0 });
      await t.db('biz_estate').insert({ id: 'E2', estate_name: '江南府', del_flag: 0 });
      const jHouses = jOwners.map((o, i) => ({
        id: `h${String(i).padStart(4, '0')}`,
        estate_id: '1590000000000000001',
        building_no: '9',
        unit_no: '1',
        house_no: String(i),
        del_flag: 0,
      }));
      for (let i = 0; i < jHouses.length; i += 50) await t.db('biz_house').insert(jHouses.slice(i, i + 50));
      await t.db('biz_house').insert({ id: 'h-e2', estate_id: 'E2', building_no: '1', unit_no: '1', house_no: '101', del_flag: 0 });
      const rels = jOwners.map((o, i) => ({ id: `rel${i}`, owner_id: o.id, house_id: `h${String(i).padStart(4, '0')}`, relation_type: '1', del_flag: 0 }));
      for (let i = 0; i < rels.length; i += 50) await t.db('biz_owner_house').insert(rels.slice(i, i + 50));
      await t.db('biz_owner_house').insert({ id: 'rel-last', owner_id: 'z-last', house_id: 'h-e2', relation_type: '1', del_flag: 0 });
    });
    after(async () => t?.drop());

    it('a unit column naming the owner: the one unit of the community is found behind 250 others', async () => {
      const host = new HostGateway(t.db, validateMapping(simpleHost.mapping));
      const found = await host.searchUnits('4321', { communityIds: ['1'] });
      expect(found.map((u) => u.id)).to.deep.equal(['9001']);
      expect(found[0]!.owners.map((o) => o.name)).to.deep.equal(['孙丽']);
      // Unrestricted, the limit still holds and the owners' units come in label order.
      expect(await host.searchUnits('4321', { limit: 30 })).to.have.length(30);
    });

    it('an owner–house relation table: the same, through the relation', async () => {
      const host = new HostGateway(t.db, validateMapping(jeecgHost.mapping));
      const found = await host.searchUnits('4321', { communityIds: ['E2'] });
      expect(found.map((u) => u.id)).to.deep.equal(['h-e2']);
      expect(found[0]!.owners.map((o) => o.name)).to.deep.equal(['钱多多']);
    });
  });
}
