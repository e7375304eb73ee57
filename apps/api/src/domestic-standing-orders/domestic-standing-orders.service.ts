import { ConsentException, ConsentExceptionCode, CreatePaymentConsent, findPaymentConsentOfClient, readStandingOrderSchedule } from '@consentry/consents';
import { DataSource, JsonObject, PaymentConsentEntity } from '@consentry/database';
import { ObErrorCode, ObErrorException } from '@consentry/validation';
import { Injectable } from '@nestjs/common';

import { paymentConsentStatusData, plain, StatusReason } from '../domestic-payments/domestic-payments.service.js';
import { PublicUrl } from '../http/public-url.js';
import { ObLinks, ObMeta } from '../open-banking/ob-response.js';
import { PISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import type { PaymentWrite } from '../security/payment-write.pipeline.js';
import { OBWriteDomesticStandingOrderConsent5Dto } from './domestic-standing-order.dto.js';

/** OBWriteDomesticStandingOrderConsentResponse6 */
export interface OBWriteDomesticStandingOrderConsentResponse6 {
  Data: {
    ConsentId: string;
    CreationDateTime: string;
    Status: string;
    StatusReason?: StatusReason;
    StatusUpdateDateTime: string;
    Permission: 'Create';
    ReadRefundAccount?: 'Yes' | 'No';
    Initiation: JsonObject;
  };
  Risk: JsonObject;
  Links: ObLinks;
  Meta: ObMeta;
}

export const STANDING_ORDER_CONSENTS_PATH = `${PISP_BASE_PATH}/domestic-standing-order-consents`;

/** Refuses an Initiation the bank cannot run (U025 for the Frequency, U002 otherwise), before anything is written. */
export function assertRunnableStandingOrder(initiation: JsonObject): void {
  const read = readStandingOrderSchedule(initiation);
  if ('problem' in read) {
    const code = read.problem.kind === 'frequency' ? ObErrorCode.UnsupportedFrequency : ObErrorCode.FieldInvalid;
    throw ObErrorException.badRequest(code, read.problem.message, read.problem.path);
  }
}

@Injectable()
export class DomesticStandingOrdersService {
  private readonly createConsentUseCase: CreatePaymentConsent;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publicUrl: PublicUrl,
  ) {
    this.createConsentUseCase = new CreatePaymentConsent(dataSource);
  }

  /** Consent creation, as a PaymentWrite (PaymentWritePipeline: signed and idempotent). */
  createConsent(clientId: string, body: OBWriteDomesticStandingOrderConsent5Dto, interactionId: string): PaymentWrite<PaymentConsentEntity, OBWriteDomesticStandingOrderConsentResponse6> {
    const initiation = plain(body.Data.Initiation);
    assertRunnableStandingOrder(initiation);
    return {
      stage: (manager) =>
        this.createConsentUseCase.execute(
          { clientId, kind: 'domestic-standing-order', initiation, risk: plain(body.Risk), readRefundAccount: body.Data.ReadRefundAccount, interactionId },
          manager,
        ),
      render: (consent) => this.consentResponse(consent),
    };
  }

  async getConsent(clientId: string, consentId: string): Promise<OBWriteDomesticStandingOrderConsentResponse6> {
    const consent = await findPaymentConsentOfClient(this.dataSource, consentId, clientId, 'domestic-standing-order');
    if (!consent) throw new ConsentException(ConsentExceptionCode.NotFound, 'consent not found');
    return this.consentResponse(consent);
  }

  private consentResponse(consent: PaymentConsentEntity): OBWriteDomesticStandingOrderConsentResponse6 {
    return {
      Data: { ...paymentConsentStatusData(consent), Permission: 'Create', Initiation: consent.initiation },
      Risk: consent.risk,
      Links: { Self: this.publicUrl.of(`/${STANDING_ORDER_CONSENTS_PATH}/${encodeURIComponent(consent.consentId)}`) },
      Meta: {},
    };
  }
}
