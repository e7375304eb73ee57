import { loadWorkerConfig, type WorkerConfig } from '@consentry/config';
import type { TestDatabase, TestRedis } from '@consentry/testing';

/**
 * The worker's configuration as the e2e suites start it: the suite's own database and Redis prefix, an
 * ephemeral health port, the audit relay every 20 ms, no audit checkpoints (the suites that test them
 * turn them on) and warnings only. `overrides` adds or replaces any variable libs/config reads, through
 * the same loader (and its validation) as production.
 */
export function workerTestConfig(db: Pick<TestDatabase, 'url'>, redis: Pick<TestRedis, 'url' | 'prefix'>, overrides: Record<string, string> = {}): WorkerConfig {
  return loadWorkerConfig({
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    WORKER_PORT: '0',
    AUDIT_RELAY_INTERVAL_MS: '20',
    AUDIT_CHECKPOINT_INTERVAL_MS: '0',
    LOG_LEVEL: 'warn',
    ...overrides,
  });
}
