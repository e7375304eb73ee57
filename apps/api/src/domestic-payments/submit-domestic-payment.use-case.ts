import { randomUUID } from 'node:crypto';

import { auditEventsWrite, recordAuditEvent } from '@consentry/audit';
import { AggregatedBank, BankPaymentResult, ConnectorUnavailableError } from '@consentry/banking';
import { bankOutcomeChanges, bankOutcomeWrite, consumePaymentConsent, summariseInitiation } from '@consentry/consents';
import { DataSource, DomesticPaymentEntity, EntityManager, JsonObject, writeTogether } from '@consentry/database';
import { isExecutable, PaymentRiskEngine, screenPayment } from '@consentry/risk';
import { Logger } from '@nestjs/common';

import type { SettlementRecorder } from '../security/payment-write.pipeline.js';

export interface SubmitDomesticPaymentCommand {
  clientId: string;
  consentId: string;
  /** A scheduled payment's order waits for its date (`requestedExecutionDateTime`); a domestic one runs now. */
  kind?: 'domestic-payment' | 'domestic-scheduled-payment';
  requestedExecutionDateTime?: Date;
  /** The order's Initiation as the TPP sent it (validated). */
  initiation: JsonObject;
  interactionId?: string;
}

/**
 * A PSU-authorised domestic payment order (PSD2 Art. 66). Two steps, because the bank may sit behind
 * an HTTP connector that cannot share our transaction:
 *
 * 1. One transaction (the idempotency key's, see PaymentWritePipeline): consume the consent (locked: U009 for a second order, U008 for a mismatch or a
 *    consent changed since approval), write the order PDNG and its payment.submitted event.
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
  ) {}

  /**
   * Step 1, in the caller's transaction (the idempotency key's): consume the consent, write the order
   * PDNG and its payment.submitted event.
   */
  async stage(manager: EntityManager, command: SubmitDomesticPaymentCommand): Promise<DomesticPaymentEntity> {
    const kind = command.kind ?? 'domestic-payment';
    const paymentId = `${kind === 'domestic-payment' ? 'dp' : 'dsp'}-${randomUUID()}`;
    const summary = summariseInitiation(command.initiation);
    const consent = await consumePaymentConsent(manager, {
      consentId: command.consentId,
      clientId: command.clientId,
      kind,
      initiation: command.initiation,
      interactionId: command.interactionId,
    });
    const now = new Date();
    const payment: DomesticPaymentEntity = {
      paymentId,
      consentId: consent.consentId,
      clientId: command.clientId,
      status: 'PDNG',
      statusReason: null,
      statusReasonDescription: null,
      initiation: command.initiation,
      // consumePaymentConsent checked the approval hash, which covers the debtor account.
      debtorAccountId: consent.debtorAccountId!,
      ledgerTransactionId: null,
      requestedExecutionDateTime: command.requestedExecutionDateTime ?? null,
      creationDateTime: now,
      statusUpdateDateTime: now,
    };
    await manager.query(
      `INSERT INTO domestic_payment (payment_id, consent_id, client_id, status, initiation, debtor_account_id, requested_execution_date_time, creation_date_time, status_update_date_time)
       VALUES ($1, $2, $3, 'PDNG', $4::jsonb, $5, $6, $7, $7)`,
      [paymentId, payment.consentId, payment.clientId, JSON.stringify(payment.initiation), payment.debtorAccountId, payment.requestedExecutionDateTime, now],
    );
    await recordAuditEvent(manager, {
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
        ...(payment.requestedExecutionDateTime ? { requestedExecutionDateTime: payment.requestedExecutionDateTime.toISOString() } : {}),
      },
    });
    // A scheduled payment is scored when it runs (the worker), not when it is ordered.
    if (kind !== 'domestic-payment') return payment;
    const { changes } = await screenPayment(manager, this.risk, 'domestic_payment', {
      paymentId,
      paymentKind: kind,
      consentId: consent.consentId,
      clientId: command.clientId,
      psuId: consent.psuId ?? null,
      debtorAccountId: payment.debtorAccountId,
      creditor: summary.creditorAccount,
      amount: summary.amount,
      currency: summary.currency,
      interactionId: command.interactionId,
    });
    return changes ? { ...payment, ...changes } : payment;
  }

  /** Step 2, after step 1 committed: the bank's debit, and the status it gives. */
  async settle(created: DomesticPaymentEntity, interactionId?: string, record?: SettlementRecorder<DomesticPaymentEntity>): Promise<DomesticPaymentEntity> {
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

  private async settleOutcome(payment: DomesticPaymentEntity, result: BankPaymentResult, interactionId?: string, record?: SettlementRecorder<DomesticPaymentEntity>): Promise<DomesticPaymentEntity> {
    const changes = bankOutcomeChanges(result);
    const { status, statusReason: reason } = changes;
    const settled = { ...payment, ...changes };
    // The new status, its event and the settled answer: one statement, one round trip.
    await writeTogether(this.dataSource, [
      bankOutcomeWrite('domestic_payment', payment.paymentId, changes),
      auditEventsWrite([
        {
          type: 'payment.status-changed',
          actor: { type: 'system', id: 'payment-execution' },
          clientId: payment.clientId,
          consentId: payment.consentId,
          interactionId,
          data: { paymentId: payment.paymentId, from: 'PDNG', to: status, ...(reason ? { statusReason: reason } : {}) },
        },
      ]),
      ...(record ? [await record(settled)] : []),
    ]);
    return settled;
  }
}
