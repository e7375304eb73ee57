import { recordAuditEvent } from '@consentry/audit';
import { EntityManager, JsonObject, PaymentConsentEntity } from '@consentry/database';

import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import { assertConsentAsApproved } from './consume-payment-consent.js';
import { lockPaymentConsentOfClient } from './payment-consent-queries.js';
import { checkVrpPayment, ControlParameterProblem, earliestPeriodStart, VrpControlParameters } from './vrp-control-parameters.js';

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
  if (consent.kind !== 'domestic-vrp') throw new ConsentException(ConsentExceptionCode.NotFound, 'consent not found');
  if (consent.status !== 'AUTH') throw new ConsentException(ConsentExceptionCode.InvalidStatus, `The consent is ${consent.status}, not authorised`);
  // PSD2 RTS Art. 5: the ControlParameters, creditor and debtor must still be exactly what the PSU approved.
  assertConsentAsApproved(consent, command.initiation);
  const named = consent.initiation.CreditorAccount as { SchemeName?: string; Identification?: string } | undefined;
  if (named && (named.SchemeName !== command.creditorAccount.SchemeName || named.Identification !== command.creditorAccount.Identification)) {
    throw new ConsentException(ConsentExceptionCode.ConsentMismatch, 'The creditor is not the consent’s', 'Data.Instruction.CreditorAccount');
  }
  const params = consent.controlParameters as unknown as VrpControlParameters;
  const since = earliestPeriodStart(params, consent.creationDateTime, command.at);
  const counted: Array<{ amount: string; at: Date }> = await manager.query(
    `SELECT amount::text AS amount, creation_date_time AS at FROM vrp_payment
      WHERE consent_id = $1 AND status <> 'RJCT' AND creation_date_time >= $2`,
    [consent.consentId, since],
  );
  const own: unknown[] = await manager.query(`SELECT 1 FROM account WHERE psu_id = $1 AND scheme_name = $2 AND identification = $3`, [
    consent.psuId,
    command.creditorAccount.SchemeName,
    command.creditorAccount.Identification,
  ]);
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
