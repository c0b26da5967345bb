// Owners' personal information (issue 23) on SQLite and MariaDB: the retention job anonymises a
// complaint closed four years ago while the report's figures and the offsets' reconciliation stay
// identical; its dry run changes nothing; an owner's export holds exactly their data; an owner's
// erasure keeps money amounts and references; the audit trail stays append-only except for a redaction.
import { expect } from 'chai';
import { SYSTEM_ACTOR, type Actor } from '../../src/auth/actor.js';
import { createCompensationService } from '../../src/compensations/service.js';
import type { Complaint } from '../../src/complaints/types.js';
import { privacyRetentionJob } from '../../src/jobs/privacyRetention.js';
import { privacyRetentionCommand } from '../../src/cli/commands/privacy.js';
import { runRetention } from '../../src/privacy/retention.js';
import { createPrivacyService } from '../../src/privacy/service.js';
import { ANONYMISED } from '../../src/privacy/store/erasers.js';
import sharp from 'sharp';
import { createAttachmentService } from '../../src/attachments/service.js';
import { DatabaseBlobStore } from '../../src/attachments/store/blobStore.js';
import { buildReport } from '../../src/reports/report.js';
import { simpleHost } from '../fixtures/hosts.js';
import { intakeBody, planBody, replyBody } from '../support/complaintData.js';
import { databaseKinds } from '../support/databases.js';
import { approvedOffset, refused, startOffsetHarness, type OffsetHarness } from '../support/offsetData.js';
import { people } from '../support/pluginHarness.js';

const FULL_MOBILE = /(?<!\d)1[3-9]\d{9}(?!\d)/;

/** A complaint registered, handled, replied to and followed up (closed), with words that name the owner. */
async function closedComplaint(h: OffsetHarness, unitId: string, phone: string, name: string, before?: (c: Complaint) => Promise<void>): Promise<Complaint> {
  const { complaint } = await h.complaints.create(
    intakeBody(unitId, { complainantName: name, complainantPhone: phone, description: `${name}来电 ${phone}：阳台漏水一个月` }),
    people.counter,
  );
  let c = await h.complaints.transition(
    complaint.id,
    'assess',
    { version: complaint.version, disputeType: 'property', nature: 'valid', severity: 'important', findings: `${name}家阳台渗水` },
    people.supervisor,
  );
  if (before) {
    await before(c);
    c = (await h.complaints.get(c.id, people.supervisor)).complaint;
  }
  const deadline = new Date(h.clock.now().getTime() + 5 * 86400_000).toISOString();
  c = await h.complaints.transition(c.id, 'plan', { ...planBody, deadline, version: c.version }, people.supervisor);
  c = await h.complaints.transition(c.id, 'resolve', { ...replyBody, version: c.version }, people.counter);
  await h.complaints.followUp(
    c.id,
    { version: c.version, method: 'phone', satisfied: true, complainantWords: `${name}说修好了`, ownerRating: 5 },
    people.counter,
  );
  return (await h.complaints.get(c.id, people.supervisor)).complaint;
}

async function row(h: OffsetHarness, table: string, where: Record<string, unknown>): Promise<Record<string, any>> {
  return (await h.db(table).where(where).first()) as Record<string, any>;
}

