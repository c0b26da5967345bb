// What three transitions store on the complaint, read back from the database through the service: the
// department and handler named when the investigation starts, the severity, time and reason of an
// escalation, and the kind, reason and time of a cancellation. The mutation run of issue 22 found each
// of these patches could be emptied without any test noticing (src/complaints/transitions.ts).
import { expect } from 'chai';
import { simpleHost } from '../fixtures/hosts.js';
import { intakeBody } from '../support/complaintData.js';
import { databaseKinds } from '../support/databases.js';
import { people } from '../support/pluginHarness.js';
import { startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';

const { counter, supervisor } = people;

for (const kind of databaseKinds) {
  describe(`complaint transitions store what they were given (${kind.kind})`, function () {
    this.timeout(60000);
    let h: OffsetHarness;
    before(async () => {
      h = await startOffsetHarness(kind, simpleHost);
    });
    after(async () => h?.close());

    it('start-investigation keeps the department and handler; escalate keeps the severity, time and reason; cancel keeps the kind, reason and time', async () => {
      const { complaint } = await h.complaints.create(intakeBody('101', { severity: 'minor' }), counter);
      const started = await h.complaints.transition(
        complaint.id,
        'start-investigation',
        { version: complaint.version, department: 'engineering', assigneeId: 'eng-9', assigneeName: '工程部钱师傅' },
        supervisor,
      );
      const s = (await h.complaints.get(started.id, supervisor)).complaint;
      expect([s.state, s.department, s.assigneeId, s.assigneeName]).to.deep.equal(['investigating', 'engineering', 'eng-9', '工程部钱师傅']);

      h.clock.advance(60 * 60 * 1000);
      const escalatedAt = h.clock.now();
      const escalated = await h.complaints.transition(
        started.id,
        'escalate',
        { version: started.version, severity: 'major', reason: '业主投诉到住建局' },
        supervisor,
      );
      const e = (await h.complaints.get(escalated.id, supervisor)).complaint;
      expect([e.state, e.severity, e.escalationReason, e.escalatedAt?.toISOString()]).to.deep.equal([
        'investigating',
        'major',
        '业主投诉到住建局',
        escalatedAt.toISOString(),
      ]);

      h.clock.advance(60 * 60 * 1000);
      const cancelledAt = h.clock.now();
      const cancelled = await h.complaints.transition(
        escalated.id,
        'cancel',
        { version: escalated.version, cancelKind: 'duplicate', reason: '与上一单重复' },
        supervisor,
      );
      const c = (await h.complaints.get(cancelled.id, supervisor)).complaint;
      expect([c.state, c.cancelKind, c.cancelReason, c.cancelledAt?.toISOString()]).to.deep.equal([
        'cancelled',
        'duplicate',
        '与上一单重复',
        cancelledAt.toISOString(),
      ]);
      // Still there after the cancellation: the earlier transitions' fields are not overwritten.
      expect([c.department, c.assigneeId, c.severity]).to.deep.equal(['engineering', 'eng-9', 'major']);
    });
  });
}
