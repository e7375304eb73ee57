import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Standing-order runs settle like the other payment orders (ACSP -> ACSC, the worker's settlement job):
 * the executed runs oldest first, on a partial index as domestic_payment_unsettled_idx and
 * vrp_payment_unsettled_idx serve theirs.
 */
export class StandingOrderRunSettlement1765730000000 implements MigrationInterface {
  name = 'StandingOrderRunSettlement1765730000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX standing_order_run_unsettled_idx ON standing_order_run (status_update_date_time) WHERE status = 'ACSP'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS standing_order_run_unsettled_idx`);
  }
}
