// Each job's effect and idempotency (a second run at the same time changes nothing more), the slot
// claim, runs by hand and the scheduler, on both databases with a manual clock.
import { expect } from 'chai';
import { ManualClock } from '../../src/clock.js';
import { listEvents } from '../../src/common/events.js';
import { listRuns, runByHand, runJob } from '../../src/jobs/runner.js';
import { JOBS } from '../../src/jobs/registry.js';
import { JobScheduler } from '../../src/jobs/scheduler.js';
import type { Job } from '../../src/jobs/types.js';
import { loadManifest } from '../../src/manifest/manifest.js';
import { databaseKinds, type TestDatabase } from '../support/databases.js';
import { PREFIX, addComplaint, addOffset, jobContext, migrate, outboxRows, setSettings } from '../support/jobsHarness.js';
import { tableNames } from '../../src/db/tables.js';
import { toDbTime } from '../../src/db/time.js';
import { enqueue, listUndelivered } from '../../src/notifications/outbox.js';

const sh = (local: string) => new Date(`${local}+08:00`);
const HOUR = 3_600_000;

describe('job registry', () => {
  it('has one job per cron entry of plugin.json', () => {
    expect(JOBS.map((j) => j.name).sort()).to.deep.equal(
      loadManifest()
        .cron.map((c) => c.name)
        .sort(),
    );
  });
});

