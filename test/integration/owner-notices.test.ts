// Owner notices (业主通知) delivered to a real local webhook, on both databases: at receipt, reply, before
// the follow-up visit (the follow-ups job, once per deadline) and at closure (and the continuation's
// receipt after an unsatisfied visit), each an `owner.notice` event carrying the owner's mobile number
// and the zh-CN text of the settings' template with the status link; none for a complaint whose owner was
// opted out (audited); signed like every delivery.
import { expect } from 'chai';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createComplaintService, type ComplaintService } from '../../src/complaints/service.js';
import type { Complaint } from '../../src/complaints/types.js';
import { runByHand } from '../../src/jobs/runner.js';
import { WebhookDeliverer, signature } from '../../src/notifications/deliverer.js';
import { createOwnerService, type OwnerService } from '../../src/owner/service.js';
import { simpleHost } from '../fixtures/hosts.js';
import { assessProperty, intakeBody, planBody as basePlan, replyBody } from '../support/complaintData.js';
import { databaseKinds } from '../support/databases.js';
import { people, startPluginHarness, type PluginHarness } from '../support/pluginHarness.js';

const { counter, supervisor } = people;
const planBody = { ...basePlan, deadline: '2026-12-20T10:00:00+08:00' };
const SECRET = 'owner-notice-webhook-secret';

interface Delivery {
  headers: IncomingHttpHeaders;
  raw: string;
  body: { id: number; topic: string; payload: Record<string, any> };
}

for (const kind of databaseKinds) {
  describe(`owner notices to a real webhook (${kind.kind})`, function () {
    this.timeout(60_000);
    let h: PluginHarness;
    let complaints: ComplaintService;
    let owner: OwnerService;
    let server: Server;
    let url: string;
    const received: Delivery[] = [];

    before(async () => {
      h = await startPluginHarness(kind, simpleHost, {
        now: '2026-12-06T02:00:00.000Z',
        settings: { ownerPublicBaseUrl: 'https://wy.example.com/complaints' },
      });
      complaints = createComplaintService(h.ctx);
      owner = createOwnerService(h.ctx);
      server = createServer((req, res) => {
        let raw = '';
        req.on('data', (d) => (raw += String(d)));
        req.on('end', () => {
          received.push({ headers: req.headers, raw, body: JSON.parse(raw) as Delivery['body'] });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms-gateway`;
    });
    after(async () => {
      await new Promise((r) => server?.close(r));
      await h?.close();
    });

    /** Delivers the outbox to the local webhook and returns the owner notices it received this time. */
    const deliver = async () => {
      const from = received.length;
      const deliverer = new WebhookDeliverer(h.ctx, { url, secret: SECRET });
      for (let pass = 0; pass < 10; pass++) if ((await deliverer.deliverPending()).delivered === 0) break;
      return received.slice(from).filter((d) => d.body.topic === 'owner.notice');
    };
    const step = (c: Complaint, action: string, body: Record<string, unknown> = {}) =>
      complaints.transition(c.id, action, { version: c.version, ...body }, supervisor);
    const reply = async (c: Complaint) => {
      c = await step(c, 'start-investigation');
      c = await step(c, 'assess', assessProperty);
      c = await step(c, 'plan', planBody);
      return step(c, 'resolve', replyBody);
    };

    it('receipt, reply, before the visit and closure: one signed owner.notice each, with the mobile number, the text and the link', async () => {
      let c = (await complaints.create(intakeBody('101'), counter)).complaint;
      const link = `https://wy.example.com/complaints/s/${(await owner.linkFor(c.id, counter)).token}`;

      const [receipt, ...more] = await deliver();
      expect(more).to.deep.equal([]);
      expect(receipt!.body.payload).to.include({ kind: 'received', complaintId: c.id, code: c.code, mobile: '13800138001', statusUrl: link });
      expect(receipt!.body.payload.text).to.equal(`【物业客服】您的投诉已受理，编号${c.code}，我们将于12月8日前答复。查询进度：${link}`);
      const ts = String(receipt!.headers['x-complaints-timestamp']);
      expect(receipt!.headers['x-complaints-signature']).to.equal(signature(SECRET, ts, receipt!.raw));
      expect(receipt!.headers['x-complaints-topic']).to.equal('owner.notice');

      c = await reply(c);
      const replied = await deliver();
      expect(replied.map((d) => d.body.payload.kind)).to.deep.equal(['replied']);
      expect(replied[0]!.body.payload.text).to.equal(`【物业客服】您的投诉${c.code}已有处理结果，请查看并评价：${link}`);

      // Before the visit: the follow-ups job tells the owner once per follow-up deadline.
      const job = await runByHand(h.ctx, 'follow-ups', { now: h.clock.now() });
      expect(job).to.deep.include({ status: 'ok' });
      expect(job).to.have.nested.property('counts.ownerNotified', 1);
      expect(await runByHand(h.ctx, 'follow-ups', { now: h.clock.now() })).to.have.nested.property('counts.ownerNotified', 0);
      const visit = await deliver();
      expect(visit.map((d) => d.body.payload.kind)).to.deep.equal(['followUp']);
      expect(visit[0]!.body.payload.text).to.match(new RegExp(`^【物业客服】我们将于\\d+月\\d+日前就投诉${c.code}回访您`));

      // An unsatisfied visit closes this one and opens the next: the owner hears of both.
      const result = await complaints.followUp(c.id, { version: c.version, method: 'phone', satisfied: false, complainantWords: '还是漏水' }, counter);
      const closing = await deliver();
      expect(closing.map((d) => [d.body.payload.kind, d.body.payload.code])).to.deep.equal([
        ['closed', c.code],
        ['received', result.continuation!.code],
      ]);
      expect(closing[0]!.body.payload.text).to.include('已办结（回访不满意关闭）');
    });

    it('sends nothing to an owner opted out on the complaint (the opt-out is audited), and again once opted back in', async () => {
      let c = (await complaints.create(intakeBody('102', { complainantName: '王芳', complainantPhone: '13900139002' }), counter)).complaint;
      expect((await deliver()).map((d) => d.body.payload.kind)).to.deep.equal(['received']);
      await owner.setNotices(c.id, true, counter);
      expect((await complaints.events(c.id, supervisor)).map((e) => e.action)).to.include('owner-notices-off');
      c = await reply(c);
      expect(await deliver()).to.deep.equal([]);
      await owner.setNotices(c.id, false, counter);
      c = (await complaints.followUp(c.id, { version: c.version, method: 'visit', satisfied: true }, counter)).complaint;
      const closed = await deliver();
      expect(closed.map((d) => [d.body.payload.kind, d.body.payload.mobile])).to.deep.equal([['closed', '13900139002']]);
    });
  });
}
