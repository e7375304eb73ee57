import { EnvReader } from './env-reader.js';

/** UK OB event notifications: how events are produced from the audit log, delivered and polled. */
export interface EventNotificationsConfig {
  /** Milliseconds between runs of the job that turns new audit entries into events (a BullMQ job scheduler). */
  productionIntervalMs: number;
  /** Audit entries read per production batch (one transaction). */
  productionBatchSize: number;
  /** First retry delay of a failed callback delivery; each next one doubles, up to deliveryMaxDelayMs. */
  deliveryBackoffMs: number;
  deliveryMaxDelayMs: number;
  /** How long a failed delivery keeps being retried (24 hours by default). */
  deliveryWindowMs: number;
  /** Days an event neither delivered nor acknowledged is kept before it is dropped (and audited). */
  retentionDays: number;
  /** Callback deliveries running at once in one worker. */
  deliveryConcurrency: number;
  /** TCP (and TLS) connection limit of a callback delivery. */
  callbackConnectTimeoutMs: number;
  /** Limit for the callback's whole answer once connected. */
  callbackResponseTimeoutMs: number;
  /** Bytes of a callback's answer read at most; a larger answer is a failed delivery. */
  callbackMaxResponseBytes: number;
  /** The largest `maxEvents` a polling call is answered with (a larger one is capped to it). */
  pollMaxEvents: number;
  /** How long a polling call with `returnImmediately: false` waits for an event (at most 30 s). */
  pollWaitMs: number;
}

export function loadEventNotificationsConfig(read: EnvReader): EventNotificationsConfig {
  return {
    productionIntervalMs: read.integer('EVENT_PRODUCTION_INTERVAL_MS', 500, { min: 50, max: 60_000 }),
    productionBatchSize: read.integer('EVENT_PRODUCTION_BATCH_SIZE', 1_000, { min: 1, max: 10_000 }),
    // The first retry comes within 10 s (the rule); tests shorten it to drive retries.
    deliveryBackoffMs: read.integer('EVENT_DELIVERY_BACKOFF_MS', 5_000, { min: 10, max: 10_000 }),
    deliveryMaxDelayMs: read.integer('EVENT_DELIVERY_MAX_DELAY_MS', 3_600_000, { min: 10, max: 6 * 3_600_000 }),
    deliveryWindowMs: read.integer('EVENT_DELIVERY_WINDOW_MS', 24 * 3_600_000, { min: 1_000, max: 7 * 24 * 3_600_000 }),
    retentionDays: read.integer('EVENT_RETENTION_DAYS', 7, { min: 1, max: 366 }),
    deliveryConcurrency: read.integer('EVENT_DELIVERY_CONCURRENCY', 20, { min: 1, max: 500 }),
    callbackConnectTimeoutMs: read.integer('EVENT_CALLBACK_CONNECT_TIMEOUT_MS', 5_000, { min: 100, max: 60_000 }),
    callbackResponseTimeoutMs: read.integer('EVENT_CALLBACK_RESPONSE_TIMEOUT_MS', 10_000, { min: 100, max: 120_000 }),
    callbackMaxResponseBytes: read.integer('EVENT_CALLBACK_MAX_RESPONSE_BYTES', 16_384, { min: 0, max: 1_048_576 }),
    pollMaxEvents: read.integer('EVENT_POLL_MAX_EVENTS', 100, { min: 1, max: 1_000 }),
    pollWaitMs: read.integer('EVENT_POLL_WAIT_MS', 30_000, { min: 100, max: 30_000 }),
  };
}
