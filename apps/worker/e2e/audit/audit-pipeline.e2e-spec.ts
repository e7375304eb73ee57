import { AUDIT_BATCH_JOB, AUDIT_QUEUE, AuditEvent, AuditEventInput, recordAuditEvents, verifyAuditChain } from '@consentry/audit';
import type { WorkerConfig } from '@consentry/config';
import { createTestDatabase, createTestRedis, TestDatabase, TestRedis } from '@consentry/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { AUDIT_BATCH_JOB_OPTIONS } from '../../src/audit/audit.jobs.js';
import { RunningWorker, startWorker } from '../../src/worker.bootstrap.js';
import { workerTestConfig } from '../support/worker-test-config.js';

const WAIT = { timeout: 20_000, interval: 50 };

function consentEvent(n: number): AuditEventInput {
  return {
    type: 'consent.created',
    actor: { type: 'tpp', id: 'tpp-pipeline' },
    clientId: 'tpp-pipeline',
    consentId: `aac-${n}`,
    interactionId: `interaction-${n}`,
    data: { permissions: ['ReadAccountsBasic'], n },
  };
}

describe('audit pipeline: outbox -> relay -> queue -> chain writer', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let config: WorkerConfig;
  // Two workers on one database and one queue: relays share the outbox, chain writers take turns.
  const workers: RunningWorker[] = [];
  const recorded: AuditEvent[] = [];
  let rolledBack: AuditEvent | undefined;

  async function record(count: number, perTransaction: number): Promise<void> {
    for (let i = 0; i < count; i += perTransaction) {
      const inputs = Array.from({ length: Math.min(perTransaction, count - i) }, (_, k) => consentEvent(recorded.length + k));
      recorded.push(...(await recordInTransaction(inputs)));
    }
  }

  function recordInTransaction(inputs: AuditEventInput[]): Promise<AuditEvent[]> {
    return db.dataSource.transaction((manager) => recordAuditEvents(manager, inputs));
  }

  async function logCount(): Promise<number> {
    const [row] = await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log`);
    return row.n;
  }

  async function pendingCount(): Promise<number> {
    const [row] = await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_outbox WHERE relayed_at IS NULL`);
    return row.n;
  }

  beforeAll(async () => {
    db = await createTestDatabase('audit_pipeline');
    redis = createTestRedis('audit-pipeline');
    config = workerTestConfig(db, redis, {
      // Small batches, so 25 events take several full batches and one partial one.
      AUDIT_BATCH_SIZE: '7',
    });

    await record(25, 5);
    await expect(
      db.dataSource.transaction(async (manager) => {
        [rolledBack] = await recordAuditEvents(manager, [consentEvent(999)]);
        throw new Error('the change this event describes failed');
      }),
    ).rejects.toThrow();

    workers.push(await startWorker(config), await startWorker(config));
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    await db?.drop();
    await redis?.cleanup();
  });

  it('chains every committed event exactly once, in a chain that verifies', async () => {
    await vi.waitFor(async () => expect(await logCount()).toBe(recorded.length), WAIT);

    const rows: { seq: string; event_id: string; client_id: string; consent_id: string }[] = await db.dataSource.query(
      `SELECT seq, event_id, client_id, consent_id FROM audit_log ORDER BY seq`,
    );
    expect(rows.map((row) => Number(row.seq))).toEqual(Array.from({ length: recorded.length }, (_, i) => i + 1));
    expect(new Set(rows.map((row) => row.event_id))).toEqual(new Set(recorded.map((event) => event.eventId)));
    expect(rows.every((row) => row.client_id === 'tpp-pipeline' && row.consent_id.startsWith('aac-'))).toBe(true);

    const verification = await verifyAuditChain(db.dataSource, { batchSize: 4 });
    expect(verification).toMatchObject({ ok: true, entries: recorded.length });
    expect(await pendingCount()).toBe(0);
  });

  it('never chains the event of a rolled-back transaction', async () => {
    expect(rolledBack).toBeDefined();
    const inLog = await db.dataSource.query(`SELECT 1 FROM audit_log WHERE event_id = $1`, [rolledBack!.eventId]);
    const inOutbox = await db.dataSource.query(`SELECT 1 FROM audit_outbox WHERE event_id = $1`, [rolledBack!.eventId]);
    expect(inLog).toEqual([]);
    expect(inOutbox).toEqual([]);
  });

  it('chains events recorded while it runs after the earlier ones', async () => {
    const before = recorded.length;
    await record(10, 1);
    await vi.waitFor(async () => expect(await logCount()).toBe(before + 10), WAIT);
    await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: true, entries: before + 10 });
  });

  it('writes nothing twice when the outbox is relayed again', async () => {
    const before = await logCount();
    await db.dataSource.query(`UPDATE audit_outbox SET relayed_at = NULL`);
    await vi.waitFor(async () => expect(await pendingCount()).toBe(0), WAIT);

    // A delivery BullMQ cannot de-duplicate (another job id) must be skipped by the chain writer.
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(AUDIT_QUEUE, { connection, prefix: redis.prefix });
    try {
      const replay = await queue.add(AUDIT_BATCH_JOB, { events: recorded.slice(0, 5) }, { jobId: 'replayed-batch' });
      await vi.waitFor(async () => expect(await replay.getState()).toBe('completed'), WAIT);
      const finished = await queue.getJob('replayed-batch');
      expect(finished!.returnvalue).toEqual({ chained: 0, duplicates: 5, firstSeq: null, lastSeq: null });
    } finally {
      await queue.close();
      connection.disconnect();
    }

    expect(await logCount()).toBe(before);
    const [duplicates] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM (SELECT event_id FROM audit_log GROUP BY event_id HAVING count(*) > 1) d`,
    );
    expect(duplicates.n).toBe(0);
    await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: true, entries: before });
  });

  it('fails a malformed batch at once instead of retrying it', async () => {
    const before = await logCount();
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(AUDIT_QUEUE, { connection, prefix: redis.prefix });
    try {
      const job = await queue.add(
        AUDIT_BATCH_JOB,
        { events: [{ ...recorded[0]!, eventId: 'not-a-uuid' }] },
        { ...AUDIT_BATCH_JOB_OPTIONS, jobId: 'malformed-batch' },
      );
      await vi.waitFor(async () => expect(await job.getState()).toBe('failed'), WAIT);
      const failed = await queue.getJob('malformed-batch');
      expect(failed!.failedReason).toBe('event 0 has no UUID eventId');
      expect(failed!.attemptsMade).toBe(1);
    } finally {
      await queue.close();
      connection.disconnect();
    }
    expect(await logCount()).toBe(before);
  });

  it('reports its health as JSON', async () => {
    const response = await fetch(`http://127.0.0.1:${workers[0]!.port}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toEqual({ status: 'ok', database: 'up', redis: 'up', outboxPending: 0 });
  });

  it('exposes Prometheus metrics whose chained totals add up to the log', async () => {
    let chained = 0;
    for (const worker of workers) {
      const response = await fetch(`http://127.0.0.1:${worker.port}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = await response.text();
      expect(text).toMatch(/^consentry_audit_outbox_pending 0$/m);
      expect(text).toMatch(/^consentry_audit_relay_errors_total 0$/m);
      expect(text).toMatch(/^consentry_audit_chain_batches_total\{result="completed"\} \d+$/m);
      chained += Number(/^consentry_audit_events_chained_total (\d+)$/m.exec(text)![1]);
    }
    expect(chained).toBe(await logCount());
  });

  it('answers 404 on any other path', async () => {
    const response = await fetch(`http://127.0.0.1:${workers[0]!.port}/admin`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'not_found' });
  });
});
