// escalate: valid complaints unresolved escalationDays after first receipt become major, by the
// complaint domain's own rule (src/complaints/escalation.ts), which writes each escalated notice in the
// transaction of the escalation (keyed by complaint and escalation time, so it goes out once).
import { escalateOverdue } from '../complaints/escalation.js';
import type { Job } from './types.js';

export const escalateJob: Job = {
  name: 'escalate',
  async run(ctx, now) {
    const { escalated, notified } = await escalateOverdue(ctx, now);
    return { escalated: escalated.length, notified };
  },
};
