// 投诉处理单: the printable record of one complaint's handling on one A4 sheet (two for a long story),
// signed on paper in many companies: receipt, investigation and classification, plan, reply and its
// basis, follow-up visits, offsets and compensation, the handling steps from the audit trail, and the
// signature lines. The complainant's mobile is masked (138****8000): the paper travels.
import type Router from '@koa/router';
import { formatYuan } from '../../common/money.js';
import { maskMobile } from '../../privacy/mask.js';
import type { PageKit } from '../kit.js';
import { categoryLabels, departmentLabels, labelOf, VOCAB } from '../labels.js';
import type { PageServices } from '../services.js';
import { eventView, idParam } from './detail.js';
import { offsetRow } from './viewModels.js';

export function registerHandlingForm(router: Router, kit: PageKit, services: PageServices): void {
  router.get('/c/:id/form', ...kit.stack, async (ctx) => {
    const actor = kit.require(ctx, 'complaint.view');
    const id = idParam(ctx);
    const detail = await services.complaints.get(id, actor);
    const [events, offsets, compensations, settings] = await Promise.all([
      services.complaints.events(id, actor),
      services.offsets.list({ complaintId: id, perPage: 50 }, actor),
      services.compensations.list(id, actor),
      kit.context.settings.get(),
    ]);
    const locale = kit.locale(ctx);
    const c = detail.complaint;
    const community = c.communityId ? (await kit.context.host.listCommunities()).find((x) => x.id === c.communityId) : undefined;
    await kit.render(ctx, 'handlingForm', {
      title: `${kit.t(ctx, 'form.heading')} ${c.code}`,
      section: 'list',
      c: {
        ...c,
        complainantPhone: maskMobile(c.complainantPhone),
        communityName: community?.name ?? c.communityId,
        stateLabel: labelOf(VOCAB.state, c.state),
        relationLabel: labelOf(VOCAB.relation, c.complainantRelation),
        channelLabel: labelOf(VOCAB.channel, c.channel),
        categoryLabel: labelOf(categoryLabels(settings, true), c.category),
        disputeTypeLabel: labelOf(VOCAB.disputeType, c.disputeType),
        thirdPartyLabel: labelOf(VOCAB.thirdParty, c.thirdParty),
        natureLabel: labelOf(VOCAB.nature, c.nature),
        severityLabel: labelOf(VOCAB.severity, c.severity),
        departmentLabel: labelOf(departmentLabels(settings), c.department),
        cancelKindLabel: labelOf(VOCAB.cancelKind, c.cancelKind),
      },
      repeatOf: detail.repeatOf,
      followUps: detail.followUps.map((f) => ({ ...f, methodLabel: labelOf(VOCAB.method, f.method) })),
      offsets: offsets.items.map(offsetRow),
      compensations: compensations.items.map((p) => ({ ...p, amount: formatYuan(p.amountFen) })),
      compensationTotal: formatYuan(compensations.totalFen),
      steps: events
        .filter((e) => e.entityType === 'complaint')
        .map((e) => eventView(e, locale, { categories: categoryLabels(settings, true), departments: departmentLabels(settings), tz: settings.timezone })),
      printedAt: kit.context.clock.now(),
    });
  });
}
