import type { WorkerConfig } from '@consentry/config';
import { expireConsents, ExpireConsentsResult, expirePaymentConsents, rejectStalePaymentConsents } from '@consentry/consents';
import { DataSource, purgeExpiredIdempotencyKeys, purgeExpiredOidcRows } from '@consentry/database';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';

import { WorkerMetrics } from '../health/worker.metrics.js';
import { CONSUMER_REDIS, WORKER_CONFIG } from '../worker.tokens.js';
import { CONSENT_EXPIRY_QUEUE, OIDC_PURGE_JOB } from './consent-expiry.jobs.js';

/** Runs the expiry sweep for each scheduled job. The sweep's advisory lock keeps runs from overlapping. */
@Injectable()
export class ConsentExpiryProcessor implements OnModuleDestroy {
  private readonly logger = new Logger(ConsentExpiryProcessor.name);
  private worker?: Worker<unknown, ExpireConsentsResult | { purged: number }>;
  private connection?: Redis;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(CONSUMER_REDIS) private readonly redis: Redis,
    private readonly dataSource: DataSource,
    private readonly metrics: WorkerMetrics,
  ) {}

  async start(): Promise<void> {
    // A connection of its own: the audit Worker blocks on its connection waiting for jobs.
    this.connection = this.redis.duplicate();
    this.connection.on('error', () => undefined);
    const worker = new Worker<unknown, ExpireConsentsResult | { purged: number }>(CONSENT_EXPIRY_QUEUE, (job) => this.process(job), {
      connection: this.connection,
      prefix: this.config.redisPrefix,
      concurrency: 1,
    });
    worker.on('error', () => undefined); // the audit processor already reports Redis outages
    this.worker = worker;
    await worker.waitUntilReady();
  }

  process(job: Job<unknown, ExpireConsentsResult | { purged: number }>): Promise<ExpireConsentsResult | { purged: number }> {
    return job.name === OIDC_PURGE_JOB ? this.purgeOidcRows(job) : this.expire(job);
  }

  /**
   * Expired oidc-provider rows (tokens, codes, sessions, grants, throttle windows) deleted in batches, and
   * idempotency keys past their 24 hours on the same schedule.
   */
  async purgeOidcRows(job: Job<unknown, unknown>): Promise<{ purged: number }> {
    const context = { jobId: job.id };
    const purged = await purgeExpiredOidcRows(this.dataSource);
    const idempotencyKeys = await purgeExpiredIdempotencyKeys(this.dataSource);
    this.logger.log('expired oidc rows and idempotency keys purged', { ...context, purged, idempotencyKeys });
    return { purged };
  }

  async expire(job: Job<unknown, unknown>): Promise<ExpireConsentsResult> {
    const context = { jobId: job.id };
    this.logger.log('consent expiry sweep started', context);
    const started = performance.now();
    try {
      const result = await expireConsents(this.dataSource, {
        awaitingMaxAgeSeconds: this.config.consentAwaitingMaxAgeSeconds,
        batchSize: this.config.consentExpiryBatchSize,
      });
      // Payment consents left AWAU as long: a domestic one becomes RJCT (it has no EXPD), a funds-confirmation or VRP one EXPD.
      const paymentConsentsRejected = await rejectStalePaymentConsents(this.dataSource, {
        awaitingMaxAgeSeconds: this.config.consentAwaitingMaxAgeSeconds,
        batchSize: this.config.consentExpiryBatchSize,
      });
      // Funds-confirmation and VRP consents past their end (ExpirationDateTime, ValidToDateTime): EXPD, their grants revoked.
      const paymentConsentsExpired = await expirePaymentConsents(this.dataSource, { batchSize: this.config.consentExpiryBatchSize });
      this.metrics.recordConsentsExpired(result.pastExpiration + result.awaitingTooLong);
      this.logger.log('consent expiry sweep finished', { ...context, ...result, paymentConsentsRejected, paymentConsentsExpired, ms: Math.round(performance.now() - started) });
      return result;
    } catch (error) {
      this.logger.error('consent expiry sweep failed', { ...context, error: (error as Error).message });
      throw error;
    }
  }

  async onModuleDestroy(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await worker.close(this.redis.status !== 'ready');
    this.connection?.disconnect();
  }
}
