import { AUDIT_BATCH_JOB, AUDIT_QUEUE, AuditBatchJobData } from '@consentry/audit';
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

// Batches queued ahead of the chain writer beyond which the relay lets rows wait in the outbox.
const MAX_WAITING_BATCHES = 1;

// How soon the relay looks again while it holds rows back: the writer is about to take the waiting batch.
const HELD_BACK_POLL_MS = 10;

/**
 * Moves committed audit events from `audit_outbox` to AUDIT_QUEUE (transactional outbox relay). Rows
 * are claimed, queued as one job of their ids and marked relayed in one transaction, so a failure
 * anywhere leaves them pending for the next poll; several relays share the outbox through SKIP LOCKED.
 * The events themselves stay in the outbox until the chain writer moves them into the log.
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
   * Relays one batch: the oldest pending rows, at most `auditBatchSize`, as one job of their event ids.
   * Returns how many were relayed; throws (rows stay pending) when the database or Redis fails.
   */
  async relayOnce(): Promise<number> {
    const table = this.dataSource.getMetadata(AuditOutboxEntity).tableName;
    return this.dataSource.transaction(async (manager) => {
      // The oldest pending rows come from walking audit_outbox_pending_idx, whatever the statistics say:
      // with none yet, or stale ones taken while the outbox was nearly empty, the planner would rather
      // sort every pending row for each batch, which after an outage means sorting the whole backlog a
      // batch at a time. (The statement has no sort of its own left: the rows are put in order below.)
      await manager.query('SET LOCAL enable_sort = off');
      // Claimed and marked in one statement; the row locks last until the job is in Redis and we commit.
      const [rows]: [{ event_id: string; created_seq: string }[], number] = await manager.query(
        `UPDATE ${table} SET relayed_at = now()
         WHERE event_id = ANY (ARRAY(
           SELECT event_id FROM ${table} WHERE relayed_at IS NULL ORDER BY created_seq LIMIT $1 FOR UPDATE SKIP LOCKED))
         RETURNING event_id, created_seq`,
        [this.config.auditBatchSize],
      );
      if (rows.length === 0) return 0;
      // In the order they were recorded, which is the order they are chained in.
      const eventIds = rows
        .map((row) => ({ id: row.event_id, seq: BigInt(row.created_seq) }))
        .sort((a, b) => (a.seq < b.seq ? -1 : 1))
        .map((row) => row.id);
      // If the commit fails after this add, the rows are relayed again under the same job id and BullMQ
      // drops the copy; the chain writer's skip of chained events covers whatever gets past that.
      const jobId = auditBatchJobId(eventIds);
      // A batch the sweep relays again after its job failed (a worker of the previous release, or its
      // attempts spent) has that job's id, and BullMQ keeps failed jobs 30 days: the add would be dropped
      // as a copy and the rows go round the sweep unchained. The failed job is removed first. (Until
      // 7 December 2026 such rows reached the log only once the failed job aged out.)
      const earlier = await this.queue.getJob(jobId);
      if (earlier && (await earlier.isFailed())) await earlier.remove();
      await this.queue.add(AUDIT_BATCH_JOB, { eventIds }, { ...AUDIT_BATCH_JOB_OPTIONS, jobId });
      return rows.length;
    });
  }

  private async hasPendingRows(): Promise<boolean> {
    const table = this.dataSource.getMetadata(AuditOutboxEntity).tableName;
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM ${table} WHERE relayed_at IS NULL LIMIT 1`);
    return rows.length > 0;
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
      // While a batch already waits for the chain writer, rows stay in the outbox and the next batch
      // takes all of them at once: batches grow with the load (one transaction, one job and one chain
      // append each) instead of the queue growing with it in batches of whatever one poll found.
      // An idle relay only looks at the outbox: Redis is asked when there is something to send.
      const pending = await this.hasPendingRows();
      const heldBack = pending && (await this.queue.getWaitingCount()) >= MAX_WAITING_BATCHES;
      const relayed = pending && !heldBack ? await this.relayOnce() : 0;
      if (relayed > 0) this.metrics.recordRelayBatch(relayed);
      if (this.consecutiveFailures > 0) {
        this.logger.log(`outbox relay recovered after ${this.consecutiveFailures} failed polls`);
        this.consecutiveFailures = 0;
      }
      if (heldBack) nextDelay = Math.min(HELD_BACK_POLL_MS, this.config.relayIntervalMs);
      // A full batch means more is waiting: drain the backlog without sleeping between batches.
      else if (relayed === this.config.auditBatchSize) nextDelay = 0;
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
