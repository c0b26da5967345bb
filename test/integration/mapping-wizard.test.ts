// The mapping wizard on both databases: on every ERP fixture host the proposal it takes with --yes passes
// check-host, matches the hand-written mapping where it matters and reads the walk's unit and bills as
// the hand-written one does; it asks where the host leaves it unsure (a fee type given as a bare code,
// two phone columns), Chinese comments drive its choices, and pinyin names are understood.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { databaseKinds } from '../support/databases.js';
import { erpHosts, jeecgHost, ruoyiHost } from '../fixtures/erpHosts.js';
import { createAmbiguousHost, createCommentedHost, createForeignKeyHost, createPinyinHost } from '../fixtures/wizardHosts.js';
import { simpleHost, stringIdHost } from '../fixtures/hosts.js';
import { scanHostSchema, sqliteComments } from '../../src/host/schemaScan.js';
import { proposeMapping, ProposalError, type Proposal } from '../../src/host/propose.js';
import { checkHost, formatReport } from '../../src/host/check.js';
import { HostGateway } from '../../src/host/gateway.js';
import { splitWhere, validateMapping, type HostMapping, type WhereFilter } from '../../src/host/mapping.js';

/** A filter with single-value lists written as the value (`['1']` and `'1'` filter alike). */
function normalWhere(where: WhereFilter | undefined): WhereFilter {
  return Object.fromEntries(Object.entries(where ?? {}).map(([k, v]) => [k, Array.isArray(v) && v.length === 1 ? v[0]! : v]));
}

/** The fields of a mapping that decide what is read (the scope filters are compared separately). */
function essentials(m: HostMapping) {
  const lookups = Object.fromEntries(
    Object.entries(m.unit.lookups ?? {}).map(([k, l]) => [k, { table: l.table, key: l.key, from: l.from, where: normalWhere(l.where) }]),
  );
  return {
    owner: { table: m.owner.table, key: m.owner.key, columns: m.owner.columns, where: normalWhere(m.owner.where) },
    unit: { table: m.unit.table, key: m.unit.key, columns: m.unit.columns, where: normalWhere(m.unit.where), lookups },
    community: m.community && { ...m.community, where: normalWhere(m.community.where) },
    ownership: m.ownership && { table: m.ownership.table, owner: m.ownership.owner, unit: m.ownership.unit, live: splitWhere(m.ownership.where).live },
    bill: {
      table: m.bill.table,
      key: m.bill.key,
      unit: m.bill.columns.unit,
      amount: m.bill.columns.amount,
      amountUnit: m.bill.amountUnit,
      period: m.bill.columns.period,
      paidAmount: m.bill.columns.paidAmount,
      status: m.bill.columns.status,
      unpaidStatus: m.bill.unpaidStatus,
      paidByTable: m.bill.paidBy?.table,
      paidByBill: m.bill.paidBy?.bill,
      live: splitWhere(m.bill.where).live,
    },
  };
}

const choice = (p: Proposal, field: string) => p.choices.find((c) => c.field === field);

/** What a person answers to the wizard's questions on each host, as its hand-written mapping says. */
const answers: Record<string, { pins: Record<string, unknown>; unsure: string[] }> = {
  ruoyiHost: { pins: { 'bill.where.feeType': ['1'], 'bill.where.void': { not: ['9'] } }, unsure: ['bill.where.void', 'bill.where.feeType'] },
  jeecgHost: { pins: { 'ownership.where.relation': ['1'] }, unsure: ['ownership.where.relation', 'bill.paidBy.where.status'] },
  springHost: { pins: {}, unsure: ['bill.paidBy.where.status'] },
  simpleHost: { pins: {}, unsure: [] },
  // java110-shaped: the bill's room is found by its values (payer_obj_id), its state codes explain nothing.
  stringIdHost: {
    pins: { 'bill.paid': { status: 'state', unpaid: ['2008001'] } },
    unsure: ['bill.amountUnit', 'bill.paid', 'bill.where.void'],
  },
};

