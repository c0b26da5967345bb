// Cancelling a complaint withdraws its open offsets: read back as the auditor and the requester see it.
// Each withdrawn offset gets an audit row (the state it left, the money moved to revoked_fen, the
// cancellation named in the note) and a notice in the outbox with the amount withdrawn in fen; what was
// applied stays applied. Asked for by the mutation run of issue 22 (src/offsets/withdrawals.ts).
import { expect } from 'chai';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { people } from '../support/pluginHarness.js';
import { approvedOffset, assessedComplaint, offsetRow, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

const { counter, supervisor, cashier } = people;

for (const kind of databaseKinds) {
  describe(`cancelling a complaint withdraws its offsets, with audit rows and notices (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
    });
    after(async () => h?.close());
    afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

    it('a pending request and the rest of a used approval are withdrawn; the applied part stays', async () => {
      const c = await assessedComplaint(h, '101');
      const used = await approvedOffset(h, c.id, '20.00');
      await h.offsets.apply({ offsetId: used.id, billId: '1001', amountFen: 750, idempotencyKey: `${kind.kind}-wd-${used.id}` }, cashier);
      const pending = await h.offsets.raise({ complaintId: c.id, amount: '6.00', reason: '补偿' }, counter);
      const current = (await h.complaints.get(c.id, supervisor)).complaint;
      await h.complaints.transition(c.id, 'cancel', { version: current.version, cancelKind: 'registered_in_error', reason: '误登记' }, supervisor);
      const note = `投诉 ${c.code} 已撤销：误登记`;

      const u = await offsetRow(h.db, h, used.id);
      expect([u.status, Number(u.approved_fen), Number(u.remaining_fen), Number(u.revoked_fen), u.revoked_by, u.revoke_note]).to.deep.equal([
        'revoked',
        2000,
        0,
        1250,
        supervisor.id,
        note,
      ]);
      const p = await offsetRow(h.db, h, pending.id);
      expect([p.status, Number(p.remaining_fen), Number(p.revoked_fen), p.revoke_note]).to.deep.equal(['revoked', 0, 0, note]);
      const applied = (await h.db(h.ctx.tables.offsetApplications).where({ offset_id: used.id })) as Array<Record<string, any>>;
      expect(applied.map((a) => [a.state, Number(a.amount_fen)])).to.deep.equal([['applied', 750]]);

      const events = (await h.db(h.ctx.tables.events).where({ entity_type: 'offset', action: 'withdraw', complaint_id: c.id }).orderBy('entity_id')) as Array<
        Record<string, any>
      >;
      expect(events.map((e) => [Number(e.entity_id), e.from_state, e.to_state, e.actor_id, e.note, JSON.parse(e.changes)])).to.deep.equal([
        [used.id, 'approved', 'revoked', supervisor.id, note, { remaining_fen: [1250, 0], revoked_fen: [0, 1250] }],
        [pending.id, 'requested', 'revoked', supervisor.id, note, { remaining_fen: [0, 0], revoked_fen: [0, 0] }],
      ]);

      const notices = ((await h.db(h.ctx.tables.outbox).where({ topic: 'offset_decided' })) as Array<Record<string, any>>)
        .map((n) => JSON.parse(n.payload) as Record<string, unknown>)
        .filter((n) => n.reason === 'complaint_cancelled' && n.complaintId === c.id)
        .sort((a, b) => Number(a.offsetId) - Number(b.offsetId));
      expect(
        notices.map((n) => [n.offsetId, n.status, n.complaintCode, n.requestedFen, n.approvedFen, n.revokedFen, n.requestedBy, n.revokedBy, n.note]),
      ).to.deep.equal([
        [used.id, 'revoked', c.code, 2000, 2000, 1250, counter.id, supervisor.id, note],
        [pending.id, 'revoked', c.code, 600, null, 0, counter.id, supervisor.id, note],
      ]);
    });
  });
}
