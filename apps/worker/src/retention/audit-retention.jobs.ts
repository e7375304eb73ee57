import { JobsOptions } from 'bullmq';

/** The queue of the daily retention run (export, then remove the expired prefix of audit_log). */
export const AUDIT_RETENTION_QUEUE = 'audit-retention';
export const AUDIT_RETENTION_SCHEDULER_ID = 'audit-retention-daily';
export const AUDIT_RETENTION_JOB = 'export-and-prune';

/** Once a day is enough for a period counted in days; a failed run is retried by the next one. */
export const AUDIT_RETENTION_EVERY_MS = 24 * 3600_000;

export const AUDIT_RETENTION_JOB_OPTIONS: JobsOptions = {
  attempts: 1,
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 100 },
};

/**
 * Advisory lock key of a retention run: two runs at once would export the same entries twice (the
 * second prune then fails its anchor check, harmlessly but noisily).
 */
export const AUDIT_RETENTION_LOCK_KEY = '7346290148713310003';
