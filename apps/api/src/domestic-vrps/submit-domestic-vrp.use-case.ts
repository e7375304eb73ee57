import { randomUUID } from 'node:crypto';

import { recordAuditEvent } from '@consentry/audit';
import { AggregatedBank, BankPaymentResult, ConnectorUnavailableError } from '@consentry/banking';
import {
  bankOutcomeChanges,
  bankOutcomeWrites,
  ConsentException,
  ConsentExceptionCode,
  lockVrpConsent,
  type PaymentApprovalSeal,
  summariseInitiation,
  vrpLimitsRead,
  vrpRefusalEvent,
} from '@consentry/consents';
import { DataSource, EntityManager, JsonObject, shiftParameters, VrpPaymentEntity, writeTogether } from '@consentry/database';
import { isExecutable, PaymentRiskEngine, type PaymentRiskInput, screenNewPayment } from '@consentry/risk';
import { Logger } from '@nestjs/common';

import { RecordedRefusal } from '../idempotency/idempotency.service.js';
import type { SettlementRecorder, StageRecorder } from '../security/payment-write.pipeline.js';

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
  /** As sent, every member: lockVrpConsent compares it whole to the creditor the consent names. */
  CreditorAccount: { SchemeName: string; Identification: string; Name: string; SecondaryIdentification?: string };
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
  /** The PSU whose consent it is: the outcome's event names them, for their alerts. */
  psuId: string | null;
}

// The VRP, with the status its risk decision gives it: written with the decision (assessWithin).
const INSERT_VRP = `
  INSERT INTO vrp_payment (payment_id, consent_id, client_id, status, status_reason, status_reason_description, vrp_type, amount, currency,
                           initiation, instruction, risk, psu_authentication_method, psu_interaction_type, debtor_account_id,
                           creation_date_time, status_update_date_time)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12::jsonb, $13, $14, $15, $16, $17)`;

// The account the PSU picked, for the answer when the TPP named none: read with the limits and look-ups.
const PICKED_DEBTOR = `(SELECT json_build_object('SchemeName', scheme_name, 'Identification', identification, 'Name', left(holder_name, 70))
    FROM account WHERE account_id = $1::text) AS picked_debtor`;

/**
 * A VRP under an authorised VRP consent (PSD2 Art. 66, many payments under one consent). As a domestic
 * payment, in two steps, because the bank may sit behind an HTTP connector that cannot share our
 * transaction:
 *
 * 1. One transaction (the idempotency key's), in three round trips after the key's claim:
 *    - the consent row locked, with the debtor account's risk lock when the rules need it (one
 *      statement): U009, U008 on the locked row (the seal, the Initiation, and the Instruction's creditor
 *      against the one the consent names, whole: compared in memory, no statement of its own). The
 *      locks are held until the commit, so concurrent VRPs are counted and scored one after the other
 *      and never pass a limit together;
 *    - the ControlParameters' sums and the risk rules' look-ups (one statement, after the locks): U014,
 *      then the risk decision. A refusal by a control parameter commits its audit event (not the key)
 *      and answers 400 U014, and writes nothing else;
 *    - the VRP, with the status its decision gives (PDNG; PDNG held; RJCT FR01), written with the
 *      decision, the running totals and their audit events (`payment.submitted`, `payment.risk-assessed`,
 *      and a rejection's `payment.status-changed`): one statement.
 *    A PDNG VRP counts against the limits; a rejected one does not.
 * 2. The bank debits atomically (BankConnector.initiatePayment); the VRP becomes ACSP, or RJCT (AM04), with
 *    its event and the settled answer, in one statement.
 */
export class SubmitDomesticVrp {
  private readonly logger = new Logger('DomesticVrps');

  constructor(
    private readonly dataSource: DataSource,
    private readonly bank: AggregatedBank,
    private readonly risk: PaymentRiskEngine,
    private readonly approvals: PaymentApprovalSeal,
  ) {}

