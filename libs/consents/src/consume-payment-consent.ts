import { recordAuditEvent } from '@consentry/audit';
import { EntityManager, JsonObject, PaymentConsentEntity, PaymentConsentKind } from '@consentry/database';

import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import { canPaymentConsentTransition } from './consent-status.js';
import { lockPaymentConsentOfClient } from './payment-consent-queries.js';
import { approvedInitiationHash, approvedTerms, sameInitiation } from './payment-initiation.js';

export interface ConsumePaymentConsentCommand {
  consentId: string;
  clientId: string;
  kind: PaymentConsentKind;
  /** The payment order's Initiation, as the TPP sent it. */
  initiation: JsonObject;
  interactionId?: string;
}

/**
 * U008, for every kind of payment consent: the consent row must still be exactly what the PSU approved
 * (PSD2 RTS Art. 5: a row changed since is refused, `Data.ConsentId`), and the order's Initiation the
 * consent's (`Data.Initiation`).
 */
export function assertConsentAsApproved(consent: PaymentConsentEntity, orderedInitiation: JsonObject): void {
  if (!consent.debtorAccountId || consent.initiationHash !== approvedInitiationHash(approvedTerms(consent), consent.debtorAccountId)) {
    throw new ConsentException(ConsentExceptionCode.ConsentMismatch, 'The consent no longer matches what the PSU approved', 'Data.ConsentId');
  }
  if (!sameInitiation(consent.initiation, orderedInitiation)) {
    throw new ConsentException(ConsentExceptionCode.ConsentMismatch, 'The Initiation differs from the consent’s', 'Data.Initiation');
  }
}

/**
 * A payment order uses its consent, inside the caller's transaction (which writes the order): the
 * consent row stays locked until it commits, so two orders on one consent are serialised and the
 * second finds it consumed. Checked in the fixed order: status (U009), then that the consent is still
 * what the PSU approved and the order is what the consent says (U008). AUTH -> COND.
 */
export async function consumePaymentConsent(manager: EntityManager, command: ConsumePaymentConsentCommand): Promise<PaymentConsentEntity> {
  const consent = await lockPaymentConsentOfClient(manager, command.consentId, command.clientId);
  if (consent.kind !== command.kind) throw new ConsentException(ConsentExceptionCode.NotFound, 'No such consent');
  if (!canPaymentConsentTransition(consent.kind, consent.status, 'COND')) {
    throw new ConsentException(
      ConsentExceptionCode.InvalidStatus,
      consent.status === 'COND' ? 'The consent has already been used for a payment' : `The consent is ${consent.status}, not authorised`,
    );
  }
  assertConsentAsApproved(consent, command.initiation);
  const now = new Date();
  await manager.update(PaymentConsentEntity, { consentId: consent.consentId }, { status: 'COND', statusUpdateDateTime: now });
  await recordAuditEvent(manager, {
    type: 'consent.consumed',
    actor: { type: 'tpp', id: command.clientId },
    clientId: consent.clientId,
    psuId: consent.psuId ?? undefined,
    consentId: consent.consentId,
    interactionId: command.interactionId,
    data: { kind: consent.kind, from: 'AUTH', to: 'COND' },
  });
  return Object.assign(consent, { status: 'COND' as const, statusUpdateDateTime: now });
}
