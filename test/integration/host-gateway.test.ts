// HostGateway against real host schemas on both databases: soft deletes honoured, ids as strings,
// owners from a column or a relation table, money exact in fen, batches in chunks, host tables untouched.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { statementsSent } from '../support/statements.js';
import { databaseKinds, type TestDatabase } from '../support/databases.js';
import { brokenHost, HC, simpleHost, stringIdHost } from '../fixtures/hosts.js';
import { checksumTables } from '../support/checksum.js';
import { HostGateway, HostDataError } from '../../src/host/gateway.js';
import { validateMapping, type HostMapping } from '../../src/host/mapping.js';

const BULK_FROM = 20000;
const BULK = 2600;
const allTables = [...new Set([...brokenHost.tables, ...stringIdHost.tables])];

/** Runs `work` and returns the SQL statements it sent that mention `table`. */
async function queriesOn(db: Knex, table: string, work: () => Promise<unknown>): Promise<string[]> {
  const named = new RegExp(`[\`"]${table}[\`"]`);
  return (await statementsSent(db, work)).filter((sql) => named.test(sql));
}

const labels = (units: Array<{ label: string }>) => units.map((u) => u.label);

for (const kind of databaseKinds) {
  describe(`HostGateway (${kind.kind})`, function () {
    let t: TestDatabase;
    let simple: HostGateway;
    let hc: HostGateway;
    let checksums: Record<string, string>;

    before(async () => {
      t = await kind.create();
      await simpleHost.create(t.db);
      await stringIdHost.create(t.db);
      await brokenHost.create(t.db);
      // Bulk bills on unit 107 for the batch test: amounts i.cc yuan with every cent value.
      const bulk = Array.from({ length: BULK }, (_, i) => ({
        id: BULK_FROM + i,
        unit_id: 107,
        amount: `${i}.${String(i % 100).padStart(2, '0')}`,
        period: '2023-12',
        status: 'paid',
      }));
      await t.db.batchInsert('bills', bulk, 500);
      simple = new HostGateway(t.db, validateMapping(simpleHost.mapping));
      hc = new HostGateway(t.db, validateMapping(stringIdHost.mapping));
      checksums = await checksumTables(t.db, allTables);
    });
    after(async () => {
      await t?.drop();
    });

    describe('simpleHost: integer ids, owner column, yuan DECIMAL', () => {
      it('reads a unit with its community and owner, ids as strings', async () => {
        expect(await simple.getUnit('101')).to.deep.equal({
          id: '101',
          label: '1-101',
          communityId: '1',
          communityName: '阳光花园',
          owners: [{ id: '1', name: '张伟', phone: '13800138001' }],
        });
      });

      it('hides soft-deleted units and soft-deleted owners', async () => {
        expect(await simple.getUnit('105')).to.equal(null);
        expect((await simple.getUnit('104'))!.owners).to.deep.equal([]);
        expect(await simple.getUnit('999')).to.equal(null);
        // Not an integer: cannot match an INT key (MySQL would otherwise compare 'abc' as 0).
        expect(await simple.getUnit('abc')).to.equal(null);
      });

      it('reads units in a batch, leaving out missing and deleted ones', async () => {
        const units = await simple.getUnits(['101', '102', '105', '999', '102']);
        expect([...units.keys()].sort()).to.deep.equal(['101', '102']);
        expect(units.get('102')!.owners.map((o) => o.name)).to.deep.equal(['王芳']);
      });

      it('converts DECIMAL yuan to exact fen', async () => {
        const bills = await simple.getBills(['1001', '1002', '1003', '1004', '1005']);
        const fen = Object.fromEntries([...bills.values()].map((b) => [b.id, b.amountFen]));
        expect(fen).to.deep.equal({ '1001': 12050, '1002': 29, '1003': 115, '1004': 9999999, '1005': 120000 });
        expect(bills.get('1003')).to.deep.equal({
          id: '1003',
          unitId: '101',
          ownerId: null,
          amountFen: 115,
          period: '2024-03',
          status: 'paid',
          paymentState: 'paid',
          outstandingFen: 0,
          unpaid: false,
        });
        expect(bills.get('1001')!.unpaid).to.equal(true);
        expect(await simple.getBill('1002')).to.include({ amountFen: 29, unitId: '101', period: '2024-02' });
        expect(await simple.getBill('4242')).to.equal(null);
      });

      it('lists unpaid bills of a unit, latest period first', async () => {
        const bills = await simple.listUnpaidBills('101');
        expect(bills.map((b) => b.id)).to.deep.equal(['1002', '1001']);
        expect(bills.every((b) => b.unpaid)).to.equal(true);
        expect((await simple.listUnpaidBills('102', 1)).map((b) => b.id)).to.deep.equal(['1005']);
        expect(await simple.listUnpaidBills('107')).to.deep.equal([]); // only paid bulk bills
      });

      it('reads 2,600 bills in chunks of 1,000, not one query per id', async () => {
        const ids = Array.from({ length: BULK }, (_, i) => String(BULK_FROM + i));
        let bills = new Map();
        const sql = await queriesOn(t.db, 'bills', async () => {
          bills = await simple.getBills([...ids, '1001']);
        });
        expect(bills.size).to.equal(BULK + 1);
        expect(sql).to.have.length(3);
        expect(bills.get(String(BULK_FROM + 1234))!.amountFen).to.equal(123434);
        expect(bills.get(String(BULK_FROM + 2599))!.amountFen).to.equal(259999);
        for (let i = 0; i < BULK; i++) expect(bills.get(String(BULK_FROM + i))!.amountFen).to.equal(i * 100 + (i % 100));
      });

      it('reads many units with a fixed number of queries', async () => {
        const ids = Array.from({ length: 1500 }, (_, i) => String(100 + i));
        let units = new Map();
        const unitSql = await queriesOn(t.db, 'units', async () => {
          const ownerSql = await queriesOn(t.db, 'owners', async () => {
            units = await simple.getUnits(ids);
          });
          expect(ownerSql).to.have.length(1);
        });
        expect(unitSql).to.have.length(2);
        expect([...units.keys()].sort()).to.deep.equal(['101', '102', '103', '104', '106', '107']);
      });

      it('lists communities', async () => {
        expect(await simple.listCommunities()).to.deep.equal([
          { id: '1', name: '阳光花园' },
          { id: '2', name: '翠湖苑' },
        ]);
      });

      it('finds units by label prefix, excluding deleted ones, and restricts to communities', async () => {
        expect(labels(await simple.searchUnits('1-10'))).to.deep.equal(['1-101', '1-102', '1-103']);
        expect(labels(await simple.searchUnits('1-102'))).to.deep.equal(['1-102']);
        expect(labels(await simple.searchUnits('1-10', { limit: 2 }))).to.have.length(2);
        expect(await simple.searchUnits('1-10', { communityIds: ['2'] })).to.deep.equal([]);
        expect(await simple.searchUnits('1-10', { communityIds: [] })).to.deep.equal([]);
        expect(labels(await simple.searchUnits('1-10', { communityIds: ['1', '2'] }))).to.have.length(3);
      });

      it('treats % and _ in the query literally', async () => {
        expect(labels(await simple.searchUnits('A_1'))).to.deep.equal(['A_1']);
        expect(await simple.searchUnits('%')).to.deep.equal([]);
        expect(await simple.searchUnits('_')).to.not.deep.equal([]); // A_1 contains a real underscore
        expect(labels(await simple.searchUnits('_'))).to.deep.equal(['A_1']);
        expect(await simple.searchUnits('   ')).to.deep.equal([]);
      });

      it('finds units through the owner name or phone, but not through deleted owners', async () => {
        expect(labels(await simple.searchUnits('王芳')).sort()).to.deep.equal(['1-102', 'AB1']);
        expect(labels(await simple.searchUnits('王芳', { communityIds: ['2'] }))).to.deep.equal(['AB1']);
        // 张伟 owns 101 and the soft-deleted 105.
        expect(labels(await simple.searchUnits('138001'))).to.deep.equal(['1-101']);
        expect(await simple.searchUnits('李娜')).to.deep.equal([]);
      });

      it('gives owners of units, only live ones', async () => {
        const owners = await simple.ownersOfUnits(['101', '104', '105', '107']);
        expect(Object.fromEntries(owners)).to.deep.equal({ '101': ['1'], '104': [], '107': ['2'] });
      });
    });

    describe('stringIdHost: HC schema, relation table, fen INT, utf8mb3 on MariaDB', () => {
      if (kind.kind === 'mariadb')
        it('uses utf8mb3 host tables on MariaDB', async () => {
          const rows = await t
            .db('information_schema.COLUMNS')
            .select('CHARACTER_SET_NAME as cs')
            .whereRaw('TABLE_SCHEMA = DATABASE()')
            .andWhere({ TABLE_NAME: 'building_owner', COLUMN_NAME: 'name' });
          expect(rows[0].cs).to.equal('utf8mb3');
        });

      it('gives a room both live owners from the relation table, without ended or deleted ones', async () => {
        const unit = (await hc.getUnit(HC.room.twoOwners))!;
        expect(unit).to.deep.include({ id: HC.room.twoOwners, label: '1-1-101', communityId: HC.community.live, communityName: '翠苑小区' });
        expect(unit.owners).to.deep.equal([
          { id: HC.owner.zhang, name: '张三', phone: '13811110001' },
          { id: HC.owner.li, name: '李四', phone: '13811110002' },
        ]);
      });

      it('keeps long numeric-looking string ids intact', async () => {
        const units = await hc.getUnits([HC.room.zhao, HC.room.deleted, '752019100758260099']);
        expect([...units.keys()]).to.deep.equal([HC.room.zhao]);
        expect(units.get(HC.room.zhao)!.owners.map((o) => o.id)).to.deep.equal([HC.owner.zhao]);
      });

      it('gives no community name when the community is soft-deleted', async () => {
        expect(await hc.getUnit(HC.room.deadCommunity)).to.deep.include({ communityId: HC.community.deleted, communityName: null });
        expect(await hc.listCommunities()).to.deep.equal([{ id: HC.community.live, name: '翠苑小区' }]);
      });

      it('reads fen INT amounts exactly and the unpaid state', async () => {
        const bills = await hc.getBills(Object.values(HC.fee));
        expect(bills.has(HC.fee.deleted)).to.equal(false);
        expect(bills.get(HC.fee.unpaid1)).to.deep.equal({
          id: HC.fee.unpaid1,
          unitId: HC.room.twoOwners,
          ownerId: null,
          amountFen: 12050,
          period: null,
          status: '2008001',
          paymentState: 'unpaid',
          outstandingFen: 12050,
          unpaid: true,
        });
        expect(bills.get(HC.fee.unpaid2)!.amountFen).to.equal(1);
        expect(bills.get(HC.fee.paid)).to.include({ amountFen: 30000, unpaid: false });
        expect((await hc.listUnpaidBills(HC.room.twoOwners)).map((b) => b.id)).to.deep.equal([HC.fee.unpaid2, HC.fee.unpaid1]);
      });

      it('finds owners by Chinese name and by phone', async () => {
        expect(labels(await hc.searchUnits('欧阳'))).to.deep.equal(['1-2-201']);
        const byName = await hc.searchUnits('张三');
        expect(labels(byName)).to.deep.equal(['1-1-101']); // the deleted room 1-1-103 is left out
        expect(byName[0]!.owners.map((o) => o.name)).to.deep.equal(['张三', '李四']);
        // Both owners of 1-1-101 match the phone prefix; the unit appears once. 王五 is deleted.
        expect(labels(await hc.searchUnits('1381111000'))).to.deep.equal(['1-1-101']);
        expect(await hc.searchUnits('13811110003')).to.deep.equal([]);
        expect(labels(await hc.searchUnits('13911110004', { communityIds: [HC.community.live] }))).to.deep.equal(['1-1-102']);
      });

      it('answers values utf8mb3 cannot hold with "not found" instead of a collation error', async () => {
        expect(await hc.searchUnits('张😀')).to.deep.equal([]);
        expect(await hc.getUnit('😀')).to.equal(null);
        expect(await hc.getBills(['😀', HC.fee.zhao])).to.have.keys([HC.fee.zhao]);
      });

      it('gives owners of units through the relation table', async () => {
        const owners = await hc.ownersOfUnits([HC.room.twoOwners, HC.room.zhao, HC.room.deleted]);
        expect(Object.fromEntries(owners)).to.deep.equal({
          [HC.room.twoOwners]: [HC.owner.zhang, HC.owner.li],
          [HC.room.zhao]: [HC.owner.zhao],
        });
      });
    });

    describe('other mappings', () => {
      it('follows a utf8mb4 reference to a utf8mb3 key', async () => {
        const m: HostMapping = structuredClone(simpleHost.mapping);
        m.unit = { table: 'codes_unit', key: 'id', columns: { label: 'room_no', owner: 'owner_code' } };
        m.owner = { table: 'codes_owner', key: 'code', columns: { name: 'name', phone: 'mobile' } };
        const gw = new HostGateway(t.db, validateMapping(m));
        expect((await gw.getUnit('1'))!.owners).to.deep.equal([{ id: 'OW-001', name: '孙丽', phone: '13500135001' }]);
        expect(labels(await gw.searchUnits('孙丽'))).to.deep.equal(['3-301']);
        expect(await gw.listCommunities()).to.deep.equal([
          { id: '1', name: '阳光花园' },
          { id: '2', name: '翠湖苑' },
        ]);
      });

      it('counts every bill as unpaid when no status is mapped, and refuses an unreadable amount', async () => {
        const m: HostMapping = structuredClone(simpleHost.mapping);
        m.bill = { table: 'legacy_bills', key: 'id', columns: { unit: 'unit_id', amount: 'amount' }, amountUnit: 'yuan' };
        const gw = new HostGateway(t.db, validateMapping(m));
        let err: unknown;
        try {
          await gw.getBill('1');
        } catch (e) {
          err = e;
        }
        expect(err).to.be.instanceOf(HostDataError);
        expect((err as Error).message)
          .to.contain('legacy_bills')
          .and.to.contain('一百元');
        m.bill.table = 'int_bills';
        const ok = new HostGateway(t.db, validateMapping(m));
        expect(await ok.getBill('1')).to.include({ amountFen: 12000, unpaid: true, status: null });
        expect((await ok.listUnpaidBills('101')).map((b) => b.id)).to.deep.equal(['1']);
      });

      it('names the missing table when the mapping does not fit', async () => {
        const m: HostMapping = structuredClone(simpleHost.mapping);
        m.unit.table = 'no_units';
        const gw = new HostGateway(t.db, validateMapping(m));
        let err: unknown;
        try {
          await gw.getUnit('101');
        } catch (e) {
          err = e;
        }
        expect(err).to.be.instanceOf(HostDataError);
        expect((err as Error).message).to.contain('no_units');
      });
    });

    // Declared last so it runs after every other suite above has read the host tables.
    describe('afterwards', () => {
      it('leaves every host table byte-for-byte unchanged', async () => {
        for (const gw of [simple, hc]) {
          await gw.getUnits(['101', HC.room.twoOwners]);
          await gw.searchUnits('1');
          await gw.listCommunities();
          await gw.getBills(['1001', HC.fee.unpaid1]);
          await gw.listUnpaidBills('101');
          await gw.ownersOfUnits(['101', HC.room.twoOwners]);
        }
        const after = await checksumTables(t.db, allTables);
        expect(Object.values(after)).to.not.include('absent');
        expect(after).to.deep.equal(checksums);
      });
    });
  });
}
