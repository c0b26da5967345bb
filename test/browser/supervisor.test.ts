// The supervisor's day, part two, in a real browser (Debian's headless Chromium driven by playwright-core)
// on SQLite and MariaDB: a lift outage becomes an incident, complaints join it by code and from a
// complaint's page, one plan and one reply go to all of them at once while each owner's follow-up stays
// their own; a duplicate with an offset request is merged (the request goes over to the survivor, shown
// before confirming) and one with an approved offset is refused with the reason in words; an improvement
// action is recorded from a report figure and listed with its before/after counts. The new pages are
// checked at 390 px and 1366 px (no sideways scroll, no serious axe-core violation). Screenshots go to
// test-output/.
import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, type Page } from 'playwright-core';
import { CHROMIUM, launchChromium, seriousAxeViolations } from '../support/browser.js';
import type { Complaint } from '../../src/complaints/types.js';
import { simpleHost } from '../fixtures/hosts.js';
import { intakeBody } from '../support/complaintData.js';
import { databaseKinds } from '../support/databases.js';
import { staff, startPageHarness, type PageHarness } from '../support/pageHarness.js';
import { tableNames } from '../../src/db/tables.js';

const OUT = 'test-output';
const NOW = new Date('2026-11-28T01:00:00.000Z');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`Chromium is required under CI but ${CHROMIUM} is missing (.ci/run installs it)`);
const T = tableNames('cmp_');

