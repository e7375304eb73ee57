import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The hash chain starts at entry 1 and its verification walks from there: an entry written with seq 0 or
 * below (the worker's role may insert into the log) was shown by the admin searches and never verified
 * (a probe on 7 December 2026). PostgreSQL now refuses one; verifyAuditChain also names one it finds, in
 * case the table's owner dropped the constraint. Validated without blocking the log's appends.
 */
export class AuditLogSeqPositive1765970000000 implements MigrationInterface {
  name = 'AuditLogSeqPositive1765970000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_log ADD CONSTRAINT audit_log_seq_positive CHECK (seq >= 1) NOT VALID`);
    await q.query(`ALTER TABLE audit_log VALIDATE CONSTRAINT audit_log_seq_positive`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_log DROP CONSTRAINT audit_log_seq_positive`);
  }
}