  /**
   * Step 1, in the caller's transaction (the idempotency key's). A control-parameter refusal comes back
   * as a RecordedRefusal: its audit event commits, the key and nothing else does.
   */
  async stage(manager: EntityManager, command: SubmitDomesticVrpCommand, record?: StageRecorder<StagedVrp>): Promise<StagedVrp | RecordedRefusal> {
    const paymentId = `vrp-${randomUUID()}`;
    const instruction = command.instruction as unknown as Instruction;
    const now = new Date();
    const amount = instruction.InstructedAmount.Amount;
    const currency = instruction.InstructedAmount.Currency;
    const consent = await lockVrpConsent(
      manager,
      this.approvals,
      { consentId: command.consentId, clientId: command.clientId, initiation: command.initiation, creditorAccount: instruction.CreditorAccount },
      this.risk.debtorAccountLock,
    );
    // lockVrpConsent checked the approval's seal, which covers the debtor account.
    const debtorAccountId = consent.debtorAccountId!;
    const limits = vrpLimitsRead(consent, { vrpType: command.vrpType, amount, currency, creditorAccount: instruction.CreditorAccount, at: now });
    const picksDebtor = !command.initiation.DebtorAccount;
    const read = picksDebtor
      ? { select: `${limits.select}, ${shiftParameters(PICKED_DEBTOR, limits.values.length)}`, values: [...limits.values, debtorAccountId] }
      : { select: limits.select, values: limits.values };
    const riskInput: PaymentRiskInput = {
      paymentId,
      paymentKind: 'domestic-vrp',
      consentId: consent.consentId,
      clientId: command.clientId,
      psuId: consent.psuId ?? null,
      debtorAccountId,
      creditor: { schemeName: instruction.CreditorAccount.SchemeName, identification: instruction.CreditorAccount.Identification },
      amount,
      currency,
      interactionId: command.interactionId,
      at: now,
    };
    let staged: StagedVrp | undefined;
    const scored = await this.risk.assessWithin(manager, riskInput, {
      read,
      stopIf: (row) => limits.check(row),
      write: async (assessment, row) => {
        const screened = screenNewPayment(assessment, riskInput);
        const payment: VrpPaymentEntity = {
          paymentId,
          consentId: consent.consentId,
          clientId: command.clientId,
          status: screened.status,
          statusReason: screened.statusReason,
          statusReasonDescription: screened.statusReasonDescription,
          vrpType: command.vrpType,
          amount,
          currency,
          initiation: command.initiation,
          instruction: command.instruction,
          risk: command.risk,
          psuAuthenticationMethod: command.psuAuthenticationMethod,
          psuInteractionType: command.psuInteractionType,
          debtorAccountId,
          ledgerTransactionId: null,
          creationDateTime: now,
          statusUpdateDateTime: now,
        };
        staged = { payment, pickedDebtor: (row.picked_debtor as PickedDebtorAccount | null | undefined) ?? null, psuId: consent.psuId ?? null };
        // The key's answer is stored in the same statement, when the caller records it here.
        const answer = record ? [await record(staged)] : [];
        return {
          parts: [
            {
              sql: INSERT_VRP,
              values: [
                paymentId,
                payment.consentId,
                payment.clientId,
                payment.status,
                payment.statusReason,
                payment.statusReasonDescription,
                payment.vrpType,
                amount,
                currency,
                JSON.stringify(payment.initiation),
                JSON.stringify(payment.instruction),
                JSON.stringify(payment.risk),
                payment.psuAuthenticationMethod,
                payment.psuInteractionType,
                debtorAccountId,
                now,
                now,
              ],
            },
            ...answer,
          ],
          eventsBefore: [
            {
              type: 'payment.submitted',
              actor: { type: 'tpp', id: command.clientId },
              clientId: command.clientId,
              psuId: consent.psuId ?? undefined,
              consentId: consent.consentId,
              interactionId: command.interactionId,
              data: { paymentId, kind: 'domestic-vrp', vrpType: command.vrpType, status: 'PDNG', amount, currency },
            },
          ],
          eventsAfter: screened.eventsAfter,
        };
      },
    });
    if ('stopped' in scored) {
      await recordAuditEvent(manager, vrpRefusalEvent(consent, { ...command, amount, currency }, scored.stopped));
      return new RecordedRefusal(new ConsentException(ConsentExceptionCode.ControlParametersBreached, scored.stopped.message, scored.stopped.path));
    }
    return staged!;
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
    // The payee, reference and remittance read as an admin's release and the worker's re-drive read them
    // (summariseInitiation): one VRP reaches the bank in one form, the payee's roll number included.
    const summary = summariseInitiation(staged.instruction);
    let result: BankPaymentResult;
    try {
      result = await this.bank.initiatePayment({
        paymentId,
        debtorAccountId: staged.debtorAccountId,
        amount: staged.amount,
        currency: staged.currency,
        creditorAccount: summary.creditorAccount,
        reference: summary.endToEndIdentification,
        information: summary.remittance,
      });
    } catch (error) {
      if (!(error instanceof ConnectorUnavailableError)) throw error;
      this.logger.warn(`VRP ${paymentId} left PDNG: ${error.message} [${interactionId ?? '-'}]`);
      return stagedVrp;
    }
    const changes = bankOutcomeChanges(result);
    const settled = { payment: { ...staged, ...changes }, pickedDebtor: stagedVrp.pickedDebtor, psuId: stagedVrp.psuId };
    // The new status, its event and the settled answer: one statement, one round trip.
    await writeTogether(this.dataSource, [
      ...bankOutcomeWrites('vrp_payment', paymentId, changes, {
        type: 'payment.status-changed',
        actor: { type: 'system', id: 'payment-execution' },
        clientId: staged.clientId,
        ...(stagedVrp.psuId ? { psuId: stagedVrp.psuId } : {}),
        consentId: staged.consentId,
        interactionId,
        data: { paymentId, kind: 'domestic-vrp', from: 'PDNG', to: changes.status, ...(changes.statusReason ? { statusReason: changes.statusReason } : {}) },
      }),
      ...(record ? [await record(settled)] : []),
    ]);
    return settled;
  }
}
