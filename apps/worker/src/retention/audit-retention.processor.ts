import { AuditRetentionResult, exportAndPruneAuditLog } from '@consentry/audit';
import type { WorkerConfig } from '@consentry/config';
import { createDataSource, DataSource } from '@consentry/database';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

import { CONSUMER_REDIS, PRODUCER_REDIS, WORKER_CONFIG } from '../worker.tokens.js';
import {
  AUDIT_RETENTION_EVERY_MS,
  AUDIT_RETENTION_JOB,
  AUDIT_RETENTION_JOB_OPTIONS,
  AUDIT_RETENTION_LOCK_KEY,
  AUDIT_RETENTION_QUEUE,
  AUDIT_RETENTION_SCHEDULER_ID,
} from './audit-retention.jobs.js';

const DAY_MS = 86_400_000;

/**
 * Runs retention when AUDIT_RETENTION_DAYS > 0: a daily job scheduler, and for each job the export of
 * the entries chained before the cut-off followed by their removal through audit_log_prune, on the
 * maintenance role's connection (AUDIT_MAINTENANCE_DATABASE_URL).
 */
@Injectable()
export class AuditRetentionProcessor implements OnModuleDestroy {
  private readonly logger = new Logger(AuditRetentionProcessor.name);
  private worker?: Worker<unknown, AuditRetentionResult | { skipped: true }>;
  private queue?: Queue;
  private connection?: Redis;
  private maintenance?: DataSource;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(CONSUMER_REDIS) private readonly consumerRedis: Redis,
    @Inject(PRODUCER_REDIS) private readonly producerRedis: Redis,
  ) {}

  async start(): Promise<void> {
    if (this.config.auditRetentionDays === 0) return;
    this.queue = new Queue(AUDIT_RETENTION_QUEUE, { connection: this.producerRedis, prefix: this.config.redisPrefix });
    this.queue.on('error', () => undefined);
    await this.queue.upsertJobScheduler(
      AUDIT_RETENTION_SCHEDULER_ID,
      { every: AUDIT_RETENTION_EVERY_MS },
      { name: AUDIT_RETENTION_JOB, opts: AUDIT_RETENTION_JOB_OPTIONS },
    );
    this.connection = this.consumerRedis.duplicate();
    this.connection.on('error', () => undefined);
    this.worker = new Worker(AUDIT_RETENTION_QUEUE, (job) => this.process(job), {
      connection: this.connection,
      prefix: this.config.redisPrefix,
      concurrency: 1,
    });
    this.worker.on('error', () => undefined);
    await this.worker.waitUntilReady();
  }

  async process(job: Job): Promise<AuditRetentionResult | { skipped: true }> {
    this.maintenance ??= await createDataSource({
      url: this.config.auditMaintenanceDatabaseUrl ?? this.config.databaseUrl,
      poolSize: 2,
      applicationName: 'consentry-audit-retention',
    }).initialize();
    const runner = this.maintenance.createQueryRunner();
    await runner.connect();
    try {
      const [lock]: { locked: boolean }[] = await runner.query('SELECT pg_try_advisory_lock($1::bigint) AS locked', [AUDIT_RETENTION_LOCK_KEY]);
      if (!lock!.locked) return { skipped: true };
      try {
        const olderThan = new Date(Date.now() - this.config.auditRetentionDays * DAY_MS);
        const result = await exportAndPruneAuditLog(this.maintenance, { olderThan, exportDir: this.config.auditExportDir });
        this.logger.log('audit retention run finished', { jobId: job.id, removed: result.removed, file: result.file });
        return result;
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1::bigint)', [AUDIT_RETENTION_LOCK_KEY]);
      }
    } catch (error) {
      this.logger.error('audit retention run failed', { jobId: job.id, error: (error as Error).message });
      throw error;
    } finally {
      await runner.release();
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close(this.consumerRedis.status !== 'ready');
    await this.queue?.close();
    this.connection?.disconnect();
    if (this.maintenance?.isInitialized) await this.maintenance.destroy();
  }
}
