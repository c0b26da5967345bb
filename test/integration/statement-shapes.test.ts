// The intake page's three reads (the unit with its owners, its unpaid bills, its open and latest complaints)
// are compiled once per shape and then sent as kept text with the call's values (src/db/statementShapes.ts).
// On both databases, for every unit of the hosts and for scoped and unscoped readers, what a kept shape reads
// must be what a fresh compilation reads; on MariaDB the kept shapes must really be in use.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { databaseKinds, mariadbKind } from '../support/databases.js';
import { HC, simpleHost, stringIdHost } from '../fixtures/hosts.js';
import { assessedComplaint, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';
import { people, person } from '../support/pluginHarness.js';
import { createDb } from '../../src/db/connection.js';
import { statementShapesOf } from '../../src/db/prepared.js';
import { unitComplaints } from '../../src/complaints/store/listing.js';
import { HostGateway } from '../../src/host/gateway.js';
import { validateMapping } from '../../src/host/mapping.js';
import type { Actor } from '../../src/auth/actor.js';

const hosts = [
  // Owners from a relation table (one joined read), string ids, bills by status.
  { fixture: stringIdHost, units: [...Object.values(HC.room), 'missing-room', '7520191007582600019'] },
  // Owners from the unit's own column, integer ids: a unit id that is not a number is never sent.
  { fixture: simpleHost, units: ['101', '102', '103', '104', '105', '106', '107', 'abc', '999'] },
];

for (const kind of databaseKinds) {
  for (const { fixture, units } of hosts) {
    describe(`the intake page's reads from kept statement shapes (${kind.kind}, ${fixture.name})`, function () {
      let h: OffsetHarness;
      /** A second client on the same database whose shapes are forgotten before every read: always compiled. */
      let fresh: Knex;

      before(async () => {
        h = await startOffsetHarness(kind, fixture);
        fresh = createDb(h.database.url);
        // Complaints on the first units, open ones and one replied and closed, for the panel's two ranges.
        for (const unit of units.slice(0, 3)) {
          const live = await h.ctx.host.getUnit(unit);
          if (!live) continue;
          await assessedComplaint(h, unit);
          await assessedComplaint(h, unit);
        }
      });
      after(async () => {
        await fresh?.destroy();
        await h?.close();
      });

      const compiled = async <T>(read: (db: Knex) => Promise<T>): Promise<T> => {
        statementShapesOf(fresh)?.clear();
        return read(fresh);
      };

      it('reads every unit with its owners and unpaid bills as a fresh compilation does, twice over', async () => {
        const mapping = validateMapping(fixture.mapping);
        const kept = new HostGateway(h.db, mapping);
        for (let round = 0; round < 2; round++) {
          for (const unit of units) {
            expect(await kept.getUnit(unit), `unit ${unit}`).to.deep.equal(await compiled((db) => new HostGateway(db, mapping).getUnit(unit)));
            expect(await kept.listUnpaidBills(unit, 12), `bills of ${unit}`).to.deep.equal(
              await compiled((db) => new HostGateway(db, mapping).listUnpaidBills(unit, 12)),
            );
          }
        }
        if (kind === mariadbKind) expect(statementShapesOf(h.db)?.trustedCount ?? 0).to.be.at.least(fixture === stringIdHost ? 2 : 1);
      });

      it("reads each unit's open and latest complaints as a fresh compilation does, for readers of every scope", async () => {
        const communities = [...new Set((await h.db(h.ctx.tables.complaints).distinct('community_id')).map((r) => String(r.community_id)))];
        const readers: Actor[] = [
          people.supervisor,
          person('supervisor', 'sup-scoped', '主管', communities.slice(0, 1)),
          person('supervisor', 'sup-other', '主管', ['no-such-community']),
          person('supervisor', 'sup-two', '主管', [...communities, 'no-such-community']),
        ];
        const before = statementShapesOf(h.db)?.trustedCount ?? 0;
        let seen = 0;
        for (let round = 0; round < 2; round++) {
          for (const actor of readers) {
            for (const unit of units) {
              const limits = { open: 20, recent: 10 };
              const got = await unitComplaints(h.db, h.ctx.tables, actor, unit, limits);
              expect(got, `${actor.id} on ${unit}`).to.deep.equal(await compiled((db) => unitComplaints(db, h.ctx.tables, actor, unit, limits)));
              seen += got.open.length + got.recent.length;
            }
          }
        }
        expect(seen, 'the panels read some complaints').to.be.greaterThan(0);
        if (kind === mariadbKind) expect(statementShapesOf(h.db)?.trustedCount ?? 0).to.be.greaterThan(before);
      });
    });
  }
}
