// Round trips of fee collection (issue 20): the billing check reads the host's bill and our facts about it
// in ONE statement, and falls back to two (the bill, then ours) where a host column would not compare
// alike with ours; an application learns the offset's remainder from its own UPDATE. Counted as the bench
// counts them: every statement knex sends (BEGIN and COMMIT included), on a real SQLite file and MariaDB.
import { expect } from 'chai';
import { HC, stringIdHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { statementsSent } from '../support/statements.js';
import { approvedOffset, assessedComplaint, offsetRow, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';
import { people } from '../support/pluginHarness.js';
import { createDb, isMysql } from '../../src/db/connection.js';
import { HostGateway } from '../../src/host/gateway.js';
import { validateMapping } from '../../src/host/mapping.js';
import { checkBills, checkOffsets } from '../../src/offsets/billingCheck.js';
import { applyOffset } from '../../src/offsets/apply.js';
import { billJoins } from '../../src/offsets/store/facts.js';
import { COMPLAINT_FACT_COLUMNS } from '../../src/offsets/store/rows.js';
import { indexColumns } from '../../src/db/schema.js';

for (const kind of databaseKinds) {
  describe(`billing round trips (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, stringIdHost);
    });
    after(async () => h?.close());

    it('checks a bill in one statement, with the same answer as the bill read first and ours after it', async () => {
      const c = await assessedComplaint(h, HC.room.twoOwners, { threatenedWithholding: true });
      const o = await approvedOffset(h, c.id, '3.00');
      const input = { billId: HC.fee.unpaid1, offsets: [{ offsetId: o.id, amountFen: 100 }] };
      await h.offsets.check(input); // settings and table descriptions are read once, then kept
      let joined: Awaited<ReturnType<typeof h.offsets.check>> | undefined;
      const sent = await statementsSent(h.db, async () => (joined = await h.offsets.check(input)));
      // This host's bills name no owner, so the unit's owners are read besides (from its own tables).
      const billAndOurs = (list: string[]) => list.filter((sql) => /`(pay_fee|cmp_[a-z_]+)`/.test(sql));
      expect(billAndOurs(sent), sent.join('\n')).to.have.length(1);
      expect(sent[0]).to.contain('pay_fee').and.to.contain('cmp_offsets');
      // On MariaDB the units' open complaints are read on the (unit, state, …) index, not every complaint of the unit.
      if (kind.kind === 'mariadb') expect(sent[0]).to.contain('USE INDEX (`cmp_complaints_unit_open_facts_idx`)');
      // …and from that index alone: it holds every column the check reads of an open complaint.
      const indexed = await indexColumns(h.db, 'cmp_complaints', 'cmp_complaints_unit_open_facts_idx');
      expect(indexed?.slice(0, 2)).to.deep.equal(['unit_id', 'state']);
      expect(indexed).to.include.members([...COMPLAINT_FACT_COLUMNS]);
      expect(await indexColumns(h.db, 'cmp_complaints', 'cmp_complaints_unit_state_idx'), 'the index it replaced').to.equal(null);
      expect(joined!.offsets.map((v) => v.code)).to.deep.equal(['allowed']);
      expect(joined!.warnings.map((w) => w.code)).to.deep.equal(['open_complaint', 'withholding_threat']);
      expect(joined!.amountFen).to.equal(12050);

      // A reader without billsSubquery (another host reader) takes the two-statement path: same answer.
      const twoStep = new Proxy(h.ctx.host, { get: (target, name) => (name === 'billsSubquery' ? undefined : Reflect.get(target, name, target)) });
      let separate: Awaited<ReturnType<typeof h.offsets.check>> | undefined;
      const sentApart = await statementsSent(h.db, async () => (separate = await checkOffsets({ ...h.ctx, host: twoStep }, input)));
      expect(billAndOurs(sentApart), sentApart.join('\n')).to.have.length(2);
      expect(separate).to.deep.equal(joined);
    });

    it('applies without reading the offset back: its remainder comes with the UPDATE, and the ledger upsert only on a bill’s first application', async () => {
      const c = await assessedComplaint(h, HC.room.zhao);
      const o = await approvedOffset(h, c.id, '2.00');
      const apply = (n: number, amountFen: number) =>
        h.offsets.apply({ offsetId: o.id, billId: HC.fee.zhao, amountFen, idempotencyKey: `round-trips-${kind.kind}-${n}` }, people.cashier);
      const first = await statementsSent(h.db, () => apply(1, 50));
      let answer: Awaited<ReturnType<typeof apply>> | undefined;
      const second = await statementsSent(h.db, async () => (answer = await apply(2, 150)));
      // The second application finds the ledger row in its first read: no upsert before the transaction.
      expect(first.filter((s) => /insert into `?cmp_offset_bill_ledger/i.test(s))).to.have.length(1);
      expect(second.filter((s) => /insert into `?cmp_offset_bill_ledger/i.test(s))).to.have.length(0);
      // One read (bill, offset, ledger; this host's bills name no owner, so the unit's owners are read
      // too), then BEGIN, the two conditional UPDATEs, the application, the report facts, the audit
      // event, the outbox event, COMMIT: no SELECT inside the transaction.
      expect(second[0]).to.contain('pay_fee').and.to.contain('cmp_offsets').and.to.contain('cmp_offset_bill_ledger');
      const begin = second.findIndex((s) => /^(begin|start transaction)/i.test(s.trim()));
      expect(second.slice(begin), second.join('\n')).to.have.length(8);
      expect(
        second.slice(begin).filter((s) => /^select/i.test(s.trim())),
        second.join('\n'),
      ).to.deep.equal([]);
      // The remainder told by the UPDATE is the row's: 200 − 50 − 150 = 0, so the offset is used up.
      expect(answer!.remainingFen).to.equal(0);
      const row = await offsetRow(h.db, h, o.id);
      expect([Number(row.remaining_fen), row.status]).to.deep.equal([0, 'exhausted']);
      const outbox = (await h.db('cmp_outbox').where({ topic: 'offset_applied' }).orderBy('id', 'desc').first()) as { payload: string };
      expect(JSON.parse(outbox.payload)).to.include({ remainingFen: 0, offsetStatus: 'exhausted', complaintCode: c.code });
    });

    it('keeps the bill query’s text per number of bills, and each call still reads its own bills (ids that cannot match left out)', async () => {
      const gateway = new HostGateway(h.db, validateMapping(stringIdHost.mapping));
      const joins = billJoins(h.ctx.tables);
      const read = async (ids: string[]) => {
        const q = (await gateway.billsSubquery(ids, joins))!;
        const result = (await h.db.raw(q.sql, q.bindings)) as unknown;
        const rows = (isMysql(h.db) ? (result as [Array<Record<string, unknown>>])[0] : result) as Array<Record<string, unknown>>;
        return { sql: q.sql, bills: q.read(rows) };
      };
      const one = await read([HC.fee.unpaid1]);
      const other = await read([HC.fee.unpaid2]);
      // The same text for one bill (kept), bound to the bill asked for each time.
      expect(other.sql).to.equal(one.sql);
      expect([...one.bills.keys()]).to.deep.equal([HC.fee.unpaid1]);
      expect([...other.bills.keys()]).to.deep.equal([HC.fee.unpaid2]);
      expect(other.bills.get(HC.fee.unpaid2)!.id).to.equal(HC.fee.unpaid2);
      // Two bills, one asked twice and one that does not exist: its own text, the duplicate bound once.
      const two = await read([HC.fee.zhao, HC.fee.unpaid1, HC.fee.zhao, 'no-such-bill']);
      expect(two.sql).to.not.equal(one.sql);
      expect([...two.bills.keys()].sort()).to.deep.equal([HC.fee.unpaid1, HC.fee.zhao].sort());
      const again = await read([HC.fee.paid, HC.fee.unpaid2, 'still-no-such-bill']);
      expect(again.sql).to.equal(two.sql);
      expect([...again.bills.keys()].sort()).to.deep.equal([HC.fee.paid, HC.fee.unpaid2].sort());
      expect(again.bills.get(HC.fee.paid)!.unpaid).to.equal(false);
    });

    it('describes the host’s tables once for calls made inside the host’s transactions too', async () => {
      const gateway = new HostGateway(h.db, validateMapping(stringIdHost.mapping));
      await gateway.getBills([HC.fee.unpaid1]);
      await gateway.billsSubquery([HC.fee.unpaid1], billJoins(h.ctx.tables));
      const described = (list: string[]) => list.filter((sql) => /information_schema|pragma|sqlite_master/i.test(sql));
      const sent = await statementsSent(h.db, () =>
        h.db.transaction(async (trx) => {
          const inside = gateway.within(trx);
          expect((await inside.getBills([HC.fee.zhao])).get(HC.fee.zhao)?.id).to.equal(HC.fee.zhao);
          expect(await inside.billsSubquery!([HC.fee.zhao], billJoins(h.ctx.tables))).to.not.equal(null);
        }),
      );
      expect(described(sent), sent.join('\n')).to.deep.equal([]);
      // What a transaction's gateway learned first still serves after that transaction has ended.
      const fresh = new HostGateway(h.db, validateMapping(stringIdHost.mapping));
      await h.db.transaction(async (trx) => {
        expect(await fresh.within(trx).billsSubquery!([HC.fee.zhao], billJoins(h.ctx.tables))).to.not.equal(null);
      });
      const later = (await fresh.billsSubquery([HC.fee.zhao, HC.fee.unpaid1], billJoins(h.ctx.tables)))!;
      const result = (await h.db.raw(later.sql, later.bindings)) as unknown;
      const rows = (isMysql(h.db) ? (result as [Array<Record<string, unknown>>])[0] : result) as Array<Record<string, unknown>>;
      expect([...later.read(rows).keys()].sort()).to.deep.equal([HC.fee.unpaid1, HC.fee.zhao].sort());
    });

    it('checks a batch in one combined statement per thousand bills, and per thousand distinct offsets', async () => {
      // Bills and offsets that do not exist answer like any other; what is counted is how the batch was cut.
      // Our facts about bills (the settings may be read besides, when their cache has expired).
      const ours = (list: string[]) => list.filter((sql) => /`cmp_(offsets|offset_bill_ledger|complaints)`/.test(sql));
      const combined = async (batch: Parameters<typeof checkBills>[1]) => {
        const sent = ours(await statementsSent(h.db, () => checkBills(h.ctx, batch)));
        // Every statement of ours carries the bill query too (none of the fallback's separate reads).
        for (const sql of sent) expect(sql).to.contain('pay_fee');
        return sent.length;
      };
      const bills = (n: number, offsetsEach: number) =>
        Array.from({ length: n }, (_, i) => ({
          billId: `no-such-bill-${i}`,
          offsets: Array.from({ length: offsetsEach }, (_, j) => ({ offsetId: 900000 + i * offsetsEach + j, amountFen: 100 })),
        }));
      // 1,001 bills: a thousand, then one.
      expect(await combined(bills(1001, 0))).to.equal(2);
      // 500 bills of four distinct offsets each: 250 bills make exactly a thousand offsets, so two statements
      // (a group is closed only when the next bill would take it past a thousand, not when it reaches it).
      expect(await combined(bills(500, 4))).to.equal(2);
      // 251 bills of four: the 251st bill's offsets would make 1,004, so it starts a second statement.
      expect(await combined(bills(251, 4))).to.equal(2);
      expect(await combined(bills(250, 4))).to.equal(1);
    });

    it('takes the two-statement path with a host reader that cannot embed its bill query: an application still finds its complaint, a batch still reads every offset chunk', async () => {
      const twoStep = {
        ...h.ctx,
        host: new Proxy(h.ctx.host, { get: (target, name) => (name === 'billsSubquery' ? undefined : Reflect.get(target, name, target)) }),
      };
      const c = await assessedComplaint(h, HC.room.zhao);
      const o = await approvedOffset(h, c.id, '1.00');
      const applied = await applyOffset(
        twoStep,
        { offsetId: o.id, billId: HC.fee.zhao, amountFen: 40, idempotencyKey: `two-step-${kind.kind}` },
        people.cashier,
      );
      expect([applied.amountFen, applied.remainingFen]).to.deep.equal([40, 60]);
      const outbox = (await h.db('cmp_outbox').where({ topic: 'offset_applied' }).orderBy('id', 'desc').first()) as { payload: string };
      expect(JSON.parse(outbox.payload)).to.include({ complaintCode: c.code, remainingFen: 60 });
      // 2,000 distinct offsets on bills the host does not have: the offsets are still read, in two chunks.
      const batch = Array.from({ length: 500 }, (_, i) => ({
        billId: `no-such-bill-${i}`,
        offsets: Array.from({ length: 4 }, (_, j) => ({ offsetId: 800000 + i * 4 + j, amountFen: 100 })),
      }));
      const sent = await statementsSent(h.db, () => checkBills(twoStep, batch));
      expect(sent.filter((sql) => /`cmp_offsets`/.test(sql))).to.have.length(2);
    });

    if (kind.kind === 'mariadb') {
      it('sends a single check’s and an application’s one read as a prepared statement (parsed once per connection), a larger batch as a plain one; same answers', async () => {
        // One connection, so its session counters count exactly our statements.
        const one = createDb(h.database.url, { poolMax: 1 });
        try {
          const onOne = { ...h.ctx, db: one };
          const counters = async () => {
            const [rows] = (await one.raw("SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_prepare', 'Com_stmt_execute')")) as [
              Array<{ Variable_name: string; Value: string }>,
            ];
            return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
          };
          const c = await assessedComplaint(h, HC.room.twoOwners, { threatenedWithholding: true });
          const o = await approvedOffset(h, c.id, '3.00');
          const input = { billId: HC.fee.unpaid1, offsets: [{ offsetId: o.id, amountFen: 100 }] };
          const plain = await checkOffsets(
            { ...h.ctx, host: new Proxy(h.ctx.host, { get: (t, n) => (n === 'billsSubquery' ? undefined : Reflect.get(t, n, t)) }) },
            input,
          );
          await checkOffsets(onOne, input); // settings, table descriptions
          const before = await counters();
          const first = await checkOffsets(onOne, input);
          const second = await checkOffsets(onOne, { ...input, offsets: [{ offsetId: o.id, amountFen: 200 }] });
          const after = await counters();
          expect(after.Com_stmt_execute! - before.Com_stmt_execute!).to.equal(2);
          expect(after.Com_stmt_prepare! - before.Com_stmt_prepare!, 'the second check reuses the statement').to.equal(0);
          expect(first).to.deep.equal(plain);
          expect(second.offsets.map((v) => [v.code, v.amountFen])).to.deep.equal([['allowed', 200]]);
          // An application on the same connection: its read prepared too, the money path unchanged.
          const applied = await applyOffset(
            onOne,
            { offsetId: o.id, billId: HC.fee.unpaid1, amountFen: 100, idempotencyKey: 'prepared-read-1' },
            people.cashier,
          );
          expect([applied.amountFen, applied.remainingFen]).to.deep.equal([100, 200]);
          const afterApply = await counters();
          expect(afterApply.Com_stmt_execute! - after.Com_stmt_execute!).to.equal(1);
          // Five bills: a plain statement (each batch size would be one more statement kept per connection).
          const batch = [HC.fee.unpaid1, HC.fee.unpaid2, HC.fee.paid, HC.fee.zhao, 'no-such-bill'].map((billId) => ({ billId, offsets: [] }));
          await checkBills(onOne, batch);
          expect((await counters()).Com_stmt_execute).to.equal(afterApply.Com_stmt_execute);
        } finally {
          await one.destroy();
        }
      });

      it('sends the read plain where the server allows no prepared statements (max_prepared_stmt_count = 0, as some DBAs set it): the same answer, and no prepare tried again meanwhile', async () => {
        const [[setting]] = (await h.db.raw("SHOW GLOBAL VARIABLES LIKE 'max_prepared_stmt_count'")) as [Array<{ Value: string }>];
        // A new pool: the harness's connections may hold this statement prepared already.
        const fresh = createDb(h.database.url, { poolMax: 1 });
        try {
          const onFresh = { ...h.ctx, db: fresh };
          const c = await assessedComplaint(h, HC.room.zhao);
          const o = await approvedOffset(h, c.id, '1.00');
          const input = { billId: HC.fee.zhao, offsets: [{ offsetId: o.id, amountFen: 100 }] };
          const expected = await checkOffsets(h.ctx, input);
          await fresh.raw('SELECT 1'); // the pool's connection, opened before the limit
          await h.db.raw('SET GLOBAL max_prepared_stmt_count = 0');
          let first: Awaited<ReturnType<typeof checkOffsets>> | undefined;
          const sentFirst = await statementsSent(fresh, async () => (first = await checkOffsets(onFresh, input)));
          const sentSecond = await statementsSent(fresh, () => checkOffsets(onFresh, input));
          expect(first).to.deep.equal(expected);
          const reads = (list: string[]) => list.filter((sql) => /`cmp_offsets`/.test(sql));
          // The refused attempt, then the same read plain; the next check sends it plain at once.
          expect(reads(sentFirst), sentFirst.join('\n')).to.have.length(2);
          expect(reads(sentSecond), sentSecond.join('\n')).to.have.length(1);
        } finally {
          await h.db.raw('SET GLOBAL max_prepared_stmt_count = ?', [Number(setting!.Value)]);
          await fresh.destroy();
        }
      });

      it('falls back to two statements where the bill’s unit column does not compare alike with ours', async () => {
        const mapping = validateMapping(stringIdHost.mapping);
        const alike = new HostGateway(h.db, mapping);
        expect(await alike.billsSubquery([HC.fee.unpaid1], billJoins(h.ctx.tables))).to.not.equal(null);
        await h.db.raw('ALTER TABLE pay_fee MODIFY payer_obj_id VARCHAR(30) CHARACTER SET utf8mb3 COLLATE utf8mb3_bin NOT NULL');
        try {
          const other = new HostGateway(h.db, mapping);
          expect(await other.billsSubquery([HC.fee.unpaid1], billJoins(h.ctx.tables))).to.equal(null);
          const c = await assessedComplaint(h, HC.room.twoOwners);
          const input = { billId: HC.fee.unpaid1, offsets: [] };
          let check: Awaited<ReturnType<typeof h.offsets.check>> | undefined;
          const sent = await statementsSent(h.db, async () => (check = await checkOffsets({ ...h.ctx, host: other }, input)));
          expect(sent, sent.join('\n')).to.have.length(2);
          expect(check!.warnings.map((w) => w.complaintId)).to.include(c.id);
        } finally {
          await h.db.raw('ALTER TABLE pay_fee MODIFY payer_obj_id VARCHAR(30) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci NOT NULL');
        }
        expect(isMysql(h.db)).to.equal(true);
      });
    }
  });
}
