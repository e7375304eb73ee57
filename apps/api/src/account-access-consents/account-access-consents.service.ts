import {
  accountAccessStatusAsOf,
  ConsentException,
  ConsentExceptionCode,
  CreateAccountAccessConsent,
  findConsentOfClient,
  obInstant,
  Permission,
  RevokeAccountAccessConsent,
} from '@consentry/consents';
import { AccountAccessConsentEntity, DataSource } from '@consentry/database';
import { Inject, Injectable } from '@nestjs/common';

import { CONSENT_STATUS_CLOCK, type ConsentStatusClockOf } from '../api.tokens.js';
import { PublicUrl } from '../http/public-url.js';
import { ObLinks, ObMeta, obDateTime } from '../open-banking/ob-response.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { OBReadConsent1Dto } from './create-account-access-consent.dto.js';

/** OBReadConsentResponse1 */
export interface OBReadConsentResponse1 {
  Data: {
    ConsentId: string;
    CreationDateTime: string;
    Status: string;
    StatusReason?: Array<{ StatusReasonCode?: string; StatusReasonDescription?: string }>;
    StatusUpdateDateTime: string;
    Permissions: string[];
    ExpirationDateTime?: string;
    TransactionFromDateTime?: string;
    TransactionToDateTime?: string;
  };
  Risk: Record<string, never>;
  Links: ObLinks;
  Meta: ObMeta;
}

@Injectable()
export class AccountAccessConsentsService {
  private readonly create: CreateAccountAccessConsent;
  private readonly revoke: RevokeAccountAccessConsent;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publicUrl: PublicUrl,
    @Inject(CONSENT_STATUS_CLOCK) private readonly statusClock: ConsentStatusClockOf,
  ) {
    this.create = new CreateAccountAccessConsent(dataSource);
    this.revoke = new RevokeAccountAccessConsent(dataSource);
  }

  async createConsent(clientId: string, body: OBReadConsent1Dto, interactionId: string): Promise<OBReadConsentResponse1> {
    const { Data } = body;
    const consent = await this.create.execute({
      clientId,
      // The DTO admitted only OB permission codes; the combination rules run in the use case.
      permissions: Data.Permissions as Permission[],
      expirationDateTime: Data.ExpirationDateTime ? obInstant(Data.ExpirationDateTime) : undefined,
      transactionFromDateTime: Data.TransactionFromDateTime ? new Date(Data.TransactionFromDateTime) : undefined,
      transactionToDateTime: Data.TransactionToDateTime ? new Date(Data.TransactionToDateTime) : undefined,
      interactionId,
    });
    return this.toResponse(consent);
  }

  async getConsent(clientId: string, consentId: string): Promise<OBReadConsentResponse1> {
    const consent = await findConsentOfClient(this.dataSource, consentId, clientId);
    if (!consent) throw new ConsentException(ConsentExceptionCode.NotFound, 'No such consent');
    return this.toResponse(consent);
  }

  async deleteConsent(clientId: string, consentId: string, interactionId: string): Promise<void> {
    await this.revoke.execute({ consentId, by: { type: 'tpp', clientId }, interactionId });
  }

  private toResponse(consent: AccountAccessConsentEntity): OBReadConsentResponse1 {
    const reason = consent.statusReasonDescription
      ? [
          {
            // OBStatusReason.StatusReasonCode is a 4-character code; longer internal reasons stay in the description.
            ...(consent.statusReason && consent.statusReason.length <= 4 ? { StatusReasonCode: consent.statusReason } : {}),
            StatusReasonDescription: consent.statusReasonDescription.slice(0, 500),
          },
        ]
      : undefined;
    const { status, statusUpdateDateTime } = accountAccessStatusAsOf(consent, this.statusClock());
    return {
      Data: {
        ConsentId: consent.consentId,
        CreationDateTime: obDateTime(consent.creationDateTime),
        Status: status,
        ...(reason ? { StatusReason: reason } : {}),
        StatusUpdateDateTime: obDateTime(statusUpdateDateTime),
        Permissions: consent.permissions,
        ...(consent.expirationDateTime ? { ExpirationDateTime: obDateTime(consent.expirationDateTime) } : {}),
        ...(consent.transactionFromDateTime ? { TransactionFromDateTime: obDateTime(consent.transactionFromDateTime) } : {}),
        ...(consent.transactionToDateTime ? { TransactionToDateTime: obDateTime(consent.transactionToDateTime) } : {}),
      },
      Risk: {},
      Links: { Self: this.publicUrl.of(`/${AISP_BASE_PATH}/account-access-consents/${encodeURIComponent(consent.consentId)}`) },
      Meta: {},
    };
  }
}
