import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * UK OB idempotency of payment POSTs: one row per client, path and `x-idempotency-key`, holding the
 * SHA-256 of the request body's bytes and the first answer (status and exact JSON text). The row is
 * inserted in the same transaction as the payment it answers for, so a second identical request waits
 * on the primary key until the first commits (then replays its answer) or rolls back (then runs
 * itself). A row older than 24 hours no longer binds its key: the next use overwrites it.
 */
export class IdempotencyKeys1764740000000 implements MigrationInterface {
  name = 'IdempotencyKeys1764740000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE idempotency_key (
        client_id text NOT NULL,
        path text NOT NULL,
        key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 40),
        request_hash bytea NOT NULL CHECK (octet_length(request_hash) = 32),
        response_status smallint NOT NULL,
        response_body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (client_id, path, key)
      )`);
    // For purging rows past their 24 hours.
    await q.query(`CREATE INDEX idempotency_key_created_idx ON idempotency_key (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS idempotency_key`);
  }
}
