// Reads sent as prepared statements (src/db/prepared.ts) come back in MySQL's binary protocol, plain ones in
// its text protocol. Whatever a host's columns are, both must give our code the same values: a single-
// precision FLOAT did not (12.300000190734863 against "12.3"), so a host with a FLOAT amount column in yuan
// (accepted, with check-host's warning) had every billing check and application fail as "more than two
// decimals" once the check's read was prepared.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { HC, stringIdHost, type HostFixture } from '../fixtures/hosts.js';
import { mariadbAvailable, mariadbKind, type TestDatabase } from '../support/databases.js';
import { approvedOffset, assessedComplaint, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';
import { people } from '../support/pluginHarness.js';
import { selectPrepared, selectShaped, statementShapesOf } from '../../src/db/prepared.js';
import { applyOffset } from '../../src/offsets/apply.js';

/** stringIdHost with its bill amounts in yuan, in a single-precision FLOAT column (MySQL). */
const floatAmountHost: HostFixture = {
  ...stringIdHost,
  name: 'floatAmountHost',
  mapping: { ...stringIdHost.mapping, bill: { ...stringIdHost.mapping.bill, amountUnit: 'yuan' } },
  async create(db) {
    await stringIdHost.create(db);
    await db.raw('ALTER TABLE pay_fee MODIFY amount FLOAT NOT NULL');
    // ¥123.45 is 123.44999694824219 as a float; the server's text for it is "123.45".
    await db('pay_fee').update({ amount: db.raw('amount / 100') });
    await db('pay_fee').where({ fee_id: HC.fee.unpaid1 }).update({ amount: 123.45 });
  },
};

/** Every column type a host table is likely to use, with values where the two protocols could part. */
const TYPES_TABLE = `CREATE TABLE cmp_test_column_types (
  id INT NOT NULL PRIMARY KEY, big BIGINT UNSIGNED, small TINYINT(1), medium MEDIUMINT UNSIGNED,
  dec2 DECIMAL(12,2), single FLOAT, single_scaled FLOAT(7,2), dbl DOUBLE,
  day DATE, moment DATETIME(3), stamp TIMESTAMP NULL, clock TIME, yr YEAR,
  code CHAR(3), label VARCHAR(40) CHARACTER SET utf8mb4, note TEXT, pick ENUM('a','b'), picks SET('p','q'),
  flags BIT(3), doc JSON, raw BLOB
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

const TYPE_ROWS = [
  {
    id: 1,
    big: '18446744073709551615',
    small: 1,
    medium: 16777215,
    dec2: '12345678.90',
    single: 123.45,
    single_scaled: 12.3,
    dbl: 0.1,
    day: '2026-01-02',
    moment: '2026-01-02 03:04:05.600',
    stamp: '2026-01-02 03:04:05',
    clock: '10:11:12',
    yr: 2026,
    code: 'ab',
    label: '1号楼 🏠',
    note: '业主说',
    pick: 'b',
    picks: 'p,q',
    flags: Buffer.from([5]),
    doc: '{"x": 1}',
    raw: Buffer.from('abc'),
  },
  { id: 2, single: 123456.78, single_scaled: 0.1, dbl: 1e300 },
];

async function bothWays(db: Knex, sql: string, bindings: Knex.Value[]) {
  const [plain] = (await db.raw(sql, bindings)) as [unknown[]];
  const prepared = await selectPrepared(db, sql, bindings);
  return { plain, prepared };
}

(mariadbAvailable ? describe : describe.skip)('prepared reads give what plain reads give (mariadb)', function () {
  this.timeout(60000);
  // One database for the column types and the comparisons (the FLOAT host below has its own harness).
  let database: TestDatabase;
  let db: Knex;
  before(async () => {
    database = await mariadbKind.create();
    db = database.db;
  });
  after(async () => database?.drop());

  describe('on every column type', () => {
    before(async () => {
      await db.raw(TYPES_TABLE);
      await db('cmp_test_column_types').insert(TYPE_ROWS);
    });

    it('reads a table without FLOAT columns prepared, with the same values as the plain read', async () => {
      const sql =
        'SELECT id, big, small, medium, dec2, dbl, day, moment, stamp, clock, yr, code, label, note, pick, picks, flags, doc, raw FROM cmp_test_column_types WHERE id >= ? ORDER BY id';
      const { plain, prepared } = await bothWays(db, sql, [1]);
      expect(prepared, 'sent prepared').to.not.equal(null);
      expect(prepared).to.deep.equal(plain);
    });

    it('sends a read whose result holds a FLOAT column plain (as the caller then does), and keeps sending it plain', async () => {
      const sql = 'SELECT id, single, single_scaled, dec2 FROM cmp_test_column_types WHERE id >= ? ORDER BY id';
      const { plain, prepared } = await bothWays(db, sql, [1]);
      expect(prepared, 'the binary protocol would read 123.45 as 123.44999694824219').to.equal(null);
      expect((plain as Array<Record<string, unknown>>).map((r) => [r.single, r.single_scaled])).to.deep.equal([
        [123.45, 12.3],
        [123457, 0.1],
      ]);
      const [[before]] = (await db.raw("SHOW GLOBAL STATUS LIKE 'Com_stmt_prepare'")) as [Array<{ Value: string }>];
      expect(await selectPrepared(db, sql, [1])).to.equal(null);
      const [[after]] = (await db.raw("SHOW GLOBAL STATUS LIKE 'Com_stmt_prepare'")) as [Array<{ Value: string }>];
      expect(Number(after!.Value) - Number(before!.Value), 'not prepared again').to.equal(0);
      // Through the query builder's helper the caller gets the plain rows, compiled (the first two calls)
      // and from the kept shape (the third).
      for (const from of [1, 0, -1]) {
        const read = () => db('cmp_test_column_types').select('id', 'single').where('id', '>=', from).orderBy('id');
        expect(await selectShaped(db, 'float-columns', [from], read), `from ${from}`).to.deep.equal([
          { id: 1, single: 123.45 },
          { id: 2, single: 123457 },
        ]);
      }
      expect(statementShapesOf(db)?.trustedCount).to.be.at.least(1);
    });
  });

  describe('on the comparisons a host query binds', () => {
    before(async () => {
      // A utf8mb3 text key under a case- and accent-folding, PAD SPACE collation; an integer key; money as
      // DECIMAL; a status kept as text but mapped with numbers.
      await db.raw(
        'CREATE TABLE cmp_test_host_bills (id INT NOT NULL PRIMARY KEY, code VARCHAR(20) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci NOT NULL, ' +
          'amount DECIMAL(12,2) NOT NULL, status VARCHAR(4) NOT NULL, KEY (code)) ENGINE=InnoDB',
      );
      await db('cmp_test_host_bills').insert([
        { id: 7, code: 'Fee-7', amount: '12.30', status: '0' },
        { id: 8, code: 'fee-8', amount: '0.10', status: '1' },
        { id: 9, code: 'Fée-9', amount: '120.00', status: '00' },
      ]);
    });

    const conditions: Array<[string, string, Knex.Value[]]> = [
      ['an integer key given as text, with leading zeros', 'id IN (?, ?)', ['007', '8']],
      ['a text key, other case and a trailing space', 'code = CONVERT(? USING utf8mb3) COLLATE utf8mb3_general_ci', ['FEE-7 ']],
      ['a text key, without its accent', 'code = CONVERT(? USING utf8mb3) COLLATE utf8mb3_general_ci', ['fee-9']],
      ['a text status compared with a number', 'status = ?', [0]],
      ['a DECIMAL amount compared with a fraction', 'amount = ?', [12.3]],
      ['a DECIMAL amount compared with a sum', 'amount < ?', [0.1 + 0.2]],
      ['a limit', '1 = 1 ORDER BY id LIMIT ?', [2]],
    ];
    for (const [what, where, bindings] of conditions) {
      it(`finds the same rows either way: ${what}`, async () => {
        const { plain, prepared } = await bothWays(db, `SELECT id FROM cmp_test_host_bills WHERE ${where}`, bindings);
        expect(prepared, 'sent prepared').to.not.equal(null);
        expect(prepared).to.deep.equal(plain);
        expect((plain as unknown[]).length, 'the condition matches something').to.be.greaterThan(0);
      });
    }
  });

  describe('a host whose bill amounts are yuan in a FLOAT column', () => {
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(mariadbKind, floatAmountHost);
    });
    after(async () => h?.close());

    it('checks and applies an offset on a bill of ¥123.45, and lists it as unpaid for the counter', async () => {
      const c = await assessedComplaint(h, HC.room.twoOwners);
      const o = await approvedOffset(h, c.id, '3.00');
      for (let i = 0; i < 2; i++) {
        // Twice: the first read finds the FLOAT column, the second is sent plain from the start.
        const answer = await h.offsets.check({ billId: HC.fee.unpaid1, offsets: [{ offsetId: o.id, amountFen: 100 }] });
        expect([answer.amountFen, answer.offsets.map((v) => v.code)]).to.deep.equal([12345, ['allowed']]);
      }
      const applied = await applyOffset(h.ctx, { offsetId: o.id, billId: HC.fee.unpaid1, amountFen: 100, idempotencyKey: 'float-1' }, people.cashier);
      expect([applied.amountFen, applied.remainingFen]).to.deep.equal([100, 200]);
      const unpaid = await h.ctx.host.listUnpaidBills(HC.room.twoOwners);
      expect(unpaid.find((b) => b.id === HC.fee.unpaid1)?.amountFen).to.equal(12345);
    });
  });
});
