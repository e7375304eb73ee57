import { randomUUID } from 'node:crypto';

import { auditEventsWrite, auditOutboxInsertSql, prepareAuditEvents } from '@consentry/audit';
import { AggregatedBank, BankPaymentResult, ConnectorUnavailableError } from '@consentry/banking';
import { bankOutcomeChanges, bankOutcomeWrite, ConsentException, ConsentExceptionCode, useVrpConsent } from '@consentry/consents';
import { DataSource, EntityManager, JsonObject, queryPreparedIn, VrpPaymentEntity, writeTogether } from '@consentry/database';
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

/** The account the PSU picked at approval, as a VRP's answer shows it when the TPP named none (OB VRP spec). */
export interface PickedDebtorAccount {
  SchemeName: string;
  Identification: string;
  Name: string;
}

/** A VRP as staged or settled, with the account its answer shows (null when the TPP named the debtor). */
export interface StagedVrp {
  payment: VrpPaymentEntity;
  pickedDebtor: PickedDebtorAccount | null;
}

// The PDNG VRP, its payment.submitted event and the picked debtor account for the answer: one round trip,
// in the consent's lock (a data-modifying WITH runs whether or not the outer statement reads it).
const STAGE_VRP = `
  WITH vrp AS (
    INSERT INTO vrp_payment (payment_id, consent_id, client_id, status, vrp_type, amount, currency, initiation, instruction, risk,
                             psu_authentication_method, psu_interaction_type, debtor_account_id, creation_date_time, status_update_date_time)
    VALUES ($1, $2, $3, 'PDNG', $4, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb, $10, $11, $12, $13, $13)),
  audit AS (${auditOutboxInsertSql('$14', '$15')})
  SELECT scheme_name, identification, holder_name FROM account WHERE account_id = $12 AND $16::boolean`;

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
 * 2. The bank debits atomically (BankConnector.initiatePayment); the VRP becomes ACSP, or RJCT (AM04), with
 *    its event and the settled answer, in one statement.
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
  async stage(manager: EntityManager, command: SubmitDomesticVrpCommand): Promise<StagedVrp | RecordedRefusal> {
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
    const { values: audit } = prepareAuditEvents([
      {
        type: 'payment.submitted',
        actor: { type: 'tpp', id: command.clientId },
        clientId: command.clientId,
        psuId: consent.psuId ?? undefined,
        consentId: consent.consentId,
        interactionId: command.interactionId,
        data: { paymentId, kind: 'domestic-vrp', vrpType: command.vrpType, status: 'PDNG', amount: payment.amount, currency: payment.currency },
      },
    ]);
    const [picked] = await queryPreparedIn<{ scheme_name: string; identification: string; holder_name: string }>(manager, STAGE_VRP, [
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
      ...audit,
      !command.initiation.DebtorAccount,
    ]);
    const pickedDebtor = picked ? { SchemeName: picked.scheme_name, Identification: picked.identification, Name: picked.holder_name.slice(0, 70) } : null;
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
    return { payment: changes ? { ...payment, ...changes } : payment, pickedDebtor };
  }

  /**
   * Step 2, after step 1 committed: the bank's debit, and the status it gives. `record` gives the write of
   * the idempotent answer, made with the status.
   */
  async settle(stagedVrp: StagedVrp, interactionId?: string, record?: SettlementRecorder<StagedVrp>): Promise<StagedVrp> {
    const { payment: staged } = stagedVrp;
    // Held for review (an admin's release debits it) or rejected by the risk engine: no debit now.
    if (!isExecutable(staged)) return stagedVrp;
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
      return stagedVrp;
    }
    const changes = bankOutcomeChanges(result);
    const settled = { payment: { ...staged, ...changes }, pickedDebtor: stagedVrp.pickedDebtor };
    // The new status, its event and the settled answer: one statement, one round trip.
    await writeTogether(this.dataSource, [
      bankOutcomeWrite('vrp_payment', paymentId, changes),
      auditEventsWrite([
        {
          type: 'payment.status-changed',
          actor: { type: 'system', id: 'payment-execution' },
          clientId: staged.clientId,
          consentId: staged.consentId,
          interactionId,
          data: { paymentId, kind: 'domestic-vrp', from: 'PDNG', to: changes.status, ...(changes.statusReason ? { statusReason: changes.statusReason } : {}) },
        },
      ]),
      ...(record ? [await record(settled)] : []),
    ]);
    return settled;
  }
}
