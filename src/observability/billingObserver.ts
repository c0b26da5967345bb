// Counts what the billing answers said, around the offsets service and the billing hooks (the domain
// modules stay unaware of metrics): each offset line of a check by its verdict code, each apply and
// reverse by its outcome or refusal code, and the fen applied and reversed. A replay (the same payment id
// again) returns the stored answer, made before this call started, and moves no fen.
import type { Clock } from '../clock.js';
import { DomainError } from '../common/errors.js';
import type { BillCheck } from '../offsets/billingCheck.js';
import type { BillingHooks } from '../offsets/hooks.js';
import type { OffsetService } from '../offsets/service.js';
import type { BillingOperation, PluginMetrics } from './metrics.js';

function refusalCode(err: unknown): string {
  if (err instanceof DomainError) return String((err.details as { refusal?: unknown }).refusal ?? err.code);
  return 'error';
}

class BillingCounter {
  constructor(
    private readonly metrics: PluginMetrics,
    private readonly clock: Clock,
  ) {}

  async checks<T extends BillCheck | BillCheck[]>(operation: BillingOperation, run: () => Promise<T>): Promise<T> {
    let answer: T;
    try {
      answer = await run();
    } catch (err) {
      this.metrics.billingAnswer(operation, refusalCode(err));
      throw err;
    }
    for (const check of Array.isArray(answer) ? answer : [answer]) {
      // A check asking about no offset (is this bill collectible?) still counts once.
      if (!check.offsets.length) this.metrics.billingAnswer(operation, check.found ? 'no_offsets' : 'bill_not_found');
      for (const verdict of check.offsets) this.metrics.billingAnswer(operation, verdict.code);
    }
    return answer;
  }

  async money<T extends { amountFen: number; appliedAt?: string; reversedAt?: string }>(operation: 'apply' | 'reverse', run: () => Promise<T>): Promise<T> {
    const started = this.clock.now().getTime();
    let answer: T;
    try {
      answer = await run();
    } catch (err) {
      this.metrics.billingAnswer(operation, refusalCode(err));
      throw err;
    }
    const at = Date.parse((operation === 'apply' ? answer.appliedAt : answer.reversedAt) ?? '');
    const fresh = Number.isFinite(at) && at >= started;
    this.metrics.billingAnswer(operation, fresh ? (operation === 'apply' ? 'applied' : 'reversed') : 'replayed');
    if (fresh) {
      if (operation === 'apply') this.metrics.offsetApplied(answer.amountFen);
      else this.metrics.offsetReversed(answer.amountFen);
    }
    return answer;
  }
}

/** The offsets service with its billing answers counted (HTTP routes, pages and the cashier use this one). */
export function observedOffsetService(service: OffsetService, metrics: PluginMetrics, clock: Clock): OffsetService {
  const count = new BillingCounter(metrics, clock);
  return {
    ...service,
    check: (input, actor) => count.checks('check', () => service.check(input, actor)),
    checkBills: (batch) => count.checks('check_batch', () => service.checkBills(batch)),
    apply: (input, actor, options) => count.money('apply', () => service.apply(input, actor, options)),
    reverse: (input, actor, options) => count.money('reverse', () => service.reverse(input, actor, options)),
  };
}

/** The in-process billing hooks with their answers counted the same way. */
export function observedBillingHooks(hooks: BillingHooks, metrics: PluginMetrics, clock: Clock): BillingHooks {
  const count = new BillingCounter(metrics, clock);
  return {
    checkOffsets: (input) => count.checks('check', () => hooks.checkOffsets(input)),
    checkBills: (batch) => count.checks('check_batch', () => hooks.checkBills(batch)),
    applyOffset: (input, actor, options) => count.money('apply', () => hooks.applyOffset(input, actor, options)),
    reverseOffset: (input, actor, options) => count.money('reverse', () => hooks.reverseOffset(input, actor, options)),
  };
}
