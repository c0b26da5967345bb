// The owner's side in a real browser (Debian's headless Chromium, playwright-core) at a phone's viewport
// (390 × 844): staff print the slip (QR code and short link, checked in print media at A4 and on an
// 80 mm receipt), the owner opens the short link on the phone without signing in, reads the state in
// plain words, adds information, and after the reply rates it 2 stars asking for re-handling; the staff
// side then shows the rating, the linked new complaint and the supervisor's workbench entry.
// Then the owner app's H5 page files a complaint with an ERP-signed owner token and opens its status page.
// Photos and the owner app's embedded pages are walked in owner-loop.test.ts. Screenshots: test-output/owner-*.png.
import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../support/browser.js';
import type { Complaint } from '../../src/complaints/types.js';
import { signOwnerToken } from '../../src/auth/ownerToken.js';
import { simpleHost } from '../fixtures/hosts.js';
import { assessProperty, intakeBody, planBody as basePlan, replyBody } from '../support/complaintData.js';
import { sqliteKind } from '../support/databases.js';
import { PAGE_SECRET, staff, startPageHarness, type PageHarness } from '../support/pageHarness.js';

const OUT = 'test-output';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`Chromium is required under CI but ${CHROMIUM} is missing (.ci/run installs it)`);
const planBody = { ...basePlan, deadline: '2026-12-20T10:00:00+08:00' };

