import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A held payment counts in the velocity windows from its assessment, as every payment the engine does not
 * reject; one whose review ends without paying it (rejected by an admin, expired, withdrawn by the PSU)
 * is taken out of the windows again at read time (windowTotalsSql in libs/risk). These are few: one
 * partial index per owner finds those of a window.
 */
export class UnpaidHoldsByOwner1766000000000 implements MigrationInterface {
  name = 'UnpaidHoldsByOwner1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX payment_risk_unpaid_hold_debtor_idx ON payment_risk_assessment (debtor_account_id, assessed_at) WHERE review_status IN ('rejected', 'expired', 'withdrawn')`,
    );
    await q.query(`CREATE INDEX payment_risk_unpaid_hold_client_idx ON payment_risk_assessment (client_id, assessed_at) WHERE review_status IN ('rejected', 'expired', 'withdrawn')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS payment_risk_unpaid_hold_client_idx`);
    await q.query(`DROP INDEX IF EXISTS payment_risk_unpaid_hold_debtor_idx`);
  }
}
