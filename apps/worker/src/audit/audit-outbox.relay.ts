import { AUDIT_BATCH_JOB, AUDIT_QUEUE, AuditBatchJobData, AuditEvent } from '@consentry/audit';
import type { WorkerConfig } from '@consentry/config';
import { AuditOutboxEntity, DataSource } from '@consentry/database';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

import { WorkerMetrics } from '../health/worker.metrics.js';
import { PRODUCER_REDIS, WORKER_CONFIG } from '../worker.tokens.js';
import { AUDIT_BATCH_JOB_OPTIONS, auditBatchJobId } from './audit.jobs.js';

// While the database or Redis is failing, poll less often, up to this.
const MAX_FAILURE_DELAY_MS = 5_000;

interface OutboxRow {
  event_id: string;
  event: AuditEvent;
}

/**
 * Moves committed audit events from `audit_outbox` to AUDIT_QUEUE (transactional outbox relay). Rows
 * are locked, queued as one job and marked relayed in one transaction, so a failure anywhere leaves
 * them pending for the next poll; several relays share the outbox through SKIP LOCKED.
 */
@Injectable()
export class AuditOutboxRelay implements OnModuleDestroy {
  private readonly logger = new Logger(AuditOutboxRelay.name);
  private readonly queue: Queue<AuditBatchJobData>;
  private running = false;
  private timer?: NodeJS.Timeout;
  private cycle?: Promise<void>;
  private consecutiveFailures = 0;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly dataSource: DataSource,
    @Inject(PRODUCER_REDIS) redis: Redis,
    private readonly metrics: WorkerMetrics,
  ) {
    this.queue = new Queue<AuditBatchJobData>(AUDIT_QUEUE, { connection: redis, prefix: config.redisPrefix });
    // Failures surface on `add`, where they are counted; this only keeps the emitter from throwing.
    this.queue.on('error', () => undefined);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /**
   * Relays one batch: the oldest pending rows, at most `auditBatchSize`. Returns how many were relayed;
   * throws (rows stay pending) when the database or Redis fails.
   */
  async relayOnce(): Promise<number> {
    const table = this.dataSource.getMetadata(AuditOutboxEntity).tableName;
    return this.dataSource.transaction(async (manager) => {
      const rows: OutboxRow[] = await manager.query(
        `SELECT event_id, event FROM ${table}
         WHERE relayed_at IS NULL ORDER BY created_seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.config.auditBatchSize],
      );
      if (rows.length === 0) return 0;
      const ids = rows.map((row) => row.event_id);
      // If the commit below fails after this add, the rows are relayed again under the same job id and
      // BullMQ drops the copy; the chain writer's skip of known event ids covers whatever gets past that.
      await this.queue.add(AUDIT_BATCH_JOB, { events: rows.map((row) => row.event) }, {
        ...AUDIT_BATCH_JOB_OPTIONS,
        jobId: auditBatchJobId(ids),
      });
      await manager.query(`UPDATE ${table} SET relayed_at = now() WHERE event_id = ANY($1::uuid[])`, [ids]);
      return rows.length;
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.cycle;
    await this.queue.close();
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.cycle = this.poll().finally(() => {
        this.cycle = undefined;
      });
    }, delayMs);
  }

  private async poll(): Promise<void> {
    let nextDelay = this.config.relayIntervalMs;
    try {
      const relayed = await this.relayOnce();
      if (relayed > 0) this.metrics.recordRelayBatch(relayed);
      if (this.consecutiveFailures > 0) {
        this.logger.log(`outbox relay recovered after ${this.consecutiveFailures} failed polls`);
        this.consecutiveFailures = 0;
      }
      // A full batch means more is waiting: drain the backlog without sleeping between batches.
      if (relayed === this.config.auditBatchSize) nextDelay = 0;
    } catch (error) {
      this.metrics.recordRelayError();
      this.consecutiveFailures += 1;
      // One line when an outage starts; the counter in /metrics tracks how long it lasts.
      if (this.consecutiveFailures === 1) {
        this.logger.error(`outbox relay failed, events stay pending and will be retried: ${(error as Error).message}`);
      }
      nextDelay = Math.min(this.config.relayIntervalMs * 2 ** this.consecutiveFailures, MAX_FAILURE_DELAY_MS);
    }
    this.schedule(nextDelay);
  }
}
