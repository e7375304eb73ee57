import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the history-based risk rules read, each kept incrementally so a rule is one primary-key or
 * index lookup, never a rescan of the payment history:
 * - `payment_amount_statistics`: per debtor account and currency, the count, mean and M2 (Welford) of
 *   the amounts it paid (allowed, or released after a hold), for `amount-multiple`;
 * - `psu_payment_hour`: per PSU, how many of its paid payments fell in each Europe/London hour, for
 *   `unusual-hour`;
 * - `psu_sign_in_failure`: each failed sign-in of a known PSU, written in the transaction that records
 *   its `psu.login.failed` audit event (and the lock it caused, if any), for `failed-sign-ins` and
 *   `lockout-today`. Rows are kept two days (the longest window a rule may ask for is one day), purged
 *   in small batches by the sign-ins themselves.
 */
export class PaymentRiskHistory1765400000000 implements MigrationInterface {
  name = 'PaymentRiskHistory1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payment_amount_statistics (
        debtor_account_id text NOT NULL,
        currency char(3) NOT NULL,
        payment_count bigint NOT NULL,
        -- Statistics, not money: floating point, as Welford's method is meant for.
        mean double precision NOT NULL,
        m2 double precision NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (debtor_account_id, currency)
      )`);
    await q.query(`
      CREATE TABLE psu_payment_hour (
        psu_id text PRIMARY KEY,
        payment_count bigint NOT NULL,
        -- hours[h + 1]: the payments made in London hour h (0-23).
        hours bigint[] NOT NULL CHECK (cardinality(hours) = 24),
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE psu_sign_in_failure (
        failure_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        psu_id text NOT NULL,
        failed_at timestamptz NOT NULL,
        -- Set when this failure locked the PSU: the end of the lock.
        locked_until timestamptz
      )`);
    // failed-sign-ins: a PSU's failures in a window before the payment.
    await q.query(`CREATE INDEX psu_sign_in_failure_psu_time_idx ON psu_sign_in_failure (psu_id, failed_at)`);
    // lockout-today: a PSU's locks still in force after London midnight.
    await q.query(`CREATE INDEX psu_sign_in_failure_lock_idx ON psu_sign_in_failure (psu_id, locked_until) WHERE locked_until IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE psu_sign_in_failure`);
    await q.query(`DROP TABLE psu_payment_hour`);
    await q.query(`DROP TABLE payment_amount_statistics`);
  }
}
