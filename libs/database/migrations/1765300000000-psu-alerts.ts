import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * PSU alerts. `psu.email` is where alert emails go (personal data: masked in logs and audit).
 * `psu_alert` holds one row per (source audit event, kind): the worker's insert is idempotent on it, so
 * a batch re-run after a crash writes nothing twice. `alert_cursor` is the worker's position in
 * `audit_log` (by `seq`). `psu_alert_preference` holds a PSU's choices; no row means the defaults.
 */
export class PsuAlerts1765300000000 implements MigrationInterface {
  name = 'PsuAlerts1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE psu ADD COLUMN email text`);
    await q.query(`
      CREATE TABLE psu_alert (
        alert_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        psu_id uuid NOT NULL REFERENCES psu (psu_id) ON DELETE CASCADE,
        kind text NOT NULL,
        source_event_id uuid NOT NULL,
        source_seq bigint NOT NULL,
        client_id text,
        consent_id text,
        title text NOT NULL,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        read_at timestamptz,
        emailed_at timestamptz,
        CONSTRAINT psu_alert_source_kind_key UNIQUE (source_event_id, kind)
      )`);
    // The dashboard's list: a PSU's alerts newest first, keyset on (created_at, alert_id).
    await q.query(`CREATE INDEX psu_alert_psu_listed_idx ON psu_alert (psu_id, created_at DESC, alert_id DESC)`);
    await q.query(`CREATE INDEX psu_alert_psu_unread_idx ON psu_alert (psu_id) WHERE read_at IS NULL`);
    await q.query(`
      CREATE TABLE alert_cursor (
        name text PRIMARY KEY,
        last_seq bigint NOT NULL
      )`);
    await q.query(`
      CREATE TABLE psu_alert_preference (
        psu_id uuid PRIMARY KEY REFERENCES psu (psu_id) ON DELETE CASCADE,
        channels text[] NOT NULL,
        payment_threshold numeric(18, 5),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT psu_alert_preference_channels_check CHECK (channels <@ ARRAY['dashboard', 'email']::text[]),
        CONSTRAINT psu_alert_preference_threshold_check CHECK (payment_threshold IS NULL OR payment_threshold > 0)
      )`);
    // Alert sources are found by type and seq; the failed sign-in window by PSU and type.
    await q.query(`CREATE INDEX audit_log_psu_type_idx ON audit_log (psu_id, event_type, occurred_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_log_psu_type_idx`);
    await q.query(`DROP TABLE psu_alert_preference`);
    await q.query(`DROP TABLE alert_cursor`);
    await q.query(`DROP TABLE psu_alert`);
    await q.query(`ALTER TABLE psu DROP COLUMN email`);
  }
}
