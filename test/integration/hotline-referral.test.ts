// 12345 hotline referrals (12345 转办) on both databases: registered with the hotline's work-order number
// and deadline (both required for the channel, refused at their field elsewhere), handled as any
// complaint, then the reply to paste into the hotline's system (处理结果 / 办理依据) from the service, the
// API and the detail page; the report counts referrals apart with their on-time rate against the
// hotline's deadline, in the JSON and the CSV.
import { expect } from 'chai';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { staff, startPageHarness, unescapeHtml, userHeader, type PageHarness } from '../support/pageHarness.js';
import { intakeBody, planBody } from '../support/complaintData.js';
import { ValidationError } from '../../src/common/errors.js';
import { buildReport } from '../../src/reports/report.js';
import { refused } from '../support/offsetData.js';

const H = 3_600_000;

for (const kind of databaseKinds) {
  describe(`12345 hotline referrals (${kind.kind})`, function () {
    this.timeout(60_000);
    let h: PageHarness;
    before(async () => {
      h = await startPageHarness(kind, simpleHost, { now: '2026-11-10T01:00:00.000Z' });
    });
    after(() => h?.close());

    const referral = (ref: string, due: string) =>
      intakeBody('101', { channel: 'hotline_12345', externalRef: ref, hotlineDueAt: due, description: '12345 转办：电梯频繁停运' });

    it('records the hotline number and deadline, refuses them missing or on another channel', async () => {
      const fields = async (body: Record<string, unknown>) => {
        try {
          await h.plugin.complaints.create(body, staff.counter);
        } catch (err) {
          if (err instanceof ValidationError) return err.fields.map((f) => f.field).sort();
          throw err;
        }
        return [];
      };
      expect(await fields(intakeBody('101', { channel: 'hotline_12345' }))).to.deep.equal(['externalRef', 'hotlineDueAt']);
      expect(await fields(intakeBody('101', { channel: 'phone', externalRef: 'GD-1' }))).to.deep.equal(['externalRef']);
      const { complaint } = await h.plugin.complaints.create(referral('GD20261110-0042', '2026-11-13T18:00:00+08:00'), staff.counter);
      expect(complaint.channel).to.equal('hotline_12345');
      expect(complaint.externalRef).to.equal('GD20261110-0042');
      expect(complaint.hotlineDueAt!.toISOString()).to.equal('2026-11-13T10:00:00.000Z');
    });

    it('gives the reply to paste into the hotline system once replied, and the report counts referrals apart', async () => {
      const { complaints } = h.plugin;
      const onTime = (await complaints.list({ sort: '-receivedAt', limit: 10 }, staff.supervisor)).items.find((c) => c.externalRef === 'GD20261110-0042')!;
      await refused(complaints.hotlineReply(onTime.id, staff.counter), 'not_replied', 409);
      let c = await complaints.transition(
        onTime.id,
        'assess',
        { version: onTime.version, disputeType: 'property', nature: 'valid', severity: 'important' },
        staff.supervisor,
      );
      c = await complaints.transition(c.id, 'plan', { version: c.version, ...planBody }, staff.supervisor);
      h.clock.advance(24 * H);
      c = await complaints.transition(
        c.id,
        'resolve',
        { version: c.version, reply: '已更换曳引机制动器，电梯恢复运行', basis: '维保单位检测报告 WB-2026-118' },
        staff.supervisor,
      );

      const reply = await complaints.hotlineReply(c.id, staff.counter);
      expect(reply.onTime).to.equal(true);
      expect(reply.text).to.equal(
        [
          '工单编号：GD20261110-0042',
          '处理结果：已更换曳引机制动器，电梯恢复运行',
          '办理依据：维保单位检测报告 WB-2026-118',
          '办结时间：2026-11-11 09:00（办理时限 2026-11-13 18:00，按时办结）',
          `内部编号：${c.code}`,
        ].join('\n'),
      );
      const api = await fetch(`${h.origin}${h.base}/api/complaints/${c.id}/hotline-reply`, { headers: userHeader(staff.counter, h.clock) });
      expect(api.status).to.equal(200);
      expect(((await api.json()) as { reply: { text: string } }).reply.text).to.equal(reply.text);
      const other = await complaints.create(intakeBody('102'), staff.counter);
      await refused(complaints.hotlineReply(other.complaint.id, staff.counter), 'not_found', 404);

      // A second referral whose hotline deadline passes unreplied, and one replied late.
      await complaints.create(referral('GD20261111-0007', '2026-11-11T12:00:00+08:00'), staff.counter);
      const late = await complaints.create(referral('GD20261111-0008', '2026-11-11T12:00:00+08:00'), staff.counter);
      h.clock.advance(24 * H); // 2026-11-12 09:00 Shanghai
      await complaints.transition(
        late.complaint.id,
        'resolve',
        { version: late.complaint.version, reply: '已解答', basis: '物业服务合同第 5 条', nature: 'inquiry' },
        staff.supervisor,
      );

      const report = await buildReport(h.plugin.context, { from: '2026-11-01', to: '2026-11-30', communityId: null, actor: staff.manager });
      expect(report.hotline).to.deep.equal({ referrals: 3, replied: 2, count: 1, of: 3, rate: 1 / 3, late: 1, overdueOpen: 1 });
      expect(report.by.channel.find((x) => x.key === 'hotline_12345')!.count).to.equal(3);

      const csv = await fetch(`${h.origin}${h.base}/report.csv?from=2026-11-01&to=2026-11-30`, { headers: userHeader(staff.manager, h.clock) });
      const text = await csv.text();
      expect(text).to.include('12345 热线转办,转办件数,3,');
      expect(text).to.include('12345 热线转办,按热线时限办结率,33.3%,按时 1 / 3；逾期办结 1；逾期未办结 1');

      const page = await fetch(`${h.origin}${h.base}/c/${c.id}`, { headers: userHeader(staff.counter, h.clock) });
      const html = unescapeHtml(await page.text());
      expect(html).to.include('12345 回复单');
      expect(html).to.include('处理结果：已更换曳引机制动器，电梯恢复运行');
    });
  });
}
