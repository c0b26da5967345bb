// The embedded demo: a demo ERP installed through its mapping file, with the worked cases seeded once.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb } from '../../src/db/connection.js';
import { createDemoErp, demoErpExists, DEMO_HOST_TABLES } from '../../src/demo/demoErp.js';
import { seedDemoComplaints } from '../../src/demo/demoComplaints.js';
import { DEMO_MAPPING_FILE, demoCreatedLines } from '../../src/cli/commands/demo.js';
import { loadMappingFile } from '../../src/host/mapping.js';
import { createComplaintsPlugin } from '../../src/plugin/createPlugin.js';
import { checksumTables } from '../support/checksum.js';

describe('embedded demo (SQLite)', function () {
  this.timeout(60000);
  const dir = mkdtempSync(join(tmpdir(), 'cmp-demo-'));
  const db = createDb(`sqlite:${join(dir, 'demo.sqlite')}`);
  after(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a demo ERP with hundreds of units, two-owner units and twelve months of bills', async () => {
    const made = await createDemoErp(db, new Date('2026-11-28T00:00:00Z'));
    expect(made.rooms).to.be.greaterThanOrEqual(300);
    expect(made.bills).to.equal(made.rooms * 12);
    const twoOwners = await db('erp_room_owner').where({ status: 'active' }).groupBy('room_id').havingRaw('count(*) = 2').select('room_id');
    expect(twoOwners.length).to.be.greaterThan(10);
    expect(await demoErpExists(db)).to.equal(true);
    // The start-up lines explain why the mapping check counts fewer owners than were made: former owners
    // are kept by the ERP marked deleted, and the check counts live rows only.
    const deleted = Number(((await db('erp_owner').where({ is_deleted: 1 }).count({ n: '*' })) as Array<{ n: number }>)[0]!.n);
    expect(made.formerOwners).to.equal(deleted).and.be.greaterThan(0);
    const plugin = createComplaintsPlugin({ knex: db, mapping: loadMappingFile(DEMO_MAPPING_FILE), auth: () => null });
    const ownerRows = (await plugin.checkHost()).entities.find((e) => e.entity === 'owner')!.rows;
    expect(ownerRows).to.equal(made.owners - made.formerOwners);
    const lines = demoCreatedLines(made).join('\n');
    expect(lines)
      .to.include(`${made.owners} 位业主`)
      .and.include(`其中 ${made.formerOwners} 位是已卖房的前业主`)
      .and.include(`业主显示为 ${ownerRows} 位现业主`)
      .and.include(`so it shows ${ownerRows} current owners`);
  });

  it('installs the plugin through the demo mapping file with a clean check, seeds the worked cases once, and leaves the ERP unchanged', async () => {
    const before = await checksumTables(db, DEMO_HOST_TABLES);
    const plugin = createComplaintsPlugin({ knex: db, mapping: loadMappingFile(DEMO_MAPPING_FILE), auth: () => null });
    await plugin.install();
    const report = await plugin.checkHost();
    expect(report.ok).to.equal(true);
    expect(report.problems).to.deep.equal([]);
    expect(await seedDemoComplaints(plugin)).to.equal(6);
    const states = (await db(plugin.context.tables.complaints).select('state').orderBy('id')).map((r: { state: string }) => r.state);
    expect(states).to.deep.equal(['processing', 'resolved', 'investigating', 'closed', 'resolved', 'received']);
    expect(await db(plugin.context.tables.offsets).where({ status: 'requested' }).count({ n: '*' }).first()).to.deep.include({ n: 1 });
    // The garage case: the insurer's payment recorded as compensation on the closed complaint.
    const paid = await db(plugin.context.tables.compensations).select('payer', 'amount_fen', 'reference');
    expect(paid).to.deep.equal([{ payer: 'insurer', amount_fen: 85000, reference: 'BX-DEMO-0001' }]);
    expect(await seedDemoComplaints(plugin)).to.equal(0);
    expect(await checksumTables(db, DEMO_HOST_TABLES)).to.deep.equal(before);
  });
});
