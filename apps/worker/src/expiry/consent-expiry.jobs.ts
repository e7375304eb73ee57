import { JobsOptions } from 'bullmq';

/** The queue the expiry sweep runs on; one repeatable job, never one job per consent. */
export const CONSENT_EXPIRY_QUEUE = 'consent-expiry';

/**
 * The job scheduler's id: BullMQ keeps one scheduler per id, so every worker process upserting it at
 * start leaves one schedule, not one per process.
 */
export const CONSENT_EXPIRY_SCHEDULER_ID = 'consent-expiry-sweep';

export const CONSENT_EXPIRY_JOB = 'expire-consents';

/** Each run is complete in itself (the next one picks up what this one missed): no retries, little history. */
export const CONSENT_EXPIRY_JOB_OPTIONS: JobsOptions = {
  attempts: 1,
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 1_000 },
};

/** The second job of this queue: expired oidc-provider rows deleted in batches (the provider never deletes them). */
export const OIDC_PURGE_SCHEDULER_ID = 'oidc-model-purge';
export const OIDC_PURGE_JOB = 'purge-expired-oidc-rows';
