import { AUDIT_QUEUE, AuditBatchJobData, AuditEvent } from '@consentry/audit';
import type { WorkerConfig } from '@consentry/config';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';

import { WorkerMetrics } from '../health/worker.metrics.js';
import { CONSUMER_REDIS, WORKER_CONFIG } from '../worker.tokens.js';
import { AuditChainWriter, ChainBatchResult } from '@consentry/audit';
import { AuditChainedSignal } from './audit-chained.signal.js';
import { AUDIT_BACKOFF_TYPE, auditBackoffDelay } from './audit.jobs.js';

// How long shutdown waits for the batches in progress when Redis is down and BullMQ cannot close gracefully.
const SHUTDOWN_GRACE_MS = 10_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function assertUuid(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string' || !UUID.test(value)) throw new UnrecoverableError(`${what} has no UUID eventId`);
}

/**
 * Checks the shape the chain depends on. The type is not checked against AUDIT_EVENT_TYPES: during a
 * rolling deploy a newer API may record a type this worker does not know yet, and it must still be
 * chained, not dropped.
 */
function assertChainable(data: unknown): asserts data is AuditBatchJobData {
  const batch = data as { eventIds?: unknown; events?: unknown } | null | undefined;
  if (batch?.eventIds !== undefined) {
    if (!Array.isArray(batch.eventIds) || batch.eventIds.length === 0) throw new UnrecoverableError('job has no events');
    batch.eventIds.forEach((id: unknown, i) => assertUuid(id, `event ${i}`));
    return;
  }
  const events = batch?.events;
  if (!Array.isArray(events) || events.length === 0) throw new UnrecoverableError('job has no events');
  events.forEach((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) throw new UnrecoverableError(`event ${i} is not an object`);
    const event = item as Record<keyof AuditEvent, unknown>;
    assertUuid(event.eventId, `event ${i}`);
    if (typeof event.type !== 'string' || event.type === '') throw new UnrecoverableError(`event ${event.eventId} has no type`);
    if (typeof event.occurredAt !== 'string' || Number.isNaN(Date.parse(event.occurredAt))) {
      throw new UnrecoverableError(`event ${event.eventId} has no readable occurredAt`);
    }
  });
}

function batchSize(data: unknown): number {
  const batch = data as { eventIds?: unknown[]; events?: unknown[] } | null | undefined;
  return batch?.eventIds?.length ?? batch?.events?.length ?? 0;
}

/** The chain writer's BullMQ consumer of AUDIT_QUEUE: one batch committing and the next being prepared per process. */
@Injectable()
export class AuditProcessor implements OnModuleDestroy {
  private readonly logger = new Logger(AuditProcessor.name);
  private worker?: Worker<AuditBatchJobData, ChainBatchResult>;
  private redisFailing = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(CONSUMER_REDIS) private readonly redis: Redis,
    private readonly writer: AuditChainWriter,
    private readonly metrics: WorkerMetrics,
    private readonly chainedSignal: AuditChainedSignal,
  ) {}

  async start(): Promise<void> {
    const worker = new Worker<AuditBatchJobData, ChainBatchResult>(AUDIT_QUEUE, (job) => this.process(job), {
      connection: this.redis,
      prefix: this.config.redisPrefix,
      // Two slots: while one batch commits under the chain lock, the next is read and hashed as far as
      // it can be without it (AuditChainWriter commits them one at a time, in order). More would only wait.
      concurrency: 2,
      // A batch whose worker died mid-transaction rolled back; running it again is safe, so allow
      // more than BullMQ's default single stall before giving up on it.
      maxStalledCount: 10,
      lockDuration: this.config.auditJobLockMs,
      stalledInterval: Math.max(500, Math.floor(this.config.auditJobLockMs / 2)),
      settings: {
        backoffStrategy: (attemptsMade, type) => (type === AUDIT_BACKOFF_TYPE ? auditBackoffDelay(attemptsMade, this.config.auditRetryMaxDelayMs) : 1_000),
      },
    });
    worker.on('error', (error) => {
      // BullMQ reconnects by itself; one line per outage, not one per retry.
      if (!this.redisFailing) this.logger.warn(`queue connection failing, will retry: ${error.message}`);
      this.redisFailing = true;
    });
    worker.on('ready', () => this.markQueueRestored());
    this.worker = worker;
    await worker.waitUntilReady();
  }

  process(job: Job<AuditBatchJobData, ChainBatchResult>): Promise<ChainBatchResult> {
    const running = this.chain(job);
    const settled = running.catch(() => undefined);
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return running;
  }

  private async chain(job: Job<AuditBatchJobData, ChainBatchResult>): Promise<ChainBatchResult> {
    const context = { jobId: job.id, attempt: job.attemptsMade + 1, events: batchSize(job.data) };
    this.logger.log('chain batch started', context);
    const started = performance.now();
    try {
      assertChainable(job.data);
      // A job in hand proves Redis answers again, whether or not BullMQ re-emitted 'ready'.
      this.markQueueRestored();
      const data = job.data;
      const result = 'eventIds' in data ? await this.writer.appendFromOutbox(data.eventIds) : await this.writer.append(data.events);
      this.metrics.recordChainBatch(result);
      // The alert tail and event production run now for these entries (not awaited: the chain goes on).
      if (result.lastSeq !== null) void this.chainedSignal.chained(result.lastSeq);
      this.logger.log('chain batch finished', { ...context, ...result, ms: Math.round(performance.now() - started) });
      return result;
    } catch (error) {
      this.metrics.recordChainBatchFailure();
      this.logger.error('chain batch failed', {
        ...context,
        error: (error as Error).message,
        retried: !(error instanceof UnrecoverableError),
      });
      throw error;
    }
  }

  private markQueueRestored(): void {
    if (this.redisFailing) this.logger.log('queue connection restored');
    this.redisFailing = false;
  }

  async onModuleDestroy(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    if (this.redis.status === 'ready') {
      // Waits for the batches in progress, so their transactions commit before the connections close.
      await worker.close();
      return;
    }
    // A graceful close waits on Redis, which may never come back. Let the batches in progress reach their
    // commits, then drop the queue connection: BullMQ redelivers unacknowledged jobs as stalled and
    // the chain writer skips whatever it already chained.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.inFlight), new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)))]);
    clearTimeout(timer);
    await worker.close(true);
  }
}
