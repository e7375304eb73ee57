import { recordAuditEvents } from '@consentry/audit';
import { DataSource } from '@consentry/database';

import { EXPIRING_PAYMENT_CONSENT_KINDS } from './consent-status.js';

/**
 * Payment consents of the kinds that expire (funds confirmation, VRP), AWAU or AUTH and past their
 * ExpirationDateTime: EXPD in batches of one statement each, their grants and tokens deleted and a
 * consent.expired event per consent in the same transaction. Returns how many ended.
 */
export async function expirePaymentConsents(dataSource: DataSource, options: { now?: Date; batchSize?: number } = {}): Promise<number> {
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 10_000;
  const reason = 'Expired: past its ExpirationDateTime';
  let total = 0;
  for (;;) {
    const ended = await dataSource.transaction(async (manager) => {
      const rows: Array<{ consent_id: string; client_id: string; psu_id: string | null; kind: string; from_status: string; revoked: number }> = await manager.query(
        `WITH due AS (
           SELECT consent_id, status FROM payment_consent
            WHERE status IN ('AWAU', 'AUTH') AND expiration_date_time IS NOT NULL AND expiration_date_time <= $1 AND kind = ANY ($2::text[])
            ORDER BY expiration_date_time LIMIT $3 FOR UPDATE SKIP LOCKED
         ), expired AS (
           UPDATE payment_consent pc SET status = 'EXPD', status_update_date_time = $1, status_reason_description = $4
             FROM due WHERE pc.consent_id = due.consent_id
           RETURNING pc.consent_id, pc.client_id, pc.psu_id, pc.kind, pc.grant_id, due.status AS from_status
         ), revoked AS (
           DELETE FROM oidc_model m
            WHERE (m.grant_id IS NOT NULL OR m.model = 'Grant')
              AND coalesce(m.grant_id, m.id) = ANY (ARRAY(SELECT grant_id FROM expired WHERE grant_id IS NOT NULL))
           RETURNING coalesce(m.grant_id, m.id) AS grant_id
         )
         SELECT e.consent_id, e.client_id, e.psu_id, e.kind, e.from_status,
                (SELECT count(*)::int FROM revoked r WHERE r.grant_id = e.grant_id) AS revoked
           FROM expired e`,
        [now, EXPIRING_PAYMENT_CONSENT_KINDS, batchSize, reason],
      );
      await recordAuditEvents(
        manager,
        rows.map((row) => ({
          type: 'consent.expired' as const,
          actor: { type: 'system' as const, id: 'consent-expiry' },
          clientId: row.client_id,
          psuId: row.psu_id ?? undefined,
          consentId: row.consent_id,
          occurredAt: now,
          data: { kind: row.kind, from: row.from_status, to: 'EXPD', reason, revokedGrantRecords: row.revoked },
        })),
      );
      return rows.length;
    });
    total += ended;
    if (ended < batchSize) break;
  }
  return total;
}
