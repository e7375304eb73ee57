import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * UK OB v4.0 domestic scheduled payments. A scheduled payment consent is a `payment_consent` of kind
 * `domestic-scheduled-payment`; its order is a `domestic_payment` row with the date it is to run on
 * (`requested_execution_date_time`, null for an immediate domestic payment). The order waits `PDNG`
 * until the worker's execution sweep debits it on its date, or the PSU cancels it (`CANC`).
 */
export class DomesticScheduledPayments1764970000000 implements MigrationInterface {
  name = 'DomesticScheduledPayments1764970000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment_consent DROP CONSTRAINT payment_consent_kind_check`);
    await q.query(
      `ALTER TABLE payment_consent ADD CONSTRAINT payment_consent_kind_check CHECK (kind IN ('domestic-payment', 'funds-confirmation', 'domestic-vrp', 'domestic-standing-order', 'domestic-scheduled-payment'))`,
    );
    await q.query(`ALTER TABLE domestic_payment ADD COLUMN requested_execution_date_time timestamptz`);
    // The execution sweep's keyset: due orders by date, then id.
    await q.query(
      `CREATE INDEX domestic_payment_due_idx ON domestic_payment (requested_execution_date_time, payment_id) WHERE status = 'PDNG' AND requested_execution_date_time IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX domestic_payment_due_idx`);
    await q.query(`DELETE FROM domestic_payment WHERE requested_execution_date_time IS NOT NULL`);
    await q.query(`ALTER TABLE domestic_payment DROP COLUMN requested_execution_date_time`);
    await q.query(`DELETE FROM payment_consent WHERE kind = 'domestic-scheduled-payment'`);
    await q.query(`ALTER TABLE payment_consent DROP CONSTRAINT payment_consent_kind_check`);
    await q.query(`ALTER TABLE payment_consent ADD CONSTRAINT payment_consent_kind_check CHECK (kind IN ('domestic-payment', 'funds-confirmation', 'domestic-vrp', 'domestic-standing-order'))`);
  }
}
