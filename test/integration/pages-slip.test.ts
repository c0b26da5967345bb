// The acknowledgement slip prints the company, the service centre and its phone from settings, set on the
// administration page (issue 16 item 6); a malformed phone comes back at its field in plain words, with
// everything typed kept, and nothing saved.
import { expect } from 'chai';
import { databaseKinds } from '../support/databases.js';
import { simpleHost } from '../fixtures/hosts.js';
import { intakeForm, staff, startPageHarness, type PageClient, type PageHarness } from '../support/pageHarness.js';
import { tableNames } from '../../src/db/tables.js';

const T = tableNames('cmp_');

/** The settings form as the page shows it (text, number and hidden inputs, checked boxes). */
function grab(text: string): Record<string, string> {
  const form: Record<string, string> = {};
  for (const m of text.matchAll(/<input type="(?:text|number|hidden|tel)"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) form[m[1]!] = m[2]!;
  for (const m of text.matchAll(/<input type="checkbox" name="([^"]+)" value="1"[^>]* checked/g)) form[m[1]!] = '1';
  delete form._csrf;
  return form;
}

for (const kind of databaseKinds) {
  describe(`pages: the slip's header from settings (${kind.kind})`, function () {
    let h: PageHarness;
    let admin: PageClient;
    let counter: PageClient;
    let slipPath = '';
    before(async () => {
      h = await startPageHarness(kind, simpleHost);
      admin = h.client();
      await admin.signIn(staff.admin);
      counter = h.client();
      await counter.signIn(staff.counter);
      await counter.get('/new?unit=101');
      const res = await counter.post('/new', intakeForm({ description: '电梯停运', expectation: '' }));
      expect(res.status).to.equal(303);
      slipPath = res.location!.replace(h.base, '').replace(/\?.*$/, '');
    });
    after(async () => h?.close());

    it('prints no header while the settings are empty', async () => {
      const slip = await counter.get(slipPath);
      expect(slip.status).to.equal(200);
      expect(slip.text).not.to.include('class="slip-header"');
    });

    it('saves company, service centre and phone on the administration page and prints them on the slip', async () => {
      const page = await admin.get('/admin');
      expect(page.text).to.include('回执单抬头').and.include('<label for="serviceCentrePhone">服务中心电话</label>');
      const res = await admin.post('/admin/settings', {
        ...grab(page.text),
        companyName: '阳光物业服务有限公司',
        serviceCentreName: '阳光花园客服中心',
        serviceCentrePhone: '021-5888 6666',
      });
      expect(res.status, res.text.slice(0, 2000)).to.equal(303);
      const settings = await h.plugin.context.settings.get();
      expect(settings).to.include({ companyName: '阳光物业服务有限公司', serviceCentreName: '阳光花园客服中心', serviceCentrePhone: '021-5888 6666' });
      const slip = await counter.get(slipPath);
      const header = slip.text.slice(
        slip.text.indexOf('<header class="slip-header">'),
        slip.text.indexOf('</header>', slip.text.indexOf('<header class="slip-header">')),
      );
      expect(header).to.include('阳光物业服务有限公司').and.include('阳光花园客服中心 · 电话 021-5888 6666');
      const en = await counter.get(`${slipPath}?lang=en`);
      expect(en.text).to.include('阳光花园客服中心 · Phone 021-5888 6666');
      // Audited like every settings change.
      const events = await h.db(T.events).where({ entity_type: 'settings' }).select('changes');
      expect(events.map((e) => String(e.changes)).join(' ')).to.include('serviceCentrePhone');
    });

    it('answers a malformed phone at its field in plain words, keeping what was typed, saving nothing', async () => {
      const before = await h.db(T.settings).select();
      const page = await admin.get('/admin');
      const res = await admin.post('/admin/settings', { ...grab(page.text), serviceCentreName: '新客服中心', serviceCentrePhone: '请拨打客服' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('服务中心电话：只能填数字、空格、+、- 和括号，如 021-12345678');
      expect(res.text).to.include('value="请拨打客服"').and.include('value="新客服中心"');
      expect(res.text).not.to.match(/\^\[0-9/);
      expect(await h.db(T.settings).select()).to.deep.equal(before);
    });
  });
}
