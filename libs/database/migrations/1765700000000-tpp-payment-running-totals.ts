import { MigrationInterface, QueryRunner } from 'typeorm';

// What a per-TPP velocity window counts: every scored payment but a rejected one.
const COUNTED = `decision <> 'reject'`;

/**
 * Running totals of each TPP's scored payments, so that a per-TPP velocity rule reads a handful of rows
 * whatever the TPP's volume, instead of summing every payment in its window (libs/risk's
 * tpp-running-totals.ts has the reads and the writes).
 *
 * - `tpp_payment_running_total`: per TPP and stripe, the count and amount of its payments so far. A
 *   payment adds to the stripe of the database connection that scores it, so a TPP's concurrent payments
 *   update different rows instead of queueing on one.
 * - On each `payment_risk_assessment` row: its stripe, and that stripe's totals just after it. A window
 *   is then, per stripe, the totals now less the totals at the last payment before the window.
 *
 * The rows already scored are put on stripe 0, their running totals counted in time order.
 */
export class TppPaymentRunningTotals1765700000000 implements MigrationInterface {
  name = 'TppPaymentRunningTotals1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tpp_payment_running_total (
        client_id text NOT NULL,
        stripe smallint NOT NULL,
        payments bigint NOT NULL,
        amount numeric NOT NULL,
        PRIMARY KEY (client_id, stripe)
      )`);
    await q.query(`
      ALTER TABLE payment_risk_assessment
        ADD COLUMN tpp_stripe smallint,
        ADD COLUMN tpp_running_payments bigint,
        ADD COLUMN tpp_running_amount numeric`);
    await q.query(`
      UPDATE payment_risk_assessment a
         SET tpp_stripe = 0, tpp_running_payments = r.payments, tpp_running_amount = r.amount
        FROM (SELECT payment_id,
                     sum((${COUNTED})::int) OVER w AS payments,
                     sum(CASE WHEN ${COUNTED} THEN amount ELSE 0 END) OVER w AS amount
                FROM payment_risk_assessment
              WINDOW w AS (PARTITION BY client_id ORDER BY assessed_at, payment_id ROWS UNBOUNDED PRECEDING)) AS r
       WHERE a.payment_id = r.payment_id`);
    await q.query(`
      INSERT INTO tpp_payment_running_total (client_id, stripe, payments, amount)
      SELECT client_id, 0, count(*) FILTER (WHERE ${COUNTED}), coalesce(sum(amount) FILTER (WHERE ${COUNTED}), 0)
        FROM payment_risk_assessment GROUP BY client_id`);
    await q.query(`
      ALTER TABLE payment_risk_assessment
        ALTER COLUMN tpp_stripe SET NOT NULL,
        ALTER COLUMN tpp_running_payments SET NOT NULL,
        ALTER COLUMN tpp_running_amount SET NOT NULL`);
    // The last payment of a stripe at or before an instant; the per-TPP window scan is no longer needed.
    await q.query(`DROP INDEX payment_risk_client_time_idx`);
    await q.query(`
      CREATE INDEX payment_risk_tpp_running_idx ON payment_risk_assessment (client_id, tpp_stripe, assessed_at, tpp_running_payments)
        INCLUDE (tpp_running_amount)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX payment_risk_tpp_running_idx`);
    await q.query(`CREATE INDEX payment_risk_client_time_idx ON payment_risk_assessment (client_id, assessed_at)`);
    await q.query(`ALTER TABLE payment_risk_assessment DROP COLUMN tpp_stripe, DROP COLUMN tpp_running_payments, DROP COLUMN tpp_running_amount`);
    await q.query(`DROP TABLE tpp_payment_running_total`);
  }
}
