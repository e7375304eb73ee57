import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * UK OB event notifications (docs/monitoring.md, "TPP event notifications"):
 * - event_subscription: at most one per TPP (the unique client_id), its callback and event types;
 * - event_notification: one signed Security Event Token per event and TPP, derived from one audit entry,
 *   kept until delivered (202 from the callback) or acknowledged (polling), dropped after 7 days;
 * - event_production_cursor: the last audit_log seq the production job has turned into events.
 */
export class EventNotifications1765200000000 implements MigrationInterface {
  name = 'EventNotifications1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE event_subscription (
        event_subscription_id text PRIMARY KEY,
        client_id text NOT NULL,
        callback_url text,
        event_types text[],
        version text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT event_subscription_client_key UNIQUE (client_id)
      )`);
    await q.query(`
      CREATE TABLE event_notification (
        jti uuid PRIMARY KEY,
        client_id text NOT NULL,
        event_type text NOT NULL,
        audit_event_id uuid NOT NULL,
        sub text NOT NULL,
        interaction_id text NOT NULL,
        set_jwt text NOT NULL,
        occurred_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        acknowledged_at timestamptz,
        ack_error text,
        delivery_attempts integer NOT NULL DEFAULT 0,
        last_delivery_error text,
        CONSTRAINT event_notification_source_key UNIQUE (audit_event_id, client_id, event_type)
      )`);
    // Polling reads a TPP's pending events oldest first; the retention sweep finds old ones by age.
    await q.query(
      `CREATE INDEX event_notification_pending_idx ON event_notification (client_id, created_at, jti) WHERE delivered_at IS NULL AND acknowledged_at IS NULL`,
    );
    await q.query(`CREATE INDEX event_notification_created_idx ON event_notification (created_at)`);
    await q.query(`
      CREATE TABLE event_production_cursor (
        name text PRIMARY KEY,
        last_seq bigint NOT NULL
      )`);
    // Events start from now: what the log held before this migration is history, not news for a TPP.
    await q.query(`INSERT INTO event_production_cursor (name, last_seq) SELECT 'audit-log', coalesce(max(seq), 0) FROM audit_log`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS event_production_cursor`);
    await q.query(`DROP TABLE IF EXISTS event_notification`);
    await q.query(`DROP TABLE IF EXISTS event_subscription`);
  }
}
