import { MigrationInterface, QueryRunner } from 'typeorm';

// The constraint of migration 1765890000000, for `down`.
const CHAINABLE_1765890000000 = `coalesce(
  jsonb_typeof(event) = 'object'
  AND event->>'eventId' = event_id::text
  AND jsonb_typeof(event->'type') = 'string' AND length(event->>'type') BETWEEN 1 AND 100
  AND jsonb_typeof(event->'occurredAt') = 'string'
  AND event->>'occurredAt' ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?Z$',
  false)`;

/**
 * An outbox row must also be one the chain writer can hash and store, or one row added by the API's role
 * (which may only insert into the outbox) stops the real events of every batch it is relayed with, retry
 * after retry (a probe on 7 December 2026 found three such rows the CHECK of 1765890000000 let in):
 * - `occurredAt` an instant PostgreSQL stores (`::timestamptz`, as the writer casts it: no year 0000, no
 *   30 February; with its `Z` the cast does not depend on the session's time zone);
 * - no JSON number beyond what a JavaScript number holds (the hash refuses 1e400 as non-finite);
 * - no nesting deeper than 32 levels (the hash recurses once a level; 5,000 levels, which jsonb takes,
 *   overflowed its stack). An event of ours nests 4 levels at most.
 * NOT VALID, as before: rows already there are the relay's to move.
 */
export class AuditOutboxHashable1765960000000 implements MigrationInterface {
  name = 'AuditOutboxHashable1765960000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_outbox DROP CONSTRAINT audit_outbox_event_chainable`);
    await q.query(`
      ALTER TABLE audit_outbox ADD CONSTRAINT audit_outbox_event_chainable CHECK (
        ${CHAINABLE_1765890000000}
        AND (event->>'occurredAt')::timestamptz IS NOT NULL
        AND NOT jsonb_path_exists(event, 'lax $.**{33 to last}')
        AND NOT jsonb_path_exists(event, 'strict $.** ? (@.type() == "number" && (@ > 1.7976931348623157e308 || @ < -1.7976931348623157e308))')
      ) NOT VALID`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_outbox DROP CONSTRAINT audit_outbox_event_chainable`);
    await q.query(`ALTER TABLE audit_outbox ADD CONSTRAINT audit_outbox_event_chainable CHECK (${CHAINABLE_1765890000000}) NOT VALID`);
  }
}
