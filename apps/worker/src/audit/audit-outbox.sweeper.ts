import type { WorkerConfig } from '@consentry/config';
import { AuditLogEntity, AuditOutboxEntity, DataSource } from '@consentry/database';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';

import { WorkerMetrics } from '../health/worker.metrics.js';
import { WORKER_CONFIG } from '../worker.tokens.js';

export interface OutboxSweepResult {
  /** Relayed rows found already chained (left by a version that did not delete them): removed. */
  pruned: number;
  /** Relayed rows never chained within the grace period: pending again, the relay sends them anew. */
  reRelayed: number;
}

/**
 * Closes the outbox's one gap: once the relay committed `relayed_at`, only the BullMQ job (the batch's
 * event ids) will get those rows chained, and Redis can lose it (a restart without AOF, a failover to a
 * stale replica, an eviction). The chain writer deletes each row it chains, so a row still relayed
 * after the grace period is one the log never got; it is made pending again. A second delivery is
 * harmless: the writer skips ids whose rows are gone and events already in the log.
 */
@Injectable()
export class AuditOutboxSweeper implements OnModuleDestroy {
  private readonly logger = new Logger(AuditOutboxSweeper.name);
  private timer?: NodeJS.Timeout;
  private cycle?: Promise<unknown>;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly dataSource: DataSource,
    private readonly metrics: WorkerMetrics,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.cycle) return;
      this.cycle = this.sweepOnce()
        .catch((error: unknown) => this.logger.warn(`outbox sweep failed, will retry: ${(error as Error).message}`))
        .finally(() => (this.cycle = undefined));
    }, this.config.auditResweepIntervalMs);
  }

  async sweepOnce(): Promise<OutboxSweepResult> {
    const outbox = this.dataSource.getMetadata(AuditOutboxEntity).tableName;
    const log = this.dataSource.getMetadata(AuditLogEntity).tableName;
    const grace = `${this.config.auditResweepGraceMs} milliseconds`;
    return this.dataSource.transaction(async (manager) => {
      const [, pruned]: [unknown, number] = await manager.query(
        `DELETE FROM ${outbox} o WHERE o.relayed_at < now() - $1::interval
           AND EXISTS (SELECT 1 FROM ${log} l WHERE l.event_id = o.event_id)`,
        [grace],
      );
      // SKIP LOCKED: a row the relay holds right now is not lost, it is being relayed.
      const [, reRelayed]: [unknown, number] = await manager.query(
        `UPDATE ${outbox} SET relayed_at = NULL WHERE event_id IN (
           SELECT event_id FROM ${outbox} WHERE relayed_at < now() - $1::interval FOR UPDATE SKIP LOCKED)`,
        [grace],
      );
      if (reRelayed > 0) {
        this.metrics.recordReRelayed(reRelayed);
        this.logger.warn(`${reRelayed} audit events were relayed but never chained (lost by the queue): relaying them again`);
      }
      return { pruned, reRelayed };
    });
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.cycle;
  }
}
