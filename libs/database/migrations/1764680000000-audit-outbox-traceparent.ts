import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C `traceparent` of the request that recorded an outbox event, so the worker's chain write for
 * it continues that request's trace (docs/operations.md, Traces). Null when tracing is off. Outside the
 * event's jsonb: it is not part of the hashed content and never reaches the audit log.
 */
export class AuditOutboxTraceparent1764680000000 implements MigrationInterface {
  name = 'AuditOutboxTraceparent1764680000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_outbox ADD COLUMN traceparent text NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_outbox DROP COLUMN traceparent`);
  }
}