for (const kind of databaseKinds) {
  describe(`privacy: retention, owner export and erasure (${kind.kind})`, function () {
    this.timeout(60_000);
    let h: OffsetHarness;
    let old: Complaint;
    let recent: Complaint;
    let offsetId: number;
    let photoKey: string;
    const admin: Actor = people.administrator;

    before(async () => {
      h = await startOffsetHarness(kind, simpleHost, { now: '2022-06-01T01:00:00.000Z' });
      // Closed in June 2022: an applied offset and a compensation, both with notes naming the owner.
      old = await closedComplaint(h, '101', '13800138001', '张伟', async (c) => {
        // A photo of the owner's balcony, kept in our tables.
        const jpeg = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#88aacc' } })
          .jpeg()
          .toBuffer();
        const [photo] = await createAttachmentService(h.ctx, new DatabaseBlobStore(h.db, h.ctx.tables)).attach(
          c.id,
          [{ field: 'files', fileName: '张伟家阳台.jpg', data: jpeg }],
          { step: 'progress', visibility: 'owner_visible' },
          people.supervisor,
        );
        photoKey = String((await row(h, h.ctx.tables.attachments, { id: photo!.id })).storage_key);
        const offset = await approvedOffset(h, c.id, '50.00');
        offsetId = offset.id;
        await h.offsets.apply({ offsetId: offset.id, billId: '1001', amountFen: 3000, idempotencyKey: 'privacy-apply-1' }, people.cashier);
        await createCompensationService(h.ctx).record(
          c.id,
          { payer: 'company', amount: '200.00', paidOn: '2022-06-01', method: 'transfer', reference: 'ZZ-2022-001', note: '转账给张伟 13800138001' },
          people.supervisor,
        );
      });
      // Closed in November 2026 (another owner): within the retention period.
      h.clock.set('2026-11-20T01:00:00.000Z');
      recent = await closedComplaint(h, '102', '13900139002', '李娜');
      h.clock.set('2026-11-28T01:00:00.000Z');
    });
    after(async () => h?.close());

    it('`complaints privacy retention --dry-run` lists what would change, changes nothing and is audited with the operator', async () => {
      const rowBefore = await row(h, h.ctx.tables.complaints, { id: old.id });
      const original = console.log;
      let out = '';
      console.log = (...args: unknown[]) => void (out += `${args.join(' ')}\n`);
      try {
        // The command runs on the real clock (December 2026 or later): June 2022 is past three years, November 2026 is not.
        expect(await privacyRetentionCommand({ db: h.database.url, lang: 'en', dryRun: true })).to.equal(0);
      } finally {
        console.log = original;
      }
      expect(out).to.contain('Dry run: nothing was changed.').and.contain(old.code);
      expect(out).to.not.contain(recent.code);
      expect(out).to.match(/rows that would change: follow_ups=1 events=\d+ outbox=\d+ owner_ratings=0 attachments=1 complaints=1/);
      expect(await row(h, h.ctx.tables.complaints, { id: old.id })).to.deep.equal(rowBefore);
      const audit = (await h.db(h.ctx.tables.events).where({ entity_type: 'privacy', action: 'retention_dry_run' }).orderBy('id', 'desc').first()) as Record<
        string,
        any
      >;
      expect(audit.actor_id).to.match(/^cli:/);
    });

    it('dry run lists the four-year-old complaint only and changes nothing; the run anonymises it and keeps the report and reconciliation identical', async () => {
      const report = () => buildReport(h.ctx, { from: '2022-06-01', to: '2022-06-30', actor: people.manager });
      const reportBefore = await report();
      const reconcileBefore = await h.offsets.reconcile();
      expect(reconcileBefore.ok).to.equal(true);
      expect(reportBefore.complaints).to.equal(1);
      const rowBefore = await row(h, h.ctx.tables.complaints, { id: old.id });

      const dry = await runRetention(h.ctx, { dryRun: true, actor: admin });
      expect(dry.personal.complaints.map((c) => c.code)).to.deep.equal([old.code]);
      expect(dry.personal.rows.complaints).to.equal(1);
      expect(dry.personal.rows.follow_ups).to.equal(1);
      expect(dry.personal.rows.attachments).to.equal(1);
      expect(dry.personal.rows.events).to.be.greaterThan(0);
      // Money records follow the accounting retention (10 years): not due yet.
      expect(dry.accounting.complaints).to.deep.equal([]);
      expect(await row(h, h.ctx.tables.complaints, { id: old.id })).to.deep.equal(rowBefore);

      const blobParts = async () =>
        Number(((await h.db(h.ctx.tables.attachmentBlobs).where({ blob_key: photoKey }).count({ n: '*' }).first()) as { n: number | string }).n);
      expect(await blobParts()).to.be.greaterThan(0);
      const counts = await privacyRetentionJob.run(h.ctx, h.clock.now());
      expect(counts.anonymised).to.equal(1);

      const after = await row(h, h.ctx.tables.complaints, { id: old.id });
      expect(after.complainant_name).to.equal(ANONYMISED);
      expect(after.complainant_phone).to.equal('');
      expect(after.description).to.equal(ANONYMISED);
      expect(after.findings).to.equal(ANONYMISED);
      expect(after.owner_id).to.equal(null);
      expect(after.owner_name).to.equal(null);
      expect(after.anonymised_at).to.not.equal(null);
      // The photo's bytes are gone; the row says a file was there, removed by the retention run.
      const photo = await row(h, h.ctx.tables.attachments, { complaint_id: old.id });
      expect(photo.file_name).to.equal(ANONYMISED);
      expect(photo.removed_at).to.not.equal(null);
      expect(await blobParts()).to.equal(0);
      // What reports read stays.
      for (const col of [
        'code',
        'state',
        'category',
        'severity',
        'dispute_type',
        'nature',
        'unit_id',
        'received_at',
        'resolved_at',
        'closed_at',
        'reply_due_at',
      ]) {
        expect(after[col], col).to.deep.equal(rowBefore[col]);
      }
      const visit = await row(h, h.ctx.tables.followUps, { complaint_id: old.id });
      expect(visit.complainant_words).to.equal(ANONYMISED);
      expect(visit.satisfied).to.be.oneOf([1, true]);
      expect(visit.owner_rating).to.equal(5);
      // The complaint's own events lost their personal values; no full mobile number is left anywhere on it.
      const events = (await h.db(h.ctx.tables.events).where({ complaint_id: old.id })) as Array<Record<string, any>>;
      expect(events.filter((e) => e.entity_type === 'complaint').map((e) => e.action)).to.include('anonymise');
      const complaintText = JSON.stringify([after, visit, events.filter((e) => e.entity_type === 'complaint')]);
      expect(complaintText).to.not.match(FULL_MOBILE);
      expect(complaintText).to.not.contain('张伟');
      // Money: amounts, the offset's audit events and the compensation (until accounting retention) stay.
      const offset = await row(h, h.ctx.tables.offsets, { id: offsetId });
      expect([offset.approved_fen, offset.remaining_fen].map(Number)).to.deep.equal([5000, 2000]);
      expect(events.filter((e) => e.entity_type === 'offset').map((e) => e.action)).to.include.members(['request', 'approve', 'apply']);
      expect((await row(h, h.ctx.tables.compensations, { complaint_id: old.id })).amount_fen).to.equal(20000);

      expect(await report()).to.deep.equal(reportBefore);
      expect(await h.offsets.reconcile()).to.deep.equal(reconcileBefore);

      // The recent complaint is untouched; a second run finds nothing.
      expect((await row(h, h.ctx.tables.complaints, { id: recent.id })).complainant_phone).to.equal('13900139002');
      expect((await privacyRetentionJob.run(h.ctx, h.clock.now())).anonymised).to.equal(0);
      const audits = (await h.db(h.ctx.tables.events).where({ entity_type: 'privacy' }).orderBy('id')) as Array<Record<string, any>>;
      expect(audits.map((a) => [a.action, a.actor_id])).to.deep.include.members([
        ['retention_dry_run', admin.id],
        ['retention_run', SYSTEM_ACTOR.id],
      ]);
      expect(JSON.parse(audits.find((a) => a.action === 'retention_dry_run')!.note).personal.codes).to.deep.equal([old.code]);
    });

    it('keeps the audit trail append-only: an ordinary UPDATE or a second redaction is refused', async () => {
      const event = (await h.db(h.ctx.tables.events).where({ complaint_id: old.id, entity_type: 'complaint' }).whereNotNull('redacted_at').first()) as Record<
        string,
        any
      >;
      let error: unknown = null;
      try {
        await h.db(h.ctx.tables.events).where({ id: event.id }).update({ actor_name: '别人' });
      } catch (err) {
        error = err;
      }
      expect(String(error)).to.contain('append-only');
      error = null;
      try {
        await h.db(h.ctx.tables.events).where({ id: event.id }).update({ note: 'restored', redacted_at: null });
      } catch (err) {
        error = err;
      }
      expect(String(error)).to.contain('append-only');
      expect((await h.db(h.ctx.tables.events).where({ id: event.id }).first()).note).to.be.oneOf([null, ANONYMISED]);
    });

    it("exports exactly one owner's data, audited, and refuses an id that is not one", async () => {
      const privacy = createPrivacyService(h.ctx);
      // Owner 2 (李娜's unit 102 belongs to owner 2 in the fixture) has the recent complaint; owner 1's old one is anonymised now.
      const ownerOfRecent = String((await row(h, h.ctx.tables.complaints, { id: recent.id })).owner_id);
      const data = await privacy.exportOwner(ownerOfRecent, admin);
      const theirs = (await h.db(h.ctx.tables.complaints).where({ owner_id: ownerOfRecent }).orderBy('id').pluck('code')) as string[];
      expect(data.complaints.map((c) => c.code)).to.deep.equal(theirs);
      expect(theirs).to.include(recent.code).and.not.include(old.code);
      expect(data.complaints[0]).to.include({ complainantPhone: '13900139002', complainantName: '李娜' });
      expect(data.complaints[0]).to.not.have.property('findings');
      expect(data.followUps).to.deep.equal([
        {
          complaintCode: recent.code,
          visitedAt: (data.followUps as any[])[0].visitedAt,
          method: 'phone',
          satisfied: true,
          complainantWords: '李娜说修好了',
          ownerRating: 5,
        },
      ]);
      expect(data.offsets).to.deep.equal([]);
      expect(JSON.stringify(data)).to.not.contain('13800138001').and.not.contain(old.code);
      const audit = (await h.db(h.ctx.tables.events).where({ entity_type: 'privacy', action: 'owner_exported' }).first()) as Record<string, any>;
      expect(audit.actor_id).to.equal(admin.id);
      expect(JSON.parse(audit.note)).to.deep.equal({ ownerId: ownerOfRecent, complaints: theirs });

      await refused(privacy.exportOwner('1; DROP', admin), 'validation_failed');
      await refused(privacy.exportOwner(ownerOfRecent, people.supervisor), 'forbidden');
    });

    it('anonymises one owner on request (refused while a complaint is open), keeping amounts and references', async () => {
      const privacy = createPrivacyService(h.ctx);
      const ownerOfRecent = String((await row(h, h.ctx.tables.complaints, { id: recent.id })).owner_id);
      const { complaint: open } = await h.complaints.create(intakeBody('102', { complainantName: '李娜', complainantPhone: '13900139002' }), people.counter);
      await refused(privacy.anonymiseOwner(ownerOfRecent, admin), 'complaints_open', 409);
      expect((await row(h, h.ctx.tables.complaints, { id: recent.id })).complainant_name).to.equal('李娜');
      await h.complaints.transition(open.id, 'cancel', { version: open.version, cancelKind: 'duplicate', reason: '重复登记' }, people.counter);

      const result = await privacy.anonymiseOwner(ownerOfRecent, admin);
      expect(result.complaints).to.have.members([recent.code, open.code]);
      const after = await row(h, h.ctx.tables.complaints, { id: recent.id });
      expect([after.complainant_name, after.complainant_phone, after.owner_id]).to.deep.equal([ANONYMISED, '', null]);
      expect((await privacy.exportOwner(ownerOfRecent, admin)).complaints).to.deep.equal([]);
      const audit = (await h.db(h.ctx.tables.events).where({ entity_type: 'privacy', action: 'owner_anonymised' }).first()) as Record<string, any>;
      expect(audit.actor_id).to.equal(admin.id);
      expect(JSON.parse(audit.note).complaints).to.have.members([recent.code, open.code]);
    });
    it('after the accounting retention the money records lose their free text, never their amounts or references', async () => {
      h.clock.set('2032-07-01T01:00:00.000Z');
      const reconcileBefore = await h.offsets.reconcile();
      const dry = await runRetention(h.ctx, { dryRun: true, actor: admin });
      expect(dry.accounting.complaints.map((c) => c.code)).to.deep.equal([old.code]);
      await runRetention(h.ctx, { dryRun: false, actor: admin });
      const comp = await row(h, h.ctx.tables.compensations, { complaint_id: old.id });
      expect([comp.note, comp.reference, comp.amount_fen]).to.deep.equal([ANONYMISED, 'ZZ-2022-001', 20000]);
      const offset = await row(h, h.ctx.tables.offsets, { id: offsetId });
      expect(offset.reason).to.equal(ANONYMISED);
      expect([offset.requested_fen, offset.approved_fen, offset.remaining_fen].map(Number)).to.deep.equal([5000, 5000, 2000]);
      expect(await h.offsets.reconcile()).to.deep.equal(reconcileBefore);
      h.clock.set('2026-11-28T01:00:00.000Z');
    });
  });
}
