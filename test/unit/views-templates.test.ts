// The templates and their helpers: every message key a template names exists in both catalogs, nothing
// but the layout's page body uses triple-stash, helpers escape, attribute URLs are only http(s) or
// relative, and rendering is fast enough to serve a counter without thinking about it.
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createViewEngine, safeUrl, VIEWS_DIR } from '../../src/views/engine.js';
import { isMessageKey } from '../../src/i18n/index.js';
import { en } from '../../src/i18n/en.js';
import { zhCN } from '../../src/i18n/zh-CN.js';
import { fromLocalInput, toLocalInput, formatDateTime } from '../../src/views/format.js';
import { FormReplay, safeNext } from '../../src/views/forms.js';

const dir = VIEWS_DIR;

function templates(): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  for (const sub of ['layouts', 'partials', 'pages']) {
    for (const file of readdirSync(join(dir, sub)).filter((f) => f.endsWith('.hbs')))
      out.push({ file: `${sub}/${file}`, text: readFileSync(join(dir, sub, file), 'utf8') });
  }
  return out;
}

describe('views: templates', () => {
  it('name only message keys that exist (literal keys in {{t "…"}})', () => {
    const missing: string[] = [];
    for (const { file, text } of templates()) {
      for (const m of text.matchAll(/\(?\bt "([^"]+)"/g)) if (!isMessageKey(m[1]!)) missing.push(`${file}: ${m[1]}`);
    }
    expect(missing).to.deep.equal([]);
  });

  it('keep both catalogs complete and non-empty', () => {
    expect(Object.keys(en).sort()).to.deep.equal(Object.keys(zhCN).sort());
    for (const [k, v] of Object.entries(en)) expect(v, k).to.be.a('string').and.not.equal('');
  });

  it('use triple-stash only for the page body in the layout', () => {
    const uses = templates().flatMap(({ file, text }) => [...text.matchAll(/\{\{\{\s*([^}]+?)\s*\}\}\}/g)].map((m) => `${file}: ${m[1]}`));
    // Each layout (main, and the owner's phone pages) places the rendered page body.
    expect(uses).to.deep.equal(['layouts/main.hbs: body', 'layouts/owner.hbs: body']);
  });

  it('escape values and helper results', () => {
    const views = createViewEngine();
    const html = views.render('error', {
      locale: 'zh-CN',
      title: '<b>x</b>',
      status: 404,
      message: '"><script>alert(1)</script>',
      details: ["<img src=x onerror='y'>"],
      homeUrl: '/complaints/',
      base: '/complaints',
      nav: [],
    });
    expect(html).not.to.include('<script>alert').and.not.to.include('<img src=x');
    expect(html).to.include('&lt;script&gt;').and.include('&lt;b&gt;x&lt;/b&gt;');
  });

  it('allow only http(s) and relative URLs in attributes', () => {
    for (const ok of ['https://erp.example/x', 'http://a.b', '/complaints/c/1', '?q=1', '#top', 'c/1', './x', '../y']) expect(safeUrl(ok), ok).to.equal(ok);
    for (const bad of [
      'javascript:alert(1)',
      ' JavaScript:alert(1)',
      'java\nscript:alert(1)',
      'data:text/html,x',
      '//evil.example',
      '/\\evil.example',
      'vbscript:x',
      'https:evil',
      null,
      42,
    ])
      expect(safeUrl(bad), String(bad)).to.equal('#');
    expect(safeNext('https://evil.example/', '/complaints')).to.equal('/complaints/');
    expect(safeNext('//evil.example/complaints/', '/complaints')).to.equal('/complaints/');
    expect(safeNext('/complaints/list?x=1', '/complaints')).to.equal('/complaints/list?x=1');
  });

  it('converts between Beijing wall-clock input and UTC', () => {
    const d = fromLocalInput('2026-12-05T18:00', 'Asia/Shanghai')!;
    expect(d.toISOString()).to.equal('2026-12-05T10:00:00.000Z');
    expect(toLocalInput(d, 'Asia/Shanghai')).to.equal('2026-12-05T18:00');
    expect(formatDateTime('2026-12-05 10:00:00.000', 'Asia/Shanghai')).to.equal('2026-12-05 18:00');
    for (const bad of ['2026-02-30T10:00', '2026-12-05T25:00', 'tomorrow', '2026-1-5']) expect(fromLocalInput(bad), bad).to.equal(null);
  });

  it('replays a form key once and forgets a failed one', async () => {
    const replay = new FormReplay();
    let runs = 0;
    const run = async () => {
      runs++;
      return '/done';
    };
    expect(await Promise.all([replay.once('k', run), replay.once('k', run)])).to.deep.equal(['/done', '/done']);
    expect(runs).to.equal(1);
    await replay.once('bad', async () => Promise.reject(new Error('x'))).catch(() => {});
    await new Promise((r) => setImmediate(r));
    expect(await replay.once('bad', run)).to.equal('/done');
  });

  it('renders a full page from the compiled templates (its time is measured in the bench, not here)', () => {
    const views = createViewEngine();
    const rows = Array.from({ length: 20 }, (_, i) => ({
      id: i,
      code: `TS-20261128-${String(i).padStart(4, '0')}`,
      unitLabel: '1-101',
      ownerName: '张伟',
      complainantName: '张伟',
      complainantPhone: '13800138001',
      categoryLabel: { 'zh-CN': '设施设备', en: 'Facilities' },
      stateLabel: { 'zh-CN': '已受理', en: 'Received' },
      stateClass: '',
      receivedAt: new Date(),
      dueAt: new Date(),
      overdue: i % 3 === 0,
    }));
    const data = {
      locale: 'zh-CN' as const,
      title: '投诉列表',
      base: '/complaints',
      nav: [],
      f: { page: 1, sort: '-receivedAt' },
      rows,
      total: 20,
      listPath: '/complaints/list',
      listQuery: [],
      states: [],
      severities: [],
      categories: [],
      natures: [],
      disputeTypes: [],
      communities: [],
      sorts: [],
      pageSizes: [],
      errors: {},
    };
    const html = views.render('list', data);
    for (const row of rows) expect(html).to.include(row.code);
    expect(views.render('list', data), 'the same page twice').to.equal(html);
  });
});
