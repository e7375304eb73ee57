import { JobsOptions } from 'bullmq';

/** The queue settlement runs on: one repeatable job that settles every due payment, never one job per payment. */
export const PAYMENT_SETTLEMENT_QUEUE = 'payment-settlement';

/** One scheduler per id, whatever the number of worker processes upserting it. */
export const PAYMENT_SETTLEMENT_SCHEDULER_ID = 'payment-settlement-sweep';

export const PAYMENT_SETTLEMENT_JOB = 'settle-payments';

/** How often executed payments are settled (the sandbox's stand-in for the scheme's settlement cycle). */
export const PAYMENT_SETTLEMENT_INTERVAL_MS = 5_000;

/** Each run settles whatever is due, the next picks up what it missed: no retries, little history. */
export const PAYMENT_SETTLEMENT_JOB_OPTIONS: JobsOptions = {
  attempts: 1,
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 1_000 },
};
