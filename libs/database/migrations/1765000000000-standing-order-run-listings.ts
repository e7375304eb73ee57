import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Standing-order runs join the people's payment listings (a run is a payment, dated by its due date):
 * newest first, whole or by status, as the other payment tables are (1764910000000).
 */
export class StandingOrderRunListings1765000000000 implements MigrationInterface {
  name = 'StandingOrderRunListings1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX standing_order_run_listed_idx ON standing_order_run (due_at DESC, payment_id DESC)`);
    await q.query(`CREATE INDEX standing_order_run_status_listed_idx ON standing_order_run (status, due_at DESC, payment_id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS standing_order_run_status_listed_idx`);
    await q.query(`DROP INDEX IF EXISTS standing_order_run_listed_idx`);
  }
}
