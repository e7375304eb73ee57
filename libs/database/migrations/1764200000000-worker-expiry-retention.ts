import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The worker's second round: re-relay of lost outbox rows, consent expiry and re-authentication, and
 * audit retention (removing a prefix of the chained log through one privileged function).
 */
export class WorkerExpiryRetention1764200000000 implements MigrationInterface {
  name = 'WorkerExpiryRetention1764200000000';

  async up(q: QueryRunner): Promise<void> {
    // The re-relay sweep looks for rows relayed long ago and still present (chained rows are deleted).
    await q.query(`CREATE INDEX audit_outbox_relayed_idx ON audit_outbox (relayed_at) WHERE relayed_at IS NOT NULL`);

    // Re-authentication (PSD2 RTS Art. 10a in the EU, the 90-day TPP reconfirmation in the UK).
    await q.query(`
      ALTER TABLE account_access_consent
        ADD COLUMN jurisdiction text NOT NULL DEFAULT 'UK' CHECK (jurisdiction IN ('UK', 'EU')),
        ADD COLUMN reauthenticated_at timestamptz`);
    // Only live consents can fall due: the expiry sweep reads these partial indexes, which stay as
    // small as the live set however many ended consents accumulate.
    await q.query(`
      CREATE INDEX account_access_consent_expiry_due_idx ON account_access_consent (expiration_date_time)
      WHERE status IN ('AWAU', 'AUTH') AND expiration_date_time IS NOT NULL`);
    await q.query(`
      CREATE INDEX account_access_consent_awaiting_idx ON account_access_consent (creation_date_time)
      WHERE status = 'AWAU'`);

    // Retention: each cut removes the entries before `before_seq`; `anchor_hash` is the hash of the
    // last removed entry, i.e. the prev_hash the first remaining entry must carry.
    await q.query(`
      CREATE TABLE audit_retention_cut (
        before_seq bigint PRIMARY KEY,
        anchor_hash text NOT NULL,
        entries bigint NOT NULL,
        export_file text NOT NULL,
        export_sha256 text NOT NULL,
        cut_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The append-only trigger lets a DELETE through only inside audit_log_prune, which marks its own
    // transaction; the AFTER trigger then checks nothing but a prefix of the log went.
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND coalesce(current_setting('consentry.audit_prune_before', true), '') <> '' THEN
          RETURN NULL;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
      END
      $$`);
    await q.query(`
      CREATE FUNCTION audit_log_check_prune() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- Outside audit_log_prune only someone who switched audit_log_append_only off gets here; that
        -- is beyond what a trigger can stop, and the chain and its checkpoints show it.
        IF coalesce(current_setting('consentry.audit_prune_before', true), '') = '' THEN
          RETURN NULL;
        END IF;
        IF EXISTS (SELECT 1 FROM pruned WHERE seq >= current_setting('consentry.audit_prune_before')::bigint) THEN
          RAISE EXCEPTION 'audit_log retention removes only entries before seq %', current_setting('consentry.audit_prune_before');
        END IF;
        RETURN NULL;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER audit_log_prune_prefix_only AFTER DELETE ON audit_log
      REFERENCING OLD TABLE AS pruned FOR EACH STATEMENT EXECUTE FUNCTION audit_log_check_prune()`);
    // SECURITY DEFINER: runs with the table owner's rights, so the application role needs no DELETE on
    // audit_log; EXECUTE is granted only to the maintenance role (see docs/audit.md).
    await q.query(`
      CREATE FUNCTION audit_log_prune(p_before_seq bigint, p_anchor_hash text, p_export_file text, p_export_sha256 text)
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
        PERFORM set_config('consentry.audit_prune_before', '', true);
        INSERT INTO audit_retention_cut (before_seq, anchor_hash, entries, export_file, export_sha256)
        VALUES (p_before_seq, p_anchor_hash, removed, p_export_file, p_export_sha256);
        RETURN removed;
      END
      $$`);
    await q.query(`REVOKE ALL ON FUNCTION audit_log_prune(bigint, text, text, text) FROM PUBLIC`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS audit_log_prune(bigint, text, text, text)`);
    await q.query(`DROP TRIGGER IF EXISTS audit_log_prune_prefix_only ON audit_log`);
    await q.query(`DROP FUNCTION IF EXISTS audit_log_check_prune()`);
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
      END
      $$`);
    await q.query(`DROP TABLE IF EXISTS audit_retention_cut`);
    await q.query(`DROP INDEX IF EXISTS account_access_consent_awaiting_idx`);
    await q.query(`DROP INDEX IF EXISTS account_access_consent_expiry_due_idx`);
    await q.query(`ALTER TABLE account_access_consent DROP COLUMN IF EXISTS reauthenticated_at, DROP COLUMN IF EXISTS jurisdiction`);
    await q.query(`DROP INDEX IF EXISTS audit_outbox_relayed_idx`);
  }
}
