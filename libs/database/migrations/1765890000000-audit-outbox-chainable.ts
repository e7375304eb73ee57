import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Only an event the chain writer can chain enters the outbox: its `eventId` is the row's key, and it has a
 * `type` and an `occurredAt` instant as buildAuditEvent writes them (toISOString). Since the API's and
 * the auth server's database role may add to the outbox but not read or delete from it (DATABASE_WORKER_ROLE),
 * a malformed row was a way for that role to stop the chain: the worker's batch failed on it, retried, and
 * took the real events relayed with it down each time, so none of them reached the log (6 December 2026).
 * PostgreSQL now refuses such a row from any role. NOT VALID: rows already there are the relay's to move.
 */
export class AuditOutboxChainable1765890000000 implements MigrationInterface {
  name = 'AuditOutboxChainable1765890000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE audit_outbox ADD CONSTRAINT audit_outbox_event_chainable CHECK (coalesce(
        -- A missing member makes the test NULL, which a CHECK lets pass: coalesced to false.
        jsonb_typeof(event) = 'object'
        AND event->>'eventId' = event_id::text
        AND jsonb_typeof(event->'type') = 'string' AND length(event->>'type') BETWEEN 1 AND 100
        AND jsonb_typeof(event->'occurredAt') = 'string'
        AND event->>'occurredAt' ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?Z$',
        false)
      ) NOT VALID`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_outbox DROP CONSTRAINT IF EXISTS audit_outbox_event_chainable`);
  }
}
