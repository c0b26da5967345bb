// The counter's day in a real browser (Debian's headless Chromium driven by playwright-core) over the
// demo ERP: sign in, find a unit by the owner's name, register, print the slip, assess, plan, resolve,
// record an unsatisfied follow-up and find the new linked complaint; request an offset, approve it as a
// manager, apply it at the cashier page; the administration page; the English switch; the keyboard.
// Screenshots of the main pages go to test-output/ (look at them). Each walked page is also checked at a
// phone's width (390 px) and a desk's (1366 px): no sideways scrolling, and axe-core (Deque's rules, via
// @axe-core/playwright) finds no serious or critical accessibility violation; the phone views are saved as
// test-output/phone-*.png.
import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { type Browser, type Page } from 'playwright-core';
import { CHROMIUM, launchChromium, seriousAxeViolations } from '../support/browser.js';
import { createDemoErp } from '../../src/demo/demoErp.js';
import { loadMappingFile } from '../../src/host/mapping.js';
import { DEMO_MAPPING_FILE } from '../../src/cli/commands/demo.js';
import { tableNames } from '../../src/db/tables.js';
import { sqliteKind } from '../support/databases.js';
import { staff, startPageHarness, type PageHarness } from '../support/pageHarness.js';
import type { HostFixture } from '../fixtures/hosts.js';

const OUT = 'test-output';
const T = tableNames('cmp_');
const NOW = new Date('2026-11-28T01:00:00.000Z');

const demoFixture: HostFixture = {
  name: 'demoErp',
  mapping: loadMappingFile(DEMO_MAPPING_FILE),
  tables: [],
  async create(db) {
    await createDemoErp(db, NOW);
  },
};

/** Codes of the glossary and the demo's settings that a page must show in words. */
const RAW_CODES =
  /\b(unpaid|partially_paid|received|investigating|processing|resolved|closed_unsatisfied|cancelled|walk_in|counter|facilities|service_attitude|engineering|customer_service|non_property|property|valid|invalid|minor|important|major|requested|approved|applied|withholding_threat|open_complaint)\b/g;

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`Chromium is required under CI but ${CHROMIUM} is missing (.ci/run installs it)`);
if (!haveChromium) console.warn(`[tests] ${CHROMIUM} is missing: the browser walk is left out (apt-get install -y chromium)`);

