import type { WorkerConfig } from '@consentry/config';
import { DataSource } from '@consentry/database';
import { BankSigningKeys } from '@consentry/message-signing';
import { dropExpiredEvents, eventAnnouncementChannel, produceEvents, ProducedEvent } from '@consentry/tpps';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

import { CONSUMER_REDIS, PRODUCER_REDIS, WORKER_CONFIG } from '../worker.tokens.js';
import { EventNotificationMetrics } from './event-notification.metrics.js';
import {
  EVENT_DELIVERY_JOB,
  EVENT_DELIVERY_JOB_OPTIONS,
  EVENT_DELIVERY_QUEUE,
  EVENT_PRODUCTION_QUEUE,
  EventDeliveryJob,
} from './event-notifications.jobs.js';

// Batches one run may chain before it lets the next scheduled run take over (a backlog drains over runs).
const MAX_BATCHES_PER_RUN = 20;
const DROP_BATCH = 10_000;
// The redelivery sweep: how often, how many at a time, and how old an event must be (older than any
// commit-to-enqueue gap of a live worker) before its delivery is queued again.
const REQUEUE_EVERY_MS = 60_000;
const REQUEUE_BATCH = 1_000;
const REQUEUE_AFTER_SECONDS = 60;

export interface EventProductionResult {
  read: number;
  produced: number;
  dropped: number;
}

/**
 * Turns new audit entries into UK OB event notifications (libs/tpps produceEvents: set-based, one
 * transaction per batch with its cursor), queues a delivery for each event whose TPP has a callback,
 * announces new events to waiting polls, and drops events past their retention.
 */
@Injectable()
export class EventProductionProcessor implements OnModuleDestroy {
  private readonly logger = new Logger(EventProductionProcessor.name);
  private readonly deliveries: Queue<EventDeliveryJob>;
  private worker?: Worker<unknown, EventProductionResult>;
  private connection?: Redis;
  private lastRequeue = 0;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(CONSUMER_REDIS) private readonly redis: Redis,
    @Inject(PRODUCER_REDIS) private readonly producerRedis: Redis,
    private readonly dataSource: DataSource,
    private readonly signingKeys: BankSigningKeys,
    private readonly metrics: EventNotificationMetrics,
  ) {
    this.deliveries = new Queue<EventDeliveryJob>(EVENT_DELIVERY_QUEUE, { connection: producerRedis, prefix: config.redisPrefix });
    this.deliveries.on('error', () => undefined);
  }

  async start(): Promise<void> {
    this.connection = this.redis.duplicate();
    this.connection.on('error', () => undefined);
    const worker = new Worker<unknown, EventProductionResult>(EVENT_PRODUCTION_QUEUE, (job) => this.process(job), {
      connection: this.connection,
      prefix: this.config.redisPrefix,
      concurrency: 1,
    });
    worker.on('error', () => undefined); // the audit processor already reports Redis outages
    this.worker = worker;
    await worker.waitUntilReady();
  }

  async process(job: Job<unknown, EventProductionResult>): Promise<EventProductionResult> {
    const context = { jobId: job.id };
    try {
      const result = await this.runOnce();
      if (result.produced > 0 || result.dropped > 0) this.logger.log('events produced', { ...context, ...result });
      return result;
    } catch (error) {
      this.logger.error('event production failed', { ...context, error: (error as Error).message });
      throw error;
    }
  }

  /** Every batch pending now (up to a bound), then the retention sweep. A test may call it directly. */
  async runOnce(): Promise<EventProductionResult> {
    const options = this.config.eventNotifications;
    let read = 0;
    let produced = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch += 1) {
      const result = await produceEvents(this.dataSource, { signer: this.signingKeys.signer, apiUrl: this.config.apiUrl, batchSize: options.productionBatchSize });
      read += result.read;
      produced += result.produced.length;
      await this.dispatch(result.produced);
      if (result.read < options.productionBatchSize) break;
    }
    if (Date.now() - this.lastRequeue >= REQUEUE_EVERY_MS) {
      this.lastRequeue = Date.now();
      await this.requeueUndelivered();
    }
    const dropped = await dropExpiredEvents(this.dataSource, { retentionDays: options.retentionDays, batchSize: DROP_BATCH });
    this.metrics.recordProduced(produced);
    this.metrics.recordDropped(dropped);
    return { read, produced, dropped };
  }

  /** After the events committed: a delivery job per event with a callback, and one announcement per TPP. */
  private async dispatch(events: ProducedEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.queueDeliveries(events.filter((event) => event.callbackUrl !== null).map((event) => event.jti));
    const channel = eventAnnouncementChannel(this.config.redisPrefix);
    for (const clientId of new Set(events.map((event) => event.clientId))) {
      await this.producerRedis.publish(channel, clientId).catch(() => undefined); // a poll also finds them on its next call
    }
  }

  /** One delivery job per event, its id the jti: an event already queued is not queued twice. */
  private async queueDeliveries(jtis: string[]): Promise<void> {
    if (jtis.length === 0) return;
    await this.deliveries.addBulk(jtis.map((jti) => ({ name: EVENT_DELIVERY_JOB, data: { jti }, opts: { ...EVENT_DELIVERY_JOB_OPTIONS, jobId: jti } })));
  }

  /**
   * A worker that died between an event's commit and its delivery job's enqueue left the event without a
   * job. Pending events of TPPs with a callback, within the delivery window, are queued again: a job still
   * there under the same id (waiting, delayed, active or failed) makes this a no-op, and a delivered or
   * acknowledged event is skipped by the processor.
   */
  private async requeueUndelivered(): Promise<void> {
    const rows: Array<{ jti: string }> = await this.dataSource.query(
      `SELECT e.jti FROM event_notification e JOIN event_subscription s ON s.client_id = e.client_id AND s.callback_url IS NOT NULL
        WHERE e.delivered_at IS NULL AND e.acknowledged_at IS NULL
          AND e.created_at > now() - make_interval(secs => $1::double precision / 1000) AND e.created_at < now() - make_interval(secs => $2)
        ORDER BY e.created_at LIMIT $3`,
      [this.config.eventNotifications.deliveryWindowMs, REQUEUE_AFTER_SECONDS, REQUEUE_BATCH],
    );
    await this.queueDeliveries(rows.map((row) => row.jti));
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close(this.redis.status !== 'ready');
    this.connection?.disconnect();
    await this.deliveries.close();
  }
}
