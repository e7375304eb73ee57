import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AuditEvent } from '@consentry/audit';
import { createTestDatabase, PrivateRedis, PrivateSentinel, startPrivateRedis, startPrivateSentinel, TestDatabase } from '@consentry/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { DRILL_AUDIT_ENV, expectExactlyChained, recordActions } from './support/drill-fixtures.js';
import { startWorkerProcess, WorkerProcess } from './support/worker-process.js';

const NAME = 'consentry-drill';

/**
 * Redis behind Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME): a primary, a replica and three sentinels of
 * the drill's own on free ports. A worker process follows the primary the sentinels name; the primary is
 * killed (SIGKILL) while audit events flow, the sentinels promote the replica, and every event recorded
 * before, during and after the failover is chained exactly once: nothing queued is lost.
 */
describe('fault drills: Redis Sentinel failover under a worker', () => {
  let primary: PrivateRedis;
  let replica: PrivateRedis;
  const sentinels: PrivateSentinel[] = [];
  let db: TestDatabase;
  let dataDir: string;
  let worker: WorkerProcess | undefined;

  async function primaryPort(): Promise<number> {
    const client = new Redis({ port: sentinels[0]!.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const [, port] = (await client.call('SENTINEL', 'get-master-addr-by-name', NAME)) as [string, string];
      return Number(port);
    } finally {
      client.disconnect();
    }
  }

  beforeAll(async () => {
    primary = await startPrivateRedis();
    replica = await startPrivateRedis({ replicaOf: { port: primary.port } });
    for (let i = 0; i < 3; i++) sentinels.push(await startPrivateSentinel({ primaryPort: primary.port, name: NAME, quorum: 2 }));
    // The replica has synced, and every sentinel knows it (it is what they will promote).
    await vi.waitFor(async () => {
      const client = new Redis(replica.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await client.connect();
        expect(await client.info('replication')).toContain('master_link_status:up');
      } finally {
        client.disconnect();
      }
    }, { timeout: 20_000, interval: 100 });
    db = await createTestDatabase('drill_sentinel');
    dataDir = await mkdtemp(join(tmpdir(), 'consentry-drill-sentinel-'));
  });

  afterAll(async () => {
    await worker?.kill();
    await db?.drop().catch(() => undefined);
    for (const sentinel of sentinels) await sentinel.stop();
    await Promise.all([primary?.destroy(), replica?.destroy()]);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('chains every event recorded before, during and after the primary is killed and the replica promoted', async () => {
    worker = await startWorkerProcess({
      DATABASE_URL: db.url,
      // Unused for the address: the sentinels name the primary.
      REDIS_URL: 'redis://127.0.0.1:1',
      REDIS_SENTINELS: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
      REDIS_SENTINEL_NAME: NAME,
      REDIS_PREFIX: 'drill',
      WORKER_PORT: '0',
      CONSENTRY_DATA_DIR: dataDir,
      ...DRILL_AUDIT_ENV,
    });
    const expected: AuditEvent[] = [];
    expected.push(...(await recordActions(db.dataSource, 200, 10, 'before')));
    await expectExactlyChained(db.dataSource, expected);
    expect(await primaryPort()).toBe(primary.port);

    await primary.kill();
    // While the sentinels agree the primary is down and promote the replica, the API keeps recording.
    expected.push(...(await recordActions(db.dataSource, 200, 10, 'during')));
    await vi.waitFor(async () => expect(await primaryPort()).toBe(replica.port), { timeout: 30_000, interval: 200 });
    expected.push(...(await recordActions(db.dataSource, 200, 10, 'after')));

    await expectExactlyChained(db.dataSource, expected);
    // The worker now queues on the promoted replica.
    const promoted = new Redis(replica.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await promoted.connect();
      expect(await promoted.info('replication')).toContain('role:master');
      expect((await promoted.keys('drill:*')).length).toBeGreaterThan(0);
    } finally {
      promoted.disconnect();
    }
  });
});
