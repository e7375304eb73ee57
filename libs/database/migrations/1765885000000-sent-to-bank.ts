import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `sent_to_bank_at`: the instant the worker, or an admin's release, committed that it is about to send a
 * scheduled payment or a standing order's run to its bank, before the call. From then on the outcome may be
 * a debit the answer to which was lost (the bank is idempotent on the payment id), so the order is only
 * ever recorded with the bank's answer: the PSU's cancel, the review's withdrawal or deadline and an
 * admin's reject leave it alone, and the worker sends it again with the same payment id until its bank
 * answers. Null: never sent. Immediate payments need none: the API sends them in the request that
 * commits them, and the re-drive takes them by their creation.
 *
 * The partial indexes hold the few sent and unanswered (the worker's re-drive reads them oldest first by
 * keyset on (sent_to_bank_at, payment_id)); a row leaves them as it leaves PDNG.
 */
export class SentToBank1765885000000 implements MigrationInterface {
  name = 'SentToBank1765885000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE domestic_payment ADD COLUMN sent_to_bank_at timestamptz`);
    await q.query(`ALTER TABLE standing_order_run ADD COLUMN sent_to_bank_at timestamptz`);
    // Scheduled payments a worker sent before this mark existed and whose answer it lost: the built-in
    // ledger holds their debit (or rejection) under the payment id, so they are marked sent, and the
    // worker's next run records that outcome instead of the PSU being able to cancel them. (A bank behind
    // an HTTP connector keeps no such trace here; a held one is left to an operator.) Few rows: PDNG and due.
    await q.query(`
      UPDATE domestic_payment d SET sent_to_bank_at = now()
       WHERE d.status = 'PDNG' AND d.requested_execution_date_time IS NOT NULL
         AND (EXISTS (SELECT 1 FROM transaction t WHERE t.transaction_id = d.payment_id)
              OR EXISTS (SELECT 1 FROM ledger_rejected_payment l WHERE l.payment_id = d.payment_id))
         AND NOT EXISTS (SELECT 1 FROM payment_risk_assessment r WHERE r.payment_id = d.payment_id AND r.decision = 'hold')`);
    await q.query(
      `CREATE INDEX domestic_payment_sent_unanswered_idx ON domestic_payment (sent_to_bank_at, payment_id) WHERE status = 'PDNG' AND sent_to_bank_at IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX standing_order_run_sent_unanswered_idx ON standing_order_run (sent_to_bank_at, payment_id) WHERE status = 'PDNG' AND sent_to_bank_at IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS standing_order_run_sent_unanswered_idx`);
    await q.query(`DROP INDEX IF EXISTS domestic_payment_sent_unanswered_idx`);
    await q.query(`ALTER TABLE standing_order_run DROP COLUMN IF EXISTS sent_to_bank_at`);
    await q.query(`ALTER TABLE domestic_payment DROP COLUMN IF EXISTS sent_to_bank_at`);
  }
}
