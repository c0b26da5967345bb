// The intake page's unit panel and the cashier's unit view (src/units/panel.ts), read in ONE statement where
// the host reader offers its reads as parts (src/db/shapedReads.ts), else as separate reads. On both
// databases, for a host with an ownership table, a host with an owner column and a host reader without
// parts; for every unit (missing, deleted, out of scope, another spelling of its key, more owners than one
// part holds) and readers of every scope: the panel must be exactly what the separate reads give (the unit
// with its owners in their order, its complaints, its unpaid bills in their order), and once its shape is
// kept it must be one statement.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { databaseKinds, mariadbKind } from '../support/databases.js';
import { HC, simpleHost, stringIdHost } from '../fixtures/hosts.js';
import { assessedComplaint, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';
import { people, person } from '../support/pluginHarness.js';
import { statementsSent } from '../support/statements.js';
import { createDb } from '../../src/db/connection.js';
import { statementShapesOf } from '../../src/db/prepared.js';
import { unitComplaints } from '../../src/complaints/store/listing.js';
import { HostGateway, OWNER_ROWS } from '../../src/host/gateway.js';
import { validateMapping } from '../../src/host/mapping.js';
import { canSeeCommunity, hasPermission } from '../../src/auth/permissions.js';
import { readUnitPanel, type UnitPanelData, type UnitPanelLimits } from '../../src/units/panel.js';
import type { Actor } from '../../src/auth/actor.js';
import type { PluginContext } from '../../src/common/context.js';
import type { HostReader } from '../../src/host/reader.js';

const MANY_OWNERS = '752019100758269999';
const SHUFFLED = '752019100758269998';
const limits = { bills: 12, complaints: { open: 20, recent: 10 } };

/** stringIdHost plus a room with more owners than one part holds, and a room whose owners and bills were written out of order. */
async function addRooms(db: Knex): Promise<void> {
  await db('building_room').insert([
    { room_id: MANY_OWNERS, room_num: '9-9-901', community_id: HC.community.live, status_cd: '0' },
    { room_id: SHUFFLED, room_num: '9-9-902', community_id: HC.community.live, status_cd: '0' },
  ]);
  const many = Array.from({ length: OWNER_ROWS + 1 }, (_, i) => `7720199999${String(i).padStart(8, '0')}`);
  const shuffled = ['772019888800000007', '772019888800000002', '772019888800000009', '772019888800000001', '772019888800000005'];
  const owners = [...many, ...shuffled];
  for (let i = 0; i < owners.length; i += 100) {
    await db('building_owner').insert(
      owners.slice(i, i + 100).map((id, j) => ({ member_id: id, name: `业主${i + j}`, link: `1380000${String(i + j).padStart(4, '0')}`, status_cd: '0' })),
    );
  }
  const rels = [...many.map((owner) => ({ owner, room: MANY_OWNERS })), ...shuffled.map((owner) => ({ owner, room: SHUFFLED }))];
  for (let i = 0; i < rels.length; i += 100) {
    await db('building_owner_room_rel').insert(
      rels.slice(i, i + 100).map((r, j) => ({ rel_id: `90${String(i + j).padStart(6, '0')}`, owner_id: r.owner, room_id: r.room, status_cd: '0' })),
    );
  }
  // Fourteen unpaid bills, more than the panel shows, keys written in no order.
  const fees = [13, 2, 9, 14, 1, 7, 11, 4, 12, 3, 8, 6, 10, 5].map((n) => ({
    fee_id: `90202099${String(n).padStart(10, '0')}`,
    payer_obj_id: SHUFFLED,
    amount: 100 * n,
    state: '2008001',
    status_cd: '0',
  }));
  await db('pay_fee').insert(fees);
}

const simpleUnits = ['101', '102', '103', '104', '105', '106', '107', ' 101', 'abc', '999'];
const hosts = [
  // Owners from a relation table: the one-statement read.
  { fixture: stringIdHost, joined: true, units: [...Object.values(HC.room), MANY_OWNERS, SHUFFLED, `${HC.room.twoOwners} `, 'missing-room'] },
  // Owners from the unit's own column: one statement too.
  { fixture: simpleHost, joined: true, units: simpleUnits },
  // A host reader that does not offer its reads as parts (the method is optional): the unit first, then the rest.
  { fixture: simpleHost, joined: false, units: simpleUnits },
];

for (const kind of databaseKinds) {
  for (const { fixture, joined, units } of hosts) {
    describe(`the unit panel (${kind.kind}, ${fixture.name}${joined ? '' : ', a host reader without parts'})`, function () {
      let h: OffsetHarness;
      /** The plugin's context, or one whose host reader offers no parts. */
      let ctx: PluginContext;
      /** A second client whose shapes are forgotten before every read: the reference reads, always compiled. */
      let fresh: Knex;

      before(async () => {
        h = await startOffsetHarness(kind, fixture);
        if (fixture === stringIdHost) await addRooms(h.db);
        fresh = createDb(h.database.url);
        ctx = joined ? h.ctx : { ...h.ctx, host: Object.create(h.ctx.host, { unitPanelReads: { value: undefined } }) as HostReader };
        for (const unit of units.slice(0, 3)) {
          if (!(await h.ctx.host.getUnit(unit))) continue;
          await assessedComplaint(h, unit);
          await assessedComplaint(h, unit);
        }
      });
      after(async () => {
        await fresh?.destroy();
        await h?.close();
      });

      /** The panel as separate reads: the unit, then its complaints and its unpaid bills by its own key. */
      const separately = async (actor: Actor, unitId: string, asked: UnitPanelLimits = limits): Promise<UnitPanelData | null> => {
        statementShapesOf(fresh)?.clear();
        const host = new HostGateway(fresh, validateMapping(fixture.mapping));
        const unit = await host.getUnit(unitId);
        if (!unit || !canSeeCommunity(actor, unit.communityId)) return null;
        const complaints =
          hasPermission(actor, 'complaint.view') && asked.complaints
            ? await unitComplaints(fresh, h.ctx.tables, actor, unit.id, asked.complaints)
            : { open: [], recent: [] };
        return { unit, bills: await host.listUnpaidBills(unit.id, asked.bills), ...complaints };
      };

      it('reads every unit as the separate reads do, for readers of every scope, twice over', async () => {
        const readers: Actor[] = [
          people.supervisor,
          people.counter,
          person('supervisor', 'sup-scoped', '主管', [HC.community.live, '1']),
          person('supervisor', 'sup-other', '主管', ['no-such-community']),
          person('visitor', 'no-complaints', '访客'),
        ];
        let panels = 0;
        for (let round = 0; round < 2; round++) {
          for (const actor of readers) {
            for (const unit of units) {
              const got = await readUnitPanel(ctx, actor, unit, limits);
              expect(got, `${actor.id} on "${unit}"`).to.deep.equal(await separately(actor, unit));
              if (got) panels++;
              // The cashier's unit view: the unit and its bills only.
              const cashier = { bills: 24 };
              expect(await readUnitPanel(ctx, actor, unit, cashier), `${actor.id} at the cashier on "${unit}"`).to.deep.equal(
                await separately(actor, unit, cashier),
              );
            }
          }
        }
        expect(panels, 'some panels were read').to.be.greaterThan(10);
      });

      if (fixture === stringIdHost) {
        it('keeps the owners and the bills in their order, and reads a unit with more owners than a part holds', async () => {
          const shuffled = await readUnitPanel(ctx, people.supervisor, SHUFFLED, limits);
          expect(shuffled!.unit.owners.map((o) => o.id)).to.deep.equal([...shuffled!.unit.owners.map((o) => o.id)].sort());
          expect(shuffled!.unit.owners).to.have.length(5);
          expect(shuffled!.bills.map((b) => b.amountFen)).to.deep.equal([1400, 1300, 1200, 1100, 1000, 900, 800, 700, 600, 500, 400, 300]);
          const many = await readUnitPanel(ctx, people.supervisor, MANY_OWNERS, limits);
          expect(many!.unit.owners).to.have.length(OWNER_ROWS + 1);
        });
      }

      it(joined ? 'is one statement once its shape is kept' : 'reads the unit first, then the rest', async () => {
        const unit = fixture === stringIdHost ? HC.room.twoOwners : '101';
        expect((await readUnitPanel(ctx, people.supervisor, unit, limits))?.unit.owners, 'the unit has owners to read').to.not.be.empty;
        for (let i = 0; i < 3; i++) await readUnitPanel(ctx, people.supervisor, unit, limits);
        const sent = await statementsSent(h.db, () => readUnitPanel(ctx, people.supervisor, unit, limits));
        if (joined) expect(sent, sent.join('\n')).to.have.length(1);
        else expect(sent.length).to.be.at.least(3);
        if (joined && kind === mariadbKind) expect(statementShapesOf(h.db)?.trustedCount ?? 0).to.be.greaterThan(0);
      });
    });
  }
}
