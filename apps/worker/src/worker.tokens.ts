/** The WorkerConfig the worker was started with. */
export const WORKER_CONFIG = Symbol('WORKER_CONFIG');

/**
 * Redis for BullMQ's Worker: waits through Redis outages (offline queue, unlimited retries), as a
 * consumer that blocks on the queue must.
 */
export const CONSUMER_REDIS = Symbol('CONSUMER_REDIS');

/**
 * Redis for the relay's producer and health checks: fails fast (no offline queue, command timeout), so
 * an outage leaves outbox rows pending instead of holding their row locks while commands pile up.
 */
export const PRODUCER_REDIS = Symbol('PRODUCER_REDIS');

/** "Now", for the jobs that run things on their date (scheduled payments): a test passes its own. */
export type WorkerClock = () => Date;
export const WORKER_CLOCK = Symbol('WORKER_CLOCK');
