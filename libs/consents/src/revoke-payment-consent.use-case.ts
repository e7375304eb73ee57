import { recordAuditEvent, recordAuditEvents } from '@consentry/audit';
import { DataSource, PaymentConsentEntity, PaymentConsentKind } from '@consentry/database';

import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import { assertPaymentConsentTransition, canPaymentConsentTransition } from './consent-status.js';
import { revokeConsentGrant } from './end-account-access-consent.use-case.js';
import { lockPaymentConsentOfClient } from './payment-consent-queries.js';

export interface RevokePaymentConsentCommand {
  consentId: string;
  /** The PSU from their dashboard, or the TPP deleting its consent. */
  by: { type: 'psu'; psuId: string } | { type: 'tpp'; clientId: string };
  interactionId?: string;
}

/**
 * Ends a payment consent that can be revoked (a VRP consent, AWAU or AUTH -> CANC). Its grant and every
 * token of it are deleted in the same transaction, so the next VRP under it is refused. A domestic
 * payment consent cannot be revoked (its transitions have no CANC).
 */
export class RevokePaymentConsent {
  constructor(private readonly dataSource: DataSource) {}

  execute(command: RevokePaymentConsentCommand): Promise<PaymentConsentEntity> {
    return this.dataSource.transaction(async (manager) => {
      const consent = await lockPaymentConsentOfClient(manager, command.consentId, command.by.type === 'tpp' ? command.by.clientId : undefined);
      if (command.by.type === 'psu' && consent.psuId !== command.by.psuId) throw new ConsentException(ConsentExceptionCode.NotFound, 'consent not found');
      assertPaymentConsentTransition(consent.kind, consent.status, 'CANC');
      const now = new Date();
      const reason = command.by.type === 'psu' ? 'Revoked by the PSU' : 'Deleted by the TPP';
      await manager.update(
        PaymentConsentEntity,
        { consentId: consent.consentId },
        { status: 'CANC', statusReasonDescription: reason, statusUpdateDateTime: now, grantId: null },
      );
      const revokedGrantRecords = await revokeConsentGrant(manager, consent.grantId);
      await recordAuditEvent(manager, {
        type: 'consent.revoked',
        actor: command.by.type === 'psu' ? { type: 'psu', id: command.by.psuId } : { type: 'tpp', id: command.by.clientId },
        clientId: consent.clientId,
        psuId: consent.psuId ?? undefined,
        consentId: consent.consentId,
        interactionId: command.interactionId,
        data: { kind: consent.kind, from: consent.status, to: 'CANC', reason, revokedGrantRecords },
      });
      return Object.assign(consent, { status: 'CANC' as const, statusReasonDescription: reason, statusUpdateDateTime: now, grantId: null });
    });
  }
}

/**
 * Authorised payment consents whose end (a VRP's ValidToDateTime) has passed become EXPD, for the kinds
 * that can expire, in batches of one statement each; their grants and tokens go with them, and a
 * consent.expired event per consent is written in the same transaction. Returns how many were ended.
 */
export async function expireEndedPaymentConsents(dataSource: DataSource, options: { now?: Date; batchSize?: number } = {}): Promise<number> {
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 10_000;
  const kinds = (['domestic-payment', 'domestic-vrp'] as const satisfies readonly PaymentConsentKind[]).filter((kind) => canPaymentConsentTransition(kind, 'AUTH', 'EXPD'));
  const reason = 'Expired: ValidToDateTime has passed';
  let total = 0;
  for (;;) {
    const ended = await dataSource.transaction(async (manager) => {
      const [rows]: [Array<{ consent_id: string; client_id: string; psu_id: string | null; grant_id: string | null; kind: string }>, number] = await manager.query(
        `WITH due AS (
           SELECT consent_id, grant_id FROM payment_consent
            WHERE status = 'AUTH' AND expiration_date_time IS NOT NULL AND expiration_date_time <= $1 AND kind = ANY ($2)
            ORDER BY expiration_date_time LIMIT $3 FOR UPDATE SKIP LOCKED)
         UPDATE payment_consent p SET status = 'EXPD', status_update_date_time = $1, status_reason_description = $4, grant_id = NULL
           FROM due WHERE p.consent_id = due.consent_id
         RETURNING p.consent_id, p.client_id, p.psu_id, due.grant_id, p.kind`,
        [now, kinds, batchSize, reason],
      );
      const grants = rows.map((row) => row.grant_id).filter((id): id is string => id !== null);
      if (grants.length > 0) await manager.query(`DELETE FROM oidc_model WHERE grant_id = ANY ($1) OR (model = 'Grant' AND id = ANY ($1))`, [grants]);
      await recordAuditEvents(
        manager,
        rows.map((row) => ({
          type: 'consent.expired' as const,
          actor: { type: 'system' as const, id: 'consent-expiry' },
          clientId: row.client_id,
          psuId: row.psu_id ?? undefined,
          consentId: row.consent_id,
          occurredAt: now,
          data: { kind: row.kind, from: 'AUTH', to: 'EXPD', reason },
        })),
      );
      return rows.length;
    });
    total += ended;
    if (ended < batchSize) break;
  }
  return total;
}
