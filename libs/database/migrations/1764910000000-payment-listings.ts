import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The indexes of the people's payment listings, each a keyset page read straight off an index:
 * - the PSU's payment consents on the dashboard and the customer API, newest first per PSU (this
 *   replaces the plain psu_id index, which it covers);
 * - the admin's payments across both payment tables, newest first, whole or by status (client and
 *   consent filters use the tables' existing (client_id, creation_date_time) and consent indexes);
 * - the audit events of one payment, found by the paymentId every payment event carries in its data.
 */
export class PaymentListings1764910000000 implements MigrationInterface {
  name = 'PaymentListings1764910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX payment_consent_psu_listed_idx ON payment_consent (psu_id, creation_date_time DESC, consent_id DESC)`);
    await q.query(`DROP INDEX IF EXISTS payment_consent_psu_idx`);
    for (const table of ['domestic_payment', 'vrp_payment']) {
      await q.query(`CREATE INDEX ${table}_listed_idx ON ${table} (creation_date_time DESC, payment_id DESC)`);
      await q.query(`CREATE INDEX ${table}_status_listed_idx ON ${table} (status, creation_date_time DESC, payment_id DESC)`);
    }
    await q.query(`CREATE INDEX audit_log_payment_idx ON audit_log ((event #>> '{data,paymentId}')) WHERE (event #>> '{data,paymentId}') IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS audit_log_payment_idx`);
    for (const table of ['domestic_payment', 'vrp_payment']) {
      await q.query(`DROP INDEX IF EXISTS ${table}_status_listed_idx`);
      await q.query(`DROP INDEX IF EXISTS ${table}_listed_idx`);
    }
    await q.query(`CREATE INDEX payment_consent_psu_idx ON payment_consent (psu_id)`);
    await q.query(`DROP INDEX IF EXISTS payment_consent_psu_listed_idx`);
  }
}
