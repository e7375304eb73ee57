import type { WorkerConfig } from '@consentry/config';
import { expireHeldPayments } from '@consentry/consents';
import { DataSource } from '@consentry/database';
import { foldRuleTally } from '@consentry/risk';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Job, JobsOptions, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

import { CONSUMER_REDIS, PRODUCER_REDIS, WORKER_CLOCK, WORKER_CONFIG } from '../worker.tokens.js';
import type { WorkerClock } from '../worker.tokens.js';

/** One repeatable job rejects every held payment past REVIEW_TIMEOUT_MINUTES; never one job per payment. */
export const REVIEW_EXPIRY_QUEUE = 'payment-review-expiry';
const SCHEDULER_ID = 'payment-review-expiry-sweep';
const JOB = 'expire-unreviewed-holds';
/** Each run takes whatever is overdue, the next what it missed: no retries, little history. */
const JOB_OPTIONS: JobsOptions = { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 1_000 } };
/** How often the sweep runs: a minute is the timeout's own unit. */
const SWEEP_EVERY_MS = 60_000;

/**
 * Rejects (RJCT FR01, audited payment.review.expired) the held payments nobody reviewed within
 * REVIEW_TIMEOUT_MINUTES, and folds the rules' statistics (foldRuleTally), as a BullMQ job scheduler
 * shared by every worker. "Now" comes from the injected
 * clock (WORKER_CLOCK), so a test expires a hold without waiting for it.
 */
@Injectable()
export class ReviewExpiryProcessor implements OnModuleDestroy {
  private readonly logger = new Logger(ReviewExpiryProcessor.name);
  private readonly queue: Queue;
  private worker?: Worker<unknown, { expired: number }>;
  private connection?: Redis;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(CONSUMER_REDIS) private readonly redis: Redis,
    @Inject(PRODUCER_REDIS) producer: Redis,
    private readonly dataSource: DataSource,
    @Inject(WORKER_CLOCK) private readonly clock: WorkerClock,
  ) {
    this.queue = new Queue(REVIEW_EXPIRY_QUEUE, { connection: producer, prefix: config.redisPrefix });
    this.queue.on('error', () => undefined);
  }

  async start(): Promise<void> {
    this.connection = this.redis.duplicate();
    this.connection.on('error', () => undefined);
    this.worker = new Worker<unknown, { expired: number }>(REVIEW_EXPIRY_QUEUE, (job) => this.process(job), {
      connection: this.connection,
      prefix: this.config.redisPrefix,
      concurrency: 1,
    });
    this.worker.on('error', () => undefined); // the audit processor already reports Redis outages
    await this.worker.waitUntilReady();
    await this.queue.upsertJobScheduler(SCHEDULER_ID, { every: Math.min(SWEEP_EVERY_MS, this.config.scheduledPaymentIntervalMs) }, { name: JOB, opts: JOB_OPTIONS });
  }

  async process(job: Job<unknown, { expired: number }>): Promise<{ expired: number }> {
    const context = { jobId: job.id };
    try {
      const expired = await expireHeldPayments(this.dataSource, this.clock(), this.config.risk.reviewTimeoutMinutes);
      // The review queue's rule statistics: the minute's changes folded into the totals, so they never pile
      // up while nobody opens the queue's page.
      await foldRuleTally(this.dataSource);
      if (expired > 0) this.logger.log('unreviewed holds expired', { ...context, expired });
      return { expired };
    } catch (error) {
      this.logger.error('review expiry run failed', { ...context, error: (error as Error).message });
      throw error;
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close(this.redis.status !== 'ready');
    this.connection?.disconnect();
    await this.queue.close();
  }
}
