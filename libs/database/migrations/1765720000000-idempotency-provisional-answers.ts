import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A payment's first answer is stored with the payment (PDNG) and replaced once the bank has settled it
 * (ACSP, or RJCT). `provisional_since` marks such a first answer while its settlement is under way: a
 * duplicate request that finds it waits for the settled answer instead of replaying PDNG, unless the
 * mark is older than the settlement can take (the first request died). NULL: the answer is final.
 * Nullable without a default, so adding it rewrites no row.
 */
export class IdempotencyProvisionalAnswers1765720000000 implements MigrationInterface {
  name = 'IdempotencyProvisionalAnswers1765720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idempotency_key ADD COLUMN provisional_since timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idempotency_key DROP COLUMN provisional_since`);
  }
}
