import { randomUUID } from 'node:crypto';

import { AuditChainWriter, recordAuditEvent, verifyAuditChain } from '@consentry/audit';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The API's database role may add rows to the audit outbox and nothing else. A row the chain writer cannot
 * hash or store would fail every batch it is relayed with, and keep the real events of those batches out
 * of the log: PostgreSQL refuses such a row from any role (audit_outbox_event_chainable). Until
 * 7 December 2026 a number beyond a JavaScript number's range, a year 0000, a 30 February and deep
 * nesting passed the CHECK, and one such row kept a real event out of the log.
 */
describe('audit outbox: a row the chain writer could not chain is refused at the insert', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('audit_outbox_unchainable');
  });
  afterAll(async () => db?.drop());

  const event = (id: string, occurredAt: string, data: string): string =>
    `{"eventId":"${id}","type":"data.accessed","occurredAt":"${occurredAt}","actor":{"type":"tpp","id":"x"},"data":${data}}`;
  const nested = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  it.each([
    ['a number no JavaScript number holds', event('ID', '2026-11-20T10:00:00Z', '{"n":1e400}')],
    ['a negative one', event('ID', '2026-11-20T10:00:00Z', '{"n":[-2e308]}')],
    ['the year 0000', event('ID', '0000-01-01T00:00:00Z', '{}')],
    ['30 February', event('ID', '2026-02-30T10:00:00Z', '{}')],
    ['nesting 40 levels deep', event('ID', '2026-11-20T10:00:00Z', `{"n":${nested(40)}}`)],
  ])('%s', async (_label, json) => {
    const id = randomUUID();
    await expect(db.dataSource.query(`INSERT INTO audit_outbox (event_id, event) VALUES ($1, $2::jsonb)`, [id, json.replace('ID', id)])).rejects.toThrow(
      /audit_outbox_event_chainable|out of range/,
    );
  });

  it('takes what the writer chains, and chains it with a real event in one batch', async () => {
    const id = randomUUID();
    // Nested 30 levels, numbers up to the largest double, a leap day: all hashable and storable.
    await db.dataSource.query(`INSERT INTO audit_outbox (event_id, event) VALUES ($1, $2::jsonb)`, [
      id,
      event(id, '2028-02-29T10:00:00.123Z', `{"n":[1.7976931348623157e308, -1e-400, ${nested(26)}]}`),
    ]);
    const real = await recordAuditEvent(db.dataSource.manager, { type: 'consent.revoked', actor: { type: 'psu', id: 'p' }, consentId: 'aac-1', data: {} });
    await new AuditChainWriter(db.dataSource).appendFromOutbox([id, real.eventId]);
    const chained = await db.dataSource.query(`SELECT event_id FROM audit_log WHERE event_id = ANY($1::uuid[])`, [[id, real.eventId]]);
    expect(chained).toHaveLength(2);
    expect(await verifyAuditChain(db.dataSource)).toMatchObject({ ok: true });
  });
});
