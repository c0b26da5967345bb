// The complaint list page rendered in-process from the compiled templates: the per-render time that the
// unit suite used to assert (< 5 ms) is a figure of the bench (issue 22: no timing asserts in unit tests).
import { createViewEngine } from '../../src/views/engine.js';

/** Milliseconds per render of a 20-row list page, over `n` renders after one warm-up render. */
export function listPageRenderMs(n = 300): number {
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
  views.render('list', data);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) views.render('list', data);
  return Number(process.hrtime.bigint() - start) / 1e6 / n;
}
