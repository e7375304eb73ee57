import { randomUUID } from 'node:crypto';

import { recordAuditEvent } from '@consentry/audit';
import { AggregatedBank, BankPaymentResult, ConnectorUnavailableError } from '@consentry/banking';
import { bankOutcomeChanges, ConsentException, ConsentExceptionCode, useVrpConsent } from '@consentry/consents';
import { DataSource, EntityManager, JsonObject, VrpPaymentEntity } from '@consentry/database';
import { isExecutable, PaymentRiskEngine, screenPayment } from '@consentry/risk';
import { Logger } from '@nestjs/common';

import { RecordedRefusal } from '../idempotency/idempotency.service.js';
import type { SettlementRecorder } from '../security/payment-write.pipeline.js';

export interface SubmitDomesticVrpCommand {
  clientId: string;
  consentId: string;
  vrpType: string;
  psuAuthenticationMethod: string;
  psuInteractionType: string | null;
  /** As the TPP sent them (validated). */
  initiation: JsonObject;
  instruction: JsonObject;
  risk: JsonObject;
  interactionId?: string;
}

interface Instruction {
  EndToEndIdentification: string;
  InstructedAmount: { Amount: string; Currency: string };
  CreditorAccount: { SchemeName: string; Identification: string; Name: string };
  RemittanceInformation?: { Unstructured?: string[] };
}

/**
 * A VRP under an authorised VRP consent (PSD2 Art. 66, many payments under one consent). As a domestic
 * payment, in two steps, because the bank may sit behind an HTTP connector that cannot share our
 * transaction:
 *
 * 1. One transaction (the idempotency key's), the consent row locked: U009, U008, then the ControlParameters (U014) against the
 *    consent's payments that count, then the VRP written PDNG with its payment.submitted event. The lock
 *    is held until the commit, so concurrent VRPs are counted one after the other and never pass a
 *    limit together. A PDNG VRP counts against the limits; a rejected one stops counting.
 *    A refusal by a control parameter commits its audit event (not the key) and answers 400 U014.
 * 2. The bank debits atomically (BankConnector.initiatePayment); the VRP becomes ACSP, or RJCT (AM04).
 */
export class SubmitDomesticVrp {
  private readonly logger = new Logger('DomesticVrps');

  constructor(
    private readonly dataSource: DataSource,
    private readonly bank: AggregatedBank,
    private readonly risk: PaymentRiskEngine,
  ) {}

