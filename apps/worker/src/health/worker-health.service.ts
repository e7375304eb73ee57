import { AuditOutboxEntity, DataSource } from '@consentry/database';
import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';

import { PRODUCER_REDIS } from '../worker.tokens.js';
import { WorkerGauges, WorkerMetrics } from './worker.metrics.js';

export interface WorkerHealth {
  status: 'ok' | 'degraded';
  database: 'up' | 'down';
  redis: 'up' | 'down';
  /** Audit events waiting in the outbox; `null` while the database cannot be read. */
  outboxPending: number | null;
}

// A health check must answer while a dependency hangs, well before a load balancer gives up on it.
const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Reads the state /health and /metrics report: each dependency checked live, at request time. */
@Injectable()
export class WorkerHealthService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(PRODUCER_REDIS) private readonly redis: Redis,
    metrics: WorkerMetrics,
  ) {
    metrics.watch(() => this.gauges());
  }

  async gauges(): Promise<WorkerGauges> {
    const table = this.dataSource.getMetadata(AuditOutboxEntity).tableName;
    const [outboxPending, redisUp] = await Promise.all([
      // Served by the partial index on pending rows, so it stays cheap however large the outbox grows.
      withTimeout(
        this.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE relayed_at IS NULL`) as Promise<{ n: number }[]>,
        'PostgreSQL',
      ).then(
        (rows) => rows[0]!.n,
        () => null,
      ),
      withTimeout(this.redis.ping(), 'Redis').then(
        () => true,
        () => false,
      ),
    ]);
    return { outboxPending, databaseUp: outboxPending !== null, redisUp };
  }

  async check(): Promise<WorkerHealth> {
    const { outboxPending, databaseUp, redisUp } = await this.gauges();
    return {
      status: databaseUp && redisUp ? 'ok' : 'degraded',
      database: databaseUp ? 'up' : 'down',
      redis: redisUp ? 'up' : 'down',
      outboxPending,
    };
  }
}
