import { recordAuditEvent, recordAuditEvents } from '@consentry/audit';
import { DataSource, PaymentConsentEntity, PaymentConsentKind } from '@consentry/database';

import { assertPaymentConsentTransition, awaitingCutoff, STALE_AWAITING_STATUS } from './consent-status.js';
import { lockPaymentConsentOfClient } from './payment-consent-queries.js';

export interface RejectPaymentConsentCommand {
  consentId: string;
  psuId: string;
  interactionId?: string;
}

/** The PSU denied the payment at the consent page: AWAU -> RJCT. */
export class RejectPaymentConsent {
  constructor(private readonly dataSource: DataSource) {}

  async execute(command: RejectPaymentConsentCommand): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const consent = await lockPaymentConsentOfClient(manager, command.consentId, undefined);
      assertPaymentConsentTransition(consent.kind, consent.status, 'RJCT');
      const now = new Date();
      const reason = 'Rejected by the PSU';
      await manager.update(
        PaymentConsentEntity,
        { consentId: consent.consentId },
        { status: 'RJCT', psuId: command.psuId, statusReasonDescription: reason, statusUpdateDateTime: now },
      );
      await recordAuditEvent(manager, {
        type: 'consent.rejected',
        actor: { type: 'psu', id: command.psuId },
        clientId: consent.clientId,
        psuId: command.psuId,
        consentId: consent.consentId,
        interactionId: command.interactionId,
        data: { kind: consent.kind, from: 'AWAU', to: 'RJCT', reason },
      });
    });
  }
}

/**
 * Payment consents nobody authorised in time. A domestic one becomes RJCT (it has no EXPD; see
 * STALE_AWAITING_STATUS), in batches of one statement each, with a consent.rejected event per consent
 * written in the same transaction. Returns how many were ended.
 */
export async function rejectStalePaymentConsents(
  dataSource: DataSource,
  options: { awaitingMaxAgeSeconds: number; now?: Date; batchSize?: number },
): Promise<number> {
  const now = options.now ?? new Date();
  const cutoff = awaitingCutoff(now, options.awaitingMaxAgeSeconds);
  const batchSize = options.batchSize ?? 10_000;
  const reason = 'Rejected: not authorised in time';
  let total = 0;
  for (const [kind, to] of Object.entries(STALE_AWAITING_STATUS) as Array<[PaymentConsentKind, 'RJCT' | 'EXPD']>) {
    for (;;) {
      const ended = await dataSource.transaction(async (manager) => {
        const [rows]: [Array<{ consent_id: string; client_id: string }>, number] = await manager.query(
          `UPDATE payment_consent SET status = $1, status_update_date_time = $2, status_reason_description = $3
            WHERE consent_id = ANY (ARRAY(
              SELECT consent_id FROM payment_consent WHERE status = 'AWAU' AND kind = $4 AND creation_date_time <= $5
              ORDER BY creation_date_time LIMIT $6 FOR UPDATE SKIP LOCKED))
           RETURNING consent_id, client_id`,
          [to, now, reason, kind, cutoff, batchSize],
        );
        await recordAuditEvents(
          manager,
          rows.map((row) => ({
            type: to === 'RJCT' ? ('consent.rejected' as const) : ('consent.expired' as const),
            actor: { type: 'system' as const, id: 'consent-expiry' },
            clientId: row.client_id,
            consentId: row.consent_id,
            occurredAt: now,
            data: { kind, from: 'AWAU', to, reason },
          })),
        );
        return rows.length;
      });
      total += ended;
      if (ended < batchSize) break;
    }
  }
  return total;
}
