// The complaint ledger (投诉台账) and the handling form (处理单) over HTTP on both databases: the filtered
// list exported whole as CSV (BOM, CRLF, formula-safe, money in yuan, mobiles masked) and as XLSX (read
// back with exceljs: one row per complaint, money as numbers), the new category 房屋质量/维修 next to
// the old ones (a stored category list gains it by migration, complaints keep theirs), and the A4 form.
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { simpleHost } from '../fixtures/hosts.js';
import { databaseKinds } from '../support/databases.js';
import { staff, startPageHarness, unescapeHtml, userHeader, type PageHarness } from '../support/pageHarness.js';
import { intakeBody } from '../support/complaintData.js';
import { tableNames } from '../../src/db/tables.js';
import { clientOf } from '../../src/db/connection.js';
import { up as addBuildingQuality } from '../../migrations/20261207040000_public_areas_and_building_quality.js';
import type { HostKeyTypes } from '../../src/host/keyTypes.js';
import type { Actor } from '../../src/auth/actor.js';

const T = tableNames('cmp_');

for (const kind of databaseKinds) {
  describe(`ledger export and handling form (${kind.kind})`, function () {
    this.timeout(60_000);
    let h: PageHarness;

    async function get(actor: Actor, path: string, lang = 'zh-CN') {
      const res = await fetch(`${h.origin}${h.base}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`, { headers: userHeader(actor, h.clock) });
      return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
    }

    before(async () => {
      h = await startPageHarness(kind, simpleHost);
      const { complaints, offsets, compensations } = h.plugin;
      const leak = await complaints.create(
        intakeBody('101', { category: 'building_quality', description: '顶楼屋面漏水，已过五年保修期', complainantPhone: '13800138000' }),
        staff.counter,
      );
      const assessed = await complaints.transition(
        leak.complaint.id,
        'assess',
        { version: leak.complaint.version, disputeType: 'property', nature: 'valid', severity: 'important' },
        staff.supervisor,
      );
      await offsets.raise({ complaintId: assessed.id, amount: '120.50', reason: '漏水损坏家具' }, staff.counter);
      await compensations.record(
        assessed.id,
        { payer: 'company', amount: '300', paidOn: '2026-11-28', method: 'transfer', reference: 'PC-1', note: '维修期间住宿' },
        staff.supervisor,
      );
      await complaints.create(
        intakeBody('102', { category: 'neighbour', description: '=HYPERLINK("http://evil","点我")', complainantPhone: '13900139002' }),
        staff.counter,
      );
      await complaints.create(intakeBody('103', { category: 'facilities', description: '电梯停运, 被困 "二十分钟"\n请处理' }), staff.counter);
    });
    after(() => h?.close());

    it('offers 房屋质量/维修 among the categories, and a stored category list gains it while complaints keep theirs', async () => {
      const settings = await h.plugin.context.settings.get();
      expect(settings.categories.map((c) => c.code)).to.include('building_quality');
      // An administrator's list saved before the category existed (stored whole, so no new default reaches it).
      const old = settings.categories.filter((c) => c.code !== 'building_quality');
      await h.db(T.settings).insert({ key: 'categories', value: JSON.stringify(old), updated_at: '2026-11-01 00:00:00.000', updated_by: 'x' });
      const before = await h.db(T.complaints).orderBy('id').select('id', 'category');
      const ctx = { prefix: 'cmp_', tables: T, client: clientOf(h.db), hostKeys: {} as HostKeyTypes }; // this migration reads no host key
      await addBuildingQuality(h.db, ctx);
      await addBuildingQuality(h.db, ctx); // re-runnable: added once
      const stored = JSON.parse((await h.db(T.settings).where({ key: 'categories' }).first()).value) as Array<{ code: string }>;
      const codes = stored.map((c) => c.code);
      expect(codes.filter((c) => c === 'building_quality')).to.have.length(1);
      expect(codes.indexOf('building_quality')).to.equal(codes.indexOf('neighbour') - 1);
      expect(await h.db(T.complaints).orderBy('id').select('id', 'category')).to.deep.equal(before);
      const audit = await h.db(T.events).where({ entity_type: 'settings', action: 'settings_changed', actor_id: 'system' });
      expect(audit).to.have.length(1);
      await h.db(T.settings).where({ key: 'categories' }).delete();
    });

    it('exports the whole filtered list as CSV: BOM, CRLF, masked mobiles, money in yuan, formulas defused', async () => {
      const res = await get(staff.supervisor, '/list/export.csv?limit=20');
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/csv/);
      expect(res.headers.get('content-disposition')).to.match(/attachment; filename="complaints-ledger_\d{8}-\d{4}\.csv"/);
      const text = res.bytes.toString('utf8');
      expect(text.startsWith('\uFEFF投诉编号,状态,受理时间')).to.equal(true);
      const lines = text.slice(1).split('\r\n');
      expect(lines.at(-1)).to.equal('');
      expect(text).to.not.include('13800138000');
      expect(text).to.include('138****8000');
      expect(text).to.include('房屋质量/维修');
      expect(text).to.include(`"'=HYPERLINK(""http://evil"",""点我"")"`);
      expect(text).to.include('"电梯停运, 被困 ""二十分钟""\n请处理"');
      const leakLine = lines.find((l) => l.includes('屋面漏水'))!;
      // requested 120.50, approved 0.00, applied 0.00, compensation 300.00 (the last four columns)
      expect(leakLine.split(',').slice(-4)).to.deep.equal(['120.50', '0.00', '0.00', '300.00']);

      const filtered = (await get(staff.supervisor, '/list/export.csv?category=building_quality')).bytes.toString('utf8');
      expect(filtered.slice(1).split('\r\n').filter(Boolean)).to.have.length(2); // header + the leak
      const en = (await get(staff.supervisor, '/list/export.csv', 'en')).bytes.toString('utf8');
      expect(en.startsWith('\uFEFFCode,State,Received')).to.equal(true);
      expect(en).to.include('Building quality and repairs');
    });

    it('exports the same rows as XLSX that Excel reads: header, one row per complaint, money as numbers', async () => {
      const res = await get(staff.supervisor, '/list/export.xlsx?state=received&state=investigating');
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(res.bytes as unknown as ArrayBuffer);
      const sheet = book.worksheets[0]!;
      expect(sheet.name).to.equal('投诉台账');
      expect(sheet.rowCount).to.equal(4);
      const header = (sheet.getRow(1).values as unknown[]).slice(1);
      expect(header[0]).to.equal('投诉编号');
      const rows = [2, 3, 4].map((i) => (sheet.getRow(i).values as unknown[]).slice(1));
      const leak = rows.find((r) => String(r[12]).includes('屋面漏水'))!;
      expect(leak[10]).to.equal('138****8000');
      expect(leak.slice(-4)).to.deep.equal([120.5, 0, 0, 300]);
      const formula = rows.find((r) => String(r[12]).startsWith('=HYPERLINK'))!;
      // A text cell, never a formula.
      expect(typeof formula[12]).to.equal('string');
    });

    it('refuses a bad filter naming the field, and a role without report.view (counter staff)', async () => {
      const bad = await get(staff.supervisor, '/list/export.csv?from=2026-13-01');
      expect(bad.status).to.equal(422);
      expect(unescapeHtml(bad.bytes.toString('utf8'))).to.match(/receivedFrom|受理日期/);
      expect((await get(staff.counter, '/list/export.xlsx')).status).to.equal(403);
      expect((await get(staff.cashier, '/list/export.csv')).status).to.equal(403);
    });

    it('prints the handling form (处理单) of one complaint on A4, the mobile masked', async () => {
      const leak = (await h.db(T.complaints).where({ category: 'building_quality' }).first()) as { id: number; code: string };
      const res = await get(staff.counter, `/c/${leak.id}/form`);
      expect(res.status).to.equal(200);
      const page = unescapeHtml(res.bytes.toString('utf8'));
      expect(page).to.include('业主投诉处理单');
      expect(page).to.include(leak.code);
      expect(page).to.include('138****8000');
      expect(page).to.not.include('13800138000');
      expect(page).to.include('¥120.50');
      expect(page).to.include('¥300.00');
      expect(page).to.match(/主管审核/);
    });
  });
}
