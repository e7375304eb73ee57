import {
  type ConsentStatusClock,
  CreatePaymentConsent,
  PaymentApprovalSeal,
  PaymentConsentAccess,
  paymentConsentOfClient,
  paymentConsentStatusAsOf,
  summariseInitiation,
  withApprovedPaymentConsent,
} from '@consentry/consents';
import { AggregatedBank } from '@consentry/banking';
import { DataSource, DomesticPaymentEntity, JsonObject, PaymentConsentEntity } from '@consentry/database';
import { PaymentRiskEngine } from '@consentry/risk';
import { ObErrorCode, ObErrorException } from '@consentry/validation';
import { Inject, Injectable } from '@nestjs/common';

import { CONSENT_STATUS_CLOCK, type ConsentStatusClockOf } from '../api.tokens.js';
import { PublicUrl } from '../http/public-url.js';
import type { PaymentWrite } from '../security/payment-write.pipeline.js';
import { ObLinks, ObMeta, obDateTime } from '../open-banking/ob-response.js';
import { PISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { assertAmountAboveZero } from './instructed-amount.rule.js';
import { OBWriteDomestic2Dto, OBWriteDomesticConsent4Dto } from './domestic-payment.dto.js';
import { SubmitDomesticPayment } from './submit-domestic-payment.use-case.js';

export type StatusReason = Array<{ StatusReasonCode?: string; StatusReasonDescription?: string }>;

/** OBWriteDomesticConsentResponse5 */
export interface OBWriteDomesticConsentResponse5 {
  Data: {
    ConsentId: string;
    CreationDateTime: string;
    Status: string;
    StatusReason?: StatusReason;
    StatusUpdateDateTime: string;
    ReadRefundAccount?: 'Yes' | 'No';
    Initiation: JsonObject;
  };
  Risk: JsonObject;
  Links: ObLinks;
  Meta: ObMeta;
}

/** OBWriteDomesticResponse5 */
export interface OBWriteDomesticResponse5 {
  Data: {
    DomesticPaymentId: string;
    ConsentId: string;
    CreationDateTime: string;
    Status: string;
    StatusReason?: StatusReason;
    StatusUpdateDateTime: string;
    Initiation: JsonObject;
  };
  Links: ObLinks;
  Meta: ObMeta;
}

/** OBWriteFundsConfirmationResponse1 */
export interface OBWriteFundsConfirmationResponse1 {
  Data: { FundsAvailableResult: { FundsAvailableDateTime: string; FundsAvailable: boolean } };
  Links: ObLinks;
  Meta: ObMeta;
}

/** OBWritePaymentDetails1: one transfer's status at the bank. */
export interface ObPaymentDetails {
  PaymentTransactionId: string;
  Status: string;
  StatusUpdateDateTime: string;
  StatusDetail?: { Status: string; StatusReason?: string; StatusReasonDescription?: string };
}

/** OBWritePaymentDetailsResponse1 */
export interface OBWritePaymentDetailsResponse1 {
  Data: { PaymentStatus: ObPaymentDetails[] };
  Links: ObLinks;
  Meta: ObMeta;
}

/** A DTO as the plain JSON it was sent as (the stored and compared form). */
export function plain(value: object): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

/**
 * A payment's (or a standing order's run's) transfer status, as payment-details reports it. The transfer
 * statuses have no CANC: a payment the PSU cancelled before it was sent (a scheduled payment, a held run
 * cancelled with its order) is a transfer that did not happen, RJCT with the reason in its StatusDetail,
 * while the order's own resource keeps its CANC. Until 7 December 2026 payment-details answered CANC,
 * outside OBWritePaymentDetailsResponse1.
 */
export function paymentDetailsOf(payment: {
  paymentId: string;
  ledgerTransactionId: string | null;
  status: string;
  statusReason: string | null;
  statusReasonDescription?: string | null;
  statusUpdateDateTime: Date;
}): ObPaymentDetails {
  const entry = { PaymentTransactionId: payment.ledgerTransactionId ?? payment.paymentId, StatusUpdateDateTime: obDateTime(payment.statusUpdateDateTime) };
  if (payment.status === 'CANC') {
    return { ...entry, Status: 'RJCT', StatusDetail: { Status: 'RJCT', StatusReasonDescription: 'Cancelled by the PSU before it was sent to the bank' } };
  }
  // Why it was rejected (AM04, FR01, ...), as the payment's own GET and a VRP's payment-details say: until
  // 8 December 2026 a rejected scheduled payment or standing-order run read a bare RJCT here.
  if (!payment.statusReason || payment.statusReason.length > 4) return { ...entry, Status: payment.status };
  const description = payment.statusReasonDescription ? { StatusReasonDescription: payment.statusReasonDescription.slice(0, 256) } : {};
  return { ...entry, Status: payment.status, StatusDetail: { Status: payment.status, StatusReason: payment.statusReason, ...description } };
}

/** OBWritePaymentDetailsResponse1 of a domestic (immediate or scheduled) payment: its one status at the bank. */
export function paymentDetailsResponse(payment: DomesticPaymentEntity, self: string): OBWritePaymentDetailsResponse1 {
  return { Data: { PaymentStatus: [paymentDetailsOf(payment)] }, Links: { Self: self }, Meta: {} };
}

export function statusReason(code: string | null, description: string | null): StatusReason | undefined {
  if (!code && !description) return undefined;
  return [{ ...(code && code.length <= 4 ? { StatusReasonCode: code } : {}), ...(description ? { StatusReasonDescription: description.slice(0, 500) } : {}) }];
}

/** The status members every payment consent response's Data opens with, and ReadRefundAccount when asked. */
export function paymentConsentStatusData(
  consent: PaymentConsentEntity,
  clock: ConsentStatusClock,
): Pick<OBWriteDomesticConsentResponse5['Data'], 'ConsentId' | 'CreationDateTime' | 'Status' | 'StatusReason' | 'StatusUpdateDateTime' | 'ReadRefundAccount'> {
  const reason = statusReason(consent.statusReason, consent.statusReasonDescription);
  // As the rules hold it now: past its end or awaited too long, before the sweep writes it.
  const { status, statusUpdateDateTime } = paymentConsentStatusAsOf(consent, clock);
  return {
    ConsentId: consent.consentId,
    CreationDateTime: obDateTime(consent.creationDateTime),
    Status: status,
    ...(reason ? { StatusReason: reason } : {}),
    StatusUpdateDateTime: obDateTime(statusUpdateDateTime),
    ...(consent.readRefundAccount ? { ReadRefundAccount: consent.readRefundAccount } : {}),
  };
}

@Injectable()
export class DomesticPaymentsService {
  private readonly createConsentUseCase: CreatePaymentConsent;
  private readonly submit: SubmitDomesticPayment;

  constructor(
    private readonly dataSource: DataSource,
    private readonly bank: AggregatedBank,
    risk: PaymentRiskEngine,
    private readonly publicUrl: PublicUrl,
    private readonly approvals: PaymentApprovalSeal,
    @Inject(CONSENT_STATUS_CLOCK) private readonly statusClock: ConsentStatusClockOf,
  ) {
    this.createConsentUseCase = new CreatePaymentConsent(dataSource);
    this.submit = new SubmitDomesticPayment(dataSource, bank, risk, approvals);
  }

  /** Consent creation, as a PaymentWrite (PaymentWritePipeline: signed and idempotent). */
  createConsent(clientId: string, body: OBWriteDomesticConsent4Dto, interactionId: string): PaymentWrite<PaymentConsentEntity, OBWriteDomesticConsentResponse5> {
    const initiation = plain(body.Data.Initiation);
    assertAmountAboveZero(summariseInitiation(initiation).amount, 'Data.Initiation.InstructedAmount.Amount');
    return {
      stage: (manager) =>
        this.createConsentUseCase.execute(
          { clientId, kind: 'domestic-payment', initiation, risk: plain(body.Risk), readRefundAccount: body.Data.ReadRefundAccount, interactionId },
          manager,
        ),
      render: (consent) => this.consentResponse(consent),
    };
  }

  async getConsent(clientId: string, consentId: string): Promise<OBWriteDomesticConsentResponse5> {
    return this.consentResponse(await paymentConsentOfClient(this.dataSource, consentId, clientId, 'domestic-payment'));
  }

  /** Whether the debtor account covers the consent's amount now; never the balance (PSD2 Art. 65 spirit). */
  async fundsConfirmation(consent: PaymentConsentAccess): Promise<OBWriteFundsConfirmationResponse1> {
    const notAuthorised = (status: string): ObErrorException =>
      ObErrorException.badRequest(ObErrorCode.ResourceInvalidConsentStatus, `The consent is ${status}, not authorised`, 'ConsentId');
    if (consent.status !== 'AUTH' || !consent.debtorAccountId) throw notAuthorised(consent.status);
    // The debtor account and the amount as the PSU approved them (U008 for a consent altered since),
    // asked while the consent's row is share-locked: a revocation meanwhile waits for this answer.
    const available = await withApprovedPaymentConsent(
      this.dataSource,
      this.approvals,
      { ...consent, kind: 'domestic-payment' },
      (stored) => (stored.status === 'AUTH' ? null : notAuthorised(stored.status)),
      (stored) => {
        const { amount, currency } = summariseInitiation(stored.initiation);
        return this.bank.confirmFunds(stored.debtorAccountId!, amount, currency);
      },
      'ConsentId',
    );
    return {
      Data: { FundsAvailableResult: { FundsAvailableDateTime: obDateTime(new Date()), FundsAvailable: available } },
      Links: { Self: this.publicUrl.of(`/${PISP_BASE_PATH}/domestic-payment-consents/${encodeURIComponent(consent.consentId)}/funds-confirmation`) },
      Meta: {},
    };
  }

  /**
   * The payment order, as a PaymentWrite: staged with the idempotency key (U009, then U008 for an
   * Initiation or Risk unlike the consent's), then debited at the bank.
   */
  createPayment(clientId: string, body: OBWriteDomestic2Dto, interactionId: string): PaymentWrite<DomesticPaymentEntity, OBWriteDomesticResponse5> {
    // A body check: before the idempotency key and the consent's checks (U009, U008), as on consent creation and a VRP.
    assertAmountAboveZero(body.Data.Initiation.InstructedAmount.Amount, 'Data.Initiation.InstructedAmount.Amount');
    const order = { clientId, consentId: body.Data.ConsentId, initiation: plain(body.Data.Initiation), risk: plain(body.Risk), interactionId };
    return {
      stage: (manager, record) => this.submit.stage(manager, order, record),
      settle: (payment, record) => this.submit.settle(payment, interactionId, record),
      render: (payment) => this.paymentResponse(payment),
    };
  }

  async getPayment(clientId: string, paymentId: string): Promise<OBWriteDomesticResponse5> {
    return this.paymentResponse(await this.paymentOf(clientId, paymentId));
  }

  async paymentDetails(clientId: string, paymentId: string): Promise<OBWritePaymentDetailsResponse1> {
    const payment = await this.paymentOf(clientId, paymentId);
    return paymentDetailsResponse(payment, this.publicUrl.of(`/${PISP_BASE_PATH}/domestic-payments/${encodeURIComponent(payment.paymentId)}/payment-details`));
  }

  private async paymentOf(clientId: string, paymentId: string): Promise<DomesticPaymentEntity> {
    // A TPP reads only its own payments; another TPP's is "not found". Read from the primary, always.
    const payment = await this.dataSource.getRepository(DomesticPaymentEntity).findOne({ where: { paymentId, clientId } });
    // A scheduled payment is read at /domestic-scheduled-payments, not here.
    if (!payment || payment.requestedExecutionDateTime !== null) throw new ObErrorException(404, [{ ErrorCode: ObErrorCode.ResourceNotFound, Message: 'No such payment', Path: 'DomesticPaymentId' }]);
    return payment;
  }

  private consentResponse(consent: PaymentConsentEntity): OBWriteDomesticConsentResponse5 {
    return {
      Data: { ...paymentConsentStatusData(consent, this.statusClock()), Initiation: consent.initiation },
      Risk: consent.risk,
      Links: { Self: this.publicUrl.of(`/${PISP_BASE_PATH}/domestic-payment-consents/${encodeURIComponent(consent.consentId)}`) },
      Meta: {},
    };
  }

  private paymentResponse(payment: DomesticPaymentEntity): OBWriteDomesticResponse5 {
    const reason = statusReason(payment.statusReason, payment.statusReasonDescription);
    return {
      Data: {
        DomesticPaymentId: payment.paymentId,
        ConsentId: payment.consentId,
        CreationDateTime: obDateTime(payment.creationDateTime),
        Status: payment.status,
        ...(reason ? { StatusReason: reason } : {}),
        StatusUpdateDateTime: obDateTime(payment.statusUpdateDateTime),
        Initiation: payment.initiation,
      },
      Links: { Self: this.publicUrl.of(`/${PISP_BASE_PATH}/domestic-payments/${encodeURIComponent(payment.paymentId)}`) },
      Meta: {},
    };
  }
}

