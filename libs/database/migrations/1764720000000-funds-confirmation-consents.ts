import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Confirmation of funds (UK OB v4.0 CBPII, PSD2 Art. 65): funds-confirmation consents are one more
 * `kind` of payment_consent. Their `initiation` holds the consent's Data as sent (DebtorAccount), and
 * unlike domestic consents they expire (EXPD) at their ExpirationDateTime, which the expiry sweep finds
 * through the partial index below.
 */
export class FundsConfirmationConsents1764720000000 implements MigrationInterface {
  name = 'FundsConfirmationConsents1764720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment_consent DROP CONSTRAINT payment_consent_kind_check`);
    await q.query(`ALTER TABLE payment_consent ADD CONSTRAINT payment_consent_kind_check CHECK (kind IN ('domestic-payment', 'funds-confirmation'))`);
    await q.query(
      `CREATE INDEX payment_consent_expiring_idx ON payment_consent (expiration_date_time) WHERE status IN ('AWAU', 'AUTH') AND expiration_date_time IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS payment_consent_expiring_idx`);
    await q.query(`DELETE FROM payment_consent WHERE kind = 'funds-confirmation'`);
    await q.query(`ALTER TABLE payment_consent DROP CONSTRAINT payment_consent_kind_check`);
    await q.query(`ALTER TABLE payment_consent ADD CONSTRAINT payment_consent_kind_check CHECK (kind IN ('domestic-payment'))`);
  }
}
