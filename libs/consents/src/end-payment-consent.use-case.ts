import { recordAuditEvent, recordAuditEvents } from '@consentry/audit';
import { DataSource, PaymentConsentEntity, PaymentConsentKind } from '@consentry/database';

import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import { assertPaymentConsentTransition, EXPIRING_PAYMENT_CONSENT_KINDS } from './consent-status.js';
import { revokeConsentGrant } from './end-account-access-consent.use-case.js';
import { lockPaymentConsentOfClient } from './payment-consent-queries.js';

export interface DeletePaymentConsentCommand {
  consentId: string;
  clientId: string;
  /** The route's kind: another kind's consent is "not found" there. */
  kind: PaymentConsentKind;
  interactionId?: string;
}

/**
 * The TPP deletes a consent it may end (a funds-confirmation consent): CANC, its grant and every token of
 * it revoked in the same transaction, consent.revoked recorded. The API refuses its tokens from the next call.
 */
export class DeletePaymentConsent {
  constructor(private readonly dataSource: DataSource) {}

  async execute(command: DeletePaymentConsentCommand): Promise<PaymentConsentEntity> {
    return this.dataSource.transaction(async (manager) => {
      const consent = await lockPaymentConsentOfClient(manager, command.consentId, command.clientId);
      if (consent.kind !== command.kind) throw new ConsentException(ConsentExceptionCode.NotFound, 'consent not found');
      assertPaymentConsentTransition(consent.kind, consent.status, 'CANC');
      const now = new Date();
      const reason = 'Deleted by the TPP';
      await manager.update(PaymentConsentEntity, { consentId: consent.consentId }, { status: 'CANC', statusReasonDescription: reason, statusUpdateDateTime: now });
      const revokedGrantRecords = await revokeConsentGrant(manager, consent.grantId);
      await recordAuditEvent(manager, {
        type: 'consent.revoked',
        actor: { type: 'tpp', id: command.clientId },
        clientId: consent.clientId,
        psuId: consent.psuId ?? undefined,
        consentId: consent.consentId,
        interactionId: command.interactionId,
        data: { kind: consent.kind, from: consent.status, to: 'CANC', reason, revokedGrantRecords },
      });
      return Object.assign(consent, { status: 'CANC' as const, statusReasonDescription: reason, statusUpdateDateTime: now });
    });
  }
}

/**
 * Payment consents of the kinds that expire (funds confirmation), AWAU or AUTH and past their
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
