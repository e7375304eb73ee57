import type { WorkerConfig } from '@consentry/config';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

import { AuditChainedSignal } from '../audit/audit-chained.signal.js';
import { PRODUCER_REDIS, WORKER_CONFIG } from '../worker.tokens.js';
import { EVENT_PRODUCTION_JOB, EVENT_PRODUCTION_JOB_OPTIONS, EVENT_PRODUCTION_QUEUE, EVENT_PRODUCTION_SCHEDULER_ID } from './event-notifications.jobs.js';

/**
 * Upserts event production's BullMQ job scheduler (idempotent, so every worker may do it at start), and
 * queues a production run as soon as audit entries are chained; the interval is the fallback.
 */
@Injectable()
export class EventProductionScheduler implements OnModuleDestroy {
  private readonly queue: Queue;
  private closing = false;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(PRODUCER_REDIS) redis: Redis,
    private readonly chainedSignal: AuditChainedSignal,
  ) {
    this.queue = new Queue(EVENT_PRODUCTION_QUEUE, { connection: redis, prefix: config.redisPrefix });
    this.queue.on('error', () => undefined);
  }

  async schedule(): Promise<void> {
    await this.queue.upsertJobScheduler(
      EVENT_PRODUCTION_SCHEDULER_ID,
      { every: this.config.eventNotifications.productionIntervalMs },
      { name: EVENT_PRODUCTION_JOB, opts: EVENT_PRODUCTION_JOB_OPTIONS },
    );
    // A job per chained batch: one queued while a run is under way is not lost.
    this.chainedSignal.follow(async (lastSeq) => !this.closing && this.queue.add(EVENT_PRODUCTION_JOB, {}, { ...EVENT_PRODUCTION_JOB_OPTIONS, jobId: `chained-${lastSeq}` }));
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    await this.queue.close();
  }
}
