// Three host ERPs of different families (RuoYi, JeecgBoot, plain Spring Boot), each read through a
// version 2 mapping, walked end to end on both databases: check-host, install, register a complaint,
// approve an offset, check, apply, reverse, reconcile; the host's tables are left byte for byte as they
// were. Then check-host's warnings in words on data that does not say what the mapping assumes.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { databaseKinds, mariadbAvailable, mariadbKind } from '../support/databases.js';
import { install } from '../../src/install/installer.js';
import { erpHosts, springHost } from '../fixtures/erpHosts.js';
import { checksumTables } from '../support/checksum.js';
import { checkHost, formatReport } from '../../src/host/check.js';
import { hostTablesOf, validateMapping, type HostMapping } from '../../src/host/mapping.js';
import { HostGateway } from '../../src/host/gateway.js';
import { isMysql } from '../../src/db/connection.js';
import { approvedOffset, assessedComplaint, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

/** CHECKSUM TABLE on MariaDB, beside the row-and-schema hash both clients get. */
async function fingerprint(db: Knex, tables: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { hash: await checksumTables(db, tables) };
  if (isMysql(db)) {
    const [rows] = (await db.raw(`CHECKSUM TABLE ${tables.map(() => '??').join(', ')} EXTENDED`, tables)) as [
      Array<{ Table: string; Checksum: number | null }>,
    ];
    out.checksum = rows.map((r) => [r.Table.split('.').pop(), r.Checksum]);
    expect(rows.every((r) => r.Checksum !== null)).to.equal(true);
  }
  return out;
}

for (const kind of databaseKinds) {
  for (const host of erpHosts) {
    describe(`${host.family} host ${host.name} walked end to end (${kind.kind})`, function () {
      let h: OffsetHarness;
      let initial: Record<string, unknown>;
      const mapping = validateMapping(host.mapping);
      const w = host.walk;

      before(async () => {
        h = await startOffsetHarness(kind, host);
        initial = await fingerprint(h.db, host.tables);
      });
      after(async () => h?.close());

      it('passes check-host with no problem and counts live rows through the filters', async () => {
        expect(hostTablesOf(mapping).sort()).to.deep.equal([...host.tables].filter((t) => t !== 'biz_fee_item').sort());
        const report = await checkHost(h.db, mapping);
        expect(report.problems, formatReport(report, 'en')).to.deep.equal([]);
        expect(report.ok).to.equal(true);
        expect(report.entities.every((e) => typeof e.rows === 'number' && e.rows > 0)).to.equal(true);
      });

      it('reads the unit with its composed label and community, and its outstanding bills latest first', async () => {
        const unit = (await h.ctx.host.getUnit(w.unit))!;
        expect(unit).to.include({ id: w.unit, label: w.label, communityName: w.communityName });
        expect(unit.owners).to.have.length(1);
        const found = await h.ctx.host.searchUnits(w.label);
        // The same label may exist in another community (springHost: 1号楼 of 和平苑); never twice in one.
        expect(found[0]!.id).to.equal(w.unit);
        expect(found.every((u) => u.label === w.label)).to.equal(true);
        expect(new Set(found.map((u) => u.communityName)).size).to.equal(found.length);
        const unpaid = await h.ctx.host.listUnpaidBills(w.unit);
        expect(unpaid.map((b) => b.period)).to.deep.equal(w.unpaidPeriods);
        expect(unpaid.map((b) => b.id))
          .to.not.include(w.paidBill)
          .and.not.include(w.unmappedBill);
        const communities = await h.ctx.host.listCommunities();
        expect(communities.map((c) => c.name)).to.include(w.communityName);
      });

      it('tells paid, partly paid and outstanding bills apart as the host records payments', async () => {
        const bills = await h.ctx.host.getBills([w.unpaidBill, w.paidBill, ...(w.partialBill ? [w.partialBill.id] : []), w.unmappedBill]);
        expect(bills.get(w.unpaidBill)).to.include({ paymentState: 'unpaid', amountFen: w.unpaidFen, outstandingFen: w.unpaidFen, unpaid: true });
        expect(bills.get(w.paidBill)).to.include({ paymentState: 'paid', outstandingFen: 0, unpaid: false });
        if (w.partialBill)
          expect(bills.get(w.partialBill.id)).to.include({
            paymentState: 'partial',
            amountFen: w.partialBill.amountFen,
            outstandingFen: w.partialBill.outstandingFen,
          });
        expect(bills.has(w.unmappedBill)).to.equal(false);
        expect(bills.get(w.unpaidBill)!.period).to.match(/^\d{4}-\d{2}$/);
      });

      it('registers a complaint, approves an offset, checks, applies, reverses and reconciles', async () => {
        const complaint = await assessedComplaint(h, w.unit);
        const offset = await approvedOffset(h, complaint.id, '500');
        const check = await h.billing('POST', '/api/billing/check', { billId: w.unpaidBill, offsets: [{ offsetId: offset.id, amountFen: 2000 }] });
        expect(check.status, JSON.stringify(check.body)).to.equal(200);
        expect(check.body).to.include({ found: true, allAllowed: true, paymentState: 'unpaid', outstandingFen: w.unpaidFen });

        const paid = await h.billing('POST', '/api/billing/check', { billId: w.paidBill, offsets: [{ offsetId: offset.id, amountFen: 100 }] });
        expect(paid.body.offsets[0].code).to.equal('bill_paid');
        if (w.partialBill) {
          const partial = await h.billing('POST', '/api/billing/check', {
            billId: w.partialBill.id,
            offsets: [{ offsetId: offset.id, amountFen: w.partialBill.outstandingFen + 1 }],
          });
          expect(partial.body).to.include({ paymentState: 'partial', openToOffsetsFen: w.partialBill.outstandingFen });
          expect(partial.body.offsets[0].code).to.equal('exceeds_bill');
        }
        const water = await h.billing(
          'POST',
          '/api/billing/check',
          { billId: w.unmappedBill, offsets: [{ offsetId: offset.id, amountFen: 100 }] },
          { headers: { 'accept-language': 'en' } },
        );
        expect(water.body.found).to.equal(false);
        expect(water.body.offsets[0].code).to.equal('bill_not_mapped');
        expect(water.body.offsets[0].message.en).to.contain(`Bill ${w.unmappedBill} exists but is outside`);
        expect(water.body.offsets[0].message['zh-CN']).to.contain('不在本插件的账单映射范围内');
        const waterApply = await h.billing('POST', '/api/billing/apply', {
          offsetId: offset.id,
          billId: w.unmappedBill,
          amountFen: 100,
          idempotencyKey: `W-${host.name}`,
        });
        expect(waterApply.status).to.equal(409);
        expect(waterApply.body.error.code).to.equal('bill_not_mapped');
        const nowhere = await h.billing('POST', '/api/billing/apply', {
          offsetId: offset.id,
          billId: '424242',
          amountFen: 100,
          idempotencyKey: `N-${host.name}`,
        });
        expect(nowhere.body.error.code).to.equal('bill_not_found');
        const paidApply = await h.billing('POST', '/api/billing/apply', {
          offsetId: offset.id,
          billId: w.paidBill,
          amountFen: 100,
          idempotencyKey: `P-${host.name}`,
        });
        expect(paidApply.body.error.code).to.equal('bill_paid');

        const payment = {
          offsetId: offset.id,
          billId: w.unpaidBill,
          amountFen: 2000,
          idempotencyKey: `PAY-${host.name}-1`,
          operator: { id: 'erp-01', name: '收银员' },
        };
        const applied = await h.billing('POST', '/api/billing/apply', payment);
        expect(applied.status, JSON.stringify(applied.body)).to.equal(200);
        expect(applied.body).to.include({ offsetId: offset.id, amountFen: 2000, remainingFen: 48000 });
        const reversed = await h.billing('POST', '/api/billing/reverse', { idempotencyKey: payment.idempotencyKey, reversalKey: `VOID-${host.name}-1` });
        expect(reversed.status, JSON.stringify(reversed.body)).to.equal(200);
        expect(reversed.body).to.include({ remainingFen: 50000 });
        const again = await h.billing('POST', '/api/billing/apply', { ...payment, idempotencyKey: `PAY-${host.name}-2` });
        expect(again.status).to.equal(200);
        const reconcile = await h.billing('GET', '/api/billing/reconcile');
        expect(reconcile.status).to.equal(200);
        expect(reconcile.body.ok, JSON.stringify(reconcile.body)).to.equal(true);
        expect(h.unexpectedErrors).to.deep.equal([]);
      });

      it('leaves every host table byte for byte as it was', async () => {
        await checkHost(h.db, mapping);
        expect(await fingerprint(h.db, host.tables)).to.deep.equal(initial);
      });
    });
  }

  describe(`check-host warns in words where it cannot be sure (${kind.kind})`, function () {
    let t: Awaited<ReturnType<typeof kind.create>>;
    before(async () => {
      t = await kind.create();
      await springHost.create(t.db);
      // A house whose building is "0" (none) and one whose building row is gone.
      await t.db('houses_info').insert([
        { id: 7, building_id: 0, house_number: '9-901', owner_id: 1 },
        { id: 8, building_id: 99, house_number: '9-902', owner_id: 1 },
        { id: 9, building_id: 98, house_number: '9-903', owner_id: 1 },
        { id: 10, building_id: 1, house_number: '9-910', owner_id: null },
      ]);
      await t.db.raw('CREATE VIEW v_bill AS SELECT m.id, m.house_id, m.money, m.fee_type, m.year, m.month FROM payment_manage m');
      await t.db.raw(
        'CREATE VIEW v_bill_dup AS SELECT m.id, m.house_id, m.money, m.fee_type, m.year, m.month FROM payment_manage m JOIN payment_record r ON r.manage_id = m.id',
      );
    });
    after(async () => t?.drop());

    const spring = () => structuredClone(springHost.mapping) as HostMapping;
    const codes = async (m: HostMapping) => (await checkHost(t.db, validateMapping(m))).problems;

    it('says that no way to tell paid bills is mapped', async () => {
      const m = spring();
      delete m.bill.paidBy;
      const p = (await codes(m)).find((x) => x.code === 'paid_state_unknown')!;
      expect(p).to.include({ entity: 'bill', severity: 'warning' });
      expect(p.message.en).to.contain('every bill will be treated as outstanding');
      expect(p.message['zh-CN']).to.contain('每张账单都会被当作未缴');
    });

    it('counts key values standing for none and lookups pointing at missing rows, with a sample', async () => {
      const problems = await codes(spring());
      const none = problems.find((x) => x.code === 'none_key_value')!;
      expect(none).to.include({ entity: 'unit', table: 'houses_info', column: 'building_id', severity: 'warning' });
      expect(none.message.en).to.contain('1 row(s) of houses_info have building_id = 0');
      const missing = problems.find((x) => x.code === 'lookup_missing')!;
      expect(missing).to.include({ entity: 'unit', column: 'building_id', severity: 'warning' });
      expect(missing.message.en).to.contain('2 row(s)').and.contain('e.g. 98, 99').and.contain('building_info');
      expect(missing.message['zh-CN']).to.contain('有 2 行').and.contain('98、99');
    });

    it('warns that labels repeat within a community when the label is the number alone', async () => {
      const m = spring();
      m.unit.columns.label = 'house_number';
      const p = (await codes(m)).find((x) => x.code === 'label_not_unique')!;
      expect(p).to.include({ entity: 'unit', severity: 'warning' });
      expect(p.message.en).to.contain('"1-101" in 幸福里小区 (2 units)');
      expect((await codes(spring())).map((x) => x.code)).to.not.include('label_not_unique');
    });

    it('accepts a view with a declared key after one bounded query, and names repeated keys without index advice', async () => {
      const m = spring();
      m.bill.table = 'v_bill';
      const ok = await checkHost(t.db, validateMapping(m));
      expect(
        ok.problems.filter((p) => p.entity === 'bill'),
        formatReport(ok, 'en'),
      ).to.deep.equal([]);
      const bills = await new HostGateway(t.db, validateMapping(m)).getBills(['64', '62']);
      expect(bills.get('62')!.paymentState).to.equal('paid');
      m.bill.table = 'v_bill_dup';
      m.bill.where = {};
      const dup = await checkHost(t.db, validateMapping(m));
      const p = dup.problems.find((x) => x.code === 'key_not_unique')!;
      expect(p).to.include({ entity: 'bill', table: 'v_bill_dup', severity: 'error' });
      expect(p.message.en).to.contain('view').and.contain('63 (2 rows)').and.not.contain('UNIQUE index');
      expect(dup.ok).to.equal(false);
    });

    it('filters with in lists and not values; a null column passes a not unless null is listed', async () => {
      const units = async (where: HostMapping['unit']['where']) => {
        const m = spring();
        m.unit.where = where;
        return [...(await new HostGateway(t.db, validateMapping(m)).getUnits(['2', '3', '10'])).keys()].sort();
      };
      expect(await units({ owner_id: { not: 2 } })).to.deep.equal(['10', '2']);
      expect(await units({ owner_id: { not: [2, null] } })).to.deep.equal(['2']);
      expect(await units({ owner_id: [1, 2] })).to.deep.equal(['2', '3']);
      expect(await units({ owner_id: [2, null] })).to.deep.equal(['10', '3']);
      const bills = async (where: HostMapping['bill']['where']) => {
        const m = spring();
        m.bill.where = where;
        return [...(await new HostGateway(t.db, validateMapping(m)).getBills(['64', '65'])).keys()].sort();
      };
      expect(await bills({ fee_type: { not: '水费' } })).to.deep.equal(['64']);
      expect(await bills({ fee_type: ['水费', '物业费'] })).to.deep.equal(['64', '65']);
    });

    it('refuses version 2 syntax in a file that does not say version 2, naming the field', () => {
      const m = spring() as unknown as Record<string, unknown>;
      delete m.version;
      try {
        validateMapping(m);
        expect.fail('should refuse');
      } catch (err) {
        const fields = (err as { fields: Array<{ field: string; message: { en: string } }> }).fields;
        expect(fields.map((f) => f.field)).to.include.members(['unit.lookups', 'unit.columns.label', 'bill.paidBy']);
        expect(fields.find((f) => f.field === 'bill.paidBy')!.message.en).to.contain('"version": 2');
      }
    });
  });
}

// Host tables in another database on the same server: `erp.owner_info`. MariaDB only (SQLite would need
// an ATTACHed file on every pooled connection).
if (mariadbAvailable) {
  describe('host tables in another database on the same server (mariadb)', function () {
    let t: Awaited<ReturnType<typeof mariadbKind.create>>;
    let other: string;
    let mapping: HostMapping;
    before(async () => {
      t = await mariadbKind.create();
      await springHost.create(t.db);
      const [[row]] = (await t.db.raw('SELECT DATABASE() AS db')) as [[{ db: string }]];
      other = `${row.db}_erp`;
      await t.db.raw('CREATE DATABASE ?? CHARACTER SET utf8mb4', [other]);
      for (const table of springHost.tables) await t.db.raw('RENAME TABLE ?? TO ??', [table, `${other}.${table}`]);
      const m = structuredClone(springHost.mapping) as HostMapping;
      m.owner.table = `${other}.owner_info`;
      m.unit.table = `${other}.houses_info`;
      m.unit.lookups!.building!.table = `${other}.building_info`;
      m.bill.table = `${other}.payment_manage`;
      m.bill.paidBy!.table = `${other}.payment_record`;
      mapping = validateMapping(m);
    });
    after(async () => {
      if (other) await t.db.raw('DROP DATABASE IF EXISTS ??', [other]);
      await t?.drop();
    });

    it('checks, installs beside and reads the host through schema-qualified names', async () => {
      const report = await checkHost(t.db, mapping);
      expect(report.problems, formatReport(report, 'en')).to.deep.equal([]);
      const before = await fingerprint(t.db, hostTablesOf(mapping));
      await install(t.db, mapping);
      const host = new HostGateway(t.db, mapping);
      expect((await host.getUnit('2'))!).to.include({ label: '1号楼1-101', communityName: '幸福里小区' });
      expect((await host.listUnpaidBills('2')).map((b) => b.id)).to.deep.equal(['64', '61']);
      expect((await host.billsOutsideMapping(['65', '64', '424242'])).has('65')).to.equal(true);
      expect(await fingerprint(t.db, hostTablesOf(mapping))).to.deep.equal(before);
      // Our tables are in the connection's own database, not in the host's.
      const [ours] = (await t.db.raw('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE ?', [
        other,
        'cmp\\_%',
      ])) as [[{ n: number }]];
      expect(Number(ours[0]!.n)).to.equal(0);
    });
  });
}
