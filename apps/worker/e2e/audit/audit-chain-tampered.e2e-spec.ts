import { randomUUID } from 'node:crypto';

import { AUDIT_GENESIS_HASH, AuditEvent, computeAuditEntryHash, verifyAuditChain } from '@consentry/audit';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { AuditChainWriter } from '@consentry/audit';

function auditEvent(n: number): AuditEvent {
  return {
    eventId: randomUUID(),
    type: n % 2 === 0 ? 'consent.authorised' : 'data.accessed',
    occurredAt: new Date(Date.UTC(2026, 10, 20, 10, 0, n)).toISOString(),
    actor: { type: 'psu', id: 'psu-1' },
    clientId: 'tpp-1',
    psuId: 'psu-1',
    consentId: `aac-${n}`,
    data: { n, note: 'ünïcode and "quotes"', nested: { z: 1, a: [true, null, 1.5] } },
  };
}

describe('verifyAuditChain against a tampered audit_log', () => {
  let db: TestDatabase;
  let writer: AuditChainWriter;

  // The trigger refuses UPDATE and DELETE; a malicious DBA would switch it off first, and so do we.
  async function asMaliciousDba(sql: string, params: unknown[] = []): Promise<void> {
    await db.dataSource.query(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`);
    try {
      await db.dataSource.query(sql, params);
    } finally {
      await db.dataSource.query(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`);
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase('audit_chain_tampered');
    writer = new AuditChainWriter(db.dataSource);
  });

  afterAll(async () => db?.drop());

  beforeEach(async () => {
    await asMaliciousDba(`DELETE FROM audit_log`);
    // Three batches, so the chain crosses batch boundaries as it does in production.
    await writer.append([auditEvent(1), auditEvent(2)]);
    await writer.append([auditEvent(3), auditEvent(4), auditEvent(5)]);
    await writer.append([auditEvent(6)]);
  });

  it('verifies an intact chain across several read batches and returns its head', async () => {
    const [head] = await db.dataSource.query(`SELECT hash FROM audit_log WHERE seq = 6`);
    await expect(verifyAuditChain(db.dataSource, { batchSize: 4 })).resolves.toEqual({
      ok: true,
      entries: 6,
      headHash: head.hash,
    });
  });

  it('verifies an empty log with the genesis hash as its head', async () => {
    await asMaliciousDba(`DELETE FROM audit_log`);
    await expect(verifyAuditChain(db.dataSource)).resolves.toEqual({ ok: true, entries: 0, headHash: AUDIT_GENESIS_HASH });
  });

  it('names the entry whose event was edited', async () => {
    await asMaliciousDba(`UPDATE audit_log SET event = jsonb_set(event, '{data,n}', '42') WHERE seq = 3`);
    await expect(verifyAuditChain(db.dataSource, { batchSize: 2 })).resolves.toEqual({
      ok: false,
      entries: 2,
      firstBrokenSeq: 3n,
      reason: 'hash does not match the entry content',
    });
  });

  it('names the entry after one whose hash was recomputed to hide an edit', async () => {
    const [row] = await db.dataSource.query(
      `SELECT seq, event_id, event_type, occurred_at, event, prev_hash FROM audit_log WHERE seq = 3`,
    );
    const event = { ...row.event, type: 'consent.rejected' };
    const forged = computeAuditEntryHash(row.prev_hash, {
      seq: 3n,
      eventId: row.event_id,
      type: 'consent.rejected',
      occurredAt: row.occurred_at.toISOString(),
      event,
    });
    await asMaliciousDba(`UPDATE audit_log SET event_type = 'consent.rejected', event = $1, hash = $2 WHERE seq = 3`, [
      JSON.stringify(event),
      forged,
    ]);
    await expect(verifyAuditChain(db.dataSource)).resolves.toEqual({
      ok: false,
      entries: 3,
      firstBrokenSeq: 4n,
      reason: 'prev_hash does not match the hash of entry 3',
    });
  });

  it('names the entry that was deleted', async () => {
    await asMaliciousDba(`DELETE FROM audit_log WHERE seq = 4`);
    await expect(verifyAuditChain(db.dataSource)).resolves.toEqual({
      ok: false,
      entries: 3,
      firstBrokenSeq: 4n,
      reason: 'entry 4 is missing (the next entry is 5)',
    });
  });

  it('names the entry whose occurred_at column was moved', async () => {
    await asMaliciousDba(`UPDATE audit_log SET occurred_at = occurred_at - interval '1 day' WHERE seq = 5`);
    await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: false, firstBrokenSeq: 5n, entries: 4 });
  });

  it('names the entry whose occurred_at column was moved by less than a millisecond', async () => {
    await asMaliciousDba(`UPDATE audit_log SET occurred_at = occurred_at + interval '999 microseconds' WHERE seq = 3`);
    await expect(verifyAuditChain(db.dataSource)).resolves.toEqual({ ok: false, firstBrokenSeq: 3n, entries: 2, reason: 'occurred_at does not match the hashed instant' });
  });

  it('names the entry whose lookup column no longer matches its event', async () => {
    await asMaliciousDba(`UPDATE audit_log SET consent_id = 'aac-other' WHERE seq = 2`);
    await expect(verifyAuditChain(db.dataSource)).resolves.toEqual({
      ok: false,
      entries: 1,
      firstBrokenSeq: 2n,
      reason: 'consent_id does not match the hashed event',
    });
  });

  it('refuses an entry below seq 1, and names one the owner forced in (it was shown by the searches, never verified)', async () => {
    const forged = auditEvent(99);
    const hash = computeAuditEntryHash(AUDIT_GENESIS_HASH, { seq: 0n, eventId: forged.eventId, type: forged.type, occurredAt: forged.occurredAt, event: forged });
    const insert = (seq: number): Promise<unknown> =>
      db.dataSource.query(
        `INSERT INTO audit_log (seq, event_id, event_type, occurred_at, recorded_at, client_id, psu_id, consent_id, event, prev_hash, hash)
         VALUES ($1, $2, $3, $4, now(), $5, $6, $7, $8, $9, $10)`,
        [seq, forged.eventId, forged.type, forged.occurredAt, forged.clientId, forged.psuId, forged.consentId, JSON.stringify(forged), AUDIT_GENESIS_HASH, hash],
      );
    // An append needs no trigger switched off: PostgreSQL refuses the seq (audit_log_seq_positive).
    await expect(insert(0)).rejects.toThrow(/audit_log_seq_positive/);
    await expect(insert(-7)).rejects.toThrow(/audit_log_seq_positive/);
    // The owner may drop the constraint: the walk names the entry below the chain.
    await db.dataSource.query(`ALTER TABLE audit_log DROP CONSTRAINT audit_log_seq_positive`);
    try {
      await insert(0);
      await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: false, firstBrokenSeq: 0n });
      await asMaliciousDba(`DELETE FROM audit_log WHERE seq = 0`);
    } finally {
      await db.dataSource.query(`ALTER TABLE audit_log ADD CONSTRAINT audit_log_seq_positive CHECK (seq >= 1)`);
    }
    await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: true });
  });

  it('verifies from a given seq, trusting the entry before it', async () => {
    await asMaliciousDba(`UPDATE audit_log SET event = jsonb_set(event, '{data,n}', '42') WHERE seq = 2`);
    await expect(verifyAuditChain(db.dataSource, { fromSeq: 4 })).resolves.toMatchObject({ ok: true, entries: 3 });
    await expect(verifyAuditChain(db.dataSource, { fromSeq: 2 })).resolves.toMatchObject({ ok: false, firstBrokenSeq: 2n });
  });

  it('appends nothing for events already in the log', async () => {
    const [row] = await db.dataSource.query(`SELECT event FROM audit_log WHERE seq = 1`);
    await expect(writer.append([row.event, row.event])).resolves.toEqual({
      chained: 0,
      duplicates: 2,
      firstSeq: null,
      lastSeq: null,
    });
    await expect(verifyAuditChain(db.dataSource)).resolves.toMatchObject({ ok: true, entries: 6 });
  });
});
