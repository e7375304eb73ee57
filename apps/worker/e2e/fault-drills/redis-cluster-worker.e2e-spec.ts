import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createTestDatabase, PrivateRedisCluster, startPrivateRedisCluster, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DRILL_AUDIT_ENV, expectExactlyChained, recordActions } from './support/drill-fixtures.js';
import { startWorkerProcess, WorkerProcess } from './support/worker-process.js';

const PREFIX = '{drill}';

/**
 * BullMQ on a real three-master Redis Cluster (REDIS_CLUSTER_NODES): two worker processes relay, queue
 * and chain audit events through it; every queue key sits under the prefix's hash tag, on one node.
 */
describe('fault drills: workers on a Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let db: TestDatabase;
  let dataDir: string;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster();
    db = await createTestDatabase('drill_cluster');
    dataDir = await mkdtemp(join(tmpdir(), 'consentry-drill-cluster-'));
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.kill()));
    await db?.drop().catch(() => undefined);
    await cluster?.destroy();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('chains every event once through BullMQ on the cluster, its queues on one slot', async () => {
    const env = { DATABASE_URL: db.url, REDIS_CLUSTER_NODES: cluster.nodes.join(','), REDIS_PREFIX: PREFIX, WORKER_PORT: '0', CONSENTRY_DATA_DIR: dataDir, ...DRILL_AUDIT_ENV };
    workers.push(await startWorkerProcess(env), await startWorkerProcess(env));
    const expected = await recordActions(db.dataSource, 300, 10, 'cluster');
    await expectExactlyChained(db.dataSource, expected);
    const owners: string[] = [];
    for (const [node, keys] of await cluster.keysByNode()) {
      expect(keys.every((key) => key.startsWith(`${PREFIX}:`))).toBe(true);
      if (keys.some((key) => key.includes('audit'))) owners.push(node);
    }
    expect(owners).toHaveLength(1);
  });
});
