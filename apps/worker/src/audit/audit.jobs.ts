import { createHash } from 'node:crypto';

import { JobsOptions } from 'bullmq';

/** The custom backoff type of chain-batch jobs, computed by `auditBackoffDelay`. */
export const AUDIT_BACKOFF_TYPE = 'audit-capped-exponential';

const FIRST_RETRY_DELAY_MS = 1_000;
/** The default cap of a chain batch's retry delay (AUDIT_RETRY_MAX_DELAY_MS). */
export const DEFAULT_AUDIT_RETRY_MAX_DELAY_MS = 60_000;

/**
 * Options of every chain-batch job. Once the relay marked its rows relayed, a batch is what gets them
 * chained (short of the sweep's re-relay after its grace period), so it is retried for about 16 hours
 * (a long database outage) before it fails. Finished jobs are kept only as long as de-duplication (a
 * relay commit that failed after the add, seconds later) and diagnosis need them: the last thousand,
 * for at most a day.
 */
export const AUDIT_BATCH_JOB_OPTIONS: JobsOptions = {
  attempts: 1_000,
  backoff: { type: AUDIT_BACKOFF_TYPE },
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 10_000 },
};

/**
 * 1 s, 2 s, 4 s ... capped at `maxDelayMs` (60 s by default), so chaining resumes within that long of the
 * database coming back: the cap is how long the log may lag behind a recovered database.
 */
export function auditBackoffDelay(attemptsMade: number, maxDelayMs = DEFAULT_AUDIT_RETRY_MAX_DELAY_MS): number {
  return Math.min(FIRST_RETRY_DELAY_MS * 2 ** Math.max(0, attemptsMade - 1), maxDelayMs);
}

/**
 * The job id of a batch: its first and last event ids, so re-adding the same batch (the relay's commit
 * failed after the add) is dropped by BullMQ, plus a digest of every id in between, so a batch with the
 * same ends but other members (a row that committed late) is never mistaken for it. BullMQ forbids ':'.
 */
export function auditBatchJobId(eventIds: readonly string[]): string {
  if (eventIds.length === 0) throw new RangeError('a batch has at least one event');
  const digest = createHash('sha256').update(eventIds.join(',')).digest('hex').slice(0, 16);
  return `batch-${eventIds[0]}-${eventIds[eventIds.length - 1]}-${digest}`;
}
