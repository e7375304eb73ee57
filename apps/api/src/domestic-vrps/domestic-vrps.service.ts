import { randomUUID } from 'node:crypto';

import {
  ConsentException,
  ConsentExceptionCode,
  controlParameterDefinitionProblems,
  CreatePaymentConsent,
  PaymentApprovalSeal,
  paymentConsentOfClient,
  PaymentConsentAccess,
  RevokePaymentConsent,
  VrpControlParameters,
  vrpFundsConfirmationProblem,
  obInstant,
  withApprovedPaymentConsent,
} from '@consentry/consents';
import { AggregatedBank } from '@consentry/banking';
import { AccountEntity, DataSource, EntityManager, JsonObject, PaymentConsentEntity, VrpPaymentEntity } from '@consentry/database';
import { PaymentRiskEngine } from '@consentry/risk';
import { ObErrorCode, ObErrorException } from '@consentry/validation';
import { Inject, Injectable } from '@nestjs/common';

import { CONSENT_STATUS_CLOCK, type ConsentStatusClockOf } from '../api.tokens.js';
import { assertAmountAboveZero } from '../domestic-payments/instructed-amount.rule.js';
import { ObPaymentDetails, paymentConsentStatusData, paymentDetailsOf, plain, statusReason, StatusReason } from '../domestic-payments/domestic-payments.service.js';
import { PublicUrl } from '../http/public-url.js';
import type { PaymentWrite } from '../security/payment-write.pipeline.js';
import { ObLinks, ObMeta, obDateTime } from '../open-banking/ob-response.js';
import { PISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { OBDomesticVRPConsentRequestDto, OBDomesticVRPRequestDto, OBVRPFundsConfirmationRequestDto } from './domestic-vrp.dto.js';
import { PickedDebtorAccount, StagedVrp, SubmitDomesticVrp } from './submit-domestic-vrp.use-case.js';

type DebtorAccount = PickedDebtorAccount;

/** OBDomesticVRPConsentResponse */
export interface OBDomesticVRPConsentResponse {
  Data: {
    ConsentId: string;
    CreationDateTime: string;
    Status: string;
    StatusReason?: StatusReason;
    StatusUpdateDateTime: string;
    ReadRefundAccount?: 'Yes' | 'No';
    ControlParameters: JsonObject;
    Initiation: JsonObject;
    DebtorAccount?: DebtorAccount;
  };
  Risk: JsonObject;
  Links: ObLinks;
  Meta: ObMeta;
}

/** OBDomesticVRPResponse */
export interface OBDomesticVRPResponse {
  Data: {
    DomesticVRPId: string;
    ConsentId: string;
    CreationDateTime: string;
    Status: string;
    StatusReason?: StatusReason;
    StatusUpdateDateTime: string;
    Initiation: JsonObject;
    Instruction: JsonObject;
    DebtorAccount?: DebtorAccount;
  };
  Risk: JsonObject;
  Links: ObLinks;
  Meta: ObMeta;
}

/** OBDomesticVRPDetails */
export interface OBDomesticVRPDetails {
  Data: { PaymentStatus: ObPaymentDetails[] };
  Links: ObLinks;
  Meta: ObMeta;
}

/** OBVRPFundsConfirmationResponse: Available or NotAvailable, never a balance. */
export interface OBVRPFundsConfirmationResponse {
  Data: {
    FundsConfirmationId: string;
    ConsentId: string;
    CreationDateTime: string;
    Reference?: string;
    FundsAvailableResult: { FundsAvailableDateTime: string; FundsAvailable: 'Available' | 'NotAvailable' };
    InstructedAmount: { Amount: string; Currency: string };
  };
  Links: ObLinks;
  Meta: ObMeta;
}

const VRP_CONSENTS = `/${PISP_BASE_PATH}/domestic-vrp-consents`;
const VRPS = `/${PISP_BASE_PATH}/domestic-vrps`;

@Injectable()
export class DomesticVrpsService {
  private readonly createConsentUseCase: CreatePaymentConsent;
  private readonly revoke: RevokePaymentConsent;
  private readonly submit: SubmitDomesticVrp;

  constructor(
    private readonly dataSource: DataSource,
    private readonly bank: AggregatedBank,
    risk: PaymentRiskEngine,
    private readonly publicUrl: PublicUrl,
    private readonly approvals: PaymentApprovalSeal,
    @Inject(CONSENT_STATUS_CLOCK) private readonly statusClock: ConsentStatusClockOf,
  ) {
    this.createConsentUseCase = new CreatePaymentConsent(dataSource);
    this.revoke = new RevokePaymentConsent(dataSource);
    this.submit = new SubmitDomesticVrp(dataSource, bank, risk, approvals);
  }

  /** Consent creation, as a PaymentWrite (PaymentWritePipeline: signed and idempotent). */
  createConsent(clientId: string, body: OBDomesticVRPConsentRequestDto, interactionId: string): PaymentWrite<PaymentConsentEntity, OBDomesticVRPConsentResponse> {
    const controlParameters = plain(body.Data.ControlParameters);
    const refuseProblems = (now: Date | null): void => {
      const problems = controlParameterDefinitionProblems(controlParameters as unknown as VrpControlParameters, now);
      if (problems.length > 0) throw new ObErrorException(400, problems.map((p) => ({ ErrorCode: p.errorCode, Message: `${p.path} ${p.message}`, Path: p.path })));
    };
    // What the body says, before the key; whether its window has already ended, after it (a replay gets its first answer).
    refuseProblems(null);
    const validTo = body.Data.ControlParameters.ValidToDateTime;
    return {
      stage: (manager) => {
        refuseProblems(new Date());
        return this.createConsentUseCase.execute(
          {
            clientId,
            kind: 'domestic-vrp',
            initiation: plain(body.Data.Initiation),
            controlParameters,
            // The instant the window's checks use (its sub-millisecond digits rounded up): the expiry sweep
            // and the grant's end follow the same one.
            expirationDateTime: validTo ? obInstant(validTo) : undefined,
            risk: plain(body.Risk),
            readRefundAccount: body.Data.ReadRefundAccount,
            interactionId,
          },
          manager,
        );
      },
      render: (consent, manager) => this.consentResponse(consent, manager),
    };
  }

  async getConsent(clientId: string, consentId: string): Promise<OBDomesticVRPConsentResponse> {
    return this.consentResponse(await paymentConsentOfClient(this.dataSource, consentId, clientId, 'domestic-vrp'));
  }

  /** The TPP deletes its VRP consent: CANC, its grant and tokens revoked, no VRP after it. */
  async deleteConsent(clientId: string, consentId: string, interactionId: string): Promise<void> {
    await paymentConsentOfClient(this.dataSource, consentId, clientId, 'domestic-vrp');
    await this.revoke.execute({ consentId, by: { type: 'tpp', clientId }, interactionId });
  }

  /** Whether the consent's debtor account covers an amount now, for an amount one VRP under it could pay, inside its validity window: Available or NotAvailable, never the balance. */
  async fundsConfirmation(consent: PaymentConsentAccess, body: OBVRPFundsConfirmationRequestDto): Promise<OBVRPFundsConfirmationResponse> {
    // A body check, before the consent's status, as CoF's funds check orders it.
    assertAmountAboveZero(body.Data.InstructedAmount.Amount, 'Data.InstructedAmount.Amount');
    const notAuthorised = (status: string): ObErrorException =>
      ObErrorException.badRequest(ObErrorCode.ResourceInvalidConsentStatus, `The consent is ${status}, not authorised`, 'Data.ConsentId');
    if (consent.status !== 'AUTH' || !consent.debtorAccountId) throw notAuthorised(consent.status);
    if (body.Data.ConsentId !== consent.consentId) {
      throw new ConsentException(ConsentExceptionCode.ConsentMismatch, 'Data.ConsentId is not the path’s ConsentId', 'Data.ConsentId');
    }
    const { Amount, Currency } = body.Data.InstructedAmount;
    const now = new Date();
    // The debtor account and the window as the PSU approved them (U008 for a consent altered since),
    // asked while the consent's row is share-locked: a revocation meanwhile waits for this answer.
    const available = await withApprovedPaymentConsent(
      this.dataSource,
      this.approvals,
      { ...consent, kind: 'domestic-vrp' },
      (stored) => (stored.status === 'AUTH' ? null : notAuthorised(stored.status)),
      (approved) => {
        // Outside its window the consent lets no VRP through (400 U014, as the VRP answers): nor does it
        // let the TPP learn whether the PSU has funds, before the window opens or after it closed but
        // before the expiry sweep makes it EXPD (then U009, above, as for the VRP). Nor for an amount no
        // VRP under it could pay (another currency, above MaximumIndividualAmount): U014 too, not the
        // balance's answer.
        const beyond = vrpFundsConfirmationProblem(approved.controlParameters as unknown as VrpControlParameters, Amount, Currency, now);
        if (beyond) throw new ConsentException(ConsentExceptionCode.ControlParametersBreached, beyond.message, beyond.path);
        return this.bank.confirmFunds(approved.debtorAccountId!, Amount, Currency);
      },
    );
    return {
      Data: {
        FundsConfirmationId: `vfc-${randomUUID()}`,
        ConsentId: consent.consentId,
        CreationDateTime: obDateTime(now),
        ...(body.Data.Reference ? { Reference: body.Data.Reference } : {}),
        FundsAvailableResult: { FundsAvailableDateTime: obDateTime(now), FundsAvailable: available ? 'Available' : 'NotAvailable' },
        InstructedAmount: { Amount, Currency },
      },
      Links: { Self: this.publicUrl.of(`${VRP_CONSENTS}/${encodeURIComponent(consent.consentId)}/funds-confirmation`) },
      Meta: {},
    };
  }

  /** The VRP, as a PaymentWrite: staged with the idempotency key (U009, U008, U014), then debited at the bank. */
  createVrp(clientId: string, body: OBDomesticVRPRequestDto, interactionId: string): PaymentWrite<StagedVrp, OBDomesticVRPResponse> {
    const instruction = plain(body.Data.Instruction);
    assertAmountAboveZero(body.Data.Instruction.InstructedAmount.Amount, 'Data.Instruction.InstructedAmount.Amount');
    const command = {
      clientId,
      consentId: body.Data.ConsentId,
      vrpType: body.Data.VRPType,
      psuAuthenticationMethod: body.Data.PSUAuthenticationMethod,
      psuInteractionType: body.Data.PSUInteractionType ?? null,
      initiation: plain(body.Data.Initiation),
      instruction,
      risk: plain(body.Risk),
      interactionId,
    };
    // The debtor account is looked up once, as the VRP is staged: the staged and the settled answers both carry it.
    return {
      stage: (manager, record) => this.submit.stage(manager, command, record),
      settle: (vrp, record) => this.submit.settle(vrp, interactionId, record),
      render: (vrp, manager) => this.vrpResponse(vrp.payment, manager, Promise.resolve(vrp.pickedDebtor ?? undefined)),
    };
  }

  async getVrp(clientId: string, paymentId: string): Promise<OBDomesticVRPResponse> {
    const payment = await this.vrpOf(clientId, paymentId);
    return this.vrpResponse(payment);
  }

  async vrpDetails(clientId: string, paymentId: string): Promise<OBDomesticVRPDetails> {
    const payment = await this.vrpOf(clientId, paymentId);
    return {
      Data: {
        // The one rule of every payment's payment-details (paymentDetailsOf): its status, and why when rejected.
        PaymentStatus: [paymentDetailsOf(payment)],
      },
      Links: { Self: this.publicUrl.of(`${VRPS}/${encodeURIComponent(payment.paymentId)}/payment-details`) },
      Meta: {},
    };
  }

  private async vrpOf(clientId: string, paymentId: string): Promise<VrpPaymentEntity> {
    // A TPP reads only its own VRPs; another TPP's is "not found". Read from the primary, always.
    const payment = await this.dataSource.getRepository(VrpPaymentEntity).findOne({ where: { paymentId, clientId } });
    if (!payment) throw new ObErrorException(404, [{ ErrorCode: ObErrorCode.ResourceNotFound, Message: 'No such VRP', Path: 'DomesticVRPId' }]);
    return payment;
  }

  /** The account the PSU picked at approval, when the TPP named none: the TPP needs it for later VRPs (OB VRP spec). */
  private async pickedDebtor(initiation: JsonObject, debtorAccountId: string | null, manager: EntityManager): Promise<DebtorAccount | undefined> {
    if (initiation.DebtorAccount || !debtorAccountId) return undefined;
    const account = await manager.getRepository(AccountEntity).findOne({ where: { accountId: debtorAccountId } });
    if (!account) return undefined;
    return { SchemeName: account.schemeName, Identification: account.identification, Name: account.holderName.slice(0, 70) };
  }

  /** `manager`: the caller's transaction when there is one (see PaymentWrite.render). */
  private async consentResponse(consent: PaymentConsentEntity, manager: EntityManager = this.dataSource.manager): Promise<OBDomesticVRPConsentResponse> {
    const debtor = await this.pickedDebtor(consent.initiation, consent.debtorAccountId, manager);
    return {
      Data: {
        ...paymentConsentStatusData(consent, this.statusClock()),
        ControlParameters: consent.controlParameters ?? {},
        Initiation: consent.initiation,
        ...(debtor ? { DebtorAccount: debtor } : {}),
      },
      Risk: consent.risk,
      Links: { Self: this.publicUrl.of(`${VRP_CONSENTS}/${encodeURIComponent(consent.consentId)}`) },
      Meta: {},
    };
  }

  private async vrpResponse(
    payment: VrpPaymentEntity,
    manager: EntityManager = this.dataSource.manager,
    pickedDebtor = this.pickedDebtor(payment.initiation, payment.debtorAccountId, manager),
  ): Promise<OBDomesticVRPResponse> {
    const reason = statusReason(payment.statusReason, payment.statusReasonDescription);
    const debtor = await pickedDebtor;
    return {
      Data: {
        DomesticVRPId: payment.paymentId,
        ConsentId: payment.consentId,
        CreationDateTime: obDateTime(payment.creationDateTime),
        Status: payment.status,
        ...(reason ? { StatusReason: reason } : {}),
        StatusUpdateDateTime: obDateTime(payment.statusUpdateDateTime),
        Initiation: payment.initiation,
        Instruction: payment.instruction,
        ...(debtor ? { DebtorAccount: debtor } : {}),
      },
      Risk: payment.risk,
      Links: { Self: this.publicUrl.of(`${VRPS}/${encodeURIComponent(payment.paymentId)}`) },
      Meta: {},
    };
  }
}
