// Migration 20261128000910 on a database that already has complaints and notices, on both clients:
// keyed notices get their complaint id from the payload, complaints keep a NULL reply_due_at (the report
// then falls back to the old rule), and the migration rolls back and reapplies cleanly.
import { expect } from 'chai';
import { ManualClock } from '../../src/clock.js';
import { migrationStatus, migratorConfig } from '../../src/db/migrations.js';
import { enqueue } from '../../src/notifications/outbox.js';
import { databaseKinds, type TestDatabase } from '../support/databases.js';
import { PREFIX, integerHostKeys, jobContext } from '../support/jobsHarness.js';

const NAME = '20261128000910_add_reply_due_and_notice_subject';

for (const kind of databaseKinds) {
  describe(`migration ${NAME} (${kind.kind})`, function () {
    let t: TestDatabase;

    before(async () => {
      t = await kind.create();
    });
    after(async () => t?.drop());

    it('fills the complaint id of keyed notices, keeps old complaints as they were, and rolls back', async () => {
      const config = migratorConfig(t.db, PREFIX, integerHostKeys(t.db));
      const pending = async () => (await migrationStatus(t.db, PREFIX, integerHostKeys(t.db))).pending;
      while ((await pending())[0] !== NAME) await t.db.migrate.up(config);

      const ctx = jobContext(t.db, new ManualClock('2026-11-28T02:00:00Z'));
      const columns = async (table: string) => Object.keys(await t.db(table).columnInfo());
      expect(await columns(ctx.tables.outbox)).not.to.include('complaint_id');
      const complaintId = await t.db.transaction(async (trx) => {
        const [id] = await trx(ctx.tables.complaints).insert(complaintRow());
        return Number(id);
      });
      const now = ctx.clock.now();
      await t.db.transaction(async (trx) => {
        // Written as the code before this migration wrote them (no complaint_id column yet).
        await trx(ctx.tables.outbox).insert([
          {
            topic: 'overdue',
            payload: JSON.stringify({ complaintId, code: 'TS-1' }),
            dedupe_key: `overdue:handling:${complaintId}:x`,
            created_at: '2026-11-28 02:00:00.000',
            available_at: '2026-11-28 02:00:00.000',
            attempts: 0,
          },
          {
            topic: 'daily_digest',
            payload: JSON.stringify({ date: '2026-11-27', counts: {} }),
            dedupe_key: 'daily_digest:2026-11-27',
            created_at: '2026-11-28 02:00:00.000',
            available_at: '2026-11-28 02:00:00.000',
            attempts: 0,
          },
          {
            topic: 'assigned',
            payload: JSON.stringify({ complaintId }),
            dedupe_key: null,
            created_at: '2026-11-28 02:00:00.000',
            available_at: '2026-11-28 02:00:00.000',
            attempts: 0,
          },
          {
            topic: 'overdue',
            payload: JSON.stringify({ complaintId: 'not-a-number' }),
            dedupe_key: 'odd',
            created_at: '2026-11-28 02:00:00.000',
            available_at: '2026-11-28 02:00:00.000',
            attempts: 0,
          },
        ]);
      });

      await t.db.migrate.up(config);
      expect(await pending()).not.to.include(NAME);
      const rows = (await t.db(ctx.tables.outbox).orderBy('id')) as Array<Record<string, unknown>>;
      expect(rows.map((r) => (r.complaint_id === null ? null : Number(r.complaint_id)))).to.deep.equal([complaintId, null, null, null]);
      expect((await t.db(ctx.tables.complaints).where({ id: complaintId }).first()).reply_due_at).to.equal(null);
      // New rows carry it from the payload.
      await t.db.transaction((trx) => enqueue(trx, ctx.tables, 'escalated', { complaintId }, now, { dedupeKey: 'k-new' }));
      expect(Number((await t.db(ctx.tables.outbox).where({ dedupe_key: 'k-new' }).first()).complaint_id)).to.equal(complaintId);
      // Stored as the code of that time stored it (later migrations add columns today's code writes).
      const [stamped] = await t.db(ctx.tables.complaints).insert({ ...complaintRow(), code: 'TS-20261127-0002', reply_due_at: '2026-11-30 02:00:00.000' });
      expect(String((await t.db(ctx.tables.complaints).where({ id: stamped }).first()).reply_due_at)).to.match(/^2026-11-30 02:00:00/);

      await t.db.migrate.down(config);
      expect(await columns(ctx.tables.outbox)).not.to.include('complaint_id');
      expect(await columns(ctx.tables.complaints)).not.to.include('reply_due_at');
      await t.db.migrate.up(config);
      expect(await columns(ctx.tables.outbox)).to.include('complaint_id');
      expect(await columns(ctx.tables.complaints)).to.include('reply_due_at');
    });
  });
}

/** A complaint row as the code before the migration stored it. */
function complaintRow(): Record<string, unknown> {
  const at = '2026-11-27 02:00:00.000';
  return {
    code: 'TS-20261127-0001',
    version: 1,
    state: 'received',
    unit_id: 101,
    unit_label: '1-101',
    community_id: 1,
    complainant_name: '王女士',
    complainant_phone: '13800000000',
    complainant_relation: 'owner',
    channel: 'phone',
    category: 'facilities',
    description: '电梯反复停运',
    threatened_withholding: 0,
    received_at: at,
    received_by: 'u1',
    received_by_name: '前台',
    original_received_at: at,
    due_at: '2026-11-29 02:00:00.000',
    created_at: at,
    created_by: 'u1',
    updated_at: at,
    updated_by: 'u1',
    updated_by_name: '前台',
  };
}
