import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * UK OB v4.0 domestic standing orders: a standing order consent is a `payment_consent` of kind
 * `domestic-standing-order` (its Initiation, with Frequency and the first, recurring and final amounts
 * and dates, stays in `initiation`). Only the kind CHECK changes here.
 * Merge note: a branch adding another kind must list both kinds in this CHECK.
 */
export class DomesticStandingOrderConsents1764905000000 implements MigrationInterface {
  name = 'DomesticStandingOrderConsents1764905000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment_consent DROP CONSTRAINT payment_consent_kind_check`);
    await q.query(
      `ALTER TABLE payment_consent ADD CONSTRAINT payment_consent_kind_check CHECK (kind IN ('domestic-payment', 'funds-confirmation', 'domestic-vrp', 'domestic-standing-order'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM payment_consent WHERE kind = 'domestic-standing-order'`);
    await q.query(`ALTER TABLE payment_consent DROP CONSTRAINT payment_consent_kind_check`);
    await q.query(`ALTER TABLE payment_consent ADD CONSTRAINT payment_consent_kind_check CHECK (kind IN ('domestic-payment', 'funds-confirmation', 'domestic-vrp'))`);
  }
}
