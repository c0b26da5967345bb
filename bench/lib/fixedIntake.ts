// The data the intake page (src/views/pages/intake.ts, renderIntake + PageKit's layout data) passes to
// its template, for one typical unit, built once from constants: the baseline renders the same
// template with it and no database work. Shapes follow the page's view model field for field.
import type { Complaint } from '../../src/complaints/types.js';
import { defaultSettings } from '../../src/settings/settings.js';
import { categoryLabels, choices, VOCAB } from '../../src/views/labels.js';
import { complaintRow } from '../../src/views/pages/viewModels.js';
import type { Locale } from '../../src/common/localized.js';

const NOW = new Date('2026-11-20T02:00:00Z');

function complaint(id: number, state: Complaint['state'], daysAgo: number, category: string): Complaint {
  const receivedAt = new Date(NOW.getTime() - daysAgo * 86_400_000);
  return {
    id,
    code: `TS-2026${String(11 - Math.floor(daysAgo / 30)).padStart(2, '0')}15-${String(id % 10000).padStart(4, '0')}`,
    version: 3,
    state,
    unitId: 'R01051203',
    unitLabel: '阳光花园5栋1203室',
    ownerId: 'OW0001234',
    ownerName: '王秀英',
    communityId: '1',
    complainantName: '王秀英',
    complainantPhone: '13812345678',
    complainantRelation: 'owner',
    channel: 'phone',
    category,
    description: '电梯异响，乘坐时有明显晃动',
    expectation: null,
    threatenedWithholding: false,
    receivedAt,
    receivedBy: 'staff-01',
    receivedByName: '前台 周杰',
    disputeType: 'property',
    thirdParty: null,
    responsibilityExplained: null,
    nature: 'valid',
    severity: 'important',
    findings: null,
    department: 'engineering',
    assigneeId: 'eng-07',
    assigneeName: '工程 刘强',
    planMeasures: null,
    planDeadline: null,
    resolutionReply: null,
    resolutionBasis: null,
    resolvedAt: null,
    resolvedBy: null,
    followUpDueAt: null,
    closedAt: null,
    cancelKind: null,
    cancelReason: null,
    cancelledAt: null,
    parentId: null,
    repeatOfId: null,
    escalatedAt: null,
    escalationReason: null,
    originalReceivedAt: receivedAt,
    dueAt: state === 'closed' ? null : new Date(receivedAt.getTime() + 48 * 3_600_000),
    createdAt: receivedAt,
    createdBy: 'staff-01',
    updatedAt: receivedAt,
    updatedBy: 'staff-01',
    updatedByName: '前台 周杰',
  };
}

/** What the page reads for one unit: the unit, its owners, its open and recent complaints, its unpaid bills. */
export interface IntakeUnitData {
  unit: { id: string; label: string; communityName: string | null };
  owners: Array<{ id: string; name: string; phone: string | null }>;
  open: Complaint[];
  recent: Complaint[];
  bills: Array<{ id: string; period: string | null; amountFen: number; status: string | null }>;
  now: Date;
  /** The form's prefilled values (the first owner, the local time). */
  values: Record<string, string>;
}

export function fixedIntakeData(): Record<string, unknown> & { locale: Locale } {
  const open = [complaint(901, 'processing', 3, 'facilities'), complaint(902, 'investigating', 1, 'cleaning_greening')];
  const recent = [complaint(880, 'closed', 40, 'parking'), complaint(870, 'closed', 75, 'facilities'), complaint(860, 'closed', 120, 'fees')];
  const bills = ['2026-10', '2026-09', '2026-06', '2026-03'].map((period) => ({
    id: `B${period.replace('-', '')}R01051203`,
    period,
    amountFen: 32816,
    status: 'unpaid',
  }));
  const owners = [
    { id: 'OW0001234', name: '王秀英', phone: '13812345678' },
    { id: 'OW0001235', name: '李建华', phone: '13987654321' },
  ];
  const values: Record<string, string> = {
    unitId: 'R01051203',
    ownerId: 'OW0001234',
    complainantName: '王秀英',
    complainantPhone: '13812345678',
    complainantRelation: 'owner',
    channel: 'counter',
    category: '',
    description: '',
    expectation: '',
    severity: '',
    receivedAt: '2026-11-20T10:00',
    idempotencyKey: 'k3v9Qx2mB7tLwP4sZr8yNc',
  };
  return intakeViewData({ unit: { id: 'R01051203', label: '阳光花园5栋1203室', communityName: '阳光花园' }, owners, open, recent, bills, now: NOW, values });
}

/** The intake page's view model (renderIntake + PageKit's layout data) from what was read for a unit. */
export function intakeViewData(d: IntakeUnitData): Record<string, unknown> & { locale: Locale } {
  const settings = defaultSettings();
  const base = '/complaints';
  const { owners, open, recent, bills, values } = d;
  const nav: Array<[string, string, boolean]> = [
    ['/', 'nav.workbench', false],
    ['/new', 'nav.intake', true],
    ['/list', 'nav.list', false],
  ];
  const windowStart = d.now.getTime() - settings.repeatWindowDays * 86_400_000;
  return {
    // PageKit.common: the layout's data.
    locale: 'zh-CN',
    otherLocale: 'en',
    base,
    actor: { name: '前台 王芳', roles: '前台客服' },
    nav: nav.map(([path, label, current]) => ({ href: `${base}${path}`, label, current })),
    canSignOut: false,
    csrf: 'Zm9yLXRoZS1iZW5jaG1hcmstb25seS1maXhlZC10b2tlbg',
    langUrl: `${base}/new?unit=${encodeURIComponent(d.unit.id)}&lang=en`,
    flash: null,
    timezone: 'Asia/Shanghai',
    // renderIntake's data.
    title: '登记投诉',
    selfPath: `${base}/new?unit=${encodeURIComponent(d.unit.id)}`,
    section: 'intake',
    q: '',
    searched: false,
    results: [],
    unitMissing: false,
    panel: {
      unit: { ...d.unit, owners },
      open: open.map((c) => complaintRow(c, settings, d.now)),
      recent: recent.map((c) => complaintRow(c, settings, d.now)),
      repeatRisk: recent.some((c) => c.state !== 'cancelled' && c.receivedAt.getTime() >= windowStart),
      repeatDays: settings.repeatWindowDays,
      bills,
      billsTotalFen: bills.reduce((s, b) => s + b.amountFen, 0),
    },
    values,
    errors: {},
    formError: null,
    owners: owners.map((o) => ({ ...o, selected: o.id === values.ownerId })),
    channels: choices(VOCAB.channel, values.channel),
    relations: choices(VOCAB.relation, values.complainantRelation),
    categories: choices(categoryLabels(settings), values.category),
    severities: choices(VOCAB.severity, values.severity),
    threat: false,
  };
}
