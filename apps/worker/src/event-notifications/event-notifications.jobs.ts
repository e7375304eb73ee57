import { JobsOptions } from 'bullmq';

/** The queue of event production: one repeatable job that tails audit_log and drops old events. */
export const EVENT_PRODUCTION_QUEUE = 'event-production';
export const EVENT_PRODUCTION_SCHEDULER_ID = 'event-production-tail';
export const EVENT_PRODUCTION_JOB = 'produce-events';

/** Each run picks up where the cursor is: no retries, little history. */
export const EVENT_PRODUCTION_JOB_OPTIONS: JobsOptions = {
  attempts: 1,
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 1_000 },
};

/** The queue of deliveries to TPP callbacks: one job per event, its id the event's jti (added twice, it runs once). */
export const EVENT_DELIVERY_QUEUE = 'event-delivery';
export const EVENT_DELIVERY_JOB = 'deliver-event';

export interface EventDeliveryJob {
  jti: string;
}

// Far more attempts than 24 hours of doubling delays (capped at EVENT_DELIVERY_MAX_DELAY_MS) need: the
// delivery window, checked by the processor, is what ends the retries.
const DELIVERY_ATTEMPTS = 200;

export const EVENT_DELIVERY_JOB_OPTIONS: JobsOptions = {
  attempts: DELIVERY_ATTEMPTS,
  backoff: { type: 'event-delivery' },
  removeOnComplete: true,
  removeOnFail: { count: 10_000 },
};

/** The wait before retry `attemptsMade` (1 after the first failure): base, 2×base, 4×base... up to `maxMs`. */
export function deliveryBackoffMs(attemptsMade: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(30, attemptsMade - 1)));
}
