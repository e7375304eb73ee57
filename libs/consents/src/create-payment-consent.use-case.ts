import { randomUUID } from 'node:crypto';

import { recordAuditEvent } from '@consentry/audit';
import { DataSource, EntityManager, JsonObject, PaymentConsentEntity, PaymentConsentKind } from '@consentry/database';

import { PAYMENT_CONSENT_ID_PREFIX } from './payment-consent-queries.js';
import { approvalTermsOf } from './payment-initiation.js';

export interface CreatePaymentConsentCommand {
  clientId: string;
  kind: PaymentConsentKind;
  /** The OB Initiation as validated by the API, stored exactly as sent. */
  initiation: JsonObject;
  risk: JsonObject;
  /** A VRP consent's ControlParameters (validated, see vrp-control-parameters.ts); none for other kinds. */
  controlParameters?: JsonObject;
  readRefundAccount?: 'Yes' | 'No';
  /** When the consent ends (EXPD) for the kinds that expire (a CoF ExpirationDateTime, a VRP's ValidToDateTime); none for a domestic payment. */
  expirationDateTime?: Date | null;
  interactionId?: string;
}

/** A TPP stages a payment: the consent is stored `AWAU` until the PSU answers at the authorization server. */
export class CreatePaymentConsent {
  constructor(private readonly dataSource: DataSource) {}

  /** In `manager`'s transaction when given (an idempotent POST's), else in a transaction of its own. */
  async execute(command: CreatePaymentConsentCommand, manager?: EntityManager): Promise<PaymentConsentEntity> {
    return manager ? this.write(manager, command) : this.dataSource.transaction((own) => this.write(own, command));
  }

  private async write(manager: EntityManager, command: CreatePaymentConsentCommand): Promise<PaymentConsentEntity> {
    const now = new Date();
    const consent: PaymentConsentEntity = {
      consentId: `${PAYMENT_CONSENT_ID_PREFIX}${randomUUID()}`,
      kind: command.kind,
      clientId: command.clientId,
      psuId: null,
      status: 'AWAU',
      statusReason: null,
      statusReasonDescription: null,
      initiation: command.initiation,
      controlParameters: command.controlParameters ?? null,
      risk: command.risk,
      readRefundAccount: command.readRefundAccount ?? null,
      debtorAccountId: null,
      initiationHash: null,
      grantId: null,
      authorisedAt: null,
      expirationDateTime: command.expirationDateTime ?? null,
      creationDateTime: now,
      statusUpdateDateTime: now,
    };
    // The jsonb members are written as parameters of a plain INSERT: TypeORM's deep-partial typing of
    // a recursive JSON type does not terminate.
    await manager.query(
      `INSERT INTO payment_consent (consent_id, kind, client_id, status, initiation, control_parameters, risk, read_refund_account, expiration_date_time,
                                    creation_date_time, status_update_date_time)
       VALUES ($1, $2, $3, 'AWAU', $4::jsonb, $5::jsonb, $6::jsonb, $7, $8, $9, $9)`,
      [
        consent.consentId,
        consent.kind,
        consent.clientId,
        JSON.stringify(consent.initiation),
        consent.controlParameters === null ? null : JSON.stringify(consent.controlParameters),
        JSON.stringify(consent.risk),
        consent.readRefundAccount,
        consent.expirationDateTime,
        now,
      ],
    );
    const terms = approvalTermsOf(command.kind, command.initiation, consent.controlParameters);
    await recordAuditEvent(manager, {
      type: 'consent.created',
      actor: { type: 'tpp', id: command.clientId },
      clientId: command.clientId,
      consentId: consent.consentId,
      interactionId: command.interactionId,
      // Amount and currency only: account numbers stay out of the audit trail.
      data: { kind: command.kind, ...(terms.money ?? {}), ...(consent.expirationDateTime ? { expirationDateTime: consent.expirationDateTime.toISOString() } : {}) },
    });
    return consent;
  }
}