for (const kind of databaseKinds) {
  describe(`mapping wizard (${kind.kind})`, function () {
    for (const host of erpHosts) {
      describe(`on ${host.family} host ${host.name}`, function () {
        let t: Awaited<ReturnType<typeof kind.create>>;
        let proposal: Proposal;
        before(async () => {
          t = await kind.create();
          await host.create(t.db);
          proposal = await proposeMapping(t.db, await scanHostSchema(t.db));
        });
        after(async () => t?.drop());

        it('proposes (as --yes takes it) a mapping that passes check-host and matches the hand-written one where it matters', async () => {
          const mapping = validateMapping(proposal.mapping);
          const report = await checkHost(t.db, mapping);
          expect(report.ok, formatReport(report, 'en')).to.equal(true);
          expect(report.problems.filter((p) => p.severity === 'error')).to.deep.equal([]);
          expect(essentials(mapping)).to.deep.equal(essentials(validateMapping(host.mapping)));
          expect(proposal.choices.filter((c) => !c.sure).map((c) => c.field)).to.deep.equal(answers[host.name]!.unsure);
          // Every choice carries a reason in both languages.
          for (const c of proposal.choices) {
            expect(c.reason.en.length * c.reason['zh-CN'].length, c.field).to.be.greaterThan(0);
            expect(c.reason['zh-CN'], c.field).to.not.match(/\b(column|points at|named as|its name|a name)\b/);
          }
        });

        it('answered as a person would, reads the walk unit and its bills as the hand-written mapping does', async () => {
          const answered = await proposeMapping(t.db, await scanHostSchema(t.db), answers[host.name]!.pins);
          const ours = new HostGateway(t.db, validateMapping(answered.mapping));
          const theirs = new HostGateway(t.db, validateMapping(host.mapping));
          const w = host.walk;
          expect(await ours.getUnit(w.unit)).to.deep.equal(await theirs.getUnit(w.unit));
          const ids = [w.unpaidBill, w.paidBill, ...(w.partialBill ? [w.partialBill.id] : [])];
          const states = async (g: HostGateway) => [...(await g.getBills(ids)).values()].map((b) => [b.id, b.paymentState, b.outstandingFen, b.period]);
          expect(await states(ours)).to.deep.equal(await states(theirs));
          expect((await ours.getBills([w.unmappedBill])).size).to.equal(0);
          expect([...(await ours.billsOutsideMapping([w.unmappedBill]))]).to.deep.equal([w.unmappedBill]);
          expect((await ours.listUnpaidBills(w.unit)).map((b) => b.period)).to.deep.equal(w.unpaidPeriods);
        });
      });
    }

    for (const host of [simpleHost, stringIdHost]) {
      it(`on the older fixture host ${host.name}: --yes passes check-host, and answered it matches the hand-written mapping`, async () => {
        const t = await kind.create();
        try {
          await host.create(t.db);
          const schema = await scanHostSchema(t.db);
          const proposal = await proposeMapping(t.db, schema);
          expect(proposal.choices.filter((c) => !c.sure).map((c) => c.field)).to.deep.equal(answers[host.name]!.unsure);
          const report = await checkHost(t.db, validateMapping(proposal.mapping));
          expect(report.ok, formatReport(report, 'en')).to.equal(true);
          const answered = validateMapping((await proposeMapping(t.db, schema, answers[host.name]!.pins)).mapping);
          expect(essentials(answered)).to.deep.equal(essentials(validateMapping(host.mapping)));
          expect((await checkHost(t.db, answered)).problems).to.deep.equal([]);
        } finally {
          await t.drop();
        }
      });
    }

    describe('questions where the host leaves it unsure', function () {
      const dbs: Array<Awaited<ReturnType<typeof kind.create>>> = [];
      /** A database of its own per host: names that point across hosts would mislead the proposer. */
      const hostDb = async (create: (db: Knex) => Promise<void>) => {
        const t = await kind.create();
        dbs.push(t);
        await create(t.db);
        return t;
      };
      after(async () => {
        for (const t of dbs) await t.drop();
      });

      it('asks which bare fee-type code is the property fee, and the answer becomes the filter', async () => {
        const t = await hostDb((db) => ruoyiHost.create(db));
        const schema = await scanHostSchema(t.db);
        const pins = {};
        const first = await proposeMapping(t.db, schema, pins);
        const q = choice(first, 'bill.where.feeType')!;
        expect(q.sure).to.equal(false);
        expect(q.question.en).to.contain('wy_fee_bill.fee_type').and.contain('1 (5)').and.contain('2 (1)');
        expect(q.alternatives.map((a) => a.value)).to.deep.include(['1']);
        const answered = await proposeMapping(t.db, schema, { ...pins, 'bill.where.feeType': ['1'] });
        expect(answered.mapping.bill.where).to.deep.equal({ del_flag: '0', fee_type: ['1'] });
        const voided = choice(first, 'bill.where.void')!;
        expect(voided.question.en).to.contain('wy_fee_bill.bill_status').and.contain('9 (1)');
        expect(voided.alternatives.map((a) => a.value)).to.deep.include({ not: ['9'] });
        expect(choice(answered, 'bill.where.feeType')).to.include({ pinned: true, sure: true });
        const gateway = new HostGateway(t.db, validateMapping(answered.mapping));
        expect([...(await gateway.billsOutsideMapping([ruoyiHost.walk.unmappedBill]))]).to.deep.equal([ruoyiHost.walk.unmappedBill]);
      });

      it('asks which relation type is an owner and which payment status went through (JeecgBoot)', async () => {
        const t = await hostDb((db) => jeecgHost.create(db));
        const schema = await scanHostSchema(t.db);
        const pins = {};
        const p = await proposeMapping(t.db, schema, pins);
        expect(choice(p, 'ownership.where.relation')!.sure).to.equal(false);
        expect(choice(p, 'bill.paidBy.where.status')).to.include({ sure: false, value: '1' });
        const answered = await proposeMapping(t.db, schema, { ...pins, 'ownership.where.relation': ['1'] });
        expect(answered.mapping.ownership!.where).to.deep.equal({ del_flag: 0, relation_type: ['1'] });
      });

      it('asks which of two phone columns is the mobile, offering both', async () => {
        const t = await hostDb(createAmbiguousHost);
        const schema = await scanHostSchema(t.db);
        const p = await proposeMapping(t.db, schema);
        const q = choice(p, 'owner.columns.phone')!;
        expect(q.sure).to.equal(false);
        expect([q.value, ...q.alternatives.map((a) => a.value)].sort()).to.deep.equal(['phone', 'telephone']);
        const other = q.alternatives[0]!.value;
        const answered = await proposeMapping(t.db, schema, { 'owner.columns.phone': other });
        expect(answered.mapping.owner.columns.phone).to.equal(other);
        expect(answered.mapping.bill).to.deep.include({ table: 'bills', amountUnit: 'yuan' });
        expect(answered.mapping.bill.columns).to.deep.include({ unit: 'room_id', amount: 'amount_due', paidAmount: 'paid_amount' });
      });
    });

    describe('Chinese comments drive the choices', function () {
      let t: Awaited<ReturnType<typeof kind.create>>;
      before(async () => {
        t = await kind.create();
        await createCommentedHost(t.db);
      });
      after(async () => t?.drop());

      it('reads owner name, mobile, room, community, amount in fen, period, status values and the live-row value from comments', async () => {
        const schema = await scanHostSchema(t.db);
        expect(schema.tables.find((x) => x.name === 't_a')!.comment).to.equal('业主信息');
        const p = await proposeMapping(t.db, schema);
        expect(p.mapping).to.deep.equal({
          version: 2,
          owner: { table: 't_a', key: 'id', columns: { name: 'c1', phone: 'c2' }, where: { is_deleted: 'N' } },
          unit: { table: 't_b', key: 'id', columns: { label: 'c1', community: 'c2', owner: 'a_id' } },
          bill: {
            table: 't_c',
            key: 'id',
            columns: { unit: 'b_id', amount: 'je1', period: 'c1', status: 'jfzt' },
            amountUnit: 'fen',
            unpaidStatus: ['1'],
          },
        });
        expect(choice(p, 'owner.columns.name')!.reason['zh-CN']).to.contain('业主姓名');
        expect(choice(p, 'bill.amountUnit')).to.include({ sure: true, value: 'fen' });
        expect(choice(p, 'bill.paid')!.reason['zh-CN']).to.contain('缴费状态（1未缴 2已缴）');
        expect(choice(p, 'owner.where')!.reason.en).to.contain('N代表存在');
        expect(p.choices.filter((c) => !c.sure)).to.deep.equal([]);
        const mapping = validateMapping(p.mapping);
        const report = await checkHost(t.db, mapping);
        expect(report.problems, formatReport(report, 'en')).to.deep.equal([]);
        const bills = await new HostGateway(t.db, mapping).getBills(['100', '101']);
        expect([...bills.values()].map((b) => [b.id, b.paymentState, b.amountFen])).to.deep.equal([
          ['100', 'paid', 25050],
          ['101', 'unpaid', 25050],
        ]);
      });

      it('without the comments the same columns say nothing, and the wizard says it cannot tell', async () => {
        const bare = await kind.create();
        try {
          await createCommentedHost(bare.db, false);
          try {
            await proposeMapping(bare.db, await scanHostSchema(bare.db));
            expect.fail('should not find an owner table');
          } catch (err) {
            expect(err).to.be.instanceOf(ProposalError);
            expect((err as ProposalError).problem['zh-CN']).to.equal('哪张表是业主表？');
          }
        } finally {
          await bare.drop();
        }
      });
    });

    it('follows declared foreign keys whose column names say nothing, and reads fen from the name', async () => {
      const t = await kind.create();
      try {
        await createForeignKeyHost(t.db);
        const p = await proposeMapping(t.db, await scanHostSchema(t.db));
        expect(p.mapping.unit.columns.owner).to.equal('holder');
        expect(p.mapping.bill.columns).to.deep.equal({ unit: 'r', amount: 'amount_fen', paidAmount: 'paid_fen' });
        expect(p.mapping.bill.amountUnit).to.equal('fen');
        expect(choice(p, 'bill.columns.unit')!.reason.en).to.contain('foreign key');
        expect(choice(p, 'unit.owner')!.sure).to.equal(true);
        const bill = (await new HostGateway(t.db, validateMapping(p.mapping)).getBill('1'))!;
        expect(bill).to.include({ amountFen: 15000, outstandingFen: 10000, paymentState: 'partial' });
      } finally {
        await t.drop();
      }
    });

    it('understands pinyin names (yezhu, yzxm, sjh, fangjian, fjh, xiaoqu, zhangdan, ysje, jfzt)', async () => {
      const t = await kind.create();
      try {
        await createPinyinHost(t.db);
        const p = await proposeMapping(t.db, await scanHostSchema(t.db));
        expect(p.mapping).to.deep.equal({
          version: 2,
          owner: { table: 'yezhu', key: 'id', columns: { name: 'yzxm', phone: 'sjh' }, where: { del_flag: 0 } },
          unit: { table: 'fangjian', key: 'id', columns: { label: 'fjh', community: 'xiaoqu_id', owner: 'yezhu_id' } },
          bill: {
            table: 'zhangdan',
            key: 'id',
            columns: { unit: 'fangjian_id', amount: 'ysje', period: 'zq', status: 'jfzt' },
            amountUnit: 'yuan',
            unpaidStatus: ['未缴'],
          },
          community: { table: 'xiaoqu', key: 'id', columns: { name: 'xqmc' } },
        });
        const report = await checkHost(t.db, validateMapping(p.mapping));
        expect(report.ok, formatReport(report, 'en')).to.equal(true);
      } finally {
        await t.drop();
      }
    });
  });
}

describe('SQLite column comments', function () {
  it('reads `-- comment` after a column and the table comment on the first line', () => {
    const c = sqliteComments('CREATE TABLE t ( -- 业主信息\n  id INT NOT NULL PRIMARY KEY,\n  "c1" VARCHAR(30), -- 业主姓名\n  c2 VARCHAR(20) -- 手机号\n)');
    expect(c.table).to.equal('业主信息');
    expect([...c.columns]).to.deep.equal([
      ['c1', '业主姓名'],
      ['c2', '手机号'],
    ]);
  });
});
