// What the plan, the reply and a pause store, read back through the service: a plan that keeps the
// handler keeps their acceptance and one that names a new handler clears it; the reply's visibility as
// chosen (owner-visible when not chosen) and the follow-up deadline as the stage deadline once replied;
// a pause's reason and note kept together in the audit row. Asked for by the mutation run of issue 22
// over src/complaints/transitions.ts (2026-12-07): each test fails on a mutant that survived it.
import { expect } from 'chai';
import { createComplaintService, type ComplaintService } from '../../src/complaints/service.js';
import type { Complaint } from '../../src/complaints/types.js';
import { recordSignedIn } from '../../src/staff/directory.js';
import type { Actor } from '../../src/auth/actor.js';
import { simpleHost } from '../fixtures/hosts.js';
import { assessProperty, intakeBody, replyBody, unitsOf } from '../support/complaintData.js';
import { databaseKinds } from '../support/databases.js';
import { people, person, startPluginHarness, type PluginHarness } from '../support/pluginHarness.js';

const { counter, supervisor } = people;
const units = unitsOf(simpleHost);
const zhang = person('handler', 'eng-zhang', '工程部张师傅', [units.communityA]);
const wang = person('handler', 'eng-wang', '工程部王师傅', null);
const deadline = '2026-12-20T10:00:00.000Z';

for (const kind of databaseKinds) {
  describe(`complaint transitions: acceptance kept or cleared by the plan, the reply's visibility, a pause's note (${kind.kind})`, function () {
    this.timeout(60000);
    let h: PluginHarness;
    let complaints: ComplaintService;
    before(async () => {
      h = await startPluginHarness(kind, simpleHost);
      complaints = createComplaintService(h.ctx);
      for (const someone of [zhang, wang, counter, supervisor]) await recordSignedIn(h.ctx, someone);
    });
    after(async () => h?.close());

    const act = (c: Complaint, action: string, input: Record<string, unknown>, actor: Actor = supervisor) =>
      complaints.transition(c.id, action, { version: c.version, ...input }, actor);
    const read = async (c: { id: number }) => (await complaints.get(c.id, supervisor)).complaint;
    /** Investigating, assessed, with zhang named as the handler and having accepted the job. */
    const acceptedByZhang = async (): Promise<Complaint> => {
      const { complaint } = await complaints.create(intakeBody(units.a), counter);
      const started = await act(complaint, 'start-investigation', { department: 'engineering', assigneeId: zhang.id, assigneeName: zhang.name });
      const assessed = await act(started, 'assess', assessProperty);
      const accepted = await act(assessed, 'accept', {}, zhang);
      expect(accepted.acceptedAt).to.not.equal(null);
      return accepted;
    };
    const plan = (c: Complaint, assigneeId?: string) =>
      act(c, 'plan', { department: 'engineering', measures: '更换曳引机钢丝绳', deadline, ...(assigneeId ? { assigneeId } : {}) });

    it('a plan naming nobody, or the same handler, keeps their acceptance; a plan naming another handler clears it', async () => {
      const a = await acceptedByZhang();
      const keptNobody = await read(await plan(a));
      expect([keptNobody.assigneeId, keptNobody.acceptedAt?.toISOString()]).to.deep.equal([zhang.id, a.acceptedAt!.toISOString()]);

      const b = await acceptedByZhang();
      const keptSame = await read(await plan(b, zhang.id));
      expect([keptSame.assigneeId, keptSame.acceptedAt?.toISOString()]).to.deep.equal([zhang.id, b.acceptedAt!.toISOString()]);

      const c = await acceptedByZhang();
      const moved = await read(await plan(c, wang.id));
      expect([moved.assigneeId, moved.acceptedAt]).to.deep.equal([wang.id, null]);
    });

    it('the reply is owner-visible unless chosen otherwise, and the follow-up deadline becomes the stage deadline', async () => {
      const shown = await read(await act(await plan(await acceptedByZhang()), 'resolve', replyBody));
      expect([shown.state, shown.replyVisibility]).to.deep.equal(['resolved', 'owner_visible']);
      expect(shown.followUpDueAt).to.not.equal(null);
      expect(shown.dueAt?.toISOString()).to.equal(shown.followUpDueAt!.toISOString());

      const hidden = await read(await act(await plan(await acceptedByZhang()), 'resolve', { ...replyBody, replyVisibility: 'internal' }));
      expect([hidden.state, hidden.replyVisibility]).to.deep.equal(['resolved', 'internal']);
    });

    it("a pause's reason and the note typed with it are kept together in the audit row", async () => {
      const a = await acceptedByZhang();
      await act(a, 'pause', { party: 'utility', reason: '等待自来水公司更换主管道', note: '业主已知情' }, zhang);
      const paused = (await complaints.events(a.id, supervisor)).filter((e) => e.action === 'pause');
      expect(paused.map((e) => e.note)).to.deep.equal(['等待自来水公司更换主管道；业主已知情']);
    });
  });
}
