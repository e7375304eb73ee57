import type { WorkerConfig } from '@consentry/config';
import { DataSource } from '@consentry/database';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

import { CONSUMER_REDIS, PRODUCER_REDIS, WORKER_CONFIG } from '../worker.tokens.js';
import {
  PAYMENT_SETTLEMENT_INTERVAL_MS,
  PAYMENT_SETTLEMENT_JOB,
  PAYMENT_SETTLEMENT_JOB_OPTIONS,
  PAYMENT_SETTLEMENT_QUEUE,
  PAYMENT_SETTLEMENT_SCHEDULER_ID,
} from './payment-settlement.jobs.js';
import { settleDomesticPayments } from './payment-settlement.js';

/** Schedules and runs the settlement sweep (ACSP -> ACSC) as a BullMQ job scheduler shared by every worker. */
@Injectable()
export class PaymentSettlementProcessor implements OnModuleDestroy {
  private readonly logger = new Logger(PaymentSettlementProcessor.name);
  private readonly queue: Queue;
  private worker?: Worker<unknown, { settled: number }>;
  private connection?: Redis;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(CONSUMER_REDIS) private readonly redis: Redis,
    @Inject(PRODUCER_REDIS) producer: Redis,
    private readonly dataSource: DataSource,
  ) {
    this.queue = new Queue(PAYMENT_SETTLEMENT_QUEUE, { connection: producer, prefix: config.redisPrefix });
    this.queue.on('error', () => undefined);
  }

  async start(): Promise<void> {
    // A connection of its own: a Worker blocks on its connection waiting for jobs.
    this.connection = this.redis.duplicate();
    this.connection.on('error', () => undefined);
    this.worker = new Worker<unknown, { settled: number }>(PAYMENT_SETTLEMENT_QUEUE, (job) => this.process(job), {
      connection: this.connection,
      prefix: this.config.redisPrefix,
      concurrency: 1,
    });
    this.worker.on('error', () => undefined); // the audit processor already reports Redis outages
    await this.worker.waitUntilReady();
    await this.queue.upsertJobScheduler(
      PAYMENT_SETTLEMENT_SCHEDULER_ID,
      { every: PAYMENT_SETTLEMENT_INTERVAL_MS },
      { name: PAYMENT_SETTLEMENT_JOB, opts: PAYMENT_SETTLEMENT_JOB_OPTIONS },
    );
  }

  async process(job: Job<unknown, { settled: number }>): Promise<{ settled: number }> {
    const context = { jobId: job.id };
    this.logger.log('payment settlement started', context);
    try {
      const settled = await settleDomesticPayments(this.dataSource);
      this.logger.log('payment settlement finished', { ...context, settled });
      return { settled };
    } catch (error) {
      this.logger.error('payment settlement failed', { ...context, error: (error as Error).message });
      throw error;
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close(this.redis.status !== 'ready');
    this.connection?.disconnect();
    await this.queue.close();
  }
}
