// No page the counter and the supervisor open every day makes MariaDB write a temporary table to disk.
// MariaDB materialises a derived table, a UNION or a sort over a join in an in-memory table, unless a row
// holds a TEXT column (a complaint's description, findings, plan, reply): then the table goes to disk, on
// every request. The intake page's unit panel did that twice per view (its two UNION branches read whole
// complaint rows; 1.2 ms of server time against 0.4 ms with ids first, on the bench's million). Counted as
// the server counts it (Created_tmp_disk_tables), on every connection of the plugin's pool, page by page.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { mariadbAvailable, mariadbKind } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { intakeForm, staff, startPageHarness, type PageClient, type PageHarness } from '../support/pageHarness.js';

interface PooledConnection {
  query(sql: string, callback: (err: Error | null, rows: Array<{ Value: string }>) => void): void;
}

/** Created_tmp_disk_tables summed over the pool's open connections (each counts its own session). */
async function diskTables(db: Knex): Promise<number> {
  const pool = (db.client as { pool: { free: Array<{ resource: PooledConnection }>; used: Array<{ resource: PooledConnection }> } }).pool;
  expect(pool.used, 'every connection is back in the pool between pages').to.have.length(0);
  let total = 0;
  for (const { resource } of pool.free) {
    const rows = await new Promise<Array<{ Value: string }>>((resolve, reject) =>
      resource.query("SHOW SESSION STATUS LIKE 'Created_tmp_disk_tables'", (err, r) => (err ? reject(err) : resolve(r))),
    );
    total += Number(rows[0]?.Value ?? 0);
  }
  return total;
}

(mariadbAvailable ? describe : describe.skip)('temporary tables on disk (mariadb)', function () {
  this.timeout(60000);
  let h: PageHarness;
  let counter: PageClient;
  let supervisor: PageClient;
  let cashier: PageClient;
  let manager: PageClient;
  let complaintId = 0;

  before(async () => {
    h = await startPageHarness(mariadbKind, simpleHost);
    counter = h.client();
    await counter.signIn(staff.counter);
    supervisor = h.client();
    await supervisor.signIn(staff.supervisor);
    cashier = h.client();
    await cashier.signIn(staff.cashier);
    manager = h.client();
    await manager.signIn(staff.manager);
    // Complaints on one unit with long free text, so every read of them carries TEXT values.
    for (let i = 0; i < 3; i++) {
      await counter.get('/new?unit=101');
      const res = await counter.post('/new', intakeForm({ description: `2号楼电梯一周内第${i + 1}次停运，老人上下楼困难。`.repeat(20) }));
      expect(res.status, res.text.slice(0, 2000)).to.equal(303);
      complaintId = Number(/\/c\/(\d+)\/slip/.exec(res.location!)![1]);
    }
  });
  after(async () => h?.close());

  const pages: Array<{ name: string; path: () => string; as: () => PageClient }> = [
    { name: 'the intake page with the unit panel', path: () => '/new?unit=101', as: () => counter },
    { name: 'the list', path: () => '/list', as: () => counter },
    { name: 'the list filtered by state, newest first', path: () => '/list?state=received&sort=-receivedAt', as: () => supervisor },
    { name: "a complaint's page", path: () => `/c/${complaintId}`, as: () => supervisor },
    { name: 'the slip', path: () => `/c/${complaintId}/slip`, as: () => counter },
    { name: 'my work', path: () => '/mine', as: () => supervisor },
    { name: 'the cashier page for the unit', path: () => '/cashier?unit=101', as: () => cashier },
    { name: 'the offsets page', path: () => '/offsets', as: () => manager },
    { name: "the month's report", path: () => '/report', as: () => manager },
    { name: 'the workbench', path: () => '/', as: () => supervisor },
    { name: 'the incidents page', path: () => '/incidents', as: () => supervisor },
    { name: 'the improvements page', path: () => '/improvements', as: () => manager },
    { name: 'the list as CSV', path: () => '/list.csv', as: () => counter },
    { name: 'the ledger export', path: () => '/list/export.csv', as: () => manager },
  ];
  for (const page of pages) {
    it(`${page.name} writes none`, async () => {
      const client = page.as();
      await client.get(page.path()); // settings and host descriptions are read once, then kept
      const before = await diskTables(h.db);
      const res = await client.get(page.path());
      expect(res.status, res.text.slice(0, 2000)).to.equal(200);
      expect((await diskTables(h.db)) - before, `${page.path()}: on-disk temporary tables`).to.equal(0);
    });
  }

  it('the check counts them (the intake read as it was: whole rows in each UNION branch)', async () => {
    // The measuring stick itself: the shape the intake page used to send makes one per derived table.
    const before = await diskTables(h.db);
    const wholeRows = (name: string, limit: number) =>
      h.db.select('*').from(
        h
          .db('cmp_complaints')
          .select('*', h.db.raw(`'${name}' as part`))
          .where('unit_id', '101')
          .orderBy('received_at', 'desc')
          .limit(limit)
          .as(name),
      );
    await wholeRows('open', 20).unionAll(wholeRows('recent', 10));
    expect((await diskTables(h.db)) - before).to.equal(2);
  });
});