(haveChromium ? describe : describe.skip)('browser: the owner on a phone (headless Chromium, 390 px)', function () {
  this.timeout(120_000);
  let h: PageHarness;
  let browser: Browser;
  let desk: BrowserContext;
  let phone: BrowserContext;
  let staffPage: Page;
  let ownerPage: Page;
  let complaint: Complaint;
  let shortLink = '';
  const pageErrors: Error[] = [];

  async function signIn(page: Page, name: string): Promise<void> {
    await page.goto(`${h.origin}${h.base}/sign-in`);
    await page.getByRole('button', { name }).click();
    await page.waitForURL(`${h.origin}${h.base}/`);
  }

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    h = await startPageHarness(sqliteKind, simpleHost, { now: '2026-12-06T02:00:00.000Z' });
    browser = await launchChromium();
    desk = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    phone = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    staffPage = await desk.newPage();
    ownerPage = await phone.newPage();
    for (const p of [staffPage, ownerPage]) p.on('pageerror', (err) => pageErrors.push(err));
    complaint = (await h.plugin.complaints.create(intakeBody('101', { description: '卫生间天花板渗水，已经三天' }), staff.counter)).complaint;
  });

  afterEach(() => expect(pageErrors.map((e) => e.message)).to.deep.equal([]));

  after(async () => {
    await browser?.close();
    await h?.close();
  });

  it('the slip carries the QR code and the short link, on A4 and on an 80 mm receipt', async () => {
    await signIn(staffPage, staff.counter.name);
    await staffPage.goto(`${h.origin}${h.base}/c/${complaint.id}/slip`);
    const qr = staffPage.locator('img.slip-qr');
    await qr.waitFor();
    // The QR image really loaded (an SVG from our route).
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).to.equal(true);
    shortLink = (await staffPage.locator('[data-owner-link]').textContent())!.trim();
    expect(shortLink).to.match(new RegExp(`^${h.origin}${h.base}/s/[A-Za-z0-9_-]{32}$`));
    const svg = await (
      await fetch(`${h.origin}${h.base}/c/${complaint.id}/owner-qr.svg`, {
        headers: { cookie: (await desk.cookies()).map((c) => `${c.name}=${c.value}`).join('; ') },
      })
    ).text();
    expect(svg).to.match(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);

    await staffPage.emulateMedia({ media: 'print' });
    await staffPage.setViewportSize({ width: 794, height: 1123 }); // A4 at 96 dpi
    expect(await staffPage.locator('header.top').isVisible()).to.equal(false);
    expect(await staffPage.locator('.slip-owner').evaluate((e) => getComputedStyle(e).flexDirection)).to.equal('row');
    await staffPage.screenshot({ path: `${OUT}/owner-01-slip-a4.png`, fullPage: true });
    await staffPage.setViewportSize({ width: 302, height: 1200 }); // 80 mm
    expect(await staffPage.locator('.slip-owner').evaluate((e) => getComputedStyle(e).flexDirection)).to.equal('column');
    const overflow = await staffPage.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, 'the receipt slip fits 80 mm').to.be.at.most(0);
    await staffPage.screenshot({ path: `${OUT}/owner-02-slip-80mm.png`, fullPage: true });
    await staffPage.emulateMedia({ media: 'screen' });
    await staffPage.setViewportSize({ width: 1280, height: 900 });
    await staffPage.close();
    staffPage = await desk.newPage();
    staffPage.on('pageerror', (err) => pageErrors.push(err));
  });

  it('the owner opens the short link on the phone: plain words, no sign-in, nothing wider than the screen', async () => {
    await ownerPage.goto(shortLink);
    expect(await ownerPage.locator('h1').textContent()).to.equal(complaint.code);
    expect(await ownerPage.locator('[data-owner-state]').textContent()).to.equal('已受理，预计12月8日前答复');
    const steps = await ownerPage.locator('.owner-steps li span').allTextContents();
    expect(steps).to.deep.equal(['客服 王 受理了您的投诉']);
    const text = await ownerPage.locator('body').innerText();
    expect(text).not.to.include('13800138001');
    expect(text).not.to.include(staff.counter.name);
    const overflow = await ownerPage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, 'no sideways scrolling at 390 px').to.be.at.most(0);
    await ownerPage.screenshot({ path: `${OUT}/owner-03-status-phone.png`, fullPage: true });
  });

  it('adds information; an empty addition is refused in words and nothing is lost', async () => {
    await ownerPage.getByRole('button', { name: '提交补充' }).click();
    await ownerPage.waitForLoadState();
    expect(await ownerPage.locator('#text-error').textContent()).to.include('请填写补充内容');
    await ownerPage.getByLabel('如有新的情况').fill('今早楼上邻居说他家没漏，可能是公共管道');
    await ownerPage.getByRole('button', { name: '提交补充' }).click();
    await ownerPage.waitForURL(/ok=ownerAdded/);
    expect(await ownerPage.locator('.owner-flash').textContent()).to.include('已收到您补充的信息');
    expect(await ownerPage.locator('.owner-steps').innerText()).to.include('您补充了信息：今早楼上邻居说他家没漏，可能是公共管道');
    const events = await h.plugin.complaints.events(complaint.id, staff.supervisor);
    expect(events.map((e) => e.action)).to.deep.equal(['create', 'owner-info']);
  });

  it('after the reply the owner rates 2 stars and asks for re-handling: the linked complaint appears', async () => {
    let c = complaint;
    const step = async (action: string, body: Record<string, unknown> = {}) =>
      (c = await h.plugin.complaints.transition(c.id, action, { version: c.version, ...body }, staff.supervisor));
    await step('start-investigation');
    await step('assess', assessProperty);
    await step('plan', planBody);
    await step('resolve', replyBody);

    await ownerPage.goto(shortLink);
    expect(await ownerPage.locator('[data-owner-state]').textContent()).to.equal('已答复，请查看处理结果并评价');
    expect(await ownerPage.locator('[data-owner-reply]').textContent()).to.equal(replyBody.reply);
    await ownerPage.getByLabel('2 星 · 不满意').check();
    await ownerPage.getByLabel('您的意见（可不填）').fill('修了两次还在滴水');
    await ownerPage.getByLabel('不满意，请重新处理').check();
    await ownerPage.screenshot({ path: `${OUT}/owner-04-rating-phone.png`, fullPage: true });
    await ownerPage.getByRole('button', { name: '提交评价' }).click();
    await ownerPage.waitForURL(/ok=ownerRated/);
    const state = (await ownerPage.locator('[data-owner-state]').textContent())!;
    const next = /新投诉编号 (\S+)）/.exec(state)?.[1];
    expect(next, state).to.be.a('string');
    expect(await ownerPage.locator('[data-owner-rating]').getAttribute('data-owner-rating')).to.equal('2');
    await ownerPage.screenshot({ path: `${OUT}/owner-05-rated-phone.png`, fullPage: true });

    // Staff: the supervisor's workbench lists the low rating; the complaint shows it and the new linked one.
    await signIn(staffPage, staff.supervisor.name);
    expect(await staffPage.locator(`[data-low-rating="${complaint.id}"]`).count()).to.equal(1);
    await staffPage.locator(`[data-low-rating="${complaint.id}"] a`).click();
    await staffPage.waitForURL(new RegExp(`/c/${complaint.id}$`));
    expect(await staffPage.locator('.owner-panel [data-owner-rating]').textContent()).to.equal('★★☆☆☆');
    await staffPage.getByRole('link', { name: next! }).first().click();
    await staffPage.waitForURL(/\/c\/\d+$/);
    expect(await staffPage.locator('h1').textContent()).to.include(next!);
    expect(await staffPage.locator('body').innerText()).to.include('业主评价不满意（2星），申请重新处理：修了两次还在滴水');
    await staffPage.screenshot({ path: `${OUT}/owner-06-linked-complaint.png`, fullPage: true });
  });
  it('the owner app (an H5 page with the ERP-signed owner token) files a complaint for its unit and opens the status page', async () => {
    const token = signOwnerToken({ ownerId: '1', unitIds: ['101'] }, PAGE_SECRET, 600, h.clock.now().getTime());
    await ownerPage.goto(shortLink);
    const made = await ownerPage.evaluate(
      async ({ api, token }) => {
        const res = await fetch(api, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-complaints-owner': token },
          body: JSON.stringify({ unitId: '101', description: '地下车库B2层灯坏了三盏' }),
        });
        return { status: res.status, body: (await res.json()) as { complaint: { code: string }; status: { statusUrl: string } } };
      },
      { api: `${h.base}/api/owner/complaints`, token },
    );
    expect(made.status).to.equal(201);
    await ownerPage.goto(`${h.origin}${made.body.status.statusUrl}`);
    expect(await ownerPage.locator('h1').textContent()).to.equal(made.body.complaint.code);
    expect(await ownerPage.locator('.owner-steps li span').allTextContents()).to.deep.equal(['您提交了投诉']);
    await ownerPage.screenshot({ path: `${OUT}/owner-07-app-complaint.png`, fullPage: true });
  });
});
