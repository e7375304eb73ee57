import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail's guards and its retention function read catalogs and tables by unqualified names, and
 * a session's temporary schema is searched first unless the path names it: a role holding DELETE on
 * audit_log could create a temporary `pg_roles` that makes its session look like the tables' owner to the
 * append-only trigger, and a role allowed to prune could make `audit_log_prune` (SECURITY DEFINER) record
 * its cut in a temporary `audit_retention_cut`. Each now runs with a fixed path, the temporary schema last.
 */
const GUARDED = [
  'audit_log_prune(bigint, text, text, text)',
  'audit_log_refuse_change()',
  'audit_log_check_prune()',
  'audit_retention_cut_refuse_change()',
];

export class AuditFunctionsSearchPath1765870000000 implements MigrationInterface {
  name = 'AuditFunctionsSearchPath1765870000000';

  async up(q: QueryRunner): Promise<void> {
    for (const fn of GUARDED) await q.query(`ALTER FUNCTION ${fn} SET search_path = pg_catalog, public, pg_temp`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const fn of GUARDED) await q.query(`ALTER FUNCTION ${fn} RESET search_path`);
  }
}
