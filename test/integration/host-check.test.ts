// check-host against real host schemas on both databases: good mappings pass, each bad mapping fails
// naming the entity, column and problem, and the checker never changes a host table.
import { expect } from 'chai';
import { databaseKinds, type TestDatabase } from '../support/databases.js';
import { brokenCases, brokenHost, simpleHost, stringIdHost } from '../fixtures/hosts.js';
import { checksumTables } from '../support/checksum.js';
import { checkHost, formatReport, type HostCheckReport } from '../../src/host/check.js';
import { validateMapping } from '../../src/host/mapping.js';

const allTables = [...new Set([...brokenHost.tables, ...stringIdHost.tables])];

function errorsOf(report: HostCheckReport) {
  return report.problems.filter((p) => p.severity === 'error');
}

for (const kind of databaseKinds) {
  describe(`checkHost (${kind.kind})`, function () {
    let t: TestDatabase;
    let before0: Record<string, string>;

    before(async () => {
      t = await kind.create();
      await simpleHost.create(t.db);
      await stringIdHost.create(t.db);
      await brokenHost.create(t.db);
      before0 = await checksumTables(t.db, allTables);
    });
    after(async () => {
      await t?.drop();
    });

    it('passes simpleHost with no problems and counts only live rows', async () => {
      const report = await checkHost(t.db, validateMapping(simpleHost.mapping));
      expect(report.problems, JSON.stringify(report.problems, null, 1)).to.deep.equal([]);
      expect(report.ok).to.equal(true);
      expect(report.client).to.equal(kind.kind === 'sqlite' ? 'better-sqlite3' : 'mysql2');
      const rows = Object.fromEntries(report.entities.map((e) => [e.entity, e.rows]));
      // 4 owners with 1 soft-deleted; 7 units with 1 soft-deleted.
      expect(rows).to.deep.equal({ owner: 3, unit: 6, bill: 5, community: 2 });
      expect(report.entities.every((e) => e.ok)).to.equal(true);
    });

    it('passes stringIdHost: string ids, a unique key without a primary key, a relation table', async () => {
      const report = await checkHost(t.db, validateMapping(stringIdHost.mapping));
      expect(report.problems, JSON.stringify(report.problems, null, 1)).to.deep.equal([]);
      expect(report.ok).to.equal(true);
      const rows = Object.fromEntries(report.entities.map((e) => [e.entity, e.rows]));
      expect(rows).to.deep.equal({ owner: 4, unit: 3, bill: 4, community: 1, ownership: 6 });
      expect(report.entities.map((e) => e.table)).to.include('building_owner_room_rel');
    });

    for (const c of brokenCases()) {
      if (c.mysqlOnly && kind.kind !== 'mariadb') continue;
      it(`reports ${c.name} as ${c.expect.severity} ${c.expect.code} on ${c.expect.entity}`, async () => {
        const report = await checkHost(t.db, validateMapping(c.mapping));
        const found = report.problems.filter((p) => p.code === c.expect.code);
        expect(found, JSON.stringify(report.problems, null, 1)).to.have.length.greaterThan(0);
        const p = found[0]!;
        expect(p).to.include({ entity: c.expect.entity, severity: c.expect.severity });
        if (c.expect.column) expect(p.column).to.equal(c.expect.column);
        const table = report.entities.find((e) => e.entity === c.expect.entity)!.table;
        expect(p.table).to.equal(table);
        expect(p.message.en).to.contain(c.expect.entity).and.to.contain(table);
        if (c.expect.column) expect(p.message.en).to.contain(c.expect.column);
        expect(p.message['zh-CN'])
          .to.match(/[\u4e00-\u9fff]/)
          .and.to.contain(table);
        if (c.expect.severity === 'error') {
          expect(report.ok).to.equal(false);
          expect(report.entities.find((e) => e.entity === c.expect.entity)!.ok).to.equal(false);
        } else {
          expect(errorsOf(report), JSON.stringify(report.problems, null, 1)).to.deep.equal([]);
          expect(report.ok).to.equal(true);
        }
      });
    }

    it('says exactly which column is missing, in both languages', async () => {
      const m = structuredClone(simpleHost.mapping);
      m.unit.columns.label = 'room_num';
      const report = await checkHost(t.db, validateMapping(m));
      const p = report.problems.find((x) => x.code === 'column_missing')!;
      expect(p.message['zh-CN']).to.contain('unit 映射的表 units 中没有列 room_num');
      expect(p.message.en).to.contain('unit: table units has no column room_num');
      // The other entities are unaffected and still probed.
      expect(report.entities.find((e) => e.entity === 'owner')).to.include({ ok: true, rows: 3 });
      expect(report.entities.find((e) => e.entity === 'unit')!.rows).to.equal(undefined);
    });

    it('refuses a key that is part of a composite unique index only', async () => {
      const m = structuredClone(stringIdHost.mapping);
      m.owner.key = 'name';
      const report = await checkHost(t.db, validateMapping(m));
      expect(errorsOf(report).map((p) => [p.entity, p.code, p.column])).to.deep.equal([['owner', 'key_not_unique', 'name']]);
    });

    it('refuses a string reference to an integer key from the relation table', async () => {
      const m = structuredClone(stringIdHost.mapping);
      m.owner = structuredClone(simpleHost.mapping.owner);
      const report = await checkHost(t.db, validateMapping(m));
      const refs = report.problems.filter((p) => p.code === 'reference_type');
      expect(refs.map((p) => [p.entity, p.column])).to.deep.equal([['ownership', 'owner_id']]);
      expect(refs[0]!.message.en).to.contain('building_owner_room_rel.owner_id').and.to.contain('owners.id');
    });

    it('checks the optional payment table: columns and the reference to the bill key', async () => {
      const m = structuredClone(simpleHost.mapping);
      m.payment = { table: 'legacy_bills', key: 'id', columns: { bill: 'amount', offsetAmount: 'unit_id', offsetRef: 'offset_ref' } };
      const report = await checkHost(t.db, validateMapping(m));
      expect(report.problems.map((p) => [p.entity, p.code, p.column])).to.deep.equal([
        ['payment', 'column_missing', 'offset_ref'],
        ['payment', 'reference_type', 'amount'], // varchar pointing at the INT bill key
      ]);
      expect(report.entities.find((e) => e.entity === 'payment')).to.deep.equal({ entity: 'payment', table: 'legacy_bills', ok: false });
      expect(report.entities.filter((e) => e.entity !== 'payment').every((e) => e.ok)).to.equal(true);
    });

    it('warns about a phone number stored as an integer and a numeric where value on a text column', async () => {
      const m = structuredClone(simpleHost.mapping);
      m.owner.columns.phone = 'deleted'; // any integer column will do
      m.unit.where = { room_no: 5, is_deleted: 0 };
      const report = await checkHost(t.db, validateMapping(m));
      expect(report.problems.map((p) => [p.entity, p.code, p.severity])).to.deep.include.members([
        ['owner', 'integer_as_text', 'warning'],
        ['unit', 'where_type', 'warning'],
      ]);
      expect(report.ok).to.equal(true);
    });

    it('formats the report as one line per entity and one per problem, per locale', async () => {
      const m = structuredClone(simpleHost.mapping);
      m.unit.columns.label = 'room_num';
      m.bill.table = 'no_such_bills';
      const report = await checkHost(t.db, validateMapping(m));
      const en = formatReport(report, 'en');
      const zh = formatReport(report, 'zh-CN');
      expect(en).to.match(/^✔ owner\s+owners\s+3 live rows$/m);
      expect(en).to.match(/^✘ unit\s+units$/m);
      expect(en).to.match(/^\s+✘ \[error\] unit: table units has no column room_num/m);
      expect(en).to.match(/^\s+✘ \[error\] bill: table no_such_bills does not exist/m);
      expect(en).to.contain('FAILED');
      expect(zh).to.contain('未通过').and.to.contain('unit 映射的表 units 中没有列 room_num');
      const lines = en.split('\n');
      expect(lines.filter((l) => /^[✔✘] /.test(l))).to.have.length(report.entities.length);
      expect(lines.filter((l) => /^\s+[✘⚠] /.test(l))).to.have.length(report.problems.length);
      expect(formatReport(await checkHost(t.db, validateMapping(simpleHost.mapping)), 'en'))
        .to.contain('passed')
        .and.not.contain('✘');
    });

    it('leaves every host table byte-for-byte unchanged', async () => {
      for (const c of brokenCases()) await checkHost(t.db, validateMapping(c.mapping));
      await checkHost(t.db, validateMapping(stringIdHost.mapping));
      const after = await checksumTables(t.db, allTables);
      expect(Object.keys(after)).to.have.length(allTables.length);
      expect(Object.values(after)).to.not.include('absent');
      expect(after).to.deep.equal(before0);
    });

    it('the checksum itself notices a changed row', async () => {
      await t.db('int_bills').where('id', 1).update({ amount: 121 });
      const after = await checksumTables(t.db, ['int_bills', 'bills']);
      expect(after.int_bills).to.not.equal(before0.int_bills);
      expect(after.bills).to.equal(before0.bills);
      await t.db('int_bills').where('id', 1).update({ amount: 120 });
      expect((await checksumTables(t.db, ['int_bills'])).int_bills).to.equal(before0.int_bills);
    });
  });
}
