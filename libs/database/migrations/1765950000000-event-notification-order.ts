import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A TPP's events are answered in the order of the audit entries they come from: each event keeps its
 * entry's `seq` (`source_seq`), and polling reads the pending events by it. Until this migration polling
 * ordered by `created_at, jti`, and every event of one production batch has the batch transaction's
 * `now()`: within a batch the order was the random `jti`'s, so a payment's status change could be
 * answered before its submission. Existing events take their entry's seq (0 for one whose entry the
 * audit retention has exported and pruned: they come first, as the oldest).
 */
export class EventNotificationOrder1765950000000 implements MigrationInterface {
  name = 'EventNotificationOrder1765950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE event_notification ADD COLUMN source_seq bigint`);
    await q.query(`UPDATE event_notification e SET source_seq = a.seq FROM audit_log a WHERE a.event_id = e.audit_event_id`);
    await q.query(`UPDATE event_notification SET source_seq = 0 WHERE source_seq IS NULL`);
    await q.query(`ALTER TABLE event_notification ALTER COLUMN source_seq SET NOT NULL`);
    await q.query(`DROP INDEX event_notification_pending_idx`);
    await q.query(
      `CREATE INDEX event_notification_pending_idx ON event_notification (client_id, source_seq, jti) WHERE delivered_at IS NULL AND acknowledged_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX event_notification_pending_idx`);
    await q.query(
      `CREATE INDEX event_notification_pending_idx ON event_notification (client_id, created_at, jti) WHERE delivered_at IS NULL AND acknowledged_at IS NULL`,
    );
    await q.query(`ALTER TABLE event_notification DROP COLUMN source_seq`);
  }
}
