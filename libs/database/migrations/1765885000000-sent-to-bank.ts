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
    // Scheduled payments and standing-order runs sent before this mark existed whose answer was lost: the
    // built-in ledger holds their debit (or rejection) under the payment id, so they are marked sent, and
    // the worker records that outcome instead of the PSU being able to cancel them. (A bank behind an HTTP
    // connector keeps no such trace here.) Few rows: PDNG, sent and unanswered.
    const ledgerTrace = (alias: string) =>
      `(EXISTS (SELECT 1 FROM transaction t WHERE t.transaction_id = ${alias}.payment_id)
        OR EXISTS (SELECT 1 FROM ledger_rejected_payment l WHERE l.payment_id = ${alias}.payment_id))`;
    await q.query(`
      UPDATE domestic_payment d SET sent_to_bank_at = now()
       WHERE d.status = 'PDNG' AND d.requested_execution_date_time IS NOT NULL AND ${ledgerTrace('d')}`);
    await q.query(`UPDATE standing_order_run r SET sent_to_bank_at = now() WHERE r.status = 'PDNG' AND ${ledgerTrace('r')}`);
    // A held one among them reached its bank through an admin's release (nothing else sends a held order),
    // which earlier releases left held when the answer was lost: it is released, so the worker's re-drive
    // records the bank's outcome, and neither the review deadline (FR01) nor the PSU's cancel closes it
    // as unpaid after the debit.
    await q.query(`
      UPDATE payment_risk_assessment a
         SET review_status = 'released', reviewed_at = now(),
             review_reason = concat_ws(' / ', a.review_reason, 'sent to its bank by a release before 6 December 2026 (migration SentToBank1765885000000)')
       WHERE a.decision = 'hold' AND a.review_status IN ('held', 'release-requested')
         AND (EXISTS (SELECT 1 FROM domestic_payment d WHERE d.payment_id = a.payment_id AND d.status = 'PDNG' AND d.sent_to_bank_at IS NOT NULL)
              OR EXISTS (SELECT 1 FROM standing_order_run r WHERE r.payment_id = a.payment_id AND r.status = 'PDNG' AND r.sent_to_bank_at IS NOT NULL))`);
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