for (const kind of databaseKinds) {
  describe(`jobs (${kind.kind})`, function () {
    let t: TestDatabase;
    let clock: ManualClock;
    let ctx: ReturnType<typeof jobContext>;

    before(async () => {
      t = await kind.create();
      await migrate(t.db);
    });
    after(async () => t?.drop());
    beforeEach(async () => {
      // Each test starts from empty job, outbox, offset and complaint tables (events are append-only and stay).
      const tables = tableNames(PREFIX);
      for (const table of ['jobClaims', 'jobRuns', 'outbox', 'offsetApplications', 'offsetBills', 'offsets', 'followUps', 'complaints'] as const) {
        await t.db(tables[table]).del();
      }
      clock = new ManualClock(sh('2026-09-30T17:00:00'));
      ctx = jobContext(t.db, clock);
    });

    describe('runner', () => {
      const counting = (calls: { n: number }): Job => ({
        name: 'count',
        async run() {
          calls.n++;
          return { calls: calls.n };
        },
      });

      it('runs a slot once and records it; a second claim of the slot skips', async () => {
        const calls = { n: 0 };
        const jobs = [counting(calls)];
        const first = await runJob(ctx, 'count', { now: clock.now(), slot: '2026-09-30T09:00:00Z', jobs });
        const second = await runJob(ctx, 'count', { now: clock.now(), slot: '2026-09-30T09:00:00Z', jobs });
        expect(first.status).to.equal('ok');
        expect(second.status).to.equal('skipped');
        expect(calls.n).to.equal(1);
        const runs = await listRuns(ctx, { job: 'count' });
        expect(runs).to.have.length(1);
        expect(runs[0]).to.include({ slot: '2026-09-30T09:00:00Z', outcome: 'ok' });
        expect(runs[0]!.counts).to.deep.equal({ calls: 1 });
        expect(runs[0]!.startedAt.toISOString()).to.equal(clock.now().toISOString());
        expect(runs[0]!.finishedAt).to.be.instanceOf(Date);
      });

      it('gives each run by hand a slot of its own', async () => {
        const calls = { n: 0 };
        const jobs = [counting(calls)];
        await runByHand(ctx, 'count', { now: clock.now(), jobs });
        await runByHand(ctx, 'count', { now: clock.now(), jobs });
        expect(calls.n).to.equal(2);
        const runs = await listRuns(ctx, { job: 'count' });
        expect(runs.map((r) => r.slot.startsWith('manual:'))).to.deep.equal([true, true]);
      });

      it('records a failure with its error, and refuses an unknown job', async () => {
        const failing: Job = {
          name: 'broken',
          async run() {
            throw new Error('host unreachable');
          },
        };
        const result = await runJob(ctx, 'broken', { now: clock.now(), jobs: [failing] });
        expect(result.status).to.equal('failed');
        const [run] = await listRuns(ctx, { job: 'broken' });
        expect(run!.outcome).to.equal('failed');
        expect(run!.error).to.contain('host unreachable');
        let error: unknown;
        await runJob(ctx, 'nope', { now: clock.now() }).catch((e) => (error = e));
        expect(String(error)).to.match(/Unknown job "nope".*escalate/);
      });
    });

    describe('escalate', () => {
      it('raises valid complaints unresolved past the window to major, notifies each once', async () => {
        const now = clock.now();
        const daysAgo = (d: number) => new Date(now.getTime() - d * 24 * HOUR);
        const old = await addComplaint(ctx, {
          state: 'processing',
          nature: 'valid',
          severity: 'important',
          receivedAt: daysAgo(31),
          originalReceivedAt: daysAgo(31),
        });
        const young = await addComplaint(ctx, {
          state: 'processing',
          nature: 'valid',
          severity: 'important',
          receivedAt: daysAgo(29),
          originalReceivedAt: daysAgo(29),
        });
        const venting = await addComplaint(ctx, {
          state: 'investigating',
          nature: 'venting',
          severity: 'minor',
          receivedAt: daysAgo(40),
          originalReceivedAt: daysAgo(40),
        });
        const answered = await addComplaint(ctx, {
          state: 'resolved',
          nature: 'valid',
          severity: 'important',
          receivedAt: daysAgo(40),
          originalReceivedAt: daysAgo(40),
        });

        const first = await runByHand(ctx, 'escalate', { now });
        expect(first).to.deep.include({ status: 'ok', counts: { escalated: 1, notified: 1 } });
        const severity = async (id: number) => (await t.db(ctx.tables.complaints).where({ id }).first()).severity as string;
        expect([await severity(old), await severity(young), await severity(venting), await severity(answered)]).to.deep.equal([
          'major',
          'important',
          'minor',
          'important',
        ]);
        const [notice] = await outboxRows(ctx, 'escalated');
        expect(JSON.parse(String(notice!.payload))).to.include({ complaintId: old, severity: 'major', automatic: true });
        const events = await listEvents(t.db, ctx.tables, 'complaint', old);
        expect(events.map((e) => e.action)).to.deep.equal(['auto-escalate']);

        const again = await runByHand(ctx, 'escalate', { now });
        expect(again).to.deep.include({ counts: { escalated: 0, notified: 0 } });
        expect(await outboxRows(ctx)).to.have.length(1);
      });
    });

    describe('deadlines', () => {
      it('warns before a deadline, marks it overdue once passed, and sends each notice once', async () => {
        const now = clock.now();
        const near = await addComplaint(ctx, { state: 'processing', dueAt: new Date(now.getTime() + 2 * HOUR), assigneeId: 'e7', assigneeName: '李工' });
        const late = await addComplaint(ctx, { state: 'investigating', dueAt: new Date(now.getTime() - HOUR) });
        await addComplaint(ctx, { state: 'received', dueAt: new Date(now.getTime() + 48 * HOUR) });
        await addComplaint(ctx, { state: 'resolved', dueAt: new Date(now.getTime() - HOUR), followUpDueAt: new Date(now.getTime() - HOUR) });
        await addComplaint(ctx, { state: 'closed', dueAt: null });

        const first = await runByHand(ctx, 'deadlines', { now });
        expect(first).to.deep.include({ status: 'ok', counts: { near: 1, overdue: 1, notified: 2 } });
        const rows = await outboxRows(ctx);
        expect(rows.map((r) => [r.topic, JSON.parse(String(r.payload)).complaintId])).to.deep.equal([
          ['overdue', late],
          ['deadline_near', near],
        ]);
        expect(JSON.parse(String(rows[1]!.payload))).to.include({ assigneeName: '李工', stage: 'handling' });

        const again = await runByHand(ctx, 'deadlines', { now });
        expect(again).to.deep.include({ counts: { near: 1, overdue: 1, notified: 0 } });
        expect(await outboxRows(ctx)).to.have.length(2);

        clock.advance(3 * HOUR);
        const later = await runByHand(ctx, 'deadlines', { now: clock.now() });
        expect(later).to.deep.include({ counts: { near: 0, overdue: 2, notified: 1 } });
        expect((await outboxRows(ctx, 'overdue')).map((r) => JSON.parse(String(r.payload)).complaintId)).to.deep.equal([late, near]);
      });

      it('counts the warning window in working time when the calendar says so', async () => {
        // Wednesday 30 Sep 17:00; due Thursday 8 Oct 10:00, the first working morning after National Day.
        await addComplaint(ctx, { state: 'processing', dueAt: sh('2026-10-08T10:00:00') });
        await setSettings(ctx, { deadlineWarningHours: 4 });
        const plain = await runByHand(ctx, 'deadlines', { now: clock.now() });
        expect(plain).to.deep.include({ counts: { near: 0, overdue: 0, notified: 0 } });
        const calendar = (await ctx.settings.get()).serviceCalendar;
        await setSettings(ctx, { serviceCalendar: { ...calendar, mode: 'working' } });
        // 1 working hour left today + 1 on 8 Oct: the deadline is within 4 working hours.
        const working = await runByHand(ctx, 'deadlines', { now: clock.now() });
        expect(working).to.deep.include({ counts: { near: 1, overdue: 0, notified: 1 } });
        await setSettings(ctx, { serviceCalendar: calendar, deadlineWarningHours: 24 });
      });
    });

    describe('follow-ups', () => {
      it('lists visits due and overdue and notifies each once', async () => {
        const now = clock.now();
        const due = await addComplaint(ctx, {
          state: 'resolved',
          resolvedAt: new Date(now.getTime() - 2 * HOUR),
          followUpDueAt: new Date(now.getTime() + 22 * HOUR),
        });
        const overdue = await addComplaint(ctx, {
          state: 'resolved',
          resolvedAt: new Date(now.getTime() - 30 * HOUR),
          followUpDueAt: new Date(now.getTime() - 6 * HOUR),
        });
        await addComplaint(ctx, { state: 'closed', resolvedAt: new Date(now.getTime() - 30 * HOUR), followUpDueAt: new Date(now.getTime() - 6 * HOUR) });

        const first = await runByHand(ctx, 'follow-ups', { now });
        expect(first).to.deep.include({ counts: { due: 1, overdue: 1, notified: 2, ownerNotified: 0 } });
        const rows = await outboxRows(ctx);
        expect(rows.map((r) => [r.topic, JSON.parse(String(r.payload)).complaintId, JSON.parse(String(r.payload)).stage])).to.deep.equal([
          ['overdue', overdue, 'follow_up'],
          ['follow_up_due', due, 'follow_up'],
        ]);
        const again = await runByHand(ctx, 'follow-ups', { now });
        expect(again).to.deep.include({ counts: { due: 1, overdue: 1, notified: 0, ownerNotified: 0 } });
        expect(await outboxRows(ctx)).to.have.length(2);
      });
    });

    describe('expire-offsets', () => {
      it('expires open offsets past their local date, audits each, and a rerun finds nothing', async () => {
        // 16:30 UTC on 8 Oct is already 00:30 on 9 Oct in Shanghai: offsets valid through 8 Oct have expired.
        clock.set('2026-10-08T16:30:00Z');
        const complaint = await addComplaint(ctx, { state: 'processing' });
        const approvedPast = await addOffset(ctx, complaint, { status: 'approved', expiresOn: '2026-10-08' });
        const requestedPast = await addOffset(ctx, complaint, { status: 'requested', expiresOn: '2026-10-01' });
        const approvedToday = await addOffset(ctx, complaint, { status: 'approved', expiresOn: '2026-10-09' });
        const rejectedPast = await addOffset(ctx, complaint, { status: 'rejected', expiresOn: '2026-10-01' });
        const noDate = await addOffset(ctx, complaint, { status: 'approved', expiresOn: null });

        const first = await runByHand(ctx, 'expire-offsets', { now: clock.now() });
        expect(first).to.deep.include({ counts: { expired: 2 } });
        const status = async (id: number) => (await t.db(ctx.tables.offsets).where({ id }).first()).status as string;
        expect(await status(approvedPast)).to.equal('expired');
        expect(await status(requestedPast)).to.equal('expired');
        expect(await status(approvedToday)).to.equal('approved');
        expect(await status(rejectedPast)).to.equal('rejected');
        expect(await status(noDate)).to.equal('approved');
        const events = await listEvents(t.db, ctx.tables, 'offset', approvedPast);
        expect(events.map((e) => [e.action, e.fromState, e.toState, e.actorId])).to.deep.equal([['expire', 'approved', 'expired', 'system']]);
        // People read the note on the timeline: the date and what was left, in yuan, never a fen field.
        expect(events[0]!.note).to.equal('有效期至 2026-10-08，过期时剩余 ¥100.00 · valid through 2026-10-08, ¥100.00 left');

        const again = await runByHand(ctx, 'expire-offsets', { now: clock.now() });
        expect(again).to.deep.include({ counts: { expired: 0 } });
        expect(await listEvents(t.db, ctx.tables, 'offset', approvedPast)).to.have.length(1);
      });
    });

    describe('daily-digest', () => {
      it("counts yesterday's local day into one company notice and one per community, once per day", async () => {
        clock.set(sh('2026-10-09T08:00:00'));
        await addComplaint(ctx, { receivedAt: sh('2026-10-08T00:10:00') });
        await addComplaint(ctx, { receivedAt: sh('2026-10-08T23:50:00'), state: 'processing', dueAt: sh('2026-10-09T07:00:00') });
        await addComplaint(ctx, {
          receivedAt: sh('2026-10-07T23:50:00'),
          state: 'resolved',
          resolvedAt: sh('2026-10-08T12:00:00'),
          followUpDueAt: sh('2026-10-09T12:00:00'),
        });
        await addComplaint(ctx, { receivedAt: sh('2026-10-09T07:00:00') });
        // Community 2: one received yesterday with an offset awaiting approval, one closed long ago (nothing to report).
        const second = await addComplaint(ctx, {
          receivedAt: sh('2026-10-08T15:00:00'),
          communityId: '2',
          state: 'investigating',
          dueAt: sh('2026-10-10T15:00:00'),
        });
        await addOffset(ctx, second, { status: 'requested', expiresOn: null });
        await addComplaint(ctx, { receivedAt: sh('2026-09-01T10:00:00'), communityId: '3', state: 'closed', closedAt: sh('2026-09-03T10:00:00') });

        const first = await runByHand(ctx, 'daily-digest', { now: clock.now() });
        expect(first).to.deep.include({ status: 'ok' });
        expect(first.status === 'ok' && first.counts).to.deep.include({
          received: 3,
          resolved: 1,
          open: 5,
          overdue: 1,
          followUpsOverdue: 0,
          offsetsAwaitingApproval: 1,
          communities: 2,
          notified: 3,
        });
        const rows = await outboxRows(ctx, 'daily_digest');
        expect(rows.map((r) => r.dedupe_key)).to.deep.equal([
          'daily_digest:2026-10-08',
          'daily_digest:2026-10-08:community:1',
          'daily_digest:2026-10-08:community:2',
        ]);
        const [company, one, two] = rows.map((r) => JSON.parse(String(r.payload)));
        expect(company).to.deep.include({ date: '2026-10-08', timezone: 'Asia/Shanghai', scope: 'company', communityId: null });
        expect(company.counts).to.deep.equal({
          received: 3,
          resolved: 1,
          closed: 0,
          escalated: 0,
          open: 5,
          overdue: 1,
          followUpsOverdue: 0,
          offsetsAwaitingApproval: 1,
        });
        expect(one).to.deep.include({ scope: 'community', communityId: '1' });
        expect(one.counts).to.deep.equal({
          received: 2,
          resolved: 1,
          closed: 0,
          escalated: 0,
          open: 4,
          overdue: 1,
          followUpsOverdue: 0,
          offsetsAwaitingApproval: 0,
        });
        expect(two.counts).to.deep.equal({
          received: 1,
          resolved: 0,
          closed: 0,
          escalated: 0,
          open: 1,
          overdue: 0,
          followUpsOverdue: 0,
          offsetsAwaitingApproval: 1,
        });

        const again = await runByHand(ctx, 'daily-digest', { now: clock.now() });
        expect(again.status === 'ok' && again.counts.notified).to.equal(0);
        expect(await outboxRows(ctx, 'daily_digest')).to.have.length(3);
      });
    });

    describe('purge', () => {
      it('deletes delivered notices and job history past retention, never undelivered notices nor keys of open complaints', async () => {
        const DAY = 24 * HOUR;
        clock.set(sh('2026-12-30T03:40:00'));
        const now = clock.now();
        const ago = (days: number) => new Date(now.getTime() - days * DAY);
        const open = await addComplaint(ctx, { state: 'processing' });
        const closed = await addComplaint(ctx, { state: 'closed' });
        const notice = async (label: string, o: { key?: string; complaintId?: number; createdDaysAgo: number; deliveredDaysAgo: number | null }) => {
          await t.db.transaction((trx) =>
            enqueue(
              trx,
              ctx.tables,
              'overdue',
              { label, ...(o.complaintId ? { complaintId: o.complaintId } : {}) },
              ago(o.createdDaysAgo),
              o.key ? { dedupeKey: o.key } : {},
            ),
          );
          const row = await t.db(ctx.tables.outbox).orderBy('id', 'desc').first();
          if (o.deliveredDaysAgo !== null)
            await t
              .db(ctx.tables.outbox)
              .where({ id: row.id })
              .update({ delivered_at: toDbTime(ago(o.deliveredDaysAgo)) });
          return Number(row.id);
        };
        await notice('old, unkeyed', { createdDaysAgo: 41, deliveredDaysAgo: 40 });
        await notice('old, keyed, closed complaint', { key: `overdue:handling:${closed}:x`, complaintId: closed, createdDaysAgo: 41, deliveredDaysAgo: 40 });
        const openKey = await notice('old, keyed, open complaint', {
          key: `overdue:handling:${open}:x`,
          complaintId: open,
          createdDaysAgo: 41,
          deliveredDaysAgo: 40,
        });
        await notice('old digest', { key: 'daily_digest:2026-11-01', createdDaysAgo: 59, deliveredDaysAgo: 59 });
        const recent = await notice('recent', { createdDaysAgo: 10, deliveredDaysAgo: 10 });
        const undelivered = await notice('never delivered', { createdDaysAgo: 200, deliveredDaysAgo: null });
        expect((await outboxRows(ctx)).find((r) => Number(r.id) === openKey)!.complaint_id).to.satisfy((v: unknown) => Number(v) === open);

        const counting: Job = { name: 'count', run: async () => ({}) };
        clock.set(ago(100));
        await runByHand(ctx, 'count', { now: clock.now(), jobs: [counting] });
        clock.set(ago(10));
        await runByHand(ctx, 'count', { now: clock.now(), jobs: [counting] });
        clock.set(now);

        const first = await runByHand(ctx, 'purge', { now });
        expect(first).to.deep.include({ status: 'ok', counts: { notices: 3, runs: 1, claims: 1 } });
        const left = (await outboxRows(ctx)).map((r) => Number(r.id));
        expect(left).to.deep.equal([openKey, recent, undelivered]);
        expect((await listRuns(ctx, { job: 'count' })).map((r) => r.startedAt.toISOString())).to.deep.equal([ago(10).toISOString()]);
        expect(await t.db(ctx.tables.jobClaims).where({ job: 'count' })).to.have.length(1);
        const [run] = await listRuns(ctx, { job: 'purge' });
        expect(run).to.deep.include({ outcome: 'ok', counts: { notices: 3, runs: 1, claims: 1 } });

        const again = await runByHand(ctx, 'purge', { now });
        expect(again).to.deep.include({ counts: { notices: 0, runs: 0, claims: 0 } });

        // Once the complaint is closed its key can go; a shorter retention takes the recent notice too.
        await t.db(ctx.tables.complaints).where({ id: open }).update({ state: 'closed' });
        await setSettings(ctx, { outboxRetentionDays: 5, jobRunRetentionDays: 5 });
        try {
          const shorter = await runByHand(ctx, 'purge', { now });
          expect(shorter).to.deep.include({ counts: { notices: 2, runs: 1, claims: 1 } });
          expect((await outboxRows(ctx)).map((r) => Number(r.id))).to.deep.equal([undelivered]);
        } finally {
          await setSettings(ctx, { outboxRetentionDays: 30, jobRunRetentionDays: 90 });
        }
        expect(await listUndelivered(t.db, ctx.tables)).to.have.length(1);
      });
    });

    describe('scheduler', () => {
      it('runs each slot once across two schedulers sharing the database, and stop waits for a running job', async function () {
        this.timeout(15000);
        let started = 0;
        let finished = 0;
        const slow: Job = {
          name: 'tick',
          async run() {
            started++;
            await new Promise((r) => setTimeout(r, 400));
            finished++;
            return {};
          },
        };
        const options = { cron: [{ name: 'tick', schedule: '* * * * * *', description: { 'zh-CN': '测试', en: 'test' } }], jobs: [slow] };
        const a = new JobScheduler(ctx, options);
        const b = new JobScheduler(jobContext(t.db, clock), options);
        await a.start();
        await b.start();
        await new Promise((r) => setTimeout(r, 2300));
        await Promise.all([a.stop(), b.stop()]);
        expect(finished).to.equal(started);
        const runs = await listRuns(ctx, { job: 'tick' });
        expect(runs.length).to.be.within(2, 3);
        expect(new Set(runs.map((r) => r.slot)).size).to.equal(runs.length);
        expect(runs.every((r) => r.outcome === 'ok' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(r.slot))).to.equal(true);
        await new Promise((r) => setTimeout(r, 1100));
        expect(await listRuns(ctx, { job: 'tick' })).to.have.length(runs.length);
      });
    });
  });
}
