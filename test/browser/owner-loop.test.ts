// Issue 17's "done when", in a real browser (Debian's headless Chromium through playwright-core) against
// the real HTTP server, on SQLite and on MariaDB: the counter registers a complaint with two photos and
// prints the slip; the owner's phone (390 px) opens the link the slip renders, sees progress; staff reply
// with an owner-visible "after" photo; the owner sees it, rates 2 stars and asks for re-handling, and the
// linked complaint appears; the owner notices go to a real local webhook receiver. Then the owner app: the
// ERP's web-view opens /owner/app with a signed owner token, lands on "my complaints" without the token in
// the address, files a complaint with a photo through the embedded form (a refusal first, keeping what was
// typed), and finds it in "my complaints". Every owner page is checked at 390 px: nothing wider than the
// screen, and no serious or critical axe-core violation. Screenshots: test-output/owner-loop-*.png.
import { expect } from 'chai';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, launchChromium, seriousAxeViolations } from '../support/browser.js';
import sharp from 'sharp';
import { signOwnerToken } from '../../src/auth/ownerToken.js';
import { WebhookDeliverer, signature } from '../../src/notifications/deliverer.js';
import { simpleHost } from '../fixtures/hosts.js';
import { assessProperty, planBody as basePlan, replyBody } from '../support/complaintData.js';
import { databaseKinds } from '../support/databases.js';
import { PAGE_SECRET, staff, startPageHarness, type PageHarness } from '../support/pageHarness.js';

const OUT = 'test-output';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`Chromium is required under CI but ${CHROMIUM} is missing (.ci/run installs it)`);
const planBody = { ...basePlan, deadline: '2026-12-20T10:00:00+08:00' };
const WEBHOOK_SECRET = 'owner-loop-webhook-secret';

async function photo(color: string): Promise<Buffer> {
  return sharp({ create: { width: 800, height: 600, channels: 3, background: color } })
    .jpeg()
    .toBuffer();
}

interface Delivery {
  raw: string;
  timestamp: string;
  signature: string;
  body: { topic: string; payload: Record<string, any> };
}

