import type { EntityManager } from '@consentry/database';

// Failed sign-ins are kept two days: the payment-risk rules look back at most one day (failed-sign-ins'
// window) or to London midnight (lockout-today).
const RETENTION = `interval '2 days'`;
// Expired rows removed by each failure: the table never grows faster than it is emptied.
const PURGE_BATCH = 20;

/**
 * Records a known PSU's failed sign-in (and the end of the lock it caused, if it locked the PSU) in the
 * transaction that writes its `psu.login.failed` audit event: the primary record the payment-risk rules
 * `failed-sign-ins` and `lockout-today` read inline, with an index, whether or not the audit relay has run.
 */
export async function recordPsuSignInFailure(manager: EntityManager, psuId: string, lockedUntil: Date | null): Promise<void> {
  await manager.query(`INSERT INTO psu_sign_in_failure (psu_id, failed_at, locked_until) VALUES ($1, now(), $2)`, [psuId, lockedUntil]);
  await manager.query(
    `DELETE FROM psu_sign_in_failure WHERE failure_id IN (
       SELECT failure_id FROM psu_sign_in_failure
        WHERE failed_at < now() - ${RETENTION} AND coalesce(locked_until, failed_at) < now() - ${RETENTION}
        ORDER BY failure_id LIMIT ${PURGE_BATCH} FOR UPDATE SKIP LOCKED)`,
  );
}
