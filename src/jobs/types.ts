// What a scheduled job is: a name from plugin.json's cron list and an idempotent run that reports counts.
import type { PluginContext } from '../common/context.js';

/** Jobs read and write our tables only; they never need the host or the HTTP layer. */
export type JobContext = Pick<PluginContext, 'db' | 'tables' | 'settings' | 'clock' | 'routesPrefix'>;

export type JobCounts = Record<string, number>;

export interface Job {
  name: string;
  /**
   * Does the work due at `now`. Must be idempotent: running it again at the same `now` changes nothing,
   * because a slot may be run by hand after a scheduled run, or retried after a failure.
   */
  run(ctx: JobContext, now: Date): Promise<JobCounts>;
}
