// Runs a job at most once per slot across every instance sharing the database: the run starts by
// inserting (job, slot) into job_claims, whose primary key lets exactly one instance succeed; the
// others get a duplicate key and skip. Every run is recorded with its start, end, outcome and counts.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { isDuplicateKeyError } from '../db/errors.js';
import { inTransaction } from '../db/transaction.js';
import { seeLatestWrites } from '../db/causalReads.js';
import { fromDbTime, requireDbTime, toDbTime } from '../db/time.js';
import { JOBS } from './registry.js';
import type { Job, JobContext, JobCounts } from './types.js';

/** Identifies this process in claims and runs (host:pid:random, as pids repeat across containers). */
export const INSTANCE_ID = `${hostname().slice(0, 60)}:${process.pid}:${randomUUID().slice(0, 8)}`;

export type RunResult =
  | { status: 'ok'; job: string; slot: string; runId: number; counts: JobCounts }
  | { status: 'failed'; job: string; slot: string; runId: number; error: string }
  | { status: 'skipped'; job: string; slot: string };

export interface RunOptions {
  /** Defaults to slotOf(now). */
  slot?: string;
  now: Date;
  instanceId?: string;
  /** The jobs to choose from (tests pass their own). */
  jobs?: readonly Job[];
}

export class UnknownJobError extends Error {
  constructor(
    readonly jobName: string,
    readonly known: string[],
  ) {
    super(`Unknown job "${jobName}"; known jobs: ${known.join(', ')}`);
  }
}

/** A scheduled slot: the time the cron expression matched, to the second, in UTC ('2026-10-01T00:05:00Z'). */
export function slotOf(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function findJob(name: string, jobs: readonly Job[] = JOBS): Job {
  const job = jobs.find((j) => j.name === name);
  if (!job)
    throw new UnknownJobError(
      name,
      jobs.map((j) => j.name),
    );
  return job;
}

export async function runJob(ctx: JobContext, name: string, options: RunOptions): Promise<RunResult> {
  const job = findJob(name, options.jobs);
  const slot = options.slot ?? slotOf(options.now);
  const instanceId = options.instanceId ?? INSTANCE_ID;
  const { db, tables } = ctx;
  let runId: number;
  try {
    // Claim and run record commit together, so a claim never exists without its run.
    runId = await inTransaction(db, async (trx) => {
      // On a cluster a claim another node just committed is seen here as a duplicate, not retried blind.
      await seeLatestWrites(trx);
      const startedAt = toDbTime(ctx.clock.now());
      await trx(tables.jobClaims).insert({ job: name, slot, instance_id: instanceId, claimed_at: startedAt });
      const [id] = await trx(tables.jobRuns).insert({ job: name, slot, instance_id: instanceId, started_at: startedAt, outcome: 'running' });
      return Number(id);
    });
  } catch (err) {
    if (isDuplicateKeyError(err)) return { status: 'skipped', job: name, slot };
    throw err;
  }
  try {
    const counts = await job.run(ctx, options.now);
    await db(tables.jobRuns)
      .where({ id: runId })
      .update({ outcome: 'ok', finished_at: toDbTime(ctx.clock.now()), counts: JSON.stringify(counts) });
    return { status: 'ok', job: name, slot, runId, counts };
  } catch (err) {
    const error = String((err as Error)?.stack ?? err).slice(0, 4000);
    await db(tables.jobRuns)
      .where({ id: runId })
      .update({ outcome: 'failed', finished_at: toDbTime(ctx.clock.now()), error });
    return { status: 'failed', job: name, slot, runId, error };
  }
}

/** A run by hand (CLI, admin page) gets a slot of its own, so it never collides with a scheduled one. */
export function runByHand(ctx: JobContext, name: string, options: Omit<RunOptions, 'slot'>): Promise<RunResult> {
  const slot = `manual:${options.now.toISOString()}:${randomUUID().slice(0, 8)}`;
  return runJob(ctx, name, { ...options, slot });
}

export interface JobRunRecord {
  id: number;
  job: string;
  slot: string;
  instanceId: string;
  startedAt: Date;
  finishedAt: Date | null;
  outcome: 'running' | 'ok' | 'failed';
  counts: JobCounts | null;
  error: string | null;
}

/** The latest runs, newest first (for the CLI, a status page and tests). */
export async function listRuns(ctx: Pick<JobContext, 'db' | 'tables'>, filter: { job?: string; limit?: number } = {}): Promise<JobRunRecord[]> {
  let q = ctx
    .db(ctx.tables.jobRuns)
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 50);
  if (filter.job) q = q.where({ job: filter.job });
  const rows = await q;
  return rows.map((r: Record<string, unknown>) => ({
    id: Number(r.id),
    job: String(r.job),
    slot: String(r.slot),
    instanceId: String(r.instance_id),
    startedAt: requireDbTime(r.started_at as string),
    finishedAt: fromDbTime(r.finished_at as string | null),
    outcome: r.outcome as JobRunRecord['outcome'],
    counts: r.counts ? (JSON.parse(String(r.counts)) as JobCounts) : null,
    error: (r.error as string | null) ?? null,
  }));
}
