// One "instance" for the race test: opens the database, says ready, waits for "go" on stdin, then
// runs the job for the given slot and prints the result as one JSON line.
// Usage: node --import tsx test/support/raceJob.ts DB_URL JOB SLOT NOW_ISO
import { createInterface } from 'node:readline';
import { ManualClock } from '../../src/clock.js';
import { createDb } from '../../src/db/connection.js';
import { runJob } from '../../src/jobs/runner.js';
import { jobContext } from './jobsHarness.js';

const [url, job, slot, nowIso] = process.argv.slice(2) as [string, string, string, string];
const db = createDb(url, { poolMax: 2 });
const clock = new ManualClock(nowIso);
const ctx = jobContext(db, clock);
await db.raw('SELECT 1'); // connect before the start line, so the race is between the claims
const lines = createInterface({ input: process.stdin });
console.log('ready');
for await (const line of lines) {
  if (line.trim() !== 'go') continue;
  const result = await runJob(ctx, job, { slot, now: clock.now() });
  console.log(JSON.stringify(result));
  break;
}
lines.close();
await db.destroy();
