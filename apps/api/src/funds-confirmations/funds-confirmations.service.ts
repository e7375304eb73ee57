import { CreatePaymentConsent, PaymentApprovalSeal, PaymentConsentAccess, paymentConsentOfClient, paymentConsentStatusAsOf, obInstant, RevokePaymentConsent } from '@consentry/consents';
import { AggregatedBank } from '@consentry/banking';
import { DataSource, JsonObject, PaymentConsentEntity } from '@consentry/database';
import { ObErrorCode, ObErrorException } from '@consentry/validation';
import { Inject, Injectable } from '@nestjs/common';

import { CONSENT_STATUS_CLOCK, type ConsentStatusClockOf } from '../api.tokens.js';
import { PublicUrl } from '../http/public-url.js';
import { ObLinks, ObMeta, obDateTime } from '../open-banking/ob-response.js';
import { CBPII_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { ConfirmFunds } from './confirm-funds.use-case.js';
import { OBFundsConfirmation1Dto, OBFundsConfirmationConsent1Dto } from './funds-confirmation.dto.js';

/** OBFundsConfirmationConsentResponse1 */
export interface OBFundsConfirmationConsentResponse1 {
  Data: {
    ConsentId: string;
    CreationDateTime: string;
    Status: string;
    StatusReason?: Array<{ StatusReasonDescription: string }>;
    StatusUpdateDateTime: string;
    ExpirationDateTime?: string;
    DebtorAccount: JsonObject;
  };
  Links: ObLinks;
  Meta: ObMeta;
}

/** OBFundsConfirmationResponse1: the answer is a yes or a no, never a balance. */
export interface OBFundsConfirmationResponse1 {
  Data: {
    FundsConfirmationId: string;
    ConsentId: string;
    CreationDateTime: string;
    FundsAvailable: boolean;
    Reference: string;
    InstructedAmount: { Amount: string; Currency: string };
  };
  Links: ObLinks;
  Meta: ObMeta;
}

const CONSENTS_PATH = `/${CBPII_BASE_PATH}/funds-confirmation-consents`;

@Injectable()
export class FundsConfirmationsService {
  private readonly createConsentUseCase: CreatePaymentConsent;
  private readonly deleteConsentUseCase: RevokePaymentConsent;
  private readonly confirmFunds: ConfirmFunds;

  constructor(
    private readonly dataSource: DataSource,
    bank: AggregatedBank,
    private readonly publicUrl: PublicUrl,
    approvals: PaymentApprovalSeal,
    @Inject(CONSENT_STATUS_CLOCK) private readonly statusClock: ConsentStatusClockOf,
  ) {
    this.createConsentUseCase = new CreatePaymentConsent(dataSource);
    this.deleteConsentUseCase = new RevokePaymentConsent(dataSource);
    this.confirmFunds = new ConfirmFunds(dataSource, bank, approvals);
  }

  async createConsent(clientId: string, body: OBFundsConfirmationConsent1Dto, interactionId: string): Promise<OBFundsConfirmationConsentResponse1> {
    const expirationDateTime = body.Data.ExpirationDateTime ? obInstant(body.Data.ExpirationDateTime) : null;
    if (expirationDateTime && expirationDateTime <= new Date()) {
      throw ObErrorException.badRequest(ObErrorCode.FieldInvalidDate, 'ExpirationDateTime must be in the future', 'Data.ExpirationDateTime');
    }
    const consent = await this.createConsentUseCase.execute({
      clientId,
      kind: 'funds-confirmation',
      // The consent's Data as sent, but for its expiry, which has a column of its own.
      initiation: { DebtorAccount: JSON.parse(JSON.stringify(body.Data.DebtorAccount)) as JsonObject },
      risk: {},
      expirationDateTime,
      interactionId,
    });
    return this.consentResponse(consent);
  }

  async getConsent(clientId: string, consentId: string): Promise<OBFundsConfirmationConsentResponse1> {
    return this.consentResponse(await paymentConsentOfClient(this.dataSource, consentId, clientId, 'funds-confirmation'));
  }

  async deleteConsent(clientId: string, consentId: string, interactionId: string): Promise<void> {
    await this.deleteConsentUseCase.execute({ consentId, by: { type: 'tpp', clientId }, kind: 'funds-confirmation', interactionId });
  }

  async fundsConfirmation(consent: PaymentConsentAccess, body: OBFundsConfirmation1Dto, interactionId: string): Promise<OBFundsConfirmationResponse1> {
    const { Amount, Currency } = body.Data.InstructedAmount;
    const answer = await this.confirmFunds.execute({ consent, amount: Amount, currency: Currency, interactionId });
    return {
      Data: {
        FundsConfirmationId: answer.fundsConfirmationId,
        ConsentId: consent.consentId,
        CreationDateTime: obDateTime(answer.createdAt),
        FundsAvailable: answer.fundsAvailable,
        Reference: body.Data.Reference,
        InstructedAmount: { Amount, Currency },
      },
      // The answer is not a resource that can be read again: Self is where it was asked.
      Links: { Self: this.publicUrl.of(`/${CBPII_BASE_PATH}/funds-confirmations`) },
      Meta: {},
    };
  }

  private consentResponse(consent: PaymentConsentEntity): OBFundsConfirmationConsentResponse1 {
    // As the rules hold it now: past its end or awaited too long, before the sweep writes it.
    const { status, statusUpdateDateTime } = paymentConsentStatusAsOf(consent, this.statusClock());
    return {
      Data: {
        ConsentId: consent.consentId,
        CreationDateTime: obDateTime(consent.creationDateTime),
        Status: status,
        ...(consent.statusReasonDescription ? { StatusReason: [{ StatusReasonDescription: consent.statusReasonDescription.slice(0, 500) }] } : {}),
        StatusUpdateDateTime: obDateTime(statusUpdateDateTime),
        ...(consent.expirationDateTime ? { ExpirationDateTime: obDateTime(consent.expirationDateTime) } : {}),
        DebtorAccount: consent.initiation.DebtorAccount as JsonObject,
      },
      Links: { Self: this.publicUrl.of(`${CONSENTS_PATH}/${encodeURIComponent(consent.consentId)}`) },
      Meta: {},
    };
  }
}
