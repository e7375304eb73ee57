import { randomUUID } from 'node:crypto';

import { type AuditEventInput, auditEventsWrite } from '@consentry/audit';
import { AggregatedBank, BankPaymentResult, ConnectorUnavailableError } from '@consentry/banking';
import { bankOutcomeChanges, bankOutcomeWrites, consumptionWrite, lockPaymentConsentToConsume, type PaymentApprovalSeal, summariseInitiation } from '@consentry/consents';
import { DataSource, DomesticPaymentEntity, EntityManager, JsonObject, queryPreparedIn, type WritePart, writeTogether, writeTogetherStatement } from '@consentry/database';
import { isExecutable, PaymentRiskEngine, type PaymentRiskInput, type ScreenedNewPayment, screenNewPayment } from '@consentry/risk';
import { Logger } from '@nestjs/common';

import type { SettlementRecorder, StageRecorder } from '../security/payment-write.pipeline.js';

export interface SubmitDomesticPaymentCommand {
  clientId: string;
  consentId: string;
  /** A scheduled payment's order waits for its date (`requestedExecutionDateTime`); a domestic one runs now. */
  kind?: 'domestic-payment' | 'domestic-scheduled-payment';
  requestedExecutionDateTime?: Date;
  /** The order's Initiation as the TPP sent it (validated). */
  initiation: JsonObject;
  /** The order's Risk as the TPP sent it (validated): it must be the consent's (U008, `Risk`). */
  risk: JsonObject;
  interactionId?: string;
}

/** The status an order is written with. */
type OrderStatus = Pick<ScreenedNewPayment, 'status' | 'statusReason' | 'statusReasonDescription'>;

/** A scheduled order's, scored only when it runs. */
const UNSCORED: OrderStatus = { status: 'PDNG', statusReason: null, statusReasonDescription: null };

// The order, at the status its risk decision gives it (PDNG for a scheduled payment, scored when it runs).
const INSERT_ORDER = `
  INSERT INTO domestic_payment (payment_id, consent_id, client_id, status, status_reason, status_reason_description, initiation,
                                debtor_account_id, requested_execution_date_time, creation_date_time, status_update_date_time)
  VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $10)`;

function insertOrder(payment: DomesticPaymentEntity): WritePart {
  return {
    sql: INSERT_ORDER,
    values: [
      payment.paymentId,
      payment.consentId,
      payment.clientId,
      payment.status,
      payment.statusReason,
      payment.statusReasonDescription,
      JSON.stringify(payment.initiation),
      payment.debtorAccountId,
      payment.requestedExecutionDateTime,
      payment.creationDateTime,
    ],
  };
}

/** A domestic payment as staged, with the PSU whose consent it is (the outcome's event names them). */
export type StagedDomesticPayment = DomesticPaymentEntity & { psuId: string | null };

/**
 * A PSU-authorised domestic payment order (PSD2 Art. 66). Two steps, because the bank may sit behind
 * an HTTP connector that cannot share our transaction:
 *
 * 1. One transaction (the idempotency key's, see PaymentWritePipeline): consume the consent (locked: U009
 *    for a second order, U008 for an Initiation or Risk unlike the consent's or a consent changed since
 *    approval), score the order, and write it at the status its decision gives, with its
 *    payment.submitted event.
 * 2. The bank debits atomically (BankConnector.initiatePayment, idempotent on the payment id); the order
 *    becomes ACSP, or RJCT with the ISO reason (AM04: no funds), with a payment.status-changed event.
 *
 * A bank that cannot be reached leaves the order PDNG: the answer says so, and sending the same
 * payment id again is safe.
 */
export class SubmitDomesticPayment {
  private readonly logger = new Logger('DomesticPayments');

  constructor(
    private readonly dataSource: DataSource,
    private readonly bank: AggregatedBank,
    private readonly risk: PaymentRiskEngine,
    private readonly approvals: PaymentApprovalSeal,
  ) {}

