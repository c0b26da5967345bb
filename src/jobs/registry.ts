// Every job the scheduler knows, one file each; the names match plugin.json's cron entries (a test
// checks both lists agree).
import { dailyDigestJob } from './dailyDigest.js';
import { deadlinesJob } from './deadlines.js';
import { escalateJob } from './escalate.js';
import { expireOffsetsJob } from './expireOffsets.js';
import { followUpsJob } from './followUps.js';
import { longPausesJob } from './longPauses.js';
import { purgeJob } from './purge.js';
import { privacyRetentionJob } from './privacyRetention.js';
import type { Job } from './types.js';

export const JOBS: readonly Job[] = [escalateJob, longPausesJob, deadlinesJob, followUpsJob, expireOffsetsJob, dailyDigestJob, privacyRetentionJob, purgeJob];
