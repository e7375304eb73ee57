import { MigrationInterface, QueryRunner } from 'typeorm';

// Whether the statement runs as the table's owner: inside audit_log_prune (SECURITY DEFINER, owned by the
// tables' owner), or a session of the owner itself, who could switch the triggers off anyway.
const RUNS_AS_OWNER = `(SELECT relowner FROM pg_class WHERE oid = TG_RELID) = (SELECT oid FROM pg_roles WHERE rolname = current_user)`;
const PRUNE_MARKED = `coalesce(current_setting('consentry.audit_prune_before', true), '') <> ''`;

/**
 * `audit_log_prune` (migration 1764200000000), whose last two steps this migration puts in the other order:
 * the cut must be inserted under the mark, which audit_retention_cut's trigger now asks for.
 */
function pruneFunction(order: 'record the cut, then clear the mark' | 'clear the mark, then record the cut'): string {
  const recordCut = `INSERT INTO audit_retention_cut (before_seq, anchor_hash, entries, export_file, export_sha256)
        VALUES (p_before_seq, p_anchor_hash, removed, p_export_file, p_export_sha256);`;
  const clearMark = `PERFORM set_config('consentry.audit_prune_before', '', true);`;
  return `
      CREATE OR REPLACE FUNCTION audit_log_prune(p_before_seq bigint, p_anchor_hash text, p_export_file text, p_export_sha256 text)
      RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER AS $$
      DECLARE
        removed bigint;
        stored_anchor text;
      BEGIN
        SELECT hash INTO stored_anchor FROM audit_log WHERE seq = p_before_seq - 1;
        IF stored_anchor IS NULL OR stored_anchor <> p_anchor_hash THEN
          RAISE EXCEPTION 'anchor hash does not match entry %', p_before_seq - 1;
        END IF;
        PERFORM set_config('consentry.audit_prune_before', p_before_seq::text, true);
        DELETE FROM audit_log WHERE seq < p_before_seq;
        GET DIAGNOSTICS removed = ROW_COUNT;
        ${order === 'record the cut, then clear the mark' ? `${recordCut}
        ${clearMark}` : `${clearMark}
        ${recordCut}`}
        RETURN removed;
      END
      $$`;
}

/**
 * The retention bypass of the audit log's append-only trigger took the mark `audit_log_prune` sets on its
 * transaction (`consentry.audit_prune_before`) for proof that the delete came from it, but any session can
 * set a `consentry.*` setting: a role holding DELETE on `audit_log` could remove entries. The bypass now
 * also needs the statement to run as the table's owner, which the function does and such a role does not.
 * And `audit_retention_cut`, which tells the verifier where the log now starts, becomes writable only by
 * `audit_log_prune` (inserts under its mark, as the owner) and never changes afterwards.
 */
export class AuditTamperGuards1765830000000 implements MigrationInterface {
  name = 'AuditTamperGuards1765830000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND ${PRUNE_MARKED} AND ${RUNS_AS_OWNER} THEN
          RETURN NULL;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
      END
      $$`);
    await q.query(`
      CREATE FUNCTION audit_retention_cut_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' AND ${PRUNE_MARKED} AND ${RUNS_AS_OWNER} THEN
          RETURN NULL;
        END IF;
        RAISE EXCEPTION 'audit_retention_cut is written only by audit_log_prune: % refused', TG_OP;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER audit_retention_cut_append_only BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON audit_retention_cut
      FOR EACH STATEMENT EXECUTE FUNCTION audit_retention_cut_refuse_change()`);
    // The cut is recorded while the function's mark is still set (it was cleared before).
    await q.query(pruneFunction('record the cut, then clear the mark'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(pruneFunction('clear the mark, then record the cut'));
    await q.query(`DROP TRIGGER IF EXISTS audit_retention_cut_append_only ON audit_retention_cut`);
    await q.query(`DROP FUNCTION IF EXISTS audit_retention_cut_refuse_change()`);
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND ${PRUNE_MARKED} THEN
          RETURN NULL;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
      END
      $$`);
  }
}
