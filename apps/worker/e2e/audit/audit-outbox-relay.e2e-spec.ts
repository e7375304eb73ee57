import { AUDIT_QUEUE, AuditBatchJobData, AuditEvent, recordAuditEvents } from '@consentry/audit';
import { loadWorkerConfig } from '@consentry/config';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { AuditChainWriter } from '@consentry/audit';
import { AuditOutboxRelay } from '../../src/audit/audit-outbox.relay.js';
import { WorkerMetrics } from '../../src/health/worker.metrics.js';

const WAIT = { timeout: 10_000, interval: 20 };

describe('audit outbox relay: batches of event ids, sized by the chain writer', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let connection: Redis;
  let queue: Queue<AuditBatchJobData>;
  let relay: AuditOutboxRelay;
  const recorded: AuditEvent[] = [];

  async function outboxRows(): Promise<{ pending: number; relayed: number }> {
    const [row] = await db.dataSource.query(
      `SELECT count(*) FILTER (WHERE relayed_at IS NULL)::int AS pending, count(relayed_at)::int AS relayed FROM audit_outbox`,
    );
    return row;
  }

  beforeAll(async () => {
    db = await createTestDatabase('audit_relay');
    redis = createTestRedis('audit-relay');
    connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    queue = new Queue<AuditBatchJobData>(AUDIT_QUEUE, { connection, prefix: redis.prefix });
    const config = loadWorkerConfig({
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      AUDIT_RELAY_INTERVAL_MS: '10',
      AUDIT_BATCH_SIZE: '7',
    });
    for (let i = 0; i < 30; i += 10) {
      const inputs = Array.from({ length: 10 }, (_, k) => ({
        type: 'consent.created' as const,
        actor: { type: 'tpp' as const, id: 'tpp-relay' },
        clientId: 'tpp-relay',
        consentId: `aac-relay-${i + k}`,
        data: { n: i + k },
      }));
      recorded.push(...(await db.dataSource.transaction((manager) => recordAuditEvents(manager, inputs))));
    }
    // No chain writer consumes the queue: what the relay does on its own stays visible.
    relay = new AuditOutboxRelay(config, db.dataSource, connection, new WorkerMetrics());
    relay.start();
  });

  afterAll(async () => {
    await relay?.onModuleDestroy();
    await queue?.close();
    connection?.disconnect();
    await db?.drop();
    await redis?.cleanup();
  });

  it('queues one batch of the oldest event ids and holds the rest back while it waits', async () => {
    await vi.waitFor(async () => expect(await queue.getWaitingCount()).toBe(1), WAIT);
    // Several polls later the relay still has not queued a second batch behind the first.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const jobs = await queue.getWaiting();
    expect(jobs.map((job) => job.data)).toEqual([{ eventIds: recorded.slice(0, 7).map((event) => event.eventId) }]);
    expect(await outboxRows()).toEqual({ pending: 23, relayed: 7 });
  });

  it('leaves the events in the outbox until the chain writer moves them into the log', async () => {
    const [job] = await queue.getWaiting();
    const rows: { event: AuditEvent }[] = await db.dataSource.query(`SELECT event FROM audit_outbox ORDER BY created_seq LIMIT 7`);
    expect(rows.map((row) => row.event)).toEqual(recorded.slice(0, 7));

    await job!.remove();
    const writer = new AuditChainWriter(db.dataSource);
    await expect(writer.appendFromOutbox((job!.data as { eventIds: string[] }).eventIds)).resolves.toEqual({
      chained: 7,
      duplicates: 0,
      firstSeq: '1',
      lastSeq: '7',
    });
    const [log] = await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log`);
    expect(log.n).toBe(7);
  });

  it('takes everything that piled up, up to a full batch, once the waiting batch is taken', async () => {
    await vi.waitFor(async () => expect(await queue.getWaitingCount()).toBe(1), WAIT);
    const [job] = await queue.getWaiting();
    expect(job!.data).toEqual({ eventIds: recorded.slice(7, 14).map((event) => event.eventId) });
    // The job is added before the relay's transaction commits the rows as relayed.
    await vi.waitFor(async () => expect(await outboxRows()).toEqual({ pending: 16, relayed: 7 }), WAIT);
  });

  it('treats ids whose rows are gone as chained already', async () => {
    const writer = new AuditChainWriter(db.dataSource);
    await expect(writer.appendFromOutbox(recorded.slice(0, 3).map((event) => event.eventId))).resolves.toEqual({
      chained: 0,
      duplicates: 3,
      firstSeq: null,
      lastSeq: null,
    });
  });
});
