import { auditOutboxInsertSql, prepareAuditEvents } from '@consentry/audit';
import type { WorkerConfig } from '@consentry/config';
import { DataSource, queryPrepared } from '@consentry/database';
import { isFinalTppStatus } from '@consentry/tpps';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';

import { CONSUMER_REDIS, WORKER_CONFIG } from '../worker.tokens.js';
import { CallbackConnections, postEventNotification } from './callback-delivery.js';
import { EventNotificationMetrics } from './event-notification.metrics.js';
import { deliveryBackoffMs, EVENT_DELIVERY_QUEUE, EventDeliveryJob } from './event-notifications.jobs.js';

interface PendingEventRow {
  client_id: string;
  event_type: string;
  set_jwt: string;
  occurred_at: Date;
  created_at: Date;
  settled: boolean;
  callback_url: string | null;
  /** The TPP's lifecycle status (libs/tpps), null when its row is gone. */
  tpp_status: string | null;
}

export type EventDeliveryOutcome = 'delivered' | 'settled' | 'no-callback';

// The delivered mark and its `event.delivered` audit entry in one statement (atomic on its own: no BEGIN
// and COMMIT round trips); the entry is written only if this delivery is the one that marked the event.
const MARK_DELIVERED = `WITH marked AS (
  UPDATE event_notification SET delivered_at = now(), delivery_attempts = $2, last_delivery_error = NULL
   WHERE jti = $1 AND delivered_at IS NULL AND acknowledged_at IS NULL RETURNING jti
), audited AS (${auditOutboxInsertSql('$3', '$4', 'EXISTS (SELECT 1 FROM marked)')})
SELECT count(*)::int AS marked FROM marked`;

/**
 * Delivers one event to its TPP's callback (the subscription's URL now, which the TPP may have changed).
 * 202 marks it delivered and audits `event.delivered` in one statement; any other answer, or none, is
 * thrown so BullMQ retries it with doubling delays. Past the delivery window it stops (the event stays
 * for polling until its retention ends).
 */
@Injectable()
export class EventDeliveryProcessor implements OnModuleDestroy {
  private readonly logger = new Logger(EventDeliveryProcessor.name);
  private worker?: Worker<EventDeliveryJob, EventDeliveryOutcome>;
  private connection?: Redis;
  private readonly callbacks: CallbackConnections;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(CONSUMER_REDIS) private readonly redis: Redis,
    private readonly dataSource: DataSource,
    private readonly metrics: EventNotificationMetrics,
  ) {
    const options = config.eventNotifications;
    this.callbacks = new CallbackConnections({ maxSocketsPerCallback: options.deliveryConcurrency });
  }

  async start(): Promise<void> {
    const options = this.config.eventNotifications;
    this.connection = this.redis.duplicate();
    this.connection.on('error', () => undefined);
    const worker = new Worker<EventDeliveryJob, EventDeliveryOutcome>(EVENT_DELIVERY_QUEUE, (job) => this.process(job), {
      connection: this.connection,
      prefix: this.config.redisPrefix,
      concurrency: options.deliveryConcurrency,
      settings: { backoffStrategy: (attemptsMade: number) => deliveryBackoffMs(attemptsMade, options.deliveryBackoffMs, options.deliveryMaxDelayMs) },
    });
    worker.on('error', () => undefined);
    this.worker = worker;
    await worker.waitUntilReady();
  }

  async process(job: Job<EventDeliveryJob, EventDeliveryOutcome>): Promise<EventDeliveryOutcome> {
    const { jti } = job.data;
    const [event]: PendingEventRow[] = await this.dataSource.query(
      `SELECT e.client_id, e.event_type, e.set_jwt, e.occurred_at, e.created_at,
              (e.delivered_at IS NOT NULL OR e.acknowledged_at IS NOT NULL) AS settled, s.callback_url, t.status AS tpp_status
         FROM event_notification e LEFT JOIN event_subscription s ON s.client_id = e.client_id LEFT JOIN tpp t ON t.client_id = e.client_id
        WHERE e.jti = $1`,
      [jti],
    );
    // Gone (dropped), delivered, or acknowledged through polling meanwhile: nothing left to do.
    if (!event || event.settled) return 'settled';
    if (event.callback_url === null) return 'no-callback';
    const options = this.config.eventNotifications;
    // A TPP that is not Active gets nothing (docs/auth-server.md), its events included: a suspended one's
    // wait, retried as a failed delivery, for its reinstatement; a deregistered one's are never sent (they
    // stay until dropped). Until 7 December 2026 both kept receiving them at their callback.
    if (event.tpp_status !== 'Active') {
      if (event.tpp_status === null || isFinalTppStatus(event.tpp_status)) throw new UnrecoverableError(`event ${jti} not delivered: its TPP is ${event.tpp_status ?? 'gone'}`);
      await this.recordFailure(jti, `the TPP is ${event.tpp_status}`);
      throw new Error(`event ${jti} not delivered: its TPP is ${event.tpp_status}`);
    }
    if (Date.now() - event.created_at.getTime() > options.deliveryWindowMs) {
      this.metrics.recordAbandoned();
      throw new UnrecoverableError(`event ${jti} not delivered within the delivery window; it stays for polling`);
    }
    const outcome = await postEventNotification({
      callbackUrl: event.callback_url,
      setJwt: event.set_jwt,
      financialId: this.config.messageSigningIssuer,
      sandbox: this.config.mode === 'sandbox',
      connections: { pools: this.callbacks, clientId: event.client_id },
      limits: { connectTimeoutMs: options.callbackConnectTimeoutMs, responseTimeoutMs: options.callbackResponseTimeoutMs, maxResponseBytes: options.callbackMaxResponseBytes },
    });
    if ('status' in outcome && outcome.status === 202) {
      await this.markDelivered(jti, event, job.attemptsMade + 1);
      return 'delivered';
    }
    const failure = 'status' in outcome ? `the callback answered ${outcome.status}` : outcome.failure;
    await this.recordFailure(jti, failure);
    this.logger.warn('event delivery failed; it will be retried', { jti, clientId: event.client_id, attempt: job.attemptsMade + 1, failure });
    throw new Error(failure);
  }

  private async recordFailure(jti: string, failure: string): Promise<void> {
    await this.dataSource.query(`UPDATE event_notification SET delivery_attempts = delivery_attempts + 1, last_delivery_error = $2 WHERE jti = $1`, [jti, failure]);
    this.metrics.recordFailed();
  }

  private async markDelivered(jti: string, event: PendingEventRow, attempts: number): Promise<void> {
    const [audit, traceparent] = prepareAuditEvents([
      {
        type: 'event.delivered',
        actor: { type: 'system', id: 'event-notifications' },
        clientId: event.client_id,
        data: { jti, eventType: event.event_type, via: 'callback', attempts },
      },
    ]).values;
    const [{ marked }] = await queryPrepared<{ marked: number }>(this.dataSource, MARK_DELIVERED, [jti, attempts, audit, traceparent]);
    if (marked === 1) this.metrics.recordDelivered(event.occurred_at);
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close(this.redis.status !== 'ready');
    this.callbacks.close();
    this.connection?.disconnect();
  }
}
