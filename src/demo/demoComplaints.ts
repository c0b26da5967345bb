// The worked cases of the domain brief (seed 001) as demo complaints at different stages, registered
// through the same services the pages use, so the workbench, list, approvals queue and cashier page
// have something to show on first start.
import type { ComplaintsPlugin } from '../plugin/createPlugin.js';
import type { Actor } from '../auth/actor.js';
import type { Complaint } from '../complaints/types.js';
import { DEMO_USERS } from './demoUsers.js';
import { localDate } from '../calendar/zoned.js';

function user(id: string): Actor {
  const found = DEMO_USERS.find((u) => u.id === id);
  if (!found) throw new Error(`demo user ${id} missing`);
  return found;
}

function inDays(now: Date, days: number): string {
  return new Date(now.getTime() + days * 86400000).toISOString();
}

/** Seeds the cases once: does nothing when any complaint exists. Returns how many it registered. */
export async function seedDemoComplaints(plugin: ComplaintsPlugin): Promise<number> {
  const { db, tables, host, clock } = plugin.context;
  const existing = (await db(tables.complaints).count({ n: '*' }).first()) as { n: number | string } | undefined;
  if (Number(existing?.n ?? 0) > 0) return 0;
  const counter = user('demo-counter');
  const supervisor = user('demo-supervisor');
  const now = clock.now();
  const units = await host.searchUnits('阳光花园', { limit: 8 });
  if (units.length < 6) return 0;
  const owner = (i: number) => units[i]!.owners[0];
  const svc = plugin.complaints;
  const register = async (i: number, body: Record<string, unknown>): Promise<Complaint> => {
    const o = owner(i);
    const { complaint } = await svc.create(
      {
        unitId: units[i]!.id,
        complainantName: o?.name ?? '业主',
        complainantPhone: o?.phone && /^1[3-9]\d{9}$/.test(o.phone) ? o.phone : '13800138000',
        channel: 'counter',
        ...body,
      },
      counter,
    );
    return complaint;
  };
  const act = (c: Complaint, action: string, as: Actor, body: Record<string, unknown>) => svc.transition(c.id, action, { version: c.version, ...body }, as);
  const assessValid = { disputeType: 'property', nature: 'valid', severity: 'important', findings: '现场核实属实' };

  // Lift out of service repeatedly: property dispute, important, being handled.
  let lift = await register(0, { category: 'facilities', description: '电梯本月第三次停运，老人被困二十分钟', expectation: '尽快修好，并对精神损失给个说法' });
  lift = await act(lift, 'assess', supervisor, assessValid);
  await act(lift, 'plan', supervisor, {
    department: 'engineering',
    assigneeId: 'eng-01',
    assigneeName: '工程部 刘师傅',
    measures: '更换制动器并全面检修，每日通报进度',
    deadline: inDays(now, 5),
  });

  // Balcony leak for a month, fee-withholding threat: resolved, an offset awaiting approval.
  let leak = await register(1, {
    category: 'timeliness',
    description: '阳台漏水一个月，来看过两次后就没人管了，从这个月起不交物业费',
    expectation: '修好漏水，赔偿泡坏的地板',
    threatenedWithholding: true,
  });
  leak = await act(leak, 'assess', supervisor, assessValid);
  leak = await act(leak, 'plan', supervisor, {
    department: 'engineering',
    assigneeId: 'eng-02',
    assigneeName: '工程部 王师傅',
    measures: '重做阳台防水',
    deadline: inDays(now, 3),
  });
  leak = await act(leak, 'resolve', counter, { reply: '已重做阳台防水并闭水试验合格', basis: '维修单 WX-DEMO-0001' });
  await plugin.offsets.raise(
    { complaintId: leak.id, amount: '120.50', reason: '地板泡坏，经主管核实同意以物业费抵扣', expiresOn: inDays(now, 60).slice(0, 10) },
    counter,
  );

  // Upstairs neighbour's water soaked the quilt: non-property, the company mediates.
  const quilt = await register(2, { category: 'neighbour', description: '楼上邻居家水管爆裂，把我家被子泡湿了', expectation: '物业出面协调赔偿' });
  await act(quilt, 'assess', supervisor, {
    disputeType: 'non_property',
    thirdParty: 'neighbour',
    responsibilityExplained: true,
    nature: 'help',
    severity: 'minor',
    findings: '楼上住户自用水管破裂',
  });

  // Car scratched in the rented garage space: security; compensation via insurance; closed satisfied.
  let car = await register(3, { category: 'security', description: '租用的车位上车被划了一道', expectation: '查监控并赔偿' });
  car = await act(car, 'assess', supervisor, assessValid);
  car = await act(car, 'plan', supervisor, {
    department: 'security',
    assigneeId: 'sec-01',
    assigneeName: '秩序部 陈队长',
    measures: '调取监控，报公众责任险',
    deadline: inDays(now, 2),
  });
  car = await act(car, 'resolve', counter, { reply: '已由公众责任险赔付修车费用', basis: '保险理赔单 BX-DEMO-0001' });
  await svc.followUp(car.id, { version: car.version, method: 'phone', satisfied: true, complainantWords: '处理得挺快，满意' }, counter);
  // The insurer's payment, recorded as compensation (赔付): paid to the owner apart from the parking fee.
  const today = localDate(now, (await plugin.context.settings.get()).timezone);
  await plugin.compensations.record(
    car.id,
    { payer: 'insurer', amount: '850.00', paidOn: today, method: 'transfer', reference: 'BX-DEMO-0001', note: '公众责任险赔付修车费用' },
    supervisor,
  );

  // "Why pay shared utility charges on top of the management fee?": inquiry, answered at the counter.
  const utility = await register(4, { category: 'fees', description: '为什么交了物业费还要交公摊水电费？' });
  await act(utility, 'resolve', counter, {
    nature: 'inquiry',
    disputeType: 'property',
    reply: '公摊水电是公共区域用电用水，按合同另行分摊',
    basis: '物业服务合同第十二条',
  });

  // Door-to-door salesmen let in: just registered.
  await register(5, { category: 'security', description: '门岗把推销员放进来挨家敲门', expectation: '加强门岗管理' });
  return 6;
}
