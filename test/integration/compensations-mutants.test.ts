// Compensation records as the service keeps and answers them: the reference and note as typed (trimmed,
// blank is none), the ceiling itself accepted and one fen above refused, a replay after the complaint
// was cancelled answered with the first record, a cancelled complaint refused before the paid day is
// judged, and a record made inside the host's transaction gone when the host rolls back. Asked for by the
// mutation run of issue 22 over src/compensations (2026-12-07): each test fails on a mutant that survived.
import { expect } from 'chai';
import { createCompensationService, type CompensationService, type RecordCompensationInput } from '../../src/compensations/service.js';
import { MAX_COMPENSATION_FEN } from '../../src/compensations/model.js';
import { ValidationError } from '../../src/common/errors.js';
import { createComplaintService, type ComplaintService } from '../../src/complaints/service.js';
import { simpleHost } from '../fixtures/hosts.js';
import { intakeBody } from '../support/complaintData.js';
import { databaseKinds } from '../support/databases.js';
import { refused } from '../support/offsetData.js';
import { people, startPluginHarness, type PluginHarness } from '../support/pluginHarness.js';

const { counter, supervisor, manager } = people;
const paid: RecordCompensationInput = { payer: 'insurer', amount: '300.00', paidOn: '2026-11-28', method: 'transfer' };

for (const kind of databaseKinds) {
  describe(`compensation records: what is kept, the ceiling, replays and refusals (${kind.kind})`, function () {
    this.timeout(60000);
    let h: PluginHarness;
    let compensations: CompensationService;
    let complaints: ComplaintService;
    before(async () => {
      h = await startPluginHarness(kind, simpleHost);
      compensations = createCompensationService(h.ctx);
      complaints = createComplaintService(h.ctx);
    });
    after(async () => h?.close());

    const complaint = async () => (await complaints.create(intakeBody('101'), counter)).complaint;
    const cancel = async (id: number) => {
      const c = (await complaints.get(id, supervisor)).complaint;
      await complaints.transition(id, 'cancel', { version: c.version, cancelKind: 'registered_in_error', reason: '误登记' }, supervisor);
    };
    const rows = (complaintId: number) => h.db(h.ctx.tables.compensations).where({ complaint_id: complaintId });

    it('keeps the reference and note trimmed, a blank one as none, and answers them in the list', async () => {
      const c = await complaint();
      await compensations.record(c.id, { ...paid, reference: '  CL-2026-09  ', note: ' 保险公司直接转账 ' }, manager);
      await compensations.record(c.id, { ...paid, amount: '20', reference: '   ', note: '' }, manager);
      await compensations.record(c.id, { ...paid, amount: '1' }, manager);
      const list = await compensations.list(c.id, supervisor);
      expect(list.items.map((i) => [i.amountFen, i.reference, i.note, i.paidOn])).to.deep.equal([
        [30000, 'CL-2026-09', '保险公司直接转账', '2026-11-28'],
        [2000, null, null, '2026-11-28'],
        [100, null, null, '2026-11-28'],
      ]);
      expect(list.totalFen).to.equal(32100);
    });

    it('accepts exactly the ceiling and refuses one fen above it at the amount field', async () => {
      const c = await complaint();
      const top = await compensations.record(c.id, { ...paid, amount: '1000000.00' }, manager);
      expect(top.compensation.amountFen).to.equal(MAX_COMPENSATION_FEN);
      let fields: string[] = [];
      try {
        await compensations.record(c.id, { ...paid, amount: '1000000.01' }, manager);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        fields = err.fields.map((f) => f.field);
      }
      expect(fields).to.deep.equal(['amount']);
      expect((await rows(c.id)).map((r) => Number(r.amount_fen))).to.deep.equal([MAX_COMPENSATION_FEN]);
    });

    it('names an amount the schema refused once, not again for its value', async () => {
      const c = await complaint();
      let fields: string[] = [];
      try {
        await compensations.record(c.id, { ...paid, amount: '1'.repeat(33) }, manager);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        fields = err.fields.map((f) => f.field);
      }
      expect(fields).to.deep.equal(['amount']);
    });

    it('answers a form sent again with its key after the complaint was cancelled with the first record', async () => {
      const c = await complaint();
      const input = { ...paid, idempotencyKey: `${kind.kind}-comp-replay` };
      const first = await compensations.record(c.id, input, manager);
      await cancel(c.id);
      const again = await compensations.record(c.id, input, manager);
      expect([again.created, again.compensation.id]).to.deep.equal([false, first.compensation.id]);
      expect(await rows(c.id)).to.have.length(1);
    });

    it('refuses a cancelled complaint as cancelled even when the paid day is also before it was received', async () => {
      const c = await complaint();
      await cancel(c.id);
      const err = await refused(compensations.record(c.id, { ...paid, paidOn: '2026-11-20' }, manager), 'complaint_cancelled', 409);
      expect(err.localized['zh-CN']).to.include(c.code);
      expect(await rows(c.id)).to.have.length(0);
    });

    it("writes inside the host's transaction: the host's rollback takes the record and its audit row with it", async () => {
      const c = await complaint();
      const failure = new Error('host rolled back');
      let caught: unknown;
      try {
        await h.db.transaction(async (trx) => {
          const made = await compensations.record(c.id, paid, manager, { trx });
          expect(made.created).to.equal(true);
          throw failure;
        });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.equal(failure);
      expect(await rows(c.id)).to.have.length(0);
      expect(await h.db(h.ctx.tables.events).where({ entity_type: 'compensation', complaint_id: c.id })).to.have.length(0);
    });
  });
}
