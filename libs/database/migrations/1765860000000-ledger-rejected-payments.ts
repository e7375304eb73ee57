import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sandbox ledger's rejections, by payment id: the bank connector contract answers a paymentId sent
 * again with its first outcome, and until now the ledger remembered only its debits (the booked
 * transaction), so an order it had rejected (AM04) and that was sent again later (the worker's re-drive
 * of a stranded payment) could be paid on funds that arrived since.
 */
export class LedgerRejectedPayments1765860000000 implements MigrationInterface {
  name = 'LedgerRejectedPayments1765860000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_rejected_payment (
        payment_id text PRIMARY KEY,
        reason text NOT NULL CHECK (reason IN ('AM04', 'AM03', 'AC06', 'AM02')),
        rejected_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS ledger_rejected_payment`);
  }
}
