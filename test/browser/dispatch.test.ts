// A supervisor dispatches a complaint to a handler in a real browser (Debian's headless Chromium driven by
// playwright-core) over the demo ERP, whose staff table is the directory: the plan form offers the people
// who may see the complaint's community (filtered by typing), never pre-filled with the supervisor; the
// handler signs in, finds the job on their own workbench, accepts it with one click and sees it with its
// next action on the phone-sized page of their jobs. On SQLite and MariaDB. Screenshots go to test-output/.
import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, type Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../support/browser.js';
import type { Actor } from '../../src/auth/actor.js';
import { createDemoErp } from '../../src/demo/demoErp.js';
import { loadMappingFile } from '../../src/host/mapping.js';
import { DEMO_MAPPING_FILE } from '../../src/cli/commands/demo.js';
import { databaseKinds } from '../support/databases.js';
import { staff, startPageHarness, type PageHarness } from '../support/pageHarness.js';
import type { HostFixture } from '../fixtures/hosts.js';

const OUT = 'test-output';
const NOW = new Date('2026-11-28T01:00:00.000Z');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`Chromium is required under CI but ${CHROMIUM} is missing (.ci/run installs it)`);

const demoFixture: HostFixture = {
  name: 'demoErp',
  mapping: loadMappingFile(DEMO_MAPPING_FILE),
  tables: [],
  async create(db) {
    await createDemoErp(db, NOW);
  },
};

/** In the demo ERP's staff table (erp_staff), so the directory offers them. */
const handler: Actor = { id: 'demo-handler', name: '工程部 张师傅', roles: ['handler'], communityIds: null };

for (const kind of databaseKinds) {
  (haveChromium ? describe : describe.skip)(`browser: a supervisor dispatches, the handler finds the job (${kind.kind})`, function () {
    this.timeout(120_000);
    let h: PageHarness;
    let browser: Browser;
    let page: Page;
    let complaintId: number;
    let code: string;
    const pageErrors: Error[] = [];

    async function signInAs(name: string): Promise<void> {
      await page.goto(`${h.origin}${h.base}/sign-in`);
      await page.getByRole('button', { name, exact: true }).click();
      await page.waitForURL(`${h.origin}${h.base}/`);
    }

    before(async () => {
      mkdirSync(OUT, { recursive: true });
      h = await startPageHarness(kind, demoFixture, { now: NOW.toISOString(), users: [handler] });
      // A complaint already assessed, waiting for its plan: the browser part is the dispatch itself.
      const room = (await h.db('erp_room').where({ is_deleted: 0, community_id: 1 }).orderBy('room_id').first('room_id')) as { room_id: string };
      const { complaints } = h.plugin;
      const created = await complaints.create(
        {
          unitId: room.room_id,
          complainantName: '林业主',
          complainantPhone: '13800138123',
          channel: 'phone',
          category: 'facilities',
          description: '2栋电梯异响，晚上停运',
        },
        staff.counter,
      );
      let c = await complaints.transition(created.complaint.id, 'start-investigation', { version: 1 }, staff.supervisor);
      c = await complaints.transition(
        c.id,
        'assess',
        { version: c.version, disputeType: 'property', nature: 'valid', severity: 'important' },
        staff.supervisor,
      );
      complaintId = c.id;
      code = c.code;
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

    it('the supervisor picks the handler from the directory, not pre-filled with themselves, and dispatches', async () => {
      await signInAs(staff.supervisor.name);
      await page.goto(`${h.origin}${h.base}/c/${complaintId}`);
      await page.locator('summary', { hasText: '制定处理方案' }).click();
      const form = page.locator('details[open]', { has: page.locator('summary', { hasText: '制定处理方案' }) });
      const select = form.locator('select[name=assigneeId]');
      expect(await select.inputValue(), 'never pre-filled with the person filling the form').to.equal('');
      const offered = await select.locator('option').allTextContents();
      expect(offered.some((o) => o.startsWith('工程部 张师傅'))).to.equal(true);
      expect(
        offered.some((o) => o.includes('秩序部 赵队长')),
        'works in other communities only',
      ).to.equal(false);
      expect(
        offered.some((o) => o.includes('已离职')),
        'left the company',
      ).to.equal(false);
      // Typing narrows the list; the select keeps the pick.
      await form.locator('input.staff-filter').fill('张师傅');
      expect(await select.locator('option:not([hidden])').count()).to.equal(2); // "—" and 张师傅
      await select.selectOption({ value: handler.id });
      await form.locator('select[name=department]').selectOption('engineering');
      await form.locator('textarea[name=measures]').fill('更换电梯导靴并复检');
      await form.locator('input[name=deadline]').fill('2026-12-01T18:00');
      await Promise.all([page.waitForURL(/\/c\/\d+\?ok=planned/), form.getByRole('button', { name: '制定处理方案' }).click()]);
      const facts = await page.locator('main').textContent();
      expect(facts).to.include('工程部 张师傅').and.include('待接单');
      await page.screenshot({ path: `${OUT}/dispatch-${kind.kind}-planned.png`, fullPage: true });
      await page.getByRole('button', { name: '退出登录' }).click();
      await page.waitForURL(/sign-in/);
    });

    it('the handler signs in and finds the job on their own workbench, accepts it in one click, and sees it on the phone page', async () => {
      await signInAs(handler.name);
      const queue = page.locator('#queue-toAccept');
      expect(await queue.locator('h3').textContent()).to.include('待我接单');
      const job = queue.locator('li.job', { hasText: code });
      expect(await job.count()).to.equal(1);
      await page.screenshot({ path: `${OUT}/dispatch-${kind.kind}-handler-workbench.png`, fullPage: true });
      await Promise.all([page.waitForURL(/ok=accepted/), job.getByRole('button', { name: '接单' }).click()]);
      expect(await page.locator('#queue-toAccept li.job', { hasText: code }).count()).to.equal(0);

      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${h.origin}${h.base}/mine`);
      expect(await page.locator('h1').textContent()).to.equal('我的派单');
      const mine = page.locator('li.job', { hasText: code });
      expect(await mine.count()).to.equal(1);
      // Accepted: the next step is the reply, one tap away.
      expect(await mine.locator('.job-action').textContent()).to.equal('回复处理结果');
      const box = await mine.boundingBox();
      expect(box!.width, 'fits a phone screen').to.be.at.most(390);
      await page.screenshot({ path: `${OUT}/dispatch-${kind.kind}-mine-phone.png`, fullPage: true });
      await mine.locator('.job-action').click();
      await page.waitForURL(/open=resolve/);
      expect(await page.locator('details[open] summary').first().textContent()).to.equal('回复处理结果');
      const stored = await h.plugin.complaints.get(complaintId, staff.supervisor);
      expect(stored.complaint).to.include({ assigneeId: handler.id, assigneeName: '工程部 张师傅' });
      expect(stored.complaint.acceptedAt).to.be.instanceOf(Date);
    });
  });
}