  /**
   * Step 1, in the caller's transaction (the idempotency key's). A control-parameter refusal comes back
   * as a RecordedRefusal: its audit event commits, the key and nothing else does.
   */
  async stage(manager: EntityManager, command: SubmitDomesticVrpCommand): Promise<VrpPaymentEntity | RecordedRefusal> {
    const paymentId = `vrp-${randomUUID()}`;
    const instruction = command.instruction as unknown as Instruction;
    const now = new Date();
    const used = await useVrpConsent(manager, {
      consentId: command.consentId,
      clientId: command.clientId,
      initiation: command.initiation,
      vrpType: command.vrpType,
      amount: instruction.InstructedAmount.Amount,
      currency: instruction.InstructedAmount.Currency,
      creditorAccount: instruction.CreditorAccount,
      at: now,
      interactionId: command.interactionId,
    });
    if (used.refused) return new RecordedRefusal(new ConsentException(ConsentExceptionCode.ControlParametersBreached, used.refused.message, used.refused.path));
    const { consent } = used;
    const payment: VrpPaymentEntity = {
      paymentId,
      consentId: consent.consentId,
      clientId: command.clientId,
      status: 'PDNG',
      statusReason: null,
      statusReasonDescription: null,
      vrpType: command.vrpType,
      amount: instruction.InstructedAmount.Amount,
      currency: instruction.InstructedAmount.Currency,
      initiation: command.initiation,
      instruction: command.instruction,
      risk: command.risk,
      psuAuthenticationMethod: command.psuAuthenticationMethod,
      psuInteractionType: command.psuInteractionType,
      // useVrpConsent checked the approval hash, which covers the debtor account.
      debtorAccountId: consent.debtorAccountId!,
      ledgerTransactionId: null,
      creationDateTime: now,
      statusUpdateDateTime: now,
    };
    await manager.query(
      `INSERT INTO vrp_payment (payment_id, consent_id, client_id, status, vrp_type, amount, currency, initiation, instruction, risk,
                                psu_authentication_method, psu_interaction_type, debtor_account_id, creation_date_time, status_update_date_time)
       VALUES ($1, $2, $3, 'PDNG', $4, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb, $10, $11, $12, $13, $13)`,
      [
        paymentId,
        payment.consentId,
        payment.clientId,
        payment.vrpType,
        payment.amount,
        payment.currency,
        JSON.stringify(payment.initiation),
        JSON.stringify(payment.instruction),
        JSON.stringify(payment.risk),
        payment.psuAuthenticationMethod,
        payment.psuInteractionType,
        payment.debtorAccountId,
        now,
      ],
    );
    await recordAuditEvent(manager, {
      type: 'payment.submitted',
      actor: { type: 'tpp', id: command.clientId },
      clientId: command.clientId,
      psuId: consent.psuId ?? undefined,
      consentId: consent.consentId,
      interactionId: command.interactionId,
      data: { paymentId, kind: 'domestic-vrp', vrpType: command.vrpType, status: 'PDNG', amount: payment.amount, currency: payment.currency },
    });
    const { changes } = await screenPayment(manager, this.risk, 'vrp_payment', {
      paymentId,
      paymentKind: 'domestic-vrp',
      consentId: consent.consentId,
      clientId: command.clientId,
      psuId: consent.psuId ?? null,
      debtorAccountId: payment.debtorAccountId,
      creditor: { schemeName: instruction.CreditorAccount.SchemeName, identification: instruction.CreditorAccount.Identification },
      amount: payment.amount,
      currency: payment.currency,
      interactionId: command.interactionId,
    });
    return changes ? { ...payment, ...changes } : payment;
  }

  /**
   * Step 2, after step 1 committed: the bank's debit, and the status it gives. `record` runs in the
   * transaction that writes the status (the idempotent answer, stored with it).
   */
  async settle(staged: VrpPaymentEntity, interactionId?: string, record?: SettlementRecorder<VrpPaymentEntity>): Promise<VrpPaymentEntity> {
    // Held for review (an admin's release debits it) or rejected by the risk engine: no debit now.
    if (!isExecutable(staged)) return staged;
    const { paymentId } = staged;
    const instruction = staged.instruction as unknown as Instruction;
    let result: BankPaymentResult;
    try {
      const lines = instruction.RemittanceInformation?.Unstructured ?? [];
      result = await this.bank.initiatePayment({
        paymentId,
        debtorAccountId: staged.debtorAccountId,
        amount: staged.amount,
        currency: staged.currency,
        creditorAccount: {
          schemeName: instruction.CreditorAccount.SchemeName,
          identification: instruction.CreditorAccount.Identification,
          name: instruction.CreditorAccount.Name,
        },
        reference: instruction.EndToEndIdentification,
        information: lines.length > 0 ? lines.join(' ') : null,
      });
    } catch (error) {
      if (!(error instanceof ConnectorUnavailableError)) throw error;
      this.logger.warn(`VRP ${paymentId} left PDNG: ${error.message} [${interactionId ?? '-'}]`);
      return staged;
    }
    const changes = bankOutcomeChanges(result);
    const settled = { ...staged, ...changes };
    await this.dataSource.transaction(async (manager) => {
      await manager.update(VrpPaymentEntity, { paymentId }, changes);
      await recordAuditEvent(manager, {
        type: 'payment.status-changed',
        actor: { type: 'system', id: 'payment-execution' },
        clientId: staged.clientId,
        consentId: staged.consentId,
        interactionId,
        data: { paymentId, kind: 'domestic-vrp', from: 'PDNG', to: changes.status, ...(changes.statusReason ? { statusReason: changes.statusReason } : {}) },
      });
      await record?.(manager, settled);
    });
    return settled;
  }
}
