import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AUDIT_BATCH_JOB, AUDIT_QUEUE, AuditBatchJobData, AuditEvent, buildAuditEvent, readAuditCheckpoints, verifyAuditChain } from '@consentry/audit';
import { createTestDatabase, PrivatePostgres, PrivateRedis, startPrivatePostgres, startPrivateRedis, TestDatabase } from '@consentry/testing';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { CryptoKey, importJWK, JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { AUDIT_BATCH_JOB_OPTIONS, auditBatchJobId } from '../../src/audit/audit.jobs.js';
import { SANDBOX_CHECKPOINT_PUBLIC_KEY_FILE } from '../../src/audit/audit-checkpoint.writer.js';
import { chainedCount, DRILL_WAIT, expectExactlyChained, recordActions } from './support/drill-fixtures.js';
import { startWorkerProcess, WorkerProcess } from './support/worker-process.js';

describe('fault drills: two worker processes and the BullMQ traps', () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let db: TestDatabase;
  let dataDir: string;
  let connection: Redis;
  let queue: Queue<AuditBatchJobData>;
  let queueEvents: QueueEvents;
  let eventsConnection: Redis;
  const workers: WorkerProcess[] = [];
  const expected: AuditEvent[] = [];

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    db = await createTestDatabase('drill_two_workers', postgres.url);
    dataDir = await mkdtemp(join(tmpdir(), 'consentry-drill-'));
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: 'drill',
      WORKER_PORT: '0',
      CONSENTRY_DATA_DIR: dataDir,
      AUDIT_RELAY_INTERVAL_MS: '20',
      AUDIT_BATCH_SIZE: '40',
      AUDIT_JOB_LOCK_MS: '2000',
      AUDIT_CHECKPOINT_INTERVAL_MS: '200',
      CONSENT_EXPIRY_INTERVAL_MS: '3600000',
    };
    workers.push(...(await Promise.all([startWorkerProcess(env), startWorkerProcess(env)])));
    connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    queue = new Queue<AuditBatchJobData>(AUDIT_QUEUE, { connection, prefix: 'drill' });
    eventsConnection = connection.duplicate();
    queueEvents = new QueueEvents(AUDIT_QUEUE, { connection: eventsConnection, prefix: 'drill' });
    await queueEvents.waitUntilReady();
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.kill()));
    await queueEvents?.close();
    await queue?.close();
    connection?.disconnect();
    eventsConnection?.disconnect();
    await db?.drop().catch(() => undefined);
    await Promise.all([postgres?.destroy(), redis?.destroy()]);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('chains every event once with two workers relaying and chaining at the same time', async () => {
    // Writers in parallel, as several API instances would be.
    const batches = await Promise.all([0, 1, 2, 3].map((n) => recordActions(db.dataSource, 500, 5, `parallel-${n}`)));
    expected.push(...batches.flat());
    await expectExactlyChained(db.dataSource, expected);
    for (const worker of workers) expect(worker.output()).toMatch(/^ready \d+$/m);
  });

  it('keeps every event when one of the two is killed -9 while both work', async () => {
    const recording = recordActions(db.dataSource, 1_500, 10, 'one-killed');
    await vi.waitFor(async () => expect(await chainedCount(db.dataSource)).toBeGreaterThan(expected.length + 100), DRILL_WAIT);
    await workers[0]!.kill();
    expected.push(...(await recording));
    await expectExactlyChained(db.dataSource, expected);
  });

  it('chains nothing twice when a batch is delivered twice, as a stalled job is', async () => {
    const chained: { event: AuditEvent }[] = await db.dataSource.query(`SELECT event FROM audit_log ORDER BY seq DESC LIMIT 5`);
    const events = chained.map((row) => row.event);
    // A stalled job runs again under its own id; a re-added copy runs under another. Both are no-ops.
    const first = await queue.add(AUDIT_BATCH_JOB, { events }, { ...AUDIT_BATCH_JOB_OPTIONS, jobId: 'redelivered-1' });
    const second = await queue.add(AUDIT_BATCH_JOB, { events }, { ...AUDIT_BATCH_JOB_OPTIONS, jobId: 'redelivered-2' });
    await expect(first.waitUntilFinished(queueEvents, 20_000)).resolves.toEqual({ chained: 0, duplicates: 5, firstSeq: null, lastSeq: null });
    await expect(second.waitUntilFinished(queueEvents, 20_000)).resolves.toMatchObject({ chained: 0, duplicates: 5 });
    await expectExactlyChained(db.dataSource, expected);
  });

  it('stays exact when removeOnComplete has undone jobId de-duplication', async () => {
    const [fresh] = await recordActionsWithoutRelay();
    const jobId = auditBatchJobId([fresh!.eventId]);
    const options = { ...AUDIT_BATCH_JOB_OPTIONS, jobId, removeOnComplete: true };
    // Listen before adding: a job removed on completion may be gone before waitUntilFinished could look it up.
    const completion = (): Promise<unknown> =>
      new Promise((resolve) => {
        const onCompleted = ({ jobId: id, returnvalue }: { jobId: string; returnvalue: unknown }) => {
          if (id !== jobId) return;
          queueEvents.off('completed', onCompleted);
          resolve(typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue);
        };
        queueEvents.on('completed', onCompleted);
      });
    const onceDone = completion();
    await queue.add(AUDIT_BATCH_JOB, { events: [fresh!] }, options);
    await expect(onceDone).resolves.toMatchObject({ chained: 1, duplicates: 0 });
    expected.push(fresh!);
    // The completed job is gone, so BullMQ accepts the same id again and runs it again.
    await vi.waitFor(async () => expect(await queue.getJob(jobId)).toBeUndefined(), DRILL_WAIT);
    const againDone = completion();
    await queue.add(AUDIT_BATCH_JOB, { events: [fresh!] }, options);
    await expect(againDone).resolves.toMatchObject({ chained: 0, duplicates: 1 });
    await expectExactlyChained(db.dataSource, expected);
  });

  it('signs checkpoints of the head that the verifier checks the chain against', async () => {
    const publicJwk = JSON.parse(await readFile(join(dataDir, SANDBOX_CHECKPOINT_PUBLIC_KEY_FILE), 'utf8')) as JWK;
    const publicKey = await importJWK(publicJwk, 'ES256');
    let checkpoints: Awaited<ReturnType<typeof readAuditCheckpoints>> = [];
    await vi.waitFor(async () => {
      checkpoints = await readAuditCheckpoints(join(dataDir, 'audit-checkpoints'), publicKey as CryptoKey);
      expect(checkpoints.at(-1)?.seq).toBe(BigInt(expected.length));
    }, DRILL_WAIT);
    await expect(verifyAuditChain(db.dataSource, { checkpoints })).resolves.toEqual({
      ok: true,
      entries: expected.length,
      headHash: checkpoints.at(-1)!.hash,
      checkpoints: checkpoints.length,
    });
  });

  /**
   * An audited act delivered by hand: built like the outbox's events but never written there, so the
   * relay cannot race the test with a job of the same id.
   */
  async function recordActionsWithoutRelay(): Promise<AuditEvent[]> {
    return [buildAuditEvent({ type: 'consent.created', actor: { type: 'tpp', id: 'drill-tpp' }, clientId: 'drill-tpp', data: { drill: 'dedupe' } })];
  }
});
