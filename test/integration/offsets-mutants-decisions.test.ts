// What a person is told, and what the audit trail keeps, when an offset decision is refused or made:
// the refusal's words in both languages (over HTTP, as the approver's page shows them), the numbers it
// carries, and the audit row's states and money changes. The mutation run (issue 22) found these unread:
// a refusal could lose its sentence or its figures, an audit row its states, and no test noticed.
import { expect } from 'chai';
import type { Offset } from '../../src/offsets/model.js';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { people } from '../support/pluginHarness.js';
import { approvedOffset, assessedComplaint, offsetRow, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

const { counter, supervisor, manager, director, cashier } = people;

interface AuditRow {
  action: string;
  from_state: string | null;
  to_state: string | null;
  actor_id: string;
  changes: string | null;
  note: string | null;
}

for (const kind of databaseKinds) {
  describe(`offset decisions: refusals in words and figures, audit rows (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
    });
    after(async () => h?.close());
    afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

    async function raised(amount: string, extra: { expiresOn?: string } = {}): Promise<Offset> {
      const c = await assessedComplaint(h, '101');
      return h.offsets.raise({ complaintId: c.id, amount, reason: '漏水损失', ...extra }, counter);
    }

    /** POSTs a decision as `who`, in both languages; returns the two error bodies (same code and status). */
    async function refusedInBoth(path: string, body: unknown, who = director): Promise<{ status: number; zh: any; en: any }> {
      const zh = await h.api('POST', path, { as: who, body, lang: 'zh-CN' });
      const en = await h.api('POST', path, { as: who, body, lang: 'en' });
      expect(en.status).to.equal(zh.status);
      expect(en.body.error.code).to.equal(zh.body.error.code);
      return { status: zh.status, zh: zh.body.error, en: en.body.error };
    }

    async function auditOf(offsetId: number, action: string): Promise<AuditRow> {
      const row = (await h.db(h.ctx.tables.events).where({ entity_type: 'offset', entity_id: offsetId, action }).first()) as AuditRow | undefined;
      expect(row, `an audit row for ${action}`).to.not.equal(undefined);
      return row!;
    }

    it('a second approval or a rejection of a decided request is refused with its status in words, and changes nothing', async () => {
      const o = await approvedOffset(h, (await assessedComplaint(h, '101')).id, '30.00');
      const again = await refusedInBoth(`/api/offsets/${o.id}/approve`, { version: o.version }, manager);
      expect(again.status).to.equal(409);
      expect(again.zh).to.include({ code: 'offset_not_pending', status: 'approved', version: o.version });
      expect(again.zh.message).to.equal('抵扣当前为“已批准”，只能审批待审批的申请');
      expect(again.en.message).to.equal('The offset is approved; only a request awaiting approval can be approved');

      const reject = await refusedInBoth(`/api/offsets/${o.id}/reject`, { note: '晚了', version: o.version }, manager);
      expect(reject.status).to.equal(409);
      expect(reject.zh).to.include({ code: 'offset_not_pending', status: 'approved' });
      expect(reject.zh.message).to.equal('抵扣当前为“已批准”，只能驳回待审批的申请');
      expect(reject.en.message).to.equal('The offset is approved; only a request awaiting approval can be rejected');

      const row = await offsetRow(h.db, h, o.id);
      expect([row.status, Number(row.approved_fen), Number(row.remaining_fen), row.decided_by]).to.deep.equal(['approved', 3000, 3000, director.id]);
    });

    it('an expired request cannot be approved: the refusal names the expiry date', async () => {
      const o = await raised('12.00', { expiresOn: '2026-11-30' });
      const start = h.clock.now();
      h.clock.set('2026-11-30T17:00:00.000Z'); // 2026-12-01 01:00 in Shanghai
      try {
        const r = await refusedInBoth(`/api/offsets/${o.id}/approve`, { version: o.version });
        expect(r.status).to.equal(409);
        expect(r.zh.code).to.equal('offset_expired');
        expect(r.zh.message).to.equal('该申请已于 2026-11-30 过期，不能批准');
        expect(r.en.message).to.equal('This request expired on 2026-11-30 and cannot be approved');
      } finally {
        h.clock.set(start);
      }
      expect((await offsetRow(h.db, h, o.id)).status).to.equal('requested');
    });

    it('approving more than was requested is refused on the amount field with the requested sum in yuan', async () => {
      const o = await raised('1234.56');
      const r = await refusedInBoth(`/api/offsets/${o.id}/approve`, { amount: '1234.57', version: o.version });
      expect(r.status).to.equal(400);
      expect(r.zh.code).to.equal('validation_failed');
      expect(r.zh.fields).to.deep.equal([{ field: 'amount', message: '批准金额不能超过申请金额 ¥1,234.56' }]);
      expect(r.en.fields).to.deep.equal([{ field: 'amount', message: 'The approved amount cannot exceed the requested ¥1,234.56' }]);
      const row = await offsetRow(h.db, h, o.id);
      expect([row.status, row.approved_fen, Number(row.requested_fen)]).to.deep.equal(['requested', null, 123456]);
    });

    it('an approver whose roles have no limit is told so in words', async () => {
      const o = await raised('10.00');
      const before = await h.ctx.settings.get();
      await h.ctx.settings.update({ roleApprovalLimitsFen: { manager: 500000, director: null } }, people.administrator);
      try {
        const r = await refusedInBoth(`/api/offsets/${o.id}/approve`, { version: o.version }, supervisor);
        expect(r.status).to.equal(403);
        expect(r.zh.code).to.equal('no_approval_limit');
        expect(r.zh.message).to.equal('您的角色没有抵扣审批额度');
        expect(r.en.message).to.equal('None of your roles may approve offsets');
      } finally {
        await h.ctx.settings.update({ roleApprovalLimitsFen: before.roleApprovalLimitsFen }, people.administrator);
      }
      expect((await offsetRow(h.db, h, o.id)).status).to.equal('requested');
    });

    it('revoking a request that was never approved is refused with its status; revoking a used-up offset names the amount used', async () => {
      const pending = await raised('8.00');
      const r = await refusedInBoth(`/api/offsets/${pending.id}/revoke`, { note: '撤回', version: pending.version });
      expect(r.status).to.equal(409);
      expect(r.zh).to.include({ code: 'offset_not_approved', status: 'requested', version: pending.version });
      expect(r.zh.message).to.equal('抵扣当前为“待审批”，只能撤回已批准的抵扣');
      expect(r.en.message).to.equal('The offset is awaiting approval; only an approved offset can be revoked');

      const used = await approvedOffset(h, (await assessedComplaint(h, '101')).id, '5.00');
      await h.offsets.apply({ offsetId: used.id, billId: '1001', amountFen: 500, idempotencyKey: `${kind.kind}-use-all-${used.id}` }, cashier);
      const u = await refusedInBoth(`/api/offsets/${used.id}/revoke`, { note: '撤回', version: used.version });
      expect(u.status).to.equal(409);
      expect(u.zh).to.include({ code: 'offset_used', remainingFen: 0, approvedFen: 500 });
      expect(u.zh.message).to.equal('该抵扣已全部使用（¥5.00），没有可撤回的余额；如需退回，请由收费系统作废相应收款');
      expect(u.en.message).to.equal('All ¥5.00 of this offset was used, so nothing is left to revoke; void those payments in billing to restore it');
      const row = await offsetRow(h.db, h, used.id);
      expect([row.status, Number(row.remaining_fen), Number(row.revoked_fen)]).to.deep.equal(['exhausted', 0, 0]);
    });

    it('the audit rows of approve, reject and revoke carry the states moved between and the money changed', async () => {
      const o = await approvedOffset(h, (await assessedComplaint(h, '101')).id, '20.00', { approveAmount: '15.00' });
      const approve = await auditOf(o.id, 'approve');
      expect([approve.from_state, approve.to_state, approve.actor_id, approve.note]).to.deep.equal(['requested', 'approved', director.id, '同意']);
      expect(JSON.parse(approve.changes!)).to.deep.equal({ approved_fen: [null, 1500], remaining_fen: [0, 1500] });

      await h.offsets.apply({ offsetId: o.id, billId: '1001', amountFen: 400, idempotencyKey: `${kind.kind}-part-${o.id}` }, cashier);
      const revoked = await h.offsets.revoke(o.id, { note: '业主撤诉', version: o.version }, manager);
      expect([revoked.status, revoked.remainingFen, revoked.revokedFen]).to.deep.equal(['revoked', 0, 1100]);
      const revoke = await auditOf(o.id, 'revoke');
      expect([revoke.from_state, revoke.to_state, revoke.actor_id, revoke.note]).to.deep.equal(['approved', 'revoked', manager.id, '业主撤诉']);
      expect(JSON.parse(revoke.changes!)).to.deep.equal({ remaining_fen: [1100, 0], revoked_fen: [0, 1100] });

      const p = await raised('9.00');
      await h.offsets.reject(p.id, { note: '证据不足', version: p.version }, supervisor);
      const reject = await auditOf(p.id, 'reject');
      expect([reject.from_state, reject.to_state, reject.actor_id, reject.note, reject.changes]).to.deep.equal([
        'requested',
        'rejected',
        supervisor.id,
        '证据不足',
        null,
      ]);
    });
  });
}
