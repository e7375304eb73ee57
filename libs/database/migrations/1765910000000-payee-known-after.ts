import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The `new-payee` rule counts a payee as known only once it was paid `knownAfterHours` ago: its look-up
 * reads the account's paid payments to the payee up to that instant. The payee index gains the assessment
 * time, so the look-up is one range read whatever number of payments to the payee the window holds (a
 * VRP sweeping every few minutes to one payee). Built in the migration's transaction, so payments'
 * writes to the table wait while it builds; the previous release's look-up reads the new index as well.
 */
export class PayeeKnownAfter1765910000000 implements MigrationInterface {
  name = 'PayeeKnownAfter1765910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX payment_risk_payee_paid_idx ON payment_risk_assessment (debtor_account_id, creditor_key, assessed_at) WHERE paid`);
    await q.query(`DROP INDEX payment_risk_payee_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX payment_risk_payee_idx ON payment_risk_assessment (debtor_account_id, creditor_key) WHERE paid`);
    await q.query(`DROP INDEX payment_risk_payee_paid_idx`);
  }
}
