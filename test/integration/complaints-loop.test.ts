// The closed loop over HTTP on every database and host shape: intake → investigation → plan → reply →
// follow-up, the worked cases of the domain brief, the unsatisfied chain and repeat complaints.
import { expect } from 'chai';
import { databaseKinds } from '../support/databases.js';
import { simpleHost, stringIdHost } from '../fixtures/hosts.js';
import { people, startPluginHarness, type PluginHarness } from '../support/pluginHarness.js';
import { act, assessProperty, followUp, intakeBody, planBody, register, replyBody, step, unitsOf } from '../support/complaintData.js';
import type { Complaint } from '../../src/complaints/types.js';

const { counter, supervisor } = people;

for (const kind of databaseKinds) {
  for (const fixture of [simpleHost, stringIdHost]) {
    describe(`complaint loop over HTTP: ${fixture.name} on ${kind.kind}`, function () {
      let h: PluginHarness;
      const units = unitsOf(fixture);

      before(async () => {
        h = await startPluginHarness(kind, fixture);
      });
      after(async () => h?.close());
      afterEach(() => expect(h.unexpectedErrors, 'no 500s').to.deep.equal([]));

      it('registers against a host unit, taking the owner from the mapping, with a code', async () => {
        const c = await register(h, counter, intakeBody(units.a, { complainantName: '租户小陈', complainantRelation: 'tenant' }));
        expect(c.code).to.match(/^TS-20261128-\d{4}$/);
        expect(c).to.include({
          state: 'received',
          version: 1,
          unitId: units.a,
          ownerId: units.ownerA,
          ownerName: units.ownerAName,
          communityId: units.communityA,
        });
        expect(c).to.include({ complainantName: '租户小陈', complainantRelation: 'tenant', receivedBy: counter.id, threatenedWithholding: false });
        expect(c.receivedAt).to.equal('2026-11-28T01:00:00.000Z');
        expect(c.originalReceivedAt).to.equal(c.receivedAt);
      });

      it('case: lift out of service repeatedly → property, important, through every stage to closed', async () => {
        let c = await register(h, counter, intakeBody(units.a, { expectation: '赔偿精神损失' }));
        c = await step(h, supervisor, c, 'start-investigation', { department: 'engineering' });
        expect(c.state).to.equal('investigating');
        c = await step(h, supervisor, c, 'assess', assessProperty);
        expect(c).to.include({ state: 'investigating', disputeType: 'property', nature: 'valid', severity: 'important' });
        c = await step(h, supervisor, c, 'plan', planBody);
        expect(c).to.include({ state: 'processing', assigneeName: '工程部刘师傅', department: 'engineering' });
        expect(c.planDeadline).to.equal('2026-12-05T02:00:00.000Z');
        expect(c.dueAt).to.equal(c.planDeadline);
        c = await step(h, supervisor, c, 'note', { note: '已电话告知业主维修进度' });
        h.clock.advance(3 * 24 * 3600 * 1000);
        c = await step(h, counter, c, 'resolve', replyBody);
        expect(c.state).to.equal('resolved');
        // Follow-up is due 24 hours after the reply (settings.followUpHours).
        expect(new Date(c.followUpDueAt!).getTime() - new Date(c.resolvedAt!).getTime()).to.equal(24 * 3600 * 1000);
        h.clock.advance(2 * 3600 * 1000);
        const res = await followUp(h, counter, c, { method: 'phone', satisfied: true, complainantWords: '修好了，谢谢', ownerRating: 5 });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.complaint).to.include({ state: 'closed', dueAt: null });
        expect(res.body.continuation).to.equal(null);
        expect(res.body.followUp).to.include({ method: 'phone', satisfied: true, complainantWords: '修好了，谢谢', ownerRating: 5, visitorId: counter.id });

        const detail = await h.api('GET', `/api/complaints/${c.id}`, { as: counter });
        expect(detail.body.followUps).to.have.length(1);
        expect(detail.body.allowedActions).to.deep.equal([]);
        const events = await h.api('GET', `/api/complaints/${c.id}/events`, { as: counter });
        expect(events.body.events.map((e: { action: string }) => e.action)).to.deep.equal([
          'create',
          'start-investigation',
          'assess',
          'plan',
          'note',
          'resolve',
          'follow-up',
        ]);
        const planEvent = events.body.events[3];
        expect(planEvent).to.include({ fromState: 'investigating', toState: 'processing', actorId: supervisor.id, actorName: supervisor.name });
        expect(planEvent.changes.assigneeName).to.deep.equal([null, '工程部刘师傅']);
      });

      it('case: balcony leak with a fee-withholding threat → property, timeliness, flagged for billing', async () => {
        let c = await register(
          h,
          counter,
          intakeBody(units.b, {
            category: 'timeliness',
            channel: 'phone',
            description: '阳台漏水一个月，来看过两次就没下文了，从这个月起物业费不交了',
            threatenedWithholding: true,
          }),
        );
        expect(c.threatenedWithholding).to.equal(true);
        c = await step(h, supervisor, c, 'assess', { ...assessProperty, findings: '外墙防水层老化' });
        c = await step(h, supervisor, c, 'plan', { ...planBody, measures: '外墙打胶并做闭水试验' });
        const list = await h.api('GET', `/api/complaints?threatenedWithholding=true&unitId=${units.b}`, { as: counter });
        expect(list.body.items.map((i: Complaint) => i.id)).to.include(c.id);
      });

      it('case: neighbour leak → non-property; the third party and the up-front explanation are required', async () => {
        let c = await register(h, counter, intakeBody(units.a, { category: 'neighbour', description: '楼上漏水把被子泡了' }));
        c = await step(h, supervisor, c, 'start-investigation');
        const refused = await act(h, supervisor, c, 'assess', { disputeType: 'non_property', nature: 'valid', severity: 'minor' });
        expect(refused.status).to.equal(400);
        expect(refused.body.error.fields.map((f: { field: string }) => f.field)).to.have.members(['thirdParty', 'responsibilityExplained']);
        c = await step(h, supervisor, c, 'assess', {
          disputeType: 'non_property',
          thirdParty: 'neighbour',
          responsibilityExplained: true,
          nature: 'valid',
          severity: 'minor',
        });
        expect(c).to.include({ disputeType: 'non_property', thirdParty: 'neighbour', responsibilityExplained: true });
        c = await step(h, supervisor, c, 'plan', { ...planBody, department: 'customer_service', measures: '约楼上业主协商赔偿，物业居中调解' });
        c = await step(h, supervisor, c, 'resolve', { reply: '双方已达成赔偿协议', basis: '调解记录' });
        expect(c.state).to.equal('resolved');
      });

      it('case: car scratched in the rented garage → property, security; compensation by insurance', async () => {
        let c = await register(h, counter, intakeBody(units.a, { category: 'security', channel: 'app', description: '租的车位里车被划了' }));
        c = await step(h, supervisor, c, 'assess', { ...assessProperty, severity: 'important' });
        c = await step(h, supervisor, c, 'plan', { ...planBody, department: 'security', measures: '调取监控，报公众责任险' });
        c = await step(h, supervisor, c, 'resolve', { reply: '保险公司已定损赔付', basis: '公众责任险理赔单' });
        expect(c).to.include({ category: 'security', disputeType: 'property', state: 'resolved' });
      });

      it('case: shared utility charges inquiry → answered at the counter straight from intake', async () => {
        let c = await register(h, counter, intakeBody(units.b, { category: 'fees', description: '交了物业费为什么还要交公摊水电？' }));
        c = await step(h, counter, c, 'resolve', { nature: 'inquiry', reply: '公摊水电为公共区域用电用水，按面积分摊', basis: '物业服务合同第十二条' });
        expect(c).to.include({ state: 'resolved', nature: 'inquiry', severity: 'minor' });
        const res = await followUp(h, counter, c, { method: 'phone', satisfied: true });
        expect(res.body.complaint.state).to.equal('closed');
      });

      it('case: door-to-door salesmen let in → security, valid, important', async () => {
        let c = await register(h, counter, intakeBody(units.a, { category: 'security', description: '保安放推销员进楼挨家敲门' }));
        c = await step(h, supervisor, c, 'start-investigation');
        c = await step(h, supervisor, c, 'assess', { disputeType: 'property', nature: 'valid', severity: 'important' });
        expect(c).to.include({ category: 'security', nature: 'valid', severity: 'important' });
        // A valid complaint cannot be answered before a plan.
        const early = await act(h, counter, c, 'resolve', replyBody);
        expect(early.status).to.equal(409);
        expect(early.body.error.code).to.equal('invalid_transition');
      });

      it('unsatisfied follow-up closes as closed_unsatisfied and opens a linked complaint; the chain shows from both ends', async () => {
        let c = await register(h, counter, intakeBody(units.a, { category: 'cleaning_greening', description: '垃圾桶满了没人清' }));
        c = await step(h, supervisor, c, 'assess', { disputeType: 'property', nature: 'valid', severity: 'minor' });
        c = await step(h, supervisor, c, 'plan', { ...planBody, department: 'environment' });
        c = await step(h, supervisor, c, 'resolve', replyBody);
        h.clock.advance(3600 * 1000);
        const res = await followUp(h, counter, c, { method: 'visit', satisfied: false, complainantWords: '只清了一次，第二天又满了', ownerRating: 1 });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.complaint.state).to.equal('closed_unsatisfied');
        const next = res.body.continuation as Complaint;
        expect(next).to.include({
          state: 'received',
          parentId: c.id,
          unitId: c.unitId,
          category: c.category,
          severity: 'important',
          description: '只清了一次，第二天又满了',
        });
        expect(next.originalReceivedAt).to.equal(c.originalReceivedAt);
        expect(next.code).to.not.equal(c.code);

        const fromFirst = await h.api('GET', `/api/complaints/${c.id}`, { as: counter });
        const fromLast = await h.api('GET', `/api/complaints/${next.id}`, { as: counter });
        const ids = (d: { chain: Array<{ id: number }> }) => d.chain.map((l) => l.id);
        expect(ids(fromFirst.body)).to.deep.equal([c.id, next.id]);
        expect(ids(fromLast.body)).to.deep.equal([c.id, next.id]);
        expect(fromFirst.body.followUps[0]).to.include({ satisfied: false, continuationId: next.id, ownerRating: 1 });
      });

      it('flags a new complaint about the same unit and category within the window as a repeat', async () => {
        const first = await register(h, counter, intakeBody(units.b, { category: 'parking', description: '车位被占' }));
        h.clock.advance(10 * 24 * 3600 * 1000);
        const second = await register(h, counter, intakeBody(units.b, { category: 'parking', description: '车位又被占了' }));
        expect(second.repeatOfId).to.equal(first.id);
        const otherCategory = await register(h, counter, intakeBody(units.b, { category: 'pets', description: '狗叫' }));
        expect(otherCategory.repeatOfId).to.equal(null);
        const detail = await h.api('GET', `/api/complaints/${first.id}`, { as: counter });
        expect(detail.body.repeatedBy.map((l: { id: number }) => l.id)).to.deep.equal([second.id]);
        const repeats = await h.api('GET', `/api/complaints?repeat=true&unitId=${units.b}`, { as: counter });
        expect(repeats.body.items.map((i: Complaint) => i.id)).to.deep.equal([second.id]);
        h.clock.advance(91 * 24 * 3600 * 1000);
        const late = await register(h, counter, intakeBody(units.b, { category: 'pets', description: '狗又叫' }));
        expect(late.repeatOfId, 'outside the 90-day window').to.equal(null);
      });
    });
  }
}
