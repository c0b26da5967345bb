// Attachments in a real browser (Debian's headless Chromium driven by playwright-core): the counter
// registers a complaint with two photos chosen in the file input, the detail page shows their thumbnails
// (really decoded by the browser under the page's CSP), a photo opens with its own headers, and a
// disguised file on the progress note is refused naming it while the typed note and its visibility stay.
import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, type Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../support/browser.js';
import sharp from 'sharp';
import { tableNames } from '../../src/db/tables.js';
import { simpleHost } from '../fixtures/hosts.js';
import { sqliteKind } from '../support/databases.js';
import { staff, startPageHarness, type PageHarness } from '../support/pageHarness.js';

const OUT = 'test-output';
const T = tableNames('cmp_');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`Chromium is required under CI but ${CHROMIUM} is missing (.ci/run installs it)`);

async function photo(color: string): Promise<Buffer> {
  return sharp({ create: { width: 800, height: 600, channels: 3, background: color } })
    .jpeg()
    .withExif({ IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '31/1 14/1 0/1', GPSMapDatum: 'WGS-84' } })
    .toBuffer();
}

(haveChromium ? describe : describe.skip)('browser: attachments (headless Chromium)', function () {
  this.timeout(120_000);
  let h: PageHarness;
  let browser: Browser;
  let page: Page;
  const pageErrors: Error[] = [];
  let complaintUrl = '';

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    h = await startPageHarness(sqliteKind, simpleHost);
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err));
    await page.goto(`${h.origin}${h.base}/sign-in`);
    await page.getByRole('button', { name: staff.supervisor.name }).click();
    await page.waitForURL(`${h.origin}${h.base}/`);
  });

  afterEach(() => {
    expect(
      pageErrors.map((e) => e.message),
      'errors in the page script',
    ).to.deep.equal([]);
    expect(h.errors.map(String), 'no 500s').to.deep.equal([]);
  });

  after(async () => {
    await browser?.close();
    await h?.close();
  });

  it('registers at the counter with two photos and shows their thumbnails on the complaint', async () => {
    await page.goto(`${h.origin}${h.base}/new?unit=101`);
    await page.getByLabel('投诉类别 （必填）').selectOption('facilities');
    await page.getByLabel('投诉内容 （必填）').fill('卫生间天花板渗水，已经发霉。');
    await page.getByLabel('照片或文件 （选填）').setInputFiles([
      { name: '渗水.jpg', mimeType: 'image/jpeg', buffer: await photo('#886644') },
      { name: '发霉.jpg', mimeType: 'image/jpeg', buffer: await photo('#446688') },
    ]);
    await page.getByRole('button', { name: '登记并打印回执' }).click();
    await page.waitForURL(/\/slip\?ok=created/);
    await page.getByRole('link', { name: '打开投诉详情' }).click();
    await page.waitForURL(/\/c\/\d+$/);
    complaintUrl = page.url();
    const thumbs = page.locator('ul.attachments img');
    expect(await thumbs.count()).to.equal(2);
    // Decoded by the browser: the thumbnails load under the page's CSP (img-src 'self').
    await page.waitForFunction(() => [...document.querySelectorAll('ul.attachments img')].every((i) => (i as HTMLImageElement).complete));
    const widths = await thumbs.evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
    expect(widths).to.deep.equal([320, 320]);
    await page.screenshot({ path: `${OUT}/attachments-detail.png`, fullPage: true });

    // The photo itself opens with its own headers: sandboxed, never sniffed, inline with its name.
    const href = await page.locator('ul.attachments a', { hasText: '渗水.jpg' }).getAttribute('href');
    const res = await page.request.get(`${h.origin}${href}`);
    expect(res.status()).to.equal(200);
    expect(res.headers()['content-type']).to.equal('image/jpeg');
    expect(res.headers()['x-content-type-options']).to.equal('nosniff');
    expect(res.headers()['content-security-policy']).to.include('sandbox');
    expect(res.headers()['content-disposition']).to.include(encodeURIComponent('渗水.jpg'));
    expect((await res.body()).includes('WGS-84')).to.equal(false);
  });

  it('refuses a disguised file on the progress note, naming it; the typed note and its visibility stay', async () => {
    await page.goto(complaintUrl);
    await page.locator('summary', { hasText: '记录进展' }).first().click();
    const form = page.locator('details[open]', { has: page.locator('summary', { hasText: '记录进展' }) }).first();
    await form.getByLabel('说明 （必填）').fill('师傅周六上门，先关了楼上的水阀。');
    await form.getByLabel('备注可见范围').selectOption('owner_visible');
    await form
      .getByLabel('照片或文件 （选填）')
      .setInputFiles([{ name: 'invoice.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('<html><script>alert(1)</script></html>') }]);
    const notesBefore = await h.db(T.events).where({ action: 'note' }).count({ n: '*' });
    await form.getByRole('button', { name: '记录进展' }).click();
    await page.waitForLoadState();
    const again = page.locator('details[open]', { has: page.locator('summary', { hasText: '记录进展' }) }).first();
    expect(await again.locator('.field-error').first().textContent()).to.include('文件“invoice.jpg”的内容不是允许的类型');
    expect(await again.getByLabel('说明 （必填）').inputValue()).to.equal('师傅周六上门，先关了楼上的水阀。');
    expect(await again.getByLabel('备注可见范围').inputValue()).to.equal('owner_visible');
    expect(await again.locator('.warning').first().textContent()).to.include('请重新选择要上传的文件');
    expect(await h.db(T.events).where({ action: 'note' }).count({ n: '*' })).to.deep.equal(notesBefore);
    await page.screenshot({ path: `${OUT}/attachments-refused.png`, fullPage: true });

    // Chosen again with a real photo, the note is recorded owner-visible with its photo.
    await again.getByLabel('照片或文件 （选填）').setInputFiles([{ name: 'valve.jpg', mimeType: 'image/jpeg', buffer: await photo('#999999') }]);
    await again.getByRole('button', { name: '记录进展' }).click();
    await page.waitForURL(/ok=noted/);
    expect(await page.locator('ol.timeline li', { hasText: '师傅周六上门' }).locator('[data-visibility="note"]').textContent()).to.equal('业主可见');
    expect(await page.locator('ul.attachments li', { hasText: 'valve.jpg' }).textContent()).to.include('处理进展');
  });
});