for (const kind of databaseKinds) {
  (haveChromium ? describe : describe.skip)(`browser: incidents, merges and the improvement register (${kind.kind})`, function () {
    this.timeout(180_000);
    let h: PageHarness;
    let browser: Browser;
    let page: Page;
    const pageErrors: Error[] = [];
    let members: Complaint[];
    let survivor: Complaint;
    let dupCarry: Complaint;
    let dupRefused: Complaint;
    let carriedId: number;

    async function assessed(unitId: string, description: string): Promise<Complaint> {
      const { complaint } = await h.plugin.complaints.create(intakeBody(unitId, { description }), staff.counter);
      return h.plugin.complaints.transition(
        complaint.id,
        'assess',
        { version: complaint.version, disputeType: 'property', nature: 'valid', severity: 'important' },
        staff.supervisor,
      );
    }

    /** At 390 px and 1366 px: nothing wider than the window, no serious or critical axe-core violation. */
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
          if (width === 390) await page.screenshot({ path: `${OUT}/phone-supervisor-${name}-${kind.kind}.png`, fullPage: true });
        }
      } finally {
        await page.setViewportSize(before);
      }
    }

    before(async () => {
      mkdirSync(OUT, { recursive: true });
      h = await startPageHarness(kind, simpleHost, { now: NOW.toISOString() });
      members = [
        await assessed('101', '3号楼电梯停运，老人被困'),
        await assessed('102', '电梯又停了，上下楼困难'),
        await assessed('102', '电梯停运一整天没人管'),
      ];
      survivor = await assessed('101', '阳台漏水一个月');
      dupCarry = await assessed('101', '阳台漏水，再次来电');
      const raised = await h.plugin.offsets.raise({ complaintId: dupCarry.id, amount: '88.80', reason: '漏水泡坏地板' }, staff.counter);
      carriedId = raised.id;
      dupRefused = await assessed('101', '阳台漏水，第三次来电');
      const other = await h.plugin.offsets.raise({ complaintId: dupRefused.id, amount: '50', reason: '清洁费用' }, staff.counter);
      await h.plugin.offsets.approve(other.id, { note: '同意', version: other.version }, staff.director);
      browser = await launchChromium();
      const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
      page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err));
      await page.goto(`${h.origin}${h.base}/sign-in`);
      await page.getByRole('button', { name: staff.supervisor.name, exact: true }).click();
      await page.waitForURL(`${h.origin}${h.base}/`);
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

    it('opens an incident, adds complaints by code and from a complaint page, plans and replies to all at once; each owner is followed up alone', async () => {
      await page.getByRole('link', { name: '事件群诉' }).first().click();
      await page.waitForURL(/\/incidents$/);
      await checkPage('incidents');
      await page.getByLabel('事件名称').fill('3号楼电梯停运');
      await page.getByLabel('事件类型').selectOption('lift');
      await page.locator('select[name=communityId]').selectOption('1');
      await page.locator('input[name=building]').fill('3号楼');
      await page.getByLabel('事件说明').fill('电梯故障，11月28日 8:00 起停运');
      await Promise.all([page.waitForURL(/\/incidents\/\d+\?ok=incidentCreated/), page.getByRole('button', { name: '建立事件' }).click()]);
      const incidentUrl = page.url().replace(/\?.*$/, '');
      for (const c of members.slice(0, 2)) {
        await page.getByLabel('投诉编号').fill(c.code);
        await Promise.all([page.waitForURL(/ok=incidentJoined/), page.getByRole('button', { name: '加入事件' }).click()]);
      }
      // The third joins from its own page.
      await page.goto(`${h.origin}${h.base}/c/${members[2]!.id}`);
      await page.getByLabel('加入事件').selectOption({ index: 0 });
      await Promise.all([page.waitForURL(/ok=incidentJoined/), page.getByRole('button', { name: '加入事件' }).click()]);
      await page.getByRole('link', { name: /^#\d+$/ }).click();
      await page.waitForURL(incidentUrl);
      for (const c of members) expect(await page.locator(`tr[data-member="${c.code}"]`).count()).to.equal(1);

      await page.locator('summary', { hasText: '制定处理方案' }).click();
      const plan = page.locator('details[open]', { has: page.locator('summary', { hasText: '制定处理方案' }) });
      await plan.locator('select[name=department]').selectOption('engineering');
      await plan.locator('textarea[name=measures]').fill('更换曳引机制动器并全面检修');
      await plan.locator('input[name=deadline]').fill('2026-11-30T18:00');
      await plan.getByRole('button', { name: '制定处理方案' }).click();
      await page.locator('[data-group-result]').waitFor();
      expect(await page.locator('[data-group-result]').innerText()).to.include('已处理 3 件');

      await page.locator('summary', { hasText: '统一回复处理结果' }).click();
      const reply = page.locator('details[open]', { has: page.locator('summary', { hasText: '统一回复处理结果' }) });
      await reply.locator('textarea[name=reply]').fill('电梯已修复并通过检测，给您带来不便深表歉意');
      await reply.locator('textarea[name=basis]').fill('维保单位检测报告 WB-2026-118');
      await reply.getByRole('button', { name: '统一回复处理结果' }).click();
      await page.locator('[data-group-result]', { hasText: '已处理 3 件' }).waitFor();
      await checkPage('incident');
      const states = (await h
        .db(T.complaints)
        .whereIn(
          'id',
          members.map((c) => c.id),
        )
        .pluck('state')) as string[];
      expect(states).to.deep.equal(['resolved', 'resolved', 'resolved']);
      // Each owner is still visited on their own complaint: the incident page sends there.
      await page.goto(incidentUrl);
      expect(await page.locator('tr[data-member] a', { hasText: '去回访' }).count()).to.equal(3);
      expect(await page.locator(`tr[data-member="${members[0]!.code}"]`).innerText()).to.include('已回复，待回访');
    });

    it('merges a duplicate whose offset request goes over to the survivor, seen before confirming', async () => {
      await page.goto(`${h.origin}${h.base}/c/${dupCarry.id}`);
      await page.getByRole('link', { name: '合并为重复投诉' }).click();
      await page.getByLabel('保留的投诉编号').fill(survivor.code);
      await page.getByLabel('合并原因').fill('同一阳台漏水重复登记');
      await page.getByRole('button', { name: '查看合并结果' }).click();
      await page.locator('[data-merge-preview]').waitFor();
      expect(await page.locator('[data-merge-carried]').innerText()).to.include(`抵扣申请 #${carriedId} 将转到保留的投诉`);
      await checkPage('merge');
      await Promise.all([page.waitForURL(/ok=merged/), page.getByRole('button', { name: `确认合并到 ${survivor.code}` }).click()]);
      expect(page.url()).to.include(`/c/${survivor.id}?`);
      expect(await page.locator('[data-merged-from]').innerText()).to.include(dupCarry.code);
      const moved = (await h.db(T.offsets).where({ id: carriedId }).first()) as { complaint_id: number; status: string };
      expect([Number(moved.complaint_id), moved.status]).to.deep.equal([survivor.id, 'requested']);
      await page.goto(`${h.origin}${h.base}/c/${dupCarry.id}`);
      await page.locator('[data-merged-into] a', { hasText: survivor.code }).click();
      await page.waitForURL(new RegExp(`/c/${survivor.id}$`));
    });

    it('refuses to merge a duplicate with an approved offset, with the reason in words and nothing to confirm', async () => {
      await page.goto(`${h.origin}${h.base}/c/${dupRefused.id}/merge`);
      await page.getByLabel('保留的投诉编号').fill(survivor.code);
      await page.getByLabel('合并原因').fill('同一阳台漏水');
      await page.getByRole('button', { name: '查看合并结果' }).click();
      await page.locator('[data-merge-refusal]').waitFor();
      const reason = await page.locator('[data-merge-refusal]').innerText();
      expect(reason).to.include('已批准').and.include('不能随合并转移');
      expect(await page.getByRole('button', { name: /确认合并/ }).count()).to.equal(0);
      const row = (await h.db(T.complaints).where({ id: dupRefused.id }).first()) as { state: string };
      expect(row.state).to.equal('investigating');
    });

    it('shows a 12345 referral’s ready-to-submit reply with a button that copies it', async () => {
      const { complaint } = await h.plugin.complaints.create(
        intakeBody('102', {
          channel: 'hotline_12345',
          externalRef: '12345-2026-000123',
          hotlineDueAt: '2026-11-30T10:00:00.000Z',
          description: '12345 转办：物业费公摊疑问',
        }),
        staff.counter,
      );
      const assessed = await h.plugin.complaints.transition(
        complaint.id,
        'assess',
        { version: complaint.version, disputeType: 'property', nature: 'inquiry', severity: 'minor' },
        staff.supervisor,
      );
      await h.plugin.complaints.transition(
        complaint.id,
        'resolve',
        { version: assessed.version, reply: '已向业主解释公摊费用的构成并出示收费公示', basis: '《物业服务合同》第十二条' },
        staff.supervisor,
      );
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.origin });
      await page.goto(`${h.origin}${h.base}/c/${complaint.id}`);
      const text = await page.locator('#hotline-reply').inputValue();
      expect(text).to.include('12345-2026-000123').and.include('已向业主解释公摊费用的构成').and.include('《物业服务合同》第十二条');
      await page.getByRole('button', { name: '复制回复文本' }).click();
      await page.getByRole('button', { name: '已复制' }).waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).to.equal(text);
    });

    it('records an improvement action from a report figure and sees it listed with its before/after counts', async () => {
      await page.goto(`${h.origin}${h.base}/report`);
      const row = page.locator('#dim-category').locator('xpath=..').locator('tr', { hasText: '设施设备' });
      await row.getByRole('link', { name: /记录整改措施/ }).click();
      await page.waitForURL(/\/improvements\?scopeKind=category&scopeValue=facilities/);
      expect(await page.locator('#scopeValue').inputValue()).to.equal('facilities');
      await page.getByLabel('措施内容').fill('电梯每周巡检改为每日巡检，制动器按季度更换');
      await page.getByLabel('责任人').fill('工程部刘经理');
      await page.getByLabel('完成期限').fill('2026-12-31');
      await Promise.all([page.waitForURL(/ok=improvementRecorded/), page.getByRole('button', { name: '记录措施' }).click()]);
      const listed = page.locator('tr[data-action]', { hasText: '电梯每周巡检改为每日巡检' });
      const text = await listed.innerText();
      expect(text).to.include('投诉类别').and.include('设施设备').and.include('工程部刘经理');
      // Every complaint of this test was received today, the day the action takes effect: all "after", none before.
      expect(text).to.match(/投诉 0 件，二次投诉 0 件[\s\S]*投诉 \d+ 件/);
      await checkPage('improvements');
      await listed.locator('select[name=status]').selectOption('in_progress');
      await Promise.all([page.waitForURL(/ok=improvementUpdated/), listed.getByRole('button', { name: '更新状态' }).click()]);
      expect(await page.locator('tr[data-action]', { hasText: '电梯每周巡检' }).innerText()).to.include('进行中');
    });
  });
}
