// Schedules every cron entry of plugin.json on node-cron, in the settings time zone. Each instance of
// the app schedules all of them; the claim in runJob makes each slot run on one instance only.
import { createTask, validate, type ScheduledTask } from 'node-cron';
import { loadManifest, type Manifest } from '../manifest/manifest.js';
import { findJob, runJob, slotOf, type RunResult } from './runner.js';
import { JOBS } from './registry.js';
import type { Job, JobContext } from './types.js';

export interface SchedulerOptions {
  /** Defaults to plugin.json's cron list. */
  cron?: Manifest['cron'];
  jobs?: readonly Job[];
  /** Defaults to settings.timezone. */
  timezone?: string;
  onResult?: (result: RunResult) => void;
  log?: (message: string, err?: unknown) => void;
}

export class JobScheduler {
  private tasks: ScheduledTask[] = [];
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly ctx: JobContext,
    private readonly options: SchedulerOptions = {},
  ) {}

  /** Starts one task per cron entry; the time zone is read once, so a change applies at the next start. */
  async start(): Promise<void> {
    if (this.tasks.length) return;
    const timezone = this.options.timezone ?? (await this.ctx.settings.get()).timezone;
    const jobs = this.options.jobs ?? JOBS;
    for (const entry of this.options.cron ?? loadManifest().cron) {
      findJob(entry.name, jobs); // a cron entry without a job is a packaging error: fail at start, not at 3 a.m.
      if (!validate(entry.schedule)) throw new Error(`Invalid cron expression for job ${entry.name}: ${entry.schedule}`);
      const task = createTask(entry.schedule, (context) => this.fire(entry.name, context.date), {
        timezone,
        name: `complaints:${entry.name}`,
        // A run that outlasts its interval makes the next slot skip here; other instances may still take it.
        noOverlap: true,
      });
      this.tasks.push(task);
    }
    for (const task of this.tasks) await task.start();
  }

  /** Runs the job for the slot node-cron matched; the promise is tracked so stop() can wait for it. */
  private fire(name: string, scheduledAt: Date): Promise<unknown> {
    // The slot is the scheduled time, the same on every instance even if their timers fire apart.
    const run = runJob(this.ctx, name, { now: this.ctx.clock.now(), slot: slotOf(scheduledAt), jobs: this.options.jobs })
      .then((result) => {
        if (result.status === 'failed') this.options.log?.(`job ${name} failed for slot ${result.slot}: ${result.error}`);
        this.options.onResult?.(result);
      })
      .catch((err) => this.options.log?.(`job ${name} could not run`, err));
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return run;
  }

  /** Ends every task, then waits for the runs already started so the pool can be closed after. */
  async stop(): Promise<void> {
    const tasks = this.tasks;
    this.tasks = [];
    for (const task of tasks) await task.destroy();
    await Promise.allSettled([...this.running]);
  }

  get started(): boolean {
    return this.tasks.length > 0;
  }
}
