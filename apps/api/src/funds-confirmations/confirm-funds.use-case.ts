import { randomUUID } from 'node:crypto';

import { recordAuditEvent } from '@consentry/audit';
import { AggregatedBank } from '@consentry/banking';
import { isPaymentConsentLive, PaymentApprovalSeal, PaymentConsentAccess, withApprovedPaymentConsent } from '@consentry/consents';
import { DataSource } from '@consentry/database';
import { ObErrorCode, ObErrorException } from '@consentry/validation';

import { assertAmountAboveZero } from '../domestic-payments/instructed-amount.rule.js';

/** Funds-confirmation ids: at most 40 characters (OBFundsConfirmationResponse1.FundsConfirmationId). */
export const FUNDS_CONFIRMATION_ID_PREFIX = 'fc-';

export interface ConfirmFundsCommand {
  /** The token's consent, as PaymentConsentGuard read it for this request. */
  consent: PaymentConsentAccess;
  amount: string;
  currency: string;
  interactionId?: string;
}

export interface FundsConfirmation {
  fundsConfirmationId: string;
  fundsAvailable: boolean;
  createdAt: Date;
}

/**
 * A CBPII asks whether the consent's account covers an amount now (PSD2 Art. 65): yes or no, never a
 * balance. Only while the consent is AUTH and unexpired (a deleted or expired consent is 403 U009, as an
 * ended AIS consent is). The answer is not stored; the question and the answer are audited.
 */
export class ConfirmFunds {
  constructor(
    private readonly dataSource: DataSource,
    private readonly bank: AggregatedBank,
    private readonly approvals: PaymentApprovalSeal,
  ) {}

  async execute(command: ConfirmFundsCommand): Promise<FundsConfirmation> {
    const { consent } = command;
    const now = new Date();
    // A body check (the pattern admits 0): before the consent's status, as UK OB orders them.
    assertAmountAboveZero(command.amount, 'Data.InstructedAmount.Amount');
    const notLive = (): ObErrorException =>
      new ObErrorException(403, [
        { ErrorCode: ObErrorCode.ResourceInvalidConsentStatus, Message: 'The consent is not authorised, has expired or was deleted', Path: 'Data.ConsentId' },
      ]);
    if (!isPaymentConsentLive(consent, now) || !consent.debtorAccountId) throw notLive();
    const fundsConfirmationId = `${FUNDS_CONFIRMATION_ID_PREFIX}${randomUUID()}`;
    // The account the PSU approved (U008 for a consent altered since: another account is never asked
    // about), asked at the bank's primary while the consent's row is share-locked: a deletion or the
    // PSU's revocation meanwhile waits for this answer, and a check that waited for one is refused.
    const fundsAvailable = await withApprovedPaymentConsent(
      this.dataSource,
      this.approvals,
      { ...consent, kind: 'funds-confirmation' },
      (stored) => (isPaymentConsentLive(stored, now) ? null : notLive()),
      async (approved, manager) => {
        const available = await this.bank.confirmFunds(approved.debtorAccountId!, command.amount, command.currency);
        await recordAuditEvent(manager, {
          type: 'funds.confirmed',
          actor: { type: 'tpp', id: consent.clientId },
          clientId: consent.clientId,
          psuId: consent.psuId ?? undefined,
          consentId: consent.consentId,
          interactionId: command.interactionId,
          data: { fundsConfirmationId, amount: command.amount, currency: command.currency, fundsAvailable: available },
        });
        return available;
      },
    );
    return { fundsConfirmationId, fundsAvailable, createdAt: now };
  }
}
