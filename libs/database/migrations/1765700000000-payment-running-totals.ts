import { MigrationInterface, QueryRunner } from 'typeorm';

// What a velocity window counts: every scored payment but a rejected one.
const COUNTED = `decision <> 'reject'`;

// The two owners a velocity rule counts for: each payment's TPP and its debtor account.
const OWNERS = [
  { prefix: 'tpp:', column: 'client_id', stripe: 'tpp_stripe', payments: 'tpp_running_payments', amount: 'tpp_running_amount' },
  { prefix: 'account:', column: 'debtor_account_id', stripe: 'account_stripe', payments: 'account_running_payments', amount: 'account_running_amount' },
] as const;

/**
 * Running totals of the payments each TPP and each debtor account made, so that a velocity rule reads a
 * handful of rows however many payments fall in its window, instead of counting them one by one
 * (libs/risk's running-totals.ts has the reads and the writes).
 *
 * - `payment_running_total`: per owner (`tpp:{client_id}` or `account:{debtor_account_id}`) and stripe,
 *   the count and amount of its payments so far. A payment adds to the stripe of the database connection
 *   that scores it, so an owner's concurrent payments update different rows instead of queueing on one.
 * - On each `payment_risk_assessment` row, per owner: its stripe, and that stripe's totals just after it.
 *   A window is then, per stripe, the totals now less the totals at the last payment before the window.
 *
 * The rows already scored are put on stripe 0, their running totals counted in time order.
 */
export class PaymentRunningTotals1765700000000 implements MigrationInterface {
  name = 'PaymentRunningTotals1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payment_running_total (
        owner text NOT NULL,
        stripe smallint NOT NULL,
        payments bigint NOT NULL,
        amount numeric NOT NULL,
        PRIMARY KEY (owner, stripe)
      )`);
    for (const o of OWNERS) {
      await q.query(`ALTER TABLE payment_risk_assessment ADD COLUMN ${o.stripe} smallint, ADD COLUMN ${o.payments} bigint, ADD COLUMN ${o.amount} numeric`);
      await q.query(`
        UPDATE payment_risk_assessment a
           SET ${o.stripe} = 0, ${o.payments} = r.payments, ${o.amount} = r.amount
          FROM (SELECT payment_id,
                       sum((${COUNTED})::int) OVER w AS payments,
                       sum(CASE WHEN ${COUNTED} THEN amount ELSE 0 END) OVER w AS amount
                  FROM payment_risk_assessment
                WINDOW w AS (PARTITION BY ${o.column} ORDER BY assessed_at, payment_id ROWS UNBOUNDED PRECEDING)) AS r
         WHERE a.payment_id = r.payment_id`);
      await q.query(`
        INSERT INTO payment_running_total (owner, stripe, payments, amount)
        SELECT '${o.prefix}' || ${o.column}, 0, count(*) FILTER (WHERE ${COUNTED}), coalesce(sum(amount) FILTER (WHERE ${COUNTED}), 0)
          FROM payment_risk_assessment GROUP BY ${o.column}`);
      await q.query(`ALTER TABLE payment_risk_assessment ALTER COLUMN ${o.stripe} SET NOT NULL, ALTER COLUMN ${o.payments} SET NOT NULL, ALTER COLUMN ${o.amount} SET NOT NULL`);
    }
    // The last payment of a stripe at or before an instant, per owner. The per-TPP window scan is no longer
    // needed; the debtor's (account, time) index stays for the review queue's recent history.
    await q.query(`DROP INDEX payment_risk_client_time_idx`);
    await q.query(`
      CREATE INDEX payment_risk_tpp_running_idx ON payment_risk_assessment (client_id, tpp_stripe, assessed_at, tpp_running_payments)
        INCLUDE (tpp_running_amount)`);
    await q.query(`
      CREATE INDEX payment_risk_account_running_idx ON payment_risk_assessment (debtor_account_id, account_stripe, assessed_at, account_running_payments)
        INCLUDE (account_running_amount)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX payment_risk_account_running_idx`);
    await q.query(`DROP INDEX payment_risk_tpp_running_idx`);
    await q.query(`CREATE INDEX payment_risk_client_time_idx ON payment_risk_assessment (client_id, assessed_at)`);
    for (const o of OWNERS) await q.query(`ALTER TABLE payment_risk_assessment DROP COLUMN ${o.stripe}, DROP COLUMN ${o.payments}, DROP COLUMN ${o.amount}`);
    await q.query(`DROP TABLE payment_running_total`);
  }
}
