import { AUDIT_QUEUE } from '@consentry/audit';
import type { WorkerConfig } from '@consentry/config';
import { AppMetrics } from '@consentry/observability';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Gauge } from 'prom-client';

import { CONSENT_EXPIRY_QUEUE } from '../expiry/consent-expiry.jobs.js';
import { AUDIT_RETENTION_QUEUE } from '../retention/audit-retention.jobs.js';
import { PRODUCER_REDIS, WORKER_CONFIG } from '../worker.tokens.js';

/** The queues this worker consumes. */
const QUEUES = [AUDIT_QUEUE, CONSENT_EXPIRY_QUEUE, AUDIT_RETENTION_QUEUE];
const STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * Queue depth and lag, read from Redis at scrape time: jobs by state, and the age of the oldest job
 * still waiting (how far the consumers are behind). While Redis does not answer, both are left out and
 * `consentry_worker_redis_up` says why.
 */
@Injectable()
export class QueueMetrics implements OnModuleDestroy {
  private readonly queues: Queue[];

  constructor(@Inject(WORKER_CONFIG) config: WorkerConfig, @Inject(PRODUCER_REDIS) redis: Redis, metrics: AppMetrics) {
    this.queues = QUEUES.map((name) => new Queue(name, { connection: redis, prefix: config.redisPrefix }));
    const queues = this.queues;
    new Gauge({
      name: 'consentry_queue_jobs',
      help: 'BullMQ jobs of each queue by state (waiting, active, delayed, failed).',
      labelNames: ['queue', 'state'],
      registers: [metrics.registry],
      async collect() {
        this.reset();
        const counts = await Promise.all(queues.map((queue) => queue.getJobCounts(...STATES).catch(() => undefined)));
        counts.forEach((count, i) => {
          if (!count) return;
          for (const state of STATES) this.set({ queue: queues[i]!.name, state }, count[state] ?? 0);
        });
      },
    });
    new Gauge({
      name: 'consentry_queue_oldest_waiting_seconds',
      help: 'Age of the oldest job waiting in each queue (0 when none waits): how far its consumers lag.',
      labelNames: ['queue'],
      registers: [metrics.registry],
      async collect() {
        this.reset();
        const now = Date.now();
        const oldest = await Promise.all(queues.map((queue) => queue.getJobs(['waiting'], 0, 0, true).catch(() => undefined)));
        oldest.forEach((jobs, i) => {
          if (!jobs) return;
          const job = jobs[0];
          this.set({ queue: queues[i]!.name }, job ? Math.max(0, (now - job.timestamp) / 1000) : 0);
        });
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    // The connection is the bootstrap's: closing a queue over a shared connection leaves it open.
    await Promise.all(this.queues.map((queue) => queue.close().catch(() => undefined)));
  }
}
