import type { WorkerConfig } from '@consentry/config';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

import { PRODUCER_REDIS, WORKER_CONFIG } from '../worker.tokens.js';
import {
  CONSENT_EXPIRY_JOB,
  CONSENT_EXPIRY_JOB_OPTIONS,
  CONSENT_EXPIRY_QUEUE,
  CONSENT_EXPIRY_SCHEDULER_ID,
  OIDC_PURGE_JOB,
  OIDC_PURGE_SCHEDULER_ID,
} from './consent-expiry.jobs.js';

/** Upserts the expiry sweep's and the oidc_model purge's BullMQ job schedulers: idempotent, so every worker may do it at start. */
@Injectable()
export class ConsentExpiryScheduler implements OnModuleDestroy {
  private readonly queue: Queue;

  constructor(@Inject(WORKER_CONFIG) private readonly config: WorkerConfig, @Inject(PRODUCER_REDIS) redis: Redis) {
    this.queue = new Queue(CONSENT_EXPIRY_QUEUE, { connection: redis, prefix: config.redisPrefix });
    this.queue.on('error', () => undefined);
  }

  async schedule(): Promise<void> {
    await this.queue.upsertJobScheduler(
      CONSENT_EXPIRY_SCHEDULER_ID,
      { every: this.config.consentExpiryIntervalMs },
      { name: CONSENT_EXPIRY_JOB, opts: CONSENT_EXPIRY_JOB_OPTIONS },
    );
    await this.queue.upsertJobScheduler(
      OIDC_PURGE_SCHEDULER_ID,
      { every: this.config.oidcPurgeIntervalMs },
      { name: OIDC_PURGE_JOB, opts: CONSENT_EXPIRY_JOB_OPTIONS },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue.close();
  }
}
