import { recordAuditEvent } from '@consentry/audit';
import { DataSource, PaymentConsentEntity, PaymentConsentKind } from '@consentry/database';

import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import { assertPaymentConsentTransition } from './consent-status.js';
import { revokeConsentGrant } from './end-account-access-consent.use-case.js';
import { lockPaymentConsentOfClient } from './payment-consent-queries.js';
import { vrpConsentReleaseLock } from './vrp-release-lock.js';

export interface RevokePaymentConsentCommand {
  consentId: string;
  /** The PSU from their dashboard, or the TPP deleting its consent. */
  by: { type: 'psu'; psuId: string } | { type: 'tpp'; clientId: string };
  /** The route's kind, when the TPP deletes through a kind's path: another kind's consent is "not found" there. */
  kind?: PaymentConsentKind;
  interactionId?: string;
}

/**
 * Ends a payment consent that can be revoked (a VRP or a funds-confirmation consent, AWAU or AUTH -> CANC). Its grant and every
 * token of it are deleted in the same transaction, so the next VRP under it is refused. A domestic
 * payment consent cannot be revoked (its transitions have no CANC). A VRP an admin is releasing under it
 * is paid first, and the revocation answered after it (vrpConsentReleaseLock).
 */
export class RevokePaymentConsent {
  constructor(private readonly dataSource: DataSource) {}

  execute(command: RevokePaymentConsentCommand): Promise<PaymentConsentEntity> {
    return this.dataSource.transaction(async (manager) => {
      // An admin's release of a held VRP under it, being decided or sent to the bank, first: the PSU is
      // answered after that payment, never told the consent ended while a payment it did not stop goes out.
      await manager.query(`SELECT pg_advisory_xact_lock(${vrpConsentReleaseLock('$1')})`, [command.consentId]);
      const consent = await lockPaymentConsentOfClient(manager, command.consentId, command.by.type === 'tpp' ? command.by.clientId : undefined);
      if (command.by.type === 'psu' && consent.psuId !== command.by.psuId) throw new ConsentException(ConsentExceptionCode.NotFound, 'No such consent');
      if (command.kind !== undefined && consent.kind !== command.kind) throw new ConsentException(ConsentExceptionCode.NotFound, 'No such consent');
      assertPaymentConsentTransition(consent.kind, consent.status, 'CANC');
      const now = new Date();
      // Past its ValidToDateTime or ExpirationDateTime it has ended on its own, swept or not: the PSU is told
      // so, not shown a revocation (until 7 December 2026 it became CANC "Revoked by the PSU").
      if (command.by.type === 'psu' && consent.expirationDateTime && consent.expirationDateTime <= now) {
        throw new ConsentException(ConsentExceptionCode.InvalidStatus, 'the consent has expired');
      }
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