(haveChromium ? describe : describe.skip)('browser: the counter walk (headless Chromium)', function () {
  this.timeout(120_000);
  let h: PageHarness;
  let browser: Browser;
  let page: Page;
  let ownerName: string;
  let unitLabel: string;
  const shots: string[] = [];
  const pageErrors: Error[] = [];

  async function shot(name: string): Promise<void> {
    const path = `${OUT}/${name}.png`;
    await page.screenshot({ path, fullPage: true });
    shots.push(path);
  }

  const checked: string[] = [];
  const phoneShots: string[] = [];

  /**
   * The page as it stands, at 390 px and at 1366 px: nothing wider than the window (no sideways scroll),
   * and no serious or critical axe-core violation. The phone view is saved as a screenshot.
   */
  async function checkPage(name: string): Promise<void> {
    const before = page.viewportSize()!;
    try {
      for (const width of [390, 1366]) {
        await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
        const { scroll, client, wide } = await page.evaluate(() => {
          const vw = document.documentElement.clientWidth;
          const wide = [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > vw + 1 && getComputedStyle(el).position !== 'absolute')
            .slice(0, 5)
            .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} ${Math.round(el.getBoundingClientRect().right)}`);
          return { scroll: document.documentElement.scrollWidth, client: vw, wide };
        });
        expect(scroll, `${name} at ${width} px scrolls sideways (${wide.join(', ')})`).to.be.at.most(client);
        const serious = await seriousAxeViolations(page);
        expect(serious, `axe-core on ${name} at ${width} px`).to.deep.equal([]);
        // Words, not codes: no state, bill state, channel, category or department code in the page's text
        // (the administration and report pages show configured codes on purpose).
        if (!['admin', 'report', 'workbench-en'].includes(name)) {
          const text = await page.locator('main').innerText();
          expect(text.match(RAW_CODES) ?? [], `raw codes on ${name}`).to.deep.equal([]);
        }
        if (width === 390) {
          const path = `${OUT}/phone-${name}.png`;
          await page.screenshot({ path, fullPage: true });
          phoneShots.push(path);
        }
      }
      checked.push(name);
    } finally {
      await page.setViewportSize(before);
    }
  }

  /** Presses Tab until the element matching `selector` has the focus (the keyboard alone, no clicks). */
  async function tabTo(selector: string, max = 80): Promise<void> {
    for (let i = 0; i < max; i++) {
      if (await page.evaluate((sel) => !!document.activeElement?.matches(sel), selector)) return;
      await page.keyboard.press('Tab');
    }
    throw new Error(`Tab never reached ${selector}`);
  }

  async function signInAs(name: string): Promise<void> {
    await page.goto(`${h.origin}${h.base}/sign-in`);
    await page.getByRole('button', { name }).click();
    await page.waitForURL(`${h.origin}${h.base}/`);
  }

  async function signOut(): Promise<void> {
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.waitForURL(/sign-in/);
  }

  async function openAction(summary: string) {
    await page.locator('summary', { hasText: summary }).first().click();
    return page.locator('details[open]', { has: page.locator('summary', { hasText: summary }) }).first();
  }

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    h = await startPageHarness(sqliteKind, demoFixture, { now: NOW.toISOString() });
    // An owner who owns exactly one live unit, so the search has one answer to pick.
    const row = (await h
      .db('erp_room_owner as ro')
      .join('erp_owner as o', 'o.owner_id', 'ro.owner_id')
      .join('erp_room as r', 'r.room_id', 'ro.room_id')
      .where({ 'ro.status': 'active', 'o.is_deleted': 0, 'r.is_deleted': 0 })
      .groupBy('o.owner_id', 'o.owner_name')
      .havingRaw('count(*) = 1')
      .select('o.owner_name as name', h.db.raw('min(r.room_label) as label'))
      .first()) as { name: string; label: string };
    ownerName = row.name;
    unitLabel = row.label;
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err));
  });

  afterEach(() => {
    expect(
      pageErrors.map((e) => e.message),
      'errors in the page script',
    ).to.deep.equal([]);
  });

  after(async () => {
    await browser?.close();
    await h?.close();
  });

  it('signs in as a counter clerk from the sign-in page', async () => {
    await page.goto(`${h.origin}${h.base}/`);
    await expect(page.url()).to.include('/sign-in');
    await shot('01-sign-in');
    await checkPage('sign-in');
    await page.getByRole('button', { name: staff.counter.name }).click();
    await page.waitForURL(`${h.origin}${h.base}/`);
    expect(await page.locator('h1').textContent()).to.equal('工作台');
    await shot('02-workbench');
    await checkPage('workbench');
  });

  let complaintCode = '';
  let complaintUrl = '';

  it("finds the unit by the owner's name while typing, and registers a complaint", async () => {
    await page.getByRole('link', { name: '登记投诉' }).first().click();
    await page.getByLabel('房号 / 业主姓名 / 手机号').fill(ownerName);
    // The script searches while typing: a result appears without submitting the form.
    const result = page.locator('[data-unit-results] li', { hasText: unitLabel });
    await result.waitFor();
    await result.getByRole('link', { name: '选择' }).click();
    await page.waitForURL(/unit=/);
    expect(await page.locator('#chosen ~ dl, section[aria-labelledby="chosen"]').first().textContent()).to.include(ownerName);
    await page.getByLabel('投诉类别 （必填）').selectOption('facilities');
    await page.getByLabel('投诉内容 （必填）').fill('阳台漏水一个月，来看过两次后没人管了。');
    await page.getByLabel('期望解决方式 （选填）').fill('尽快修好，赔偿被泡坏的地板');
    await page.getByLabel('业主表示要拒交物业费').check();
    await shot('03-intake');
    await checkPage('intake');
    await page.getByRole('button', { name: '登记并打印回执' }).click();
    await page.waitForURL(/\/slip\?ok=created/);
    complaintCode = (await page.locator('.slip .code').textContent())!.replace(/^.*：/, '');
    expect(complaintCode).to.match(/^TS-20261128-\d{4}$/);
    expect(await page.getByRole('button', { name: '打印' }).isVisible()).to.equal(true);
    await shot('04-slip');
    await checkPage('slip');
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header.top').isVisible()).to.equal(false);
    await shot('05-slip-print');
    await page.emulateMedia({ media: 'screen' });
    await page.getByRole('link', { name: '打开投诉详情' }).click();
    await page.waitForURL(/\/c\/\d+$/);
    complaintUrl = page.url();
  });

  it('completes the intake with the keyboard alone; a long paste is counted, kept and answered at its field', async () => {
    await page.goto(`${h.origin}${h.base}/new`);
    await tabTo('#q');
    await page.keyboard.type(ownerName);
    await page.locator('[data-unit-results] li', { hasText: unitLabel }).waitFor();
    expect(await page.locator('[data-unit-status]').textContent()).to.match(/^找到 \d+ 套房屋/);
    await tabTo('[data-unit-results] a');
    await page.keyboard.press('Enter');
    await page.waitForURL(/unit=/);
    await tabTo('#category');
    await page.keyboard.press('ArrowDown');
    expect(await page.locator('#category').inputValue()).to.not.equal('');
    await tabTo('#description');
    // A paste of 10,000 characters: nothing is cut, the counter says how far over the limit it is.
    const pasted = '漏'.repeat(10_000);
    await page.keyboard.insertText(pasted);
    expect(await page.locator('#description').inputValue()).to.have.length(10_000);
    expect(await page.locator('#description-counter').textContent()).to.equal('已输入 10,000 字，最多 2,000 字（超出 8,000 字）');
    await tabTo('form[action$="/new"] button[type=submit]');
    await page.keyboard.press('Enter');
    await page.waitForLoadState();
    await page.locator('.field-error', { hasText: '投诉内容' }).waitFor();
    expect(await page.locator('.field-error').allTextContents()).to.deep.equal(['投诉内容最多 2,000 字，现在是 10,000 字，请删减']);
    expect(await page.locator('#description').inputValue()).to.equal(pasted);
    // The script focuses the field in error; the clerk shortens it and sends the form again, keyboard only.
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('description');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('电梯停运三天，老人上下楼困难。');
    expect(await page.locator('#description-counter').textContent()).to.equal('已输入 15 字，最多 2,000 字');
    await tabTo('form[action$="/new"] button[type=submit]');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/slip\?ok=created/);
  });

  it('assesses and plans as a supervisor', async () => {
    await signOut();
    await signInAs(staff.supervisor.name);
    await page.goto(complaintUrl);
    let form = await openAction('调查定性');
    await form.getByLabel('物业纠纷', { exact: true }).check();
    expect(await form.getByLabel('责任方').isVisible()).to.equal(false); // only for non-property disputes
    await form.getByLabel('投诉性质 （必填）').selectOption('valid');
    await form.getByLabel('严重程度 （必填）').selectOption('important');
    await form.getByLabel('调查情况').fill('楼上防水层破损，属物业维保范围。');
    await form.getByRole('button', { name: '调查定性' }).click();
    await page.waitForURL(/ok=assessed/);
    form = await openAction('制定处理方案');
    await form.getByLabel('责任部门 （必填）').selectOption('engineering');
    await form.getByLabel('处理措施 （必填）').fill('重做阳台防水，修复地板。');
    await form.getByLabel('处理期限 （必填）').fill('2026-12-05T18:00');
    await form.getByRole('button', { name: '制定处理方案' }).click();
    await page.waitForURL(/ok=planned/);
    expect(await page.locator('h1').textContent()).to.include('处理中');
  });

  it('replies, records an unsatisfied follow-up, and finds the new linked complaint', async () => {
    await signOut();
    await signInAs(staff.counter.name);
    await page.goto(complaintUrl);
    let form = await openAction('回复处理结果');
    await form.getByLabel('回复内容 （必填）').fill('已重做防水，地板已修复。');
    await form.getByLabel('处理依据 （必填）').fill('维修单 WX-2026-1128');
    await form.getByRole('button', { name: '回复处理结果' }).click();
    await page.waitForURL(/ok=resolved/);
    form = await openAction('回访');
    await form.getByLabel('不满意').check();
    await form.getByLabel('业主原话').fill('下雨还是渗水');
    await form.getByRole('button', { name: '回访' }).click();
    await page.waitForURL(/ok=reopened/);
    const chain = page.locator('ol.chain li');
    expect(await chain.count()).to.equal(2);
    await shot('06-detail-chain');
    await checkPage('detail');
    await chain.nth(1).getByRole('link').click();
    await page.waitForURL(/\/c\/\d+$/);
    expect(await page.locator('h1').textContent()).to.include('已受理');
    expect(await page.locator('dl.facts').first().textContent()).to.include('下雨还是渗水');
    // The Chinese timeline is in Chinese only: no "Continues …" beside "延续 …".
    const timeline = await page.locator('ol.timeline').textContent();
    expect(timeline).to.include('回访不满意，延续 ').and.not.include('Continues');
  });

  it('requests an offset, a manager approves it, the cashier applies it', async () => {
    const linkedUrl = page.url();
    const form = await openAction('申请抵扣物业费');
    // What the unit owes and what this complaint already has, before the amount is typed.
    expect(await form.textContent())
      .to.include('该房屋的未缴账单')
      .and.include('本投诉的抵扣：待审批 ¥0.00');
    await form.getByLabel('金额（元） （必填）').fill('300');
    await form.getByLabel('原因 （必填）').fill('地板泡坏，经理同意抵扣部分物业费');
    await form.getByRole('button', { name: '申请抵扣物业费' }).click();
    await page.waitForURL(/ok=offsetRequested/);

    await signOut();
    await signInAs(staff.manager.name);
    await page.getByRole('link', { name: '抵扣审批' }).first().click();
    await page.locator('summary', { hasText: '批准' }).first().click();
    // The approver sees whose unit it is and the bills it may go against.
    expect(await page.locator('tbody tr').first().textContent())
      .to.include(unitLabel)
      .and.include(ownerName)
      .and.include('该房屋任一未缴账单');
    await shot('07-offsets');
    await checkPage('offsets');
    await page.getByRole('button', { name: '批准' }).first().click();
    await page.waitForURL(/ok=offsetApproved/);

    // Compensation is paid outside the fees: the manager records the insurer's payment on the complaint.
    await page.goto(linkedUrl);
    const pay = await openAction('记录赔付');
    await pay.getByLabel('赔付方 （必填）').selectOption('insurer');
    await pay.getByLabel('金额（元） （必填）').fill('850');
    await pay.getByLabel('支付方式 （必填）').selectOption('transfer');
    await pay.getByLabel('单号（如保险理赔编号） （选填）').fill('PICC-2026-0815');
    await pay.getByRole('button', { name: '记录赔付' }).click();
    await page.waitForURL(/ok=compensationRecorded/);
    const record = await page.locator('section', { has: page.locator('h2', { hasText: '赔付记录' }) }).textContent();
    expect(record).to.include('¥850.00').and.include('PICC-2026-0815').and.include('保险公司');
    await shot('07b-compensation');

    await signOut();
    await signInAs(staff.cashier.name);
    await page.getByRole('link', { name: '收银核对' }).first().click();
    await page.getByLabel('房号 / 业主姓名 / 手机号').fill(ownerName);
    await page.getByRole('button', { name: '搜索' }).click();
    await page.locator('ul.results li', { hasText: unitLabel }).getByRole('link', { name: '选择' }).click();
    await page.getByRole('link', { name: '核对', exact: true }).first().click();
    await page.waitForURL(/bill=/);
    expect(await page.locator('body').textContent())
      .to.include('可以照常收费')
      .and.include('拒交物业费');
    expect(await page.locator('[data-bill-status]').textContent()).to.equal('未缴');
    // The payment number comes from the receipt: the page never fills it in, and refuses to apply without it.
    const apply = page.locator('form[action$="/cashier/apply"]').first();
    const receipt = apply.getByLabel('收款单号 （必填，照收据填写）');
    expect(await receipt.inputValue()).to.equal('');
    await apply.getByRole('button', { name: '使用抵扣' }).click();
    await page.waitForLoadState();
    expect(await page.locator('.field-error').allTextContents()).to.deep.equal(['请填写收款单号（收据上的号码）']);
    await page.locator('form[action$="/cashier/apply"]').first().getByLabel('收款单号 （必填，照收据填写）').fill('SK-20261128-0042');
    await page.locator('form[action$="/cashier/apply"]').first().getByRole('button', { name: '使用抵扣' }).click();
    await page.waitForURL(/ok=offsetApplied/, { timeout: 5000 }).catch(async (e) => {
      console.log(page.url(), await page.locator('.alert, .field-error').allTextContents());
      throw e;
    });
    expect(await page.locator('body').textContent())
      .to.include('本账单已使用的抵扣')
      .and.include('SK-20261128-0042');
    expect(await page.locator('input[name="reversalKey"]').first().inputValue()).to.equal('');
    await shot('08-cashier');
    await checkPage('cashier');
    const applied = await h.db(T.offsetApplications).count({ n: '*' });
    expect(Number((applied as Array<{ n: number }>)[0]!.n)).to.equal(1);
    expect((await h.db(T.offsetApplications).first()).idempotency_key).to.equal('SK-20261128-0042');
    expect(linkedUrl).to.match(/\/c\/\d+$/);
  });

  it('shows the list, the administration page, and switches to English', async () => {
    await signOut();
    await signInAs(staff.admin.name);
    await page.getByRole('link', { name: '系统管理' }).click();
    expect(await page.locator('body').textContent()).to.include('映射与数据库相符');
    await shot('09-admin');
    await checkPage('admin');
    await page.goto(`${h.origin}${h.base}/report`);
    await checkPage('report');
    await page.getByRole('link', { name: '投诉列表' }).click();
    expect(await page.locator('h2#results').textContent()).to.include('共 3 条');
    await shot('10-list');
    await checkPage('list');
    await page.getByRole('link', { name: 'English' }).click();
    expect(await page.locator('h1').textContent()).to.equal('Complaints');
    await page.getByRole('link', { name: 'Workbench' }).click();
    expect(await page.locator('h1').textContent()).to.equal('Workbench');
    await shot('11-workbench-en');
    await checkPage('workbench-en');
    await page.getByRole('link', { name: '中文' }).click();
  });

  it('is usable with the keyboard: skip link first, forms reachable by Tab, Enter submits', async () => {
    await page.goto(`${h.origin}${h.base}/list`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal('跳到正文');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('main');
    await page.getByLabel('关键词').focus();
    await page.keyboard.type(complaintCode);
    await page.keyboard.press('Enter');
    await page.waitForURL(/q=/);
    expect(await page.locator('h2#results').textContent()).to.include('共 1 条');
  });

  it('saved its screenshots, the phone views among them', () => {
    expect(shots.length).to.be.greaterThan(8);
    expect(checked).to.include.members(['intake', 'slip', 'detail', 'offsets', 'cashier', 'list', 'admin', 'report']);
    expect(phoneShots.length).to.equal(checked.length);
    for (const path of [...shots, ...phoneShots]) {
      expect(statSync(path).size, path).to.be.greaterThan(1000);
      expect(readFileSync(path).subarray(0, 8).toString('hex'), `${path}: a PNG file`).to.equal('89504e470d0a1a0a');
    }
  });
});
