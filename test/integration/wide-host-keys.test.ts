// A host whose keys are long text (VARCHAR(255) utf8mb4: 1,020 bytes each on MySQL). Our columns copy the
// host key's type, so an index of ours over several host ids can pass InnoDB's 3,072-byte limit: the
// covering index of the billing check (unit, owner and community ids together) cannot be made there. The
// install still succeeds (that index falls back to the unit, state and id alone), and the check answers
// the same, reading the open complaints' rows from the table.
import { expect } from 'chai';
import { HC, stringIdHost, type HostFixture } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { approvedOffset, assessedComplaint, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';
import { isMysql } from '../../src/db/connection.js';
import { indexColumns } from '../../src/db/schema.js';

const WIDE = 'VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci';

/** stringIdHost with every key and reference column widened to VARCHAR(255) utf8mb4 (on MySQL). */
const wideKeyHost: HostFixture = {
  ...stringIdHost,
  name: 'wideKeyHost',
  async create(db) {
    await stringIdHost.create(db);
    if (!isMysql(db)) return;
    // Each key and reference column, and whether the host lets it be empty.
    const widen: Array<[string, Array<[string, 'NULL' | 'NOT NULL']>]> = [
      ['building_owner', [['member_id', 'NOT NULL']]],
      [
        'building_room',
        [
          ['room_id', 'NOT NULL'],
          ['community_id', 'NULL'],
        ],
      ],
      [
        'building_owner_room_rel',
        [
          ['owner_id', 'NOT NULL'],
          ['room_id', 'NOT NULL'],
        ],
      ],
      [
        'pay_fee',
        [
          ['fee_id', 'NOT NULL'],
          ['payer_obj_id', 'NOT NULL'],
        ],
      ],
      ['s_community', [['community_id', 'NOT NULL']]],
    ];
    for (const [table, columns] of widen) {
      await db.raw(`ALTER TABLE ?? ${columns.map(([c, nullable]) => `MODIFY ${db.raw('??', [c]).toQuery()} ${WIDE} ${nullable}`).join(', ')}`, [table]);
    }
  },
};

for (const kind of databaseKinds) {
  describe(`a host with long text keys (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, wideKeyHost);
    });
    after(async () => h?.close());

    it('installs, and the billing check warns of the unit’s open complaints and allows an approved offset', async () => {
      const indexed = await indexColumns(h.db, 'cmp_complaints', 'cmp_complaints_unit_open_facts_idx');
      // Too long to cover on MySQL here: the unit, state and id alone. SQLite has no such limit.
      expect(indexed).to.deep.equal(
        isMysql(h.db) ? ['unit_id', 'state', 'id'] : ['unit_id', 'state', 'id', 'code', 'owner_id', 'community_id', 'dispute_type', 'threatened_withholding'],
      );
      const c = await assessedComplaint(h, HC.room.twoOwners, { threatenedWithholding: true });
      const o = await approvedOffset(h, c.id, '3.00');
      const answer = await h.offsets.check({ billId: HC.fee.unpaid1, offsets: [{ offsetId: o.id, amountFen: 100 }] });
      expect(answer.offsets.map((v) => v.code)).to.deep.equal(['allowed']);
      expect(answer.warnings.map((w) => [w.code, w.complaintId])).to.deep.equal([
        ['open_complaint', c.id],
        ['withholding_threat', c.id],
      ]);
    });
  });
}
