import { DataSource } from 'typeorm';

/** UK OB: an `x-idempotency-key` binds its client, path and body for 24 hours (a PostgreSQL interval). */
export const IDEMPOTENCY_KEY_LIFETIME = '24 hours';

/**
 * Deletes idempotency keys past their lifetime, in batches of `batchSize` on the creation index. Claims
 * already treat such rows as free (and take them over): this only keeps the table its live size.
 */
export async function purgeExpiredIdempotencyKeys(dataSource: DataSource, batchSize = 5_000): Promise<number> {
  let purged = 0;
  for (;;) {
    const result: [unknown, number] = await dataSource.query(
      `DELETE FROM idempotency_key WHERE ctid = ANY (ARRAY(
         SELECT ctid FROM idempotency_key WHERE created_at < now() - interval '${IDEMPOTENCY_KEY_LIFETIME}'
          ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED))`,
      [batchSize],
    );
    const deleted = result[1] ?? 0;
    purged += deleted;
    if (deleted < batchSize) return purged;
  }
}
