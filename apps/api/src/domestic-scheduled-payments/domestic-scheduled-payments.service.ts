import { CreatePaymentConsent, PaymentApprovalSeal, paymentConsentOfClient } from '@consentry/consents';
import { AggregatedBank } from '@consentry/banking';
import { DataSource, DomesticPaymentEntity, PaymentConsentEntity } from '@consentry/database';
import { PaymentRiskEngine } from '@consentry/risk';
import { ObErrorCode, ObErrorException } from '@consentry/validation';
import { Inject, Injectable } from '@nestjs/common';

import { CONSENT_STATUS_CLOCK, type ConsentStatusClockOf } from '../api.tokens.js';
import { OBWritePaymentDetailsResponse1, paymentConsentStatusData, paymentDetailsResponse, plain, statusReason, StatusReason } from '../domestic-payments/domestic-payments.service.js';
import { assertAmountAboveZero } from '../domestic-payments/instructed-amount.rule.js';
import { SubmitDomesticPayment } from '../domestic-payments/submit-domestic-payment.use-case.js';
import { PublicUrl } from '../http/public-url.js';
import { ObLinks, ObMeta, obDateTime } from '../open-banking/ob-response.js';
import { PISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import type { PaymentWrite } from '../security/payment-write.pipeline.js';
import { OBWriteDomesticScheduled2Dto, OBWriteDomesticScheduledConsent4Dto, ScheduledInitiationDto } from './domestic-scheduled-payment.dto.js';

/** OBWriteDomesticScheduledConsentResponse5 */
export interface OBWriteDomesticScheduledConsentResponse5 {
  Data: {
    ConsentId: string;
    CreationDateTime: string;
    Status: string;
    StatusReason?: StatusReason;
    StatusUpdateDateTime: string;
    Permission: 'Create';
    ReadRefundAccount?: 'Yes' | 'No';
    Initiation: Record<string, unknown>;
  };
  Risk: Record<string, unknown>;
  Links: ObLinks;
  Meta: ObMeta;
}

/** OBWriteDomesticScheduledResponse5 */
export interface OBWriteDomesticScheduledResponse5 {
  Data: {
    DomesticScheduledPaymentId: string;
    ConsentId: string;
    CreationDateTime: string;
    Status: string;
    StatusReason?: StatusReason;
    StatusUpdateDateTime: string;
    ExpectedExecutionDateTime?: string;
    Initiation: Record<string, unknown>;
  };
  Links: ObLinks;
  Meta: ObMeta;
}

const CONSENTS = `/${PISP_BASE_PATH}/domestic-scheduled-payment-consents`;
const PAYMENTS = `/${PISP_BASE_PATH}/domestic-scheduled-payments`;

/**
 * UK OB v4.0 domestic scheduled payments: a domestic payment with a date. The consent is approved as a
 * domestic one (the date is part of the Initiation the approval hash covers); the order consumes it at
 * once and waits PDNG until the worker runs it on its date (executeDueScheduledPayments), or the PSU
 * cancels it (CANC).
 */
@Injectable()
export class DomesticScheduledPaymentsService {
  private readonly createConsentUseCase: CreatePaymentConsent;
  private readonly submit: SubmitDomesticPayment;

  constructor(
    private readonly dataSource: DataSource,
    bank: AggregatedBank,
    risk: PaymentRiskEngine,
    private readonly publicUrl: PublicUrl,
    approvals: PaymentApprovalSeal,
    @Inject(CONSENT_STATUS_CLOCK) private readonly statusClock: ConsentStatusClockOf,
  ) {
    this.createConsentUseCase = new CreatePaymentConsent(dataSource);
    this.submit = new SubmitDomesticPayment(dataSource, bank, risk, approvals);
  }

  createConsent(clientId: string, body: OBWriteDomesticScheduledConsent4Dto, interactionId: string): PaymentWrite<PaymentConsentEntity, OBWriteDomesticScheduledConsentResponse5> {
    const initiation = plain(body.Data.Initiation);
    assertAmountAboveZero(body.Data.Initiation.InstructedAmount.Amount, 'Data.Initiation.InstructedAmount.Amount');
    return {
      stage: (manager) => {
        assertExecutionAhead(body.Data.Initiation, 'Data.Initiation');
        return this.createConsentUseCase.execute(
          { clientId, kind: 'domestic-scheduled-payment', initiation, risk: plain(body.Risk), readRefundAccount: body.Data.ReadRefundAccount, interactionId },
          manager,
        );
      },
      render: (consent) => this.consentResponse(consent),
    };
  }

  async getConsent(clientId: string, consentId: string): Promise<OBWriteDomesticScheduledConsentResponse5> {
    return this.consentResponse(await paymentConsentOfClient(this.dataSource, consentId, clientId, 'domestic-scheduled-payment'));
  }

  /** The order: checked against its consent (U009, U008: its Initiation and Risk) and stored PDNG for its date; nothing is debited now. */
  createPayment(clientId: string, body: OBWriteDomesticScheduled2Dto, interactionId: string): PaymentWrite<DomesticPaymentEntity, OBWriteDomesticScheduledResponse5> {
    assertAmountAboveZero(body.Data.Initiation.InstructedAmount.Amount, 'Data.Initiation.InstructedAmount.Amount');
    return {
      stage: (manager, record) => {
        assertExecutionAhead(body.Data.Initiation, 'Data.Initiation');
        return this.submit.stage(
          manager,
          {
            clientId,
            consentId: body.Data.ConsentId,
            kind: 'domestic-scheduled-payment',
            requestedExecutionDateTime: new Date(body.Data.Initiation.RequestedExecutionDateTime),
            initiation: plain(body.Data.Initiation),
            risk: plain(body.Risk),
            interactionId,
          },
          record,
        );
      },
      render: (payment) => this.paymentResponse(payment),
    };
  }

  async getPayment(clientId: string, paymentId: string): Promise<OBWriteDomesticScheduledResponse5> {
    return this.paymentResponse(await this.paymentOf(clientId, paymentId));
  }

  async paymentDetails(clientId: string, paymentId: string): Promise<OBWritePaymentDetailsResponse1> {
    const payment = await this.paymentOf(clientId, paymentId);
    return paymentDetailsResponse(payment, this.publicUrl.of(`${PAYMENTS}/${encodeURIComponent(payment.paymentId)}/payment-details`));
  }

  private async paymentOf(clientId: string, paymentId: string): Promise<DomesticPaymentEntity> {
    // Only the TPP's own scheduled payments; read from the primary.
    const payment = await this.dataSource.getRepository(DomesticPaymentEntity).findOne({ where: { paymentId, clientId } });
    if (!payment || payment.requestedExecutionDateTime === null) throw new ObErrorException(404, [{ ErrorCode: ObErrorCode.ResourceNotFound, Message: 'No such scheduled payment', Path: 'DomesticScheduledPaymentId' }]);
    return payment;
  }

  private consentResponse(consent: PaymentConsentEntity): OBWriteDomesticScheduledConsentResponse5 {
    return {
      Data: {
        ...paymentConsentStatusData(consent, this.statusClock()),
        Permission: 'Create',
        Initiation: consent.initiation,
      },
      Risk: consent.risk,
      Links: { Self: this.publicUrl.of(`${CONSENTS}/${encodeURIComponent(consent.consentId)}`) },
      Meta: {},
    };
  }

  private paymentResponse(payment: DomesticPaymentEntity): OBWriteDomesticScheduledResponse5 {
    const reason = statusReason(payment.statusReason, payment.statusReasonDescription);
    return {
      Data: {
        DomesticScheduledPaymentId: payment.paymentId,
        ConsentId: payment.consentId,
        CreationDateTime: obDateTime(payment.creationDateTime),
        Status: payment.status,
        ...(reason ? { StatusReason: reason } : {}),
        StatusUpdateDateTime: obDateTime(payment.statusUpdateDateTime),
        ...(payment.requestedExecutionDateTime ? { ExpectedExecutionDateTime: obDateTime(payment.requestedExecutionDateTime) } : {}),
        Initiation: payment.initiation,
      },
      Links: { Self: this.publicUrl.of(`${PAYMENTS}/${encodeURIComponent(payment.paymentId)}`) },
      Meta: {},
    };
  }
}

/**
 * A date still ahead: a scheduled payment cannot be set in the past (U003). Checked in the write's stage,
 * after the idempotency key: the same request sent again once the date has passed gets its first answer
 * (until 7 December 2026 it was refused U003, and a TPP that lost the first answer would pay again while
 * the first order stood). The amount, whose check says the same whenever it is asked, is checked before.
 */
function assertExecutionAhead(initiation: ScheduledInitiationDto, path: string): void {
  if (!(new Date(initiation.RequestedExecutionDateTime).getTime() > Date.now())) {
    throw ObErrorException.badRequest(ObErrorCode.FieldInvalidDate, 'RequestedExecutionDateTime must be in the future', `${path}.RequestedExecutionDateTime`);
  }
}
