import { DataSource } from 'typeorm';

/**
 * Deletes oidc-provider rows (sessions, interactions, codes, tokens, grants, replay markers) whose
 * `expires_at` has passed, in batches of `batchSize` on the expiry index, so one run never holds a long
 * lock or a huge transaction. Lookups already skip expired rows: this only keeps the table its live size.
 */
export async function purgeExpiredOidcRows(dataSource: DataSource, batchSize = 5_000): Promise<number> {
  let purged = 0;
  for (;;) {
    const result: [unknown, number] = await dataSource.query(
      `DELETE FROM oidc_model WHERE ctid = ANY (ARRAY(
         SELECT ctid FROM oidc_model WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED))`,
      [batchSize],
    );
    const deleted = result[1] ?? 0;
    purged += deleted;
    if (deleted < batchSize) return purged;
  }
}
