import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The worker's re-drive of stranded payments (redriveStrandedPayments in libs/consents) reads the
 * immediate domestic payments and the VRPs still PDNG, oldest first, by keyset on (creation_date_time,
 * payment_id). Partial: a payment leaves the index as it leaves PDNG, so the index holds the few in flight
 * and held, not the history.
 */
export class StrandedPaymentIndexes1765850000000 implements MigrationInterface {
  name = 'StrandedPaymentIndexes1765850000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX domestic_payment_stranded_idx ON domestic_payment (creation_date_time, payment_id) WHERE status = 'PDNG' AND requested_execution_date_time IS NULL`,
    );
    await q.query(`CREATE INDEX vrp_payment_stranded_idx ON vrp_payment (creation_date_time, payment_id) WHERE status = 'PDNG'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS vrp_payment_stranded_idx`);
    await q.query(`DROP INDEX IF EXISTS domestic_payment_stranded_idx`);
  }
}
