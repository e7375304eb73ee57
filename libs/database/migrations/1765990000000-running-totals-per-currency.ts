import { MigrationInterface, QueryRunner } from 'typeorm';

// What a velocity window counts: every scored payment but a rejected one.
const COUNTED = `decision <> 'reject'`;

// The two owners a velocity rule counts for, as in migration 1765700000000.
const OWNERS = [
  { prefix: 'tpp:', column: 'client_id', stripe: 'tpp_stripe', payments: 'tpp_running_payments', amount: 'tpp_running_amount', index: 'payment_risk_tpp_running_idx' },
  {
    prefix: 'account:',
    column: 'debtor_account_id',
    stripe: 'account_stripe',
    payments: 'account_running_payments',
    amount: 'account_running_amount',
    index: 'payment_risk_account_running_idx',
  },
] as const;

/**
 * Running totals per currency: a velocity rule's `maxAmount` added 100 GBP and 100 EUR into 200 of
 * nothing. Each owner's totals are now kept per currency as well as per stripe, and each assessment
 * row records its currency's totals; a window still counts the payments of every currency (`maxCount`)
 * but adds up the amounts of the payment's own currency only (libs/risk's running-totals.ts).
 *
 * The rows already scored are counted again, per owner and currency, in time order on stripe 0 (set-based:
 * one UPDATE with a window function per owner), and the totals rebuilt from them.
 */
export class RunningTotalsPerCurrency1765990000000 implements MigrationInterface {
  name = 'RunningTotalsPerCurrency1765990000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM payment_running_total`);
    await q.query(`ALTER TABLE payment_running_total DROP CONSTRAINT payment_running_total_pkey, ADD COLUMN currency char(3) NOT NULL, ADD PRIMARY KEY (owner, currency, stripe)`);
    for (const o of OWNERS) await this.recount(q, o, 'currency');
    for (const o of OWNERS) {
      await q.query(`DROP INDEX ${o.index}`);
      await q.query(`CREATE INDEX ${o.index} ON payment_risk_assessment (${o.column}, currency, ${o.stripe}, assessed_at, ${o.payments}) INCLUDE (${o.amount})`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM payment_running_total`);
    await q.query(`ALTER TABLE payment_running_total DROP CONSTRAINT payment_running_total_pkey, DROP COLUMN currency, ADD PRIMARY KEY (owner, stripe)`);
    for (const o of OWNERS) await this.recount(q, o, null);
    for (const o of OWNERS) {
      await q.query(`DROP INDEX ${o.index}`);
      await q.query(`CREATE INDEX ${o.index} ON payment_risk_assessment (${o.column}, ${o.stripe}, assessed_at, ${o.payments}) INCLUDE (${o.amount})`);
    }
  }

  /** The owner's running totals counted again from its assessment rows, per `currency` when given, all on stripe 0. */
  private async recount(q: QueryRunner, o: (typeof OWNERS)[number], currency: 'currency' | null): Promise<void> {
    const partition = currency ? `${o.column}, ${currency}` : o.column;
    await q.query(`
      UPDATE payment_risk_assessment a
         SET ${o.stripe} = 0, ${o.payments} = r.payments, ${o.amount} = r.amount
        FROM (SELECT payment_id,
                     sum((${COUNTED})::int) OVER w AS payments,
                     sum(CASE WHEN ${COUNTED} THEN amount ELSE 0 END) OVER w AS amount
                FROM payment_risk_assessment
              WINDOW w AS (PARTITION BY ${partition} ORDER BY assessed_at, payment_id ROWS UNBOUNDED PRECEDING)) AS r
       WHERE a.payment_id = r.payment_id`);
    await q.query(`
      INSERT INTO payment_running_total (owner, ${currency ? 'currency, ' : ''}stripe, payments, amount)
      SELECT '${o.prefix}' || ${o.column}, ${currency ? 'currency, ' : ''}0, count(*) FILTER (WHERE ${COUNTED}), coalesce(sum(amount) FILTER (WHERE ${COUNTED}), 0)
        FROM payment_risk_assessment GROUP BY ${partition}`);
  }
}