for (const kind of databaseKinds) {
  (haveChromium ? describe : describe.skip)(`browser: the owner's loop on a phone, slip to re-handling and the owner app (${kind.kind})`, function () {
    this.timeout(180_000);
    let h: PageHarness;
    let browser: Browser;
    let desk: BrowserContext;
    let phone: BrowserContext;
    let app: BrowserContext;
    let staffPage: Page;
    let ownerPage: Page;
    let appPage: Page;
    let server: Server;
    let webhookUrl = '';
    const received: Delivery[] = [];
    const pageErrors: Error[] = [];
    let complaintId = 0;
    let code = '';
    let shortLink = '';

    async function shot(page: Page, name: string): Promise<void> {
      const path = `${OUT}/owner-loop-${kind.kind}-${name}.png`;
      await page.screenshot({ path, fullPage: true });
      expect(statSync(path).size, path).to.be.greaterThan(1000);
    }

    /** At 390 px: nothing wider than the screen and no serious or critical axe-core violation. */
    async function checkPhonePage(page: Page, name: string): Promise<void> {
      expect(page.viewportSize()!.width).to.equal(390);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${name} scrolls sideways at 390 px`).to.be.at.most(0);
      const serious = await seriousAxeViolations(page);
      expect(serious, `axe-core on ${name} at 390 px`).to.deep.equal([]);
      await shot(page, name);
    }

    /** Delivers the outbox to the local webhook receiver; the owner notices it received this time. */
    async function deliver(): Promise<Delivery[]> {
      const from = received.length;
      const deliverer = new WebhookDeliverer(h.plugin.context, { url: webhookUrl, secret: WEBHOOK_SECRET });
      for (let pass = 0; pass < 10; pass++) if ((await deliverer.deliverPending()).delivered === 0) break;
      return received.slice(from).filter((d) => d.body.topic === 'owner.notice');
    }

    before(async () => {
      mkdirSync(OUT, { recursive: true });
      h = await startPageHarness(kind, simpleHost, { now: '2026-12-06T02:00:00.000Z' });
      server = createServer((req, res) => {
        let raw = '';
        req.on('data', (d) => (raw += String(d)));
        req.on('end', () => {
          received.push({
            raw,
            timestamp: String(req.headers['x-complaints-timestamp']),
            signature: String(req.headers['x-complaints-signature']),
            body: JSON.parse(raw) as Delivery['body'],
          });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/owner-notices`;
      browser = await launchChromium();
      desk = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
      const phoneOptions = { locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
      phone = await browser.newContext(phoneOptions);
      app = await browser.newContext(phoneOptions);
      staffPage = await desk.newPage();
      ownerPage = await phone.newPage();
      appPage = await app.newPage();
      for (const p of [staffPage, ownerPage, appPage]) p.on('pageerror', (err) => pageErrors.push(err));
    });

    afterEach(() => {
      expect(pageErrors.map((e) => e.message)).to.deep.equal([]);
      expect(h.errors.map(String), 'no 500s').to.deep.equal([]);
    });

    after(async () => {
      await browser?.close();
      await new Promise((r) => server?.close(r));
      await h?.close();
    });

    it('the counter registers with two photos and prints the slip; the owner opens the link the slip renders and sees progress', async () => {
      await staffPage.goto(`${h.origin}${h.base}/sign-in`);
      await staffPage.getByRole('button', { name: staff.counter.name }).click();
      await staffPage.waitForURL(`${h.origin}${h.base}/`);
      await staffPage.goto(`${h.origin}${h.base}/new?unit=101`);
      await staffPage.getByLabel('投诉类别 （必填）').selectOption('facilities');
      await staffPage.getByLabel('投诉内容 （必填）').fill('卫生间天花板渗水，已经三天');
      await staffPage.getByLabel('照片或文件 （选填）').setInputFiles([
        { name: '渗水.jpg', mimeType: 'image/jpeg', buffer: await photo('#886644') },
        { name: '发霉.jpg', mimeType: 'image/jpeg', buffer: await photo('#446688') },
      ]);
      await staffPage.getByRole('button', { name: '登记并打印回执' }).click();
      await staffPage.waitForURL(/\/c\/\d+\/slip\?ok=created$/);
      complaintId = Number(/\/c\/(\d+)\/slip/.exec(staffPage.url())![1]);
      const c = (await h.plugin.complaints.get(complaintId, staff.supervisor)).complaint;
      code = c.code;
      expect(await h.db(h.plugin.context.tables.attachments).where({ complaint_id: complaintId, step: 'intake' }).count({ n: '*' })).to.deep.equal([{ n: 2 }]);

      // Print: the QR code really loads, and the slip prints to a PDF with content.
      const qr = staffPage.locator('img.slip-qr');
      await qr.waitFor();
      expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).to.equal(true);
      shortLink = (await staffPage.locator('[data-owner-link]').textContent())!.trim();
      expect(shortLink).to.match(new RegExp(`^${h.origin}${h.base}/s/[A-Za-z0-9_-]{32}$`));
      await staffPage.emulateMedia({ media: 'print' });
      const pdf = await staffPage.pdf({ format: 'A4' });
      expect(pdf.subarray(0, 5).toString()).to.equal('%PDF-');
      expect(pdf.length).to.be.greaterThan(5000);
      await staffPage.emulateMedia({ media: 'screen' });

      // The owner opens the link read from the slip on the phone.
      await ownerPage.goto(shortLink);
      expect(await ownerPage.locator('h1').textContent()).to.equal(code);
      expect(await ownerPage.locator('[data-owner-state]').textContent()).to.equal('已受理，预计12月8日前答复');
      expect(await ownerPage.locator('.owner-steps li span').allTextContents()).to.deep.equal(['客服 王 受理了您的投诉']);
      // The intake photos were registered internal (the counter's default): the owner does not see them.
      expect(await ownerPage.locator('.owner-files img').count()).to.equal(0);
      const text = await ownerPage.locator('body').innerText();
      expect(text).not.to.include('13800138001');
      expect(text).not.to.include(staff.counter.name);
      await checkPhonePage(ownerPage, 'status-received');

      const notices = await deliver();
      expect(notices.map((d) => [d.body.payload.kind, d.body.payload.code, d.body.payload.mobile])).to.deep.equal([['received', code, '13800138001']]);
      expect(shortLink.endsWith(notices[0]!.body.payload.statusUrl as string)).to.equal(true);
      expect(notices[0]!.signature).to.equal(signature(WEBHOOK_SECRET, notices[0]!.timestamp, notices[0]!.raw));
    });

    it('staff reply with an owner-visible after photo; the owner sees it, rates 2 stars and asks for re-handling; the linked complaint appears', async () => {
      let c = (await h.plugin.complaints.get(complaintId, staff.supervisor)).complaint;
      const step = async (action: string, body: Record<string, unknown> = {}) =>
        (c = await h.plugin.complaints.transition(c.id, action, { version: c.version, ...body }, staff.supervisor));
      await step('start-investigation');
      await step('assess', assessProperty);
      await step('plan', planBody);
      await step('resolve', replyBody);
      await h.plugin.attachments.attach(
        c.id,
        [{ field: 'files', fileName: '修复后.jpg', data: await photo('#cccccc') }],
        { step: 'reply_after' },
        staff.supervisor,
      );
      const replied = await deliver();
      expect(replied.map((d) => d.body.payload.kind)).to.deep.equal(['replied']);

      await ownerPage.goto(shortLink);
      expect(await ownerPage.locator('[data-owner-state]').textContent()).to.equal('已答复，请查看处理结果并评价');
      expect(await ownerPage.locator('[data-owner-reply]').textContent()).to.equal(replyBody.reply);
      const after = ownerPage.locator('.owner-files img');
      expect(await after.count()).to.equal(1);
      await ownerPage.waitForFunction(() => [...document.querySelectorAll('.owner-files img')].every((i) => (i as HTMLImageElement).complete));
      expect(await after.evaluate((img: HTMLImageElement) => img.naturalWidth)).to.be.greaterThan(0);
      expect(await after.getAttribute('alt')).to.equal('修复后.jpg');
      await checkPhonePage(ownerPage, 'status-replied');

      await ownerPage.getByLabel('2 星 · 不满意').check();
      await ownerPage.getByLabel('您的意见（可不填）').fill('修了两次还在滴水');
      await ownerPage.getByLabel('不满意，请重新处理').check();
      await ownerPage.getByRole('button', { name: '提交评价' }).click();
      await ownerPage.waitForURL(/ok=ownerRated/);
      const state = (await ownerPage.locator('[data-owner-state]').textContent())!;
      const next = /新投诉编号 (\S+)）/.exec(state)?.[1];
      expect(next, state).to.be.a('string');
      expect(await ownerPage.locator('[data-owner-rating]').getAttribute('data-owner-rating')).to.equal('2');
      await checkPhonePage(ownerPage, 'status-rated');

      // Staff: the linked new complaint exists and carries the owner's words.
      await staffPage.goto(`${h.origin}${h.base}/c/${complaintId}`);
      await staffPage.getByRole('link', { name: next! }).first().click();
      await staffPage.waitForURL(/\/c\/\d+$/);
      expect(await staffPage.locator('h1').textContent()).to.include(next!);
      expect(await staffPage.locator('body').innerText()).to.include('业主评价不满意（2星），申请重新处理：修了两次还在滴水');

      // The owner hears of the new complaint (its code and promise), on the webhook.
      const rehandled = await deliver();
      expect(rehandled.map((d) => [d.body.payload.kind, d.body.payload.code, d.body.payload.mobile])).to.deep.equal([['received', next, '13800138001']]);
    });

    it('the owner app: the web-view exchanges its token, files a complaint with a photo, and finds it in my complaints', async () => {
      const token = signOwnerToken({ ownerId: '1', unitIds: ['101'] }, PAGE_SECRET, 300, h.clock.now().getTime());
      await appPage.goto(`${h.origin}${h.base}/owner/app?token=${encodeURIComponent(token)}`);
      await appPage.waitForURL(`${h.origin}${h.base}/owner/mine`);
      expect(appPage.url()).not.to.include('token');
      const cookie = (await app.cookies()).find((c) => c.name === 'cmp_owner')!;
      expect(cookie).to.include({ httpOnly: true, sameSite: 'Lax', path: `${h.base}/owner` });
      // Already there: the complaint from the counter and its re-handling.
      expect(await appPage.locator('.owner-list-code').allTextContents()).to.include(code);
      await checkPhonePage(appPage, 'app-mine');

      await appPage.locator('.owner-units a').first().click();
      await appPage.waitForURL(/\/owner\/new\?unit=101$/);
      await checkPhonePage(appPage, 'app-new');
      // Refused first: no description; what was typed stays.
      await appPage.getByLabel('您希望如何解决（可不填）').fill('请物业派人清理');
      await appPage.getByRole('button', { name: '提交投诉' }).click();
      await appPage.waitForLoadState();
      expect(await appPage.locator('#description-error').textContent()).to.match(/\S/);
      expect(await appPage.getByLabel('您希望如何解决（可不填）').inputValue()).to.equal('请物业派人清理');
      await checkPhonePage(appPage, 'app-new-refused');

      await appPage.getByLabel('问题类别').selectOption('cleaning_greening');
      await appPage.getByLabel(/您反映的问题/).fill('地下车库B2层积水，有异味');
      await appPage.locator('#new-files').setInputFiles([{ name: '积水.jpg', mimeType: 'image/jpeg', buffer: await photo('#335577') }]);
      await appPage.getByRole('button', { name: '提交投诉' }).click();
      await appPage.waitForURL(/\/owner\/c\/\d+\?ok=created$/);
      const newId = Number(/\/owner\/c\/(\d+)/.exec(appPage.url())![1]);
      const filed = (await h.plugin.complaints.get(newId, staff.supervisor)).complaint;
      expect(filed).to.include({ channel: 'app', unitId: '101', category: 'cleaning_greening', expectation: '请物业派人清理' });
      expect(await appPage.locator('h1').textContent()).to.equal(filed.code);
      expect(await appPage.locator('.owner-flash').textContent()).to.include('投诉已登记');
      await appPage.waitForFunction(() => [...document.querySelectorAll('.owner-files img')].every((i) => (i as HTMLImageElement).complete));
      expect(await appPage.locator('.owner-files img').evaluate((img: HTMLImageElement) => img.naturalWidth)).to.be.greaterThan(0);
      await checkPhonePage(appPage, 'app-status');

      await appPage.getByRole('link', { name: '← 返回我的投诉' }).click();
      await appPage.waitForURL(/\/owner\/mine$/);
      expect((await appPage.locator('.owner-list-code').allTextContents())[0]).to.equal(filed.code);

      const notices = await deliver();
      expect(notices.map((d) => [d.body.payload.kind, d.body.payload.code])).to.deep.equal([['received', filed.code]]);
    });

    it('a forged token in the web-view: a Chinese message page, no session', async () => {
      const fresh = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true });
      const page = await fresh.newPage();
      page.on('pageerror', (err) => pageErrors.push(err));
      const res = await page.goto(`${h.origin}${h.base}/owner/app?token=forged.token`);
      expect(res!.status()).to.equal(401);
      expect(await page.locator('[role=alert]').textContent()).to.include('身份验证失败');
      expect((await fresh.cookies()).map((c) => c.name)).not.to.include('cmp_owner');
      await checkPhonePage(page, 'app-refused');
      await fresh.close();
    });
  });
}
