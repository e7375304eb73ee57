import { recordAuditEvent } from '@consentry/audit';
import { EntityManager, JsonObject, PaymentConsentEntity, queryPreparedIn } from '@consentry/database';

import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import { assertConsentAsApproved } from './consume-payment-consent.js';
import { lockPaymentConsentOfClient } from './payment-consent-queries.js';
import { checkVrpPayment, ControlParameterProblem, SWEEPING_VRP_TYPE, VrpControlParameters, vrpPeriodCuts } from './vrp-control-parameters.js';

export interface UseVrpConsentCommand {
  consentId: string;
  clientId: string;
  /** The VRP's Initiation, as the TPP sent it: it must be the consent's. */
  initiation: JsonObject;
  vrpType: string;
  amount: string;
  currency: string;
  creditorAccount: { SchemeName: string; Identification: string };
  /** When the payment is made. */
  at: Date;
  interactionId?: string;
}

export type UseVrpConsentResult = { consent: PaymentConsentEntity; refused: null } | { consent: PaymentConsentEntity; refused: ControlParameterProblem };

/**
 * A VRP uses its consent, inside the caller's transaction, which writes the payment. The consent row
 * is locked (SELECT ... FOR UPDATE) until that transaction commits, so the payments counted against the
 * periodic limits and the new one are read and written one payment at a time: concurrent VRPs cannot
 * together pass a limit. Checked in the fixed order: U009 (the consent is AUTH), U008 (the consent is
 * still what the PSU approved; the Initiation is the consent's; the creditor is the consent's, if it
 * named one), then U014 (vrp-control-parameters.ts).
 *
 * A control-parameter refusal is returned, not thrown, with its `payment.refused-by-control-parameter`
 * event already written: the caller commits it and answers 400 U014.
 */
export async function useVrpConsent(manager: EntityManager, command: UseVrpConsentCommand): Promise<UseVrpConsentResult> {
  const consent = await lockPaymentConsentOfClient(manager, command.consentId, command.clientId);
  if (consent.kind !== 'domestic-vrp') throw new ConsentException(ConsentExceptionCode.NotFound, 'No such consent');
  if (consent.status !== 'AUTH') throw new ConsentException(ConsentExceptionCode.InvalidStatus, `The consent is ${consent.status}, not authorised`);
  // PSD2 RTS Art. 5: the ControlParameters, creditor and debtor must still be exactly what the PSU approved.
  assertConsentAsApproved(consent, command.initiation);
  const named = consent.initiation.CreditorAccount as { SchemeName?: string; Identification?: string } | undefined;
  if (named && (named.SchemeName !== command.creditorAccount.SchemeName || named.Identification !== command.creditorAccount.Identification)) {
    throw new ConsentException(ConsentExceptionCode.ConsentMismatch, 'The creditor is not the consent’s', 'Data.Instruction.CreditorAccount');
  }
  const params = consent.controlParameters as unknown as VrpControlParameters;
  // The payments that count, summed per slice of the periods (vrpPeriodCuts) by the database from the
  // consent's running totals per London day (vrp_consent_day_total, kept by triggers on vrp_payment): a
  // period's days, however many payments the consent has made. Every cut is a London midnight.
  const cuts = vrpPeriodCuts(params, consent.creationDateTime, command.at);
  const sums =
    cuts.length === 0
      ? []
      : await queryPreparedIn<{ slice: number; amount: string }>(
          manager,
          `SELECT width_bucket(london_day::timestamp AT TIME ZONE 'Europe/London', $2::timestamptz[]) AS slice, sum(amount)::text AS amount
             FROM vrp_consent_day_total
            WHERE consent_id = $1 AND london_day >= ($3::timestamptz AT TIME ZONE 'Europe/London')::date
              AND london_day < ($4::timestamptz AT TIME ZONE 'Europe/London')::date
            GROUP BY 1`,
          [consent.consentId, cuts, cuts[0], cuts[cuts.length - 1]],
        );
  const counted = sums.map((row) => ({ amount: row.amount, at: cuts[row.slice - 1]! }));
  // Only a Sweeping payment asks whether the creditor is one of the PSU's own accounts.
  const own: unknown[] =
    command.vrpType === SWEEPING_VRP_TYPE
      ? await manager.query(`SELECT 1 FROM account WHERE psu_id = $1 AND scheme_name = $2 AND identification = $3`, [
          consent.psuId,
          command.creditorAccount.SchemeName,
          command.creditorAccount.Identification,
        ])
      : [];
  const refused = checkVrpPayment({
    params,
    consentCreatedAt: consent.creationDateTime,
    at: command.at,
    amount: command.amount,
    currency: command.currency,
    vrpType: command.vrpType,
    creditorIsPsusOwn: own.length > 0,
    counted,
  });
  if (refused) {
    await recordAuditEvent(manager, {
      type: 'payment.refused-by-control-parameter',
      actor: { type: 'tpp', id: command.clientId },
      clientId: consent.clientId,
      psuId: consent.psuId ?? undefined,
      consentId: consent.consentId,
      interactionId: command.interactionId,
      data: { kind: consent.kind, parameter: refused.parameter, vrpType: command.vrpType, amount: command.amount, currency: command.currency },
    });
    return { consent, refused };
  }
  return { consent, refused: null };
}
