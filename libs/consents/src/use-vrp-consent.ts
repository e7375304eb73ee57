import type { AuditEventInput } from '@consentry/audit';
import { EntityManager, JsonObject, PaymentConsentEntity } from '@consentry/database';

import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import { assertConsentAsApproved } from './consume-payment-consent.js';
import { type PaymentApprovalSeal } from './payment-approval-seal.js';
import { lockPaymentConsentOfClient } from './payment-consent-queries.js';
import { sameCreditorAccount } from './payment-initiation.js';
import { checkVrpPayment, type ControlParameterProblem, SWEEPING_VRP_TYPE, type VrpControlParameters, vrpPeriodCuts } from './vrp-control-parameters.js';

export interface UseVrpConsentCommand {
  consentId: string;
  clientId: string;
  /** The VRP's Initiation, as the TPP sent it: it must be the consent's. */
  initiation: JsonObject;
  vrpType: string;
  amount: string;
  currency: string;
  /**
   * The VRP's Instruction.CreditorAccount as the TPP sent it, every member: when the consent names a
   * creditor, this must be it whole (sameCreditorAccount).
   */
  creditorAccount: { SchemeName: string; Identification: string; Name?: string; SecondaryIdentification?: string };
  /** When the payment is made. */
  at: Date;
  interactionId?: string;
}

/**
 * A VRP uses its consent inside the caller's transaction, which writes the payment, in three steps:
 * lockVrpConsent, vrpLimitsRead, then the payment written, or its refusal's vrpRefusalEvent. The API's VRP
 * (SubmitDomesticVrp) makes steps 2 and 3 in the risk engine's statements.
 *
 * The consent row is locked (SELECT ... FOR UPDATE) until that transaction commits, so the payments
 * counted against the periodic limits and the new one are read and written one payment at a time:
 * concurrent VRPs cannot together pass a limit. Checked in the fixed order: U009 (the consent is AUTH),
 * U008 (the consent is still what the PSU approved; the Initiation is the consent's; the creditor is the
 * consent's whole, if it named one), then U014 (vrp-control-parameters.ts). A control-parameter refusal
 * commits its `payment.refused-by-control-parameter` event and answers 400 U014.
 */

/**
 * Step 1: locks the consent row until the caller's transaction ends, and checks U009 and U008 on the
 * locked row. `alsoLock` (an SQL lock expression on the debtor account's id) is taken in the same round
 * trip: the risk engine's lock on the account, for one that scores the payment in its statements.
 */
export async function lockVrpConsent(
  manager: EntityManager,
  approvals: PaymentApprovalSeal,
  command: Pick<UseVrpConsentCommand, 'consentId' | 'clientId' | 'initiation' | 'creditorAccount'>,
  alsoLock?: (debtorAccountId: string) => string,
): Promise<PaymentConsentEntity> {
  const consent = await lockPaymentConsentOfClient(manager, command.consentId, command.clientId, alsoLock);
  if (consent.kind !== 'domestic-vrp') throw new ConsentException(ConsentExceptionCode.NotFound, 'No such consent');
  if (consent.status !== 'AUTH') throw new ConsentException(ConsentExceptionCode.InvalidStatus, `The consent is ${consent.status}, not authorised`);
  // PSD2 RTS Art. 5: the ControlParameters, creditor and debtor must still be exactly what the PSU approved.
  assertConsentAsApproved(consent, command.initiation, approvals);
  // The payee the PSU approved is the whole account the consent names: the same scheme and number under
  // another name, or with another roll number (SecondaryIdentification), is another payee. Checked in
  // memory on the locked row: no statement of its own.
  const named = consent.initiation.CreditorAccount;
  if (named !== undefined && named !== null && !sameCreditorAccount(named, command.creditorAccount)) {
    throw new ConsentException(ConsentExceptionCode.ConsentMismatch, 'The creditor is not the consent’s', 'Data.Instruction.CreditorAccount');
  }
  return consent;
}

