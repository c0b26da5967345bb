// Public-area complaints (公共区域) on both databases: a complaint about the lobby or the garage names a
// community, perhaps a building, and a location instead of a unit. Intake refuses the mixtures per field,
// a second complaint of the same kind at the same place is a repeat, an offset is refused saying why (no
// unit, no fee), and the pages say so: intake's public-area form, the detail page's note.
import { expect } from 'chai';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { staff, startPageHarness, unescapeHtml, type PageHarness } from '../support/pageHarness.js';
import { ValidationError } from '../../src/common/errors.js';
import { refused } from '../support/offsetData.js';
import { tableNames } from '../../src/db/tables.js';

const T = tableNames('cmp_');

const lobby = {
  communityId: '1',
  building: '3号楼',
  location: '大堂电梯口',
  complainantName: '李娜',
  complainantPhone: '13700137003',
  channel: 'patrol',
  category: 'cleaning_greening',
  description: '大堂电梯口积水三天无人清理',
};

async function fields(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ValidationError) return err.fields.map((f) => f.field).sort();
    throw err;
  }
  return expect.fail('expected a validation error');
}

for (const kind of databaseKinds) {
  describe(`public-area complaints (${kind.kind})`, function () {
    this.timeout(60_000);
    let h: PageHarness;
    before(async () => {
      h = await startPageHarness(kind, simpleHost);
    });
    after(() => h?.close());

    it('registers a complaint about a place of a community with no unit and no owner', async () => {
      const { complaint } = await h.plugin.complaints.create(lobby, staff.counter);
      expect(complaint.unitId).to.equal(null);
      expect(complaint.ownerId).to.equal(null);
      expect(complaint.communityId).to.equal('1');
      expect(complaint.building).to.equal('3号楼');
      expect(complaint.location).to.equal('大堂电梯口');
      expect(complaint.unitLabel).to.equal('阳光花园 公共区域：3号楼 大堂电梯口');
      const row = await h.db(T.complaints).where({ id: complaint.id }).first();
      expect(row.unit_id).to.equal(null);

      // The same place, the same kind, within the repeat window: a repeat of the first.
      h.clock.advance(3_600_000);
      const { complaint: again } = await h.plugin.complaints.create({ ...lobby, complainantName: '王芳' }, staff.counter);
      expect(again.repeatOfId).to.equal(complaint.id);
      const { complaint: elsewhere } = await h.plugin.complaints.create({ ...lobby, location: '地下车库 B2 区' }, staff.counter);
      expect(elsewhere.repeatOfId).to.equal(null);
    });

    it('refuses the mixtures, each at its field, and registers nothing', async () => {
      const count = async () => Number(((await h.db(T.complaints).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
      const before = await count();
      const { communityId: _c, building: _b, location: _l, ...noPlace } = lobby;
      expect(await fields(h.plugin.complaints.create(noPlace, staff.counter))).to.deep.equal(['unitId']);
      expect(await fields(h.plugin.complaints.create({ ...lobby, location: '  ' }, staff.counter))).to.deep.equal(['location']);
      expect(await fields(h.plugin.complaints.create({ ...lobby, unitId: '101' }, staff.counter))).to.deep.equal(['location']);
      expect(await fields(h.plugin.complaints.create({ ...lobby, ownerId: '1' }, staff.counter))).to.deep.equal(['ownerId']);
      expect(await fields(h.plugin.complaints.create({ ...lobby, communityId: '99' }, staff.counter))).to.deep.equal(['communityId']);
      // A clerk of community 1 cannot register for community 2.
      expect(await fields(h.plugin.complaints.create({ ...lobby, communityId: '2' }, staff.scoped))).to.deep.equal(['communityId']);
      expect(await count()).to.equal(before);
    });

    it('refuses an offset saying plainly why: no unit, no fee to offset', async () => {
      const { complaint } = await h.plugin.complaints.create({ ...lobby, location: '小区花园' }, staff.counter);
      const assessed = await h.plugin.complaints.transition(
        complaint.id,
        'assess',
        { version: complaint.version, disputeType: 'property', nature: 'valid', severity: 'minor' },
        staff.supervisor,
      );
      const err = await refused(
        h.plugin.offsets.raise({ complaintId: assessed.id, amount: '50', reason: '衣物被积水弄脏' }, staff.counter),
        'public_area',
        409,
      );
      expect(err.localized['zh-CN']).to.include('公共区域投诉');
      expect(err.localized['zh-CN']).to.include('赔付');
      expect(await h.db(T.offsets).where({ complaint_id: assessed.id })).to.have.length(0);
    });

    it('has a public-area intake form and a detail page that says what does not apply', async () => {
      const counter = h.client();
      await counter.signIn(staff.counter);
      const form = await counter.get('/new?area=public');
      expect(form.status).to.equal(200);
      expect(form.text).to.include('name="area" value="public"');
      expect(unescapeHtml(form.text)).to.include('阳光花园');
      const typed = {
        area: 'public',
        communityId: '1',
        building: '',
        location: '',
        complainantName: '李娜',
        complainantPhone: '13700137003',
        channel: 'counter',
        category: 'security',
        description: '车库门禁坏了',
      };
      const bad = await counter.post('/new', typed);
      expect(bad.status).to.equal(422);
      expect(unescapeHtml(bad.text)).to.include('公共区域投诉须写明具体位置');
      expect(unescapeHtml(bad.text)).to.include('车库门禁坏了'); // what was typed is kept
      await counter.get('/new?area=public');
      const ok = await counter.post('/new', {
        area: 'public',
        communityId: '1',
        building: '',
        location: '地下车库入口',
        complainantName: '李娜',
        complainantPhone: '13700137003',
        channel: 'counter',
        category: 'security',
        description: '车库门禁坏了',
        idempotencyKey: crypto.randomUUID(),
      });
      expect(ok.status, ok.text.slice(0, 500)).to.equal(303);
      const id = Number(/\/c\/(\d+)\//.exec(ok.location!)![1]);
      const detail = unescapeHtml((await counter.get(`/c/${id}`)).text);
      expect(detail).to.include('公共区域投诉不对应房屋');
      expect(detail).to.include('阳光花园 公共区域：地下车库入口');
    });
  });
}
