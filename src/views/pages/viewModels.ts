// Complaint and offset objects shaped for the templates: labels resolved, flags precomputed. Reads the
// domain's objects only; decides nothing.
import type { UnitSearchPage } from '../../units/search.js';
import type { ComplaintLink } from '../../complaints/types.js';
import type { ComplaintSummary } from '../../complaints/store/complaints.js';
import { OPEN_STATES } from '../../complaints/states.js';
import type { OffsetListItem } from '../../offsets/queries.js';
import type { Settings } from '../../settings/settings.js';
import { categoryLabels, departmentLabels, labelOf, VOCAB } from '../labels.js';
import { maskMobile } from '../../privacy/mask.js';

/**
 * Category and department labels per settings object: a list page shapes up to a hundred rows with the
 * same settings (one object while the settings cache holds it), and built both lists again for each.
 */
const rowLabels = new WeakMap<Settings, { categories: ReturnType<typeof categoryLabels>; departments: ReturnType<typeof departmentLabels> }>();

function labelsFor(settings: Settings) {
  let labels = rowLabels.get(settings);
  if (!labels) rowLabels.set(settings, (labels = { categories: categoryLabels(settings, true), departments: departmentLabels(settings) }));
  return labels;
}

export function complaintRow(c: ComplaintSummary, settings: Settings, now: Date) {
  const { categories, departments } = labelsFor(settings);
  return {
    id: c.id,
    code: c.code,
    state: c.state,
    stateLabel: labelOf(VOCAB.state, c.state),
    closed: !OPEN_STATES.includes(c.state),
    stateClass: c.state === 'closed' ? 'closed' : c.state === 'closed_unsatisfied' ? 'overdue' : '',
    unitLabel: c.unitLabel,
    ownerName: c.ownerName,
    complainantName: c.complainantName,
    // Lists and workbenches never show the full number (PIPL): the complaint's page reveals it, audited.
    complainantPhone: maskMobile(c.complainantPhone),
    categoryLabel: labelOf(categories, c.category),
    severity: c.severity,
    severityLabel: labelOf(VOCAB.severity, c.severity),
    receivedAt: c.receivedAt,
    dueAt: c.dueAt,
    overdue: !c.pausedAt && !!c.dueAt && c.dueAt.getTime() < now.getTime() && OPEN_STATES.includes(c.state),
    paused: !!c.pausedAt,
    repeat: c.repeatOfId !== null,
    continuation: c.parentId !== null,
    threat: c.threatenedWithholding,
    assigneeName: c.assigneeName,
    departmentLabel: labelOf(departments, c.department),
  };
}

export type ComplaintRow = ReturnType<typeof complaintRow>;

export function linkRow(link: ComplaintLink, currentId?: number) {
  return {
    id: link.id,
    code: link.code,
    stateLabel: labelOf(VOCAB.state, link.state),
    severityLabel: labelOf(VOCAB.severity, link.severity),
    receivedAt: link.receivedAt,
    current: link.id === currentId,
  };
}

export function offsetRow(o: OffsetListItem) {
  return {
    id: o.id,
    version: o.version,
    complaintId: o.complaintId,
    complaintCode: o.complaintCode,
    unitId: o.unitId,
    requestedFen: o.requestedFen,
    approvedFen: o.approvedFen,
    remainingFen: o.remainingFen,
    status: o.effectiveStatus,
    statusLabel: labelOf(VOCAB.offsetStatus, o.effectiveStatus),
    reason: o.reason,
    expiresOn: o.expiresOn,
    requestedBy: o.requestedBy,
    requestedByName: o.requestedByName,
    decidedByName: o.decidedByName,
    decidedAt: o.decidedAt,
    decisionNote: o.decisionNote,
    createdAt: o.createdAt,
    unused: o.approvedFen !== null && o.remainingFen === o.approvedFen,
  };
}

export type OffsetRow = ReturnType<typeof offsetRow>;

/**
 * A unit search's count and pager for the templates: "找到 128 套房屋（第 2/7 页）", links to the
 * pages around this one, and a hint to type more when a page is not all there is.
 */
export function unitPager(found: UnitSearchPage, href: (page: number) => string) {
  const pages = [];
  for (let p = Math.max(1, found.page - 3); p <= Math.min(found.pages, found.page + 3); p++) pages.push({ n: p, href: href(p), current: p === found.page });
  return {
    total: found.total,
    capped: found.capped,
    page: found.page,
    pages: found.pages,
    paged: found.pages > 1,
    narrow: found.capped || found.pages > 1,
    prev: found.page > 1 ? href(found.page - 1) : null,
    next: found.page < found.pages ? href(found.page + 1) : null,
    links: found.pages > 1 ? pages : [],
  };
}