/**
 * Step 2: what the ControlParameters check reads, and the check (U014) given what it read. The read must be
 * a statement that starts after step 1's lock is granted: READ COMMITTED takes a statement's snapshot
 * when it starts, so it then sees what the lock's previous holder committed.
 */
export interface VrpLimitsRead {
  /** Select-list items (their `$n` numbered on their own): to be read after the consent's lock is granted. */
  select: string;
  values: unknown[];
  /** The control parameter the payment breaks, given the row read, or null. */
  check(row: Record<string, unknown>): ControlParameterProblem | null;
}

/**
 * The payments that count, summed per slice of the periods (vrpPeriodCuts) by the database from the
 * consent's running totals per London day (vrp_consent_day_total, kept by triggers on vrp_payment): a
 * period's days, however many payments the consent has made. Every cut is a London midnight. Only a
 * Sweeping payment asks whether the creditor is one of the PSU's own accounts.
 */
export function vrpLimitsRead(consent: PaymentConsentEntity, command: Pick<UseVrpConsentCommand, 'vrpType' | 'amount' | 'currency' | 'creditorAccount' | 'at'>): VrpLimitsRead {
  const params = consent.controlParameters as unknown as VrpControlParameters;
  const cuts = vrpPeriodCuts(params, consent.creationDateTime, command.at);
  const sweeping = command.vrpType === SWEEPING_VRP_TYPE;
  const values: unknown[] = cuts.length === 0 ? [] : [consent.consentId, cuts, cuts[0], cuts[cuts.length - 1]];
  const sums =
    cuts.length === 0
      ? `'[]'::json`
      : `(SELECT coalesce(json_agg(json_build_object('slice', s.slice, 'amount', s.amount)), '[]'::json) FROM (
           SELECT width_bucket(london_day::timestamp AT TIME ZONE 'Europe/London', $2::timestamptz[]) AS slice, sum(amount)::text AS amount
             FROM vrp_consent_day_total
            WHERE consent_id = $1::text AND london_day >= ($3::timestamptz AT TIME ZONE 'Europe/London')::date
              AND london_day < ($4::timestamptz AT TIME ZONE 'Europe/London')::date
            GROUP BY 1) AS s)`;
  let own = 'false';
  if (sweeping) {
    values.push(consent.psuId, command.creditorAccount.SchemeName, command.creditorAccount.Identification);
    const n = values.length;
    own = `EXISTS (SELECT 1 FROM account WHERE psu_id = $${n - 2} AND scheme_name = $${n - 1}::text AND identification = $${n}::text)`;
  }
  return {
    select: `${sums} AS vrp_period_sums, ${own} AS vrp_creditor_is_psus_own`,
    values,
    check(row) {
      const sliced = row.vrp_period_sums as Array<{ slice: number; amount: string }>;
      return checkVrpPayment({
        params,
        consentCreatedAt: consent.creationDateTime,
        at: command.at,
        amount: command.amount,
        currency: command.currency,
        vrpType: command.vrpType,
        creditorIsPsusOwn: row.vrp_creditor_is_psus_own === true,
        counted: sliced.map((slice) => ({ amount: slice.amount, at: cuts[slice.slice - 1]! })),
      });
    },
  };
}

/** Step 3 of a refusal: its `payment.refused-by-control-parameter` event, committed with the refusal. */
export function vrpRefusalEvent(
  consent: PaymentConsentEntity,
  command: Pick<UseVrpConsentCommand, 'clientId' | 'vrpType' | 'amount' | 'currency' | 'interactionId'>,
  refused: ControlParameterProblem,
): AuditEventInput {
  return {
    type: 'payment.refused-by-control-parameter',
    actor: { type: 'tpp', id: command.clientId },
    clientId: consent.clientId,
    psuId: consent.psuId ?? undefined,
    consentId: consent.consentId,
    interactionId: command.interactionId,
    data: { kind: consent.kind, parameter: refused.parameter, vrpType: command.vrpType, amount: command.amount, currency: command.currency },
  };
}