  /**
   * Step 1, in the caller's transaction (the idempotency key's): consume the consent, write the order
   * and its payment.submitted event. A domestic payment is scored now, inside the same statements: the
   * debtor account's risk lock with the consent's row lock, the rules' look-ups in one read, and the
   * consumption, the order at the status its decision gives, the decision, their events and (when
   * `record` is given) the key's answer in one write. A scheduled payment is scored when it runs.
   */
  async stage(manager: EntityManager, command: SubmitDomesticPaymentCommand, record?: StageRecorder<DomesticPaymentEntity>): Promise<StagedDomesticPayment> {
    const kind = command.kind ?? 'domestic-payment';
    const paymentId = `${kind === 'domestic-payment' ? 'dp' : 'dsp'}-${randomUUID()}`;
    const summary = summariseInitiation(command.initiation);
    const scoredNow = kind === 'domestic-payment';
    const consent = await lockPaymentConsentToConsume(
      manager,
      this.approvals,
      { consentId: command.consentId, clientId: command.clientId, kind, initiation: command.initiation, risk: command.risk, interactionId: command.interactionId },
      scoredNow ? this.risk.debtorAccountLock : undefined,
    );
    const now = new Date();
    const consumption = consumptionWrite(consent, command, now);
    const order = ({ status, statusReason, statusReasonDescription }: OrderStatus): StagedDomesticPayment => ({
      psuId: consent.psuId ?? null,
      paymentId,
      consentId: consent.consentId,
      clientId: command.clientId,
      status,
      statusReason,
      statusReasonDescription,
      initiation: command.initiation,
      // lockPaymentConsentToConsume checked the approval's seal, which covers the debtor account.
      debtorAccountId: consent.debtorAccountId!,
      ledgerTransactionId: null,
      requestedExecutionDateTime: command.requestedExecutionDateTime ?? null,
      creationDateTime: now,
      statusUpdateDateTime: now,
    });
    const submitted: AuditEventInput = {
      type: 'payment.submitted',
      actor: { type: 'tpp', id: command.clientId },
      clientId: command.clientId,
      psuId: consent.psuId ?? undefined,
      consentId: consent.consentId,
      interactionId: command.interactionId,
      data: {
        paymentId,
        kind,
        status: 'PDNG',
        amount: summary.amount,
        currency: summary.currency,
        ...(command.requestedExecutionDateTime ? { requestedExecutionDateTime: command.requestedExecutionDateTime.toISOString() } : {}),
      },
    };
    if (!scoredNow) {
      const payment = order(UNSCORED);
      const together = writeTogetherStatement([consumption.write, insertOrder(payment), auditEventsWrite([consumption.event, submitted]), ...(record ? [await record(payment)] : [])]);
      await queryPreparedIn(manager, together.sql, together.values);
      return payment;
    }
    const riskInput: PaymentRiskInput = {
      paymentId,
      paymentKind: kind,
      consentId: consent.consentId,
      clientId: command.clientId,
      psuId: consent.psuId ?? null,
      debtorAccountId: consent.debtorAccountId!,
      creditor: summary.creditorAccount,
      amount: summary.amount,
      currency: summary.currency,
      interactionId: command.interactionId,
      at: now,
    };
    let staged: StagedDomesticPayment | undefined;
    await this.risk.assessWithin<never>(manager, riskInput, {
      write: async (assessment) => {
        const screened = screenNewPayment(assessment, riskInput);
        staged = order(screened);
        return {
          parts: [consumption.write, insertOrder(staged), ...(record ? [await record(staged)] : [])],
          eventsBefore: [consumption.event, submitted],
          eventsAfter: screened.eventsAfter,
        };
      },
    });
    return staged!;
  }

  /** Step 2, after step 1 committed: the bank's debit, and the status it gives. */
  async settle(created: StagedDomesticPayment | DomesticPaymentEntity, interactionId?: string, record?: SettlementRecorder<DomesticPaymentEntity>): Promise<DomesticPaymentEntity> {
    // Held for review (an admin's release debits it) or rejected by the risk engine: no debit now.
    if (!isExecutable(created)) return created;
    const summary = summariseInitiation(created.initiation);
    let result: BankPaymentResult;
    try {
      result = await this.bank.initiatePayment({
        paymentId: created.paymentId,
        debtorAccountId: created.debtorAccountId,
        amount: summary.amount,
        currency: summary.currency,
        creditorAccount: summary.creditorAccount,
        reference: summary.endToEndIdentification,
        information: summary.remittance,
      });
    } catch (error) {
      if (!(error instanceof ConnectorUnavailableError)) throw error;
      this.logger.warn(`payment ${created.paymentId} left PDNG: ${error.message} [${interactionId ?? '-'}]`);
      return created;
    }
    return this.settleOutcome(created, result, interactionId, record);
  }

  private async settleOutcome(
    payment: StagedDomesticPayment | DomesticPaymentEntity,
    result: BankPaymentResult,
    interactionId?: string,
    record?: SettlementRecorder<DomesticPaymentEntity>,
  ): Promise<DomesticPaymentEntity> {
    const changes = bankOutcomeChanges(result);
    const { status, statusReason: reason } = changes;
    const settled = { ...payment, ...changes };
    // The new status, its event and the settled answer: one statement, one round trip.
    await writeTogether(this.dataSource, [
      ...bankOutcomeWrites('domestic_payment', payment.paymentId, changes, {
        type: 'payment.status-changed',
        actor: { type: 'system', id: 'payment-execution' },
        clientId: payment.clientId,
        // The PSU's alerts ("A payment was not made") follow the event's PSU.
        ...('psuId' in payment && payment.psuId ? { psuId: payment.psuId } : {}),
        consentId: payment.consentId,
        interactionId,
        data: { paymentId: payment.paymentId, from: 'PDNG', to: status, ...(reason ? { statusReason: reason } : {}) },
      }),
      ...(record ? [await record(settled)] : []),
    ]);
    return settled;
  }
}
