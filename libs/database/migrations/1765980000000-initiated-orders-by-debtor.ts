import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account information lists the standing orders and scheduled payments made through payment initiation
 * that are still to be paid, beside the bank's own, keyset-paged by (debtor account, id) in code-unit
 * order as the banks' lists are (InitiatedOrdersInAis in libs/consents): one partial index each.
 */
export class InitiatedOrdersByDebtor1765980000000 implements MigrationInterface {
  name = 'InitiatedOrdersByDebtor1765980000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX domestic_standing_order_pending_by_debtor_idx ON domestic_standing_order (debtor_account_id COLLATE "C", standing_order_id COLLATE "C") WHERE status = 'PDNG'`,
    );
    await q.query(
      `CREATE INDEX domestic_payment_scheduled_by_debtor_idx ON domestic_payment (debtor_account_id COLLATE "C", payment_id COLLATE "C")
        WHERE status = 'PDNG' AND requested_execution_date_time IS NOT NULL AND ledger_transaction_id IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS domestic_payment_scheduled_by_debtor_idx`);
    await q.query(`DROP INDEX IF EXISTS domestic_standing_order_pending_by_debtor_idx`);
  }
}
