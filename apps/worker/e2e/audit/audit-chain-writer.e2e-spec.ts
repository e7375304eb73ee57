import { AuditEvent, recordAuditEvents, verifyAuditChain } from '@consentry/audit';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AUDIT_CHAIN_LOCK_KEY, AuditChainWriter } from '@consentry/audit';

describe('audit chain writer: batches prepared ahead, committed one at a time', () => {
  let db: TestDatabase;

  async function record(count: number, label: string): Promise<AuditEvent[]> {
    const inputs = Array.from({ length: count }, (_, n) => ({
      type: 'data.accessed' as const,
      actor: { type: 'tpp' as const, id: 'tpp-writer' },
      clientId: 'tpp-writer',
      consentId: `aac-${label}-${n}`,
      data: { label, n },
    }));
    return db.dataSource.transaction((manager) => recordAuditEvents(manager, inputs));
  }

  const ids = (events: AuditEvent[]) => events.map((event) => event.eventId);

  beforeAll(async () => {
    db = await createTestDatabase('audit_chain_writer');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('commits batches handed to it at once in the order they came', async () => {
    const writer = new AuditChainWriter(db.dataSource);
    const [first, second, third] = [await record(40, 'first'), await record(3, 'second'), await record(25, 'third')];
    const results = await Promise.all([writer.appendFromOutbox(ids(first)), writer.appendFromOutbox(ids(second)), writer.appendFromOutbox(ids(third))]);
    expect(results.map((result) => [result.firstSeq, result.lastSeq])).toEqual([
      ['1', '40'],
      ['41', '43'],
      ['44', '68'],
    ]);
    const chained: { event_id: string }[] = await db.dataSource.query(`SELECT event_id FROM audit_log ORDER BY seq`);
    expect(chained.map((row) => row.event_id)).toEqual(ids([...first, ...second, ...third]));
    await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: true, entries: 68 });
  });

  it('chains a batch once when two writers (two processes) prepared it at the same time', async () => {
    const batch = await record(30, 'twice');
    const results = await Promise.all([
      new AuditChainWriter(db.dataSource).appendFromOutbox(ids(batch)),
      new AuditChainWriter(db.dataSource).appendFromOutbox(ids(batch)),
    ]);
    expect(results.map((result) => result.chained).sort()).toEqual([0, 30]);
    expect(results.map((result) => result.duplicates).sort()).toEqual([0, 30]);
    const [stats] = await db.dataSource.query(
      `SELECT count(*)::int AS entries, count(DISTINCT event_id)::int AS distinct_events,
              (SELECT count(*)::int FROM audit_outbox) AS outbox FROM audit_log`,
    );
    expect(stats).toEqual({ entries: 98, distinct_events: 98, outbox: 0 });
    await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: true, entries: 98 });
  });

  it('goes on with the next batch after one fails', async () => {
    const writer = new AuditChainWriter(db.dataSource);
    const good = await record(5, 'after-failure');
    const failing = writer.appendFromOutbox(['not-a-uuid']);
    const next = writer.appendFromOutbox(ids(good));
    await expect(failing).rejects.toThrow();
    await expect(next).resolves.toMatchObject({ chained: 5, duplicates: 0, firstSeq: '99', lastSeq: '103' });
  });

  it('answers a batch whose read fails while the batch ahead still commits with that failure, not an unhandled rejection', async () => {
    // An unhandled rejection ends a Node process: the worker died this way when PostgreSQL restarted
    // under a backlog (the read of the next batch failed before its turn came).
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const holder = db.dataSource.createQueryRunner();
    await holder.connect();
    try {
      // The batch ahead waits for the chain lock, held here as another writer would hold it.
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [AUDIT_CHAIN_LOCK_KEY]);
      const writer = new AuditChainWriter(db.dataSource);
      const ahead = writer.appendFromOutbox(ids(await record(2, 'ahead')));
      // The next batch's read fails at once (not a uuid), long before its turn.
      const broken = writer.appendFromOutbox(['not-a-uuid']);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(unhandled).toEqual([]);
      await holder.query('SELECT pg_advisory_unlock_all()');
      await expect(ahead).resolves.toMatchObject({ chained: 2 });
      await expect(broken).rejects.toThrow(/uuid/);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await holder.query('SELECT pg_advisory_unlock_all()');
      await holder.release();
    }
  });
});
