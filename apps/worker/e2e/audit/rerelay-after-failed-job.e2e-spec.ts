import { AUDIT_BATCH_JOB, AUDIT_QUEUE, AuditBatchJobData, AuditEvent, AuditEventInput, recordAuditEvents } from '@consentry/audit';
import type { WorkerConfig } from '@consentry/config';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { AUDIT_BATCH_JOB_OPTIONS, auditBatchJobId } from '../../src/audit/audit.jobs.js';
import { RunningWorker, startWorker } from '../../src/worker.bootstrap.js';
import { workerTestConfig } from '../support/worker-test-config.js';

function consentEvent(n: number): AuditEventInput {
  return {
    type: 'consent.created',
    actor: { type: 'tpp', id: 'tpp-rerelay' },
    clientId: 'tpp-rerelay',
    consentId: `aac-rerelay-${n}`,
    data: { n },
  };
}

/**
 * Rows of a chain batch whose job failed (a worker of the previous release, or its attempts spent) come back
 * through the sweep and are chained. Until 7 December 2026 the relay re-added the batch under the failed
 * job's id, which BullMQ keeps 30 days and dropped the add as a copy of: the rows went round the sweep
 * unchained until the failed job aged out.
 */
describe('the audit relay chains a batch again after its job failed', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let config: WorkerConfig;
  let connection: Redis;
  let queue: Queue<AuditBatchJobData>;
  let running: RunningWorker | undefined;
  let recorded: AuditEvent[] = [];

  async function logCount(): Promise<number> {
    const [row]: { n: number }[] = await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log`);
    return row!.n;
  }

  beforeAll(async () => {
    db = await createTestDatabase('audit_rerelay_failed');
    redis = createTestRedis('audit-rerelay-failed');
    config = workerTestConfig(db, redis, { AUDIT_RESWEEP_GRACE_MS: '1000', AUDIT_RESWEEP_INTERVAL_MS: '200' });
    connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    queue = new Queue<AuditBatchJobData>(AUDIT_QUEUE, { connection, prefix: redis.prefix });
    recorded = await db.dataSource.transaction((manager) => recordAuditEvents(manager, [1, 2, 3].map(consentEvent)));
  });

  afterAll(async () => {
    await running?.close();
    await queue?.close();
    connection?.disconnect();
    await db?.drop();
    await redis?.cleanup();
  });

  it('chains the events of a batch that a worker of the previous release failed as having no events', async () => {
    const eventIds = recorded.map((event) => event.eventId);
    // What the relay does: mark the rows relayed and queue one job of their ids.
    await db.dataSource.query(`UPDATE audit_outbox SET relayed_at = now() WHERE event_id = ANY($1::uuid[])`, [eventIds]);
    await queue.add(AUDIT_BATCH_JOB, { eventIds }, { ...AUDIT_BATCH_JOB_OPTIONS, jobId: auditBatchJobId(eventIds) });

    // A worker of the earlier release (docs/audit.md, "Upgrading") fails the { eventIds } job at once.
    const oldRelease = new Worker<AuditBatchJobData>(
      AUDIT_QUEUE,
      async () => {
        throw new UnrecoverableError('job has no events');
      },
      { connection: new Redis(redis.url, { maxRetriesPerRequest: null }), prefix: redis.prefix },
    );
    await vi.waitFor(async () => expect(await queue.getFailedCount()).toBe(1), { timeout: 10_000, interval: 50 });
    await oldRelease.close();

    // The documented recovery: the new worker's sweep makes the rows pending again after the grace period
    // and its relay sends them anew. They must reach the log.
    running = await startWorker(config);
    await vi.waitFor(async () => expect(await logCount()).toBe(3), { timeout: 15_000, interval: 100 });
  });
});
