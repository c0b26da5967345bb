// Raising an offset request, read back as the approver and the auditor see it: the audit row (state,
// amount in fen, the bills and expiry it is limited to, the reason), the notice to approvers in the
// outbox, the field-by-field refusals of a bad request, and the idempotency key's replay and refusal.
// The mutation run (issue 22) is what asked for these: nothing read them back.
import { expect } from 'chai';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { people } from '../support/pluginHarness.js';
import { assessedComplaint, countRows, refused, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';
import type { Complaint } from '../../src/complaints/types.js';

const { counter, counter2 } = people;

for (const kind of databaseKinds) {
  describe(`offset requests: audit row, notice, refusals per field, idempotency key (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    let c: Complaint; // unit 101: bills 1001, 1002; bill 1004 belongs to unit 102
    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
      c = await assessedComplaint(h, '101');
    });
    after(async () => h?.close());
    afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

    it('writes the request audit row and tells approvers through the outbox, with the amount in fen', async () => {
      const o = await h.offsets.raise(
        { complaintId: c.id, amount: '88.8', reason: '维修延误补偿', billIds: ['1002', '1001'], expiresOn: '2026-12-31' },
        counter,
      );
      expect([o.status, o.requestedFen, o.remainingFen, o.version]).to.deep.equal(['requested', 8880, 0, 1]);
      const events = (await h.db(h.ctx.tables.events).where({ entity_type: 'offset', entity_id: o.id })) as Array<Record<string, any>>;
      expect(events).to.have.length(1);
      expect(events[0]).to.include({
        action: 'request',
        from_state: null,
        to_state: 'requested',
        actor_id: counter.id,
        complaint_id: c.id,
        note: '维修延误补偿',
      });
      const changes = JSON.parse(events[0]!.changes) as Record<string, [unknown, unknown]>;
      expect(changes.requested_fen).to.deep.equal([null, 8880]);
      expect(changes.expires_on).to.deep.equal([null, '2026-12-31']);
      expect((changes.bill_ids![1] as string[]).slice().sort()).to.deep.equal(['1001', '1002']);

      const notices = (await h.db(h.ctx.tables.outbox).where({ topic: 'offset_awaiting_approval' })) as Array<Record<string, any>>;
      const mine = notices.map((n) => JSON.parse(n.payload) as Record<string, unknown>).filter((p) => p.offsetId === o.id);
      expect(mine).to.have.length(1);
      expect(mine[0]).to.include({ complaintId: c.id, complaintCode: c.code, requestedFen: 8880, requestedBy: counter.id, requestedByName: counter.name });
    });

    it('a request without limits records only its amount', async () => {
      const o = await h.offsets.raise({ complaintId: c.id, amount: '3', reason: '补偿' }, counter);
      const event = (await h.db(h.ctx.tables.events).where({ entity_type: 'offset', entity_id: o.id, action: 'request' }).first()) as Record<string, any>;
      expect(JSON.parse(event.changes)).to.deep.equal({ requested_fen: [null, 300] });
    });

    it('refuses bills that do not exist or belong to another unit, each on its own field, and writes nothing', async () => {
      const before = await countRows(h.db, h.ctx.tables.offsets);
      const e = await refused(
        h.offsets.raise({ complaintId: c.id, amount: '5', reason: '补偿', billIds: ['1001', '424242', '1004'] }, counter),
        'validation_failed',
        400,
      );
      expect(e.fields.map((f: any) => [f.field, f.message['zh-CN'], f.message.en])).to.deep.equal([
        ['billIds.1', '账单 424242 不存在', 'Bill 424242 does not exist'],
        ['billIds.2', '账单 1004 不属于该投诉的房屋', "Bill 1004 is not a bill of the complaint's unit"],
      ]);
      const past = await refused(
        h.offsets.raise({ complaintId: c.id, amount: '5', reason: '补偿', expiresOn: '2026-11-27' }, counter),
        'validation_failed',
        400,
      );
      expect(past.fields.map((f: any) => [f.field, f.message['zh-CN']])).to.deep.equal([['expiresOn', '有效期不能早于今天（2026-11-28）']]);
      const zero = await refused(h.offsets.raise({ complaintId: c.id, amount: '0', reason: '补偿' }, counter), 'validation_failed', 400);
      expect(zero.fields.map((f: any) => [f.field, f.message['zh-CN']])).to.deep.equal([['amount', '抵扣金额必须大于 0']]);
      expect(await countRows(h.db, h.ctx.tables.offsets)).to.equal(before);
    });

    it('the same key and content (amount and bill order written differently) replays; other content or another person is not a replay', async () => {
      const k = `${kind.kind}-req-key`;
      const first = await h.offsets.raiseOnce({ complaintId: c.id, amount: '120.5', reason: '补偿', billIds: ['1001', '1002'], idempotencyKey: k }, counter);
      expect(first.created).to.equal(true);
      const again = await h.offsets.raiseOnce({ complaintId: c.id, amount: '120.50', reason: '补偿', billIds: ['1002', '1001'], idempotencyKey: k }, counter);
      expect([again.created, again.offset.id, again.offset.requestedFen]).to.deep.equal([false, first.offset.id, 12050]);
      const other = await refused(
        h.offsets.raiseOnce({ complaintId: c.id, amount: '120.51', reason: '补偿', billIds: ['1001', '1002'], idempotencyKey: k }, counter),
        'idempotency_key_reused',
        409,
      );
      expect(other.details).to.deep.equal({ offsetId: first.offset.id });
      expect(other.localized['zh-CN']).to.equal(`此幂等键已用于内容不同的另一次抵扣申请（抵扣 #${first.offset.id}）`);
      const someoneElse = await h.offsets.raiseOnce(
        { complaintId: c.id, amount: '120.5', reason: '补偿', billIds: ['1001', '1002'], idempotencyKey: k },
        counter2,
      );
      expect(someoneElse.created).to.equal(true);
      expect(someoneElse.offset.id).to.not.equal(first.offset.id);
      expect(await countRows(h.db, h.ctx.tables.events, { entity_type: 'offset', entity_id: first.offset.id })).to.equal(1);
    });
  });
}
