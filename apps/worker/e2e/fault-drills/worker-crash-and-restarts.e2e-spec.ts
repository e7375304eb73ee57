import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AuditEvent } from '@consentry/audit';
import { loadWorkerConfig } from '@consentry/config';
import { createTestDatabase, PrivatePostgres, PrivateRedis, startPrivatePostgres, startPrivateRedis, TestDatabase } from '@consentry/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { AuditOutboxRelay } from '../../src/audit/audit-outbox.relay.js';
import { WorkerMetrics } from '../../src/health/worker.metrics.js';
import { chainedCount, DRILL_AUDIT_ENV, expectExactlyChained, recordActions } from './support/drill-fixtures.js';
import { startWorkerProcess, WorkerProcess } from './support/worker-process.js';

// Every drill runs on a PostgreSQL and a Redis of its own (free ports, temp dirs): the shared servers
// are never stopped, killed or flushed.
describe('fault drills: a worker process through crashes and restarts', () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let db: TestDatabase;
  let dataDir: string;
  const expected: AuditEvent[] = [];
  const running: WorkerProcess[] = [];

  function workerEnv(redisUrl = redis.url): Record<string, string> {
    return {
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: 'drill',
      WORKER_PORT: '0',
      CONSENTRY_DATA_DIR: dataDir,
      ...DRILL_AUDIT_ENV,
    };
  }

  /** expectExactlyChained, with what the workers printed and the outbox's state when it fails. */
  async function expectChained(): Promise<void> {
    try {
      await expectExactlyChained(db.dataSource, expected);
    } catch (error) {
      const [outbox] = await db.dataSource.query(
        `SELECT count(*)::int AS rows, count(*) FILTER (WHERE relayed_at IS NULL)::int AS pending FROM audit_outbox`,
      );
      const output = running.map((worker) => worker.output().slice(-3000)).join('\n---\n');
      throw new Error(`${(error as Error).message}\noutbox: ${JSON.stringify(outbox)}\nworkers:\n${output}`, { cause: error });
    }
  }

  async function startWorker(redisUrl?: string): Promise<WorkerProcess> {
    const worker = await startWorkerProcess(workerEnv(redisUrl));
    running.push(worker);
    return worker;
  }

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    db = await createTestDatabase('drill_crash', postgres.url);
    dataDir = await mkdtemp(join(tmpdir(), 'consentry-drill-'));
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((worker) => worker.kill()));
  });

  afterAll(async () => {
    await db?.drop().catch(() => undefined);
    await Promise.all([postgres?.destroy(), redis?.destroy()]);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('loses and duplicates nothing when the worker is killed -9 mid-batch', async () => {
    expected.push(...(await recordActions(db.dataSource, 1_500, 25, 'kill')));
    const victim = await startWorker();
    await vi.waitFor(async () => expect(await chainedCount(db.dataSource)).toBeGreaterThanOrEqual(200), { timeout: 45_000, interval: 10 });
    await victim.kill();
    const atKill = await chainedCount(db.dataSource);
    expect(atKill).toBeLessThan(1_500);

    // The successor relays what is pending and, once the lock runs out, re-runs the dead one's batch.
    await startWorker();
    await expectExactlyChained(db.dataSource, expected);
  });

  it('keeps consuming after Redis is stopped with events pending and started again', async () => {
    const worker = await startWorker();
    expected.push(...(await recordActions(db.dataSource, 100, 10, 'before-redis-stop')));
    await expectExactlyChained(db.dataSource, expected);

    await redis.stop();
    expected.push(...(await recordActions(db.dataSource, 300, 10, 'while-redis-down')));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const [pending] = await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_outbox WHERE relayed_at IS NULL`);
    expect(pending.n).toBe(300);

    await redis.start();
    await expectExactlyChained(db.dataSource, expected);
    // The BullMQ trap: a worker that reconnected but no longer takes jobs. Same process, new events.
    expected.push(...(await recordActions(db.dataSource, 100, 10, 'after-redis-start')));
    await expectExactlyChained(db.dataSource, expected);
    expect(worker.output()).not.toMatch(/chain batch failed/);
  });

  it('chains events whose jobs Redis lost after the relay marked them relayed', async () => {
    // A Redis without persistence: a kill -9 loses every queued job.
    const volatile = await startPrivateRedis({ appendOnly: false });
    const producer = new Redis(volatile.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    producer.on('error', () => undefined);
    try {
      expected.push(...(await recordActions(db.dataSource, 120, 10, 'lost-by-redis')));
      const config = loadWorkerConfig({ ...workerEnv(volatile.url), AUDIT_BATCH_SIZE: '500' });
      const relay = new AuditOutboxRelay(config, db.dataSource, producer, new WorkerMetrics());
      expect(await relay.relayOnce()).toBe(120);
      await relay.onModuleDestroy();
      await volatile.kill();
      await volatile.start();

      const worker = await startWorker(volatile.url);
      await expectExactlyChained(db.dataSource, expected);
      expect(worker.output()).toContain('120 audit events were relayed but never chained (lost by the queue): relaying them again');
    } finally {
      producer.disconnect();
      await volatile.destroy();
    }
  });

  it('rides through a PostgreSQL restart and a PostgreSQL crash', async () => {
    await startWorker();
    expected.push(...(await recordActions(db.dataSource, 300, 10, 'before-pg-restart')));
    await postgres.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await postgres.start();
    await expectChained();

    expected.push(...(await recordActions(db.dataSource, 300, 10, 'before-pg-crash')));
    await postgres.kill();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await postgres.start();
    await expectChained();
  });
});
