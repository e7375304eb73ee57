import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A held payment's review closes as `withdrawn` when the PSU cancels the payment while it waits: it leaves
 * the review queue, and no admin decision or expiry is recorded against a payment that no longer exists.
 */
export class ReviewWithdrawn1765820000000 implements MigrationInterface {
  name = 'ReviewWithdrawn1765820000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment_risk_assessment DROP CONSTRAINT payment_risk_assessment_review_status_check`);
    await q.query(
      `ALTER TABLE payment_risk_assessment ADD CONSTRAINT payment_risk_assessment_review_status_check
         CHECK (review_status IN ('held', 'release-requested', 'released', 'rejected', 'expired', 'withdrawn'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE payment_risk_assessment SET review_status = 'expired' WHERE review_status = 'withdrawn'`);
    await q.query(`ALTER TABLE payment_risk_assessment DROP CONSTRAINT payment_risk_assessment_review_status_check`);
    await q.query(
      `ALTER TABLE payment_risk_assessment ADD CONSTRAINT payment_risk_assessment_review_status_check
         CHECK (review_status IN ('held', 'release-requested', 'released', 'rejected', 'expired'))`,
    );
  }
}
