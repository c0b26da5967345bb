// The plugin's background work for one instance: the job scheduler and the outbox deliverer, started
// and stopped together (the plugin's start()/stop(), or the standalone service).
import { WebhookDeliverer, type DelivererOptions } from '../notifications/deliverer.js';
import { JobScheduler, type SchedulerOptions } from './scheduler.js';
import type { JobContext } from './types.js';

export interface BackgroundWork {
  scheduler: JobScheduler;
  deliverer: WebhookDeliverer;
  /** Stops scheduling and polling, then waits for running jobs and a delivery pass in progress. */
  stop(): Promise<void>;
}

export async function startBackgroundWork(
  ctx: JobContext,
  options: { scheduler?: SchedulerOptions; deliverer?: DelivererOptions; log?: (message: string, err?: unknown) => void } = {},
): Promise<BackgroundWork> {
  const scheduler = new JobScheduler(ctx, { log: options.log, ...options.scheduler });
  const deliverer = new WebhookDeliverer(ctx, { log: options.log, ...options.deliverer });
  await scheduler.start();
  deliverer.start();
  return {
    scheduler,
    deliverer,
    stop: async () => {
      await Promise.all([scheduler.stop(), deliverer.stop()]);
    },
  };
}
