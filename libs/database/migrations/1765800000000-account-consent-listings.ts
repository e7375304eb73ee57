import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The PSU's account-access consents on the dashboard and the customer API, newest first per PSU, a keyset
 * page read straight off an index, as payment_consent_psu_listed_idx serves the payment consents (this
 * replaces the plain psu_id index, which it covers).
 */
export class AccountConsentListings1765800000000 implements MigrationInterface {
  name = 'AccountConsentListings1765800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX account_access_consent_psu_listed_idx ON account_access_consent (psu_id, creation_date_time DESC, consent_id DESC)`);
    await q.query(`DROP INDEX IF EXISTS account_access_consent_psu_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX account_access_consent_psu_idx ON account_access_consent (psu_id)`);
    await q.query(`DROP INDEX IF EXISTS account_access_consent_psu_listed_idx`);
  }
}
